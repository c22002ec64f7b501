"""Integer helpers with TFLM's exact arithmetic (the reference kernels' common.h / common.cc,
double-rounding variant, as built into the PyPI tflite-micro we test against).

Everything here works element-wise on numpy arrays (or Python ints) and has a twin in
kernels_c/tflm_common.h; tests/test_quant.py holds the two against each other.
"""
from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def quantize_multiplier(real_multiplier: float) -> tuple[int, int]:
    """(quantized_multiplier, shift) with real = qm * 2**(shift - 31), as TFLM's QuantizeMultiplier."""
    if real_multiplier == 0.0:
        return 0, 0
    q, shift = math.frexp(real_multiplier)
    # TfLiteRound is std::round: half away from zero.
    q_fixed = int(math.floor(abs(q) * (1 << 31) + 0.5))
    if q < 0:
        q_fixed = -q_fixed
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift = 0
        q_fixed = 0
    return int(q_fixed), int(shift)


def quantize_multiplier_array(reals) -> tuple[np.ndarray, np.ndarray]:
    pairs = [quantize_multiplier(float(r)) for r in np.asarray(reals, dtype=np.float64).ravel()]
    return (np.array([p[0] for p in pairs], dtype=np.int64),
            np.array([p[1] for p in pairs], dtype=np.int64))


def saturating_rounding_doubling_high_mul(a, b):
    """gemmlowp SaturatingRoundingDoublingHighMul on int32 values (int64 arrays)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    # C++ integer division truncates toward zero.
    res = np.where(s >= 0, s >> 31, -((-s) >> 31))
    return np.where(overflow, INT32_MAX, res).astype(np.int64)


def rounding_divide_by_pot(x, exponent):
    """gemmlowp RoundingDivideByPOT: x / 2**exponent, rounding half away from zero."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0).astype(np.int64)
    return (x >> exponent) + (remainder > threshold).astype(np.int64)


def multiply_by_quantized_multiplier(x, multiplier, shift):
    """TFLM MultiplyByQuantizedMultiplier(int32 x, int32 multiplier, int shift) -> int32."""
    x = np.asarray(x, dtype=np.int64)
    multiplier = np.asarray(multiplier, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    # x * (1 << left) wraps in int32 in C; kernels never rely on that, keep the int32 wrap.
    xs = wrap_int32(x << left)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(xs, multiplier), right)


def multiply_by_quantized_multiplier_smaller_than_one(x, multiplier, shift):
    x = np.asarray(x, dtype=np.int64)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, multiplier),
                                  -np.asarray(shift, dtype=np.int64))


def multiply_by_quantized_multiplier_greater_than_one(x, multiplier, left_shift):
    x = np.asarray(x, dtype=np.int64)
    return saturating_rounding_doubling_high_mul(wrap_int32(x * (np.int64(1) << np.asarray(left_shift, dtype=np.int64))), multiplier)


