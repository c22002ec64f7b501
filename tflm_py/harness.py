"""The validation harness: drive a board running the validation firmware, compare every
output with the simulator, bit for bit.

    result = validate_device(Client(port), Simulator(model), samples, expected_hash=...)

`validate_project(DIR)` does it for a generated PlatformIO project; for a virtual board it
starts the board itself (QEMU with the UART on a TCP port, or the native program on a
pseudo-terminal) and always stops it at the end.
"""
from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

from . import inputs as inputs_mod
from .errors import ModelError
from .protocol import Client, DeviceError, DeviceInfo, open_port
from .boards import project_program, stop_project_board  # noqa: F401  (re-exported)
from .vboards import BOARD_STATE, load_vboard



# ----------------------------------------------------------------------------- inputs

def random_inputs(io_specs: Sequence, n: int, seed: int = 0) -> list[list[np.ndarray]]:
    """n samples of the default inputs (tflm_py.inputs.default_samples: random data mixed with
    extremes), as a list; io_specs: objects with .dtype and .shape."""
    return list(inputs_mod.default_samples(io_specs, n, seed))


def load_inputs(path, io_specs: Sequence, n: Optional[int] = None,
                quantize: bool = False) -> list[list[np.ndarray]]:
    """Samples from a .npy (one input: shape (N, *input_shape) or the input's shape) or an
    .npz (one array per input, in order, each (N, *shape)); see tflm_py.inputs."""
    return list(inputs_mod.file_samples(path, io_specs, n, quantize))


def as_samples(inputs, io_specs: Sequence) -> list[list[np.ndarray]]:
    """Samples given in memory: an array (N, *shape) for a one-input model, or a list of
    samples, each a list of arrays (one per input). Integer inputs must already be quantised
    (values outside the type are refused); see tflm_py.inputs.memory_samples."""
    return inputs_mod.memory_samples(inputs, io_specs)


# ------------------------------------------------------------------------- comparison

@dataclass
class SampleResult:
    index: int
    equal: bool
    max_abs_diff: float
    ticks: int
    mismatches: int = 0
    first_diff: Optional[dict] = None
    layer_ticks: Optional[list] = None
    outputs: Optional[list] = None     # the device's outputs (arrays)
    results: Optional[list] = None     # MLPerf Tiny firmware: its m-results-[...] values
    layers_equal: Optional[bool] = None  # every op output's CRC matched (None: not checked)
    layer_diff: Optional[dict] = None  # the first differing op output (see describe_layer_diff)


@dataclass
class ValidationResult:
    samples: list = field(default_factory=list)
    info: Optional[DeviceInfo] = None
    board: str = ""
    link: dict = field(default_factory=dict)
    elapsed: float = 0.0
    layers_checked: int = 0            # op outputs compared by CRC per sample (0: none)
    data_checked: bool = False         # the firmware's model data and params were verified

    @property
    def bit_exact(self) -> bool:
        return bool(self.samples) and all(s.equal for s in self.samples)

    @property
    def max_abs_diff(self) -> float:
        return max((s.max_abs_diff for s in self.samples), default=0.0)

    @property
    def ticks_per_inference(self) -> Optional[float]:
        if not self.samples:
            return None
        return float(np.mean([s.ticks for s in self.samples]))

    @property
    def first_layer_diff(self) -> Optional[dict]:
        for s in self.samples:
            if s.layer_diff:
                return dict(s.layer_diff, sample=s.index)
        return None

    @property
    def first_mismatch(self) -> Optional[dict]:
        for s in self.samples:
            if not s.equal:
                return dict(s.first_diff or {}, sample=s.index)
        return None

    def layer_ticks(self) -> Optional[list]:
        rows = [s.layer_ticks for s in self.samples if s.layer_ticks]
        if not rows:
            return None
        return [float(v) for v in np.mean(np.array(rows, dtype=np.float64), axis=0)]

    def to_json(self) -> dict:
        i = self.info
        return {
            "samples": len(self.samples),
            "passed": sum(1 for s in self.samples if s.equal),
            "bit_exact": self.bit_exact,
            "max_abs_diff": self.max_abs_diff,
            "ticks_per_inference": self.ticks_per_inference,
            "tick_unit": i.tick_unit if i else None,
            "tick_hz": i.tick_hz if i else None,
            "board": self.board or (i.board if i else None),
            "model_hash": i.model_hash if i else None,
            "arena_bytes": i.arena_bytes if i else None,
            "first_mismatch": self.first_mismatch,
            "first_layer_diff": self.first_layer_diff,
            "layers_checked": self.layers_checked,
            "data_checked": self.data_checked,
            "layer_ticks": self.layer_ticks(),
            "per_sample": [{"index": s.index, "equal": s.equal, "max_abs_diff": s.max_abs_diff,
                            "mismatches": s.mismatches, "ticks": s.ticks,
                            "first_diff": s.first_diff, "layers_equal": s.layers_equal,
                            "layer_diff": s.layer_diff} for s in self.samples],
            "link": self.link,
            "elapsed_s": round(self.elapsed, 3),
        }


