"""Random single-op models for CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED.

Each generator returns the bytes of one small valid model (<= ~20k MACs, input <= ~4 KB)
that TFLM accepts, drawn over the op's space: shapes, strides, paddings, dilations, groups,
depth multipliers, batches, keep_num_dims, fused activations, per-tensor / per-channel
weights, bias present / absent, multipliers below and (rarely) above one.

`extract_op(model, op)` copies one operator of a real model (weights, quantisation, options)
into a stand-alone single-op model.
"""
from __future__ import annotations

import math

import numpy as np

from ..testing import ModelBuilder
from ..tflite_schema.QuantizationParameters import QuantizationParametersT

ACTS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
MAX_MACS = 20000


def _act(rng):
    return ACTS[int(rng.integers(len(ACTS)))]


def _weights(rng, shape, n_ch, qdim, per_channel):
    lim = int(rng.choice([127, 127, 64, 8]))
    w = rng.integers(-lim, lim + 1, size=shape).astype(np.int8)
    if per_channel:
        scales = rng.uniform(0.001, 0.05, n_ch).astype(np.float32)
        if rng.random() < 0.2:  # very uneven channels
            scales *= np.float32(10.0) ** rng.uniform(-2, 1, n_ch).astype(np.float32)
    else:
        scales = np.array([rng.uniform(0.001, 0.05)], dtype=np.float32)
    return w, scales


def _f32(v) -> float:
    return float(np.float32(max(float(v), 1e-7)))


def _quant_plan(rng, act, wv, ws, k):
    """(in_scale, in_zp, out_scale, out_zp) so that outputs spread over the activation's
    range: typical accumulators are sqrt(k * E[w^2] * E[(x - zp)^2]) for uniform int8 x."""
    in_zp = int(rng.integers(-128, 128))
    t_acc = math.sqrt(k * float(np.mean(wv.astype(np.float64) ** 2))
                      * (5461.0 + (in_zp + 0.5) ** 2))
    t_acc = max(t_acc, 1.0)
    w_s = float(np.mean(ws))
    if act in ("NONE", "RELU"):
        in_s = _f32(rng.uniform(0.005, 0.2))
        real = in_s * w_s * t_acc
        r = rng.random()
        if r < 0.05:    # effective multiplier above one: positive shifts
            out_s = in_s * float(np.max(ws)) / rng.uniform(1.0, 3.0)
        elif r < 0.15:  # tight: many saturated outputs
            out_s = real / 40.0 * rng.uniform(0.05, 0.3)
        else:
            out_s = real / 40.0 * rng.uniform(0.4, 3.0)
        out_zp = int(rng.integers(-128, 128)) if act == "NONE" else int(rng.integers(-128, 40))
    else:
        hi = 6.0 if act == "RELU6" else 2.0
        out_s = hi / 255.0 * rng.uniform(0.6, 1.6)
        out_zp = (-128 + int(rng.integers(0, 40))) if act == "RELU6" else int(rng.integers(-30, 31))
        real = hi * rng.uniform(0.2, 1.0)
        in_s = real / (w_s * t_acc)
    return _f32(in_s), in_zp, _f32(out_s), out_zp, t_acc


def _bias(rng, b, n, in_scale, w_scales, t_acc, present_prob=0.8):
    """A bias constant (its tensor index), or None for no bias."""
    if rng.random() >= present_prob:
        return None
    scales = (np.float32(in_scale) * np.asarray(w_scales, dtype=np.float32)).astype(np.float32)
    lim = int(t_acc * float(rng.choice([0.0, 0.1, 1.0, 3.0])))
    vals = rng.integers(-lim, lim + 1, size=n).astype(np.int32)
    return b.constant(vals, scales=scales, zero_points=[0] * len(scales))


def _inputs_with_bias(x, w, bias, rng, allow_minus_one=True):
    if bias is not None:
        return [x, w, bias]
    return [x, w, -1] if allow_minus_one and rng.random() < 0.7 else [x, w]


def _conv_out(pad, size, k, stride, dil):
    eff = (k - 1) * dil + 1
    if pad == "SAME":
        return (size + stride - 1) // stride
    return (size + stride - eff) // stride if size >= eff else 0


