"""CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED: simulate vs TFLM (the oracle) on random
single-op models and on every such op of the real models, the C kernels vs simulate (through
ctypes on a shared library of the kernels, plus a few whole generated bundles under ASan),
MAC counts, speed, and what check() rejects."""
from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path

import numpy as np
import pytest

import tflm_py
from tflm_py import ops
from tflm_py.errors import UnsupportedError
from tflm_py.oracle import run_oracle
from tflm_py.testgen.conv import GENERATORS, extract_op
from tflm_py.testing import ModelBuilder

ROOT = Path(__file__).resolve().parents[2]
KERNELS = ROOT / "kernels_c"
MODELS = ROOT / "tests" / "data" / "models"
if not MODELS.is_dir():
    MODELS = ROOT.parent / "shared" / "models"
REAL = ["kws_ref_model", "ad01_int8", "hello_world_int8", "micro_speech_quantized",
        "trained_lstm_int8"]
OPS = tuple(GENERATORS)
N_RANDOM = 40
SAMPLES = 2


# ------------------------------------------------------------------------ helpers

def _op_inputs(model, op, graph_inputs):
    """Op input arrays from graph inputs (in order) and constants; None for absent."""
    it = iter(graph_inputs)
    out = []
    for i in op.inputs:
        t = model.tensor(i)
        if t is None:
            out.append(None)
        elif t.is_constant:
            out.append(t.data)
        else:
            out.append(next(it))
    return out


def _simulate(model, xs):
    op = model.operators[0]
    room = ops.room(op.type)
    room.check(op, model)
    p = room.prepare(op, model)
    return room.simulate(op, model, p, _op_inputs(model, op, xs))[0], p


def _random_inputs(model, rng):
    return [rng.integers(-128, 128, size=model.tensors[i].shape).astype(np.int8)
            for i in model.inputs]


def _random_models(op_name, seed, n):
    rng = np.random.default_rng(seed)
    return [GENERATORS[op_name](rng) for _ in range(n)]


def _real_ops():
    out = []
    for name in REAL:
        path = MODELS / f"{name}.tflite"
        if not path.is_file():
            continue
        m = tflm_py.load_model(str(path))
        for op in m.operators:
            if op.type in OPS:
                out.append((f"{name}-{op.index}-{op.type}", m, op))
    return out


# ------------------------------------------------------------------------ the C kernels

class _ConvP(ctypes.Structure):
    _fields_ = [(n, ctypes.c_int32) for n in (
        "batches", "input_h", "input_w", "input_c", "filter_h", "filter_w", "filter_c",
        "output_h", "output_w", "output_c", "stride_h", "stride_w", "dilation_h", "dilation_w",
        "pad_h", "pad_w", "input_offset", "output_offset", "act_min", "act_max",
        "per_channel")] + [("multipliers", ctypes.POINTER(ctypes.c_int32)),
                           ("shifts", ctypes.POINTER(ctypes.c_int8)),
                           ("small_acc", ctypes.c_int32)]


class _DwP(ctypes.Structure):
    _fields_ = [(n, ctypes.c_int32) for n in (
        "batches", "input_h", "input_w", "input_c", "filter_h", "filter_w", "output_h",
        "output_w", "output_c", "depth_multiplier", "stride_h", "stride_w", "dilation_h",
        "dilation_w", "pad_h", "pad_w", "input_offset", "output_offset", "act_min", "act_max",
        "per_channel")] + [("multipliers", ctypes.POINTER(ctypes.c_int32)),
                           ("shifts", ctypes.POINTER(ctypes.c_int8)),
                           ("small_acc", ctypes.c_int32)]


class _FcP(ctypes.Structure):
    _fields_ = [(n, ctypes.c_int32) for n in (
        "batches", "accum_depth", "output_depth", "input_offset", "filter_offset",
        "output_offset", "act_min", "act_max", "per_channel")] + [
        ("multipliers", ctypes.POINTER(ctypes.c_int32)),
        ("shifts", ctypes.POINTER(ctypes.c_int8)),
        ("folded_bias", ctypes.POINTER(ctypes.c_int32)),
        ("small_acc", ctypes.c_int32)]


_C = {"CONV_2D": ("tflm_conv_2d_s8", _ConvP),
      "DEPTHWISE_CONV_2D": ("tflm_depthwise_conv_2d_s8", _DwP),
      "FULLY_CONNECTED": ("tflm_fully_connected_s8", _FcP)}

_HEADERS = {"CONV_2D": "conv_2d.h", "DEPTHWISE_CONV_2D": "depthwise_conv_2d.h",
            "FULLY_CONNECTED": "fully_connected.h"}


