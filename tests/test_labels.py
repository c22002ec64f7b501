"""Class names in `tflm-py validate` / `run`: from the model's TFLite Metadata label file, or
from --labels FILE; the board's top-1 class is printed per sample."""
import json
import re
import shutil

import numpy as np
import pytest

from tflm_py.cli import main as cli
from tflm_py.labels import resolve_labels, top1
from tflm_py.harness import SampleResult
from tflm_py.protocol import IOInfo


@pytest.fixture(scope="module", autouse=True)
def private_pio_core(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("TFLM_PY_PIO_CORE", str(tmp_path_factory.mktemp("pio_core")))
    yield
    mp.undo()


class _Info:
    def __init__(self, scale, zp):
        self.outputs = [IOInfo(9, (1, 3), 3, scale, zp)]


def test_top1_dequantizes_the_board_output():
    s = SampleResult(0, True, 0.0, 1, outputs=[np.array([[-100, 20, 3]], np.int8)])
    assert top1(s, _Info(0.5, -2), ["cat", "dog", "bird"]) == ("dog", 11.0)
    assert top1(s, _Info(0.5, -2), ["cat", "dog"]) is None       # labels do not fit
    assert top1(s, None, None) is None
    assert top1(SampleResult(0, True, 0.0, 1), None, ["a"]) is None


def test_labels_file_wins_over_metadata(tmp_path):
    class M:
        labels = ["from", "metadata"]
    f = tmp_path / "l.txt"
    f.write_text("one\n\ntwo\n")
    assert resolve_labels(str(f), M()) == ["one", "two"]
    assert resolve_labels(None, M()) == ["from", "metadata"]
    assert resolve_labels(None, None) is None


def test_run_prints_the_metadata_labels(tmp_path, capsys):
    """A model carrying a label file in its TFLite Metadata: `run` names the board's top-1
    class per sample without --labels."""
    assert shutil.which("gcc"), "gcc not installed: run scripts/setup.sh"
    from test_reader import labelled_model
    model = tmp_path / "labelled.tflite"
    model.write_bytes(labelled_model())
    rc = cli(["run", str(model), "--board", "host", "--samples", "3", "-o",
              str(tmp_path / "p")])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "top-1 (board)" in out
    rows = [ln for ln in out.splitlines() if re.match(r"^\s+\d+\s+yes\s", ln)]
    assert len(rows) == 3
    assert all(re.search(r"  (cat|dog|bird) \(-?\d+\.\d{3}\)$", ln) for ln in rows), out
    # --labels FILE replaces them; --json carries top1 per sample
    f = tmp_path / "names.txt"
    f.write_text("red\ngreen\nblue\n")
    rc = cli(["validate", str(tmp_path / "p"), "--samples", "2", "--labels", str(f),
              "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0 and d["bit_exact"]
    assert all(row["top1"]["label"] in ("red", "green", "blue") for row in d["per_sample"])