def compare_outputs(expected: Sequence, got: Sequence) -> tuple[bool, float, int, Optional[dict]]:
    """(equal, max |diff|, number of differing elements, first difference)."""
    equal, max_diff, count, first = True, 0.0, 0, None
    for j, (e, g) in enumerate(zip(expected, got)):
        e = np.asarray(e)
        g = np.asarray(g).reshape(e.shape)
        if e.dtype.kind == "f":
            same = e.view(np.uint8).reshape(-1, e.dtype.itemsize) == \
                g.astype(e.dtype).view(np.uint8).reshape(-1, e.dtype.itemsize)
            diffmask = ~same.all(axis=1)
            d = np.abs(e.astype(np.float64).ravel() - g.astype(np.float64).ravel())
            d = np.where(np.isnan(d), np.inf, d)
        else:
            d = np.abs(e.astype(np.int64).ravel() - g.astype(np.int64).ravel())
            diffmask = d != 0
        n = int(diffmask.sum())
        if n:
            equal = False
            count += n
            max_diff = max(max_diff, float(d[diffmask].max()))
            if first is None:
                k = int(np.flatnonzero(diffmask)[0])
                first = {"output": j, "flat_index": k,
                         "index": [int(v) for v in np.unravel_index(k, e.shape)] if e.shape
                         else [],
                         "expected": e.ravel()[k].item(), "got": g.ravel()[k].item()}
    return equal, max_diff, count, first


def describe_diff(fd: dict) -> str:
    idx = ",".join(str(v) for v in fd.get("index", []))
    return (f"sample {fd.get('sample', '?')}, output {fd['output']}[{idx}] (flat {fd['flat_index']}):"
            f" simulator {fd['expected']}, board {fd['got']}")


def describe_layer_diff(ld: dict) -> str:
    """"op #0 CONV_2D differs at [0,3,2,17]: board 12, simulator 13" (+ how much and where)."""
    out = f" output {ld['slot']}" if ld.get("outputs", 1) > 1 else ""
    head = f"op #{ld['op']} {ld['type']}{out}"
    if ld.get("index") is None:
        return f"{head} differs (CRC board {ld['crc_board']:08x}, simulator " \
               f"{ld['crc_simulator']:08x}; sample {ld.get('sample', '?')})"
    idx = ",".join(str(v) for v in ld["index"])
    return (f"{head} differs at [{idx}]: board {ld['board']}, simulator {ld['simulator']} "
            f"(sample {ld.get('sample', '?')}; {ld['count']} of {ld['size']} values differ, "
            f"max |diff| {ld['max_abs_diff']:g})")


class _Progress:
    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.t0 = total, enabled, time.monotonic()

    def update(self, done: int, note: str = ""):
        if not self.enabled:
            return
        width = 30
        fill = int(width * done / max(self.total, 1))
        sys.stderr.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {done}/{self.total} "
                         f"{time.monotonic() - self.t0:5.1f}s {note[:30]:<30}")
        sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\r" + " " * 80 + "\r")
            sys.stderr.flush()


