"""The MLPerf Tiny benchmark protocol (EEMBC EnergyRunner "DUT" protocol of mlcommons/tiny
`benchmark/api`): what `tflm-py generate MODEL --board B --protocol mlperf-tiny` puts on the
board (codegen/firmware/mlperf_main.c.j2), and a host client that speaks it.

The protocol is text over the serial port. The host sends a command ended by '%'; the
device answers with lines (CR LF) and ends every answer with `m-ready`:

    name               m-name-dut-[tflm-py BOARD] (+ ' virtual 120MHz' on QEMU)
    profile            m-profile-[ULPMark for tinyML Firmware V0.0.1]  m-model-[kws01]
    timestamp          m-lap-us-<us>
    db load N          m-[Expecting N bytes]
    db <hex>           (up to 31 bytes a command, as the runner sends them) ... m-load-done
    infer N W          m-warmup-start-W m-warmup-done m-infer-start-N m-lap-us-<t0>
                       m-lap-us-<t1> m-infer-done m-results-[v0,v1,...]
    results            m-results-[v0,v1,...]
    start, stop, print_detections
                       e-[...] (sww01's streaming mode needs an I2S audio path)
    errors             e-[...]

At boot the firmware prints m-timestamp-mode-performance, a timestamp, m-init-done and
m-ready. How the `db` data becomes the model's input depends on the benchmark (kws01 int8
as sent, vww01/ic01 U8C3 bytes minus 128, ad01 float32 quantized on the device): see
tflm_py.mlperf_firmware, which also defines what the firmware is built with. `m-results`
holds the dequantized outputs with 3 decimals; for `ad01` the anomaly score, the mean
squared error between the dequantized output and the input, as MLPerf Tiny's reference
firmware reports.

Two extension commands, which the official runner never sends, let this client check the
firmware bit for bit: `tflm-py-info` (model sha256, arena, tick unit, inputs and outputs)
and `tflm-py-outputs` (the raw output bytes and tick count of the last inference).

Timing: `m-lap-us` comes from the port's tick counter (DWT cycles / clock on Cortex-M, the
ESP32's CCOUNT, micros()); on the QEMU board it is the instruction count timed at a declared
clock (mlperf_firmware.VIRTUAL_CLOCK_HZ, 120 MHz), said in the name line. Each `infer`
resets the model's state, then copies the loaded input into the arena before every
inference (the arena may reuse the input's bytes), so N inferences time N identical runs.
Only the performance mode is generated: the energy mode's GPIO timestamp pin is board
wiring this firmware does not assume.
"""
from __future__ import annotations

import re
import struct
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

from .protocol import DeviceError, DeviceInfo, IOInfo, TYPE_DTYPES

from .mlperf_firmware import (CMD_MAX, DB_CHUNK, FLOAT_DB_LIMIT, INPUT_MODES, MODEL_IDS,  # noqa: F401
                              PROFILE, VENDOR, firmware_spec, guess_model_id,
                              model_input_to_u8, quantize_like_firmware)

PROTOCOL = "mlperf-tiny"


# -------------------------------------------------------------- the firmware's arithmetic

def dequantize_like_firmware(q, io: IOInfo) -> np.ndarray:
    q = np.asarray(q)
    if io.type == 0:
        return q.astype(np.float32).ravel()
    if io.type == 2 and io.scale == 0.0:
        return q.astype(np.float32).ravel()
    return ((q.astype(np.int64).ravel() - int(io.zero_point)).astype(np.float32)
            * np.float32(io.scale))


def expected_results(spec: dict, in_infos: Sequence[IOInfo], out_infos: Sequence[IOInfo],
                     staged: Sequence[np.ndarray], outputs: Sequence[np.ndarray],
                     float_values: Optional[np.ndarray] = None) -> list:
    """What the firmware prints in m-results-[...] (before its 3-decimal rounding)."""
    if spec["ad01"]:
        x = (np.asarray(float_values, np.float32).ravel() if float_values is not None
             else dequantize_like_firmware(staged[0], in_infos[0]))
        d = dequantize_like_firmware(outputs[0], out_infos[0]) - x
        acc = np.cumsum(d * d, dtype=np.float32)       # sequential float32 sum, as in C
        return [float(acc[-1] / np.float32(len(d)))]
    vals = []
    for y, io in zip(outputs, out_infos):
        vals += [float(v) for v in dequantize_like_firmware(y, io)]
    return vals


