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


# LOG and RSQRT reach 0 for every int8 zero point: tested below behind an ADD of a constant
@pytest.mark.parametrize("name", sorted(set(FLOAT_OPS) - {"LOG", "RSQRT"}))
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


def _check_against_tflm(data, ops_after, host=False):
    model = load_model(data)
    assert [op.type for op in model.operators] == ops_after
    check_model(model)
    want = run_oracle(data, [[ALL_INT8]])[0]
    got = simulate(model, [ALL_INT8])
    for w, g in zip(want, got):
        assert np.array_equal(np.asarray(w).reshape(-1), g.reshape(-1))
    if host:
        for c, g in zip(run_host(model, [[ALL_INT8]], sanitize=True)[0], got):
            assert np.array_equal(c, g)


def test_float_tensor_with_two_readers_is_two_tables():
    # the first float tensor is read by TANH and by a QUANTIZE: each QUANTIZE its own table
    data = _island(["ELU", "TANH"], (0.04, 5), (0.01, -20), readers_of_first=2)
    _check_against_tflm(data, ["LOOKUP_TABLE", "LOOKUP_TABLE"])


@pytest.mark.parametrize("name", ["LOG", "RSQRT"])
def test_log_rsqrt_of_a_positive_value(name):
    """DEQUANTIZE -> ABS -> ADD 0.25 -> LOG / RSQRT -> QUANTIZE (tf.math.log(abs(x) + c))."""
    b = ModelBuilder()
    x = b.activation((256,), np.int8, 0.03, 7)
    f, a, s, g = (b.activation((256,), np.float32) for _ in range(4))
    c = b.constant(np.array([0.25], dtype=np.float32))
    y = b.activation((256,), np.int8, 0.02 if name == "LOG" else 0.008, -30)
    b.op("DEQUANTIZE", [x], [f])
    b.op("ABS", [f], [a])
    b.op("ADD", [a, c], [s], fused_activation_function="NONE")
    b.op(name, [s], [g])
    b.op("QUANTIZE", [g], [y])
    _check_against_tflm(b.build([x], [y]), ["LOOKUP_TABLE"])


def test_dequantize_read_by_floor_ceil_round():
    """One DEQUANTIZE read by FLOOR, CEIL and ROUND (after a MUL by 3), three QUANTIZEs: three
    tables, exact at every half (ROUND takes halves to even, as TFLM's reference kernel)."""
    b = ModelBuilder()
    x = b.activation((256,), np.int8, 1 / 6, -3)     # x * 3 lands on every half
    f, m = b.activation((256,), np.float32), b.activation((256,), np.float32)
    three = b.constant(np.array(3.0, dtype=np.float32))
    b.op("DEQUANTIZE", [x], [f])
    b.op("MUL", [f, three], [m], fused_activation_function="NONE")
    outs = []
    for k, name in enumerate(("FLOOR", "CEIL", "ROUND")):
        g = b.activation((256,), np.float32)
        y = b.activation((256,), np.int8, 0.5, k - 1)
        b.op(name, [m], [g])
        b.op("QUANTIZE", [g], [y])
        outs.append(y)
    _check_against_tflm(b.build([x], outs), ["LOOKUP_TABLE"] * 3, host=True)


