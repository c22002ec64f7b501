"""int32 ADD / SUB / MUL (ops/_arith_s32.py, kernels_c/arith_s32.c): seeded random cases
(broadcasts within 4-D, every fused activation, values that overflow int32) in one model,
simulate vs TFLM (the oracle) and the generated C (under ASan/UBSan) vs simulate; and the
int32 forms TFLM refuses are refused."""
from __future__ import annotations

import numpy as np
import pytest

from tflm_py import load_model
from tflm_py.errors import UnsupportedError
from tflm_py.hostbuild import run_host
from tflm_py.ops import check_model
from tflm_py.oracle import run_oracle
from tflm_py.simulator import simulate
from tflm_py.testing import ModelBuilder

SHAPES = [((2, 3), (2, 3)), ((2, 3), (1, 3)), ((4,), ()), ((1,), (3, 1, 5)),
          ((2, 1, 3, 4), (1, 5, 1, 4)), ((1, 2, 2, 2, 3), (1, 2, 2, 2, 3))]
ACTS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def _model(seed: int):
    """Every op type x activation x shape pair as one independent op of one graph."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    ins, outs = [], []
    for op in ("ADD", "SUB", "MUL"):
        for act in ACTS:
            s1, s2 = SHAPES[int(rng.integers(len(SHAPES)))]
            if rng.random() < 0.5:
                s1, s2 = s2, s1
            so = tuple(np.broadcast_shapes(s1, s2))
            x, y = b.activation(s1, np.int32), b.activation(s2, np.int32)
            # MUL ignores quantization in TFLM: give some of its tensors a scale
            q = dict(scale=0.5, zero_point=3) if op == "MUL" and rng.random() < 0.5 else {}
            o = b.activation(so, np.int32, **q)
            b.op(op, [x, y], [o], fused_activation_function=act)
            ins += [x, y]
            outs.append(o)
    return b.build(ins, outs)


def _samples(model, rng, n):
    out = []
    for _ in range(n):
        s = []
        for i in model.inputs:
            shape = model.tensors[i].shape
            big = rng.integers(-2 ** 31, 2 ** 31, shape)
            small = rng.integers(-10, 11, shape)
            s.append(np.where(rng.random(shape) < 0.5, big, small).astype(np.int32))
        out.append(s)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_int32_arith_matches_tflm_and_c(seed):
    data = _model(seed)
    model = load_model(data)
    check_model(model)
    samples = _samples(model, np.random.default_rng(seed), 3)
    sims = [simulate(model, s) for s in samples]
    for want, got in zip(run_oracle(data, samples), sims):
        for w, g in zip(want, got):
            assert np.array_equal(np.asarray(w).reshape(-1), g.reshape(-1))
    if seed == 0:
        for got, c in zip(sims, run_host(model, samples, sanitize=True)):
            for g, h in zip(got, c):
                assert np.array_equal(g, h)


def _single(op, s1, s2, scale=None):
    b = ModelBuilder()
    q = dict(scale=scale, zero_point=0) if scale else {}
    x, y = b.activation(s1, np.int32, **q), b.activation(s2, np.int32, **q)
    o = b.activation(tuple(np.broadcast_shapes(s1, s2)), np.int32, **q)
    b.op(op, [x, y], [o])
    return b.build([x, y], [o])


@pytest.mark.parametrize("op,s1,s2,scale,needle", [
    ("ADD", (2, 3), (2, 3), 1.0, "unquantized"),
    ("SUB", (2, 3), (2, 3), 1.0, "unquantized"),
    ("ADD", (1, 2, 1, 2, 3), (2, 1, 2, 1), None, "4 dimensions"),
    ("MUL", (1, 2, 1, 2, 3), (2, 1, 2, 1), None, "4 dimensions"),
])
def test_int32_forms_tflm_refuses(op, s1, s2, scale, needle):
    data = _single(op, s1, s2, scale)
    with pytest.raises(UnsupportedError, match=needle):
        check_model(load_model(data))
    if scale:  # TFLM refuses it at prepare
        with pytest.raises(Exception):
            run_oracle(data, [[np.zeros(s1, np.int32), np.zeros(s2, np.int32)]])
