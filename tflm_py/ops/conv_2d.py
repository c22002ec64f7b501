"""CONV_2D room: int8 activations, int8 weights (per-channel along dim 0 or per-tensor),
optional int32 bias (or 16x8: int16 activations, int8 weights, int64 or int32 bias), SAME/VALID padding, strides, dilations, grouped convolution
(filter input depth dividing the input depth), fused NONE/RELU/RELU6/RELU_N1_TO_1.

Arithmetic of TFLM's reference ConvPerChannel: acc(int32) = sum w * (x - input_zp) over the
taps inside the image (outside taps contribute nothing), + bias, then
MultiplyByQuantizedMultiplier per output channel, + output_zp, clamp to the activation range.
The weight zero point is not used by TFLM's kernel; we require it to be 0.

16x8 (TFLM's int16 ConvPerChannel): acc = sum w * x with no zero points (TFLM ignores them),
+ bias, in int64 with the int64 MultiplyByQuantizedMultiplier (an int64 bias or none), or in
wrapping int32 with the usual one (an int32 bias); clamp to the int16 activation range.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from .. import quant
from . import _conv_common as cc
from . import _window as window

OPS = ("CONV_2D",)
# The kernel writes one output pixel (all channels) at a time in ascending order and reads
# only windows of that pixel and later ones (the contract at the top of the kernel file):
# the planner may overlap output and a dying input.
INPLACE = "overlap"
# Without its scratch the kernel still runs, more slowly (1x1: the portable GEMM, which reads
# the input in place; other filters: the reference loop); the planner drops a scratch buffer
# that would raise the arena's peak.
SCRATCH_OPTIONAL = True


def overlap_reads(op, model):
    """(unit_bytes, min_read) for the planner's "overlap" rule: one unit = one output pixel."""
    return window.overlap_reads(op, model, _geometry(op, model))


def _geometry(op, model):
    x = model.tensor(op.inputs[0])
    oc, kh, kw, fc = model.tensor(op.inputs[1]).shape
    g = window.window_geometry(op, x.shape, kh, kw)
    g.filter_c, g.output_c = fc, oc
    return g


def check(op, model) -> None:
    if len(op.inputs) < 2 or len(op.outputs) != 1:
        raise UnsupportedError("expects inputs (input, weights[, bias]) and one output")
    x, y = cc.check_activation_io(model, op)
    w = model.tensor(op.inputs[1])
    if w is None:
        raise UnsupportedError("weights tensor is missing")
    if len(x.shape) != 4 or len(w.shape) != 4 or len(y.shape) != 4:
        raise UnsupportedError("input, weights and output must be 4-D (NHWC / OHWI)")
    cc.check_filter(model, op, 0, w.shape[0])
    cc.check_act(op)
    o = op.options
    pad = getattr(o, "padding", "SAME")
    if pad not in ("SAME", "VALID"):
        raise UnsupportedError(f"padding {pad} is not supported")
    for name in ("stride_h", "stride_w", "dilation_h_factor", "dilation_w_factor"):
        if int(getattr(o, name, 1)) < 1:
            raise UnsupportedError(f"{name} must be >= 1")
    g = _geometry(op, model)
    if g.filter_c < 1 or g.input_c % g.filter_c:
        raise UnsupportedError(f"input depth {g.input_c} is not a multiple of the filter "
                               f"depth {g.filter_c}")
    groups = g.input_c // g.filter_c
    if g.output_c % groups:
        raise UnsupportedError(f"{g.output_c} output channels cannot be split in {groups} groups")
    want = (g.batches, g.output_h, g.output_w, g.output_c)
    if g.output_h < 1 or g.output_w < 1 or tuple(y.shape) != want:
        raise UnsupportedError(f"output shape {tuple(y.shape)} does not match the computed "
                               f"{want}")
    cc.check_bias(model, op, g.output_c)


def kernel_scratch_bytes(filter_h, filter_w, filter_c, input_c) -> int:
    """TFLM_CONV_2D_SCRATCH_BYTES of kernels_c/conv_2d.h: four int16 patches for the DSP path
    (4 pixels at a time, the depth rounded up to a multiple of 4), one int8 patch unless the
    filter is 1x1 or the input depth a multiple of 4 (then windows are widened straight from
    the input), 4 to align; 0 for a grouped convolution (the reference loop)."""
    if filter_c != input_c:
        return 0
    depth = filter_h * filter_w * filter_c
    col = 0 if (filter_h == 1 and filter_w == 1) or input_c % 4 == 0 else depth
    return 8 * ((depth + 3) & ~3) + col + 4