def check_device(info: DeviceInfo, expected_hash: Optional[str], in_specs=None, out_specs=None,
                 what: str = "the model"):
    if expected_hash and info.model_hash.lower() != expected_hash.lower():
        raise DeviceError(
            f"wrong firmware: the board runs the model with sha256 {info.model_hash[:16]}..., "
            f"but {what} has sha256 {expected_hash[:16]}...; build and upload the firmware "
            f"for this model (tflm-py run MODEL --board B)")
    for kind, dev, spec in (("input", info.inputs, in_specs), ("output", info.outputs, out_specs)):
        if spec is None:
            continue
        if len(dev) != len(spec):
            raise DeviceError(f"the firmware has {len(dev)} {kind}(s), {what} has {len(spec)}")
        for k, (d, s) in enumerate(zip(dev, spec)):
            if tuple(d.shape) != tuple(s.shape) or d.dtype != np.dtype(s.dtype):
                raise DeviceError(f"{kind} {k}: firmware has {d.dtype} {list(d.shape)}, "
                                  f"{what} has {np.dtype(s.dtype)} {list(s.shape)}")


def check_data(client: Client, info: DeviceInfo, expected: Sequence[int], what: str,
               model=None) -> None:
    """Refuse a firmware whose model data or params differ from what the generator wrote."""
    from .integrity import describe_data_entry
    got = client.data_crcs(info.op_count + 1)
    if len(expected) != len(got):
        raise DeviceError(f"firmware data differs from the bundle generated from {what}: it "
                          f"has {len(got) - 1} ops, the bundle {len(expected) - 1}; rebuild "
                          f"and flash")
    # an op's entry first: it names the layer whose parameters or weights changed
    for k in [*range(1, len(got)), 0]:
        e, g = expected[k], got[k]
        if e != g:
            raise DeviceError(
                f"firmware data differs from the bundle generated from {what}: "
                f"{describe_data_entry(k, model)} (CRC board {g:08x}, generated {e:08x}); "
                f"rebuild and flash")


class _Layers:
    """The firmware's checksummed op outputs mapped onto the reference model's tensors."""

    def __init__(self, table, model):
        self.table = table
        self.model = model
        self.tensors = []
        for k, (op, slot, nbytes) in enumerate(table):
            if op >= len(model.operators) or slot >= len(model.operators[op].outputs):
                raise DeviceError(f"the firmware's layer {k} (op #{op} output {slot}) is not in "
                                  "the model: wrong firmware")
            t = model.operators[op].outputs[slot]
            if model.tensors[t].nbytes != nbytes:
                raise DeviceError(f"the firmware's op #{op} output {slot} has {nbytes} bytes, "
                                  f"the model's {model.tensors[t].nbytes}: wrong firmware")
            self.tensors.append(t)

    def first_diff(self, crcs, dump) -> Optional[int]:
        from .integrity import tensor_crc
        for k, (c, t) in enumerate(zip(crcs, self.tensors)):
            if c != tensor_crc(dump[t]):
                return k
        return None

    def describe(self, k, board_raw, dump, crc_board) -> dict:
        from .integrity import tensor_crc
        op, slot, _ = self.table[k]
        t = self.tensors[k]
        tt = self.model.tensors[t]
        exp = np.asarray(dump[t])
        d = {"layer": k, "op": op, "type": self.model.operators[op].type, "slot": slot,
             "outputs": len(self.model.operators[op].outputs), "tensor": t,
             "crc_board": crc_board, "crc_simulator": tensor_crc(exp), "index": None}
        if board_raw is not None:
            got = np.frombuffer(board_raw, dtype=exp.dtype).reshape(exp.shape)
            equal, max_diff, count, first = compare_outputs([exp], [got])
            if first is not None:
                d.update(index=first["index"], board=first["got"], simulator=first["expected"],
                         count=count, size=int(exp.size), max_abs_diff=max_diff)
        del tt
        return d


def _write_inputs(client, info, xs, n):
    for i, (x, io) in enumerate(zip(xs, info.inputs)):
        x = np.asarray(x)
        if x.size != int(np.prod(io.shape)):
            raise ModelError(f"sample {n} input {i} has {x.size} values, the firmware's "
                             f"input {i} {list(io.shape)} needs {int(np.prod(io.shape))}")
        client.write_input(i, np.ascontiguousarray(x.astype(io.dtype).reshape(io.shape))
                           .tobytes())


def _read_layer_back(client, info, layers: _Layers, k: int, samples, n: int) -> bytes:
    """Layer k's bytes right after its op ran on sample n: the inference is run again and
    stopped there (a stateful model is replayed from reset to sample n, and again after, so
    device and simulator stay in step)."""
    stateful = info.state_bytes > 0
    op = layers.table[k][0]
    if stateful:
        client.reset_state()
        for xs in samples[:n]:
            _write_inputs(client, info, xs, n)
            client.invoke()
    _write_inputs(client, info, samples[n], n)
    client.invoke(halt_op=op)
    raw = client.read_layer(k, layers.table[k][2])
    if stateful:
        client.reset_state()
        for xs in samples[:n + 1]:
            _write_inputs(client, info, xs, n)
            client.invoke()
    return raw


