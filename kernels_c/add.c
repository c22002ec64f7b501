/* ADD / SUB kernels: see add.h and tflm_py/ops/add.py for the arithmetic. */
#include "add.h"

/* The reference arithmetic on one row: a[k * sa] and b[k * sb] to out[k], k < n. The
 * parameters live in locals (the int8/int16 output stores could alias the struct) and every
 * rescale is tflm_requantize_fast, exact for any input. */
#define ADD_REF_ROW(NAME, T)                                                               \
static void NAME(const tflm_add_params_t *p, const T *a, int32_t sa, const T *b,           \
                 int32_t sb, T *out, int32_t n)                                            \
{                                                                                          \
    const int32_t ls = p->left_shift, o1 = p->input1_offset, o2 = p->input2_offset;        \
    const int32_t m1 = p->input1_multiplier, s1 = p->input1_shift;                         \
    const int32_t m2 = p->input2_multiplier, s2 = p->input2_shift;                         \
    const int32_t mo = p->output_multiplier, so = p->output_shift;                         \
    const int32_t zo = p->output_offset, lo = p->act_min, hi = p->act_max;                 \
    const int32_t sign = p->subtract ? -1 : 1;                                             \
    for (int32_t k = 0; k < n; ++k) {                                                      \
        const int32_t x1 = (int32_t)((uint32_t)(a[k * sa] + o1) << ls);                    \
        const int32_t x2 = (int32_t)((uint32_t)(b[k * sb] + o2) << ls);                    \
        const int32_t r = tflm_requantize_fast(x1, m1, s1)                                 \
                          + sign * tflm_requantize_fast(x2, m2, s2);                       \
        const int32_t y = tflm_requantize_fast(r, mo, so) + zo;                            \
        out[k] = (T)TFLM_CLAMP(y, lo, hi);                                                 \
    }                                                                                      \
}

ADD_REF_ROW(add_ref_row_s8, int8_t)
ADD_REF_ROW(add_ref_row_s16, int16_t)

/* SMMLAR: acc + the rounded high word of a * b (one instruction on the DSP cores; the same
 * 32-bit result from an int64 product elsewhere) */
static TFLM_PY_INLINE int32_t add_mmlar(int32_t a, int32_t b, int32_t acc)
{
#if TFLM_PY_USE_DSP
    return tflm_smmlar(a, b, acc);
#else
    const int32_t hi = (int32_t)(((int64_t)a * b + 0x80000000LL) >> 32);
    return (int32_t)((uint32_t)acc + (uint32_t)hi);
#endif
}

static TFLM_PY_INLINE int32_t add_sat(int32_t y, int bits)
{
#if TFLM_PY_USE_DSP
    return bits == 8 ? __ssat(y, 8) : __ssat(y, 16);
#else
    const int32_t top = bits == 8 ? 127 : 32767;
    return TFLM_CLAMP(y, -top - 1, top);
#endif
}

static int32_t add_half(int32_t shift)
{
    return shift < 0 ? (int32_t)((1u << -shift) >> 1) : 0;
}

/* The fast path (on every target; the DSP cores do each SMMLAR in one instruction). TFLM
 * rescales the input with the larger scale by exactly 1/2 (multiplier 2^30, shift 0): its
 * term is (x + o) << (ls - 1), exactly; call it E. The other
 * input's term G = MultiplyByQuantizedMultiplier((x + o) << ls, m, -e) with e >= 1 is one
 * SMMLAR (the identity of tflm_requantize_dsp): SMMLAR(X, m, 2^(e-1) - [X < 0]) >> e with
 * X = (x + o) << (ls + 1), exact while X fits in int32. The output rescale of r = E +- G is
 * SMMLAR(2r, m, 2^(e-1) - [r < 0] + zp * 2^e) >> e (e >= 1, |r| < 2^30); the zero point
 * rides in the accumulator as a multiple of 2^e. add_fast_setup checks all this once. */