def scratch_bytes_16x8(g) -> int:
    """TFLM_CONV_2D_S16_SCRATCH_BYTES of kernels_c/conv_2d_s16.h: two int16 windows (the
    length rounded up to a multiple of 4) for the two-pixel path, which needs int32 sums
    (fits32) and an ungrouped filter; 0 otherwise."""
    if not g.fits32 or g.filter_c != g.input_c:
        return 0
    return 4 * _row16(g.filter_h * g.filter_w * g.input_c)


def _row16(n: int) -> int:
    """TFLM_CONV_2D_S16_ROW: one output channel's int16 weights padded to a multiple of 4."""
    return (n + 3) & ~3


def scratch_bytes(op, model) -> int:
    if cc.is_16x8(model, op):
        return scratch_bytes_16x8(prepare(op, model))
    g = _geometry(op, model)
    return kernel_scratch_bytes(g.filter_h, g.filter_w, g.filter_c, g.input_c)


# Instructions per MAC of the kernel's paths on a Cortex-M4 (-Os), measured with `tflm-py
# bench` on the QEMU board (ResNet-8's and vww's convolutions, ../shared/anchors): estimates for
# the planner's speed/RAM trade-off, not promises.
INSTRUCTIONS_PER_MAC = {"smlad": 1.3, "direct_1x1": 12.8, "reference": 19.7}


def kernel_variants(op, model) -> list:
    """Fastest first: the SMLAD path needs the scratch (widened patches of 4 pixels); without
    it a 1x1 filter reads pixels in place (portable GEMM), any other filter falls back to the
    reference loop."""
    g = _geometry(op, model)
    n = macs(op, model)
    if cc.is_16x8(model, op):
        return variants_16x8(prepare(op, model), n)
    s = scratch_bytes(op, model)
    slow = ("direct_1x1", "1x1 GEMM in place") if g.filter_h == g.filter_w == 1 \
        else ("reference", "reference loop")
    if s == 0:
        return [{"name": "reference loop (grouped)", "scratch": 0,
                 "instructions": round(INSTRUCTIONS_PER_MAC["reference"] * n)}]
    return [{"name": "4-pixel SMLAD", "scratch": s,
             "instructions": round(INSTRUCTIONS_PER_MAC["smlad"] * n)},
            {"name": slow[1], "scratch": 0,
             "instructions": round(INSTRUCTIONS_PER_MAC[slow[0]] * n)}]


# 16x8 (measured as above on the 16x8 DS-CNN / ResNet-8 stand-ins of tests/data/int16)
INSTRUCTIONS_PER_MAC_16X8 = {"pairs": 3.0, "int32": 5.0, "int64": 10.0}


def variants_16x8(p, n) -> list:
    """Fastest first: with its scratch (two windows) a fits32 ungrouped conv runs two pixels
    by two channels at a time; without it one pixel at a time."""
    one = variant_16x8(p, n)
    s = scratch_bytes_16x8(p)
    if not s:
        return [one]
    return [{"name": "16x8 2x2 SMLAD (2 windows in scratch)", "scratch": s,
             "instructions": round(INSTRUCTIONS_PER_MAC_16X8["pairs"] * n)}, one]


def variant_16x8(p, n) -> dict:
    """The one path of a 16x8 conv-like op (no scratch): int16 weight pairs into SMLAD with
    int32 sums when the accumulators provably fit (p.fits32), else TFLM's int64 sums."""
    key = "int32" if p.fits32 else "int64"
    name = ("16x8 SMLAD, int32 sums" if p.fits32
            else "16x8 int64 sums (accumulator bound exceeds int32)")
    return {"name": name, "scratch": 0,
            "instructions": round(INSTRUCTIONS_PER_MAC_16X8[key] * n)}


def macs(op, model) -> int:
    g = _geometry(op, model)
    return (g.batches * g.output_h * g.output_w * g.output_c
            * g.filter_h * g.filter_w * g.filter_c)


