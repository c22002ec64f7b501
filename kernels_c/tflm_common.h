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

/* A broadcast walk over the five outer dimensions of a collapsed 6-D output shape: the outer
 * index and each input's element offset (strides are 0 along broadcast dimensions). Used by
 * the element-wise kernels with two inputs (ADD/SUB, MUL, MAXIMUM/MINIMUM). */
typedef struct {
    int32_t idx[5];
    int32_t off1;
    int32_t off2;
} tflm_bcast_walk_t;

static inline void tflm_bcast_next(const int32_t dims[6], const int32_t strides1[6],
                                   const int32_t strides2[6], tflm_bcast_walk_t *w)
{
    for (int k = 4; k >= 0; --k) {
        w->off1 += strides1[k];
        w->off2 += strides2[k];
        if (++w->idx[k] < dims[k]) {
            return;
        }
        w->idx[k] = 0;
        w->off1 -= strides1[k] * dims[k];
        w->off2 -= strides2[k] * dims[k];
    }
}

/* Four dot products of one int8 vector x (each element plus in_offset) with the four
 * consecutive int8 rows w0, w0 + depth, ... (int32 accumulation). Blocks of 16 with an int16
 * product so that gcc vectorises them (PMADDWD on x86); shared by CONV_2D and FULLY_CONNECTED. */
static inline void tflm_dot4_s8(const int8_t *x, int32_t in_offset, const int8_t *w0,
                                int32_t depth, int32_t *d0, int32_t *d1, int32_t *d2,
                                int32_t *d3)
{
    const int8_t *w1 = w0 + depth;
    const int8_t *w2 = w1 + depth;
    const int8_t *w3 = w2 + depth;
    const int32_t depth16 = depth & ~15;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int32_t k = 0; k < depth16; ++k) {
        const int16_t xv = (int16_t)(x[k] + in_offset);
        s0 += xv * w0[k];
        s1 += xv * w1[k];
        s2 += xv * w2[k];
        s3 += xv * w3[k];
    }
    for (int32_t k = depth16; k < depth; ++k) {
        const int32_t xv = x[k] + in_offset;
        s0 += xv * w0[k];
        s1 += xv * w1[k];
        s2 += xv * w2[k];
        s3 += xv * w3[k];
    }
    *d0 = s0;
    *d1 = s1;
    *d2 = s2;
    *d3 = s3;
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

/* keeps a hot loop in its own function: gcc -O2 (vect-cost-model=very-cheap) vectorises a
 * loop whose trip count is a known multiple of the vector length, and loses that fact in
 * some callers it would otherwise be inlined into */
#if defined(__GNUC__)
#define TFLM_PY_NOINLINE __attribute__((noinline))
#else
#define TFLM_PY_NOINLINE
#endif

/* for the small helpers of hot loops: -Os would otherwise keep some of them out of line */
#if defined(__GNUC__)
#define TFLM_PY_INLINE inline __attribute__((always_inline))
#else
#define TFLM_PY_INLINE inline
#endif

/* tflm_requantize in fewer operations, the same result for every x, for multipliers as
 * QuantizeMultiplier makes them (in [2^30, 2^31): never INT32_MIN, so gemmlowp's saturating
 * case cannot occur). gemmlowp's rounding doubling high product v = floor((p + 2^30) / 2^31)
 * of p = x * m (its nudge makes both signs round half up), then TFLM's round-half-away
 * division by 2^e: floor((v + 2^(e-1) - [v < 0]) / 2^e). Nested floors of integer
 * divisions merge, so for e >= 1 the result is one 64-bit sum shifted right by 31 + e:
 * floor((p + 2^30 + 2^(30+e) - [p < -2^30] * 2^31) / 2^(31+e)) (|p| < 2^62, no overflow). */
static inline int32_t tflm_requantize_fast(int32_t x, int32_t multiplier, int32_t shift)
{
    if (shift > 0) {
        const int64_t prod = (int64_t)(int32_t)((uint32_t)x << shift) * multiplier;
        return (int32_t)((prod + (1LL << 30)) >> 31);
    }
    const int64_t prod = (int64_t)x * multiplier;
    if (shift == 0) {
        return (int32_t)((prod + (1LL << 30)) >> 31);
    }
    const int64_t sum = prod + (1LL << 30) + (1LL << (30 - shift)) -
                        (prod < -(1LL << 30) ? (1LL << 31) : 0);
    return (int32_t)(sum >> 32) >> (-shift - 1);
}