typedef struct {
    int32_t e_off;      /* E's offset << (ls - 1), negated when E is subtracted */
    int32_t g_off;      /* G's offset << (ls + 1) */
    int32_t g_mult, g_half, g_shift;
    int32_t out_mult, out_acc, out_shift;
    int32_t lo, hi;
    int32_t e_is_1;     /* E is input 1 */
    int32_t mode;       /* r = E + G (0), E - G (1), G - E (2); equal scales, G exact as
                         * E: E + G (3), E - G (4) */
} add_fast_t;

static int add_fast_exact_half(int32_t mult, int32_t shift)
{
    return mult == 0x40000000 && shift == 0;
}

/* 1 when the fast path applies: int8 (|x + o| <= 255: |X| < 2^29, |E|, |G| <= 255 * 2^19,
 * |r| < 2^28) or int16 ADD with zero offsets (|X| <= 2^31, |E|, |G| <= 2^29, and
 * r = -2^30 at worst, 2r = INT32_MIN still fits); SUB of int16 could reach r = 2^30. */
static int add_fast_setup(const tflm_add_params_t *p, int in_bits, add_fast_t *d)
{
    if (p->output_shift >= 0 || p->input1_shift > 0 || p->input2_shift > 0) {
        return 0;
    }
    if (in_bits == 8) {
        if (p->left_shift != 20 || p->input1_offset < -127 || p->input1_offset > 128 ||
            p->input2_offset < -127 || p->input2_offset > 128) {
            return 0;
        }
    } else if (p->left_shift != 15 || p->input1_offset != 0 || p->input2_offset != 0 ||
               p->subtract) {
        return 0;
    }
    int32_t e_offset, g_offset, g_mult, g_shift;
    if (add_fast_exact_half(p->input1_multiplier, p->input1_shift)) {
        d->e_is_1 = 1;
        e_offset = p->input1_offset;
        g_offset = p->input2_offset;
        g_mult = p->input2_multiplier;
        g_shift = p->input2_shift;
        d->mode = p->subtract ? 1 : 0;
    } else if (add_fast_exact_half(p->input2_multiplier, p->input2_shift)) {
        d->e_is_1 = 0;
        e_offset = p->input2_offset;
        g_offset = p->input1_offset;
        g_mult = p->input1_multiplier;
        g_shift = p->input1_shift;
        d->mode = p->subtract ? 2 : 0;
    } else {
        return 0;
    }
    const int32_t ls = p->left_shift;
    if (add_fast_exact_half(g_mult, g_shift)) {
        /* equal scales: G is (x + o) << (ls - 1) as well */
        d->mode = p->subtract ? 4 : 3;
    } else if (g_shift >= 0) {
        return 0;
    }
    d->e_off = (int32_t)((uint32_t)e_offset << (ls - 1));
    if (d->mode == 2) {
        d->e_off = -d->e_off;
    }
    d->g_off = (int32_t)((uint32_t)g_offset << (d->mode >= 3 ? ls - 1 : ls + 1));
    d->g_mult = g_mult;
    d->g_half = add_half(g_shift);
    d->g_shift = -g_shift;
    d->out_mult = p->output_multiplier;
    d->out_shift = -p->output_shift;
    if (d->out_shift > 30 || d->g_shift > 30) {
        return 0;
    }
    /* the accumulator 2^(e-1) - 1 + zp * 2^e must fit in int32 */
    const int64_t acc = (int64_t)p->output_offset * ((int64_t)1 << d->out_shift) +
                        add_half(p->output_shift);
    if (acc - 1 < INT32_MIN || acc > INT32_MAX) {
        return 0;
    }
    d->out_acc = (int32_t)acc;
    d->lo = p->act_min;
    d->hi = p->act_max;
    return 1;
}

/* out[k] for k < n (n >= 1) from e[k * se], g[k * sg]. With 2E and 2G in place of E and
 * G, 2r = 2E +- 2 * (G's SMMLAR >> e) in one instruction. mode, ls and full (the activation
 * range is the whole type: one SSAT) are constants after inlining, so each caller gets its
 * own loop with no per-element branch. */
