"""AVERAGE_POOL_2D, MAX_POOL_2D, SOFTMAX, LOGISTIC, TANH, MEAN: simulator vs TFLM (the oracle)
and generated C vs simulator, seeded; every comparison must have 0 differing elements."""
from pathlib import Path

import numpy as np
import pytest

from tflm_py import ops
from tflm_py.errors import UnsupportedError
from tflm_py.hostbuild import run_host
from tflm_py.oracle import run_oracle
from tflm_py.reader import load_model
from tflm_py.simulator import Simulator
from tflm_py.testgen import pool_softmax as gen
from tflm_py.testing import ModelBuilder

MODELS_DIR = Path(__file__).resolve().parents[1] / "data" / "models"
OPS = tuple(gen.GENERATORS)
MODELS_PER_OP = 40


def _random_inputs(model, rng, peaked=False):
    xs = []
    for t_idx in model.inputs:
        t = model.tensors[t_idx]
        x = rng.integers(-128, 128, size=t.shape)
        if peaked:  # values close together: many softmax terms above diff_min
            x = x // int(rng.integers(2, 40)) + int(rng.integers(-100, 100))
        xs.append(np.clip(x, -128, 127).astype(t.dtype))
    return xs


def _assert_same(expected, got, what):
    for si, (a_list, b_list) in enumerate(zip(expected, got)):
        assert len(a_list) == len(b_list)
        for oi, (a, b) in enumerate(zip(a_list, b_list)):
            a, b = np.asarray(a), np.asarray(b)
            assert a.size == b.size, f"{what}: sample {si} output {oi}: sizes {a.size} {b.size}"
            bad = int(np.sum(a.reshape(-1) != b.reshape(-1)))
            assert bad == 0, f"{what}: sample {si} output {oi}: {bad} differing elements"


def _sim(model, samples):
    sim = Simulator(model)
    return [sim.run(s) for s in samples]


@pytest.mark.parametrize("op_name", OPS)
def test_simulator_matches_oracle(op_name):
    rng = np.random.default_rng(7000 + OPS.index(op_name))
    for _ in range(MODELS_PER_OP):
        data = gen.GENERATORS[op_name](rng)
        model = load_model(data)
        assert [o.type for o in model.operators] == [op_name]
        samples = [_random_inputs(model, rng, peaked=k > 0) for k in range(3)]
        _assert_same(run_oracle(data, samples), _sim(model, samples), op_name)


def _exhaustive_model(add, rng, count):
    b = ModelBuilder()
    ins, outs = [], []
    for _ in range(count):
        i, o = add(b, rng, shape=(256,))
        ins += i
        outs += o
    return b.build(inputs=ins, outputs=outs)


@pytest.mark.parametrize("op_name", ["LOGISTIC", "TANH"])
def test_logistic_tanh_exhaustive(op_name):
    """Every int8 input value, for 160 random input scales / zero points, plus the C kernel."""
    rng = np.random.default_rng(11 if op_name == "LOGISTIC" else 12)
    add = gen.ADDERS[op_name]
    every = np.arange(-128, 128, dtype=np.int8)
    for part in range(4):
        data = _exhaustive_model(add, rng, 40)
        model = load_model(data)
        sample = [every[rng.permutation(256)] for _ in model.inputs]
        expected = run_oracle(data, [sample])
        _assert_same(expected, _sim(model, [sample]), op_name)
        if part == 0:
            _assert_same(expected, run_host(model, [sample]), op_name + " C")


def test_unary_extreme_scales():
    every = np.arange(-128, 128, dtype=np.int8)
    b = ModelBuilder()
    ins, outs = [], []
    for op_name, out_scale, out_zp in (("LOGISTIC", 1 / 256, -128), ("TANH", 1 / 128, 0)):
        for scale in (1e-6, 1e-4, 1 / 128, 0.0625, 1.0, 15.9, 16.0, 100.0):
            for zp in (-128, 0, 127):
                x = b.activation((256,), scale=scale, zero_point=zp)
                y = b.activation((256,), scale=out_scale, zero_point=out_zp)
                b.op(op_name, [x], [y])
                ins.append(x)
                outs.append(y)
    data = b.build(inputs=ins, outputs=outs)
    model = load_model(data)
    sample = [every] * len(ins)
    _assert_same(run_oracle(data, [sample]), _sim(model, [sample]), "extreme scales")


def test_generated_c_matches_simulator_and_oracle():
    """One graph holding 8 random ops of each kind: one C build, under ASan/UBSan."""
    rng = np.random.default_rng(4242)
    data = gen.multi_op_model(rng, OPS, 8 * len(OPS))
    model = load_model(data)
    samples = [_random_inputs(model, rng, peaked=k % 2 == 1) for k in range(4)]
    expected = run_oracle(data, samples)
    sim = _sim(model, samples)
    _assert_same(expected, sim, "simulator")
    _assert_same(sim, run_host(model, samples, sanitize=True), "C")


