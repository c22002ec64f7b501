"""The validation verdict shared by `tflm-py validate` and `tflm-py run`: run the samples on a
board (tflm_py.harness), print the table or JSON, and give the exit code."""
from __future__ import annotations

import json
import os
import sys

from .errors import UsageError
from .labels import resolve_labels, top1


def _fmt_ticks(v) -> str:
    return "-" if v is None else f"{int(round(v)):,}"


def print_header(what: str, board: str, info, out=None, labels=None):
    out = out or sys.stdout
    print(f"validating {what} on {board}: firmware model sha256 {info.model_hash[:16]}..., "
          f"arena {info.arena_bytes} B, ticks in {info.tick_unit}", file=out)
    print(f"{'sample':>6}  {'equal':>5}  {'max|diff|':>9}  {'ticks':>14}"
          + ("  top-1 (board)" if labels else ""), file=out)


def report(result, what: str, as_json: bool, out=None, labels=None) -> int:
    from .harness import describe_diff, describe_layer_diff
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
    from . import harness
    from .boards import load_project

    as_json = args.json
    model = None
    if getattr(args, "model", None):
        from .passes import load_model
        model = load_model(args.model)
    from .inputs import check_count, default_samples, file_samples
    check_count(args.samples)
    quantize = bool(getattr(args, "quantize", False))
    if args.inputs:     # a folder, a fifo or a link loop: an error before any board
        from .inputs import check_file
        check_file(args.inputs)
    # a noisy link costs retries, not a failed run; a silent board is still found quickly
    from .protocol import NOISY_LINK_OPTIONS
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

        from .boards import get_board
        from .simulator import Simulator
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