#define ADD_FAST_ROW(NAME, T, BITS)                                                        \
static TFLM_PY_INLINE void NAME(const add_fast_t *dp, const T *e, int32_t se, const T *g,  \
                                int32_t sg, T *out, int32_t n, int mode, int ls, int full) \
{                                                                                          \
    const uint32_t e_off = (uint32_t)dp->e_off << 1, g_off = (uint32_t)dp->g_off;          \
    const int32_t g_mult = dp->g_mult, g_half = dp->g_half, g_shift = dp->g_shift;         \
    const int32_t o_mult = dp->out_mult, o_acc = dp->out_acc, o_shift = dp->out_shift;     \
    const int32_t lo = dp->lo, hi = dp->hi;                                                \
    do {                                                                                   \
        const uint32_t xe = (uint32_t)(int32_t)*e;                                         \
        const uint32_t xg = (uint32_t)(int32_t)*g;                                         \
        e += se;                                                                           \
        g += sg;                                                                           \
        const uint32_t e2 = mode == 2 ? e_off - (xe << ls) : e_off + (xe << ls);           \
        uint32_t gv;                                                                       \
        if (mode >= 3) {                                                                   \
            gv = (xg << (ls - 1)) + g_off;                                                 \
        } else {                                                                           \
            const int32_t X = (int32_t)((xg << (ls + 1)) + g_off);                         \
            gv = (uint32_t)(add_mmlar(X, g_mult, g_half + (X >> 31)) >> g_shift);          \
        }                                                                                  \
        const int32_t r2 = (int32_t)(mode == 1 || mode == 4 ? e2 - (gv << 1)               \
                                                            : e2 + (gv << 1));             \
        int32_t y = add_mmlar(r2, o_mult, o_acc + (r2 >> 31)) >> o_shift;                  \
        if (full) {                                                                        \
            y = add_sat(y, BITS);                                                          \
        } else {                                                                           \
            y = y < lo ? lo : y;                                                           \
            y = y > hi ? hi : y;                                                           \
        }                                                                                  \
        *out++ = (T)y;                                                                     \
    } while (--n > 0);                                                                     \
}

ADD_FAST_ROW(add_fast_row_s8, int8_t, 8)
ADD_FAST_ROW(add_fast_row_s16, int16_t, 16)

/* each variant in a function of its own: its loop gets all the registers */
#define ADD_FAST_VARIANT(NAME, MODE, FULL)                                                 \
static TFLM_PY_NOINLINE void NAME(const add_fast_t *d, const int8_t *e, const int8_t *g,   \
                                  int8_t *out, int32_t n)                                  \
{                                                                                          \
    add_fast_row_s8(d, e, 1, g, 1, out, n, MODE, 20, FULL);                                \
}

ADD_FAST_VARIANT(add_fast_full_add, 0, 1)
ADD_FAST_VARIANT(add_fast_narrow_add, 0, 0)

/* broadcast rows, SUB and equal input scales (rarer in networks: one loop a mode keeps the
 * code small) */
static TFLM_PY_NOINLINE void add_fast_strided(const add_fast_t *d, const int8_t *e, int32_t se,
                                             const int8_t *g, int32_t sg, int8_t *out,
                                             int32_t n)
{
    if (d->mode == 0) {
        add_fast_row_s8(d, e, se, g, sg, out, n, 0, 20, 0);
    } else if (d->mode == 1) {
        add_fast_row_s8(d, e, se, g, sg, out, n, 1, 20, 0);
    } else if (d->mode == 2) {
        add_fast_row_s8(d, e, se, g, sg, out, n, 2, 20, 0);
    } else if (d->mode == 3) {
        add_fast_row_s8(d, e, se, g, sg, out, n, 3, 20, 0);
    } else {
        add_fast_row_s8(d, e, se, g, sg, out, n, 4, 20, 0);
    }
}