def validate_device(client: Client, reference, samples: Sequence[Sequence[np.ndarray]],
                    expected_hash: Optional[str] = None, what: str = "the model",
                    progress: bool = False, on_sample: Optional[Callable] = None,
                    board: str = "", expected_data: Optional[Sequence[int]] = None
                    ) -> ValidationResult:
    """Run every sample on the device and on `reference` (.reset(), .run(inputs, dump=None)
    -> outputs, and .model for the layer checks), from a reset state on both; compare
    outputs bit for bit and, on a validation firmware, every op's output by its CRC. The
    first differing op output is read back from the board and located.

    expected_data: the generator's data_check list; a firmware holding other data is refused."""
    t0 = time.monotonic()
    info = client.hello()
    check_device(info, expected_hash, what=what)
    result = ValidationResult(info=info, board=board or info.board)
    model = getattr(reference, "model", None)
    layers = None
    if info.checks:
        if expected_data is not None:
            check_data(client, info, expected_data, what, model)
            result.data_checked = True
        if model is not None and info.layer_count:
            layers = _Layers(client.layer_info(info.layer_count), model)
            result.layers_checked = len(layers.table)
    client.reset_state()
    reference.reset()
    samples = list(samples)
    bar = _Progress(len(samples), progress)
    diagnosed = False
    try:
        for n, xs in enumerate(samples):
            bar.update(n, "writing inputs")
            if len(xs) != len(info.inputs):
                raise ModelError(f"sample {n} has {len(xs)} inputs, the firmware "
                                 f"{len(info.inputs)}")
            _write_inputs(client, info, xs, n)
            bar.update(n, "invoking")
            status, ticks = client.invoke()
            got = []
            for i, io in enumerate(info.outputs):
                raw = client.read_output(i, io.bytes)
                got.append(np.frombuffer(raw, dtype=io.dtype).reshape(io.shape))
            lticks = client.layer_ticks(info.op_count) if info.profile and info.op_count \
                else None
            crcs = client.layer_crcs(len(layers.table)) if layers else None
            dump: dict = {}
            expected = reference.run([np.asarray(x) for x in xs], dump=dump) if layers \
                else reference.run([np.asarray(x) for x in xs])
            if len(expected) != len(got):
                raise ModelError(f"the simulator gives {len(expected)} outputs, the firmware "
                                 f"{len(got)}")
            equal, max_diff, count, first = compare_outputs(expected, got)
            s = SampleResult(n, equal, max_diff, int(ticks), count, first, lticks, got)
            if layers:
                k = layers.first_diff(crcs, dump)
                s.layers_equal = k is None
                if k is not None:
                    s.equal = False
                    raw = None
                    if not diagnosed:
                        diagnosed = True
                        bar.update(n, "reading the layer back")
                        raw = _read_layer_back(client, info, layers, k, samples, n)
                    s.layer_diff = layers.describe(k, raw, dump, crcs[k])
            result.samples.append(s)
            if on_sample:
                on_sample(s, result)
        bar.update(len(samples), "done")
    finally:
        bar.close()
    result.link = dict(client.stats)
    result.elapsed = time.monotonic() - t0
    return result


# ----------------------------------------------------------------------- virtual boards

_vboard = load_vboard


