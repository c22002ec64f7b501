"""MLPerf Tiny's official runner, replayed: for each benchmark (kws01, vww01, ic01, ad01, sww01) the
exact byte stream the runner sends (`name%`, `profile%`, `db load N%`, `db HEX%` in 31-byte
chunks, `infer N W%`, `results%`, each answer read up to the line holding `m-ready`) goes to
the MLPerf Tiny firmware on the QEMU board, with the benchmark's own payload (int8 features,
U8C3 image bytes, float32 log-mel values); every `m-results-[...]` is checked against the
simulator fed the input converted as the reference submissions convert it; every line read
must be printable ASCII (the runner decodes byte by byte), sww01's streaming commands get one
error line and m-ready, a garbled command an ASCII answer. Also: the U8C3
conversion on a fixed image, the declared virtual clock in the name line and in m-lap-us,
`tflm-py serve` behind a pty, and the runner's port-discovery shim."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import MODELS
from tflm_py import boards, harness, load_model, mlperf_firmware
from tflm_py.mlperf_firmware import quantize_like_firmware, u8_to_model_input
from tflm_py.simulator import Simulator
from tflm_py.testgen.networks import resnet8, vww_mobilenet_v1_025

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", autouse=True)
def private_pio_core(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("TFLM_PY_PIO_CORE", str(tmp_path_factory.mktemp("pio_core")))
    yield
    mp.undo()


def fixed_image(h, w):
    """A deterministic U8C3 picture: gradients in R and G, a checkerboard in B, the extremes
    0 and 255 included."""
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 255) // max(w - 1, 1)
    g = (y * 255) // max(h - 1, 1)
    b = np.where((x // 4 + y // 4) % 2 == 0, 255, 0)
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


# ------------------------------------------------------------------------ no board

def test_u8c3_conversion_on_a_fixed_image():
    img = fixed_image(8, 8)
    x = u8_to_model_input(img.tobytes())
    assert x.dtype == np.int8
    assert np.array_equal(x.astype(np.int32), img.reshape(-1).astype(np.int32) - 128)
    assert x.min() == -128 and x.max() == 127
    assert mlperf_firmware.model_input_to_u8(x) == img.tobytes()


def test_input_modes_follow_the_benchmark():
    i8 = lambda shape: {"dtype": "int8", "shape": list(shape),  # noqa: E731
                        "bytes": int(np.prod(shape))}
    spec = mlperf_firmware.firmware_spec
    assert spec([i8((1, 96, 96, 3))], [i8((1, 2))], "vww01")["input_mode"] == "u8-minus-128"
    assert spec([i8((1, 32, 32, 3))], [i8((1, 10))], "ic01")["input_mode"] == "u8-minus-128"
    assert spec([i8((1, 49, 10, 1))], [i8((1, 12))], "kws01")["input_mode"] == "int8"
    assert spec([i8((1, 640))], [i8((1, 640))], "ad01")["input_mode"] == "float32"
    assert spec([i8((1, 49, 10, 1))], [i8((1, 12))], "sww01")["input_mode"] == "int8"
    # overridable; refused where the model cannot take it
    assert spec([i8((1, 8))], [i8((1, 2))], "vww01", input_mode="int8")["input_mode"] == "int8"
    with pytest.raises(ValueError, match="single int8 input"):
        spec([i8((1, 8)), i8((1, 8))], [i8((1, 2))], "kws01", input_mode="u8-minus-128")
    with pytest.raises(ValueError, match="float32 buffer"):
        spec([i8((1, 96, 96, 3))], [i8((1, 2))], "vww01", input_mode="float32")


def test_example_devices_yaml_matches_the_shim():
    """examples/mlperf_tiny/devices.yaml: one active DUT entry, with the baud rates the
    runner looks up for its performance and accuracy modes and the USB id the port shim
    gives the pty; the Nucleo's entry (commented out) as its ST-LINK port."""
    import yaml
    text = (ROOT / "examples" / "mlperf_tiny" / "devices.yaml").read_text()
    devices = yaml.safe_load(text)
    duts = [d for d in devices if d["type"] == "dut"]
    assert len(duts) == 1
    shim = (boards.boards_dir() / "mlperf_runner" / "sitecustomize.py").read_text()
    vid = int(re.search(r'"TFLM_PY_MLPERF_VID", "(0x[0-9a-fA-F]+)"', shim).group(1), 16)
    pid = int(re.search(r'"TFLM_PY_MLPERF_PID", "(0x[0-9a-fA-F]+)"', shim).group(1), 16)
    assert duts[0]["usb"] == {vid: pid}
    assert duts[0]["baud"]["performance"] == duts[0]["baud"]["accuracy"] == 115200
    nucleo = yaml.safe_load("\n".join(ln.replace("# ", "", 1) for ln in text.splitlines()
                                      if ln.startswith("# ") and ln[2:3] in ("-", " ")))
    assert nucleo == [{"name": "l4r5zi", "type": "dut", "usb": {0x0483: 0x374B},
                       "baud": {"performance": 115200, "accuracy": 115200}}]


