"""16x8 DEPTHWISE_CONV_2D, depth_multiplier 1: the four-channel path (one window row at a time
in assembly on the Cortex-M4, int32 sums, the one-SMLAL requantisation) equals TFLM in the
generated C (host, ASan/UBSan) and on the QEMU board (DSP and portable builds), on shapes
chosen for their edges: channel counts that leave a tail after the groups of four, fewer than
four channels, SAME padding (windows cut at every border, a window larger than the image),
stride 2 and 3, dilation, even kernels, per-tensor and per-channel scales, and accumulators at
the int32 bound (largest weights, inputs at the int16 extremes with the weights' signs, the
bias filling what is left)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from tflm_py import load_model
from tflm_py.hostbuild import run_host_many
from tflm_py.oracle import run_oracle
from tflm_py.ops import depthwise_conv_2d
from tflm_py.simulator import Simulator
from tflm_py.sweep import random_inputs
from tflm_py.testgen.conv import _conv_out
from tflm_py.testing import ModelBuilder

# name: (batches, h, w, c, kh, kw, stride, dilation, padding, per_channel)
SHAPES = {
    "3x3_same_c16": (1, 6, 5, 16, 3, 3, 1, 1, "SAME", True),
    "3x3_stride2_c7": (1, 7, 9, 7, 3, 3, 2, 1, "SAME", True),
    "3x3_dilated_c6": (2, 6, 7, 6, 3, 3, 1, 2, "SAME", False),
    "2x4_even_c9": (1, 5, 6, 9, 2, 4, 1, 1, "SAME", True),
    "5x5_c3": (1, 4, 4, 3, 5, 5, 1, 1, "SAME", True),
    "1x1_stride3_c4": (1, 5, 5, 4, 1, 1, 3, 1, "VALID", False),
    "big_window_c8": (1, 3, 3, 8, 7, 7, 1, 1, "SAME", True),
}


def _model(shape, rng, bound=False):
    n, h, w, c, kh, kw, st, dil, pad, per_channel = shape
    oh, ow = _conv_out(pad, h, kh, st, dil), _conv_out(pad, w, kw, st, dil)
    if not bound:
        wv = rng.integers(-127, 128, size=(1, kh, kw, c)).astype(np.int8)
        bias = rng.integers(-50000, 50001, size=c).astype(np.int64)
    else:
        # one sign per channel: the extreme inputs bring interior windows to the bound
        sign = np.where(np.arange(c) % 3 == 1, -127, 127)
        wv = np.broadcast_to(sign, (1, kh, kw, c)).astype(np.int8)
        left = (2**31 - 1) - 32768 * np.abs(wv.astype(np.int64)).reshape(-1, c).sum(axis=0)
        bias = np.where(np.arange(c) % 2 == 0, left, -left).astype(np.int64)
    ws = (rng.uniform(0.002, 0.02, c) if per_channel else rng.uniform(0.002, 0.02, 1))
    ws = ws.astype(np.float32)
    in_s = np.float32(1e-4)
    acc_span = 2.0**31 / 30000.0 if bound else 32768.0 * 127 * np.sqrt(kh * kw) / 50000.0
    out_s = float(np.float32(in_s * float(np.max(ws)) * acc_span))
    b = ModelBuilder()
    x = b.activation((n, h, w, c), dtype=np.int16, scale=float(in_s))
    wt = b.constant(wv, scales=ws, zero_points=[0] * len(ws), quantized_dimension=3)
    bs = (in_s * (ws if per_channel else np.repeat(ws, c))).astype(np.float32)
    bt = b.constant(bias, scales=bs, zero_points=[0] * c)
    y = b.activation((n, oh, ow, c), dtype=np.int16, scale=out_s)
    b.op("DEPTHWISE_CONV_2D", [x, wt, bt], [y], version=5, padding=pad, stride_h=st,
         stride_w=st, dilation_h_factor=dil, dilation_w_factor=dil, depth_multiplier=1,
         fused_activation_function="NONE")
    return b.build(inputs=[x], outputs=[y]), wv


def _cases():
    rng = np.random.default_rng(1614)
    out = [(name, *_model(shape, rng)) for name, shape in SHAPES.items()]
    for name in ("3x3_same_c16", "3x3_stride2_c7"):
        out.append((f"{name}_bound", *_model(SHAPES[name], rng, bound=True)))
    return out


def _samples(m, wv, seed):
    rng = np.random.default_rng(seed)
    t = m.tensors[m.inputs[0]]
    sign = np.sign(wv[0, 0, 0, :].astype(np.int64))
    hi = np.broadcast_to(np.where(sign >= 0, 32767, -32768), t.shape).astype(np.int16)
    lo = np.broadcast_to(np.where(sign >= 0, -32768, 32767), t.shape).astype(np.int16)
    return [random_inputs(m, rng) for _ in range(2)] + [[hi], [lo]]


def test_cases_take_the_int32_path():
    for name, data, _ in _cases():
        m = load_model(data)
        op = next(o for o in m.operators if o.type == "DEPTHWISE_CONV_2D")
        assert depthwise_conv_2d.prepare(op, m).fits32 == 1, name


def test_dw_equal_tflm_in_host_c(tmp_path):
    cases = _cases()
    models = [load_model(d) for _, d, _ in cases]
    samples = [_samples(m, wv, 300 + i) for i, (m, (_, _, wv)) in enumerate(zip(models, cases))]
    outs = run_host_many(models, samples, sanitize=True, work_dir=tmp_path)
    for (name, data, _), m, smp, c_out in zip(cases, models, samples, outs):
        sim = Simulator(m)
        refs = run_oracle(data, smp)
        spread = set()
        for x, ref, got in zip(smp, refs, c_out):
            assert np.array_equal(sim.run(x)[0], ref[0]), f"{name}: simulator != TFLM"
            assert np.array_equal(got[0], ref[0]), f"{name}: host C != TFLM"
            spread |= set(np.unique(ref[0]).tolist())
        assert len(spread) > 3, name


@pytest.mark.parametrize("portable", [False, True])
def test_dw_on_qemu(tmp_path, portable):
    assert shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"), \
        "qemu-system-arm / arm-none-eabi-gcc not installed: run scripts/setup.sh"
    from tflm_py.bench import run_on_qemu
    cases = _cases()
    entries = []
    for i, (name, data, wv) in enumerate(cases):
        m = load_model(data)
        entries.append((f"d{i}", m, _samples(m, wv, 400 + i)))
    res = run_on_qemu(entries, portable=portable, icount=False, work_dir=tmp_path)
    for (name, data, _), (_, _, smp), r in zip(cases, entries, res):
        refs = run_oracle(data, smp)
        for want, got in zip(refs, r["outputs"]):
            assert got is not None and np.array_equal(np.asarray(want[0]).ravel(),
                                                      np.asarray(got[0]).ravel()), name