def prepare(op, model):
    g = _geometry(op, model)
    x = model.tensor(op.inputs[0])
    w = model.tensor(op.inputs[1])
    y = model.tensor(op.outputs[0])
    act = cc.check_act(op)
    mult, shift = cc.per_channel_multipliers(x.quantization.scale, w.quantization.scales,
                                             y.quantization.scale, g.output_c)
    g.per_channel = int(w.quantization.per_channel)
    g.multipliers = mult if g.per_channel else mult[:1]
    g.shifts = shift if g.per_channel else shift[:1]
    g.io16 = cc.is_16x8(model, op)
    if g.io16:
        g.act_min, g.act_max, g.acc64 = cc.requantize_16x8_params(model, op, g.multipliers,
                                                                  g.shifts, act)
        _fits32(op, model, g, np.abs(w.data.astype(np.int64)).reshape(g.output_c, -1))
        return g
    g.input_offset = -x.quantization.zero_point
    g.output_offset = y.quantization.zero_point
    g.act_min, g.act_max = quant.activation_range(act, y.quantization.scale,
                                                  y.quantization.zero_point)
    wsum = np.abs(w.data.astype(np.int64)).reshape(g.output_c, -1).sum(axis=1)
    g.small_acc = cc.small_acc(g.shifts, wsum, cc.bias_values(model, op), g.input_offset)
    return g


def patches(x, p, kh, kw, out_h, out_w):
    """im2col view of a zero-meaned NHWC input: [N, OH, OW, KH, KW, C] (taps outside the image
    are 0). x must already hold (q - zero_point)."""
    n, h, w, c = x.shape
    hn = (out_h - 1) * p.stride_h + (kh - 1) * p.dilation_h + 1
    wn = (out_w - 1) * p.stride_w + (kw - 1) * p.dilation_w + 1
    xp = np.zeros((n, max(hn, p.pad_h), max(wn, p.pad_w), c), dtype=x.dtype)
    hc = max(0, min(h, hn - p.pad_h))
    wc = max(0, min(w, wn - p.pad_w))
    xp[:, p.pad_h:p.pad_h + hc, p.pad_w:p.pad_w + wc, :] = x[:, :hc, :wc, :]
    cols = np.empty((n, out_h, out_w, kh, kw, c), dtype=x.dtype)
    for ky in range(kh):
        y0 = ky * p.dilation_h
        for kx in range(kw):
            x0 = kx * p.dilation_w
            cols[:, :, :, ky, kx, :] = xp[:, y0:y0 + (out_h - 1) * p.stride_h + 1:p.stride_h,
                                          x0:x0 + (out_w - 1) * p.stride_w + 1:p.stride_w, :]
    return cols


def simulate(op, model, params, inputs):
    p = params
    w = model.tensor(op.inputs[1]).data
    bias = inputs[2] if len(inputs) > 2 else None
    # float64 holds every partial sum exactly (|w*(x-zp)| < 2^15, far fewer than 2^37 terms;
    # 16x8: |w*x| <= 2^22, far fewer than 2^30 terms)
    x = inputs[0].astype(np.float64) + (0 if p.io16 else p.input_offset)
    cols = patches(x, p, p.filter_h, p.filter_w, p.output_h, p.output_w)
    groups = p.input_c // p.filter_c
    per_group = p.output_c // groups
    m = p.batches * p.output_h * p.output_w
    k = p.filter_h * p.filter_w * p.filter_c
    acc = np.empty((m, p.output_c), dtype=np.int64)
    wf = w.astype(np.float64)
    for gi in range(groups):
        cg = cols[..., gi * p.filter_c:(gi + 1) * p.filter_c].reshape(m, k)
        wg = wf[gi * per_group:(gi + 1) * per_group].reshape(per_group, k)
        acc[:, gi * per_group:(gi + 1) * per_group] = (cg @ wg.T).astype(np.int64)
    if bias is not None:
        acc += bias.astype(np.int64).reshape(1, -1)
    if p.io16:
        out = quant.requantize_16x8(acc, _expand(p.multipliers, p.output_c),
                                    _expand(p.shifts, p.output_c), p.acc64, p.act_min,
                                    p.act_max)
        return [out.reshape(p.batches, p.output_h, p.output_w, p.output_c)]
    acc = cc.wrap_int32(acc)
    out = cc.requantize_clamp(acc, _expand(p.multipliers, p.output_c),
                              _expand(p.shifts, p.output_c), p.output_offset, p.act_min,
                              p.act_max)
    return [out.reshape(p.batches, p.output_h, p.output_w, p.output_c)]


def _expand(a, n):
    a = np.asarray(a, dtype=np.int64)
    return np.repeat(a, n) if len(a) == 1 else a


