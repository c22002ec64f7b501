"""Random 16x8 single-op models (int16 activations, int8 weights, int64 / int32 / no bias)
for CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, and int16 models of the other ops TFLM
runs in int16. Keys are "<OP>/int16" so the sweep counts them beside the int8 generators."""
from __future__ import annotations

import math

import numpy as np

from ..testing import ModelBuilder
from .conv import ACTS, MAX_MACS, _conv_out, _f32, _weights

E_X2 = (1 << 30) / 3.0      # E[x^2] of a uniform int16 input


def _act(rng):
    return ACTS[int(rng.integers(len(ACTS)))]


def _quant_plan_16(rng, act, wv, ws, k):
    """(in_scale, out_scale, out_zp) so that int16 outputs spread over the range."""
    t_acc = max(math.sqrt(k * float(np.mean(wv.astype(np.float64) ** 2)) * E_X2), 1.0)
    w_s = float(np.mean(ws))
    if act in ("NONE", "RELU"):
        in_s = _f32(rng.uniform(1e-5, 1e-3))
        r = rng.random()
        if r < 0.05:    # effective multiplier above one
            out_s = in_s * float(np.max(ws)) / rng.uniform(1.0, 3.0)
        elif r < 0.15:  # tight: many saturated outputs
            out_s = in_s * w_s * t_acc / 10000.0 * rng.uniform(0.05, 0.3)
        else:
            out_s = in_s * w_s * t_acc / 10000.0 * rng.uniform(0.4, 3.0)
    else:
        hi = 6.0 if act == "RELU6" else 1.0
        out_s = hi / 32767.0 * rng.uniform(0.6, 1.6)
        in_s = hi * rng.uniform(0.2, 1.0) / (w_s * t_acc)
    return _f32(in_s), _f32(out_s), t_acc


def _bias_16(rng, b, n, in_s, ws, t_acc, int32_ok=True):
    """An int64 (mostly), int32 (where TFLM's kernel reads one) or absent bias: its tensor
    index or None."""
    r = rng.random()
    if r < 0.15:
        return None
    dtype = np.int32 if r < 0.3 and int32_ok else np.int64
    scales = (np.float32(in_s) * np.asarray(ws, dtype=np.float32)).astype(np.float32)
    lim = int(t_acc * float(rng.choice([0.0, 0.1, 1.0, 3.0])))
    vals = rng.integers(-lim, lim + 1, size=n).astype(dtype)
    return b.constant(vals, scales=scales, zero_points=[0] * len(scales))


def _bias_type_option(rng, bias) -> dict:
    """Without a bias, half the time the options' quantized_bias_type INT32 (what the
    converter's int32-bias mode writes after dropping an all-zero bias): TFLM then takes its
    int32 accumulator path."""
    if bias is None and rng.random() < 0.5:
        return {"quantized_bias_type": 2}
    return {}


def gen_conv_2d_16(rng: np.random.Generator) -> bytes:
    while True:
        n = 1 if rng.random() < 0.85 else 2
        h, wd = int(rng.integers(1, 10)), int(rng.integers(1, 10))
        groups = 1 if rng.random() < 0.8 else int(rng.integers(2, 4))
        fc = int(rng.integers(1, 9))
        c, oc = fc * groups, groups * int(rng.integers(1, 6))
        kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        dh = 1 if rng.random() < 0.7 else int(rng.integers(2, 4))
        dw = 1 if rng.random() < 0.7 else int(rng.integers(2, 4))
        pad = "SAME" if rng.random() < 0.5 else "VALID"
        oh, ow = _conv_out(pad, h, kh, sh, dh), _conv_out(pad, wd, kw, sw, dw)
        if oh >= 1 and ow >= 1 and n * oh * ow * oc * kh * kw * fc <= MAX_MACS \
                and n * h * wd * c <= 2048:
            break
    per_channel = oc > 1 and rng.random() < 0.8
    act = _act(rng)
    b = ModelBuilder()
    wv, ws = _weights(rng, (oc, kh, kw, fc), oc, 0, per_channel)
    in_s, out_s, t_acc = _quant_plan_16(rng, act, wv, ws, kh * kw * fc)
    x = b.activation((n, h, wd, c), dtype=np.int16, scale=in_s)
    w = b.constant(wv, scales=ws, zero_points=[0] * len(ws), quantized_dimension=0)
    bias = _bias_16(rng, b, oc, in_s, ws, t_acc)
    y = b.activation((n, oh, ow, oc), dtype=np.int16, scale=out_s)
    b.op("CONV_2D", [x, w] + ([bias] if bias is not None else []), [y], version=4,
         padding=pad, stride_h=sh, stride_w=sw, dilation_h_factor=dh, dilation_w_factor=dw,
         fused_activation_function=act, **_bias_type_option(rng, bias))
    return b.build(inputs=[x], outputs=[y])


