"""Shared pieces of the CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED rooms.

TFLM's conventions reproduced here (reference kernels + micro kernel Prepare):
- output size and padding: ComputePaddingHeightWidth (padding.h). The padding before the
  first row/column is floor(total / 2); the reference kernels only use that value (the odd
  "offset" pixel falls at the end and is simply outside the image).
- per-channel requantisation (PopulateConvolutionQuantizationParams): the effective scale is
  double(input_scale) * double(filter_scale) / double(output_scale), computed in double from
  the float32 scales, then QuantizeMultiplier. Per-tensor FULLY_CONNECTED gets the same
  (the oracle computes the product in double there too; a float32 product would be off by
  one output step for some scale triples: tests/ops/test_conv.py holds such a case).
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from .. import quant

ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def check_act(op) -> str:
    act = getattr(op.options, "fused_activation_function", "NONE")
    if act not in ACTIVATIONS:
        raise UnsupportedError(f"fused activation {act} is not supported "
                               f"(only {', '.join(ACTIVATIONS)})")
    return act


def check_quantized(t, what: str, dtype=np.int8):
    if t is None:
        raise UnsupportedError(f"{what} tensor is missing")
    if t.dtype != np.dtype(dtype):
        raise UnsupportedError(f"{what} must be {np.dtype(dtype).name}, got {t.type_name}")
    q = t.quantization
    if q is None or len(q.scales) == 0:
        raise UnsupportedError(f"{what} tensor has no quantization parameters")
    if not np.all(np.isfinite(q.scales)) or np.any(q.scales <= 0):
        raise UnsupportedError(f"{what} tensor has a non-positive or non-finite scale")
    return q


def check_activation_io(model, op):
    """The input and output of a conv-like op: both int8, or both int16 (16x8: int16
    activations with int8 weights, as TFLM runs them); rejects float clearly."""
    x = model.tensor(op.inputs[0]) if len(op.inputs) > 0 else None
    y = model.tensor(op.outputs[0]) if len(op.outputs) > 0 else None
    if x is None or y is None:
        raise UnsupportedError("input or output tensor is missing")
    for t, what in ((x, "input"), (y, "output")):
        if t.dtype == np.float32:
            raise UnsupportedError(f"float32 {what} is not supported (only int8 activations, "
                                   "or int16 activations with int8 weights)")
        if t.dtype not in (np.int8, np.int16):
            raise UnsupportedError(f"{what} must be int8 or int16, got {t.type_name}")
    if x.dtype != y.dtype:
        raise UnsupportedError(f"input ({x.type_name}) and output ({y.type_name}) types differ")
    for t, what in ((x, "input"), (y, "output")):
        q = check_quantized(t, what, t.dtype)
        if q.per_channel:
            raise UnsupportedError(f"{what} must be quantized per tensor")
        info = np.iinfo(t.dtype)
        if not info.min <= int(q.zero_points[0]) <= info.max:
            raise UnsupportedError(f"{what} zero point {int(q.zero_points[0])} outside "
                                   f"{t.type_name}")
    return x, y


def is_16x8(model, op) -> bool:
    """int16 activations (with int8 weights): TFLM's 16x8 kernels."""
    return model.tensor(op.inputs[0]).dtype == np.int16


# TensorType INT32 in the options' quantized_bias_type (CONV_2D, FULLY_CONNECTED)
_QUANTIZED_BIAS_INT32 = 2


