"""The converter-made corpus (tests/data/converted/, built by scripts/make_keras_corpus.py
with TensorFlow's TFLiteConverter, full-integer int8, Keras 3's dynamic batch): every model
in EXPECTED_TO_RUN runs exactly as TFLM runs it (simulator == TFLM on a few inputs, host C ==
simulator on a sample); every other model is refused with a clean UnsupportedError naming
the op. When a room for a missing op lands, move its models to EXPECTED_TO_RUN."""
from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import ROOT
from tflm_py import load_model
from tflm_py.errors import UnsupportedError
from tflm_py.hostbuild import run_host
from tflm_py.oracle import run_oracle
from tflm_py.ops import check_model
from tflm_py.simulator import simulate

CORPUS = ROOT / "tests" / "data" / "converted"

EXPECTED_TO_RUN = [
    "act_leaky_relu", "act_sigmoid", "act_softmax", "act_swish", "act_tanh",
    "branches_concat", "cropping", "ds_cnn", "elementwise_broadcast", "flatten_dense", "mlp",
    "mobilenet_v1", "mobilenet_v2", "mobilenet_v3_small", "padded_conv", "reshape_dense",
    "resnet8", "yolo_head",
    # ran once the op rooms landed
    "act_prelu", "batchnorm_conv", "conv1d", "conv_transpose", "gather_columns", "resize_bilinear", "split_channels", "super_resolution",
    # a float32 ELU between DEQUANTIZE and QUANTIZE: one int8 table (passes/float_islands.py)
    "act_elu",
]
HOST_SAMPLE = ["flatten_dense", "reshape_dense", "resnet8", "yolo_head", "mobilenet_v3_small",
               "act_elu"]

# refused: the op each stops at. TFLM refuses every one of these too (measured on the oracle):
REFUSED = {
    "argmax_head": "ARG_MAX",                # int64 output: TFLM's ARG_MAX writes int32 only
    "text_embedding": "SELECT_V2",           # int32 SELECT_V2 (after the int32 ADD of
                                             # positions): TFLM's takes int8/int16/float32
    # TFLM itself fails to allocate these (the converter leaves [1, 1] static shapes behind
    # dynamic reshapes, or TILE / per-channel 3-D FULLY_CONNECTED):
    "dense_on_sequence": "RESHAPE",
    "permute": "RESHAPE",
    "transformer_block": "RESHAPE",          # its float NEG island runs as a table; then as above
    "unet": "TILE",                          # UpSampling2D
}


def _data(name):
    return (CORPUS / f"{name}.tflite").read_bytes()


def _samples(model, n=3, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        s = []
        for i in model.inputs:
            t = model.tensors[i]
            if t.dtype == np.int32:  # token ids
                s.append(rng.integers(0, 100, t.shape).astype(np.int32))
            else:
                s.append(rng.integers(-128, 128, t.shape).astype(t.dtype))
        out.append(s)
    return out


def test_corpus_is_complete_and_small():
    names = sorted(p.stem for p in CORPUS.glob("*.tflite"))
    assert names == sorted(EXPECTED_TO_RUN + list(REFUSED))
    sizes = [(CORPUS / f"{n}.tflite").stat().st_size for n in names]
    assert max(sizes) < 100_000 and sum(sizes) < 2_000_000


@pytest.mark.parametrize("name", EXPECTED_TO_RUN)
def test_simulator_matches_tflm(name):
    data = _data(name)
    model = load_model(data)
    check_model(model)
    samples = _samples(model)
    for want, s in zip(run_oracle(data, samples), samples):
        got = simulate(model, s)
        for w, g in zip(want, got):
            assert np.array_equal(np.asarray(w).reshape(-1), g.reshape(-1)), name


@pytest.mark.parametrize("name", HOST_SAMPLE)
def test_host_c_matches_simulator(name):
    model = load_model(_data(name))
    samples = _samples(model, n=2, seed=1)
    for s, h in zip(samples, run_host(model, samples)):
        for g, c in zip(simulate(model, s), h):
            assert np.array_equal(g, c), name


def test_keras_dynamic_batch_flatten_is_folded():
    from tflm_py.reader import read_model
    data = _data("flatten_dense")
    assert "SHAPE" in [op.type for op in read_model(data).operators]
    assert "SHAPE" not in [op.type for op in load_model(data).operators]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_cleanly_naming_the_op(name):
    with pytest.raises(UnsupportedError) as e:
        check_model(load_model(_data(name)))
    msg = str(e.value)
    assert "\n" not in msg
    m = re.match(r"op #\d+ ([A-Z0-9_]+)", msg)
    assert m and m.group(1) == REFUSED[name], msg


BOARD_SAMPLE = ["flatten_dense", "yolo_head"]


@pytest.mark.parametrize("name", BOARD_SAMPLE)
def test_folded_graph_on_the_virtual_board(name, tmp_path, monkeypatch, capsys):
    """`tflm-py run` on the QEMU Cortex-M4 board: the folded graph's firmware agrees with
    the simulator bit for bit."""
    import json
    import shutil

    from tflm_py.cli import main as cli
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        assert shutil.which(tool), f"{tool} not installed: run scripts/setup.sh"
    monkeypatch.setenv("TFLM_PY_PIO_CORE", str(tmp_path / "pio_core"))
    rc = cli(["run", str(CORPUS / f"{name}.tflite"), "--board", "qemu-mps2-an386",
              "--samples", "3", "-o", str(tmp_path / "project"), "--json"])
    out = capsys.readouterr().out
    d = json.loads(out[out.index("{"):])
    assert rc == 0, d
    assert d["passed"] == 3 and d["bit_exact"] is True and d["max_abs_diff"] == 0
