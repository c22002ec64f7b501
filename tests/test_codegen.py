"""Code generator: deterministic, only the needed kernels, small glue, API as documented."""
import filecmp
import json
import subprocess

import pytest

from conftest import MODELS
from tflm_py import ModelError, load_model
from tflm_py.codegen import generate
from tflm_py.hostbuild import build_host



def test_generating_twice_gives_identical_files(tmp_path):
    model = load_model(MODELS["kws_ref_model"])
    generate(model, tmp_path / "a", prefix="kws")
    generate(model, tmp_path / "b", prefix="kws")
    cmp = filecmp.dircmp(tmp_path / "a", tmp_path / "b")
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    for sub in cmp.subdirs.values():
        assert not sub.diff_files and not sub.left_only and not sub.right_only


def test_manifest_and_kernel_selection(tmp_path):
    model = load_model(MODELS["ad01_int8"])
    man = generate(model, tmp_path / "b", prefix="ad")
    assert man["kernels"] == ["fully_connected"]
    files = sorted(p.name for p in (tmp_path / "b" / "kernels").iterdir())
    assert files == ["fully_connected.c", "fully_connected.h", "tflm_common.h"]
    on_disk = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert on_disk["arena_bytes"] == man["arena_bytes"] > 0
    assert on_disk["model_hash"] == __import__("hashlib").sha256(model.data).hexdigest()
    assert on_disk["inputs"][0]["shape"] == [1, 640]


def test_fc_only_model_links_no_convolution_code(tmp_path):
    model = load_model(MODELS["hello_world_int8"])
    man = generate(model, tmp_path / "b", prefix="hw")
    exe = build_host(tmp_path / "b", man["prefix"], tmp_path / "hw")
    syms = subprocess.run(["nm", str(exe)], capture_output=True, text=True).stdout
    assert "tflm_fully_connected" in syms
    for word in ("conv", "depthwise", "pool"):
        assert word not in syms.lower(), f"{word} code linked into an FC-only model"


def test_refuses_to_overwrite_a_foreign_folder(tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    (d / "notes.txt").write_text("keep me")
    with pytest.raises(ModelError):
        generate(load_model(MODELS["hello_world_int8"]), d)
    assert (d / "notes.txt").read_text() == "keep me"


def test_cortex_m4_sizes_kws(tmp_path):
    from tflm_py.report import size_report
    model = load_model(MODELS["kws_ref_model"])
    man = generate(model, tmp_path / "b", prefix="kws")
    rep = size_report(tmp_path / "b", man["prefix"])
    # glue outside the kernels and the model data: < 1 KB of code
    assert rep["rest"]["code"] < 1024, rep
    assert rep["total"]["flash"] <= len(model.data) + 16 * 1024, rep
    # RAM = arena + state, nothing hidden
    assert rep["total"]["ram"] == man["arena_bytes"] + man["state_bytes"], rep



def _c_bytes(c_file):
    import re
    text = c_file.read_text()
    body = text[text.index("{", text.index("_model_data[")):]
    return bytes(int(tok, 16) for tok in re.findall(r"0x([0-9a-f]{2})", body[:body.index("}")]))


@pytest.mark.parametrize("name", ["kws_ref_model", "trained_lstm_int8"])
def test_model_data_holds_exactly_the_constants_the_code_reads(name, tmp_path):
    """Flash carries the constants, packed and aligned, not the .tflite: every constant the
    generated C names is at its recorded offset with the tensor's bytes, every recorded
    constant is named in the C, and nothing else is in the array but alignment padding."""
    import re
    import numpy as np
    model = load_model(MODELS[name])
    man = generate(model, tmp_path / "b")
    prefix = man["prefix"]
    data = _c_bytes(tmp_path / "b" / f"{prefix}_model_data.c")
    assert len(data) == man["model_bytes"] < man["tflite_bytes"] == len(model.data)
    code = (tmp_path / "b" / f"{prefix}.c").read_text()
    named = {int(m) for m in re.findall(rf"{prefix}_model_data \+ (\d+)\)", code)}
    assert named == {c["offset"] for c in man["constants"]}
    covered = np.zeros(len(data), bool)
    for c in man["constants"]:
        t = model.tensors[c["tensor"]]
        assert t.data is not None and c["bytes"] == t.data.nbytes
        assert data[c["offset"]:c["offset"] + c["bytes"]] == np.ascontiguousarray(t.data).tobytes()
        assert c["offset"] % (16 if c["bytes"] >= 16 else 8) == 0
        covered[c["offset"]:c["offset"] + c["bytes"]] = True
    assert not any(data[i] for i in np.flatnonzero(~covered))      # only zero padding
    assert (~covered).sum() < 16 * len(man["constants"])
    # what the code reads is at least every weight/bias a MAC op takes, unless the op reads
    # them re-laid out by the generator (the 3x3 depthwise kernel's per-channel records; a
    # FULLY_CONNECTED bias folded with the input offset)
    for op in model.operators:
        relaid = re.search(rf"_{op.type.lower()}_{op.index}_records\b", code)
        folded = re.search(rf"_{op.type.lower()}_{op.index}_folded_bias\b", code)
        for k, i in enumerate(op.inputs[1:], start=1):
            if i >= 0 and model.tensors[i].data is not None and op.type in (
                    "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
                assert (i in {c["tensor"] for c in man["constants"]} or relaid
                        or (k == 2 and folded)), (op.type, op.index, k)
