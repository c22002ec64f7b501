"""A firmware that differs from what the generator wrote cannot pass: a changed params
constant, weight byte or kernel is caught on the first sample with the layer named (the
per-layer CRCs), and the data check refuses changed model data or params before any sample
runs. On the host board (fast); the README's own command once on the QEMU board."""
import re
import shutil
from pathlib import Path

import pytest

from tflm_py import boards, harness, load_model
from tflm_py.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent
KWS = ROOT / "tests" / "data" / "models" / "kws_ref_model.tflite"


@pytest.fixture(scope="module", autouse=True)
def private_pio_core(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("TFLM_PY_PIO_CORE", str(tmp_path_factory.mktemp("pio_core")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def kws_host(tmp_path_factory):
    assert shutil.which("gcc"), "gcc not installed: run scripts/setup.sh"
    return boards.make_project(KWS, "host", tmp_path_factory.mktemp("kws") / "p")


def _lib(proj):
    prefix = boards.load_project(proj)["prefix"]
    return Path(proj) / "lib" / prefix, prefix


class _Edit:
    """Change one generated file for the test, restore it afterwards."""

    def __init__(self, path: Path, old: str, new: str, count: int = 1):
        self.path, self.text = path, path.read_text()
        assert old in self.text, old
        path.write_text(self.text.replace(old, new, count))

    def restore(self):
        self.path.write_text(self.text)


def _flip_model_byte(c_file: Path, offset: int) -> _Edit:
    text = c_file.read_text()
    start = text.index("{", text.index("model_data["))
    tok = list(re.finditer(r"0x[0-9a-fA-F]{2}", text[start:]))[offset]
    a, b = start + tok.start(), start + tok.end()
    e = _Edit.__new__(_Edit)
    e.path, e.text = c_file, text
    c_file.write_text(text[:a] + f"0x{int(tok.group(0), 16) ^ 0x80:02x}" + text[b:])
    return e


def _validate(proj, capsys, *extra):
    rc = cli(["validate", str(proj), "--samples", "3", *extra])
    cap = capsys.readouterr()
    return rc, cap.out + cap.err


def test_untampered_firmware_passes_every_layer(kws_host, capsys):
    rc, out = _validate(kws_host, capsys)
    assert rc == 0, out
    assert "3/3 samples bit-exact, every layer matched (13 op outputs" in out
    assert "firmware data verified" in out


def test_changed_output_offset_is_refused_and_caught_at_its_layer(kws_host, capsys):
    lib, prefix = _lib(kws_host)
    e = _Edit(lib / f"{prefix}.c", ".output_offset = -128", ".output_offset = -127")
    try:
        rc, out = _validate(kws_host, capsys)
        assert rc == 2, out
        assert "error: firmware data differs from the bundle generated from " \
               "kws_ref_model.tflite: op #0 CONV_2D" in out and "rebuild and flash" in out
        # without the data check, the layer CRCs catch it on the first sample
        r = harness.validate_project(kws_host, samples=3, check_data=False)
        assert not r.bit_exact
        ld = r.first_layer_diff
        assert ld["sample"] == 0 and ld["op"] == 0 and ld["type"] == "CONV_2D"
        assert ld["board"] - ld["simulator"] == 1 and ld["index"] is not None
        assert harness.describe_layer_diff(ld).startswith("op #0 CONV_2D differs at [")
    finally:
        e.restore()


def test_changed_weight_byte_is_refused_and_caught_at_its_layer(kws_host, capsys):
    model = load_model(KWS)
    lib, prefix = _lib(kws_host)
    fc = [op for op in model.operators if op.type == "FULLY_CONNECTED"][-1]
    w = model.tensors[fc.inputs[1]]
    # a weight that meets a live input in validate's first sample (seed 0)
    import numpy as np
    from tflm_py.simulator import Simulator
    x = harness.random_inputs([model.tensors[i] for i in model.inputs], 1, 0)[0]
    dump = {}
    Simulator(model).run(x, dump=dump)
    act = model.tensors[fc.inputs[0]]
    live = np.flatnonzero(dump[act.index].astype(np.int32).ravel() - act.quantization.zero_point)
    import json
    man = json.loads((lib / "manifest.json").read_text())
    w_off = next(c["offset"] for c in man["constants"] if c["tensor"] == w.index)
    e = _flip_model_byte(lib / f"{prefix}_model_data.c", w_off + int(live[0]))
    try:
        rc, out = _validate(kws_host, capsys)
        assert rc == 2 and "firmware data differs" in out, out
        assert f"op #{fc.index} FULLY_CONNECTED" in out
        r = harness.validate_project(kws_host, samples=1, check_data=False)
        ld = r.first_layer_diff
        assert ld["sample"] == 0 and ld["op"] == fc.index and ld["type"] == "FULLY_CONNECTED"
    finally:
        e.restore()


def test_changed_kernel_is_caught_on_the_first_sample_at_its_layer(kws_host, capsys):
    lib, _ = _lib(kws_host)
    # the depthwise kernel rounds one channel differently: the final output often hides it
    e = _Edit(lib / "kernels" / "depthwise_conv_2d.c", "r.output_offset = p->output_offset;",
              "r.output_offset = p->output_offset + (p->stride_h == 1 ? 1 : 0);")
    try:
        rc, out = _validate(kws_host, capsys)
        assert rc == 1, out
        assert re.search(r"first differing layer: op #1 DEPTHWISE_CONV_2D differs at "
                         r"\[0,\d+,\d+,\d+\]: board -?\d+, simulator -?\d+ \(sample 0;", out), out
        assert "     0     NO" in out
    finally:
        e.restore()


def test_readme_validate_catches_the_tampered_offset_on_qemu(tmp_path, capsys):
    """The README's `validate DIR --samples 3`, on the virtual Cortex-M4 board."""
    for t in ("arm-none-eabi-gcc", "qemu-system-arm"):
        assert shutil.which(t), f"{t} not installed: run scripts/setup.sh"
    proj = tmp_path / "p"
    assert cli(["generate", str(KWS), "--board", "qemu-mps2-an386", "-o", str(proj)]) == 0
    lib, prefix = _lib(proj)
    _Edit(lib / f"{prefix}.c", ".output_offset = -128", ".output_offset = -127")
    capsys.readouterr()
    rc, out = _validate(proj, capsys)
    assert rc == 2 and "firmware data differs" in out and "op #0 CONV_2D" in out, out
