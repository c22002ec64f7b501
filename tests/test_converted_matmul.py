"""Keras models with Conv2DTranspose and matrix products (attention-like), converted by
TensorFlow's TFLiteConverter (int8 PTQ and 16x8; scripts/make_matmul_models.py), committed in
tests/data/converted_matmul/: TFLM == simulator == host C (ASan/UBSan) on random inputs.
Models that other rooms cannot run yet (their FULLY_CONNECTED / RELU / SOFTMAX variants) must
be refused there, never at TRANSPOSE_CONV or BATCH_MATMUL, and are compared in full once those
rooms accept them."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tflm_py import load_model, ops
from tflm_py.errors import UnsupportedError
from tflm_py.hostbuild import run_host
from tflm_py.oracle import run_oracle
from tflm_py.simulator import Simulator
from tflm_py.sweep import random_inputs

DATA = Path(__file__).resolve().parent / "data" / "converted_matmul"
PATHS = sorted(DATA.glob("*.tflite"))
# must run end to end today
MUST_RUN = {"upsampler_int8", "upsampler_linear_int8", "upsampler_linear_16x8",
            "matmul_ops_int8", "matmul_ops_16x8"}


def test_corpus_present():
    names = {p.stem for p in PATHS}
    assert MUST_RUN <= names, f"missing: {sorted(MUST_RUN - names)}"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_converted_model(path):
    model = load_model(path.read_bytes())
    types = {op.type for op in model.operators}
    assert types & {"TRANSPOSE_CONV", "BATCH_MATMUL"}
    try:
        ops.check_model(model)
    except UnsupportedError as e:
        assert path.stem not in MUST_RUN, str(e)
        assert "TRANSPOSE_CONV" not in str(e) and "BATCH_MATMUL" not in str(e), str(e)
        return
    rng = np.random.default_rng(3)
    samples = [random_inputs(model, rng) for _ in range(2)]
    sim = Simulator(model)
    got = [sim.run(s) for s in samples]
    ref = run_oracle(model.data, samples)
    host = run_host(model, samples, sanitize=True)
    for k, (g, r, h) in enumerate(zip(got, ref, host)):
        for a, b, c in zip(g, r, h):
            assert np.array_equal(a, np.asarray(b).reshape(a.shape)), f"sample {k}: sim != TFLM"
            assert np.array_equal(np.asarray(c).ravel(), a.ravel()), f"sample {k}: C != sim"
