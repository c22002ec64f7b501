"""SOFTMAX room: int8 input, int8 output (zero point -128, scale exactly 1/256) or int16 output
(zero point -32768, scale 1/65536), any beta, softmax over the last dimension; and int16 input,
int16 output (zero point 0, scale 1/32768) by TFLM's exp and 1/(1+x) tables (int16 part below).

TFLM micro (softmax_common.cc + reference_ops::Softmax, the gemmlowp fixed-point path; micro
uses no LUT for int8 input):
- PreprocessSoftmaxScaling: real = min(beta * input_scale * 2^26, 2^31 - 1) in double, then
  QuantizeMultiplierGreaterThanOne -> (input_multiplier, input_left_shift);
  diff_min = -floor(31 * 2^26 / 2^input_left_shift) (CalculateInputRadius(5, shift)).
- per row: diff = x - max(row); elements with diff < diff_min give the output minimum.
  Others: scaled = SRDHM(diff << shift, multiplier) as Q5.26, e = exp_on_negative_values(...)
  (Q0.31); the sum of e rescaled to Q12.19 (rounding shift by 12) is inverted by GetReciprocal
  (one_over_one_plus_x_for_x_in_0_1 of the normalised sum), and
  out = RDBPOT(SRDHM(reciprocal, e), num_bits_over_unit + 31 - output_bits) + output_min,
  saturated to the output type.

The C kernel reads the exps from a table made here (exp_table: the exp of every difference
0..-255 an int8 row can hold, at most 1 KB, cut where the exps stop counting), so a row costs
one lookup per element and one reciprocal; the simulator keeps computing them.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from .. import quant
from . import _lut16

OPS = ("SOFTMAX",)
INPLACE = None

_SCALED_DIFF_INTEGER_BITS = 5
_ACCUMULATION_INTEGER_BITS = 12


def _quant_ok(t) -> bool:
    return t.quantization is not None and len(t.quantization.scales) > 0


def check(op, model) -> None:
    if len(op.inputs) != 1 or len(op.outputs) != 1:
        raise UnsupportedError("expects one input and one output")
    x = model.tensor(op.inputs[0])
    y = model.tensor(op.outputs[0])
    if x is None or y is None:
        raise UnsupportedError("input or output tensor is missing")
    if x.dtype == np.dtype(np.int16):
        _check_s16(x, y)
        return
    if x.dtype != np.dtype(np.int8):
        raise UnsupportedError(f"only int8 or int16 input is supported, got {x.type_name}")
    if not _quant_ok(x) or not _quant_ok(y):
        raise UnsupportedError("input and output must be quantized")
    if len(x.shape) < 1 or tuple(x.shape) != tuple(y.shape):
        raise UnsupportedError(f"input shape {tuple(x.shape)} and output shape "
                               f"{tuple(y.shape)} must be equal and of rank >= 1")
    yq = y.quantization
    if y.dtype == np.dtype(np.int8):
        if yq.zero_point != -128 or np.float32(yq.scale) != np.float32(1.0 / 256):
            raise UnsupportedError("int8 output must have scale 1/256 and zero point -128 "
                                   "(TFLM requires it)")
    elif y.dtype == np.dtype(np.int16):
        if yq.zero_point != -32768 or abs(float(yq.scale) - 1.0 / 65536) > 0.001 / 65536:
            raise UnsupportedError("int16 output must have scale 1/65536 and zero point "
                                   "-32768 (TFLM requires it)")
    else:
        raise UnsupportedError(f"output must be int8 or int16, got {y.type_name}")
    beta = float(getattr(op.options, "beta", 1.0))
    real = beta * float(x.quantization.scale) * (1 << (31 - _SCALED_DIFF_INTEGER_BITS))
    if not math.isfinite(real) or real <= 1.0:
        raise UnsupportedError(f"beta * input_scale = {beta * float(x.quantization.scale):g} "
                               "is too small for TFLM's softmax scaling (needs > 2^-26)")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x = model.tensor(op.inputs[0])
    y = model.tensor(op.outputs[0])
    if x.dtype == np.dtype(np.int16):
        return _prepare_s16(op, x)
    beta = float(np.float32(getattr(op.options, "beta", 1.0)))
    scale = float(np.float32(x.quantization.scale))
    real = min(beta * scale * float(1 << (31 - _SCALED_DIFF_INTEGER_BITS)), (1 << 31) - 1.0)
    mult, shift = quant.quantize_multiplier(real)
    radius = math.floor(((1 << _SCALED_DIFF_INTEGER_BITS) - 1)
                        * float(1 << (31 - _SCALED_DIFF_INTEGER_BITS)) / float(1 << shift))
    depth = int(x.shape[-1])
    return SimpleNamespace(outer=int(x.size // depth) if depth else 0, depth=depth,
                           input_multiplier=int(mult), input_left_shift=int(shift),
                           diff_min=-int(radius), output_bits=8 * y.dtype.itemsize,
                           output_dtype=y.dtype,
                           exp_table=exp_table(int(mult), int(shift), -int(radius)))


# An exp below this is invisible in both of its uses: the Q12.19 sum rounds it by 2^12 to 0,
# and the output rounds SRDHM(reciprocal, exp) <= exp by 2^(31 - 16) or more to 0.
_EXP_INVISIBLE = 1 << 11


def exp_table(input_multiplier: int, input_left_shift: int, diff_min: int) -> np.ndarray:
    """The C kernel's table: [k] = the Q0.31 exp of the difference -k (k = 0..255; 0 where
    -k < diff_min), cut after the last entry that is not invisible (_EXP_INVISIBLE) with a
    0 entry that every larger k reads (the kernel clamps k to the last index)."""
    diff = -np.arange(256, dtype=np.int64)
    scaled = quant.multiply_by_quantized_multiplier_greater_than_one(
        diff, input_multiplier, input_left_shift)
    e = quant.exp_on_negative_values(scaled, _SCALED_DIFF_INTEGER_BITS)
    e = np.where(diff >= diff_min, e, 0).astype(np.int64)
    visible = np.nonzero(e >= _EXP_INVISIBLE)[0]
    n = int(visible[-1]) + 1 if visible.size else 1
    if n < 256:
        e = np.concatenate([e[:n], [0]])
    return e.astype(np.int32)


def simulate(op, model, params, inputs):
    p = params
    if getattr(p, "int16", False):
        return [_simulate_s16(p, inputs[0])]
    x = np.asarray(inputs[0]).astype(np.int64)
    shape = x.shape
    x = x.reshape(p.outer, p.depth)
    diff = x - x.max(axis=1, keepdims=True)
    valid = diff >= p.diff_min
    scaled = quant.multiply_by_quantized_multiplier_greater_than_one(
        diff, p.input_multiplier, p.input_left_shift)
    e = quant.exp_on_negative_values(scaled, _SCALED_DIFF_INTEGER_BITS)
    e_acc = quant.saturating_rounding_multiply_by_pot(e, -_ACCUMULATION_INTEGER_BITS)
    total = quant.wrap_int32(np.where(valid, e_acc, 0).sum(axis=1, keepdims=True))
    recip, bits_over_unit = quant.get_reciprocal(total, _ACCUMULATION_INTEGER_BITS)
    exponent = bits_over_unit + 31 - p.output_bits
    info = np.iinfo(p.output_dtype)
    out = quant.rounding_divide_by_pot(
        quant.saturating_rounding_doubling_high_mul(recip, e), exponent) + int(info.min)
    out = np.where(valid, np.clip(out, info.min, info.max), info.min)
    return [out.astype(p.output_dtype).reshape(shape)]


def emit(op, model, params, cg) -> str:
    p = params
    if getattr(p, "int16", False):
        return _emit_s16(op, p, cg)
    cg.use_kernel("softmax")
    table = cg.const_array("int32_t", p.exp_table, f"softmax_{op.index}_exp")
    fields = {"outer": p.outer, "depth": p.depth, "input_multiplier": p.input_multiplier,
              "input_left_shift": p.input_left_shift, "diff_min": p.diff_min,
              "exp_table": table, "table_last": len(p.exp_table) - 1}
    name = cg.param_struct("tflm_softmax_params_t", fields, f"softmax_{op.index}")
    fn = "tflm_softmax_s8" if p.output_bits == 8 else "tflm_softmax_s8_s16"
    return f"{fn}(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"


# ---- int16 -> int16 (softmax_common.cc + reference_ops::SoftmaxInt16)
# - input_multiplier / input_shift = QuantizeMultiplier(input_scale * beta / (10 / 65535)) in
#   double: the row's differences x - max (in [-65535, 0]) map onto [-65535, 0] ~ [-10, 0].
# - e = lut(exp, clamp(MultiplyByQuantizedMultiplier(diff) + 32767)) in Q0.15; the row's sum
#   is normalised (h = clz(sum), sum << (h - 1), rounding shift by 14) and 1/sum read from the
#   1/(1+x) table at that value - 3 * 2^15, clamped to int16;
#   out = clamp((e * recip + 2^(30 - h)) >> (31 - h), 0, 32767).

def _check_s16(x, y) -> None:
    if y.dtype != np.dtype(np.int16):
        raise UnsupportedError(f"int16 input needs an int16 output, got {y.type_name}")
    if not _quant_ok(x) or not _quant_ok(y):
        raise UnsupportedError("input and output must be quantized")
    if len(x.shape) < 1 or tuple(x.shape) != tuple(y.shape):
        raise UnsupportedError(f"input shape {tuple(x.shape)} and output shape "
                               f"{tuple(y.shape)} must be equal and of rank >= 1")
    if x.quantization.zero_point != 0:
        raise UnsupportedError("int16 input must have zero point 0 (TFLM requires it)")
    yq = y.quantization
    if yq.zero_point != 0 or abs(float(yq.scale) - 1.0 / 32768) > 0.001 / 32768:
        raise UnsupportedError("int16 output must have scale 1/32768 and zero point 0 "
                               "(TFLM requires it)")


def _prepare_s16(op, x):
    beta = float(np.float32(getattr(op.options, "beta", 1.0)))
    real = float(np.float32(x.quantization.scale)) * beta / (10.0 / 65535.0)
    mult, shift = quant.quantize_multiplier(real)
    depth = int(x.shape[-1])
    return SimpleNamespace(int16=True, outer=int(x.size // depth) if depth else 0, depth=depth,
                           input_multiplier=int(mult), input_shift=int(shift),
                           exp_lut=_lut16.softmax_exp_lut(),
                           recip_lut=_lut16.softmax_recip_lut())


def _simulate_s16(p, x):
    x = np.asarray(x).astype(np.int64)
    shape = x.shape
    x = x.reshape(p.outer, p.depth)
    diff = x - x.max(axis=1, keepdims=True)
    scaled = quant.multiply_by_quantized_multiplier(diff, p.input_multiplier, p.input_shift)
    e = _lut16.lut_lookup_s16(np.clip(scaled + 32767, -32768, 32767), p.exp_lut)
    total = e.sum(axis=1, keepdims=True)
    headroom = quant.count_leading_zeros_u32(total)
    norm = ((total << (headroom - 1)) + (1 << 13)) >> 14
    recip = _lut16.lut_lookup_s16(np.clip(norm - 3 * (1 << 15), -32768, 32767), p.recip_lut)
    right = 31 - headroom
    out = quant.wrap_int32((e * recip + (np.int64(1) << (right - 1))) >> right)
    return np.clip(out, 0, 32767).astype(np.int16).reshape(shape)


def _emit_s16(op, p, cg) -> str:
    cg.use_kernel("softmax_s16")
    exp_lut = cg.const_array("int16_t", [int(v) for v in p.exp_lut], "softmax_exp_lut")
    recip_lut = cg.const_array("int16_t", [int(v) for v in p.recip_lut], "softmax_recip_lut")
    fields = {"outer": p.outer, "depth": p.depth, "input_multiplier": p.input_multiplier,
              "input_shift": p.input_shift, "exp_lut": exp_lut, "recip_lut": recip_lut}
    name = cg.param_struct("tflm_softmax_s16_params_t", fields, f"softmax_{op.index}")
    return f"tflm_softmax_s16(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
