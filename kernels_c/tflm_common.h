/* Shared integer helpers of the tflm_py kernels: TFLM's requantisation arithmetic
 * (double rounding, as the reference kernels compute it). Python twin: tflm_py/quant.py. */
#ifndef TFLM_COMMON_H
#define TFLM_COMMON_H

#include <stdint.h>
#include <stddef.h>

#define TFLM_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TFLM_MAX(a, b) ((a) > (b) ? (a) : (b))
#define TFLM_CLAMP(x, lo, hi) TFLM_MIN(TFLM_MAX((x), (lo)), (hi))

/* gemmlowp SaturatingRoundingDoublingHighMul */
static inline int32_t tflm_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    /* C division truncates toward zero, as gemmlowp relies on */
    return (int32_t)((ab + nudge) / (1LL << 31));
}

/* gemmlowp RoundingDivideByPOT: round half away from zero */
static inline int32_t tflm_rdbypot(int32_t x, int exponent)
{
    const int32_t mask = (int32_t)((1LL << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* TFLM MultiplyByQuantizedMultiplier: x * multiplier * 2^(shift - 31), rounded */
static inline int32_t tflm_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int left_shift = shift > 0 ? shift : 0;
    const int right_shift = shift > 0 ? 0 : -shift;
    const int32_t shifted = (int32_t)((uint32_t)x << left_shift);
    return tflm_rdbypot(tflm_srdhm(shifted, multiplier), right_shift);
}

static inline int8_t tflm_sat_s8(int32_t x)
{
    return (int8_t)TFLM_CLAMP(x, -128, 127);
}

static inline int16_t tflm_sat_s16(int32_t x)
{
    return (int16_t)TFLM_CLAMP(x, -32768, 32767);
}

#endif /* TFLM_COMMON_H */