static void add_fast_s8(const add_fast_t *d, const int8_t *e, int32_t se, const int8_t *g,
                       int32_t sg, int8_t *out, int32_t n)
{
    if (n <= 0) {
        return;
    }
    if (se != 1 || sg != 1 || d->mode != 0) {
        add_fast_strided(d, e, se, g, sg, out, n);
    } else if (d->lo == -128 && d->hi == 127) {
        /* the same-shape ADD of most networks (residual connections, often with ReLU) */
        add_fast_full_add(d, e, g, out, n);
    } else {
        add_fast_narrow_add(d, e, g, out, n);
    }
}

static TFLM_PY_NOINLINE void add_fast_s16(const add_fast_t *d, const int16_t *e, int32_t se,
                                         const int16_t *g, int32_t sg, int16_t *out, int32_t n)
{
    if (n <= 0) {
        return;
    }
    if (d->mode == 0) {
        add_fast_row_s16(d, e, se, g, sg, out, n, 0, 15, 0);
    } else {
        add_fast_row_s16(d, e, se, g, sg, out, n, 3, 15, 0);   /* int16 SUB takes the reference */
    }
}
/* end of the fast path */

void tflm_add_s8(const tflm_add_params_t *p, const int8_t *input1, const int8_t *input2,
                 int8_t *output)
{
    add_fast_t d;
    if (add_fast_setup(p, 8, &d)) {
        if (!p->broadcast) {
            if (d.e_is_1) {
                add_fast_s8(&d, input1, 1, input2, 1, output, p->size);
            } else {
                add_fast_s8(&d, input2, 1, input1, 1, output, p->size);
            }
            return;
        }
        tflm_bcast_walk_t w = {{0, 0, 0, 0, 0}, 0, 0};
        const int32_t inner = p->dims[5];
        for (int32_t o = 0; o < p->size; o += inner) {
            if (d.e_is_1) {
                add_fast_s8(&d, input1 + w.off1, p->strides1[5], input2 + w.off2,
                           p->strides2[5], output + o, inner);
            } else {
                add_fast_s8(&d, input2 + w.off2, p->strides2[5], input1 + w.off1,
                           p->strides1[5], output + o, inner);
            }
            tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
        }
        return;
    }
    if (!p->broadcast) {
        add_ref_row_s8(p, input1, 1, input2, 1, output, p->size);
        return;
    }
    tflm_bcast_walk_t w = {{0, 0, 0, 0, 0}, 0, 0};
    const int32_t inner = p->dims[5];
    for (int32_t o = 0; o < p->size; o += inner) {
        add_ref_row_s8(p, input1 + w.off1, p->strides1[5], input2 + w.off2, p->strides2[5],
           output + o, inner);
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
    }
}

void tflm_add_s16(const tflm_add_params_t *p, const int16_t *input1, const int16_t *input2,
                  int16_t *output)
{
    add_fast_t d;
    if (add_fast_setup(p, 16, &d)) {
        if (!p->broadcast) {
            if (d.e_is_1) {
                add_fast_s16(&d, input1, 1, input2, 1, output, p->size);
            } else {
                add_fast_s16(&d, input2, 1, input1, 1, output, p->size);
            }
            return;
        }
        tflm_bcast_walk_t w = {{0, 0, 0, 0, 0}, 0, 0};
        const int32_t inner = p->dims[5];
        for (int32_t o = 0; o < p->size; o += inner) {
            if (d.e_is_1) {
                add_fast_s16(&d, input1 + w.off1, p->strides1[5], input2 + w.off2,
                            p->strides2[5], output + o, inner);
            } else {
                add_fast_s16(&d, input2 + w.off2, p->strides2[5], input1 + w.off1,
                            p->strides1[5], output + o, inner);
            }
            tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
        }
        return;
    }
    if (!p->broadcast) {
        add_ref_row_s16(p, input1, 1, input2, 1, output, p->size);
        return;
    }
    tflm_bcast_walk_t w = {{0, 0, 0, 0, 0}, 0, 0};
    const int32_t inner = p->dims[5];
    for (int32_t o = 0; o < p->size; o += inner) {
        add_ref_row_s16(p, input1 + w.off1, p->strides1[5], input2 + w.off2, p->strides2[5],
           output + o, inner);
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
    }
}
