"""CONV_2D's and FULLY_CONNECTED's Cortex-M DSP paths on the shapes that pick its branches (kernels_c/conv_2d.c):
windows widened straight from the input (input depth a multiple of 4: whole rows, clipped
rows, dilation, padding), the int8-patch route (other depths, with a depth % 4 tail), 1x1
filters with strides, pixel counts around the 4-pixel groups (a short last group), more than
64 output channels (requantisation chunks), two batches, no bias; FULLY_CONNECTED's four-row
pass with and without a depth % 4 tail, too short for it, and the two-row rest. Bit-exact under QEMU
(Cortex-M4, -Os) against TFLM and the simulator, in one firmware."""
from __future__ import annotations

import numpy as np

from test_fast_kernels import _assert_bit_exact, _need_qemu
from tflm_py import load_model
from tflm_py.bench import run_on_qemu
from tflm_py.sweep import random_inputs
from tflm_py.testing import ModelBuilder


def _out(pad, size, k, stride, dil):
    eff = (k - 1) * dil + 1
    return -(-size // stride) if pad == "SAME" else (size - eff) // stride + 1


def _conv(rng, shape, oc, kh, kw, pad="SAME", sh=1, sw=1, dh=1, dw=1, bias=True,
          act="NONE"):
    n, h, w, c = shape
    b = ModelBuilder()
    x = b.activation(shape, scale=0.02, zero_point=int(rng.integers(-20, 20)))
    wv = rng.integers(-127, 128, size=(oc, kh, kw, c)).astype(np.int8)
    ws = rng.uniform(0.002, 0.01, oc)
    wq = b.constant(wv, scales=ws, zero_points=[0] * oc, quantized_dimension=0)
    ins = [x, wq]
    if bias:
        bv = rng.integers(-4000, 4000, size=oc).astype(np.int32)
        ins.append(b.constant(bv, scales=ws * 0.02, zero_points=[0] * oc))
    oh, ow = _out(pad, h, kh, sh, dh), _out(pad, w, kw, sw, dw)
    y = b.activation((n, oh, ow, oc), scale=0.05 * np.sqrt(kh * kw * c) / 4, zero_point=-7)
    b.op("CONV_2D", ins, [y], version=3, padding=pad, stride_h=sh, stride_w=sw,
         dilation_h_factor=dh, dilation_w_factor=dw, fused_activation_function=act)
    return load_model(b.build([x], [y]))


CASES = [
    # (input shape, out channels, kh, kw, options)
    ((1, 7, 9, 8), 5, 3, 3, dict(dh=2, dw=2)),              # direct, clipped rows, 63 pixels
    ((2, 6, 7, 16), 70, 3, 3, dict(pad="VALID", sh=2, sw=2)),   # whole rows, 2 batches, chunks
    ((1, 6, 5, 12), 9, 2, 3, dict(sw=2, dh=2, act="RELU")),  # 18 pixels: a group of 2
    ((1, 5, 5, 3), 6, 3, 3, dict()),                        # int8 patch, depth 27 (tail 3)
    ((1, 4, 6, 20), 3, 1, 1, dict(sh=2, sw=2)),             # 1x1, stride 2, 6 pixels
    ((1, 3, 3, 8), 4, 3, 3, dict(pad="VALID")),             # a single pixel
    ((1, 5, 3, 4), 7, 3, 1, dict(bias=False, act="RELU6")),  # no bias, 15 pixels
    ((1, 4, 4, 6), 66, 3, 3, dict(sh=2)),                   # patch, depth 54 (tail 2), 66 ch
    ((1, 3, 4, 1), 1, 3, 3, dict()),                        # depth 9, one filter: its tail
    ((1, 5, 2, 2), 3, 1, 1, dict()),                        # 1x1, depth 2: only a tail
]


def test_conv_dsp_paths_bit_exact_on_qemu(tmp_path):
    _need_qemu()
    entries = []
    for i, (shape, oc, kh, kw, opts) in enumerate(CASES):
        rng = np.random.default_rng(500 + i)
        model = _conv(rng, shape, oc, kh, kw, **opts)
        entries.append((f"cv{i}", model, [random_inputs(model, rng) for _ in range(2)]))
    _assert_bit_exact(entries, run_on_qemu(entries, icount=False, work_dir=tmp_path))


def _fc(rng, batches, depth, out, bias=True):
    b = ModelBuilder()
    x = b.activation((batches, depth), scale=0.03, zero_point=int(rng.integers(-30, 30)))
    wv = rng.integers(-127, 128, size=(out, depth)).astype(np.int8)
    ws = rng.uniform(0.002, 0.01, out)
    ins = [x, b.constant(wv, scales=ws, zero_points=[0] * out, quantized_dimension=0)]
    if bias:
        bv = rng.integers(-4000, 4000, size=out).astype(np.int32)
        ins.append(b.constant(bv, scales=ws * 0.03, zero_points=[0] * out))
    y = b.activation((batches, out), scale=0.04 * np.sqrt(depth), zero_point=5)
    b.op("FULLY_CONNECTED", ins, [y], fused_activation_function="NONE")
    return load_model(b.build([x], [y]))


FC_CASES = [(1, 8, 128, True), (3, 21, 70, True), (2, 3, 9, True), (1, 64, 6, False),
            (1, 130, 67, True)]


def test_fc_dsp_paths_bit_exact_on_qemu(tmp_path):
    _need_qemu()
    entries = []
    for i, (batches, depth, out, bias) in enumerate(FC_CASES):
        rng = np.random.default_rng(600 + i)
        model = _fc(rng, batches, depth, out, bias)
        entries.append((f"fc{i}", model, [random_inputs(model, rng) for _ in range(2)]))
    _assert_bit_exact(entries, run_on_qemu(entries, icount=False, work_dir=tmp_path))