@pytest.mark.parametrize("seed", range(3))
def test_keras_elu_select_graph(seed):
    """Keras' ELU(alpha) as the converter leaves it: x_int8 -> DEQUANTIZE -> ELU -> MUL alpha,
    GREATER(x_int8, 0 as int8 of another scale) -> SELECT_V2 -> QUANTIZE: one table."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    x = b.activation((4, 64), np.int8, float(rng.uniform(0.01, 0.05)),
                     int(rng.integers(-100, 100)))
    f, e, m = (b.activation((4, 64), np.float32) for _ in range(3))
    gt = b.activation((4, 64), np.bool_)
    s = b.activation((4, 64), np.float32)
    alpha = b.constant(np.array(float(rng.uniform(0.2, 1.5)), dtype=np.float32))
    zero = b.constant(np.array(int(rng.integers(-2, 3)), dtype=np.int8), scales=[3.9e-9],
                      zero_points=[0])
    y = b.activation((4, 64), np.int8, float(rng.uniform(0.005, 0.05)),
                     int(rng.integers(-128, 0)))
    b.op("DEQUANTIZE", [x], [f])
    b.op("ELU", [f], [e])
    b.op("MUL", [e, alpha], [m], fused_activation_function="NONE")
    b.op("GREATER", [x, zero], [gt])
    b.op("SELECT_V2", [gt, f, m], [s])
    b.op("QUANTIZE", [s], [y])
    data = b.build([x], [y])
    model = load_model(data)
    assert [op.type for op in model.operators] == ["LOOKUP_TABLE"]
    check_model(model)
    samples = [[ALL_INT8.reshape(4, 64)], [ALL_INT8[::-1].reshape(4, 64)]]
    got = [simulate(model, s_)[0] for s_ in samples]
    for w, g in zip(run_oracle(data, samples), got):
        assert np.array_equal(w[0], g)
    if seed == 0:
        for c, g in zip(run_host(model, samples, sanitize=True), got):
            assert np.array_equal(c[0], g)


def test_float_concatenation_feeding_quantize():
    """FLOOR and ROUND of one DEQUANTIZE meeting in a float32 CONCATENATION before the
    QUANTIZE: QUANTIZE moves to the concatenation's inputs, each a table, the concatenation
    runs in int8."""
    b = ModelBuilder()
    x = b.activation((2, 128), np.int8, 0.05, 9)
    f, fl, rd = (b.activation((2, 128), np.float32) for _ in range(3))
    cat = b.activation((2, 256), np.float32)
    y = b.activation((2, 256), np.int8, 0.04, -11)
    b.op("DEQUANTIZE", [x], [f])
    b.op("FLOOR", [f], [fl])
    b.op("ROUND", [f], [rd])
    b.op("CONCATENATION", [fl, rd], [cat], axis=1, fused_activation_function="NONE")
    b.op("QUANTIZE", [cat], [y])
    data = b.build([x], [y])
    model = load_model(data)
    assert [op.type for op in model.operators] == ["LOOKUP_TABLE", "LOOKUP_TABLE",
                                                   "CONCATENATION"]
    check_model(model)
    sample = [ALL_INT8.reshape(2, 128)]
    got = simulate(model, sample)[0]
    assert np.array_equal(run_oracle(data, [sample])[0][0], got)
    assert np.array_equal(run_host(model, [sample], sanitize=True)[0][0], got)


@pytest.mark.parametrize("ops", [["FLOOR"], ["ELU", "ROUND"], ["DEQUANTIZE"]])
def test_island_ending_at_a_float32_output(ops):
    """int8 -> DEQUANTIZE -> float op(s) -> float32 graph output (a model converted with
    float32 I/O whose last op the converter leaves in float): one int8 -> float32 table, bit
    for bit TFLM's float32 values, in C too. A DEQUANTIZE alone stays as it is."""
    b = ModelBuilder()
    x = b.activation((256,), np.int8, 0.037, -6)
    t = b.activation((256,), np.float32)
    b.op("DEQUANTIZE", [x], [t])
    for name in ops[1:] if ops[0] == "DEQUANTIZE" else ops:
        g = b.activation((256,), np.float32)
        b.op(name, [t], [g])
        t = g
    data = b.build([x], [t])
    model = load_model(data)
    want_ops = ["DEQUANTIZE"] if ops == ["DEQUANTIZE"] else ["LOOKUP_TABLE"]
    assert [op.type for op in model.operators] == want_ops
    check_model(model)
    got = simulate(model, [ALL_INT8])[0]
    assert got.dtype == np.float32
    want = np.asarray(run_oracle(data, [[ALL_INT8]])[0][0], dtype=np.float32)
    assert np.array_equal(want.view(np.uint32), got.view(np.uint32))
    host = run_host(model, [[ALL_INT8]], sanitize=True)[0][0]
    assert np.array_equal(np.asarray(host, dtype=np.float32).view(np.uint32),
                          got.view(np.uint32))


def test_left_alone():
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
