/* gemmlowp-style fixed-point helpers of the math kernels (RSQRT int16, L2_NORMALIZATION, DIV,
 * LOG_SOFTMAX), with the exact arithmetic of TFLM's reference kernels as built for x86-64.
 * Python twin: tflm_py/ops/_fixedpoint.py (and tflm_py/quant.py). */
#ifndef TFLM_FIXEDPOINT_MATH_H
#define TFLM_FIXEDPOINT_MATH_H

#include "tflm_common.h"

/* leading zero bits of x (32 for 0) */
int tflm_fp_clz(uint32_t x);

/* x * 2^exponent, saturating for exponent > 0, rounding (half away from 0) for exponent < 0 */
int32_t tflm_fp_mul_pot(int32_t x, int exponent);

/* int32 addition that wraps (gemmlowp's raw FixedPoint +) */
static inline int32_t tflm_fp_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* TFLM GetInvSqrtQuantizedMultiplierExp(x, kReverseShift = -1): 1 / sqrt(x) as a multiplier
 * and a (left) shift; x <= 1 gives INT32_MAX, 0 */
void tflm_fp_inv_sqrt(int32_t x, int32_t *multiplier, int32_t *shift);

/* 1 / (1 + a) for a Q0.31 value a in [0, 1); result Q0.31 */
int32_t tflm_fp_one_over_one_plus_x(int32_t a);

/* TFLM GetReciprocal(x, 31, &shift): Q0.31 reciprocal of x normalised, bits over unit */
int32_t tflm_fp_reciprocal(int32_t x, int32_t *num_bits_over_unit);

/* exp(a) for a <= 0 given in Q5.26; result Q0.31 */
int32_t tflm_fp_exp_on_negative_q5(int32_t a);

/* log(x) of a Q12.19 x >= 1, as Q5.26 (log_x_for_x_greater_than_or_equal_to_1<5>) */
int32_t tflm_fp_log_q12_to_q5(int32_t x);

#endif /* TFLM_FIXEDPOINT_MATH_H */