/* 4 bytes from any address (one LDR on Cortex-M3 and up, one MOV on x86) */
static TFLM_PY_INLINE int32_t tflm_load_s32(const void *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

static TFLM_PY_INLINE void tflm_store_s32(void *p, int32_t v)
{
    memcpy(p, &v, 4);
}

#if TFLM_PY_USE_DSP
/* SXTB16 of bytes 1 and 3 (SXTB16 with ROR #8 is one instruction; gcc does not fuse the
 * rotate into the intrinsic, hence the asm) */
static TFLM_PY_INLINE int32_t tflm_sxtb16_ror8(int32_t x)
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
static TFLM_PY_INLINE int32_t tflm_sxtab16_ror8(int32_t a, int32_t x)
{
#if defined(__GNUC__)
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
#else
    return __sxtab16(a, (int32_t)(((uint32_t)x >> 8) | ((uint32_t)x << 24)));
#endif
}
/* SMMLAR: (acc * 2^32 + a * b + 2^31) >> 32 (no ACLE intrinsic for it) */
static TFLM_PY_INLINE int32_t tflm_smmlar(int32_t a, int32_t b, int32_t acc)
{
#if defined(__GNUC__)
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
#else
    return (int32_t)((((int64_t)acc << 32) + (int64_t)a * b + 0x80000000LL) >> 32);
#endif
}

/* tflm_requantize_fast with one SMMLAR: for shift < 0 (e = -shift >= 1) and
 * -2^30 <= x < 2^30 (so 2x fits), SMMLAR(2x, m, 2^(e-1) - [x < 0]) is
 * floor((x * m + 2^30 + 2^(30+e) - [x < 0] * 2^31) / 2^31), and shifting it right by e gives
 * the merged formula of tflm_requantize_fast ([x < 0] equals [x * m < -2^30] for
 * m >= 2^30, except x = -1, m = 2^30, where both give 0). `half` is 2^(e-1), or 0 when
 * shift >= 0; the caller computes it once per channel. Other cases: tflm_requantize_fast. */
static TFLM_PY_INLINE int32_t tflm_requantize_dsp(int32_t x, int32_t multiplier, int32_t shift,
                                          int32_t half)
{
    if (half != 0 && (uint32_t)x + 0x40000000u < 0x80000000u) {
        return tflm_smmlar(x * 2, multiplier, half + (x >> 31)) >> -shift;
    }
    return tflm_requantize_fast(x, multiplier, shift);
}

static TFLM_PY_INLINE int32_t tflm_requantize_half(int32_t shift)
{
    return shift < 0 ? (int32_t)((1u << -shift) >> 1) : 0;
}

/* The requantisation of a layer, for tflm_requantize_run_dsp. small_acc = 1 promises (the
 * generator proves it from the weights, bias and zero points) that every shift is < 0 and
 * every accumulator lies in [-2^30, 2^30). */
typedef struct {
    const int32_t *multipliers;
    const int8_t *shifts;      /* TFLM's shifts lie in [-31, 30] */
    int32_t per_channel;
    int32_t output_offset;
    int32_t act_min, act_max;
    int32_t small_acc;
} tflm_rq_dsp_t;

/* out[i] = the int8 output of accumulator acc[i] of output channel oc0 + i, for i < n.
 * With small_acc, per output: R = SMMLAR(2x, m, [x < 0] ? -1 : 0) is
 * floor((x m + 2^30 - [x < 0] 2^31) / 2^31) and the result is
 * floor((R / 2^(e-1) + 1) / 2) (the merged formula of tflm_requantize_fast, see
 * tflm_requantize_dsp); the output offset rides along as 2 * zp before the last halving,
 * which SSAT does with its shift: 6 instructions plus the channel's parameters. */
/* the small_acc loop; `per_channel` and `clamp` are constants at each call, so every call
 * site is a loop of its own: per channel the parameters are walked by pointer, per tensor
 * they stay in registers (the int8 stores could alias them, so they are read first) */
static TFLM_PY_INLINE void tflm_requantize_small_run(const int32_t *mult, const int8_t *shift,
                                                     int per_channel, int32_t c1, int clamp,
                                                     int32_t lo, int32_t hi,
                                                     const int32_t *acc, int32_t n, int8_t *out)
{
    const int32_t m0 = *mult, k0 = ~(int32_t)*shift;   /* ~shift = -shift - 1 */
    for (int32_t i = 0; i < n; ++i) {
        const int32_t x = acc[i];
        const int32_t m = per_channel ? *mult++ : m0;
        const int32_t k = per_channel ? ~(int32_t)*shift++ : k0;
        const int32_t t = c1 + (tflm_smmlar(x * 2, m, x >> 31) >> k);
        int32_t v = __ssat(t >> 1, 8);
        if (clamp) {
            v = v < lo ? lo : v;
            v = v > hi ? hi : v;
        }
        out[i] = (int8_t)v;
    }
}

#if defined(__GNUC__)
__attribute__((unused))
#endif
static TFLM_PY_NOINLINE void tflm_requantize_run_dsp(const tflm_rq_dsp_t *r, const int32_t *acc,
                                                     int32_t oc0, int32_t n, int8_t *out)
{
    const int32_t *mults = r->multipliers;
    const int8_t *shifts = r->shifts;
    const int32_t pc_mask = r->per_channel ? -1 : 0;
    const int32_t lo = r->act_min, hi = r->act_max;
    const int narrow = lo > -128 || hi < 127;
    if (r->small_acc) {
        const int32_t c1 = 1 + 2 * r->output_offset;
        const int32_t q0 = oc0 & pc_mask;
        const int32_t *m = mults + q0;
        const int8_t *sh = shifts + q0;
        if (pc_mask != 0) {
            if (narrow) {
                tflm_requantize_small_run(m, sh, 1, c1, 1, lo, hi, acc, n, out);
            } else {
                tflm_requantize_small_run(m, sh, 1, c1, 0, lo, hi, acc, n, out);
            }
        } else if (narrow) {
            tflm_requantize_small_run(m, sh, 0, c1, 1, lo, hi, acc, n, out);
        } else {
            tflm_requantize_small_run(m, sh, 0, c1, 0, lo, hi, acc, n, out);
        }
    } else {
        for (int32_t i = 0; i < n; ++i) {
            const int32_t q = (oc0 + i) & pc_mask;
            const int32_t shift = shifts[q];
            int32_t v = tflm_requantize_dsp(acc[i], mults[q], shift, tflm_requantize_half(shift));
            v += r->output_offset;
            v = v < lo ? lo : v;
            v = v > hi ? hi : v;
            out[i] = (int8_t)v;
        }
    }
}
#endif /* TFLM_PY_USE_DSP */

/* ---- shared by the CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED kernels */

/* Requantisation of an int32 accumulator to int8: per-channel (or one) multiplier and shift,
 * output zero point, fused activation range. */
typedef struct {
    const int32_t *multipliers;
    const int8_t *shifts;      /* TFLM's shifts lie in [-31, 30] */
    int32_t per_channel;
    int32_t output_offset;
    int32_t act_min, act_max;
} tflm_rq_t;

static TFLM_PY_INLINE int8_t tflm_rq_out(const tflm_rq_t *r, int32_t acc, int32_t oc)
{
    const int32_t q = r->per_channel ? oc : 0;
    acc = tflm_requantize_fast(acc, r->multipliers[q], r->shifts[q]) + r->output_offset;
    return (int8_t)TFLM_CLAMP(acc, r->act_min, r->act_max);
}

/* int32 addition that wraps like TFLM's (two's complement), without signed overflow */
static TFLM_PY_INLINE int32_t tflm_wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* The taps k in [first, end) of a window of n taps (origin + k * step) that fall inside
 * [0, size): the others read padding. */
static inline void tflm_tap_range(int32_t origin, int32_t step, int32_t size, int32_t n,
                                  int32_t *first, int32_t *end)
{
    int32_t lo = 0;
    int32_t hi = n;
    if (origin < 0) {
        lo = (-origin + step - 1) / step;
    }
    if (origin + (n - 1) * step >= size) {
        hi = origin >= size ? 0 : (size - origin + step - 1) / step;
    }
    *first = lo;
    *end = hi > lo ? hi : lo;
}

/* ---- 16x8 (int16 activations, int8 weights): shared by the CONV_2D, DEPTHWISE_CONV_2D and
 * FULLY_CONNECTED s16 kernels. Python twins in tflm_py/quant.py. */

/* TFLM MultiplyByQuantizedMultiplier(int64_t x, ...) with the multiplier already reduced to
 * 16 bits: x times it rounded half up at 2^(15 - shift) (shift <= 14), truncated to int32 like
 * TFLM's static_cast; the 64-bit product and sum wrap as they would there. */
static inline int32_t tflm_requantize_s64_reduced(int64_t x, int32_t reduced, int32_t shift)
{
    const int total_shift = 15 - shift;
    const int64_t v = (int64_t)((uint64_t)x * (uint64_t)(int64_t)reduced +
                                ((uint64_t)1 << (total_shift - 1)));
    return (int32_t)(uint32_t)(uint64_t)(v >> total_shift);
}

/* The same from the Q31 multiplier, rounded to 16 bits first as TFLM does. */
static inline int32_t tflm_requantize_s64(int64_t x, int32_t multiplier, int32_t shift)
{
    const int32_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
    return tflm_requantize_s64_reduced(x, reduced, shift);
}

/* The 16x8 requantisation of one layer: acc64 = 1 is TFLM's int64 path (an int64 bias, or
 * none), 0 the path of an int32 bias (the accumulator wraps in int32, then
 * tflm_requantize). The zero points take no part: TFLM's 16x8 kernels ignore them. */
typedef struct {
    const int32_t *multipliers;
    const int8_t *shifts;      /* TFLM's shifts lie in [-31, 30] */
    int32_t per_channel;
    int32_t acc64;
    int32_t act_min, act_max;
    /* fits32 = 1 (set at generation time): every accumulator of the layer, bias included,
     * provably lies in int32 (|bias| + 2^15 * sum |w| < 2^31 per channel), so the kernels
     * sum in int32 and requantise with tflm_rq16_out32 from these tables */
    int32_t fits32;
    const int32_t *bias32;     /* the bias narrowed to int32, or NULL */
    const int32_t *reduced;    /* acc64: the multipliers rounded to 16 bits as TFLM does */
    const int8_t *rshift;      /* acc64: 15 - shift (in [1, 46]) */
    /* acc64 with every rshift >= 16 (else NULL): the requantisation from the high word of
     * one 32x32 product. rshift t in [16, 32]: mhi = reduced * 2^(32 - t), post = 0,
     * v = (acc * mhi + 2^31) >> 32; t > 32: mhi = reduced, post = t - 32,
     * v = ((acc * mhi >> 32) + 2^(post - 1)) >> post. Both equal
     * (acc * reduced + 2^(t - 1)) >> t exactly (the low word cannot carry into the floor). */
    const int32_t *mhi;
    const int8_t *post;
    /* with mhi (else NULL): mhi and post hold one entry per output channel and
     * k64[oc] = bias[oc] * mhi[oc] + 2^(31 + post[oc]), so that
     * v = ((acc * mhi + k64) >> 32) >> post, one SMLAL: the same value, since
     * (acc + bias) * mhi + 2^(31 + post) is that sum exactly (|.| < 2^62 + 2^45, no int64
     * overflow) and ((p >> 32) + 2^(post - 1)) >> post = (p + 2^(31 + post)) >> (32 + post) */
    const int64_t *k64;
} tflm_rq16_t;

/* the int16 output of channel oc from `sum`, the exact sum of its products; bias (int64_t
 * when acc64, else int32_t) may be NULL */
static inline int16_t tflm_rq16_out(const tflm_rq16_t *r, int64_t sum, const void *bias,
                                    int32_t oc)
{
    const int32_t q = r->per_channel ? oc : 0;
    int32_t v;
    if (r->acc64) {
        if (bias != NULL) {
            sum = (int64_t)((uint64_t)sum + (uint64_t)((const int64_t *)bias)[oc]);
        }
        v = tflm_requantize_s64(sum, r->multipliers[q], r->shifts[q]);
    } else {
        int32_t acc = (int32_t)(uint32_t)(uint64_t)sum;
        if (bias != NULL) {
            acc = tflm_wrap_add(acc, ((const int32_t *)bias)[oc]);
        }
        v = tflm_requantize(acc, r->multipliers[q], r->shifts[q]);
    }
    return (int16_t)TFLM_CLAMP(v, r->act_min, r->act_max);
}

/* tflm_rq16_out for a layer with fits32: `acc` is the exact int32 sum of the products; the
 * same result as the int64 arithmetic, since no value leaves int32 */
static TFLM_PY_INLINE int16_t tflm_rq16_out32(const tflm_rq16_t *r, int32_t acc, int32_t oc)
{
    if (r->k64 != NULL) {
        const int32_t v = (int32_t)(((int64_t)acc * r->mhi[oc] + r->k64[oc]) >> 32) >>
                          r->post[oc];
        return (int16_t)TFLM_CLAMP(v, r->act_min, r->act_max);
    }
    const int32_t q = r->per_channel ? oc : 0;
    int32_t v;
    if (r->bias32 != NULL) {
        acc += r->bias32[oc];
    }
    if (r->mhi != NULL) {
        const int32_t post = r->post[q];
        int64_t prod = (int64_t)acc * r->mhi[q];
        if (post == 0) {
            prod += (int64_t)1 << 31;
        }
        v = (int32_t)(prod >> 32);
        if (post != 0) {
            v = (v + (1 << (post - 1))) >> post;
        }
    } else if (r->acc64) {
        const int32_t ts = r->rshift[q];
        const int64_t prod = (int64_t)acc * r->reduced[q] + ((int64_t)1 << (ts - 1));
        v = (int32_t)(uint32_t)(uint64_t)(prod >> ts);
    } else {
        v = tflm_requantize(acc, r->multipliers[q], r->shifts[q]);
    }
    return (int16_t)TFLM_CLAMP(v, r->act_min, r->act_max);
}

/* sum_k x[k] * w[k] of int16 x and int8 w, exact: int32 partial sums over blocks of 256
 * (|block| <= 256 * 2^15 * 2^7 = 2^30), added up in int64. DSP: SMLAD on pairs of int16
 * inputs against pairs of int8 weights widened with SXTB16 and repacked. */
static inline int64_t tflm_dot_s16_s8(const int16_t *x, const int8_t *w, int32_t n)
{
    int64_t total = 0;
    while (n > 0) {
        const int32_t len = n < 256 ? n : 256;
        int32_t s = 0;
        int32_t k = 0;
#if TFLM_PY_USE_DSP
        for (; k + 4 <= len; k += 4) {
            const int32_t wq = tflm_load_s32(w + k);
            const uint32_t w02 = (uint32_t)__sxtb16(wq);           /* (w0, w2) */
            const uint32_t w13 = (uint32_t)tflm_sxtb16_ror8(wq);   /* (w1, w3) */
            const int32_t w01 = (int32_t)((w02 & 0xFFFFu) | (w13 << 16));
            const int32_t w23 = (int32_t)((w02 >> 16) | (w13 & 0xFFFF0000u));
            s = __smlad(tflm_load_s32(x + k), w01, s);
            s = __smlad(tflm_load_s32(x + k + 2), w23, s);
        }
#endif
        for (; k < len; ++k) {
            s += x[k] * w[k];
        }
        total += s;
        x += len;
        w += len;
        n -= len;
    }
    return total;
}

/* ---- requantisation of a run of accumulators (the portable kernels), with an x86 SSE2 path
 * (the x86-64 baseline ISA; -DTFLM_PY_PORTABLE forces the scalar C) ---------------------- */
#if defined(__SSE2__) && !defined(TFLM_PY_PORTABLE) && !TFLM_PY_USE_DSP
#define TFLM_PY_USE_SSE2 1
#include <emmintrin.h>
#else
#define TFLM_PY_USE_SSE2 0
#endif

#if TFLM_PY_USE_SSE2
/* R >> k per lane for 4 accumulators x (|x| < 2^30: small_acc) where, as in
 * tflm_requantize_small_run, R = floor((2x m + 2^31) / 2^32) - [x < 0] and k = -shift - 1
 * in [0, 30]. SSE2 has no signed 32x32->64 multiply: the unsigned product of (uint32)2x and
 * m (< 2^31) exceeds the signed one by 2^32 m when x < 0, so the high word loses m there.
 * Nor a per-lane shift: with u = R + 2^31 (flip the sign bit, u >= 0), u * 2^(31-k) / 2^31
 * is u >> k = (R >> k) + 2^(31-k); pk holds 2^(31-k) per lane. */
/* m1 = m + 1, mo and pko: the odd lanes' m and pk moved down (what _mm_mul_epu32 reads); a
 * caller that prepared them per layer passes them in, tflm_rq4_sse2 derives them */
static TFLM_PY_INLINE __m128i tflm_rq4_ops_sse2(__m128i x, __m128i m, __m128i m1, __m128i mo,
                                                __m128i pk, __m128i pko)
{
    const __m128i half = _mm_set1_epi64x(0x80000000LL);
    const __m128i high = _mm_set1_epi64x((long long)0xFFFFFFFF00000000ULL);
    const __m128i sign = _mm_set1_epi32((int)0x80000000u);
    const __m128i neg = _mm_srai_epi32(x, 31);
    const __m128i x2 = _mm_add_epi32(x, x);
    const __m128i pe = _mm_add_epi64(_mm_mul_epu32(x2, m), half);
    const __m128i po = _mm_add_epi64(_mm_mul_epu32(_mm_srli_epi64(x2, 32), mo), half);
    __m128i r = _mm_or_si128(_mm_srli_epi64(pe, 32), _mm_and_si128(po, high));
    r = _mm_sub_epi32(r, _mm_and_si128(neg, m1));
    const __m128i u = _mm_xor_si128(r, sign);
    const __m128i ue = _mm_mul_epu32(u, pk);
    const __m128i uo = _mm_mul_epu32(_mm_srli_epi64(u, 32), pko);
    const __m128i t = _mm_or_si128(_mm_srli_epi64(ue, 31),
                                   _mm_and_si128(_mm_slli_epi64(uo, 1), high));
    return _mm_sub_epi32(t, pk);
}

static TFLM_PY_INLINE __m128i tflm_rq4_sse2(__m128i x, __m128i m, __m128i pk)
{
    return tflm_rq4_ops_sse2(x, m, _mm_sub_epi32(m, _mm_set1_epi32(-1)), _mm_srli_epi64(m, 32),
                             pk, _mm_srli_epi64(pk, 32));
}

/* 2^(32 + shift) for the 4 shifts at sh (each in [-31, -1]), built as a float's exponent;
 * 2^31 converts to 0x80000000 (CVTTPS2DQ's out-of-range value), which is 2^31 unsigned */
static TFLM_PY_INLINE __m128i tflm_rq_pk4_sse2(const int8_t *sh)
{
    __m128i v = _mm_cvtsi32_si128(tflm_load_s32(sh));
    v = _mm_unpacklo_epi8(v, v);
    v = _mm_srai_epi32(_mm_unpacklo_epi16(v, v), 24);
    v = _mm_slli_epi32(_mm_add_epi32(v, _mm_set1_epi32(127 + 32)), 23);
    return _mm_cvttps_epi32(_mm_castsi128_ps(v));
}

/* the first n & ~7 outputs of tflm_requantize_run (small_acc); returns how many */
static TFLM_PY_NOINLINE int32_t tflm_requantize_run_sse2(const tflm_rq_t *r, const int32_t *acc,
                                                         const int32_t *bias, int32_t oc0,
                                                         int32_t n, int8_t *out)
{
    const __m128i c1 = _mm_set1_epi32(1 + 2 * r->output_offset);
    const __m128i lo = _mm_set1_epi16((int16_t)r->act_min);
    const __m128i hi = _mm_set1_epi16((int16_t)r->act_max);
    const int32_t pc = r->per_channel != 0;
    __m128i m0 = _mm_set1_epi32(r->multipliers[0]);
    __m128i m1 = m0;
    __m128i pk0 = _mm_set1_epi32((int32_t)(1u << (32 + r->shifts[0])));
    __m128i pk1 = pk0;
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i x0 = _mm_loadu_si128((const __m128i *)(const void *)(acc + i));
        __m128i x1 = _mm_loadu_si128((const __m128i *)(const void *)(acc + i + 4));
        if (bias != NULL) {
            x0 = _mm_add_epi32(x0, _mm_loadu_si128((const __m128i *)(const void *)(bias + oc0 + i)));
            x1 = _mm_add_epi32(x1, _mm_loadu_si128((const __m128i *)(const void *)(bias + oc0 + i + 4)));
        }
        if (pc) {
            m0 = _mm_loadu_si128((const __m128i *)(const void *)(r->multipliers + oc0 + i));
            m1 = _mm_loadu_si128((const __m128i *)(const void *)(r->multipliers + oc0 + i + 4));
            pk0 = tflm_rq_pk4_sse2(r->shifts + oc0 + i);
            pk1 = tflm_rq_pk4_sse2(r->shifts + oc0 + i + 4);
        }
        __m128i t0 = _mm_srai_epi32(_mm_add_epi32(tflm_rq4_sse2(x0, m0, pk0), c1), 1);
        __m128i t1 = _mm_srai_epi32(_mm_add_epi32(tflm_rq4_sse2(x1, m1, pk1), c1), 1);
        __m128i v = _mm_packs_epi32(t0, t1);
        v = _mm_min_epi16(_mm_max_epi16(v, lo), hi);
        _mm_storel_epi64((__m128i *)(void *)(out + i), _mm_packs_epi16(v, v));
    }
    return i;
}
#endif /* TFLM_PY_USE_SSE2 */