def _layer_copies(b, path, wanted):
    """Single-op copies of the real model's `wanted` layers (same shapes, quantization, options)."""
    m = load_model(path.read_bytes())
    ins, outs = [], []
    for op in m.operators:
        if op.type not in wanted:
            continue
        x, y = m.tensors[op.inputs[0]], m.tensors[op.outputs[0]]
        xi = b.activation(x.shape, scale=x.quantization.scale, zero_point=x.quantization.zero_point)
        yi = b.activation(y.shape, dtype=y.dtype, scale=y.quantization.scale,
                          zero_point=y.quantization.zero_point)
        opts = {k: v for k, v in vars(op.options).items()}
        b.op(op.type, [xi], [yi], **opts)
        ins.append(xi)
        outs.append(yi)
    return ins, outs


def test_real_model_layers():
    """The SOFTMAX layers of micro_speech, kws_ref_model and trained_lstm, and kws's
    AVERAGE_POOL_2D, rebuilt with their quantization: oracle, simulator and C agree."""
    b = ModelBuilder()
    ins, outs = [], []
    for name in ("micro_speech_quantized", "kws_ref_model", "trained_lstm_int8"):
        i, o = _layer_copies(b, MODELS_DIR / f"{name}.tflite", ("SOFTMAX", "AVERAGE_POOL_2D"))
        assert i, f"{name} has no SOFTMAX / AVERAGE_POOL_2D layer"
        ins += i
        outs += o
    data = b.build(inputs=ins, outputs=outs)
    model = load_model(data)
    assert sorted(op.type for op in model.operators) == ["AVERAGE_POOL_2D"] + ["SOFTMAX"] * 3
    rng = np.random.default_rng(99)
    samples = [_random_inputs(model, rng, peaked=k % 3 != 0) for k in range(150)]
    expected = run_oracle(data, samples)
    sim = _sim(model, samples)
    _assert_same(expected, sim, "real layers simulator")
    _assert_same(sim, run_host(model, samples), "real layers C")


def _check(data):
    model = load_model(data)
    op = model.operators[0]
    ops.room(op.type).check(op, model)


def _unary(op_type, dtype=np.int8, out_zp=-128, out_dtype=None, **opts):
    b = ModelBuilder()
    x = b.activation((1, 8), dtype=dtype, scale=None if dtype == np.float32 else 0.1,
                     zero_point=0)
    od = out_dtype or dtype
    y = b.activation((1, 8), dtype=od, scale=None if od == np.float32 else 1 / 256,
                     zero_point=out_zp)
    b.op(op_type, [x], [y], **opts)
    return b.build([x], [y])


def _pool(out_scale=0.1, out_zp=0, dtype=np.int8, act="NONE"):
    b = ModelBuilder()
    x = b.activation((1, 4, 4, 2), dtype=dtype, scale=0.1, zero_point=0)
    y = b.activation((1, 2, 2, 2), dtype=dtype, scale=out_scale, zero_point=out_zp)
    b.op("AVERAGE_POOL_2D", [x], [y], padding="VALID", stride_h=2, stride_w=2,
         filter_height=2, filter_width=2, fused_activation_function=act)
    return b.build([x], [y])


def _mean(dtype=np.int8, axis_const=True):
    b = ModelBuilder()
    x = b.activation((2, 3, 4), dtype=dtype, scale=0.1, zero_point=0)
    a = b.constant(np.array([1], dtype=np.int32)) if axis_const else \
        b.activation((1,), dtype=np.int32)
    y = b.activation((2, 4), dtype=dtype, scale=0.1, zero_point=0)
    b.op("MEAN", [x, a], [y], keep_dims=False)
    return b.build([x] if axis_const else [x, a], [y])


@pytest.mark.parametrize("data,reason", [
    (_unary("SOFTMAX", np.float32, beta=1.0), "int8"),
    (_unary("SOFTMAX", out_zp=0, beta=1.0), "zero point -128"),
    (_unary("SOFTMAX", out_dtype=np.int32, beta=1.0), "int8 or int16"),
    (_unary("LOGISTIC", out_zp=0), "zero point -128"),
    (_unary("LOGISTIC", np.int16, out_zp=0), r"2\^-15"),
    (_unary("TANH", np.float32), "int8"),
    (_pool(out_scale=0.2), "same scale"),
    (_pool(out_zp=3), "same scale"),
    (_pool(act="TANH"), "activation"),
    (_mean(np.int32), "int8"),
    (_mean(axis_const=False), "constant"),
])
def test_unsupported_variants(data, reason):
    with pytest.raises(UnsupportedError, match=reason):
        _check(data)
