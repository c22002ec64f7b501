/* MUL kernels: see mul.h and tflm_py/ops/mul.py for the arithmetic. */
#include "mul.h"

static inline int32_t mul_one(const tflm_mul_params_t *p, int32_t x1, int32_t x2)
{
    const int32_t prod = (x1 + p->input1_offset) * (x2 + p->input2_offset);
    const int32_t y = tflm_requantize_fast(prod, p->output_multiplier, p->output_shift)
                      + p->output_offset;
    return TFLM_CLAMP(y, p->act_min, p->act_max);
}

/* SMMLAR: acc + the rounded high word of a * b (one instruction on the DSP cores; the same
 * 32-bit result from an int64 product elsewhere) */
static TFLM_PY_INLINE int32_t mul_mmlar(int32_t a, int32_t b, int32_t acc)
{
#if TFLM_PY_USE_DSP
    return tflm_smmlar(a, b, acc);
#else
    const int32_t hi = (int32_t)(((int64_t)a * b + 0x80000000LL) >> 32);
    return (int32_t)((uint32_t)acc + (uint32_t)hi);
#endif
}

static TFLM_PY_INLINE int32_t mul_sat8(int32_t y)
{
#if TFLM_PY_USE_DSP
    return __ssat(y, 8);
#else
    return TFLM_CLAMP(y, -128, 127);
#endif
}

/* The int8 fast path (every target; on the DSP cores each SMMLAR is one instruction):
 * |(x1 + o1)(x2 + o2)| <= 255^2 < 2^16, so for shifts up to 14 the product's rescale is one
 * SMMLAR (tflm_requantize_dsp's identity): with P = prod << (1 + s+) (s+ = the left shift,
 * if any) and e = the right shift,
 * SMMLAR(P, m, 2^(e-1) - [P < 0] + zp * 2^e) >> e, or SMMLAR(P, m, zp) when e = 0;
 * the output zero point rides in the accumulator as a multiple of 2^e. */
typedef struct {
    int32_t off1, off2;
    int32_t mult, acc, mask, lsh, rsh;
    int32_t lo, hi;
} mul_fast_t;

static int mul_fast_setup(const tflm_mul_params_t *p, mul_fast_t *d)
{
    if (p->output_shift > 14 || p->input1_offset < -127 || p->input1_offset > 128 ||
        p->input2_offset < -127 || p->input2_offset > 128) {
        return 0;
    }
    const int32_t e = p->output_shift < 0 ? -p->output_shift : 0;
    if (e > 24) {
        return 0;   /* zp * 2^e must fit the accumulator */
    }
    d->off1 = p->input1_offset;
    d->off2 = p->input2_offset;
    d->mult = p->output_multiplier;
    d->lsh = 1 + (p->output_shift > 0 ? p->output_shift : 0);
    d->rsh = e;
    d->mask = e > 0 ? -1 : 0;
    const uint32_t half = p->output_shift < 0 ? (1u << -p->output_shift) >> 1 : 0u;
    d->acc = (int32_t)(half +
                       ((uint32_t)p->output_offset << e));
    d->lo = p->act_min;
    d->hi = p->act_max;
    return 1;
}

/* out[k] for k < n (n >= 1) from a[k * sa], b[k * sb]; `full`: the activation range is
 * all of int8 (one SSAT) */
static TFLM_PY_INLINE void mul_fast_row(const mul_fast_t *dp, const int8_t *a, int32_t sa,
                                       const int8_t *b, int32_t sb, int8_t *out, int32_t n,
                                       int full)
{
    const int32_t off1 = dp->off1, off2 = dp->off2, mult = dp->mult, acc = dp->acc;
    const int32_t mask = dp->mask, lsh = dp->lsh, rsh = dp->rsh, lo = dp->lo, hi = dp->hi;
    do {
        const int32_t x1 = *a + off1;
        const int32_t x2 = *b + off2;
        a += sa;
        b += sb;
        const int32_t P = (int32_t)((uint32_t)(x1 * x2) << lsh);
        int32_t y = mul_mmlar(P, mult, acc + ((P >> 31) & mask)) >> rsh;
        if (full) {
            y = mul_sat8(y);
        } else {
            y = y < lo ? lo : y;
            y = y > hi ? hi : y;
        }
        *out++ = (int8_t)y;
    } while (--n != 0);
}