def results_match(expected: Sequence[float], got: Sequence[float]) -> tuple[bool, int]:
    """(all within the 3-decimal rounding, index of the first that is not or -1)."""
    if len(expected) != len(got):
        return False, min(len(expected), len(got))
    for k, (e, g) in enumerate(zip(expected, got)):
        if np.isnan(e) and np.isnan(g):
            continue
        if not abs(e - g) <= 0.0005 + 1e-6 * abs(e) + 1e-9:
            return False, k
    return True, -1


# ------------------------------------------------------------------------- the client

@dataclass
class InferResult:
    results: list
    start_us: Optional[int]
    end_us: Optional[int]
    iterations: int
    warmups: int
    lines: list = field(default_factory=list)

    @property
    def elapsed_us(self) -> Optional[int]:
        if self.start_us is None or self.end_us is None:
            return None
        return self.end_us - self.start_us


def _parse_results(line: str) -> list:
    m = re.match(r"^m-results-\[([^\]]*)\]$", line)
    if not m:
        raise DeviceError(f"malformed results line {line!r}")
    try:
        return [float(v) for v in m.group(1).split(",") if v.strip()]
    except ValueError:
        raise DeviceError(f"malformed results line {line!r}") from None


class MlperfClient:
    """Host side of the MLPerf Tiny DUT protocol over a pyserial-like port."""

    def __init__(self, port, timeout: float = 5.0, invoke_timeout: float = 120.0,
                 chunk: int = DB_CHUNK, boot_wait: float = 1.5,
                 clock: Callable[[], float] = time.monotonic):
        self.port = port
        self.timeout = timeout
        self.invoke_timeout = invoke_timeout
        self.chunk = chunk
        self.boot_wait = boot_wait
        self.clock = clock
        self.buf = bytearray()
        self.log: list[str] = []      # every line received (the last 200)
        self.stats = {"commands": 0, "lines": 0}
        self.synced = False
        self.device_kv: dict = {}     # the key/value lines of the last tflm-py-info

    # -- plumbing
    def _fill(self, deadline: float) -> bool:
        remaining = deadline - self.clock()
        if remaining <= 0:
            return False
        try:
            self.port.timeout = min(remaining, 0.05)
            n = getattr(self.port, "in_waiting", 0) or 1
            data = self.port.read(n)
        except Exception as e:
            raise DeviceError(f"serial link failed: {e}") from None
        if data:
            self.buf += data
        return True

    def read_line(self, deadline: float) -> Optional[str]:
        """The next line (without CR/LF/NUL), or None at the deadline."""
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                raw = bytes(self.buf[:i])
                del self.buf[:i + 1]
                line = raw.decode("latin-1").replace("\r", "").replace("\0", "").strip()
                if not line:
                    continue
                self.stats["lines"] += 1
                self.log.append(line)
                del self.log[:-200]
                return line
            if not self._fill(deadline):
                return None

    def write(self, text: str) -> None:
        try:
            self.port.write(text.encode("ascii"))
            flush = getattr(self.port, "flush", None)
            if flush:
                flush()
        except Exception as e:
            raise DeviceError(f"serial link failed: {e}") from None

    def command(self, cmd: str, timeout: Optional[float] = None,
                expect: Optional[str] = None) -> list:
        """Send `cmd%`, return the answer's lines up to `m-ready`. With `expect` (a regex),
        an `m-ready` before a matching line is a stale one and is skipped. A line `e-[...]`
        raises DeviceError."""
        if len(cmd) > CMD_MAX:
            raise ValueError(f"command longer than {CMD_MAX} characters")
        if not self.synced:
            self.sync()
        self.stats["commands"] += 1
        self.write(cmd + "%")
        deadline = self.clock() + (self.timeout if timeout is None else timeout)
        lines, errors, seen = [], [], expect is None
        while True:
            line = self.read_line(deadline)
            if line is None:
                raise DeviceError(f"MLPerf Tiny command {cmd.split(' ')[0]!r}: no m-ready "
                                  f"within {self.timeout if timeout is None else timeout:.0f}"
                                  f" s (got {lines[-3:] or 'nothing'}); is the board running "
                                  f"the mlperf-tiny firmware and is the port right?")
            if line == "m-ready":
                if seen or errors:
                    break
                continue
            if line.startswith("e-"):
                errors.append(line)
            if expect is not None and re.match(expect, line):
                seen = True
            lines.append(line)
        if errors:
            raise DeviceError(f"MLPerf Tiny command {cmd[:40]!r} failed on the device: "
                              + "; ".join(errors))
        return lines

    def sync(self) -> None:
        """Be in step with the firmware: read its boot messages if it just started, then
        an empty command (a bare '%', as the runner flushes) must be answered by m-ready."""
        deadline = self.clock() + self.boot_wait
        while True:
            line = self.read_line(deadline)
            if line is None or line == "m-ready":
                break
        for _ in range(3):
            self.write("%")
            deadline = self.clock() + self.timeout
            while True:
                line = self.read_line(deadline)
                if line is None or line == "m-ready":
                    break
            if line == "m-ready":
                # anything still in flight (a late boot message) is not an answer
                while self.read_line(self.clock() + 0.2) is not None:
                    pass
                self.synced = True
                return
            if self.buf and not bytes(self.buf).strip(b"%") and len(self.buf) > 1:
                # our bare '%' came back, twice, and nothing else: a loopback, not a board
                raise DeviceError("the port sends back exactly what the host sends (a "
                                  "loopback, or a port that echoes), and no MLPerf Tiny "
                                  "firmware answers on it: is the port right?")
        raise DeviceError("no m-ready from the device: is it running MLPerf Tiny firmware "
                          "(tflm-py generate --protocol mlperf-tiny) and is the port right?")

    # -- the standard commands
    def name(self) -> str:
        for line in self.command("name", expect=r"^m-name-"):
            m = re.match(r"^m-name-dut-\[([^\]]+)\]$", line)
            if m:
                return m.group(1)
        raise DeviceError("no m-name-dut-[...] in the answer to 'name'")

    def profile(self) -> dict:
        out = {}
        for line in self.command("profile", expect=r"^m-model-"):
            m = re.match(r"^m-(model|profile)-\[([^\]]+)\]$", line)
            if m:
                out[m.group(1)] = m.group(2)
        if "model" not in out:
            raise DeviceError("no m-model-[...] in the answer to 'profile'")
        return out

    def timestamp(self) -> int:
        for line in self.command("timestamp", expect=r"^m-lap-us-"):
            m = re.match(r"^m-lap-us-(\d+)$", line)
            if m:
                return int(m.group(1))
        raise DeviceError("no m-lap-us-N in the answer to 'timestamp'")

    def load(self, data: bytes) -> None:
        """`db load N`, then the bytes as hex, `chunk` bytes a command."""
        data = bytes(data)
        if not data:
            raise ValueError("nothing to load")
        lines = self.command(f"db load {len(data)}", expect=r"^m-\[Expecting")
        if not any(ln == f"m-[Expecting {len(data)} bytes]" for ln in lines):
            raise DeviceError(f"'db load {len(data)}' answered {lines}")
        for off in range(0, len(data), self.chunk):
            part = data[off:off + self.chunk]
            last = off + self.chunk >= len(data)
            lines = self.command("db " + part.hex(),
                                 expect=r"^m-load-done$" if last else None)
        if "m-load-done" not in lines:
            raise DeviceError("no m-load-done after the last 'db' command")

    def infer(self, iterations: int = 1, warmups: int = 0,
              timeout: Optional[float] = None) -> InferResult:
        lines = self.command(f"infer {int(iterations)} {int(warmups)}",
                             timeout=timeout or self.invoke_timeout, expect=r"^m-results-")
        laps = [int(m.group(1)) for m in (re.match(r"^m-lap-us-(\d+)$", ln) for ln in lines)
                if m]
        res = [ln for ln in lines if ln.startswith("m-results-")]
        if "m-infer-done" not in lines or not res:
            raise DeviceError(f"incomplete answer to 'infer': {lines}")
        return InferResult(_parse_results(res[-1]), laps[0] if laps else None,
                           laps[1] if len(laps) > 1 else None, iterations, warmups, lines)

    def results(self) -> list:
        lines = self.command("results", expect=r"^m-results-")
        return _parse_results([ln for ln in lines if ln.startswith("m-results-")][-1])

    # -- tflm-py's extensions
    def info(self) -> DeviceInfo:
        kv, ios = {}, {"input": {}, "output": {}}
        for line in self.command("tflm-py-info", expect=r"^m-tflm-py-sha256-"):
            m = re.match(r"^m-tflm-py-(input|output)-(\d+)-\[(.*)\]$", line)
            if m:
                f = dict(p.split("=", 1) for p in m.group(3).split())
                dims = tuple(int(d) for d in f["dims"].split(",") if d)
                (scale,) = struct.unpack("<f", struct.pack("<I", int(f["scale"], 16)))
                ios[m.group(1)][int(m.group(2))] = IOInfo(int(f["type"]), dims,
                                                          int(f["bytes"]), float(scale),
                                                          int(f["zero_point"]))
                continue
            m = re.match(r"^m-tflm-py-([a-z0-9-]+)-\[(.*)\]$", line)
            if m:
                kv[m.group(1)] = m.group(2)
        self.device_kv = kv
        try:
            return DeviceInfo(0, 0, False, int(kv["arena"]), int(kv["state"]), int(kv["ops"]),
                              int(kv["tick-hz"]), kv["tick-unit"], kv["board"], kv["sha256"],
                              [ios["input"][k] for k in sorted(ios["input"])],
                              [ios["output"][k] for k in sorted(ios["output"])])
        except (KeyError, ValueError) as e:
            raise DeviceError(f"malformed answer to 'tflm-py-info' ({e})") from None

    def outputs(self, infos: Sequence[IOInfo]) -> tuple[list, int, int]:
        """(the last inference's outputs as arrays, ticks per inference, invoke result)."""
        raw, ticks, result = {}, 0, 0
        for line in self.command("tflm-py-outputs", expect=r"^m-tflm-py-ticks-"):
            m = re.match(r"^m-tflm-py-output-(\d+)-\[([0-9a-f]*)\]$", line)
            if m:
                raw[int(m.group(1))] = bytes.fromhex(m.group(2))
                continue
            m = re.match(r"^m-tflm-py-(ticks|result)-\[(-?\d+)\]$", line)
            if m and m.group(1) == "ticks":
                ticks = int(m.group(2))
            elif m:
                result = int(m.group(2))
        outs = []
        for k, io in enumerate(infos):
            b = raw.get(k)
            if b is None or len(b) != io.bytes:
                raise DeviceError(f"tflm-py-outputs: output {k} missing or not {io.bytes} bytes")
            outs.append(np.frombuffer(b, dtype=np.dtype(TYPE_DTYPES[io.type])).reshape(io.shape))
        return outs, ticks, result