class VirtualBoard:
    """A running virtual board for a project; a context manager that always stops it.

    Reuses a board that `pio run -t upload` left running for this project (its state file),
    else starts one."""

    def __init__(self, project: dict, lifetime: float = 900.0, reuse: bool = True):
        self.project = project
        self.lifetime = lifetime
        self.reuse = reuse
        self.proc = None
        self.info = None
        self.vb = _vboard()
        self.state_path = str(project_program(project).parent / BOARD_STATE)

    def running_board(self) -> Optional[dict]:
        """The state of a board `pio run -t upload` left running for this project, if any."""
        st = self.vb.read_state(self.state_path)
        program = project_program(self.project)
        if st and self.vb.state_running(st) and st.get("program") == str(program.resolve()):
            try:
                fresh = program.stat().st_mtime <= float(st.get("started", 0))
            except OSError:
                fresh = False
            if fresh:
                return st
            self.vb.stop_state(self.state_path)     # runs an older build: not ours to use
        return None

    def start(self) -> str:
        kind = self.project["virtual"]
        program = project_program(self.project)
        if self.reuse:
            st = self.running_board()
            if st:
                self.info = st
                return st["url"]
            self.vb.stop_state(self.state_path)
        log = str(program.parent / "tflm_py_board_validate.log")
        from .boards import get_board
        machine = get_board(self.project["board"]).qemu_machine or "mps2-an386"
        try:
            # watch_parent: the board ends with this process, however it ends
            self.proc, self.info = self.vb.launch(kind, str(program), log, machine=machine,
                                                  lifetime=self.lifetime, watch_parent=True)
        except self.vb.BoardError as e:
            raise DeviceError(str(e)) from None
        return self.info["url"]

    def stop(self) -> None:
        if self.proc is not None:
            self.vb.stop_pid(self.proc.pid, self.proc)
            self.proc = None
        elif self.info is not None:
            self.vb.stop_state(self.state_path)
        self.info = None
        try:
            os.remove(self.state_path)
        except OSError:
            pass

    def __enter__(self):
        # a SIGTERM to this process must still stop the board: turn it into SystemExit
        self._old_term = None
        try:
            import signal
            import threading
            if threading.current_thread() is threading.main_thread() and \
                    signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:   # else: the CLI's
                self._old_term = signal.signal(signal.SIGTERM, _sigterm_exit)
        except (ValueError, OSError):
            self._old_term = None
        try:
            self.start()
        except BaseException:
            self._restore_signal()
            raise
        return self

    def __exit__(self, *exc):
        try:
            self.stop()
        finally:
            self._restore_signal()

    def _restore_signal(self):
        if self._old_term is not None:
            import signal
            signal.signal(signal.SIGTERM, self._old_term)
            self._old_term = None


def _sigterm_exit(signum, frame):
    raise SystemExit(128 + signum)


