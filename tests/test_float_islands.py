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


def _island(float_ops, qi, qo, readers_of_first=1, dtype=np.int8, out_dtype=None):
    n = 1 << (8 * np.dtype(dtype).itemsize)
    b = ModelBuilder()
    x = b.activation((n,), dtype, *qi)
    t = b.activation((n,), np.float32)
    b.op("DEQUANTIZE", [x], [t])
    outs = []
    for k, name in enumerate(float_ops):
        g = b.activation((n,), np.float32)
        b.op(name, [t], [g], **OPTIONS.get(name, {}))
        if k == 0 and readers_of_first > 1:  # a second reader of the first float tensor
            extra = b.activation((n,), dtype, *qo)
            b.op("QUANTIZE", [g], [extra])
            outs.append(extra)
        t = g
    y = b.activation((n,), out_dtype or dtype, *qo)
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


ALL_INT16 = np.arange(-32768, 32768).astype(np.int16)


@pytest.mark.parametrize("name", ["ELU", "HARD_SWISH", "LOGISTIC", "TANH", "LEAKY_RELU"])
def test_int16_island_table_matches_tflm(name):
    """A 16x8 model converted with float fallback: int16 -> DEQUANTIZE -> float32 op ->
    QUANTIZE -> int16 becomes one 65536-entry int16 table, equal to TFLM on every input."""
    rng = np.random.default_rng(160 + sum(map(ord, name)))
    qi = (float(rng.uniform(1e-4, 5e-4)), int(rng.integers(-50, 50)))
    qo = (float(rng.uniform(5e-5, 3e-4)), int(rng.integers(-50, 50)))
    data = _island([name], qi, qo, dtype=np.int16)
    model = load_model(data)
    assert [op.type for op in model.operators] == ["LOOKUP_TABLE"]
    check_model(model)
    want = run_oracle(data, [[ALL_INT16]])[0][0]
    got = simulate(model, [ALL_INT16])[0]
    assert np.array_equal(got, want), (name, qi, qo)
    assert len(np.unique(got)) > 1000


def test_int16_chain_in_c_and_mixed_ends_left_alone():
    data = _island(["ELU", "HARD_SWISH"], (3e-4, 7), (1e-4, -3), dtype=np.int16)
    model = load_model(data)
    assert [op.type for op in model.operators] == ["LOOKUP_TABLE"]
    assert any("65536-entry int16 table" in n for n in model.notes)
    want = run_oracle(data, [[ALL_INT16]])[0][0]
    got = run_host(model, [[ALL_INT16]], sanitize=True)[0][0]
    assert np.array_equal(simulate(model, [ALL_INT16])[0], want)
    assert np.array_equal(got, want)
    # int8 in, int16 out: not one table kind; left as it is (and refused as a float op)
    model = load_model(_island(["TANH"], (0.04, 5), (1e-4, 0), dtype=np.int8,
                               out_dtype=np.int16))
    assert "LOOKUP_TABLE" not in [op.type for op in model.operators]