def gen_depthwise_conv_2d_16(rng: np.random.Generator) -> bytes:
    while True:
        n = 1 if rng.random() < 0.85 else 2
        h, wd = int(rng.integers(1, 12)), int(rng.integers(1, 12))
        c = int(rng.integers(1, 9))
        m = 1 if rng.random() < 0.6 else int(rng.integers(2, 5))
        oc = c * m
        kh, kw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        dh = 1 if rng.random() < 0.7 else int(rng.integers(2, 4))
        dw = 1 if rng.random() < 0.7 else int(rng.integers(2, 4))
        pad = "SAME" if rng.random() < 0.5 else "VALID"
        oh, ow = _conv_out(pad, h, kh, sh, dh), _conv_out(pad, wd, kw, sw, dw)
        if oh >= 1 and ow >= 1 and n * oh * ow * oc * kh * kw <= MAX_MACS \
                and n * h * wd * c <= 2048:
            break
    per_channel = oc > 1 and rng.random() < 0.8
    act = _act(rng)
    b = ModelBuilder()
    wv, ws = _weights(rng, (1, kh, kw, oc), oc, 3, per_channel)
    in_s, out_s, t_acc = _quant_plan_16(rng, act, wv, ws, kh * kw)
    x = b.activation((n, h, wd, c), dtype=np.int16, scale=in_s)
    w = b.constant(wv, scales=ws, zero_points=[0] * len(ws), quantized_dimension=3)
    bias = _bias_16(rng, b, oc, in_s, ws, t_acc, int32_ok=False)
    y = b.activation((n, oh, ow, oc), dtype=np.int16, scale=out_s)
    b.op("DEPTHWISE_CONV_2D", [x, w] + ([bias] if bias is not None else []), [y], version=5,
         padding=pad, stride_h=sh, stride_w=sw, dilation_h_factor=dh, dilation_w_factor=dw,
         depth_multiplier=m, fused_activation_function=act)
    return b.build(inputs=[x], outputs=[y])


def gen_fully_connected_16(rng: np.random.Generator) -> bytes:
    while True:
        k, o = int(rng.integers(1, 300)), int(rng.integers(1, 40))
        kind = rng.random()
        if kind < 0.4:      # [B, K] -> [B, O]
            bt = int(rng.integers(1, 5))
            in_shape, out_shape, keep = (bt, k), (bt, o), False
        elif kind < 0.6:    # [1, h, w, c] flattened
            hh, ww, cc = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 12))
            k, bt = hh * ww * cc, 1
            in_shape, out_shape, keep = (1, hh, ww, cc), (1, o), False
        elif kind < 0.75:   # [a, b, K] -> [a*b, O]
            a1, a2 = int(rng.integers(1, 3)), int(rng.integers(1, 4))
            bt = a1 * a2
            in_shape, out_shape, keep = (a1, a2, k), (bt, o), False
        else:               # keep_num_dims: a Dense on a sequence
            a1, a2 = int(rng.integers(1, 3)), int(rng.integers(1, 6))
            bt = a1 * a2
            in_shape, out_shape, keep = (a1, a2, k), (a1, a2, o), True
        if bt * k * o <= MAX_MACS and bt * k <= 2048:
            break
    per_channel = o > 1 and rng.random() < 0.5
    act = _act(rng)
    b = ModelBuilder()
    wv, ws = _weights(rng, (o, k), o, 0, per_channel)
    in_s, out_s, t_acc = _quant_plan_16(rng, act, wv, ws, k)
    x = b.activation(in_shape, dtype=np.int16, scale=in_s)
    w_zp = [0] * len(ws)
    if not per_channel and rng.random() < 0.15:
        w_zp = [int(rng.integers(-20, 21))]  # TFLM's per-tensor FC applies it
    w = b.constant(wv, scales=ws, zero_points=w_zp, quantized_dimension=0)
    bias = _bias_16(rng, b, o, in_s, ws, t_acc)
    y = b.activation(out_shape, dtype=np.int16, scale=out_s)
    ins = [x, w] + ([bias] if bias is not None else ([-1] if rng.random() < 0.5 else []))
    b.op("FULLY_CONNECTED", ins, [y], version=7, keep_num_dims=keep,
         fused_activation_function=act, **_bias_type_option(rng, bias))
    return b.build(inputs=[x], outputs=[y])