def connect(url: str, baud: int = 115200, wait: float = 5.0):
    """Open the serial port, retrying for `wait` seconds (QEMU's socket, a USB port that
    re-enumerates after flashing)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return open_port(url, baud)
        except DeviceError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.1)


def build_project(project_dir, timeout: float = 900.0) -> None:
    from .pio import run_pio
    run_pio(["run"], project_dir, timeout=timeout)


def project_model(project: dict):
    from .passes import load_model
    if not project.get("model_file"):
        raise ModelError(f"project {project['dir']} has no model file; give --model")
    return load_model(os.path.join(project["dir"], project["model_file"]))


def validate_project(project_dir, samples: int = 10, inputs=None, port: Optional[str] = None,
                     seed: int = 0, reference=None, progress: bool = False,
                     on_sample=None, client_options: Optional[dict] = None,
                     build: bool = True, model=None,
                     baud: Optional[int] = None, quantize: bool = False,
                     what: Optional[str] = None, model_path=None,
                     check_data: bool = True) -> ValidationResult:
    """Validate a generated project's firmware: on its virtual board (started and stopped
    here) or, with `port`, on a real board already flashed.

    inputs: a .npy/.npz path (see load_inputs; at most `samples` of them are used), or the
    samples themselves (all used): an array (N, *input_shape) for a one-input model, or a
    list of samples, each a list of arrays (one per input)."""
    from .boards import load_project
    project = load_project(project_dir)
    if model is None and reference is None:
        model = project_model(project)
    if reference is None:
        from .simulator import Simulator
        reference = Simulator(model)
    if model is not None:
        expected_hash = hashlib.sha256(model.data).hexdigest()
        in_specs = [model.tensors[i] for i in model.inputs]
    else:
        expected_hash = project.get("model_hash")
        from .protocol import io_infos_from_manifest
        in_specs = io_infos_from_manifest(project.get("inputs") or [])
    if isinstance(inputs, (str, os.PathLike)):
        sample_list = inputs_mod.file_samples(inputs, in_specs, samples, quantize)
    elif inputs is not None:
        sample_list = inputs_mod.memory_samples(inputs, in_specs, quantize)
    else:
        sample_list = inputs_mod.default_samples(in_specs, samples, seed)
    if what is None:
        what = project.get("source") or "the project's model"
    if model is not None and model_path:
        what = os.path.basename(os.fspath(model_path))
    opts = dict(client_options or {})
    board = project.get("board", "")
    expected_data = None
    if check_data and model is not None and project.get("protocol", "tflm-py") == "tflm-py":
        expected_data = project_data_check(project, expected_hash) or \
            _expected_data(model)
    if model is not None and "invoke_timeout" not in opts and \
            project.get("protocol", "tflm-py") == "tflm-py":
        from .boards import get_board
        try:
            hz = get_board(board).clock_hz
        except ModelError:
            hz = None
        opts["invoke_timeout"] = expected_invoke_seconds(model, hz)
    if port is None and project.get("virtual"):
        program = project_program(project)
        # the board's safety-net lifetime: generous, but a forgotten board still ends
        lifetime = 300.0 + len(sample_list) * (float(opts.get("invoke_timeout", 60.0)) + 10.0)
        virtual = VirtualBoard(project, lifetime=lifetime)
        if virtual.running_board() is None:
            if build:       # incremental: the firmware always matches the project's sources
                build_project(project["dir"])
            elif not program.is_file():
                raise DeviceError(f"{program} not built yet (pio run)")
        with virtual as vb:
            link = connect(vb.info["url"], baud or project.get("baud", 115200))
            try:
                return validate_link(link, project.get("protocol", "tflm-py"), opts,
                                     reference, sample_list, expected_hash, what, progress,
                                     on_sample, board, expected_data)
            finally:
                link.close()
    if port is None:
        raise ModelError(f"{board} is a real board: give its serial port with --port "
                         f"(e.g. /dev/ttyACM0)")
    link = connect(port, baud or project.get("baud", 115200))
    try:
        return validate_link(link, project.get("protocol", "tflm-py"), opts, reference,
                             sample_list, expected_hash, what, progress, on_sample, board,
                             expected_data)
    finally:
        link.close()


def validate_link(link, protocol: str, client_options: Optional[dict], reference, samples,
                  expected_hash=None, what: str = "the model", progress: bool = False,
                  on_sample=None, board: str = "", expected_data=None) -> ValidationResult:
    """validate_device over an open port with the firmware's protocol: "tflm-py" (the
    validation firmware) or "mlperf-tiny" (the MLPerf Tiny benchmark firmware)."""
    opts = dict(client_options or {})
    if protocol == "mlperf-tiny":
        from . import mlperf
        client = mlperf.MlperfClient(link, invoke_timeout=float(opts.get("invoke_timeout",
                                                                         120.0)))
        return mlperf.validate_device(client, reference, samples, expected_hash, what,
                                      progress, on_sample, board)
    if protocol != "tflm-py":
        raise ModelError(f"unknown firmware protocol {protocol!r}")
    return validate_device(Client(link, **opts), reference, samples, expected_hash, what,
                           progress, on_sample, board, expected_data)


def _expected_data(model):
    from .codegen import expected_data_crcs
    return expected_data_crcs(model)


def project_data_check(project: dict, model_hash: Optional[str]) -> Optional[list]:
    """The generator's data_check list from the project's bundle manifest, if it is for the
    model with sha256 `model_hash`."""
    import json
    from pathlib import Path
    f = Path(project["dir"]) / "lib" / str(project.get("prefix", "")) / "manifest.json"
    try:
        m = json.loads(f.read_text())
    except (OSError, ValueError):
        return None
    if model_hash and m.get("model_hash") != model_hash:
        return None
    dc = m.get("data_check")
    return [int(v) for v in dc] if isinstance(dc, list) else None


def expected_invoke_seconds(model, clock_hz: Optional[int] = None) -> float:
    """A generous budget for one inference: ~30 instructions per MAC plus 50 per activation
    byte at the board's clock (16 MHz if unknown), x5, at least 5 s."""
    from .inspect import op_macs
    macs = sum(op_macs(op, model) for op in model.operators)
    acts = sum(model.tensors[t].nbytes for op in model.operators for t in op.outputs if t >= 0)
    instructions = 30 * macs + 50 * acts + 100_000
    return max(5.0, 5.0 * instructions / float(clock_hz or 16_000_000))