def gen_conv_2d(rng: np.random.Generator) -> bytes:
    pointwise = rng.random() < 0.3   # the 1x1 GEMM fast path, with more channels
    while True:
        n = 1 if rng.random() < 0.85 else 2
        h, wd = int(rng.integers(1, 12)), int(rng.integers(1, 12))
        groups = 1 if rng.random() < 0.8 else int(rng.integers(2, 4))
        fc = int(rng.integers(1, 6))
        c = fc * groups
        oc = groups * int(rng.integers(1, 6))
        kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        dh = 1 if rng.random() < 0.7 else int(rng.integers(2, 4))
        dw = 1 if rng.random() < 0.7 else int(rng.integers(2, 4))
        pad = "SAME" if rng.random() < 0.5 else "VALID"
        if pointwise:   # channel counts around the kernels' blocks (4, 16, 64) and tails
            groups, kh, kw, dh, dw = 1, 1, 1, 1, 1
            h, wd = int(rng.integers(1, 7)), int(rng.integers(1, 7))
            sh = sw = 1 if rng.random() < 0.7 else 2
            c = fc = int(rng.choice([1, 3, 4, 8, 15, 16, 17, 32, 33]))
            oc = int(rng.choice([1, 2, 3, 4, 7, 8, 16, 31, 64, 66, 80]))
        oh, ow = _conv_out(pad, h, kh, sh, dh), _conv_out(pad, wd, kw, sw, dw)
        if oh < 1 or ow < 1:
            continue
        if n * oh * ow * oc * kh * kw * fc > MAX_MACS or n * h * wd * c > 4096:
            continue
        break
    per_channel = oc > 1 and rng.random() < 0.6
    act = _act(rng)
    b = ModelBuilder()
    wv, ws = _weights(rng, (oc, kh, kw, fc), oc, 0, per_channel)
    in_s, in_zp, out_s, out_zp, t_acc = _quant_plan(rng, act, wv, ws, kh * kw * fc)
    x = b.activation((n, h, wd, c), scale=in_s, zero_point=in_zp)
    w = b.constant(wv, scales=ws, zero_points=[0] * len(ws), quantized_dimension=0)
    bias = _bias(rng, b, oc, in_s, ws, t_acc)
    y = b.activation((n, oh, ow, oc), scale=out_s, zero_point=out_zp)
    b.op("CONV_2D", _inputs_with_bias(x, w, bias, rng), [y], version=3, padding=pad,
         stride_h=sh, stride_w=sw, dilation_h_factor=dh, dilation_w_factor=dw,
         fused_activation_function=act)
    return b.build(inputs=[x], outputs=[y])


def gen_depthwise_conv_2d(rng: np.random.Generator) -> bytes:
    kind = rng.random()   # the 3x3 fast paths (and their clipped windows), and 1 -> M
    while True:
        n = 1 if rng.random() < 0.85 else 2
        h, wd = int(rng.integers(1, 14)), int(rng.integers(1, 14))
        c = int(rng.integers(1, 9))
        m = 1 if rng.random() < 0.6 else int(rng.integers(2, 5))
        oc = c * m
        kh, kw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        dh = 1 if rng.random() < 0.7 else int(rng.integers(2, 4))
        dw = 1 if rng.random() < 0.7 else int(rng.integers(2, 4))
        pad = "SAME" if rng.random() < 0.5 else "VALID"
        if kind < 0.3:      # 3x3, depth_multiplier 1, channel counts around 4 / 16 / 64
            kh = kw = 3
            m, dh, dw = 1, 1, 1
            sh = sw = 1 if rng.random() < 0.75 else 2
            c = oc = int(rng.choice([1, 3, 4, 5, 8, 12, 16, 17, 24, 64, 68]))
            h, wd = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        elif kind < 0.4:    # one input channel, M outputs: runs as a CONV_2D
            c, m = 1, int(rng.choice([2, 4, 8, 16]))
            oc = m
        oh, ow = _conv_out(pad, h, kh, sh, dh), _conv_out(pad, wd, kw, sw, dw)
        if oh < 1 or ow < 1:
            continue
        if n * oh * ow * oc * kh * kw > MAX_MACS or n * h * wd * c > 4096:
            continue
        break
    per_channel = oc > 1 and rng.random() < 0.6
    act = _act(rng)
    b = ModelBuilder()
    wv, ws = _weights(rng, (1, kh, kw, oc), oc, 3, per_channel)
    in_s, in_zp, out_s, out_zp, t_acc = _quant_plan(rng, act, wv, ws, kh * kw)
    x = b.activation((n, h, wd, c), scale=in_s, zero_point=in_zp)
    w = b.constant(wv, scales=ws, zero_points=[0] * len(ws), quantized_dimension=3)
    bias = _bias(rng, b, oc, in_s, ws, t_acc)
    y = b.activation((n, oh, ow, oc), scale=out_s, zero_point=out_zp)
    # the PyPI TFLM crashes (segfault in Prepare) on a depthwise conv whose bias input is
    # -1, so an absent bias is left out of the input list here
    b.op("DEPTHWISE_CONV_2D", _inputs_with_bias(x, w, bias, rng, allow_minus_one=False),
         [y], version=3,
         padding=pad, stride_h=sh, stride_w=sw, dilation_h_factor=dh, dilation_w_factor=dw,
         depth_multiplier=m, fused_activation_function=act)
    return b.build(inputs=[x], outputs=[y])