def acc64(model, op) -> int:
    """1: TFLM's int64 accumulator and requantisation of a 16x8 op (an int64 bias, or none);
    0: an int32 bias (the accumulator wraps in int32), or int8. With no bias, the options'
    quantized_bias_type decides: INT32 (the converter's int32-bias mode, which drops all-zero
    biases) takes TFLM's int32 path too (measured on the oracle: CONV_2D, FULLY_CONNECTED)."""
    if not is_16x8(model, op):
        return 0
    b = model.tensor(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
    if b is None:
        qbt = getattr(op.options, "quantized_bias_type", 0) if op.options is not None else 0
        return int(qbt != _QUANTIZED_BIAS_INT32)
    return int(b.dtype == np.int64)


def check_16x8_shifts(shifts):
    """TFLM's int64 requantisation shifts right by 15 - shift: shift must be <= 14."""
    if np.any(np.asarray(shifts) > 14):
        raise UnsupportedError("16x8 output scale too large for the int64 requantisation "
                               "(input scale x weight scale / output scale >= 2^14)")


def requantize_16x8_params(model, op, mult, shift, act):
    """(act_min, act_max, acc64) of a 16x8 op; checks the shifts of the int64 path."""
    y = model.tensor(op.outputs[0])
    a64 = acc64(model, op)
    if a64:
        check_16x8_shifts(shift)
    lo, hi = quant.activation_range(act, y.quantization.scale, y.quantization.zero_point,
                                    np.int16)
    return lo, hi, a64


def check_filter(model, op, qdim: int, n_channels: int, allow_zero_point=False):
    w = model.tensor(op.inputs[1]) if len(op.inputs) > 1 else None
    if w is None:
        raise UnsupportedError("weights tensor is missing")
    if w.dtype != np.int8:
        raise UnsupportedError(f"weights must be int8 (got {w.type_name})")
    if not w.is_constant:
        raise UnsupportedError("weights must be a constant tensor")
    q = check_quantized(w, "weights")
    if len(q.scales) != 1:
        if len(q.scales) != n_channels or q.quantized_dimension != qdim:
            raise UnsupportedError(
                f"per-channel weights must have one scale per output channel along dimension "
                f"{qdim} ({n_channels}), got {len(q.scales)} along {q.quantized_dimension}")
    if not allow_zero_point and np.any(q.zero_points != 0):
        raise UnsupportedError("weights must be symmetric (zero point 0)")
    return w


def check_bias(model, op, n_channels: int, bias16=(np.int64, np.int32)):
    """bias16: the bias types TFLM's 16x8 kernel of this op reads correctly."""
    if len(op.inputs) < 3 or op.inputs[2] < 0:
        return None
    b = model.tensor(op.inputs[2])
    if is_16x8(model, op):
        if b.dtype not in bias16:
            names = " or ".join(np.dtype(t).name for t in bias16)
            raise UnsupportedError(f"bias of a 16x8 {op.type} must be {names} (got "
                                   f"{b.type_name}; TFLM's kernel reads it as int64)")
    elif b.dtype != np.int32:
        raise UnsupportedError(f"bias must be int32 (got {b.type_name})")
    if not b.is_constant:
        raise UnsupportedError("bias must be a constant tensor")
    if b.size != n_channels:
        raise UnsupportedError(f"bias has {b.size} elements, expected {n_channels}")
    return b


def per_channel_multipliers(in_scale, filter_scales, out_scale, n_channels):
    """PopulateConvolutionQuantizationParams: (multipliers, shifts) int64 arrays."""
    fs = np.asarray(filter_scales, dtype=np.float32)
    if len(fs) == 1:
        fs = np.repeat(fs, n_channels)
    reals = [float(np.float32(in_scale)) * float(s) / float(np.float32(out_scale)) for s in fs]
    return quant.quantize_multiplier_array(reals)


def wrap_int32(x):
    return quant.wrap_int32(x)


def requantize_clamp(acc, mult, shift, out_zp, act_min, act_max):
    """acc (int64 holding int32 values, channel last) -> int8 output as the reference kernels."""
    r = quant.multiply_by_quantized_multiplier(acc, mult, shift) + out_zp
    return np.clip(r, act_min, act_max).astype(np.int8)


def c_array_or_name(cg, ctype, values, hint):
    return cg.const_array(ctype, [int(v) for v in np.asarray(values).ravel()], hint)


def shift_array(cg, shifts, hint):
    """The per-channel shifts as an int8_t array (a quarter of int32's flash): TFLM's
    QuantizeMultiplier keeps them in [-31, 30]."""
    vals = [int(v) for v in np.asarray(shifts).ravel()]
    if any(not -128 <= v <= 127 for v in vals):
        raise ValueError(f"{hint}: a requantisation shift outside int8: {min(vals)}..{max(vals)}")
    return cg.const_array("int8_t", vals, hint)


def small_acc(shifts, abs_weight_sums, bias, input_offset) -> int:
    """1 when every accumulator of the layer provably lies in [-2^30, 2^30) and every shift is
    negative: the DSP kernels then requantise without range checks (tflm_rq_dsp_t.small_acc).

    abs_weight_sums: per output channel, the sum of |w| over everything one output adds up
    (taps outside the image add nothing, so the bound holds for every pixel); bias: the int32
    bias per channel or None; |x + input_offset| <= max(|-128 + off|, |127 + off|)."""
    off = int(input_offset)
    xmax = max(abs(-128 + off), abs(127 + off))
    sums = np.asarray(abs_weight_sums, dtype=np.int64)
    b = np.zeros_like(sums) if bias is None else np.abs(np.asarray(bias, dtype=np.int64))
    bound = b + sums * xmax
    shifts = np.asarray(shifts, dtype=np.int64)
    return int(bool(np.all(bound < (1 << 30)) and np.all(shifts < 0)))


def bias_values(model, op):
    """The constant int32 bias of a conv-like op as int64, or None when absent."""
    if len(op.inputs) < 3 or op.inputs[2] < 0:
        return None
    b = model.tensor(op.inputs[2])
    return None if b is None or b.data is None else b.data.astype(np.int64).reshape(-1)


def rq16_init(cg, p, hint, n_out) -> str:
    """The C initializer of a tflm_rq16_t (kernels_c/tflm_common.h) from a 16x8 op's params
    (n_out: its output channels)."""
    mult = c_array_or_name(cg, "int32_t", p.multipliers, hint + "_mult")
    shift = shift_array(cg, p.shifts, hint + "_shift")
    fast = ""
    if getattr(p, "fits32", 0):
        bias = "NULL" if p.bias32 is None else c_array_or_name(cg, "int32_t", p.bias32,
                                                                hint + "_bias32")
        reduced = rshift = "NULL"
        mhi = post = k64 = "NULL"
        if p.acc64:
            red = quant.reduced_multiplier(p.multipliers).astype(np.int64)
            ts = 15 - np.asarray(p.shifts, dtype=np.int64)
            if np.all(ts >= 16):
                # kernels_c/tflm_common.h tflm_rq16_t.mhi: the high word of one product;
                # per output channel, with k64 = bias * mhi + 2^(31 + post)
                hi = np.where(ts <= 32, red << np.clip(32 - ts, 0, 16), red)
                pst = np.maximum(ts - 32, 0)
                hi = np.broadcast_to(hi, (n_out,)) if hi.size == 1 else hi
                pst = np.broadcast_to(pst, (n_out,)) if pst.size == 1 else pst
                b = np.zeros(n_out, dtype=np.int64) if p.bias32 is None \
                    else np.asarray(p.bias32, dtype=np.int64).reshape(-1)
                k = [int(bv) * int(m) + (1 << (31 + int(s))) for bv, m, s in zip(b, hi, pst)]
                mhi = c_array_or_name(cg, "int32_t", hi, hint + "_mhi")
                post = shift_array(cg, pst, hint + "_post")
                k64 = cg.const_array("int64_t", k, hint + "_k64")
            else:
                reduced = c_array_or_name(cg, "int32_t", red, hint + "_mult16")
                rshift = shift_array(cg, ts, hint + "_rshift")
        fast = (f", .fits32 = 1, .bias32 = {bias}, .reduced = {reduced}, .rshift = {rshift}, "
                f".mhi = {mhi}, .post = {post}, .k64 = {k64}")
    return (f"{{ .multipliers = {mult}, .shifts = {shift}, .per_channel = {int(p.per_channel)}, "
            f".acc64 = {int(p.acc64)}, .act_min = {int(p.act_min)}, .act_max = {int(p.act_max)}"
            f"{fast} }}")


def fits32_16x8(p, abs_weight_sums, bias) -> None:
    """Sets p.fits32 (and p.bias32) of a 16x8 op: 1 when every accumulator, bias included,
    provably lies in int32 whatever the input: |bias| + 2^15 * sum |w| <= 2^31 - 1 per output
    channel (abs_weight_sums: everything one output adds up; taps outside the image add
    nothing). The kernels then sum in int32 (SMLAD) and requantise from int32; otherwise they
    keep TFLM's exact int64 arithmetic."""
    sums = np.asarray(abs_weight_sums, dtype=np.int64).reshape(-1)
    b = np.zeros_like(sums) if bias is None else np.asarray(bias, dtype=np.int64).reshape(-1)
    p.fits32 = int(bool(np.all(np.abs(b) + sums * 32768 <= 2**31 - 1)))
    p.bias32 = None if bias is None else b
