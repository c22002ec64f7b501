"""The float_islands pass (passes/float_islands.py) and the LOOKUP_TABLE room: an int8 ->
DEQUANTIZE -> float32 op(s) -> QUANTIZE -> int8 chain, which TFLM runs in float32, becomes one
table; over all 256 inputs it agrees with TFLM (the oracle) for every float op the pass
evaluates, and in the generated C; what the pass must leave alone stays (and is refused)."""
from __future__ import annotations

import numpy as np
import pytest

from tflm_py import load_model
from tflm_py.errors import UnsupportedError
from tflm_py.hostbuild import run_host
from tflm_py.ops import check_model
from tflm_py.oracle import run_oracle
from tflm_py.passes.float_islands import FLOAT_OPS
from tflm_py.simulator import simulate
from tflm_py.testing import ModelBuilder

ALL_INT8 = np.arange(-128, 128).astype(np.int8)
OPTIONS = {"LEAKY_RELU": dict(alpha=0.2)}


def _island(float_ops, qi, qo, readers_of_first=1):
    b = ModelBuilder()
    x = b.activation((256,), np.int8, *qi)
    t = b.activation((256,), np.float32)
    b.op("DEQUANTIZE", [x], [t])
    outs = []
    for k, name in enumerate(float_ops):
        g = b.activation((256,), np.float32)
        b.op(name, [t], [g], **OPTIONS.get(name, {}))
        if k == 0 and readers_of_first > 1:  # a second reader of the first float tensor
            extra = b.activation((256,), np.int8, *qo)
            b.op("QUANTIZE", [g], [extra])
            outs.append(extra)
        t = g
    y = b.activation((256,), np.int8, *qo)
    b.op("QUANTIZE", [t], [y])
    return b.build([x], [y] + outs)


@pytest.mark.parametrize("name", sorted(FLOAT_OPS))
def test_island_table_matches_tflm(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    for _ in range(2):
        zi = -128 if name == "SQRT" else int(rng.integers(-128, 128))  # SQRT: no negatives
        qi = (float(rng.uniform(0.005, 0.02 if name == "EXP" else 0.1)), zi)  # EXP: in int32
        qo = (float(rng.uniform(0.005, 0.1)), int(rng.integers(-128, 128)))
        data = _island([name], qi, qo)
        model = load_model(data)
        assert [op.type for op in model.operators] == ["LOOKUP_TABLE"]
        check_model(model)
        want = run_oracle(data, [[ALL_INT8]])[0][0]
        assert np.array_equal(simulate(model, [ALL_INT8])[0], want), (name, qi, qo)


def test_chain_of_float_ops_is_one_table_in_c():
    data = _island(["ELU", "TANH", "HARD_SWISH"], (0.04, 5), (0.01, -20))
    model = load_model(data)
    assert [op.type for op in model.operators] == ["LOOKUP_TABLE"]
    assert any(n.startswith("float_islands:") for n in model.notes)
    want = run_oracle(data, [[ALL_INT8]])[0][0]
    got = simulate(model, [ALL_INT8])[0]
    assert np.array_equal(got, want)
    assert np.array_equal(run_host(model, [[ALL_INT8]], sanitize=True)[0][0], got)


def test_left_alone():
    # the float tensor has a second reader: not a chain
    model = load_model(_island(["ELU", "TANH"], (0.04, 5), (0.01, -20), readers_of_first=2))
    assert "LOOKUP_TABLE" not in [op.type for op in model.operators]
    # SQRT of negative values: NaN, whose int8 conversion TFLM leaves undefined
    model = load_model(_island(["SQRT"], (0.04, 5), (0.01, -20)))
    assert [op.type for op in model.operators] == ["DEQUANTIZE", "SQRT", "QUANTIZE"]
    with pytest.raises(UnsupportedError, match="op #1 SQRT"):
        check_model(model)
    # EXP whose quantized values leave int32: TFLM's float -> int32 conversion is undefined
    model = load_model(_island(["EXP"], (0.1, -128), (0.01, 0)))
    assert [op.type for op in model.operators] == ["DEQUANTIZE", "EXP", "QUANTIZE"]
