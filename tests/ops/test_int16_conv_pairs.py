"""16x8 CONV_2D, the two-pixel by two-channel path (two windows copied to the scratch, int32
sums, the int16 weights padded to rows of 4) and the one-pixel path the kernel falls back to
without its scratch: both equal TFLM in the generated C (host, ASan/UBSan) and on the QEMU
Cortex-M4 board, on shapes chosen for their edges: odd output channel counts and an odd number
of output pixels (the last pair half empty), SAME padding, stride 2, dilation, one input
channel, a pair straddling two images, per-tensor and per-channel scales, and accumulators at
the int32 bound (largest weights, inputs at the int16 extremes with the weights' signs, the
bias filling what is left): on the bound the int32 path runs, one past it the int64 one."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from tflm_py import load_model, planner
from tflm_py.hostbuild import run_host_many
from tflm_py.oracle import run_oracle
from tflm_py.ops import conv_2d
from tflm_py.simulator import Simulator
from tflm_py.sweep import random_inputs
from tflm_py.testgen.conv import _conv_out
from tflm_py.testing import ModelBuilder

# name: (batches, h, w, c, oc, kh, kw, stride, dilation, padding, per_channel)
SHAPES = {
    "pointwise_odd": (1, 3, 5, 5, 7, 1, 1, 1, 1, "VALID", True),
    "3x3_stride2_same": (1, 7, 9, 3, 5, 3, 3, 2, 1, "SAME", True),
    "3x3_dilated_same": (1, 6, 7, 2, 4, 3, 3, 1, 2, "SAME", False),
    "5x3_one_channel_batch2": (2, 9, 5, 1, 16, 5, 3, 2, 1, "SAME", True),
    "2x4_even_kernel_same": (1, 5, 6, 6, 3, 2, 4, 1, 1, "SAME", True),
    "one_output_channel": (1, 4, 3, 8, 1, 3, 3, 1, 1, "VALID", False),
}


def _model(shape, rng, bound=None, pad_after=True):
    """A 16x8 CONV_2D; bound: None (random weights and bias), "on" (|bias| + 2^15 sum |w|
    = 2^31 - 1 in every channel) or "over" (one more in channel 0)."""
    n, h, w, c, oc, kh, kw, st, dil, pad, per_channel = shape
    oh, ow = _conv_out(pad, h, kh, st, dil), _conv_out(pad, w, kw, st, dil)
    k = kh * kw * c
    if bound is None:
        wv = rng.integers(-127, 128, size=(oc, kh, kw, c)).astype(np.int8)
        bias = rng.integers(-50000, 50001, size=oc).astype(np.int64)
    else:
        wv = np.where(rng.random((oc, kh, kw, c)) < 0.5, -127, 127).astype(np.int8)
        left = (2**31 - 1) - 32768 * np.abs(wv.astype(np.int64)).reshape(oc, -1).sum(axis=1)
        assert np.all(left >= 0), "shape too large for the bound case"
        bias = np.where(np.arange(oc) % 2 == 0, left, -left).astype(np.int64)
        if bound == "over":
            bias[0] += 1
    ws = (rng.uniform(0.002, 0.02, oc) if per_channel else rng.uniform(0.002, 0.02, 1))
    ws = ws.astype(np.float32)
    in_s = np.float32(1e-4)
    # outputs spread over int16: typical accumulators (random case) map onto about
    # 1.5 x 32767, the int32 range (bound cases) onto about 0.9 x 32767
    acc_span = 2.0**31 / 30000.0 if bound is not None else 32768.0 * 127 * np.sqrt(k) / 50000.0
    out_s = float(np.float32(in_s * float(np.max(ws)) * acc_span))
    b = ModelBuilder()
    x = b.activation((n, h, w, c), dtype=np.int16, scale=float(in_s))
    wt = b.constant(wv, scales=ws, zero_points=[0] * len(ws), quantized_dimension=0)
    bs = (in_s * (ws if per_channel else np.repeat(ws, oc))).astype(np.float32)
    bt = b.constant(bias, scales=bs, zero_points=[0] * oc)
    y = b.activation((n, oh, ow, oc), dtype=np.int16, scale=out_s)
    b.op("CONV_2D", [x, wt, bt], [y], version=4, padding=pad, stride_h=st, stride_w=st,
         dilation_h_factor=dil, dilation_w_factor=dil, fused_activation_function="NONE")
    if not pad_after:
        return b.build(inputs=[x], outputs=[y]), wv
    # a PAD after the conv whose output outweighs the conv's input and scratch: the arena
    # TFLM's planner would take leaves room for the scratch, which the planner then keeps
    rows = -(-(n * h * w * c * 2 + 4 * (k + 3) + 64) // (ow * oc * 2))
    pads = b.constant(np.array([[0, 0], [0, rows], [0, 0], [0, 0]], dtype=np.int32))
    z = b.activation((n, oh + rows, ow, oc), dtype=np.int16, scale=out_s)
    b.op("PAD", [y, pads], [z])
    return b.build(inputs=[x], outputs=[z]), wv


def _extreme_inputs(m, wv, rng):
    """Inputs at the int16 extremes: the signs of channel 0's first tap weights (every pixel
    near the bound for that channel), then their opposite, then random extremes."""
    t = m.tensors[m.inputs[0]]
    sign = np.sign(wv[0, 0, 0, :].astype(np.int64))
    hi = np.where(sign >= 0, 32767, -32768)
    lo = np.where(sign >= 0, -32768, 32767)
    rand = np.where(rng.random(t.shape) < 0.5, -32768, 32767)
    return [[np.broadcast_to(v, t.shape).astype(np.int16)] for v in (hi, lo)] + \
        [[rand.astype(np.int16)]]


def _cases():
    out = []
    rng = np.random.default_rng(1613)
    for name, shape in SHAPES.items():
        data, wv = _model(shape, rng)
        out.append((name, data, wv, 1, None))
    for name in ("pointwise_odd", "3x3_stride2_same", "one_output_channel"):
        for bound, fits in (("on", 1), ("over", 0)):
            data, wv = _model(SHAPES[name], rng, bound)
            out.append((f"{name}_bound_{bound}", data, wv, fits, bound))
    return out


def _samples(m, wv, bound, seed):
    rng = np.random.default_rng(seed)
    smp = [random_inputs(m, rng) for _ in range(2)]
    return smp + _extreme_inputs(m, wv, rng)


def test_paths_and_variant_choice():
    for name, data, _, fits, _ in _cases():
        m = load_model(data)
        op = next(o for o in m.operators if o.type == "CONV_2D")
        p = conv_2d.prepare(op, m)
        assert p.fits32 == fits, name
        want = conv_2d.scratch_bytes_16x8(p)
        assert (want > 0) == bool(fits), name
        assert conv_2d.scratch_bytes(op, m) == want
        names = [v["name"] for v in conv_2d.kernel_variants(op, m)]
        assert ("16x8 2x2 SMLAD (2 windows in scratch)" in names) == bool(fits), name
        if fits:
            assert planner.plan(m).scratch[op.index][1] == want, name


def _scratchless():
    """A model whose window scratch exceeds the tensors' own arena: the planner drops it and
    the kernel runs one pixel at a time."""
    data, wv = _model((1, 3, 3, 64, 2, 3, 3, 1, 1, "VALID", True), np.random.default_rng(7),
                      pad_after=False)
    m = load_model(data)
    op = next(o for o in m.operators if o.type == "CONV_2D")
    assert conv_2d.scratch_bytes(op, m) > 0
    assert op.index not in planner.plan(m).scratch
    return ("scratchless", data, wv, 1, None)


def test_pairs_equal_tflm_in_host_c(tmp_path):
    cases = _cases() + [_scratchless()]
    models = [load_model(d) for _, d, _, _, _ in cases]
    samples = [_samples(m, wv, bound, 100 + i)
               for i, (m, (_, _, wv, _, bound)) in enumerate(zip(models, cases))]
    outs = run_host_many(models, samples, sanitize=True, work_dir=tmp_path)
    for (name, data, _, _, _), m, smp, c_out in zip(cases, models, samples, outs):
        sim = Simulator(m)
        refs = run_oracle(data, smp)
        spread = set()
        for x, ref, got in zip(smp, refs, c_out):
            assert np.array_equal(sim.run(x)[0], ref[0]), f"{name}: simulator != TFLM"
            assert np.array_equal(got[0], ref[0]), f"{name}: host C != TFLM"
            spread |= set(np.unique(ref[0]).tolist())
        assert len(spread) > 3, name      # not all saturated


@pytest.mark.parametrize("portable", [False, True])
def test_pairs_on_qemu(tmp_path, portable):
    assert shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"), \
        "qemu-system-arm / arm-none-eabi-gcc not installed: run scripts/setup.sh"
    from tflm_py.bench import run_on_qemu
    cases = _cases() + [_scratchless()]
    entries = []
    for i, (name, data, wv, _, bound) in enumerate(cases):
        m = load_model(data)
        entries.append((f"c{i}", m, _samples(m, wv, bound, 200 + i)))
    res = run_on_qemu(entries, portable=portable, icount=False, work_dir=tmp_path)
    for (name, data, _, _, _), (_, _, smp), r in zip(cases, entries, res):
        refs = run_oracle(data, smp)
        for want, got in zip(refs, r["outputs"]):
            assert got is not None and np.array_equal(np.asarray(want[0]).ravel(),
                                                      np.asarray(got[0]).ravel()), name


def test_k64_requantisation_is_exact():
    """The identity behind tflm_rq16_t.k64 (kernels_c/tflm_common.h), on big integers: with
    k64 = bias * mhi + 2^(31 + post), ((acc * mhi + k64) >> 32) >> post equals the high-word
    requantisation of acc + bias, for every post in [0, 14], int32 sums at the extremes and
    biases that keep acc + bias in int32."""
    rng = np.random.default_rng(13)
    lim = 1 << 31
    for post in range(15):
        for mhi in [0, 1, (1 << 31) - 1, -(1 << 31)] + rng.integers(-lim, lim, 6).tolist():
            for _ in range(60):
                total = int(rng.choice([-lim, lim - 1, 0, int(rng.integers(-lim, lim))]))
                bias = int(rng.integers(-lim, lim))
                acc = total - bias
                k64 = bias * mhi + (1 << (31 + post))
                assert abs(acc * mhi) < (1 << 63) and abs(k64) < (1 << 63)
                got = ((acc * mhi + k64) >> 32) >> post
                hi = (total * mhi + ((1 << 31) if post == 0 else 0)) >> 32
                want = (hi + (1 << (post - 1))) >> post if post else hi
                assert got == want, (total, bias, mhi, post)