/* out[i] = the int8 output of channel oc0 + i from acc[i] + bias[oc0 + i] (bias may be
 * NULL), for i < n. small_acc: the generator's promise (tflm_rq_dsp_t) that every shift is
 * < 0 and every accumulator (bias included) lies in [-2^30, 2^30). */
#if defined(__GNUC__)
__attribute__((unused))
#endif
static TFLM_PY_NOINLINE void tflm_requantize_run(const tflm_rq_t *r, int32_t small_acc,
                                                 const int32_t *acc, const int32_t *bias,
                                                 int32_t oc0, int32_t n, int8_t *out)
{
    int32_t i = 0;
#if TFLM_PY_USE_SSE2
    if (small_acc) {
        i = tflm_requantize_run_sse2(r, acc, bias, oc0, n, out);
    }
#else
    (void)small_acc;
#endif
    for (; i < n; ++i) {
        const int32_t a = bias != NULL ? tflm_wrap_add(acc[i], bias[oc0 + i]) : acc[i];
        out[i] = tflm_rq_out(r, a, oc0 + i);
    }
}

#if TFLM_PY_USE_SSE2
/* ---- x86: requantisation with its per-channel operands prepared once per layer ----------
 * tflm_rq_prepare_sse2 lays out what tflm_rq4_sse2 derives from the multipliers and shifts
 * on every call: per channel c (channels [0, n)) the lane factor pk = 2^(32 + shift), m + 1,
 * and for even c the odd neighbours' m and pk (the operands PMULUDQ reads for lanes 1 and
 * 3). tflm_requantize_run_prep_sse2 is then tflm_requantize_run for small_acc layers,
 * inlined into the kernel's loop (its constants stay in registers). */
