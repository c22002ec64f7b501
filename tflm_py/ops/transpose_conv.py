"""TRANSPOSE_CONV room: int8 (int8 weights per-channel along dim 0 or per-tensor, optional
int32 bias) and 16x8 (int16 activations, int8 weights, optional int64 or int16 bias).

Inputs as TFLite orders them: (output_shape int32, weights [OC, KH, KW, IC], input NHWC
[, bias]). TFLM ignores the output_shape tensor's values (it may even be a graph input, as in
the SEANet suite): the output tensor's shape rules.

TFLM's reference kernels (reference/integer_ops/transpose_conv.h) scatter each input pixel
into an output-sized accumulator buffer:
    acc[b, iy*sh - pad_h + ky, ix*sw - pad_w + kx, oc] += (x + input_offset) * w[oc, ky, kx, ic]
(terms landing outside the output are dropped), padding from ComputePaddingHeightWidth with the
*output* size as the forward convolution's input size, then per output element:
- int8: acc (int32, wrapping) + bias, MultiplyByQuantizedMultiplier (int32 variant),
  + output zero point, clamp.
- 16x8: acc in int64, no input or output offset (TFLM assumes zero points 0 and applies none),
  + bias (int16 biases are widened to int64), the int64 MultiplyByQuantizedMultiplier (the
  multiplier rounded to 16 bits, one rounding), clamp.
The quantisation parameters and the clamp come from PopulateConvolutionQuantizationParams with
the op's fused activation (older TFLM releases passed kTfLiteActNone; the TFLM we are held to
applies it: tests/ops/test_matmul.py checks each activation against the oracle).

Our kernel (kernels_c/transpose_conv.c) gathers instead of scattering: each output pixel sums
the input pixels that map onto it, so it needs no accumulator buffer; the sum is the same
integer (int32 sums wrap modulo 2^32 in any order; int64 sums do not overflow).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from .. import quant
from . import _conv_common as cc
from ._window import out_size_and_pad

OPS = ("TRANSPOSE_CONV",)
INPLACE = None

_OUT_SHAPE, _WEIGHTS, _INPUT, _BIAS = 0, 1, 2, 3


def _bias_tensor(op, model):
    if len(op.inputs) < 4 or op.inputs[_BIAS] < 0:
        return None
    return model.tensor(op.inputs[_BIAS])


def _io(model, op):
    """(input, output, is_16x8) after the type checks."""
    x = model.tensor(op.inputs[_INPUT])
    y = model.tensor(op.outputs[0])
    if x is None or y is None:
        raise UnsupportedError("input or output tensor is missing")
    if x.dtype == np.float32 or y.dtype == np.float32:
        raise UnsupportedError("float32 TRANSPOSE_CONV is not supported (only int8, and int16 "
                               "activations with int8 weights)")
    if x.dtype != y.dtype or x.dtype not in (np.int8, np.int16):
        raise UnsupportedError(f"input and output must both be int8 or both int16, got "
                               f"{x.type_name} and {y.type_name}")
    for t, what in ((x, "input"), (y, "output")):
        q = cc.check_quantized(t, what, t.dtype)
        if q.per_channel:
            raise UnsupportedError(f"{what} must be quantized per tensor")
    return x, y, x.dtype == np.int16


def tconv_geometry(op, model):
    x = model.tensor(op.inputs[_INPUT])
    y = model.tensor(op.outputs[0])
    oc, kh, kw, ic = model.tensor(op.inputs[_WEIGHTS]).shape
    o = op.options
    sh, sw = int(getattr(o, "stride_h", 1)), int(getattr(o, "stride_w", 1))
    pad = getattr(o, "padding", "SAME")
    n, h, w, c = x.shape
    _, oh, ow, yc = y.shape
    # ComputePaddingHeightWidth(stride, dilation 1, output size, filter size, padding)
    _, pad_h = out_size_and_pad(pad, oh, kh, sh)
    _, pad_w = out_size_and_pad(pad, ow, kw, sw)
    return SimpleNamespace(batches=n, input_h=h, input_w=w, input_c=c, filter_h=kh,
                           filter_w=kw, output_h=oh, output_w=ow, output_c=oc, stride_h=sh,
                           stride_w=sw, pad_h=pad_h, pad_w=pad_w, padding=pad, output_n=y.shape[0],
                           output_yc=yc, filter_c=ic)


def check(op, model) -> None:
    if len(op.inputs) not in (3, 4) or len(op.outputs) != 1:
        raise UnsupportedError("expects inputs (output_shape, weights, input[, bias]) and one "
                               "output")
    x, y, is16 = _io(model, op)
    w = model.tensor(op.inputs[_WEIGHTS])
    if w is None:
        raise UnsupportedError("weights tensor is missing")
    if len(x.shape) != 4 or len(w.shape) != 4 or len(y.shape) != 4:
        raise UnsupportedError("input, weights and output must be 4-D (NHWC / OHWI)")
    if w.dtype == np.int16 and is16:
        raise UnsupportedError("int16 weights are not supported (TFLM's 16x8 kernel takes int8 "
                               "weights)")
    cc.check_filter(model, op, 0, w.shape[0])
    cc.check_act(op)
    g = tconv_geometry(op, model)
    pad = g.padding
    if pad not in ("SAME", "VALID"):
        raise UnsupportedError(f"padding {pad} is not supported")
    if g.stride_h < 1 or g.stride_w < 1:
        raise UnsupportedError("strides must be >= 1")
    if g.filter_c != g.input_c:
        raise UnsupportedError(f"weights take {g.filter_c} input channels, the input has "
                               f"{g.input_c}")
    if g.output_n != g.batches or g.output_yc != g.output_c:
        raise UnsupportedError(f"output shape {tuple(y.shape)} does not match the input batch "
                               f"{g.batches} and the {g.output_c} filters")
    if min(g.input_h, g.input_w, g.input_c, g.output_h, g.output_w, g.output_c,
           g.filter_h, g.filter_w) < 1:
        raise UnsupportedError("empty input, output or weights")
    b = _bias_tensor(op, model)
    if b is not None:
        want = (np.int64, np.int16) if is16 else (np.int32,)
        if b.dtype not in want:
            raise UnsupportedError(
                f"bias must be {' or '.join(np.dtype(t).name for t in want)} with "
                f"{x.type_name} activations (got {b.type_name})")
        if not b.is_constant:
            raise UnsupportedError("bias must be a constant tensor")
        if b.size != g.output_c:
            raise UnsupportedError(f"bias has {b.size} elements, expected {g.output_c}")
    if not is16:
        zp = int(x.quantization.zero_points[0]), int(y.quantization.zero_points[0])
        if not all(-128 <= z <= 127 for z in zp):
            raise UnsupportedError("int8 zero point outside [-128, 127]")


def macs(op, model) -> int:
    g = tconv_geometry(op, model)
    return g.batches * g.input_h * g.input_w * g.input_c * g.filter_h * g.filter_w * g.output_c


def prepare(op, model):
    g = tconv_geometry(op, model)
    x, y, is16 = _io(model, op)
    w = model.tensor(op.inputs[_WEIGHTS])
    mult, shift = cc.per_channel_multipliers(x.quantization.scale, w.quantization.scales,
                                             y.quantization.scale, g.output_c)
    g.is16 = is16
    g.per_channel = int(w.quantization.per_channel)
    g.multipliers = mult if g.per_channel else mult[:1]
    g.shifts = shift if g.per_channel else shift[:1]
    if is16:
        g.multipliers = quant.reduced_multiplier(g.multipliers)
        g.input_offset = 0
        g.output_offset = 0
    else:
        g.input_offset = -int(x.quantization.zero_point)
        g.output_offset = int(y.quantization.zero_point)
    act = cc.check_act(op)
    g.act_min, g.act_max = quant.activation_range(act, y.quantization.scale,
                                                  y.quantization.zero_point, x.dtype)
    b = _bias_tensor(op, model)
    g.bias = None if b is None else b.data.astype(np.int64).reshape(-1)
    return g


def _expand(a, n):
    a = np.asarray(a, dtype=np.int64)
    return np.repeat(a, n) if len(a) == 1 else a


def simulate(op, model, params, inputs):
    p = params
    w = model.tensor(op.inputs[_WEIGHTS]).data.astype(np.int64)
    x = inputs[_INPUT].astype(np.int64) + p.input_offset
    n = p.batches
    # scatter, as the reference: every filter tap adds x @ w_tap^T at a strided offset
    full_h = (p.input_h - 1) * p.stride_h + p.filter_h
    full_w = (p.input_w - 1) * p.stride_w + p.filter_w
    acc = np.zeros((n, max(full_h, p.pad_h + p.output_h), max(full_w, p.pad_w + p.output_w),
                    p.output_c), dtype=np.int64)
    for ky in range(p.filter_h):
        for kx in range(p.filter_w):
            contrib = x @ w[:, ky, kx, :].T       # [n, h, w, oc]
            acc[:, ky:ky + (p.input_h - 1) * p.stride_h + 1:p.stride_h,
                kx:kx + (p.input_w - 1) * p.stride_w + 1:p.stride_w, :] += contrib
    acc = acc[:, p.pad_h:p.pad_h + p.output_h, p.pad_w:p.pad_w + p.output_w, :]
    mult = _expand(p.multipliers, p.output_c)
    shift = _expand(p.shifts, p.output_c)
    if p.is16:
        if p.bias is not None:
            acc = acc + p.bias
        out = quant.requantize_reduced_int64(acc, mult, shift)
        out = np.clip(out, p.act_min, p.act_max).astype(np.int16)
    else:
        acc = quant.wrap_int32(acc)
        if p.bias is not None:
            acc = quant.wrap_int32(acc + p.bias)
        out = cc.requantize_clamp(acc, mult, shift, p.output_offset, p.act_min, p.act_max)
    return [out]


def emit(op, model, params, cg) -> str:
    p = params
    cg.use_kernel("transpose_conv")
    h = f"transpose_conv_{op.index}"
    fields = {k: int(getattr(p, k)) for k in (
        "batches", "input_h", "input_w", "input_c", "filter_h", "filter_w", "output_h",
        "output_w", "output_c", "stride_h", "stride_w", "pad_h", "pad_w", "input_offset",
        "output_offset", "act_min", "act_max", "per_channel")}
    fields["multipliers"] = cc.c_array_or_name(cg, "int32_t", p.multipliers, h + "_mult")
    fields["shifts"] = cc.shift_array(cg, p.shifts, h + "_shift")
    name = cg.param_struct("tflm_transpose_conv_params_t", fields, h)
    if p.bias is None:
        bias = "NULL"
    elif p.is16 and model.tensor(op.inputs[_BIAS]).dtype != np.int64:
        bias = cg.const_array("int64_t", p.bias, h + "_bias")   # int16 bias, widened
    else:
        bias = cg.ptr(op.inputs[_BIAS])
    fn = "tflm_transpose_conv_s16" if p.is16 else "tflm_transpose_conv_s8"
    return (f"{fn}(&{name}, {cg.ptr(op.inputs[_INPUT])}, {cg.ptr(op.inputs[_WEIGHTS])}, "
            f"{bias}, {cg.ptr(op.outputs[0])});")
