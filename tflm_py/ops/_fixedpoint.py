"""Integer helpers of the math rooms (RSQRT, L2_NORMALIZATION, DIV, LOG_SOFTMAX) with the exact
arithmetic of TFLM's reference kernels (kernels/internal/common.h and gemmlowp's fixedpoint.h,
as built into the PyPI tflite-micro on x86-64). Numpy element-wise; values are int32 held in
int64 arrays. C twins: kernels_c/fixedpoint_math.c. Not a room (declares no OPS).
"""
from __future__ import annotations

import numpy as np

from .. import quant

INT32_MAX = quant.INT32_MAX
INT32_MIN = quant.INT32_MIN

srdhm = quant.saturating_rounding_doubling_high_mul
wrap = quant.wrap_int32
sat_pot = quant.saturating_rounding_multiply_by_pot


def count_leading_sign_bits(x):
    """CountLeadingSignBits of int32 values (gcc's __builtin_clrsb; 31 for 0)."""
    x = np.asarray(x, dtype=np.int64)
    y = np.where(x < 0, ~x, x)
    return quant.count_leading_zeros_u32(y) - 1


def rounding_divide_by_pot_any(x, exponent):
    """gemmlowp RoundingDivideByPOT as the x86-64 build computes it for any exponent >= 0.

    For exponents of 32 and more (DIV reaches them when its first input is 0 or -1) the
    int32 mask (1ll << e) - 1 truncates to all ones and the shift `x >> e` takes e mod 32
    (the SAR instruction), so the result is (x >> (e & 31)) + (x > -1 + [x < 0])."""
    x = np.asarray(x, dtype=np.int64)
    e = np.asarray(exponent, dtype=np.int64)
    small = np.minimum(e, 31)
    normal = quant.rounding_divide_by_pot(x, small)
    big = (x >> (e & 31)) + (x > (-1 + (x < 0))).astype(np.int64)
    return np.where(e >= 32, big, normal)


def inv_sqrt_multiplier_exp(x, reverse_shift: int = -1):
    """GetInvSqrtQuantizedMultiplierExp: (multiplier, shift) of 1/sqrt(x) for int32 x >= 0
    (x <= 1 gives (INT32_MAX, 0)). Newton-Raphson in gemmlowp's FixedPoint<int32, 3>."""
    x = np.asarray(x, dtype=np.int64)
    small = x <= 1
    v = np.where(small, 2, x)
    shift = np.full(v.shape, 11, dtype=np.int64)
    while True:
        big = v >= (1 << 29)
        if not np.any(big):
            break
        v = np.where(big, v // 4, v)
        shift = shift + big
    max_left_shift_bits = quant.count_leading_zeros_u32(v) - 1
    left_pairs = max_left_shift_bits // 2 - 1
    shift = shift - left_pairs
    v = v << (2 * left_pairs)
    fp_input = v >> 1
    half_input = quant.rounding_divide_by_pot(fp_input, 1)
    half_three = (1 << 28) + (1 << 27)
    r = np.full(v.shape, 1 << 28, dtype=np.int64)
    for _ in range(5):
        r3 = sat_pot(srdhm(srdhm(r, r), r), 6)
        r = sat_pot(wrap(srdhm(half_three, r) - srdhm(half_input, r3)), 3)
    r = srdhm(r, 1518500250)
    neg = shift < 0
    r = np.where(neg, wrap(r << np.where(neg, -shift, 0)), r)
    shift = np.where(neg, 0, shift) * reverse_shift
    return (np.where(small, INT32_MAX, r).astype(np.int64),
            np.where(small, 0, shift).astype(np.int64))


# ---- log(x) for x >= 1 (TFLM common.h log_x_for_x_greater_than_or_equal_to_1_impl)

def _sat_add(a, b):
    s = np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64)
    return np.clip(s, INT32_MIN, INT32_MAX)


def _sat_pot_param(x, exponent):
    """SaturatingRoundingMultiplyByPOTParam: exponent may differ per element."""
    x = np.asarray(x, dtype=np.int64)
    e = np.asarray(exponent, dtype=np.int64) + np.zeros_like(x)
    out = np.empty_like(x)
    for ev in np.unique(e):
        sel = e == ev
        out[sel] = sat_pot(x[sel], int(ev))
    return out


def log_x_ge_1(x, output_integer_bits: int, input_integer_bits: int):
    """log(x) of a FixedPoint<int32, input_integer_bits> x >= 1, as
    FixedPoint<int32, output_integer_bits> (raw values)."""
    x = np.asarray(x, dtype=np.int64)
    log_2, sqrt_sqrt_half, sqrt_half, one_quarter = 1488522236, 1805811301, 1518500250, 536870912
    alpha_n, alpha_d, alpha_i, alpha_f = 117049297, 127690142, 1057819769, 638450708
    accum_bits = output_integer_bits + 1
    shifted_quarter = sat_pot(one_quarter, -accum_bits)

    z_a = x
    z_a_headroom_plus_1 = quant.count_leading_zeros_u32(z_a)
    r_a_tmp = _sat_pot_param(z_a, z_a_headroom_plus_1 - 1)
    r_a_raw = sat_pot(srdhm(r_a_tmp, sqrt_half), 1)
    z_a_pow_2_adj = _sat_add(_sat_pot_param(input_integer_bits - z_a_headroom_plus_1,
                                            31 - accum_bits), shifted_quarter)
    z_b = srdhm(z_a, sqrt_half)
    z_b_headroom = quant.count_leading_zeros_u32(z_b) - 1
    r_b_raw = _sat_pot_param(z_a, z_b_headroom)
    z_b_pow_2_adj = _sat_add(_sat_pot_param(input_integer_bits - z_b_headroom, 31 - accum_bits),
                             -shifted_quarter)
    r = np.minimum(r_a_raw, r_b_raw)
    z_pow_2_adj = np.maximum(z_a_pow_2_adj, z_b_pow_2_adj)

    p = quant.rounding_half_sum(r, sqrt_sqrt_half)
    q = wrap(r - sqrt_sqrt_half)
    q = wrap(q + q)
    common_sq = srdhm(q, q)
    num = wrap(srdhm(q, r) + srdhm(srdhm(q, common_sq), alpha_n))
    denom_minus_one_0 = wrap(srdhm(p, wrap(wrap(alpha_i + q) + srdhm(alpha_d, common_sq)))
                             + srdhm(alpha_f, q))
    recip_denom = quant.one_over_one_plus_x_for_x_in_0_1(denom_minus_one_0)
    num_scaled = sat_pot(num, -accum_bits)
    # FixedPoint<accum> * FixedPoint<0> -> FixedPoint<accum>: one SRDHM each
    total = wrap(srdhm(z_pow_2_adj, log_2) + srdhm(num_scaled, recip_denom))
    return sat_pot(total, accum_bits - output_integer_bits)