# ------------------------------------------------------------------------- validation

def input_bytes(xs: Sequence, infos: Sequence[IOInfo]) -> bytes:
    out = b""
    for k, (x, io) in enumerate(zip(xs, infos)):
        a = np.asarray(x)
        if a.size != int(np.prod(io.shape)):
            raise DeviceError(f"input {k} has {a.size} values, the firmware needs "
                              f"{int(np.prod(io.shape))}")
        out += np.ascontiguousarray(a.astype(np.dtype(TYPE_DTYPES[io.type]))).tobytes()
    return out


def validate_device(client: MlperfClient, reference, samples: Sequence[Sequence[np.ndarray]],
                    expected_hash: Optional[str] = None, what: str = "the model",
                    progress: bool = False, on_sample: Optional[Callable] = None,
                    board: str = "", float_inputs: bool = False, iterations: int = 1,
                    warmups: int = 0):
    """Run every sample through the MLPerf Tiny commands (db load, db, infer N W) and
    compare with `reference` (.reset(), .run(inputs)): the raw outputs bit for bit
    (tflm-py-outputs) and m-results-[...] within its 3-decimal rounding.

    float_inputs: the samples are float32 values sent as float32 (the firmware quantizes
    them, as MLPerf Tiny's anomaly-detection data), else quantized inputs sent as bytes."""
    from .harness import (SampleResult, ValidationResult, _Progress, check_device,
                          compare_outputs)
    t0 = time.monotonic()
    info = client.info()
    check_device(info, expected_hash, what=what)
    prof = client.profile()
    mode = client.device_kv.get("input-mode")
    spec = firmware_spec(info.inputs, info.outputs, prof["model"],
                         input_mode=mode if mode in INPUT_MODES else None)
    if float_inputs and not spec["float_input"]:
        raise DeviceError("this firmware takes no float32 input (only a single int8, int16 or "
                          f"uint8 input of at most {FLOAT_DB_LIMIT // 4} elements does)")
    result = ValidationResult(info=info, board=board or info.board)
    result.link = {"protocol": PROTOCOL, "model_id": prof["model"], "elapsed_us": []}
    bar = _Progress(len(samples), progress)
    try:
        for n, xs in enumerate(samples):
            bar.update(n, "loading")
            if len(xs) != len(info.inputs):
                raise DeviceError(f"sample {n} has {len(xs)} inputs, the firmware "
                                  f"{len(info.inputs)}")
            fvals = None
            if float_inputs:
                fvals = np.asarray(xs[0], dtype=np.float32).reshape(info.inputs[0].shape)
                staged = [quantize_like_firmware(fvals, info.inputs[0].scale,
                                                 info.inputs[0].zero_point,
                                                 np.dtype(TYPE_DTYPES[info.inputs[0].type]))]
                data = np.ascontiguousarray(fvals.astype("<f4")).tobytes()
            elif spec["input_mode"] == "u8-minus-128":
                # as the runner sends vww01/ic01 data: U8C3 bytes, the firmware subtracts 128
                raw = input_bytes(xs, info.inputs)
                staged = [np.frombuffer(raw, dtype=np.int8).reshape(info.inputs[0].shape)]
                data = model_input_to_u8(staged[0])
            else:
                data = input_bytes(xs, info.inputs)
                staged, off = [], 0
                for io in info.inputs:
                    dt = np.dtype(TYPE_DTYPES[io.type])
                    staged.append(np.frombuffer(data[off:off + io.bytes], dtype=dt)
                                  .reshape(io.shape))
                    off += io.bytes
            client.load(data)
            bar.update(n, "inferring")
            r = client.infer(iterations, warmups)
            got, ticks, status = client.outputs(info.outputs)
            if status != 0:
                raise DeviceError(f"sample {n}: the model's invoke returned {status}")
            reference.reset()
            expected = None
            for _ in range(warmups + iterations):
                expected = reference.run([np.asarray(s) for s in staged])
            equal, max_diff, count, first = compare_outputs(expected, got)
            want = expected_results(spec, info.inputs, info.outputs, staged, expected, fvals)
            ok, k = results_match(want, r.results)
            if not ok:
                equal = False
                count += 1
                if first is None:
                    first = {"output": "m-results", "flat_index": k, "index": [k],
                             "expected": round(want[k], 3) if k < len(want) else None,
                             "got": r.results[k] if k < len(r.results) else None}
            s = SampleResult(n, equal, max_diff, int(ticks), count, first, None)
            s.outputs = [np.asarray(g) for g in got]
            s.results = list(r.results)
            result.samples.append(s)
            result.link["elapsed_us"].append(r.elapsed_us)
            if on_sample:
                on_sample(s, result)
        bar.update(len(samples), "done")
    finally:
        bar.close()
    result.link.update(client.stats)
    result.elapsed = time.monotonic() - t0
    return result