#define TFLM_RQ_PREP_MAX 2048   /* channels a kernel prepares on its stack */

typedef struct {
    const tflm_rq_t *r;
    const int32_t *m;        /* per channel (r->per_channel), else NULL */
    const int32_t *pk, *m1, *mo, *pko;
    __m128i vm, vpk, vm1, vmo, vpko;   /* per tensor */
    __m128i c1, lo, hi;
} tflm_rq_prep_t;

/* 2^(32 + shift) for shift in [-31, -1] (small_acc layers; 0 for others, never used) */
static TFLM_PY_INLINE int32_t tflm_rq_pk_sse2(int32_t shift)
{
    return shift < 0 && shift >= -31 ? (int32_t)(1u << (32 + shift)) : 0;
}

/* buf: 4 * n int32 */
static TFLM_PY_INLINE void tflm_rq_prepare_sse2(const tflm_rq_t *r, int32_t n, int32_t *buf,
                                                tflm_rq_prep_t *q)
{
    const int32_t m0 = r->multipliers[0], pk0 = tflm_rq_pk_sse2(r->shifts[0]);
    q->r = r;
    q->m = NULL;
    q->pk = q->m1 = q->mo = q->pko = NULL;
    q->vm = _mm_set1_epi32(m0);
    q->vpk = _mm_set1_epi32(pk0);
    q->vm1 = _mm_set1_epi32((int32_t)((uint32_t)m0 + 1u));
    q->vmo = q->vm;
    q->vpko = q->vpk;
    q->c1 = _mm_set1_epi32(1 + 2 * r->output_offset);
    q->lo = _mm_set1_epi16((int16_t)r->act_min);
    q->hi = _mm_set1_epi16((int16_t)r->act_max);
    if (r->per_channel) {
        int32_t *pk = buf, *m1 = buf + n, *mo = buf + 2 * (size_t)n, *pko = buf + 3 * (size_t)n;
        for (int32_t c = 0; c < n; ++c) {
            pk[c] = tflm_rq_pk_sse2(r->shifts[c]);
            m1[c] = (int32_t)((uint32_t)r->multipliers[c] + 1u);
        }
        for (int32_t c = 0; c < n; ++c) {
            const int32_t odd = (c & 1) == 0 && c + 1 < n;
            mo[c] = odd ? r->multipliers[c + 1] : 0;
            pko[c] = odd ? pk[c + 1] : 0;
        }
        q->m = r->multipliers;
        q->pk = pk;
        q->m1 = m1;
        q->mo = mo;
        q->pko = pko;
    }
}

