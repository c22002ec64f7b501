/* Fixed-point helpers of the math kernels: see fixedpoint_math.h. */
#include "fixedpoint_math.h"

int tflm_fp_clz(uint32_t x)
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

int32_t tflm_fp_mul_pot(int32_t x, int exponent)
{
    if (exponent == 0) {
        return x;
    }
    if (exponent < 0) {
        return tflm_rdbypot(x, -exponent);
    }
    const int32_t threshold = (int32_t)((1LL << (31 - exponent)) - 1);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

void tflm_fp_inv_sqrt(int32_t x, int32_t *multiplier, int32_t *shift)
{
    if (x <= 1) {
        *multiplier = INT32_MAX;
        *shift = 0;
        return;
    }
    int32_t s = 11;
    while (x >= (1 << 29)) {
        x /= 4;
        ++s;
    }
    const int left_pairs = (tflm_fp_clz((uint32_t)x) - 1) / 2 - 1;
    s -= left_pairs;
    x = (int32_t)((uint32_t)x << (2 * left_pairs));
    /* Newton-Raphson on 1/sqrt in Q3.28, from 1.0, five steps */
    const int32_t half_input = tflm_rdbypot(x >> 1, 1);
    const int32_t half_three = (1 << 28) + (1 << 27);
    int32_t r = 1 << 28;
    for (int i = 0; i < 5; ++i) {
        const int32_t r3 = tflm_fp_mul_pot(tflm_srdhm(tflm_srdhm(r, r), r), 6);
        const int32_t d = (int32_t)((uint32_t)tflm_srdhm(half_three, r) -
                                    (uint32_t)tflm_srdhm(half_input, r3));
        r = tflm_fp_mul_pot(d, 3);
    }
    r = tflm_srdhm(r, 1518500250);   /* times sqrt(2) / 2 */
    if (s < 0) {
        r = (int32_t)((uint32_t)r << -s);
        s = 0;
    }
    *multiplier = r;
    *shift = -s;
}

int32_t tflm_fp_one_over_one_plus_x(int32_t a)
{
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_den = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    int32_t x = tflm_fp_add(1515870810, tflm_srdhm(half_den, -1010580540));   /* Q2.29 */
    for (int i = 0; i < 3; ++i) {
        const int32_t one_minus = (int32_t)((uint32_t)(1 << 29) -
                                            (uint32_t)tflm_srdhm(half_den, x));
        x = tflm_fp_add(x, tflm_fp_mul_pot(tflm_srdhm(x, one_minus), 2));
    }
    return tflm_fp_mul_pot(x, 1);
}

int32_t tflm_fp_reciprocal(int32_t x, int32_t *num_bits_over_unit)
{
    const int headroom_plus_one = tflm_fp_clz((uint32_t)x);
    *num_bits_over_unit = 31 - headroom_plus_one;
    /* x86 shifts take the count mod 32: x = 0 shifts by 0 */
    const uint32_t shifted = (uint32_t)x << (headroom_plus_one & 31);
    return tflm_fp_one_over_one_plus_x((int32_t)(shifted - 0x80000000u));
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out: Taylor series around -1/8 */
static int32_t fp_exp_quarter(int32_t a)
{
    const int32_t exp_m1_8 = 1895147668;
    const int32_t one_third = 715827883;
    const int32_t x = tflm_fp_add(a, 1 << 28);
    const int32_t x2 = tflm_srdhm(x, x);
    const int32_t x3 = tflm_srdhm(x2, x);
    const int32_t x4 = tflm_srdhm(x2, x2);
    const int32_t x4_4 = tflm_rdbypot(x4, 2);
    const int32_t poly = tflm_rdbypot(
        tflm_fp_add(tflm_srdhm(tflm_fp_add(x4_4, x3), one_third), x2), 1);
    return tflm_fp_add(exp_m1_8, tflm_srdhm(exp_m1_8, tflm_fp_add(x, poly)));
}

int32_t tflm_fp_exp_on_negative_q5(int32_t a)
{
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308,
                                      39332535, 720401, 242};   /* exp(-2^k), k = -2..4 */
    const int frac_bits = 26;
    const int32_t quarter = (int32_t)1 << (frac_bits - 2);
    const int32_t mod_minus_quarter = (a & (quarter - 1)) - quarter;
    int32_t result = fp_exp_quarter(tflm_fp_mul_pot(mod_minus_quarter, 5));
    const int32_t remainder = (int32_t)((uint32_t)mod_minus_quarter - (uint32_t)a);
    for (int k = 0; k < 7; ++k) {
        if (remainder & ((int32_t)1 << (frac_bits + k - 2))) {
            result = tflm_srdhm(result, barrel[k]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

static int32_t fp_sat_add(int32_t a, int32_t b)
{
    const int64_t s = (int64_t)a + b;
    return (int32_t)TFLM_CLAMP(s, INT32_MIN, INT32_MAX);
}

int32_t tflm_fp_log_q12_to_q5(int32_t x)
{
    enum { IN_BITS = 12, OUT_BITS = 5, ACC_BITS = OUT_BITS + 1 };
    const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
    const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769,
                  alpha_f = 638450708;
    const int32_t shifted_quarter = tflm_fp_mul_pot(536870912, -ACC_BITS);

    const int z_a_headroom_plus_1 = tflm_fp_clz((uint32_t)x);
    const int32_t r_a_tmp = tflm_fp_mul_pot(x, z_a_headroom_plus_1 - 1);
    const int32_t r_a = tflm_fp_mul_pot(tflm_srdhm(r_a_tmp, sqrt_half), 1);
    const int32_t z_a_pow_2_adj = fp_sat_add(
        tflm_fp_mul_pot(IN_BITS - z_a_headroom_plus_1, 31 - ACC_BITS), shifted_quarter);
    const int32_t z_b = tflm_srdhm(x, sqrt_half);
    const int z_b_headroom = tflm_fp_clz((uint32_t)z_b) - 1;
    const int32_t r_b = tflm_fp_mul_pot(x, z_b_headroom);
    const int32_t z_b_pow_2_adj = fp_sat_add(
        tflm_fp_mul_pot(IN_BITS - z_b_headroom, 31 - ACC_BITS), -shifted_quarter);
    const int32_t r = TFLM_MIN(r_a, r_b);
    const int32_t z_pow_2_adj = TFLM_MAX(z_a_pow_2_adj, z_b_pow_2_adj);

    const int64_t ps = (int64_t)r + sqrt_sqrt_half;
    const int32_t p = (int32_t)((ps + (ps >= 0 ? 1 : -1)) / 2);
    int32_t q = (int32_t)((uint32_t)r - (uint32_t)sqrt_sqrt_half);
    q = tflm_fp_add(q, q);
    const int32_t common_sq = tflm_srdhm(q, q);
    const int32_t num = tflm_fp_add(tflm_srdhm(q, r),
                                    tflm_srdhm(tflm_srdhm(q, common_sq), alpha_n));
    const int32_t denom_minus_one = tflm_fp_add(
        tflm_srdhm(p, tflm_fp_add(tflm_fp_add(alpha_i, q), tflm_srdhm(alpha_d, common_sq))),
        tflm_srdhm(alpha_f, q));
    const int32_t recip_denom = tflm_fp_one_over_one_plus_x(denom_minus_one);
    const int32_t num_scaled = tflm_fp_mul_pot(num, -ACC_BITS);
    const int32_t total = tflm_fp_add(tflm_srdhm(z_pow_2_adj, log_2),
                                      tflm_srdhm(num_scaled, recip_denom));
    return tflm_fp_mul_pot(total, ACC_BITS - OUT_BITS);
}
