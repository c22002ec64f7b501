"""DEPTHWISE_CONV_2D room: int8 activations, int8 weights [1, KH, KW, C*M] (per-channel along
dim 3 or per-tensor), optional int32 bias (or 16x8: int16 activations, int8 weights, int64 bias),
SAME/VALID padding, strides, dilations,
depth_multiplier M >= 1, fused NONE/RELU/RELU6/RELU_N1_TO_1.

TFLM's reference DepthwiseConvPerChannel: output channel oc = ic * M + m reads input
channel ic; acc(int32) = sum over the taps inside the image of w[ky, kx, oc] * (x - input_zp),
+ bias[oc], MultiplyByQuantizedMultiplier per output channel, + output_zp, clamp.
16x8: the same sums without zero points, requantised as quant.requantize_16x8 (int64 path
for an int64 bias or none, wrapping int32 path for an int32 bias).

Kernels (kernel_variants, the planner chooses): a 3x3 filter with depth_multiplier 1, no
dilation and stride_w 1 or 2 runs tflm_depthwise_conv_2d_3x3_s8 when the plan grants its
scratch, a ring of 3 channel-planar int16 input rows (on Cortex-M: SMLAD on tap pairs over
per-channel records the generator lays out, about 2.6 / 3.4 instructions per MAC for stride
1 / 2); one input channel with M > 1 runs as a CONV_2D; everything else, and the 3x3 shapes
without scratch, the direct loops of tflm_depthwise_conv_2d_s8.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from .. import quant
from . import _conv_common as cc
from . import _window as window
from .conv_2d import _expand

OPS = ("DEPTHWISE_CONV_2D",)
# The kernel writes one output pixel (all channels) at a time in ascending order and reads
# only windows of that pixel and later ones (the contract at the top of the kernel file):
# the planner may overlap output and a dying input.
INPLACE = "overlap"
# Scratch makes two routes fast: the 3x3 kernel's ring of input rows (_fast3x3) and a
# depthwise conv that runs as a CONV_2D (_as_conv: one input channel). Without it both still
# run (the direct depthwise loops; the conv's reference loop), more slowly: the planner may
# drop it (kernel_variants).
SCRATCH_OPTIONAL = True


def overlap_reads(op, model):
    """(unit_bytes, min_read) for the planner's "overlap" rule: one unit = one output pixel."""
    return window.overlap_reads(op, model, _geometry(op, model))


def _geometry(op, model):
    x = model.tensor(op.inputs[0])
    _, kh, kw, oc = model.tensor(op.inputs[1]).shape
    g = window.window_geometry(op, x.shape, kh, kw)
    g.output_c = oc
    g.depth_multiplier = int(getattr(op.options, "depth_multiplier", 1))
    return g


def check(op, model) -> None:
    if len(op.inputs) < 2 or len(op.outputs) != 1:
        raise UnsupportedError("expects inputs (input, weights[, bias]) and one output")
    x, y = cc.check_activation_io(model, op)
    w = model.tensor(op.inputs[1])
    if w is None:
        raise UnsupportedError("weights tensor is missing")
    if len(x.shape) != 4 or len(w.shape) != 4 or len(y.shape) != 4:
        raise UnsupportedError("input, weights and output must be 4-D")
    if w.shape[0] != 1:
        raise UnsupportedError(f"weights must have shape [1, KH, KW, C*M], got {w.shape}")
    cc.check_filter(model, op, 3, w.shape[3])
    cc.check_act(op)
    o = op.options
    pad = getattr(o, "padding", "SAME")
    if pad not in ("SAME", "VALID"):
        raise UnsupportedError(f"padding {pad} is not supported")
    for name in ("stride_h", "stride_w", "dilation_h_factor", "dilation_w_factor",
                 "depth_multiplier"):
        if int(getattr(o, name, 1)) < 1:
            raise UnsupportedError(f"{name} must be >= 1")
    g = _geometry(op, model)
    if g.input_c * g.depth_multiplier != g.output_c:
        raise UnsupportedError(f"input depth {g.input_c} x depth_multiplier "
                               f"{g.depth_multiplier} != output depth {g.output_c}")
    want = (g.batches, g.output_h, g.output_w, g.output_c)
    if g.output_h < 1 or g.output_w < 1 or tuple(y.shape) != want:
        raise UnsupportedError(f"output shape {tuple(y.shape)} does not match the computed "
                               f"{want}")
    cc.check_bias(model, op, g.output_c, bias16=(np.int64,))