def gen_quantize_32(rng: np.random.Generator) -> bytes:
    """QUANTIZE to and from int32: int8 / int16 -> int32, int32 -> int8 / int16."""
    from .elementwise import _q8, _q16, _unary, _log_uniform
    kind = ("8_32", "16_32", "32_8", "32_16")[int(rng.integers(4))]
    if kind == "8_32":
        qi = _q8(rng)
        qo = (_log_uniform(rng, 1e-4, 1e-1) * qi[0], int(rng.integers(-1000, 1001)))
        return _unary("QUANTIZE", rng, qi, qo, np.int8, np.int32)
    if kind == "16_32":
        qi = _q16(rng, rng.random() < 0.7, 1e-4, 1e-2)
        qo = (_log_uniform(rng, 1e-3, 1.0) * qi[0], 0 if rng.random() < 0.7
              else int(rng.integers(-1000, 1001)))
        return _unary("QUANTIZE", rng, qi, qo, np.int16, np.int32)
    qi = (_log_uniform(rng, 1e-6, 1e-3), 0 if rng.random() < 0.7 else int(rng.integers(-500, 501)))
    if kind == "32_8":
        qo = (_log_uniform(rng, 30, 1000) * qi[0], int(rng.integers(-128, 128)))
        return _unary("QUANTIZE", rng, qi, qo, np.int32, np.int8)
    qo = (_log_uniform(rng, 0.1, 10) * qi[0], 0 if rng.random() < 0.7 else int(rng.integers(-99, 100)))
    return _unary("QUANTIZE", rng, qi, qo, np.int32, np.int16)


def gen_leaky_relu_16(rng: np.random.Generator) -> bytes:
    from .elementwise import _q16, _unary
    qi = _q16(rng, rng.random() < 0.8, 1e-4, 1e-2)
    qo = qi if rng.random() < 0.3 else _q16(rng, rng.random() < 0.8, 1e-4, 1e-2)
    r = rng.random()
    alpha = float(rng.uniform(0.01, 0.5)) if r < 0.7 else (0.0 if r < 0.8 else
                                                           float(rng.uniform(-1.0, 3.0)))
    return _unary("LEAKY_RELU", rng, qi, qo, np.int16, np.int16, alpha=alpha)


def _gen_pool_16(rng, op_type):
    from .pool_softmax import _pool_out
    while True:
        n = int(rng.choice([1, 1, 2]))
        h, w, c = int(rng.integers(1, 11)), int(rng.integers(1, 11)), int(rng.integers(1, 9))
        if rng.random() < 0.15:
            pad, fh, fw = "VALID", h, w
        else:
            pad = "SAME" if rng.random() < 0.5 else "VALID"
            fh, fw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        if pad == "VALID" and (fh > h or fw > w):
            continue
        oh, ow = _pool_out(pad, h, fh, sh), _pool_out(pad, w, fw, sw)
        if oh >= 1 and ow >= 1 and n * h * w * c <= 1024:
            break
    scale = float(np.float32(rng.uniform(1e-4, 1e-2)))
    zp = 0 if rng.random() < 0.8 else int(rng.integers(-3000, 3001))
    act = _act(rng) if rng.random() < 0.5 else "NONE"
    b = ModelBuilder()
    x = b.activation((n, h, w, c), dtype=np.int16, scale=scale, zero_point=zp)
    y = b.activation((n, oh, ow, c), dtype=np.int16, scale=scale, zero_point=zp)
    b.op(op_type, [x], [y], padding=pad, stride_h=sh, stride_w=sw, filter_height=fh,
         filter_width=fw, fused_activation_function=act)
    return b.build(inputs=[x], outputs=[y])


