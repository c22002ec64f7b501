/* SOFTMAX int8 kernels: gemmlowp fixed-point exp / reciprocal as TFLM's reference Softmax.
 * Python twin: tflm_py/quant.py (exp_on_negative_values, get_reciprocal, ...). */
#include "softmax.h"

#define SM_SCALED_DIFF_INT_BITS 5    /* Q5.26 exp argument */
#define SM_ACCUM_INT_BITS 12         /* Q12.19 sum of exps */

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

static int32_t sm_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out: Taylor series around -1/8 */
static int32_t sm_exp_quarter(int32_t a)
{
    const int32_t exp_m1_8 = 1895147668;   /* exp(-1/8) */
    const int32_t one_third = 715827883;
    const int32_t x = sm_add(a, 1 << 28);
    const int32_t x2 = tflm_srdhm(x, x);
    const int32_t x3 = tflm_srdhm(x2, x);
    const int32_t x4 = tflm_srdhm(x2, x2);
    const int32_t x4_4 = tflm_rdbypot(x4, 2);
    const int32_t poly = tflm_rdbypot(sm_add(tflm_srdhm(sm_add(x4_4, x3), one_third), x2), 1);
    return sm_add(exp_m1_8, tflm_srdhm(exp_m1_8, sm_add(x, poly)));
}

/* exp(a) for a <= 0 given in Q5.26; result Q0.31 */
static int32_t sm_exp_on_negative(int32_t a)
{
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308,
                                      39332535, 720401, 242};   /* exp(-2^k), k = -2..4 */
    const int frac_bits = 31 - SM_SCALED_DIFF_INT_BITS;
    const int32_t quarter = (int32_t)1 << (frac_bits - 2);
    const int32_t mod_minus_quarter = (a & (quarter - 1)) - quarter;
    int32_t result = sm_exp_quarter(sm_sat_shl(mod_minus_quarter, SM_SCALED_DIFF_INT_BITS));
    const int32_t remainder = (int32_t)((uint32_t)mod_minus_quarter - (uint32_t)a);
    for (int k = 0; k < 7; ++k) {
        /* exponent k - 2 is below the integer bit count (5) for all seven entries */
        if (remainder & ((int32_t)1 << (frac_bits + k - 2))) {
            result = tflm_srdhm(result, barrel[k]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + a) for a in [0, 1), Q0.31 in and out (Newton-Raphson, 3 steps) */
static int32_t sm_one_over_one_plus_x(int32_t a)
{
    const int64_t s = (int64_t)a + INT32_MAX;
    const int32_t half_den = (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
    int32_t x = sm_add(1515870810, tflm_srdhm(half_den, -1010580540));   /* Q2.29 */
    for (int i = 0; i < 3; ++i) {
        const int32_t one_minus = (int32_t)((uint32_t)(1 << 29)
                                            - (uint32_t)tflm_srdhm(half_den, x));
        x = sm_add(x, sm_sat_shl(tflm_srdhm(x, one_minus), 2));
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

static int32_t sm_scaled_exp(const tflm_softmax_params_t *p, int32_t diff)
{
    const int32_t scaled = tflm_srdhm((int32_t)((uint32_t)diff << p->input_left_shift),
                                      p->input_multiplier);
    return sm_exp_on_negative(scaled);
}

/* one row of `depth` values; the result goes to out8 (out_bits 8) or out16 (16) */
static void sm_row(const tflm_softmax_params_t *p, const int8_t *in, int out_bits,
                   int8_t *out8, int16_t *out16)
{
    int32_t max_v = -128;
    for (int32_t c = 0; c < p->depth; ++c) {
        max_v = in[c] > max_v ? in[c] : max_v;
    }
    uint32_t sum = 0;   /* Q12.19, plain (wrapping) int32 additions */
    for (int32_t c = 0; c < p->depth; ++c) {
        const int32_t diff = (int32_t)in[c] - max_v;
        if (diff >= p->diff_min) {
            sum += (uint32_t)tflm_rdbypot(sm_scaled_exp(p, diff), SM_ACCUM_INT_BITS);
        }
    }
    const int headroom_plus_one = sm_clz(sum);
    const int bits_over_unit = SM_ACCUM_INT_BITS - headroom_plus_one;
    const uint32_t normalised = headroom_plus_one < 32 ? sum << headroom_plus_one : 0u;
    const int32_t recip = sm_one_over_one_plus_x((int32_t)(normalised - 0x80000000u));
    const int exponent = bits_over_unit + 31 - out_bits;
    const int32_t out_min = out_bits == 8 ? -128 : -32768;
    const int32_t out_max = out_bits == 8 ? 127 : 32767;
    for (int32_t c = 0; c < p->depth; ++c) {
        const int32_t diff = (int32_t)in[c] - max_v;
        int32_t v = out_min;
        if (diff >= p->diff_min) {
            const int32_t e = sm_scaled_exp(p, diff);
            const int64_t r = (int64_t)tflm_rdbypot(tflm_srdhm(recip, e), exponent) + out_min;
            v = (int32_t)TFLM_CLAMP(r, out_min, out_max);
        }
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