def test_model_id_is_printable_and_short():
    io = {"dtype": "int8", "shape": [1, 8], "bytes": 8}
    assert mlperf_firmware.firmware_spec([io], [io], "my-model_1.0")["model_id"] == "my-model_1.0"
    for bad in ("", "kws01]", 'a"b', "x" * 33, "kws\u00e901", "a b"):
        with pytest.raises(ValueError, match="model id"):
            mlperf_firmware.firmware_spec([io], [io], bad)


def test_runner_shim_lists_a_port_without_usb_id(tmp_path):
    shim = boards.boards_dir() / "mlperf_runner"
    code = ("from serial.tools import list_ports\n"
            "print([(p.device, p.vid, p.pid) for p in list_ports.comports(True) if p.vid])")
    env = dict(os.environ, PYTHONPATH=str(shim), TFLM_PY_MLPERF_PORT=str(tmp_path / "dut"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert f"('{tmp_path / 'dut'}', 4617, 1)" in out
    env.pop("TFLM_PY_MLPERF_PORT")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert str(tmp_path / "dut") not in out


# ------------------------------------------------------------------------ the runner's bytes

class RunnerLink:
    """Writes and reads exactly as the runner's SerialDevice does: `command%`, then lines
    (CR, LF and NUL dropped) until one contains `m-ready`, 5 s at most per line."""

    def __init__(self, port, line_timeout=5.0):
        self.port = port
        self.line_timeout = line_timeout
        self.buf = b""
        self.sent = []
        self.lines = []     # every line read

    def _line(self):
        deadline = time.monotonic() + self.line_timeout
        while b"\n" not in self.buf:
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer line within {self.line_timeout} s "
                                     f"after {self.sent[-1]!r}")
            self.port.timeout = 0.05
            self.buf += self.port.read(max(1, getattr(self.port, "in_waiting", 0) or 1))
        line, self.buf = self.buf.split(b"\n", 1)
        line = line.replace(b"\r", b"").replace(b"\0", b"")
        # the runner decodes byte by byte in its reader thread: one byte that is not
        # printable ASCII would end its reading
        assert all(0x20 <= b < 0x7F for b in line), f"not printable ASCII: {line!r}"
        self.lines.append(line.decode("ascii"))
        return self.lines[-1]

    def send(self, command):
        return self.send_bytes(command.encode("ascii"))

    def send_bytes(self, command):
        self.sent.append(command)
        self.port.write(command)      # the runner writes the command, then its delimiter
        self.port.write(b"%")
        lines = []
        while True:
            line = self._line()
            if line:
                lines.append(line)
            if "m-ready" in line:
                return lines

    def drain_boot(self, wait=3.0):
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and b"m-ready" not in self.buf:
            self.port.timeout = 0.05
            self.buf += self.port.read(256)
        self.buf = b""

    def load(self, data, chunk=31):
        assert self.send(f"db load {len(data)}")[0] == f"m-[Expecting {len(data)} bytes]"
        lines = []
        for i in range(0, len(data), chunk):
            lines = self.send("db " + "".join(f"{d:02x}" for d in data[i:i + chunk]))
        assert "m-load-done" in lines, lines


def _results(lines):
    rs = [ln for ln in lines if ln.startswith("m-results-")]
    assert rs, lines
    m = re.match(r"^m-results-\[([^]]+)\]$", rs[-1])
    return [float(v) for v in m.group(1).split(",")]


def _dequantize(q, t):
    return ((q.astype(np.int64).ravel() - int(t.quantization.zero_point)).astype(np.float32)
            * np.float32(t.quantization.scale))


def _benchmark_case(name, tmp_path_factory):
    """(model bytes, model id, runner payloads, iterations, warmups) of one benchmark."""
    rng = np.random.default_rng(5)
    if name == "kws01":
        data = Path(MODELS["kws_ref_model"]).read_bytes()
        payloads = [rng.integers(-128, 128, size=490, dtype=np.int8).tobytes(),
                    np.full(490, -128, np.int8).tobytes()]
        return data, payloads, 10, 1
    if name == "sww01":
        # str_ww_ref_model is not in the repository: kws_ref_model stands in, reported as
        # sww01 (int8 feature frames through db/infer, as the keyword model's)
        data = Path(MODELS["kws_ref_model"]).read_bytes()
        return data, [rng.integers(-128, 128, size=490, dtype=np.int8).tobytes()], 3, 0
    if name == "ad01":
        data = Path(MODELS["ad01_int8"]).read_bytes()
        payloads = [rng.normal(-20, 8, size=640).astype("<f4").tobytes()]
        return data, payloads, 1, 0
    if name == "vww01":
        data = vww_mobilenet_v1_025(np.random.default_rng(1))
        return data, [fixed_image(96, 96).tobytes()], 1, 0
    data = resnet8(np.random.default_rng(2))
    return data, [fixed_image(32, 32).tobytes(),
                  rng.integers(0, 256, size=3072, dtype=np.uint8).tobytes()], 1, 0


@pytest.mark.parametrize("bench", ["kws01", "vww01", "ic01", "ad01", "sww01"])
def test_runner_byte_stream_on_qemu(bench, tmp_path_factory):
    for t in ("arm-none-eabi-gcc", "qemu-system-arm"):
        assert shutil.which(t), f"{t} not installed: run scripts/setup.sh"
    data, payloads, iterations, warmups = _benchmark_case(bench, tmp_path_factory)
    d = tmp_path_factory.mktemp(bench)
    (d / f"{bench}.tflite").write_bytes(data)
    model = load_model(str(d / f"{bench}.tflite"))
    proj = boards.make_project(model, "qemu-mps2-an386", d / "proj", protocol="mlperf-tiny",
                               mlperf_model=bench)
    assert boards.load_project(proj)["mlperf"]["input_mode"] == \
        {"kws01": "int8", "vww01": "u8-minus-128", "ic01": "u8-minus-128",
         "ad01": "float32", "sww01": "int8"}[bench]
    harness.build_project(proj)
    tin, tout = model.tensors[model.inputs[0]], model.tensors[model.outputs[0]]
    sim = Simulator(model)
    with harness.VirtualBoard(boards.load_project(proj), lifetime=600) as vb:
        port = harness.connect(vb.info["url"])
        try:
            link = RunnerLink(port)
            link.drain_boot()
            name = link.send("name")
            assert "m-name-dut-[tflm-py qemu-mps2-an386 virtual 120MHz]" in name
            prof = link.send("profile")
            assert f"m-model-[{bench}]" in prof
            for payload in payloads:
                link.load(payload)
                lines = link.send(f"infer {iterations} {warmups}")
                got = _results(lines)
                assert _results(link.send("results")) == got
                if bench == "ad01":
                    f = np.frombuffer(payload, "<f4")
                    q = quantize_like_firmware(f, tin.quantization.scale,
                                               tin.quantization.zero_point)
                    y = sim.run([q.reshape(tin.shape)])[0]
                    diff = _dequantize(y, tout) - f
                    want = [float(np.cumsum(diff * diff, dtype=np.float32)[-1]
                                  / np.float32(diff.size))]
                else:
                    x = (u8_to_model_input(payload) if bench in ("vww01", "ic01")
                         else np.frombuffer(payload, np.int8))
                    want = list(_dequantize(sim.run([x.reshape(tin.shape)])[0], tout))
                assert len(got) == len(want)
                assert np.allclose(got, want, rtol=1e-6, atol=0.0005 + 1e-6), (got, want)
                if bench != "ad01":
                    assert int(np.argmax(got)) == int(np.argmax(want)) or \
                        np.isclose(max(got), got[int(np.argmax(want))], atol=0.001)
                laps = [int(m.group(1)) for m in
                        (re.match(r"^m-lap-us-(\d+)$", ln) for ln in lines) if m]
                assert len(laps) == 2 and laps[1] > laps[0]
            # the streaming commands (sww01's `stop`, `start`, as the runner sends them before
            # and after playing audio) are refused with one error line, then m-ready
            for cmd in ("stop", "start", "print_detections"):
                lines = link.send(cmd)
                assert lines[-1] == "m-ready" and len(lines) == 2, lines
                assert lines[0].startswith(f"e-[{cmd}: streaming"), lines
            # a garbled command is answered in printable ASCII (checked by the link)
            lines = link.send_bytes(b"\xff\xfe\x80z\x01")
            assert lines == ["e-[Unknown command: ???z?]", "m-ready"], lines
            assert _results(link.send("results")) == got
        finally:
            port.close()


def test_virtual_lap_us_is_instructions_at_the_declared_clock(tmp_path):
    """m-lap-us on the QEMU board = instructions / 120 (a 120 MHz core, one instruction a
    cycle): the elapsed microseconds of `infer N 0` match the firmware's own instruction
    count per inference (tflm-py-outputs) times N / 120, within the bracket's overhead."""
    from tflm_py import mlperf
    proj = boards.make_project(MODELS["hello_world_int8"], "qemu-mps2-an386", tmp_path / "p",
                               protocol="mlperf-tiny", mlperf_model="kws01")
    harness.build_project(proj)
    with harness.VirtualBoard(boards.load_project(proj), lifetime=300) as vb:
        port = harness.connect(vb.info["url"])
        try:
            c = mlperf.MlperfClient(port)
            info = c.info()
            assert c.device_kv["tick-hz"] == "0"
            c.load(bytes([3]))
            r = c.infer(2000, 0)
            _, ticks, _ = c.outputs(info.outputs)
        finally:
            port.close()
    expected_us = ticks * 2000 / 120.0
    assert ticks > 100
    assert abs(r.elapsed_us - expected_us) <= 0.02 * expected_us + 10, (r.elapsed_us,
                                                                        expected_us)


def test_serve_puts_the_board_behind_a_pty(tmp_path):
    """`tflm-py serve` builds the firmware, starts QEMU and relays it to a pty; a program
    that opens the pty (as the runner does, with pyserial) gets the runner's answers; SIGTERM
    ends it with the board, and the link is removed."""
    import serial
    pty_path = tmp_path / "dut"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "tflm_py", "serve", MODELS["kws_ref_model"],
                             "--pty", str(pty_path), "-o", str(tmp_path / "proj")],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("serving "):
                break
        assert any(ln.startswith("serving ") for ln in lines), "".join(lines)
        assert "TFLM_PY_MLPERF_PORT=" in proc.stdout.readline() + proc.stdout.readline()
        model = load_model(MODELS["kws_ref_model"])
        tin, tout = model.tensors[model.inputs[0]], model.tensors[model.outputs[0]]
        x = np.random.default_rng(3).integers(-128, 128, size=490, dtype=np.int8)
        for _ in range(2):    # the device file may be opened and closed again
            with serial.Serial(str(pty_path), 115200, timeout=0.1) as port:
                link = RunnerLink(port)
                assert any(ln.startswith("m-name-dut-[tflm-py") for ln in link.send("name"))
                assert "m-model-[kws01]" in link.send("profile")
                link.load(x.tobytes())
                got = _results(link.send("infer 1 0"))
        want = _dequantize(Simulator(model).run([x.reshape(tin.shape)])[0], tout)
        assert np.allclose(got, want, atol=0.0005 + 1e-6)
        state = tmp_path / "proj" / ".pio" / "build"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert not pty_path.exists() and not pty_path.is_symlink()
        program = str(next(state.rglob("program.elf")))
        time.sleep(0.5)
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        assert program not in ps, "the virtual board outlived serve"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