def gen_average_pool_2d_16(rng: np.random.Generator) -> bytes:
    return _gen_pool_16(rng, "AVERAGE_POOL_2D")


def gen_max_pool_2d_16(rng: np.random.Generator) -> bytes:
    return _gen_pool_16(rng, "MAX_POOL_2D")


def gen_relu_16(rng: np.random.Generator) -> bytes:
    from .elementwise import _q16, _unary
    qi = _q16(rng, True, 1e-4, 1e-2)      # TFLM's int16 RELU takes zero points 0 only
    qo = qi if rng.random() < 0.3 else _q16(rng, True, 1e-4, 1e-2)
    return _unary("RELU", rng, qi, qo, np.int16, np.int16)


def gen_relu6_16(rng: np.random.Generator) -> bytes:
    from .elementwise import _q16, _unary
    qi = _q16(rng, rng.random() < 0.7, 1e-4, 1e-3)
    return _unary("RELU6", rng, qi, qi, np.int16, np.int16)


def gen_maximum_16(rng: np.random.Generator) -> bytes:
    from .elementwise import _binary
    return _binary("MAXIMUM", rng, dtypes=(np.int16,))


def gen_minimum_16(rng: np.random.Generator) -> bytes:
    from .elementwise import _binary
    return _binary("MINIMUM", rng, dtypes=(np.int16,))


def gen_mean_16(rng: np.random.Generator) -> bytes:
    rank = int(rng.integers(1, 5))
    while True:
        shape = tuple(int(d) for d in rng.integers(1, 7, size=rank))
        if int(np.prod(shape)) <= 1024:
            break
    n_ax = int(rng.integers(1, rank + 1))
    axes = sorted(rng.choice(rank, size=n_ax, replace=False).tolist())
    if rng.random() < 0.3:
        axes = [a - rank for a in axes]
    keep = bool(rng.random() < 0.5)
    red = {a % rank for a in axes}
    out = tuple((1 if i in red else d) for i, d in enumerate(shape)) if keep else \
        tuple(d for i, d in enumerate(shape) if i not in red)
    si = float(np.float32(rng.uniform(1e-4, 1e-2)))
    so = si if rng.random() < 0.3 else float(np.float32(si * rng.uniform(0.3, 3.0)))
    zi = 0 if rng.random() < 0.7 else int(rng.integers(-2000, 2001))
    zo = 0 if rng.random() < 0.7 else int(rng.integers(-2000, 2001))
    b = ModelBuilder()
    x = b.activation(shape, dtype=np.int16, scale=si, zero_point=zi)
    a = b.constant(np.array(axes, dtype=np.int32))
    y = b.activation(out, dtype=np.int16, scale=so, zero_point=zo)
    b.op("MEAN", [x, a], [y], keep_dims=keep)
    return b.build(inputs=[x], outputs=[y])


GENERATORS = {
    "MEAN/int16": gen_mean_16,
    "RELU/int16": gen_relu_16,
    "RELU6/int16": gen_relu6_16,
    "MAXIMUM/int16": gen_maximum_16,
    "MINIMUM/int16": gen_minimum_16,
    "AVERAGE_POOL_2D/int16": gen_average_pool_2d_16,
    "MAX_POOL_2D/int16": gen_max_pool_2d_16,
    "QUANTIZE/int32": gen_quantize_32,
    "LEAKY_RELU/int16": gen_leaky_relu_16,
    "CONV_2D/int16": gen_conv_2d_16,
    "DEPTHWISE_CONV_2D/int16": gen_depthwise_conv_2d_16,
    "FULLY_CONNECTED/int16": gen_fully_connected_16,
}
