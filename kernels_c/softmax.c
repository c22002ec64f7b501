/* SOFTMAX int8 kernels with TFLM's reference arithmetic (gemmlowp fixed point). The exp of
 * every possible difference max - x (0..255) is computed at generation time by
 * tflm_py/ops/softmax.py (its Python twin, quant.exp_on_negative_values, is the simulator's
 * arithmetic), so a row costs a table lookup per element and one reciprocal. */
#include "softmax.h"

#define SM_ACCUM_INT_BITS 12         /* Q12.19 sum of exps */

/* gemmlowp SaturatingRoundingDoublingHighMul for arguments that are not both INT32_MIN:
 * its nudge makes both signs round half up, floor((a b + 2^30) / 2^31) */
static TFLM_PY_INLINE int32_t sm_srdhm(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * b + (1LL << 30)) >> 31);
}

static TFLM_PY_INLINE int32_t sm_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* x * 2^e with saturation (e > 0), as gemmlowp SaturatingRoundingMultiplyByPOT */
static int32_t sm_sat_shl(int32_t x, int e)
{
    const int32_t threshold = (int32_t)((1L << (31 - e)) - 1);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << e);
}

/* 1 / (1 + a) for a in [0, 1), Q0.31 in and out (Newton-Raphson, 3 steps); half_den is
 * positive, so no SRDHM here meets the INT32_MIN * INT32_MIN case */
static int32_t sm_one_over_one_plus_x(int32_t a)
{
    const int64_t s = (int64_t)a + INT32_MAX;
    const int32_t half_den = (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
    int32_t x = sm_add(1515870810, sm_srdhm(half_den, -1010580540));   /* Q2.29 */
    for (int i = 0; i < 3; ++i) {
        const int32_t one_minus = (int32_t)((uint32_t)(1 << 29)
                                            - (uint32_t)sm_srdhm(half_den, x));
        x = sm_add(x, sm_sat_shl(sm_srdhm(x, one_minus), 2));
    }
    return sm_sat_shl(x, 1);
}

static int sm_clz(uint32_t x)
{
#if defined(__GNUC__)
    return x ? __builtin_clz(x) : 32;
#else
    int n = 0;
    if (x == 0) {
        return 32;
    }
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
#endif
}

/* one row of `depth` values; the result goes to out8 (out_bits 8) or out16 (16) */
static TFLM_PY_INLINE void sm_row(const tflm_softmax_params_t *p, const int8_t *in,
                                  int out_bits, int8_t *out8, int16_t *out16)
{
    const int32_t depth = p->depth;
    const int32_t *table = p->exp_table;
    const int32_t last = p->table_last;
    int32_t max_v = -128;
    for (int32_t c = 0; c < depth; ++c) {
        max_v = in[c] > max_v ? in[c] : max_v;
    }
    /* Q12.19 sum: each exp rounded by 2^12 (non-negative, so half up), wrapping additions */
    uint32_t sum = 0;
    for (int32_t c = 0; c < depth; ++c) {
        int32_t k = max_v - in[c];
        k = k > last ? last : k;
        sum += ((uint32_t)table[k] + (1u << 11)) >> SM_ACCUM_INT_BITS;
    }
    const int headroom_plus_one = sm_clz(sum);
    const int bits_over_unit = SM_ACCUM_INT_BITS - headroom_plus_one;
    const uint32_t normalised = headroom_plus_one < 32 ? sum << headroom_plus_one : 0u;
    const uint32_t recip = (uint32_t)sm_one_over_one_plus_x((int32_t)(normalised - 0x80000000u));
    const int exponent = bits_over_unit + 31 - out_bits;
    const int32_t out_min = out_bits == 8 ? -128 : -32768;
    const int32_t out_max = out_bits == 8 ? 127 : 32767;
    /* out = RDBPOT(SRDHM(recip, e), exponent) + out_min for recip, e >= 0: the floors merge,
     * floor((recip e + 2^30 + 2^(30 + exponent)) / 2^(31 + exponent)); with 2 <= exponent
     * <= 32 that is (hi + 2^(exponent - 2)) >> (exponent - 1), hi = (recip e + 2^30) >> 32,
     * all in uint32 (hi < 2^31). Above 32 it is 0 (SRDHM < 2^31 rounds away); TFLM's own
     * kernel stops there (from 512 maximal int8 outputs), the simulator agrees. */
    if (exponent >= 2) {
        const int wide = exponent > 32;
        const uint32_t r = wide ? 0u : recip;
        const uint32_t round = wide ? 0u : 1u << (exponent - 2);
        const int sh = wide ? 0 : exponent - 1;
        for (int32_t c = 0; c < depth; ++c) {
            int32_t k = max_v - in[c];
            k = k > last ? last : k;
            const uint32_t hi = (uint32_t)(((uint64_t)r * (uint32_t)table[k] + (1u << 30)) >> 32);
            int32_t v = (int32_t)((hi + round) >> sh) + out_min;
            v = v > out_max ? out_max : v;
            if (out_bits == 8) {
                out8[c] = (int8_t)v;
            } else {
                out16[c] = (int16_t)v;
            }
        }
        return;
    }
    /* a wrapped sum of 0 (8192 maximal inputs or more): the reference arithmetic as it is */
    for (int32_t c = 0; c < depth; ++c) {
        int32_t k = max_v - in[c];
        k = k > last ? last : k;
        const int64_t r = (int64_t)tflm_rdbypot(sm_srdhm((int32_t)recip, table[k]), exponent)
                          + out_min;
        const int32_t v = (int32_t)TFLM_CLAMP(r, out_min, out_max);
        if (out_bits == 8) {
            out8[c] = (int8_t)v;
        } else {
            out16[c] = (int16_t)v;
        }
    }
}

void tflm_softmax_s8(const tflm_softmax_params_t *p, const int8_t *input, int8_t *output)
{
    for (int32_t r = 0; r < p->outer; ++r) {
        sm_row(p, input + (size_t)r * p->depth, 8, output + (size_t)r * p->depth, NULL);
    }
}

void tflm_softmax_s8_s16(const tflm_softmax_params_t *p, const int8_t *input,
                         int16_t *output)
{
    for (int32_t r = 0; r < p->outer; ++r) {
        sm_row(p, input + (size_t)r * p->depth, 16, NULL, output + (size_t)r * p->depth);
    }
}