def gen_fully_connected(rng: np.random.Generator) -> bytes:
    while True:
        k = int(rng.integers(1, 96))
        o = int(rng.integers(1, 40))
        kind = rng.random()
        if kind < 0.45:     # [B, K] -> [B, O]
            bt = int(rng.integers(1, 5))
            in_shape, out_shape, keep = (bt, k), (bt, o), False
        elif kind < 0.7:    # [1, h, w, c] flattened into one batch of K = h*w*c
            hh, ww = int(rng.integers(1, 4)), int(rng.integers(1, 4))
            cc = int(rng.integers(1, 12))
            k = hh * ww * cc
            bt = 1
            in_shape, out_shape, keep = (1, hh, ww, cc), (1, o), False
        elif kind < 0.85:   # [a, b, K] without keep_num_dims -> [a*b, O]
            a1, a2 = int(rng.integers(1, 3)), int(rng.integers(1, 4))
            bt = a1 * a2
            in_shape, out_shape, keep = (a1, a2, k), (bt, o), False
        else:               # keep_num_dims: [a, b, K] -> [a, b, O]
            a1, a2 = int(rng.integers(1, 3)), int(rng.integers(1, 4))
            bt = a1 * a2
            in_shape, out_shape, keep = (a1, a2, k), (a1, a2, o), True
        if bt * k * o <= MAX_MACS and bt * k <= 4096:
            break
    per_channel = o > 1 and rng.random() < 0.4
    act = _act(rng)
    b = ModelBuilder()
    wv, ws = _weights(rng, (o, k), o, 0, per_channel)
    in_s, in_zp, out_s, out_zp, t_acc = _quant_plan(rng, act, wv, ws, k)
    x = b.activation(in_shape, scale=in_s, zero_point=in_zp)
    w_zp = [0] * len(ws)
    if not per_channel and rng.random() < 0.1:
        w_zp = [int(rng.integers(-20, 21))]  # TFLM's per-tensor FC applies it
    w = b.constant(wv, scales=ws, zero_points=w_zp, quantized_dimension=0)
    bias = _bias(rng, b, o, in_s, ws, t_acc)
    y = b.activation(out_shape, scale=out_s, zero_point=out_zp)
    b.op("FULLY_CONNECTED", _inputs_with_bias(x, w, bias, rng), [y], version=4,
         keep_num_dims=keep, fused_activation_function=act)
    return b.build(inputs=[x], outputs=[y])


GENERATORS = {
    "CONV_2D": gen_conv_2d,
    "DEPTHWISE_CONV_2D": gen_depthwise_conv_2d,
    "FULLY_CONNECTED": gen_fully_connected,
}


# ---------------------------------------------------------------- real-model extraction

def _copy_tensor(b: ModelBuilder, t, constant: bool) -> int:
    q = t.quantization
    kw = {}
    if q is not None:
        kw = dict(scales=np.asarray(q.scales, dtype=np.float32),
                  zero_points=np.asarray(q.zero_points), quantized_dimension=q.quantized_dimension)
    if constant:
        return b.constant(np.array(t.data).reshape(t.shape), dtype=t.dtype, **kw)
    b_idx = b.activation(t.shape, dtype=t.dtype, name=t.name)
    if q is not None:  # keep every scale / zero point of the original
        qt = b.tensors[b_idx]
        qq = QuantizationParametersT()
        qq.scale = [float(s) for s in q.scales]
        qq.zeroPoint = [int(z) for z in q.zero_points]
        qq.quantizedDimension = int(q.quantized_dimension)
        qt.quantization = qq
    return b_idx


def extract_op(model, op) -> bytes:
    """A single-op model holding `op` of `model` with the same tensors, quantisation and
    options; the non-constant inputs become the graph inputs."""
    b = ModelBuilder()
    ins, graph_inputs = [], []
    for i in op.inputs:
        if i < 0:
            ins.append(-1)
            continue
        t = model.tensors[i]
        idx = _copy_tensor(b, t, t.is_constant)
        ins.append(idx)
        if not t.is_constant:
            graph_inputs.append(idx)
    outs = [_copy_tensor(b, model.tensors[i], False) for i in op.outputs]
    opts = {k: v for k, v in vars(op.options).items() if v is not None}
    b.op(op.type, ins, outs, version=op.version, **opts)
    return b.build(inputs=graph_inputs, outputs=outs)