def _fits32(op, model, g, abs_w) -> None:
    """g.fits32 of a 16x8 conv-like op (cc.fits32_16x8); a bias that is not a constant
    cannot be bounded."""
    bias = cc.bias_values(model, op)
    if bias is None and len(op.inputs) > 2 and op.inputs[2] >= 0:
        g.fits32, g.bias32 = 0, None
        return
    cc.fits32_16x8(g, abs_w.sum(axis=1), bias)


def _emit_s16(op, model, p, cg, h, w_ptr) -> str:
    cg.use_kernel("conv_2d_s16")
    fields = {k: int(getattr(p, k)) for k in (
        "batches", "input_h", "input_w", "input_c", "filter_h", "filter_w", "filter_c",
        "output_h", "output_w", "output_c", "stride_h", "stride_w", "dilation_h", "dilation_w",
        "pad_h", "pad_w")}
    fields["rq"] = cc.rq16_init(cg, p, h, p.output_c)
    name = cg.param_struct("tflm_conv_2d_s16_params_t", fields, h)
    if getattr(p, "fits32", 0) and w_ptr is None:
        w = model.tensor(op.inputs[1]).data.astype(np.int64).reshape(p.output_c, -1)
        w = np.pad(w, ((0, 0), (0, _row16(w.shape[1]) - w.shape[1])))
        scratch = cg.scratch(op) if scratch_bytes_16x8(p) else "NULL"
        if scratch != "NULL":
            # int8 rows, each group of four as 0, 2, 1, 3 (SXTB16 pairs): the flash of the
            # .tflite's weights, no int16 copy
            w8 = w.reshape(p.output_c, -1, 4)[:, :, [0, 2, 1, 3]]
            w8 = cg.const_array("int8_t", w8, h + "_filter8")
            return (f"tflm_conv_2d_s16_pairs(&{name}, {cg.ptr(op.inputs[0])}, {w8}, "
                    f"{cg.ptr(op.outputs[0])}, {scratch});")
        if not cg.int8_weights():
            # one pixel at a time from an int16 copy of the weights (twice their flash;
            # optimize="flash": the int8 loop below)
            w16 = cg.widened_array(w, h + "_filter16")
            return (f"tflm_conv_2d_s16_fast(&{name}, {cg.ptr(op.inputs[0])}, {w16}, "
                    f"{cg.ptr(op.outputs[0])});")
    if w_ptr is None:
        w_ptr = cg.ptr(op.inputs[1])
    bias = cg.ptr(op.inputs[2]) if len(op.inputs) > 2 else "NULL"
    return (f"tflm_conv_2d_s16(&{name}, {cg.ptr(op.inputs[0])}, {w_ptr}, {bias}, "
            f"{cg.ptr(op.outputs[0])});")


def emit(op, model, params, cg) -> str:
    p = params
    if p.io16:
        return _emit_s16(op, model, p, cg, f"conv_2d_{op.index}", None)
    cg.use_kernel("conv_2d")
    h = f"conv_2d_{op.index}"
    mult = cc.c_array_or_name(cg, "int32_t", p.multipliers, h + "_mult")
    shift = cc.shift_array(cg, p.shifts, h + "_shift")
    fields = {k: int(getattr(p, k)) for k in (
        "batches", "input_h", "input_w", "input_c", "filter_h", "filter_w", "filter_c",
        "output_h", "output_w", "output_c", "stride_h", "stride_w", "dilation_h", "dilation_w",
        "pad_h", "pad_w", "input_offset", "output_offset", "act_min", "act_max", "per_channel")}
    fields["multipliers"] = mult
    fields["shifts"] = shift
    fields["small_acc"] = int(p.small_acc)
    name = cg.param_struct("tflm_conv_2d_params_t", fields, h)
    bias = cg.ptr(op.inputs[2]) if len(op.inputs) > 2 else "NULL"
    scratch = cg.scratch(op) if scratch_bytes(op, model) else "NULL"
    return (f"{entry(p, scratch)}(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.inputs[1])}, "
            f"{bias}, {cg.ptr(op.outputs[0])}, {scratch});")


def entry(p, scratch: str) -> str:
    """The kernel entry of an int8 layer: tflm_conv_2d_fast_s8 where the fast path is known
    to run (groups == 1, scratch given), so a firmware links only the code its layers need;
    else tflm_conv_2d_s8, which chooses at run time (the reference loop among its paths)."""
    if p.filter_c == p.input_c and scratch != "NULL":
        return "tflm_conv_2d_fast_s8"
    return "tflm_conv_2d_s8"