/* each variant in a function of its own: its loop gets all the registers */
static TFLM_PY_NOINLINE void mul_fast_full(const mul_fast_t *d, const int8_t *a, const int8_t *b,
                                          int8_t *out, int32_t n)
{
    mul_fast_row(d, a, 1, b, 1, out, n, 1);
}

static TFLM_PY_NOINLINE void mul_fast_narrow(const mul_fast_t *d, const int8_t *a,
                                            const int8_t *b, int8_t *out, int32_t n)
{
    mul_fast_row(d, a, 1, b, 1, out, n, 0);
}

static TFLM_PY_NOINLINE void mul_fast_strided(const mul_fast_t *d, const int8_t *a, int32_t sa,
                                             const int8_t *b, int32_t sb, int8_t *out,
                                             int32_t n)
{
    mul_fast_row(d, a, sa, b, sb, out, n, 0);
}

static void mul_fast_s8(const mul_fast_t *d, const int8_t *a, int32_t sa, const int8_t *b,
                       int32_t sb, int8_t *out, int32_t n)
{
    if (n <= 0) {
        return;
    }
    if (sa == 1 && sb == 1) {
        if (d->lo == -128 && d->hi == 127) {
            mul_fast_full(d, a, b, out, n);
        } else {
            mul_fast_narrow(d, a, b, out, n);
        }
    } else {
        mul_fast_strided(d, a, sa, b, sb, out, n);
    }
}
/* end of the fast path */

void tflm_mul_s8(const tflm_mul_params_t *p, const int8_t *input1, const int8_t *input2,
                 int8_t *output)
{
    mul_fast_t d;
    if (mul_fast_setup(p, &d)) {
        if (!p->broadcast) {
            mul_fast_s8(&d, input1, 1, input2, 1, output, p->size);
            return;
        }
        tflm_bcast_walk_t w = {{0, 0, 0, 0, 0}, 0, 0};
        const int32_t inner = p->dims[5];
        for (int32_t o = 0; o < p->size; o += inner) {
            mul_fast_s8(&d, input1 + w.off1, p->strides1[5], input2 + w.off2, p->strides2[5],
                       output + o, inner);
            tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
        }
        return;
    }
    if (!p->broadcast) {
        for (int32_t i = 0; i < p->size; ++i) {
            output[i] = (int8_t)mul_one(p, input1[i], input2[i]);
        }
        return;
    }
    tflm_bcast_walk_t w = {{0, 0, 0, 0, 0}, 0, 0};
    const int32_t inner = p->dims[5];
    const int32_t st1 = p->strides1[5];
    const int32_t st2 = p->strides2[5];
    for (int32_t o = 0; o < p->size; o += inner) {
        const int8_t *a = input1 + w.off1;
        const int8_t *b = input2 + w.off2;
        for (int32_t c = 0; c < inner; ++c) {
            output[o + c] = (int8_t)mul_one(p, a[c * st1], b[c * st2]);
        }
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
    }
}

void tflm_mul_s16(const tflm_mul_params_t *p, const int16_t *input1, const int16_t *input2,
                  int16_t *output)
{
    if (!p->broadcast) {
        for (int32_t i = 0; i < p->size; ++i) {
            output[i] = (int16_t)mul_one(p, input1[i], input2[i]);
        }
        return;
    }
    tflm_bcast_walk_t w = {{0, 0, 0, 0, 0}, 0, 0};
    const int32_t inner = p->dims[5];
    const int32_t st1 = p->strides1[5];
    const int32_t st2 = p->strides2[5];
    for (int32_t o = 0; o < p->size; o += inner) {
        const int16_t *a = input1 + w.off1;
        const int16_t *b = input2 + w.off2;
        for (int32_t c = 0; c < inner; ++c) {
            output[o + c] = (int16_t)mul_one(p, a[c * st1], b[c * st2]);
        }
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
    }
}
