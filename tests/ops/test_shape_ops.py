"""SHAPE, PACK, UNPACK, FILL, CAST rooms (run on the device when the graph passes cannot fold
them): simulate vs TFLM on seeded random single-op models of every type combination the
generators draw, generated C (ASan/UBSan) vs simulate on a few, refusals of what TFLM refuses."""
from __future__ import annotations

import numpy as np
import pytest

from tflm_py import ops
from tflm_py.errors import UnsupportedError
from tflm_py.hostbuild import run_host
from tflm_py.oracle import run_oracle
from tflm_py.reader import read_model
from tflm_py.simulator import simulate
from tflm_py.testgen.shape_ops import GENERATORS
from tflm_py.testing import ModelBuilder

MODELS_PER_OP = 12
HOST_PER_OP = 2


def _inputs(model, rng):
    out = []
    for i in model.inputs:
        t = model.tensors[i]
        if t.dtype == np.bool_:
            out.append(rng.integers(0, 2, t.shape).astype(bool))
        else:
            info = np.iinfo(t.dtype)
            out.append(rng.integers(info.min, info.max, t.shape, dtype=np.int64,
                                    endpoint=True).astype(t.dtype))
    return out


@pytest.mark.parametrize("op_name", sorted(GENERATORS))
def test_rooms_match_tflm_and_c(op_name):
    for seed in range(MODELS_PER_OP):
        rng = np.random.default_rng(1000 * seed + len(op_name))
        data = GENERATORS[op_name](rng)
        model = read_model(data)  # the op itself, not folded
        assert [op.type for op in model.operators] == [op_name]
        samples = [_inputs(model, rng) for _ in range(2)]
        got = [simulate(model, s) for s in samples]
        for want, g in zip(run_oracle(data, samples), got):
            for w, y in zip(want, g):
                assert np.array_equal(np.asarray(w).reshape(-1), y.reshape(-1)), (op_name, seed)
        if seed < HOST_PER_OP:
            for g, h in zip(got, run_host(model, samples, sanitize=True)):
                for y, c in zip(g, h):
                    assert np.array_equal(y, c), (op_name, seed)


def _check(build):
    b = ModelBuilder()
    ins, outs = build(b)
    m = read_model(b.build(ins, outs))
    with pytest.raises(UnsupportedError):
        ops.room(m.operators[0].type).check(m.operators[0], m)


def test_refusals():
    def shape_int64(b):
        x = b.activation((2, 3), np.int8, scale=0.1)
        y = b.activation((2,), np.int64)
        b.op("SHAPE", [x], [y])
        return [x], [y]

    def cast_float(b):
        x = b.activation((4,), np.float32)
        y = b.activation((4,), np.int32)
        b.op("CAST", [x], [y])
        return [x], [y]

    def cast_to_bool(b):
        x = b.activation((4,), np.int32)
        y = b.activation((4,), np.bool_)
        b.op("CAST", [x], [y])
        return [x], [y]

    def fill_dims_mismatch(b):
        v = b.activation((), np.int32)
        y = b.activation((2, 3), np.int32)
        b.op("FILL", [b.constant(np.asarray([3, 2], np.int32)), v], [y])
        return [v], [y]

    for build in (shape_int64, cast_float, cast_to_bool, fill_dims_mismatch):
        _check(build)