def wrap_int32(x):
    x = np.asarray(x, dtype=np.int64)
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def saturate(x, dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.clip(np.asarray(x, dtype=np.int64), info.min, info.max).astype(dtype)


def activation_range(activation: str, scale: float, zero_point: int, dtype=np.int8) -> tuple[int, int]:
    """TFLM CalculateActivationRangeQuantized: the int range of a fused activation."""
    info = np.iinfo(dtype)
    qmin, qmax = int(info.min), int(info.max)

    def q(f: float) -> int:
        # TfLiteRound(f / scale) + zero_point; division in float32 as TFLM does.
        return zero_point + _round_half_away(float(np.float32(f) / np.float32(scale)))

    if activation in ("NONE", None):
        return qmin, qmax
    if activation == "RELU":
        return max(qmin, q(0.0)), qmax
    if activation == "RELU6":
        return max(qmin, q(0.0)), min(qmax, q(6.0))
    if activation == "RELU_N1_TO_1":
        return max(qmin, q(-1.0)), min(qmax, q(1.0))
    raise ValueError(f"unsupported fused activation {activation}")


def _round_half_away(v: float) -> int:
    return int(math.floor(abs(v) + 0.5)) * (1 if v >= 0 else -1)


# ---- gemmlowp fixed-point transcendental functions (fixedpoint.h), as TFLM's softmax,
# logistic and tanh use them. Values are int32 raw fixed-point numbers held in int64 arrays;
# `integer_bits` is the FixedPoint<int32_t, integer_bits> format of the argument.
# C twins: kernels_c/softmax.c (exp, reciprocal); logistic/tanh run as generated LUTs.

def saturating_rounding_multiply_by_pot(x, exponent: int):
    """gemmlowp SaturatingRoundingMultiplyByPOT<exponent> on int32 values."""
    x = np.asarray(x, dtype=np.int64)
    if exponent == 0:
        return x
    if exponent < 0:
        return rounding_divide_by_pot(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    return np.where(x > threshold, INT32_MAX,
                    np.where(x < -threshold, INT32_MIN, x << exponent)).astype(np.int64)


def rounding_half_sum(a, b):
    """gemmlowp RoundingHalfSum for int32: (a + b) / 2 rounded half away from zero."""
    s = np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64)
    t = s + np.where(s >= 0, 1, -1)
    return np.where(t >= 0, t // 2, -((-t) // 2)).astype(np.int64)


_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
               (2, 39332535), (3, 720401), (4, 242))


def exp_on_interval_between_negative_one_quarter_and_0_excl(a):
    """exp(a) for a Q0.31 value a in [-1/4, 0), result Q0.31 (Taylor series around -1/8)."""
    srdhm = saturating_rounding_doubling_high_mul
    a = np.asarray(a, dtype=np.int64)
    c_exp_m1_8 = 1895147668          # exp(-1/8) in Q0.31
    c_one_third = 715827883          # 1/3 in Q0.31
    x = a + (1 << 28)
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = rounding_divide_by_pot(x4, 2)
    poly = rounding_divide_by_pot(srdhm(x4_over_4 + x3, c_one_third) + x2, 1)
    return wrap_int32(c_exp_m1_8 + srdhm(c_exp_m1_8, wrap_int32(x + poly)))


def exp_on_negative_values(a, integer_bits: int):
    """exp(a) for a <= 0 in Q<integer_bits>.<31-integer_bits>; result in Q0.31."""
    srdhm = saturating_rounding_doubling_high_mul
    a = np.asarray(a, dtype=np.int64)
    frac_bits = 31 - integer_bits
    quarter = 1 << (frac_bits - 2)
    a_mod_q_minus_q = (a & (quarter - 1)) - quarter
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        saturating_rounding_multiply_by_pot(a_mod_q_minus_q, integer_bits))
    remainder = wrap_int32(a_mod_q_minus_q - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = np.int64(1) << (frac_bits + exponent)
            result = np.where((remainder & bit) != 0, srdhm(result, multiplier), result)
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, INT32_MAX, result).astype(np.int64)


def _newton_reciprocal_half_denominator(a):
    """The 3 Newton-Raphson steps shared by the two (…)/(1 + x) helpers; returns Q2.29."""
    srdhm = saturating_rounding_doubling_high_mul
    half_den = rounding_half_sum(a, INT32_MAX)
    x = wrap_int32(1515870810 + srdhm(half_den, -1010580540))   # 48/17 - 32/17 * d
    for _ in range(3):
        one_minus = wrap_int32((1 << 29) - srdhm(half_den, x))
        x = wrap_int32(x + saturating_rounding_multiply_by_pot(srdhm(x, one_minus), 2))
    return x


def one_over_one_plus_x_for_x_in_0_1(a):
    """1 / (1 + a) for a Q0.31 value a in [0, 1); result Q0.31."""
    return saturating_rounding_multiply_by_pot(_newton_reciprocal_half_denominator(a), 1)


def one_minus_x_over_one_plus_x_for_x_in_0_1(a):
    """(1 - a) / (1 + a) for a Q0.31 value a in [0, 1); result Q0.31."""
    x = _newton_reciprocal_half_denominator(a)
    return saturating_rounding_multiply_by_pot(wrap_int32(x - (1 << 29)), 2)