def _as_conv(g) -> bool:
    """One input channel and depth_multiplier M > 1: every output channel reads the same input
    values, so this is a CONV_2D with M filters of depth 1. The conv kernel (a GEMM over the
    window, SMLAD on Cortex-M, PMADDWD-friendly on x86) runs it much faster than the
    depthwise loops; it needs the filter transposed to OHWI, a copy of KH*KW*M bytes."""
    return g.input_c == 1 and g.depth_multiplier > 1


def _fast3x3(g) -> bool:
    """The 3x3 kernel (tflm_depthwise_conv_2d_3x3_s8): depth_multiplier 1, no dilation,
    stride_w 1 or 2 (any stride_h, any padding)."""
    return (g.filter_h == 3 and g.filter_w == 3 and g.depth_multiplier == 1
            and g.dilation_h == 1 and g.dilation_w == 1 and g.stride_w in (1, 2))


def _ring_loops(p) -> bool:
    """The 3x3 kernel's written-out Cortex-M loops take the layer (kernels_c: dw3_fast_ok):
    accumulators provably small (small_acc), the full int8 output range (no clamp beyond
    SSAT's), every k = -shift - 1 <= 21. Other 3x3 layers keep the direct loops (the ring's
    plain C is its spec, not a fast path)."""
    k = -np.asarray(p.shifts, dtype=np.int64) - 1
    return bool(p.small_acc and p.act_min == -128 and p.act_max == 127 and np.all(k <= 21))


