"""tflm-py validate: run samples on a board with the validation firmware and compare every
output with the simulator, bit for bit. Exit 0 only if every sample matches."""
from __future__ import annotations

import json
import os
import sys

from ..errors import UsageError
from ..options import baud_rate, positive_seconds, sample_count


def add_parser(sub):
    p = sub.add_parser(
        "validate", help="validate a board's firmware against the simulator, bit for bit",
        description="Send N inputs to a board running the tflm_py validation firmware, read "
                    "its outputs and tick counts, and compare with the simulator. DIR is a "
                    "project from `tflm-py generate --board` (a virtual board is started and "
                    "stopped here); a real board needs --port. Exit 0 only if every sample "
                    "is bit-exact, 1 on a mismatch, 2 on an error.")
    add_common(p)
    p.add_argument("dir", nargs="?", metavar="DIR", help="generated PlatformIO project")
    p.add_argument("--model", metavar="MODEL", help=".tflite (default: the project's model)")
    p.add_argument("--board", metavar="B", help="board name (serial settings with --port)")
    p.add_argument("--protocol", choices=["tflm-py", "mlperf-tiny"],
                   help="firmware protocol with --port and no DIR (default tflm-py; a "
                        "project knows its own)")
    return p


def add_common(p):
    p.add_argument("--port", metavar="URL",
                   help="serial port or pyserial URL (/dev/ttyACM0, socket://HOST:PORT)")
    p.add_argument("--samples", type=sample_count, default=10, metavar="N",
                   help="number of samples (default 10): sample 0 random, 1-3 every input at "
                        "its minimum, maximum and zero point, the rest random; made one at a "
                        "time")
    p.add_argument("--inputs", metavar="X.npy",
                   help="inputs: .npy (N, *shape) for one input, .npz one array per input; "
                        "random if omitted")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    p.add_argument("--timeout", type=positive_seconds, default=1.0, metavar="S",
                   help="reply timeout for a slow or laggy link, seconds: how long to wait "
                        "for each reply beyond its expected transfer time and the inference "
                        "time estimated from the model and the board's clock (default 1; "
                        "every retry waits longer)")
    p.add_argument("--baud", type=baud_rate, help="serial baud rate (default: the board's)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--labels", metavar="FILE",
                   help="class names, one per line: print the board's top-1 class per sample "
                        "(default: the model's TFLite Metadata labels, if any)")
    from .simulate import add_quantize
    add_quantize(p)


def _fmt_ticks(v) -> str:
    return "-" if v is None else f"{int(round(v)):,}"


def print_header(what: str, board: str, info, out=None, labels=None):
    out = out or sys.stdout
    print(f"validating {what} on {board}: firmware model sha256 {info.model_hash[:16]}..., "
          f"arena {info.arena_bytes} B, ticks in {info.tick_unit}", file=out)
    print(f"{'sample':>6}  {'equal':>5}  {'max|diff|':>9}  {'ticks':>14}"
          + ("  top-1 (board)" if labels else ""), file=out)


def top1(sample, info, labels):
    """(class name, dequantized score) of the board's first output, or None when the labels
    do not fit that output."""
    if not labels or not sample.outputs:
        return None
    import numpy as np
    y = np.asarray(sample.outputs[0]).ravel()
    if y.size != len(labels):
        return None
    k = int(np.argmax(y))
    score = float(y[k])
    if info is not None and info.outputs and info.outputs[0].scale and y.dtype.kind in "iu":
        io = info.outputs[0]
        score = (score - io.zero_point) * io.scale
    return labels[k], score


def resolve_labels(path, model):
    from ..labels import read_labels
    labels = read_labels(path) if path else None
    return labels or (model.labels if model is not None else None)


def report(result, what: str, as_json: bool, out=None, labels=None) -> int:
    from ..harness import describe_diff, describe_layer_diff
    out = out or sys.stdout
    if as_json:
        d = result.to_json()
        d["model"] = what
        for row, s in zip(d["per_sample"], result.samples):
            if s.results is not None:
                row["mlperf_results"] = s.results
            t = top1(s, result.info, labels)
            if t:
                row["top1"] = {"label": t[0], "score": t[1]}
        print(json.dumps(d, indent=2), file=out)
    else:
        n = len(result.samples)
        ok = sum(1 for s in result.samples if s.equal)
        unit = result.info.tick_unit if result.info else "ticks"
        tpi = result.ticks_per_inference
        if result.layers_checked:
            scope = (f"every layer matched ({result.layers_checked} op outputs compared by "
                     f"CRC per sample")
            scope += ", firmware data verified)" if result.data_checked else ")"
        else:
            scope = "outputs only: this firmware has no layer checks"
        if result.bit_exact:
            print(f"{ok}/{n} samples bit-exact, {scope}; {_fmt_ticks(tpi)} {unit} per "
                  f"inference (mean)", file=out)
        else:
            msg = f"MISMATCH: {ok}/{n} samples bit-exact, max |diff| {result.max_abs_diff:g}"
            if result.first_layer_diff:
                msg += f"; first differing layer: {describe_layer_diff(result.first_layer_diff)}"
            if result.first_mismatch and result.first_mismatch.get("output") is not None:
                msg += f"; first differing element: {describe_diff(result.first_mismatch)}"
            print(msg, file=out)
        if result.link.get("retries"):
            print(f"(serial link: {result.link['retries']} retries, "
                  f"{result.link.get('garbage_bytes', 0)} garbage bytes skipped)", file=out)
    return 0 if result.bit_exact else 1