def fixedpoint_logistic(a, integer_bits: int):
    """gemmlowp logistic(): Q<integer_bits> argument, Q0.31 result."""
    a = np.asarray(a, dtype=np.int64)
    positive = a > 0
    abs_a = wrap_int32(np.where(positive, a, -a))
    if_pos = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(wrap_int32(-abs_a),
                                                                     integer_bits))
    if_neg = INT32_MAX - if_pos
    return np.where(a == 0, 1 << 30, np.where(positive, if_pos, if_neg)).astype(np.int64)


def fixedpoint_tanh(a, integer_bits: int):
    """gemmlowp tanh(): Q<integer_bits> argument, Q0.31 result."""
    a = np.asarray(a, dtype=np.int64)
    negative = a < 0
    n = wrap_int32(np.where(negative, a, -a))                 # -|a|
    # exp(2n): the same raw value read with one more integer bit
    t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(n, integer_bits + 1))
    return np.where(a == 0, 0, np.where(negative, wrap_int32(-t), t)).astype(np.int64)


def count_leading_zeros_u32(x):
    """CountLeadingZeros of uint32 values (32 for 0)."""
    x = np.asarray(x, dtype=np.int64) & 0xFFFFFFFF
    _, e = np.frexp(x.astype(np.float64))      # exact: x < 2**53; bit_length == e for x > 0
    return (32 - e).astype(np.int64)


def get_reciprocal(x, x_integer_digits: int):
    """TFLM GetReciprocal: (Q0.31 reciprocal of the normalised x, num_bits_over_unit)."""
    x = np.asarray(x, dtype=np.int64)
    headroom_plus_one = count_leading_zeros_u32(x)
    num_bits_over_unit = x_integer_digits - headroom_plus_one
    shifted = ((x & 0xFFFFFFFF) << headroom_plus_one) & 0xFFFFFFFF
    shifted_minus_one = wrap_int32(shifted - (1 << 31))
    return one_over_one_plus_x_for_x_in_0_1(shifted_minus_one), num_bits_over_unit


# ---- 16x8 (int16 activations, int8 weights): TFLM's int64 requantisation.
# C twins: tflm_requantize_s64 and tflm_rq16_out in kernels_c/tflm_common.h.

def reduced_multiplier(multiplier):
    """The 16-bit multiplier TFLM's MultiplyByQuantizedMultiplier(int64_t x, ...) rounds the
    Q31 multiplier to (saturating at 0x7FFF)."""
    m = np.asarray(multiplier, dtype=np.int64)
    return np.where(m < 0x7FFF0000, (m + (1 << 15)) >> 16, 0x7FFF).astype(np.int64)


def multiply_by_quantized_multiplier_int64(x, multiplier, shift):
    """TFLM MultiplyByQuantizedMultiplier(int64_t x, int32_t multiplier, int shift) -> int32:
    x * round(multiplier / 2^16) rounded half up at 2^(15 - shift), then truncated to int32
    as the kernel's static_cast does. int64 products wrap like the C code's. Needs
    shift <= 14 (the rooms refuse larger ones)."""
    return requantize_reduced_int64(x, reduced_multiplier(multiplier), shift)


def requantize_reduced_int64(x, reduced, shift):
    """multiply_by_quantized_multiplier_int64 with the multiplier already reduced to 16 bits
    (reduced_multiplier), as kernels that precompute it at generation time hold it."""
    x = np.asarray(x, dtype=np.int64)
    red = np.asarray(reduced, dtype=np.int64)
    total = 15 - np.asarray(shift, dtype=np.int64)
    with np.errstate(over="ignore"):
        r = (x * red + (np.int64(1) << (total - 1))) >> total
    return wrap_int32(r)


def requantize_16x8(acc, multiplier, shift, acc64: bool, act_min: int, act_max: int):
    """The int16 output of a 16x8 CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED from its
    exact accumulator (int64 values: sum of products + bias). acc64: TFLM's int64 path
    (int64 bias or none); else the int32 path of an int32 bias (the accumulator wraps in int32,
    then the usual MultiplyByQuantizedMultiplier). No output offset: TFLM's 16x8 kernels
    ignore the zero points (the activation range still uses the output's)."""
    if acc64:
        r = multiply_by_quantized_multiplier_int64(acc, multiplier, shift)
    else:
        r = multiply_by_quantized_multiplier(wrap_int32(acc), multiplier, shift)
    return np.clip(r, act_min, act_max).astype(np.int16)
