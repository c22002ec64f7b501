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

/* ---- helpers of the fast conv / depthwise / fully-connected kernels (kernels_c/conv_2d.c,
 * depthwise_conv_2d.c, fully_connected.c) ------------------------------------------------ */

/* TFLM_PY_USE_DSP: the ARMv7E-M SIMD paths (SMLAD, SXTB16, ...) of Cortex-M4/M7/M33, chosen
 * by the compiler flags (__ARM_FEATURE_DSP); -DTFLM_PY_PORTABLE forces the portable C, which
 * is the fallback everywhere else and the spec the DSP paths must match bit for bit. */
#if defined(__ARM_FEATURE_DSP) && !defined(TFLM_PY_PORTABLE)
#define TFLM_PY_USE_DSP 1
#include <arm_acle.h>
#else
#define TFLM_PY_USE_DSP 0
#endif

#include <string.h>

/* tflm_requantize in fewer operations, same result for every x, for multipliers as
 * QuantizeMultiplier makes them (never INT32_MIN, so the saturating case cannot occur):
 * gemmlowp's rounding doubling high product is floor((x * m + 2^30) / 2^31) (its nudge makes
 * both signs round half up), then TFLM's round-half-away-from-zero division by 2^right. */
static inline int32_t tflm_requantize_fast(int32_t x, int32_t multiplier, int32_t shift)
{
    const int left = shift > 0 ? shift : 0;
    const int right = shift > 0 ? 0 : -shift;
    const int64_t prod = (int64_t)(int32_t)((uint32_t)x << left) * multiplier;
    const int32_t v = (int32_t)((prod + (1LL << 30)) >> 31);
    const int32_t mask = (int32_t)((1u << right) - 1u);
    const int32_t threshold = (mask >> 1) + (int32_t)((uint32_t)v >> 31);
    return (v >> right) + ((v & mask) > threshold ? 1 : 0);
}

/* 4 bytes from any address (one LDR on Cortex-M3 and up, one MOV on x86) */
static inline int32_t tflm_load_s32(const void *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline void tflm_store_s32(void *p, int32_t v)
{
    memcpy(p, &v, 4);
}

#if TFLM_PY_USE_DSP
/* SXTB16 of bytes 1 and 3 (SXTB16 with ROR #8 is one instruction; gcc does not fuse the
 * rotate into the intrinsic, hence the asm) */
static inline int32_t tflm_sxtb16_ror8(int32_t x)
{
#if defined(__GNUC__)
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
#else
    return __sxtb16((int32_t)(((uint32_t)x >> 8) | ((uint32_t)x << 24)));
#endif
}

/* SXTAB16 of bytes 1 and 3: a + sign-extended (byte 1, byte 3), per halfword */
static inline int32_t tflm_sxtab16_ror8(int32_t a, int32_t x)
{
#if defined(__GNUC__)
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
#else
    return __sxtab16(a, (int32_t)(((uint32_t)x >> 8) | ((uint32_t)x << 24)));
#endif
}
#endif /* TFLM_PY_USE_DSP */

#endif /* TFLM_COMMON_H */