static TFLM_PY_INLINE __m128i tflm_rq_ld4(const int32_t *p)
{
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* tflm_rq4_sse2 with the prepared operands, then the last rounding bit and the offset: the
 * 4 int32 results for channels oc .. oc + 3 from x (bias added) */
static TFLM_PY_INLINE __m128i tflm_rq4_prep_sse2(const tflm_rq_prep_t *q, __m128i x,
                                                 int32_t oc)
{
    __m128i m = q->vm, pk = q->vpk, m1 = q->vm1, mo = q->vmo, pko = q->vpko;
    if (q->m != NULL) {
        m = tflm_rq_ld4(q->m + oc);
        pk = tflm_rq_ld4(q->pk + oc);
        m1 = tflm_rq_ld4(q->m1 + oc);
        mo = tflm_rq_ld4(q->mo + oc);
        pko = tflm_rq_ld4(q->pko + oc);
    }
    return _mm_srai_epi32(_mm_add_epi32(tflm_rq4_ops_sse2(x, m, m1, mo, pk, pko), q->c1), 1);
}

static TFLM_PY_INLINE __m128i tflm_rq_acc4_sse2(const int32_t *acc, const int32_t *bias,
                                                int32_t oc)
{
    __m128i x = tflm_rq_ld4(acc);
    if (bias != NULL) {
        x = _mm_add_epi32(x, tflm_rq_ld4(bias + oc));
    }
    return x;
}

/* out[i] from acc[i] + bias[oc0 + i], i < n, for a small_acc layer; oc0 even */
static TFLM_PY_INLINE void tflm_requantize_run_prep_sse2(const tflm_rq_prep_t *q,
                                                         const int32_t *acc,
                                                         const int32_t *bias, int32_t oc0,
                                                         int32_t n, int8_t *out)
{
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i t0 = tflm_rq4_prep_sse2(q, tflm_rq_acc4_sse2(acc + i, bias, oc0 + i),
                                              oc0 + i);
        const __m128i t1 = tflm_rq4_prep_sse2(q, tflm_rq_acc4_sse2(acc + i + 4, bias,
                                                                   oc0 + i + 4), oc0 + i + 4);
        __m128i v = _mm_packs_epi32(t0, t1);
        v = _mm_min_epi16(_mm_max_epi16(v, q->lo), q->hi);
        _mm_storel_epi64((__m128i *)(void *)(out + i), _mm_packs_epi16(v, v));
    }
    if (i + 4 <= n) {
        const __m128i t0 = tflm_rq4_prep_sse2(q, tflm_rq_acc4_sse2(acc + i, bias, oc0 + i),
                                              oc0 + i);
        __m128i v = _mm_packs_epi32(t0, t0);
        v = _mm_min_epi16(_mm_max_epi16(v, q->lo), q->hi);
        const int32_t w = _mm_cvtsi128_si32(_mm_packs_epi16(v, v));
        memcpy(out + i, &w, 4);
        i += 4;
    }
    for (; i < n; ++i) {
        const int32_t a = bias != NULL ? tflm_wrap_add(acc[i], bias[oc0 + i]) : acc[i];
        out[i] = tflm_rq_out(q->r, a, oc0 + i);
    }
}
#endif /* TFLM_PY_USE_SSE2 */

#endif /* TFLM_COMMON_H */