def run_validation(project_dir, args, board_label=None) -> int:
    """Shared by `validate` and `run`: prints the table (or JSON) and returns the exit code."""
    from .. import harness
    from ..boards import load_project

    as_json = args.json
    model = None
    if getattr(args, "model", None):
        from ..passes import load_model
        model = load_model(args.model)
    from ..inputs import check_count, default_samples, file_samples
    check_count(args.samples)
    quantize = bool(getattr(args, "quantize", False))
    if args.inputs and not os.path.isfile(args.inputs):
        raise UsageError(f"{args.inputs}: no such file")
    # a noisy link costs retries, not a failed run; a silent board is still found quickly
    from ..protocol import NOISY_LINK_OPTIONS
    opts = {"reply_timeout": args.timeout, **NOISY_LINK_OPTIONS}
    state = {"header": False, "labels": None}

    def on_sample(s, result):
        if as_json:
            return
        labels = state["labels"]
        if not state["header"]:
            print_header(what, board_label or result.board, result.info, labels=labels)
            state["header"] = True
        t = top1(s, result.info, labels)
        extra = f"  {t[0]} ({t[1]:.3f})" if t else ""
        if s.results is not None and len(s.results) <= 4:   # MLPerf Tiny firmware's answer
            extra += "  m-results-[" + ",".join(f"{v:.3f}" for v in s.results) + "]"
        print(f"{s.index:>6}  {'yes' if s.equal else 'NO':>5}  {s.max_abs_diff:>9g}  "
              f"{_fmt_ticks(s.ticks):>14}" + extra, flush=True)

    progress = sys.stderr.isatty() and not as_json
    if project_dir is not None:
        project = load_project(project_dir)
        what = os.path.basename(args.model) if model is not None else (
            project.get("source") or project["prefix"])
        labels_model = model
        if labels_model is None and project.get("model_file") and not args.labels:
            try:
                labels_model = harness.project_model(project)
            except Exception:   # the labels are a nicety; validate_project reports a bad model
                labels_model = None
        state["labels"] = resolve_labels(args.labels, labels_model)
        result = harness.validate_project(project_dir, samples=args.samples,
                                          inputs=args.inputs, port=args.port, seed=args.seed,
                                          progress=progress, on_sample=on_sample,
                                          client_options=opts, model=model, baud=args.baud,
                                          quantize=quantize, what=what,
                                          model_path=getattr(args, "model", None))
    else:
        if not args.port:
            raise UsageError("give a project DIR or --port URL")
        if model is None:
            raise UsageError("with --port and no project DIR, give --model MODEL.tflite")
        import hashlib

        from ..boards import get_board
        from ..simulator import Simulator
        baud = args.baud or (get_board(args.board).baud if args.board else 115200)
        what = os.path.basename(args.model)
        state["labels"] = resolve_labels(args.labels, model)
        protocol = getattr(args, "protocol", None) or "tflm-py"
        hz = get_board(args.board).clock_hz if args.board else None
        if protocol == "tflm-py":
            opts["invoke_timeout"] = harness.expected_invoke_seconds(model, hz)
        expected_data = harness._expected_data(model) if protocol == "tflm-py" else None
        specs = [model.tensors[i] for i in model.inputs]
        samples = file_samples(args.inputs, specs, args.samples, quantize) if args.inputs \
            else default_samples(specs, args.samples, args.seed)
        link = harness.connect(args.port, baud)
        try:
            result = harness.validate_link(
                link, protocol, opts, Simulator(model),
                samples, hashlib.sha256(model.data).hexdigest(), what, progress, on_sample,
                args.board or "", expected_data)
        finally:
            link.close()
    return report(result, what, as_json, labels=state["labels"])


def run(args) -> int:
    if args.dir is not None and not os.path.isdir(args.dir):
        raise UsageError(f"{args.dir}: no such project folder")
    if args.dir is not None and args.board:
        from ..boards import load_project
        b = load_project(args.dir).get("board")
        if b != args.board:
            raise UsageError(f"{args.dir} is a project for {b}, not {args.board}")
    if args.dir is None:
        return run_validation(args.dir, args)
    from ..locks import ProjectLock
    with ProjectLock(args.dir):
        return run_validation(args.dir, args)