def fast3x3_scratch_bytes(channels, input_w, pad_w) -> int:
    """TFLM_DW3X3_SCRATCH_BYTES of kernels_c/depthwise_conv_2d.h: the ring of 3 int16 rows,
    12 bytes per channel and column pair, and one zero column pair (off Cortex-M: the
    unpacked bias, multipliers, filter and shifts, 18 bytes per channel, if that is more)."""
    return max(12 * channels * ((input_w + pad_w + 1) // 2) + 12, 18 * channels)


def scratch_bytes(op, model) -> int:
    from .conv_2d import kernel_scratch_bytes
    g = _geometry(op, model)
    if cc.is_16x8(model, op):
        return 0
    if _as_conv(g):
        return kernel_scratch_bytes(g.filter_h, g.filter_w, 1, 1)
    if _fast3x3(g) and _ring_loops(prepare(op, model)):
        return fast3x3_scratch_bytes(g.output_c, g.input_w, g.pad_w)
    return 0


# Instructions per MAC of the kernel's paths on a Cortex-M4 (-Os), measured with `tflm-py
# bench` on the QEMU board (scripts/bench_depthwise.py: kws_ref_model's layers and stand-ins
# for vww's / person_detect's): estimates for the planner's speed/RAM trade-off, not promises.
INSTRUCTIONS_PER_MAC = {"ring3x3_s1": 2.6, "ring3x3_s2": 3.4, "direct": 6.4, "as_conv": 2.6,
                        "reference": 19.7}


def kernel_variants(op, model) -> list:
    """Fastest first: the path that needs scratch, then the one that runs without it."""
    g = _geometry(op, model)
    n = macs(op, model)
    if cc.is_16x8(model, op):
        from .conv_2d import variant_16x8
        return [variant_16x8(prepare(op, model), n)]
    s = scratch_bytes(op, model)

    def v(name, key, scratch):
        return {"name": name, "scratch": scratch,
                "instructions": round(INSTRUCTIONS_PER_MAC[key] * n)}
    if s and _as_conv(g):
        return [v("as CONV_2D, im2col + SMLAD", "as_conv", s),
                v("as CONV_2D, reference loop", "reference", 0)]
    if s:
        return [v("3x3 row ring + SMLAD", "ring3x3_s1" if g.stride_w == 1 else "ring3x3_s2", s),
                v("direct loops", "direct", 0)]
    return [v("direct loops", "direct", 0)]


def macs(op, model) -> int:
    g = _geometry(op, model)
    return g.batches * g.output_h * g.output_w * g.output_c * g.filter_h * g.filter_w


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
        from .conv_2d import _fits32
        w = model.tensor(op.inputs[1]).data.astype(np.int64).reshape(-1, g.output_c)
        _fits32(op, model, g, np.abs(w).T)
        return g
    g.input_offset = -x.quantization.zero_point
    g.output_offset = y.quantization.zero_point
    g.act_min, g.act_max = quant.activation_range(act, y.quantization.scale,
                                                  y.quantization.zero_point)
    wsum = np.abs(w.data.astype(np.int64)).reshape(-1, g.output_c).sum(axis=0)
    g.small_acc = cc.small_acc(g.shifts, wsum, cc.bias_values(model, op), g.input_offset)
    return g


def simulate(op, model, params, inputs):
    p = params
    w = model.tensor(op.inputs[1]).data.reshape(p.filter_h, p.filter_w, p.output_c)
    w = w.astype(np.int64)
    bias = inputs[2] if len(inputs) > 2 else None
    x = inputs[0].astype(np.int64) + (0 if p.io16 else p.input_offset)
    if p.depth_multiplier > 1:
        x = np.repeat(x, p.depth_multiplier, axis=3)  # channel ic*M+m <- ic
    n = p.batches
    hn = (p.output_h - 1) * p.stride_h + (p.filter_h - 1) * p.dilation_h + 1
    wn = (p.output_w - 1) * p.stride_w + (p.filter_w - 1) * p.dilation_w + 1
    xp = np.zeros((n, max(hn, p.pad_h), max(wn, p.pad_w), p.output_c), dtype=np.int64)
    hc = max(0, min(p.input_h, hn - p.pad_h))
    wc = max(0, min(p.input_w, wn - p.pad_w))
    xp[:, p.pad_h:p.pad_h + hc, p.pad_w:p.pad_w + wc, :] = x[:, :hc, :wc, :]
    acc = np.zeros((n, p.output_h, p.output_w, p.output_c), dtype=np.int64)
    for ky in range(p.filter_h):
        y0 = ky * p.dilation_h
        for kx in range(p.filter_w):
            x0 = kx * p.dilation_w
            acc += xp[:, y0:y0 + (p.output_h - 1) * p.stride_h + 1:p.stride_h,
                      x0:x0 + (p.output_w - 1) * p.stride_w + 1:p.stride_w, :] * w[ky, kx]
    if bias is not None:
        acc += bias.astype(np.int64).reshape(-1)
    if p.io16:
        return [quant.requantize_16x8(acc, _expand(p.multipliers, p.output_c),
                                      _expand(p.shifts, p.output_c), p.acc64, p.act_min,
                                      p.act_max)]
    acc = cc.wrap_int32(acc)
    out = cc.requantize_clamp(acc, _expand(p.multipliers, p.output_c),
                              _expand(p.shifts, p.output_c), p.output_offset, p.act_min,
                              p.act_max)
    return [out]


def _emit_as_conv(op, model, p, cg) -> str:
    cg.use_kernel("conv_2d")
    h = f"depthwise_conv_2d_{op.index}"
    mult = cc.c_array_or_name(cg, "int32_t", p.multipliers, h + "_mult")
    shift = cc.shift_array(cg, p.shifts, h + "_shift")
    w = model.tensor(op.inputs[1]).data.reshape(p.filter_h * p.filter_w, p.output_c)
    w_ohwi = cc.c_array_or_name(cg, "int8_t", np.ascontiguousarray(w.T), h + "_filter_ohwi")
    fields = {k: int(getattr(p, k)) for k in (
        "batches", "input_h", "input_w", "input_c", "filter_h", "filter_w")}
    fields["filter_c"] = 1
    fields.update({k: int(getattr(p, k)) for k in (
        "output_h", "output_w", "output_c", "stride_h", "stride_w", "dilation_h",
        "dilation_w", "pad_h", "pad_w", "input_offset", "output_offset", "act_min", "act_max",
        "per_channel")})
    fields["multipliers"] = mult
    fields["shifts"] = shift
    fields["small_acc"] = int(p.small_acc)
    name = cg.param_struct("tflm_conv_2d_params_t", fields, h + "_as_conv")
    bias = cg.ptr(op.inputs[2]) if len(op.inputs) > 2 else "NULL"
    scratch = cg.scratch(op)
    fn = "tflm_conv_2d_fast_s8" if scratch != "NULL" else "tflm_conv_2d_s8"
    return (f"/* one input channel, depth_multiplier {p.depth_multiplier}: a CONV_2D with the "
            f"filter transposed */\n"
            f"{fn}(&{name}, {cg.ptr(op.inputs[0])}, {w_ohwi}, {bias}, "
            f"{cg.ptr(op.outputs[0])}, {scratch});")


def _emit_s16(op, model, p, cg) -> str:
    cg.use_kernel("depthwise_conv_2d_s16")
    h = f"depthwise_conv_2d_{op.index}"
    fields = {k: int(getattr(p, k)) for k in (
        "batches", "input_h", "input_w", "input_c", "filter_h", "filter_w", "output_h",
        "output_w", "output_c", "depth_multiplier", "stride_h", "stride_w", "dilation_h",
        "dilation_w", "pad_h", "pad_w")}
    fields["rq"] = cc.rq16_init(cg, p, h, p.output_c)
    name = cg.param_struct("tflm_depthwise_conv_2d_s16_params_t", fields, h)
    # with fits32 the kernel reads the bias from rq.bias32
    bias = cg.ptr(op.inputs[2]) if len(op.inputs) > 2 and not p.fits32 else "NULL"
    return (f"tflm_depthwise_conv_2d_s16(&{name}, {cg.ptr(op.inputs[0])}, "
            f"{cg.ptr(op.inputs[1])}, {bias}, {cg.ptr(op.outputs[0])});")


def emit(op, model, params, cg) -> str:
    p = params
    if p.io16:
        return _emit_s16(op, model, p, cg)
    if _as_conv(p):
        return _emit_as_conv(op, model, p, cg)
    cg.use_kernel("depthwise_conv_2d")
    h = f"depthwise_conv_2d_{op.index}"
    scratch = cg.scratch(op) if _fast3x3(p) and _ring_loops(p) else "NULL"
    # optimize="flash": the records are built in RAM from the model's constants (a bias that
    # is not a constant keeps them in flash)
    has_bias = len(op.inputs) > 2 and op.inputs[2] >= 0
    in_ram = (scratch != "NULL" and cg.flash_first()
              and (not has_bias or cc.bias_values(model, op) is not None))
    if scratch != "NULL" and not in_ram:   # the kernel reads the requantisation from its records
        mult = shift = "NULL"
    else:
        mult = cc.c_array_or_name(cg, "int32_t", p.multipliers, h + "_mult")
        shift = cc.shift_array(cg, p.shifts, h + "_shift")
    fields = {k: int(getattr(p, k)) for k in (
        "batches", "input_h", "input_w", "input_c", "filter_h", "filter_w", "output_h",
        "output_w", "output_c", "depth_multiplier", "stride_h", "stride_w", "dilation_h",
        "dilation_w", "pad_h", "pad_w", "input_offset", "output_offset", "act_min", "act_max",
        "per_channel")}
    fields["multipliers"] = mult
    fields["shifts"] = shift
    fields["small_acc"] = int(p.small_acc)
    name = cg.param_struct("tflm_depthwise_conv_2d_params_t", fields, h)
    if in_ram:   # the records built from the model's filter and bias at the first invoke
        bias = cg.ptr(op.inputs[2]) if len(op.inputs) > 2 else "NULL"
        rec = cg.ram_table("int32_t", 9 * p.output_c, h + "_records",
                           f"tflm_depthwise_conv_2d_3x3_records(&{name}, "
                           f"{cg.ptr(op.inputs[1])}, {bias}, {{name}});")
    if scratch != "NULL":
        if not in_ram:
            rec = channel_records(model.tensor(op.inputs[1]).data, cc.bias_values(model, op),
                                  p)
            rec = cc.c_array_or_name(cg, "int32_t", rec, h + "_records")
        # the one-stride entry: the firmware links only that stride's loops
        return (f"tflm_depthwise_conv_2d_3x3_s{p.stride_w}_s8(&{name}, {cg.ptr(op.inputs[0])}, "
                f"{rec}, {cg.ptr(op.outputs[0])}, {scratch});")
    bias = cg.ptr(op.inputs[2]) if len(op.inputs) > 2 else "NULL"
    return (f"tflm_depthwise_conv_2d_s8(&{name}, {cg.ptr(op.inputs[0])}, "
            f"{cg.ptr(op.inputs[1])}, {bias}, {cg.ptr(op.outputs[0])});")


def channel_records(w, bias, p) -> np.ndarray:
    """The per-channel records the 3x3 kernel reads (kernels_c/depthwise_conv_2d.h), 9 int32
    words each: the bias; per filter row ky the words (w[ky][0] | w[ky][1] << 16) and
    (w[ky][1] | w[ky][2] << 16) (int16 halves); the multiplier and k = -shift - 1. Bias and
    weights are doubled when small_acc (the kernel's requantisation starts from 2x the
    accumulator, which then fits: |acc| < 2^30)."""
    n = p.output_c
    k2 = 2 if p.small_acc else 1
    b = np.zeros(n, np.int64) if bias is None else np.asarray(bias, np.int64).reshape(-1)
    w = np.asarray(w, dtype=np.int64).reshape(3, 3, n) * k2
    lo = np.stack([w[:, 0], w[:, 1]], axis=1) & 0xFFFF       # [ky, word, c]
    hi = np.stack([w[:, 1], w[:, 2]], axis=1) << 16
    words = (lo | hi).transpose(2, 0, 1).reshape(n, 6)       # [c, ky * 2 + word]
    mult = _expand(p.multipliers, n).astype(np.int64)
    k = -_expand(p.shifts, n).astype(np.int64) - 1
    rec = np.concatenate([(b * k2)[:, None], words, mult[:, None], k[:, None]], axis=1)
    return cc.wrap_int32(rec).astype(np.int32).reshape(-1)