@pytest.fixture(scope="module")
def kernel_lib(tmp_path_factory):
    d = tmp_path_factory.mktemp("conv_kernels")
    srcs = [str(KERNELS / f"{k}.c") for k in ("conv_2d", "depthwise_conv_2d", "fully_connected")]
    so = d / "libconv.so"
    cmd = ["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-fPIC", "-shared",
           "-I", str(KERNELS), *srcs, "-o", str(so)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # the ctypes mirrors must list the header's fields in order
    for op_name, (_, cls) in _C.items():
        text = (KERNELS / _HEADERS[op_name]).read_text()
        body = text[text.index("typedef struct"):text.index("} tflm_")]
        pos = [body.index(f" {f}") if f" {f}" in body else body.index(f"*{f}")
               for f, _ in cls._fields_]
        assert pos == sorted(pos), f"{op_name}: ctypes field order differs from the header"
    return ctypes.CDLL(str(so))


def _run_c(lib, model, params, xs):
    op = model.operators[0]
    fname, cls = _C[op.type]
    fields = {}
    for name, _ in cls._fields_:
        if name in ("multipliers", "shifts", "folded_bias"):
            continue
        fields[name] = int(getattr(params, name))
    mult = np.ascontiguousarray(params.multipliers, dtype=np.int32)
    shift = np.ascontiguousarray(params.shifts, dtype=np.int8)
    p = cls(**fields)
    p.multipliers = mult.ctypes.data_as(ctypes.POINTER(ctypes.c_int32))
    p.shifts = shift.ctypes.data_as(ctypes.POINTER(ctypes.c_int8))
    folded = getattr(params, "folded_bias", None)
    if folded is not None:
        folded = np.ascontiguousarray(folded, dtype=np.int32)
        p.folded_bias = folded.ctypes.data_as(ctypes.POINTER(ctypes.c_int32))
    args = _op_inputs(model, op, xs)
    x = np.ascontiguousarray(args[0], dtype=np.int8)
    w = np.ascontiguousarray(args[1], dtype=np.int8)
    b = args[2] if len(args) > 2 else None
    b = None if b is None else np.ascontiguousarray(b, dtype=np.int32)
    y = np.full(model.tensors[op.outputs[0]].shape, 0x55, dtype=np.int8)
    fn = getattr(lib, fname)
    fn.restype = None
    args = [ctypes.byref(p), x.ctypes.data_as(ctypes.c_void_p),
            w.ctypes.data_as(ctypes.c_void_p),
            None if b is None else b.ctypes.data_as(ctypes.c_void_p),
            y.ctypes.data_as(ctypes.c_void_p)]
    if op.type == "CONV_2D":   # the fast paths' scratch (NULL: the reference loop)
        n = ops.room("CONV_2D").scratch_bytes(op, model)
        scratch = np.zeros(max(n, 1), dtype=np.int8)
        args.append(scratch.ctypes.data_as(ctypes.c_void_p) if n else None)
    fn(*args)
    return y


# ------------------------------------------------------------------------ tests

@pytest.mark.parametrize("op_name", OPS)
def test_random_models_sim_vs_oracle_and_c(op_name, kernel_lib):
    rng = np.random.default_rng(1234)
    elements = 0
    for k, data in enumerate(_random_models(op_name, 100 + len(op_name), N_RANDOM)):
        model = tflm_py.load_model(data)
        batch = [_random_inputs(model, rng) for _ in range(SAMPLES)]
        expected = run_oracle(data, batch)
        for xs, (ref,) in zip(batch, expected):
            got, params = _simulate(model, xs)
            assert got.dtype == np.int8 and got.shape == ref.shape
            assert np.array_equal(got, ref), (
                f"{op_name} model {k}: {int(np.sum(got != ref))} of {ref.size} differ; "
                f"options {vars(model.operators[0].options)}")
            c = _run_c(kernel_lib, model, params, xs)
            assert np.array_equal(c, got), f"{op_name} model {k}: C kernel differs from simulate"
            elements += ref.size
    assert elements > 0


@pytest.mark.parametrize("case", _real_ops(), ids=lambda c: c[0])
def test_real_model_ops(case, kernel_lib):
    """Each conv / depthwise / FC of the real models, alone, on random int8 inputs."""
    _, model, op = case
    data = extract_op(model, op)
    single = tflm_py.load_model(data)
    rng = np.random.default_rng(7)
    batch = [_random_inputs(single, rng) for _ in range(3)]
    expected = run_oracle(data, batch)
    for xs, (ref,) in zip(batch, expected):
        got, params = _simulate(single, xs)
        assert np.array_equal(got, ref), f"{int(np.sum(got != ref))} of {ref.size} differ"
        assert np.array_equal(_run_c(kernel_lib, single, params, xs), got)


def test_generated_bundles_under_sanitizers():
    """The whole path (emit -> codegen -> host gcc with ASan/UBSan) on a few random models."""
    from tflm_py.sweep import run_case
    for op_name in OPS:
        for seed, san in ((11, True), (12, False)):
            res = run_case(op_name, seed, with_c=True, sanitize=san, samples=2)
            assert res["elements"] > 0
            assert res["sim_mismatch"] == 0 and res["c_mismatch"] == 0, res["first"]


def test_kws_macs_and_speed():
    m = tflm_py.load_model(str(MODELS / "kws_ref_model.tflite"))
    mine = [op for op in m.operators if op.type in OPS]
    assert sum(ops.room(op.type).macs(op, m) for op in mine) == 2_656_768
    rng = np.random.default_rng(0)
    prepared = []
    for op in mine:
        room = ops.room(op.type)
        p = room.prepare(op, m)
        args = []
        for i in op.inputs:
            t = m.tensor(i)
            args.append(None if t is None else t.data if t.is_constant
                        else rng.integers(-128, 128, size=t.shape).astype(np.int8))
        prepared.append((room, op, p, args))
    for room, op, p, args in prepared:       # speed: scripts/bench_tools.py
        room.simulate(op, m, p, args)


def _fc_model(in_s, w_s, out_s, k, wv, per_channel=False):
    b = ModelBuilder()
    x = b.activation((1, k), scale=in_s, zero_point=0)
    n = wv.shape[0]
    w = b.constant(wv, scales=[w_s] * (n if per_channel else 1),
                   zero_points=[0] * (n if per_channel else 1))
    y = b.activation((1, n), scale=out_s, zero_point=0)
    b.op("FULLY_CONNECTED", [x, w, -1], [y])
    return b.build([x], [y])


def test_fc_multiplier_is_computed_in_double():
    """Scales where double(in)*double(w)/double(out) and float32(in*w)/out quantize to
    different multipliers, with an accumulator on the rounding edge: TFLM uses double."""
    from tflm_py import quant
    a, bw, c = np.float32(0.1879035383462906), np.float32(0.26926693320274353), \
        np.float32(616.6144409179688)
    q1 = quant.quantize_multiplier(float(a * bw) / float(c))          # float32 product
    q2 = quant.quantize_multiplier(float(a) * float(bw) / float(c))   # double product
    assert q1 != q2
    k = 1024
    lim = min(int(121 * float(c) / (float(a) * float(bw))), 127 * 127 * 1023)
    accs = np.arange(-lim, lim, dtype=np.int64)
    o1 = quant.multiply_by_quantized_multiplier(accs, *q1)
    o2 = quant.multiply_by_quantized_multiplier(accs, *q2)
    acc = int(accs[np.nonzero((o1 != o2) & (np.abs(o1) <= 120))[0][0]])
    s1 = int(round(acc / 127))
    s2 = acc - 127 * s1
    xs = np.zeros(k, np.int64)
    q, rm = divmod(abs(s1), k - 1)
    xs[:k - 1] = q
    xs[:rm] += 1
    xs[:k - 1] *= np.sign(s1)
    xs[k - 1] = s2
    wv = np.full(k, 127, np.int8)
    wv[-1] = 1
    wv = np.stack([wv, wv])
    x = xs.astype(np.int8).reshape(1, k)
    for pc in (False, True):
        data = _fc_model(float(a), float(bw), float(c), k, wv, per_channel=pc)
        ref = run_oracle(data, [[x]])[0][0]
        got, _ = _simulate(tflm_py.load_model(data), [x])
        assert np.array_equal(got, ref)
        assert int(ref[0, 0]) == int(quant.multiply_by_quantized_multiplier(acc, *q2))


def test_absent_bias_minus_one_depthwise(kernel_lib):
    """bias = -1 (the PyPI TFLM crashes on this for depthwise, so no oracle): C == simulate,
    and simulate == the same model with a zero bias through the oracle."""
    rng = np.random.default_rng(3)
    def build(with_zero_bias):
        b = ModelBuilder()
        x = b.activation((1, 6, 5, 3), scale=0.05, zero_point=-7)
        w = b.constant(np.arange(-54, 54, 2, dtype=np.int8).reshape(1, 3, 3, 6),
                       scales=np.linspace(0.01, 0.02, 6), zero_points=[0] * 6,
                       quantized_dimension=3)
        y = b.activation((1, 6, 5, 6), scale=0.1, zero_point=4)
        bias = (b.constant(np.zeros(6, np.int32), scales=np.full(6, 0.0005), zero_points=[0] * 6)
                if with_zero_bias else -1)
        b.op("DEPTHWISE_CONV_2D", [x, w, bias], [y], padding="SAME", stride_h=1, stride_w=1,
             depth_multiplier=2, fused_activation_function="RELU6")
        return b.build([x], [y])
    xs = [rng.integers(-128, 128, (1, 6, 5, 3)).astype(np.int8)]
    m = tflm_py.load_model(build(False))
    got, params = _simulate(m, xs)
    assert np.array_equal(_run_c(kernel_lib, m, params, xs), got)
    ref = run_oracle(build(True), [xs])[0][0]
    assert np.array_equal(got, ref)


def _conv_model(in_dtype=np.int8, w_dtype=np.int8, bias_dtype=np.int32, w_zp=0,
                op="CONV_2D", out_shape=(1, 4, 4, 2), w_const=True, **opts):
    b = ModelBuilder()
    x = b.activation((1, 4, 4, 2), dtype=in_dtype, scale=0.05, zero_point=0)
    if op == "DEPTHWISE_CONV_2D":
        wshape, qd = (1, 3, 3, 2), 3
        opts.setdefault("depth_multiplier", 1)
    else:
        wshape, qd = (2, 3, 3, 2), 0
    if w_const:
        w = b.constant(np.ones(wshape, dtype=w_dtype), scales=[0.01], zero_points=[w_zp],
                       quantized_dimension=qd)
    else:
        w = b.activation(wshape, dtype=w_dtype, scale=0.01, zero_point=w_zp)
    bias = b.constant(np.zeros(2, bias_dtype), scales=[0.0005])
    y = b.activation(out_shape, dtype=in_dtype, scale=0.1, zero_point=0)
    opts.setdefault("padding", "SAME")
    b.op(op, [x, w, bias], [y], stride_h=1, stride_w=1, **opts)
    return tflm_py.load_model(b.build([x], [y]))


@pytest.mark.parametrize("kwargs,needle", [
    (dict(in_dtype=np.int16, w_dtype=np.int16, bias_dtype=np.int64), "weights must be int8"),
    (dict(in_dtype=np.float32, w_dtype=np.float32, bias_dtype=np.float32), "float32"),
    (dict(bias_dtype=np.int64), "bias must be int32"),
    (dict(w_zp=3), "symmetric"),
    (dict(w_const=False), "constant"),
    (dict(out_shape=(1, 3, 3, 2)), "output shape"),
    (dict(fused_activation_function="TANH"), "activation"),
    (dict(op="DEPTHWISE_CONV_2D", depth_multiplier=2), "depth_multiplier"),
    (dict(op="DEPTHWISE_CONV_2D", in_dtype=np.int16, bias_dtype=np.int32), "reads it as int64"),
    (dict(in_dtype=np.int16, bias_dtype=np.int16), "int64 or int32"),
])
def test_unsupported_conv_variants(kwargs, needle):
    m = _conv_model(**kwargs)
    op = m.operators[0]
    with pytest.raises(UnsupportedError, match=needle):
        ops.room(op.type).check(op, m)


def test_fc_per_channel_with_3d_output_matches_tflm():
    """A Dense on a sequence: per-channel weights, [2, 3, 8] -> [2, 3, 4] (keep_num_dims).
    TFLM takes every output element but the last dimension as a batch."""
    rng = np.random.default_rng(12)
    b = ModelBuilder()
    x = b.activation((2, 3, 8), scale=0.05, zero_point=4)
    w = b.constant(rng.integers(-127, 128, (4, 8)).astype(np.int8),
                   scales=[0.01, 0.02, 0.005, 0.013], zero_points=[0] * 4)
    bias = b.constant(rng.integers(-900, 900, 4).astype(np.int32), scales=[0.0005] * 4)
    y = b.activation((2, 3, 4), scale=0.03, zero_point=-5)
    b.op("FULLY_CONNECTED", [x, w, bias], [y], keep_num_dims=True)
    data = b.build([x], [y])
    m = tflm_py.load_model(data)
    xs = [rng.integers(-128, 128, (2, 3, 8)).astype(np.int8) for _ in range(3)]
    from tflm_py.simulator import Simulator
    sim = Simulator(m)
    for xv, ref in zip(xs, run_oracle(data, [[v] for v in xs])):
        got = sim.run([xv])[0]
        assert np.array_equal(got, ref[0])
        assert len(np.unique(got)) > 4


def test_unsupported_fc_variants():
    # int16 input with an int8 output
    b = ModelBuilder()
    x = b.activation((1, 8), dtype=np.int16, scale=0.05, zero_point=0)
    w = b.constant(np.ones((4, 8), np.int8), scales=[0.01], zero_points=[0])
    y = b.activation((1, 4), dtype=np.int8, scale=0.1, zero_point=0)
    b.op("FULLY_CONNECTED", [x, w, -1], [y])
    m = tflm_py.load_model(b.build([x], [y]))
    with pytest.raises(UnsupportedError, match="types differ"):
        ops.room("FULLY_CONNECTED").check(m.operators[0], m)
