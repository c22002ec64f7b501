"""The MLPerf Tiny benchmark firmware (`--protocol mlperf-tiny`): the EEMBC EnergyRunner DUT
protocol of mlcommons/tiny, driven on the QEMU Cortex-M4 board by tflm_py.mlperf's client
exactly as the official runner drives a board (name, profile, db load, db in 31-byte
chunks, infer N W, results), and checked against the simulator: raw outputs bit for bit,
m-results within their 3-decimal rounding."""
import json
import re
import shutil
import subprocess
import time

import numpy as np
import pytest

from conftest import MODELS
from tflm_py import boards, harness, load_model, mlperf, mlperf_firmware
from tflm_py.codegen import generate
from tflm_py.protocol import DeviceError
from tflm_py.simulator import Simulator


@pytest.fixture(scope="module", autouse=True)
def private_pio_core(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("TFLM_PY_PIO_CORE", str(tmp_path_factory.mktemp("pio_core")))
    yield
    mp.undo()


def _needs_qemu():
    for t in ("arm-none-eabi-gcc", "qemu-system-arm"):
        assert shutil.which(t), f"{t} not installed: run scripts/setup.sh"


# ------------------------------------------------------------------------ no board

def test_model_ids_are_guessed_from_name_or_shape():
    assert mlperf.guess_model_id("kws_ref_model.tflite", [(1, 49, 10, 1)]) == "kws01"
    assert mlperf.guess_model_id("ad01_int8.tflite", [(1, 640)]) == "ad01"
    assert mlperf.guess_model_id("model.tflite", [(1, 96, 96, 3)]) == "vww01"
    assert mlperf.guess_model_id("net.tflite", [(1, 32, 32, 3)]) == "ic01"
    assert mlperf.guess_model_id("net.tflite", [(1, 640)]) == "ad01"
    assert mlperf.guess_model_id("hello.tflite", [(1, 1)], "hello") == "hello"


def test_firmware_spec():
    m = load_model(MODELS["kws_ref_model"])
    man = {"inputs": [{"dtype": "int8", "shape": [1, 49, 10, 1], "bytes": 490}],
           "outputs": [{"dtype": "int8", "shape": [1, 12], "bytes": 12}]}
    s = mlperf.firmware_spec(man["inputs"], man["outputs"], "kws01")
    assert s == {"model_id": "kws01", "input_mode": "int8", "in_bytes": 490, "float_input": True,
                 "in_elem_bytes": 1, "in_uint8": False, "db_bytes": 1960, "ad01": False,
                 "virtual_clock_hz": mlperf_firmware.VIRTUAL_CLOCK_HZ}
    ad = {"dtype": "int8", "shape": [1, 640], "bytes": 640}
    assert mlperf.firmware_spec([ad], [ad], "ad01")["ad01"] is True
    assert mlperf.firmware_spec([ad], [ad], "kws01")["ad01"] is False
    big = {"dtype": "int8", "shape": [1, 96, 96, 3], "bytes": 27648}
    s = mlperf.firmware_spec([big], [{"dtype": "int8", "shape": [1, 2], "bytes": 2}], "vww01")
    assert s["float_input"] is False and s["db_bytes"] == 27648
    i16 = {"dtype": "int16", "shape": [1, 8], "bytes": 16}
    s = mlperf.firmware_spec([i16], [i16], "ad01")
    assert s["input_mode"] == "float32" and s["float_input"] is True
    assert s["in_elem_bytes"] == 2 and s["db_bytes"] == 32 and s["ad01"] is True
    assert mlperf.firmware_spec([i16], [i16], "vww01")["input_mode"] == "int8"
    assert mlperf_firmware.check_input_mode("u8-minus-128", [i16]) is not None
    i32 = {"dtype": "int32", "shape": [1, 8], "bytes": 32}
    assert mlperf.firmware_spec([i32], [i32], "ad01")["float_input"] is False
    assert m.name == "kws_ref_model"


def test_quantize_like_firmware():
    x = np.array([0.0, 0.25, 0.5, 0.75, -0.5, -0.75, 1.5, 1e9, -1e9, np.nan, 126.4, -300],
                 np.float32)
    q = mlperf.quantize_like_firmware(x, 0.5, 3)
    # x / 0.5 = 0, .5, 1, 1.5, -1, -1.5, 3, big, -big, nan, 252.8, -600; halves away from 0
    assert q.tolist() == [3, 4, 4, 5, 2, 1, 6, 127, -128, 3, 127, -128]
    q = mlperf.quantize_like_firmware(x, 0.5, 3, np.int16)
    assert q.dtype == np.int16
    assert q.tolist() == [3, 4, 4, 5, 2, 1, 6, 32767, -32768, 3, 256, -597]


def _compile(cc_args, src, inc, tmp_path):
    r = subprocess.run([*cc_args, "-std=c99", "-Wall", "-Wextra", "-Werror", "-c", str(src),
                        "-I", str(inc), "-o", str(tmp_path / "main.o")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("float_input,ad01,mode,board", [
    (False, False, "int8", "nucleo_l4r5zi"), (True, False, "int8", "nucleo_l4r5zi"),
    (False, True, "float32", "nucleo_l4r5zi"), (True, True, "float32", "qemu-mps2-an386"),
    (False, False, "u8-minus-128", "qemu-mps2-an386"), (True, False, "u8-minus-128", "pico"),
    (True, True, "float32/int16", "nucleo_l4r5zi"), (True, True, "float32/uint8", "pico"),
    (False, False, "uint8", "qemu-mps2-an386")])
def test_firmware_compiles_cleanly(float_input, ad01, mode, board, tmp_path):
    """Every variant of the template compiles without a warning for the host and for the
    Cortex-M4F (-Os), against the port header."""
    man = generate(load_model(MODELS["kws_ref_model"]), tmp_path / "b", prefix="kws")
    spec = mlperf.firmware_spec(man["inputs"], man["outputs"], "ad01" if ad01 else "kws01",
                                input_mode="int8" if mode == "uint8" else mode.split("/")[0])
    spec.update(float_input=float_input, ad01=ad01, in_elem_bytes=2 if "int16" in mode else 1,
                in_uint8="uint8" in mode, input_mode=mode.split("/")[0],
                db_bytes=spec["in_bytes"] * (4 if float_input else 1))
    src = tmp_path / "main.c"
    src.write_text(boards.render_mlperf_firmware("kws", boards.get_board(board), spec))
    shutil.copyfile(boards.boards_dir() / "ports" / "tflm_py_port.h",
                    tmp_path / "b" / "tflm_py_port.h")
    _compile(["gcc", "-O2"], src, tmp_path / "b", tmp_path)
    _compile(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
              "-mfpu=fpv4-sp-d16", "-Os"], src, tmp_path / "b", tmp_path)


def test_mlperf_project_files(tmp_path):
    proj = boards.make_project(MODELS["kws_ref_model"], "nucleo_l4r5zi", tmp_path / "p",
                               protocol="mlperf-tiny")
    desc = boards.load_project(proj)
    assert desc["protocol"] == "mlperf-tiny" and desc["profile"] is False
    assert desc["mlperf"]["model_id"] == "kws01"
    main = (proj / "src" / "main.c").read_text()
    assert '"m-model-[" MT_MODEL_ID "]"' in main and '#define MT_MODEL_ID "kws01"' in main
    ini = (proj / "platformio.ini").read_text()
    assert "MLPerf Tiny" in ini and "-DTFLM_PY_PROFILE" not in ini
    # an explicit model id wins over the guess
    proj = boards.make_project(MODELS["hello_world_int8"], "nucleo_l4r5zi", tmp_path / "q",
                               protocol="mlperf-tiny", mlperf_model="ic01")
    assert '#define MT_MODEL_ID "ic01"' in (proj / "src" / "main.c").read_text()


class ScriptedDut:
    """A pyserial-like fake that answers commands from a script: boot lines first (their
    m-ready late), then each command's lines + m-ready."""

    def __init__(self, answers, boot=b"m-timestamp-mode-performance\r\nm-init-done\r\n"):
        self.answers = answers
        self.out = bytearray(boot)
        self.late = b"m-ready\r\n"      # the boot's m-ready, arriving after a while
        self.cmd = b""
        self.timeout = 0.05
        self.sent = []

    @property
    def in_waiting(self):
        return len(self.out)

    def read(self, n):
        if not self.out and self.late:
            self.out += self.late
            self.late = b""
        data = bytes(self.out[:n])
        del self.out[:n]
        if not data:
            time.sleep(0.005)
        return data

    def write(self, data):
        for b in data:
            if b == ord("%"):
                c = self.cmd.decode()
                self.sent.append(c)
                self.out += "".join(ln + "\r\n" for ln in self.answers.get(c, [])).encode()
                self.out += b"m-ready\r\n"
                self.cmd = b""
            else:
                self.cmd += bytes([b])


def test_client_syncs_past_boot_lines_and_reports_errors():
    dut = ScriptedDut({"name": ["m-name-dut-[tflm-py]"],
                       "profile": ["m-profile-[ULPMark for tinyML Firmware V0.0.1]",
                                   "m-model-[kws01]"],
                       "infer 2 1": ["m-warmup-start-1", "m-warmup-done", "m-infer-start-2",
                                     "m-lap-us-100", "m-lap-us-350", "m-infer-done",
                                     "m-results-[0.000,0.996,-1.500]"],
                       "db load 40": ["e-[db load 40 exceeds the maximum of 4 bytes]"]})
    c = mlperf.MlperfClient(dut, timeout=2.0, boot_wait=0.3)
    assert c.name() == "tflm-py"
    assert c.profile() == {"profile": mlperf.PROFILE, "model": "kws01"}
    r = c.infer(2, 1)
    assert r.results == [0.0, 0.996, -1.5] and r.elapsed_us == 250
    with pytest.raises(DeviceError, match="exceeds the maximum"):
        c.load(bytes(40))
    assert dut.sent[0] == ""          # the runner's flush: an empty command


def test_results_match_tolerance():
    assert mlperf.results_match([0.12345, 1.0], [0.123, 1.0]) == (True, -1)
    assert mlperf.results_match([0.1236, 1.0], [0.123, 1.0]) == (False, 0)
    assert mlperf.results_match([0.1], [0.1, 0.2]) == (False, 1)


# ------------------------------------------------------------------- on the QEMU board

@pytest.fixture(scope="module")
def kws_project(tmp_path_factory):
    _needs_qemu()
    proj = boards.make_project(MODELS["kws_ref_model"], "qemu-mps2-an386",
                               tmp_path_factory.mktemp("mlperf") / "kws",
                               protocol="mlperf-tiny")
    harness.build_project(proj)
    return proj


def test_runner_session_on_qemu_matches_the_simulator(kws_project):
    """The official runner's sequence on kws_ref_model, every answer checked."""
    model = load_model(MODELS["kws_ref_model"])
    tin = model.tensors[model.inputs[0]]
    tout = model.tensors[model.outputs[0]]
    sim = Simulator(model)
    rng = np.random.default_rng(7)
    with harness.VirtualBoard(boards.load_project(kws_project), lifetime=300) as vb:
        link = harness.connect(vb.info["url"])
        try:
            c = mlperf.MlperfClient(link)
            assert c.name() == "tflm-py qemu-mps2-an386 virtual 120MHz"
            prof = c.profile()
            assert prof == {"profile": "ULPMark for tinyML Firmware V0.0.1", "model": "kws01"}
            t0 = c.timestamp()
            # int8 features, sent as the runner sends them: 31 bytes per `db` command
            x = rng.integers(-128, 128, size=tin.shape, dtype=np.int8)
            c.load(x.tobytes())
            lines = c.command("db print 8 0", expect=r"^m-buffer-")
            assert lines == ["m-buffer-" + "-".join(f"{b:02x}" for b in x.tobytes()[:8])]
            r = c.infer(3, 2)
            assert r.start_us is not None and r.end_us > r.start_us >= t0
            assert "m-warmup-start-2" in r.lines and "m-infer-start-3" in r.lines
            want = sim.run([x])[0]
            expect = (want.astype(np.float32).ravel() - np.float32(
                tout.quantization.zero_points[0])) * np.float32(tout.quantization.scales[0])
            assert len(r.results) == 12
            assert np.allclose(r.results, expect, atol=0.0005 + 1e-6)
            assert int(np.argmax(r.results)) == int(np.argmax(want))
            assert c.results() == r.results
            info = c.info()
            assert info.model_hash == __import__("hashlib").sha256(model.data).hexdigest()
            got, ticks, status = c.outputs(info.outputs)
            assert status == 0 and ticks > 0
            assert np.array_equal(got[0], want)
            # float32 features, quantized by the firmware (1960 bytes)
            xf = rng.normal(0, 20, size=tin.shape).astype(np.float32)
            c.load(xf.tobytes())
            c.infer(1, 0)
            got, _, _ = c.outputs(info.outputs)
            xq = mlperf.quantize_like_firmware(xf, tin.quantization.scales[0],
                                               tin.quantization.zero_points[0])
            assert np.array_equal(got[0], sim.run([xq])[0])
            # protocol errors are answered, and the board keeps serving
            with pytest.raises(DeviceError, match="Unknown command: bogus"):
                c.command("bogus")
            with pytest.raises(DeviceError, match="exceeds the maximum of 1960 bytes"):
                c.load(bytes(5000))
            assert c.name().startswith("tflm-py ")
        finally:
            link.close()


def test_validate_mlperf_project_cli(kws_project, tmp_path, capsys):
    from tflm_py.cli import main as cli
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join("down go left no off on right stop up yes silence "
                                "unknown".split()) + "\n")
    rc = cli(["validate", str(kws_project), "--samples", "3", "--labels", str(labels)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "3/3 samples bit-exact" in out
    rows = [ln for ln in out.splitlines() if re.match(r"^\s+\d+\s+yes\s", ln)]
    assert len(rows) == 3
    names = labels.read_text().split()
    assert all(any(f"  {n} (" in ln for n in names) for ln in rows)
    rc = cli(["validate", str(kws_project), "--samples", "2", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0 and d["bit_exact"] and d["link"]["protocol"] == "mlperf-tiny"
    assert d["link"]["model_id"] == "kws01"
    assert all(len(row["mlperf_results"]) == 12 for row in d["per_sample"])


def test_ad01_float_inputs_and_anomaly_score_on_qemu(tmp_path):
    """ad01 as the runner feeds it: float32 features (640 x 4 bytes), quantized by the
    firmware; m-results-[score] is the mean squared error of the reconstruction."""
    _needs_qemu()
    model = load_model(MODELS["ad01_int8"])
    proj = boards.make_project(model, "qemu-mps2-an386", tmp_path / "ad",
                               protocol="mlperf-tiny")
    assert boards.load_project(proj)["mlperf"]["ad01"] is True
    harness.build_project(proj)
    rng = np.random.default_rng(1)
    samples = [[rng.normal(-20, 8, size=(1, 640)).astype(np.float32)] for _ in range(2)]
    with harness.VirtualBoard(boards.load_project(proj), lifetime=300) as vb:
        link = harness.connect(vb.info["url"])
        try:
            res = mlperf.validate_device(mlperf.MlperfClient(link), Simulator(model), samples,
                                         float_inputs=True)
        finally:
            link.close()
    assert res.bit_exact and len(res.samples) == 2, res.first_mismatch
    assert all(len(s.results) == 1 and s.results[0] > 0 for s in res.samples)


def _int16_autoencoder(n: int = 64) -> bytes:
    """A 16x8 ad01-shaped model: int16 input and output of n elements, one FULLY_CONNECTED
    with int8 weights and int64 bias."""
    from tflm_py.testing import ModelBuilder
    rng = np.random.default_rng(3)
    b = ModelBuilder()
    x = b.activation((1, n), dtype=np.int16, scale=0.01)
    w = b.constant(rng.integers(-127, 128, size=(n, n), dtype=np.int8), scales=[0.004],
                   zero_points=[0])
    bias = b.constant(rng.integers(-2000, 2000, size=(n,)).astype(np.int64), scales=[4e-5],
                      zero_points=[0])
    y = b.activation((1, n), dtype=np.int16, scale=0.02)
    b.op("FULLY_CONNECTED", [x, w, bias], [y])
    return b.build([x], [y])


def test_ad01_int16_model_takes_float_inputs_on_qemu(tmp_path):
    """A 16x8 model as ad01: the firmware quantizes the float32 `db` values to int16 with the
    input's scale; the outputs equal the simulator's on the same int16 input."""
    _needs_qemu()
    path = tmp_path / "ad01_16x8.tflite"
    path.write_bytes(_int16_autoencoder())
    model = load_model(path)
    proj = boards.make_project(model, "qemu-mps2-an386", tmp_path / "ad16",
                               protocol="mlperf-tiny", mlperf_model="ad01")
    spec = boards.load_project(proj)["mlperf"]
    assert spec["input_mode"] == "float32" and spec["in_elem_bytes"] == 2 and spec["ad01"]
    harness.build_project(proj)
    rng = np.random.default_rng(2)
    # values past the int16 range too: the firmware saturates as quantize_like_firmware does
    samples = [[rng.normal(0, 150, size=(1, 64)).astype(np.float32)] for _ in range(2)]
    samples[1][0][0, :4] = [400.0, -400.0, 0.005, -0.015]
    with harness.VirtualBoard(boards.load_project(proj), lifetime=300) as vb:
        link = harness.connect(vb.info["url"])
        try:
            res = mlperf.validate_device(mlperf.MlperfClient(link), Simulator(model), samples,
                                         float_inputs=True)
        finally:
            link.close()
    assert res.bit_exact and len(res.samples) == 2, res.first_mismatch
    assert all(len(s.results) == 1 and s.results[0] > 0 for s in res.samples)
