"""End to end on the virtual boards: `tflm-py run MODEL --board B` generates the PlatformIO
project, builds it with `pio run -t upload` (offline dev-platform: QEMU mps2-an386 with the
UART on a TCP port, or a native program on a pseudo-terminal), validates it against the
simulator, and stops the board. Plus: a perturbed firmware is caught and located, a wrong
model is refused, no board is ever left running."""
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from tflm_py import boards, harness, load_model, pio
from tflm_py.cli import main as cli

from fake_device import FAKE_BUNDLE, AddOne

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "tests" / "data" / "models"
MODEL_NAMES = ["hello_world_int8", "micro_speech_quantized", "kws_ref_model", "ad01_int8",
               "trained_lstm_int8"]
BOARDS = ["qemu-mps2-an386", "host"]


@pytest.fixture(scope="module", autouse=True)
def private_pio_core(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("TFLM_PY_PIO_CORE", str(tmp_path_factory.mktemp("pio_core")))
    yield
    mp.undo()


def _needs(board):
    tools = {"qemu-mps2-an386": ["arm-none-eabi-gcc", "qemu-system-arm"], "host": ["gcc"]}
    for t in tools[board]:
        assert shutil.which(t), f"{t} not installed: run scripts/setup.sh"


def _running(project_dir) -> list:
    """Processes whose command line mentions the project folder (boards left running)."""
    found = []
    needle = str(Path(project_dir).resolve())
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    continue
        except OSError:
            continue
        if needle in cmd and int(pid) != os.getpid():
            found.append(cmd)
    return found


def _json_out(capsys) -> dict:
    out = capsys.readouterr().out
    return json.loads(out[out.index("{"):])


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_run_model_on_virtual_board_is_bit_exact(name, board, tmp_path, capsys):
    _needs(board)
    out = tmp_path / f"{name}-{board}"
    rc = cli(["run", str(MODELS / f"{name}.tflite"), "--board", board, "--samples", "3",
              "-o", str(out), "--json"])
    d = _json_out(capsys)
    assert rc == 0, d
    assert d["samples"] == 3 and d["passed"] == 3 and d["bit_exact"] is True
    assert d["max_abs_diff"] == 0 and d["ticks_per_inference"] > 0
    # a count near 2**64 would be a wrapped subtraction (a tick read before the counter ran)
    assert d["ticks_per_inference"] < 1e10 and all(s["ticks"] < 1e10 for s in d["per_sample"])
    assert d["model_hash"] == __import__("hashlib").sha256(
        (MODELS / f"{name}.tflite").read_bytes()).hexdigest()
    assert d["board"] == board
    assert d["tick_unit"] == ("instructions (QEMU icount)" if board != "host" else "ns")
    assert d["layer_ticks"] and len(d["layer_ticks"]) == len(load_model(
        MODELS / f"{name}.tflite").operators)
    assert not _running(out), "the virtual board was left running"


@pytest.mark.parametrize("board", BOARDS)
def test_fake_bundle_upload_then_validate(board, tmp_path):
    """`pio run -t upload` starts the board in the background; validate reuses and stops it."""
    _needs(board)
    proj = boards.make_project(None, board, tmp_path / "p", bundle_dir=FAKE_BUNDLE)
    r = pio.run_pio(["run", "-t", "upload"], proj, timeout=600)
    assert "virtual board running" in r.stdout
    state = next((proj / ".pio" / "build").glob("*/tflm_py_board.json"))
    info = json.loads(state.read_text())
    assert _running(proj)
    res = harness.validate_project(proj, samples=4, reference=AddOne())
    assert res.bit_exact and len(res.samples) == 4
    assert res.info.board == board
    assert not state.exists()
    assert not _running(proj)
    # validate again: the board is started afresh (and stopped)
    res = harness.validate_project(proj, samples=2, reference=AddOne())
    assert res.bit_exact
    assert not _running(proj)
    if board == "qemu-mps2-an386":
        assert info["url"].startswith("socket://127.0.0.1:")
        assert res.info.tick_unit == "instructions (QEMU icount)"
        assert res.samples[0].ticks == res.samples[1].ticks      # deterministic under icount
    else:
        assert info["url"].startswith("/dev/pts/")


def _perturb_c_array(c_file: Path, offset: int, xor: int = 0x80):
    """Flip bits of byte `offset` of the (only) byte array initialiser in a C file."""
    text = c_file.read_text()
    start = text.index("{", text.index("model_data["))
    body_end = text.index("}", start)
    tokens = list(re.finditer(r"0x[0-9a-fA-F]{2}|\b\d+\b", text[start:body_end]))
    tok = tokens[offset]
    value = int(tok.group(0), 0) ^ xor
    a, b = start + tok.start(), start + tok.end()
    c_file.write_text(text[:a] + f"0x{value:02x}" + text[b:])


@pytest.mark.parametrize("board", BOARDS)
def test_perturbed_fake_firmware_fails_and_shows_where(board, tmp_path, capsys):
    _needs(board)
    proj = boards.make_project(None, board, tmp_path / "p", bundle_dir=FAKE_BUNDLE)
    _perturb_c_array(proj / "lib" / "fake" / "fake_model_data.c", 0, 0x01)  # adds 0 or 2
    res = harness.validate_project(proj, samples=3, reference=AddOne())
    assert not res.bit_exact
    fm = res.first_mismatch
    assert fm["sample"] == 0 and fm["output"] == 0 and fm["index"] == [0, 0]
    assert abs(fm["got"] - fm["expected"]) in (1, 255)
    assert not _running(proj)


def test_perturbed_weight_byte_fails_validate_and_shows_where(tmp_path, capsys):
    """Flip one weight byte of the last FULLY_CONNECTED in the generated model data; the
    hash still says the right model, but the firmware's data check and layer CRCs differ."""
    _needs("host")
    model_path = MODELS / "hello_world_int8.tflite"
    model = load_model(model_path)
    proj = tmp_path / "p"
    assert cli(["generate", str(model_path), "--board", "host", "-o", str(proj)]) == 0
    capsys.readouterr()
    # the last FC's input activations for validate's first random sample (seed 0)
    from tflm_py.simulator import Simulator
    x = harness.random_inputs([model.tensors[i] for i in model.inputs], 1, 0)[0]
    dump = {}
    Simulator(model).run(x, dump=dump)
    fc = [op for op in model.operators if op.type == "FULLY_CONNECTED"][-1]
    act, w = model.tensors[fc.inputs[0]], model.tensors[fc.inputs[1]]
    live = np.flatnonzero(dump[act.index].astype(np.int32).ravel() - act.quantization.zero_point)
    assert live.size, "no live input to the last layer"
    j = int(live[0])
    prefix = boards.load_project(proj)["prefix"]
    man = json.loads((proj / "lib" / prefix / "manifest.json").read_text())
    w_off = next(c["offset"] for c in man["constants"] if c["tensor"] == w.index)
    _perturb_c_array(proj / "lib" / prefix / f"{prefix}_model_data.c", w_off + j)
    rc = cli(["validate", str(proj), "--samples", "3"])
    err = capsys.readouterr().err
    assert rc == 2, err      # the data check refuses it before any sample, naming the op
    assert f"firmware data differs from the bundle generated from hello_world_int8.tflite: " \
           f"op #{fc.index} FULLY_CONNECTED" in err
    # without the data check, the layer CRCs catch it on the first sample, at that op
    res = harness.validate_project(proj, samples=3, check_data=False)
    assert not res.bit_exact and res.first_layer_diff["sample"] == 0
    assert res.first_layer_diff["op"] == fc.index
    assert res.first_mismatch["sample"] == 0
    assert not _running(proj)


def test_validate_by_port_and_stop_target(tmp_path, capsys):
    """`pio run -t upload` leaves the host board running; validate it by its port alone
    (--port URL --model M), then `pio run -t stop` ends it."""
    _needs("host")
    model = MODELS / "hello_world_int8.tflite"
    proj = boards.make_project(model, "host", tmp_path / "p")
    pio.run_pio(["run", "-t", "upload"], proj, timeout=600)
    state = json.loads(next((proj / ".pio" / "build").glob("*/tflm_py_board.json")).read_text())
    try:
        rc = cli(["validate", "--port", state["url"], "--model", str(model), "--samples", "2",
                  "--board", "host", "--json"])
        d = _json_out(capsys)
        assert rc == 0 and d["bit_exact"] and d["samples"] == 2
        assert _running(proj)                    # --port: the board is not ours to stop
    finally:
        r = pio.run_pio(["run", "-t", "stop"], proj, timeout=300)
    assert "stopped" in r.stdout
    assert not _running(proj)


def test_validate_refuses_firmware_of_another_model(tmp_path, capsys):
    _needs("host")
    proj = tmp_path / "p"
    assert cli(["generate", str(MODELS / "hello_world_int8.tflite"), "--board", "host",
                "-o", str(proj)]) == 0
    rc = cli(["validate", str(proj), "--model", str(MODELS / "ad01_int8.tflite"),
              "--samples", "1"])
    err = capsys.readouterr().err
    assert rc == 2 and "error: wrong firmware" in err
    assert "but ad01_int8.tflite has sha256" in err      # the file given
    assert not _running(proj)


def test_validate_real_board_needs_a_port(tmp_path, capsys):
    proj = boards.make_project(MODELS / "hello_world_int8.tflite", "nucleo_f446re",
                               tmp_path / "p")
    rc = cli(["validate", str(proj), "--samples", "1"])
    assert rc == 2 and "give its serial port with --port" in capsys.readouterr().err
    rc = cli(["validate", str(proj), "--port", "socket://127.0.0.1:9", "--samples", "1"])
    assert rc == 2 and "cannot open serial port" in capsys.readouterr().err


def test_too_big_model_fails_the_fit_check_in_the_cli(tmp_path, capsys):
    from tflm_py.testing import ModelBuilder
    rng = np.random.default_rng(0)
    b = ModelBuilder()
    x = b.activation((1, 1024), scale=0.05, zero_point=0)
    w = b.constant(rng.integers(-127, 128, size=(600, 1024), dtype=np.int8),
                   scales=[0.01], zero_points=[0])
    bias = b.constant(np.zeros(600, np.int32), scales=[0.0005])
    y = b.activation((1, 600), scale=0.1, zero_point=0)
    b.op("FULLY_CONNECTED", [x, w, bias], [y])
    big = tmp_path / "big.tflite"
    big.write_bytes(b.build(inputs=[x], outputs=[y]))
    rc = cli(["run", str(big), "--board", "nucleo_f446re", "-o", str(tmp_path / "p")])
    err = capsys.readouterr().err
    assert rc == 2
    assert re.search(r"error: big.tflite does not fit nucleo_f446re: needs 6\d\d KB flash "
                     r"\(model data 6\d\d KB \+ code ~\d+ KB \+ framework ~\d+ KB\), "
                     r"nucleo_f446re has 512 KB", err), err
    assert not (tmp_path / "p").exists()
