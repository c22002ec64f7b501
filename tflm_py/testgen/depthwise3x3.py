"""Random single-op DEPTHWISE_CONV_2D models for the 3x3 kernel (depth_multiplier 1, no
dilation, stride_w 1 or 2, stride_h 1 to 3): widths and channel counts around its blocks
(column pairs, 4-channel groups), both paddings, every fused activation, per-tensor and
per-channel weights, biases from absent to beyond 2^30 (the checked requantisation)."""
from __future__ import annotations

import numpy as np

from ..testing import ModelBuilder
from .conv import _act, _bias, _conv_out, _quant_plan, _weights

MAX_MACS = 60000


def gen_depthwise_3x3(rng: np.random.Generator) -> bytes:
    while True:
        n = 1 if rng.random() < 0.85 else 2
        h, wd = int(rng.integers(1, 14)), int(rng.integers(1, 14))
        c = int(rng.choice([1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 32, 64, 67]))
        sw = 1 if rng.random() < 0.6 else 2
        sh = sw if rng.random() < 0.8 else int(rng.integers(1, 4))
        pad = "SAME" if rng.random() < 0.6 else "VALID"
        oh, ow = _conv_out(pad, h, 3, sh, 1), _conv_out(pad, wd, 3, sw, 1)
        if oh >= 1 and ow >= 1 and n * oh * ow * c * 9 <= MAX_MACS and n * h * wd * c <= 8192:
            break
    per_channel = c > 1 and rng.random() < 0.6
    act = _act(rng)
    b = ModelBuilder()
    wv, ws = _weights(rng, (1, 3, 3, c), c, 3, per_channel)
    in_s, in_zp, out_s, out_zp, t_acc = _quant_plan(rng, act, wv, ws, 9)
    x = b.activation((n, h, wd, c), scale=in_s, zero_point=in_zp)
    w = b.constant(wv, scales=ws, zero_points=[0] * len(ws), quantized_dimension=3)
    if rng.random() < 0.1:      # accumulators beyond 2^30: no small_acc
        scales = (np.float32(in_s) * np.asarray(ws, dtype=np.float32)).astype(np.float32)
        big = rng.choice([(1 << 30) + 777, -(1 << 30) - 555, (1 << 31) - 9], size=c)
        bias = b.constant(big.astype(np.int64).astype(np.int32), scales=scales,
                          zero_points=[0] * len(scales))
    else:
        bias = _bias(rng, b, c, in_s, ws, t_acc)
    y = b.activation((n, oh, ow, c), scale=out_s, zero_point=out_zp)
    inputs = [x, w] if bias is None else [x, w, bias]
    b.op("DEPTHWISE_CONV_2D", inputs, [y], version=3, padding=pad, stride_h=sh, stride_w=sw,
         dilation_h_factor=1, dilation_w_factor=1, depth_multiplier=1,
         fused_activation_function=act)
    return b.build(inputs=[x], outputs=[y])


def ring_plan(model):
    """The planner's layout with every scratch buffer kept. The speed plan drops scratch
    that would lift the arena above the tensors' own (TFLM's) arena, which a lone small
    layer's ring often does; tests and sweeps of the 3x3 kernel plan this way so the ring
    runs on every model."""
    from ..planner import _plan_once, DEFAULT_ALIGN
    return _plan_once(model, DEFAULT_ALIGN, True, frozenset())


def run_on_qemu_with_ring(entries, **kw):
    """tflm_py.bench.run_on_qemu with ring_plan for every bundle."""
    from .. import bench
    orig = bench.generate

    def generate(model, out_dir, prefix=None, plan=None):
        return orig(model, out_dir, prefix=prefix, plan=ring_plan(model))
    bench.generate = generate
    try:
        return bench.run_on_qemu(entries, **kw)
    finally:
        bench.generate = orig
