/* FULLY_CONNECTED, int8: acc = sum_k (w + filter_offset) * (x + input_offset) + bias,
 * requantised per output (TFLM reference arithmetic, see fully_connected.h).
 *
 * Memory-order contract (the planner's in-place rule, tflm_py/ops/_overlap.py): the output is
 * written in units of one output row (batch b, all output_depth values) in ascending order;
 * while computing row b the kernel reads only input row b (plus the constant weights, bias
 * and parameters) and writes only output row b. Every path below keeps it.
 *
 * Paths:
 * - portable (the spec, and the x86 fast path): four output rows of the filter share one
 *   pass over x; the inner loop multiplies (int16)(x + input_offset) by int8 weights with an
 *   int32 accumulator over a trip count that is a multiple of 16, a shape gcc -O2 turns into
 *   PMADDWD on x86 (and that unrolls cleanly on Cortex-M).
 * - DSP (Cortex-M4/M7/M33, TFLM_PY_USE_DSP): the input offset is folded into the bias at
 *   generation time (folded_bias), so raw int8 inputs and weights are widened in pairs with
 *   SXTB16 and multiplied two at a time with SMLAD, four output rows per pass over x (each
 *   x word widened once for the four), the last out_depth % 4 rows two at a time.
 * - a per-tensor weight zero point (filter_offset != 0, rare) takes the reference loop, and
 *   so does the DSP build when no folded bias is given. */
#include "fully_connected.h"

static TFLM_PY_INLINE int8_t fc_output(const tflm_fully_connected_params_t *p, int32_t acc,
                                       int32_t o)
{
    const int32_t q = p->per_channel ? o : 0;
    acc = tflm_requantize_fast(acc, p->multipliers[q], p->shifts[q]) + p->output_offset;
    return (int8_t)TFLM_CLAMP(acc, p->act_min, p->act_max);
}

static void fc_reference_row(const tflm_fully_connected_params_t *p, const int8_t *x,
                             const int8_t *filter, const int32_t *bias, int8_t *y)
{
    const int32_t depth = p->accum_depth;
    for (int32_t o = 0; o < p->output_depth; ++o) {
        const int8_t *w = filter + (size_t)o * depth;
        int32_t acc = 0;
        for (int32_t k = 0; k < depth; ++k) {
            acc += ((int32_t)w[k] + p->filter_offset) * ((int32_t)x[k] + p->input_offset);
        }
        if (bias != NULL) {
            acc = tflm_wrap_add(acc, bias[o]);
        }
        y[o] = fc_output(p, acc, o);
    }
}

#if TFLM_PY_USE_SSE2
/* ---- the x86 path (SSE2, the x86-64 baseline), no weight zero point: the input row is
 * widened once to int16 with the input offset added; per block of four filters each group
 * of 16 weights is widened (sign mask and two unpacks) and multiplied in with PMADDWD (four
 * int32 accumulators in registers, summed across lanes at the end), a last group of 8 the
 * same way, the depth's last (< 8) values in scalar C; up to FC_X86_CHUNK outputs are then
 * requantised at once (tflm_requantize_run_prep_sse2 with the operands prepared once). */
#define FC_X86_DEPTH 2048   /* the widened row lives on the stack */
#define FC_X86_CHUNK 64

static TFLM_PY_INLINE __m128i fc_w8_sse2(const int8_t *w)
{
    const __m128i v = _mm_loadl_epi64((const __m128i *)(const void *)w);
    return _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8);
}

/* a += the products of the 16 int16 inputs xl, xh with the 16 weights at w */
static TFLM_PY_INLINE __m128i fc_mac16_sse2(__m128i a, __m128i xl, __m128i xh, const int8_t *w)
{
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)w);
    const __m128i s = _mm_cmpgt_epi8(_mm_setzero_si128(), v);
    a = _mm_add_epi32(a, _mm_madd_epi16(xl, _mm_unpacklo_epi8(v, s)));
    return _mm_add_epi32(a, _mm_madd_epi16(xh, _mm_unpackhi_epi8(v, s)));
}

static TFLM_PY_NOINLINE void fc_dot_sse2(const int16_t *x, const int8_t *w, int32_t depth,
                                         int32_t n, int32_t *acc)
{
    const int32_t d16 = depth & ~15, d8 = depth & ~7;
    int32_t o = 0;
    for (; o + 4 <= n; o += 4) {
        const int8_t *w0 = w + (size_t)o * depth;
        const int8_t *w1 = w0 + depth;
        const int8_t *w2 = w1 + depth;
        const int8_t *w3 = w2 + depth;
        __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
        int32_t k = 0;
        for (; k < d16; k += 16) {
            const __m128i xl = _mm_loadu_si128((const __m128i *)(const void *)(x + k));
            const __m128i xh = _mm_loadu_si128((const __m128i *)(const void *)(x + k + 8));
            a0 = fc_mac16_sse2(a0, xl, xh, w0 + k);
            a1 = fc_mac16_sse2(a1, xl, xh, w1 + k);
            a2 = fc_mac16_sse2(a2, xl, xh, w2 + k);
            a3 = fc_mac16_sse2(a3, xl, xh, w3 + k);
        }
        if (k < d8) {
            const __m128i xv = _mm_loadu_si128((const __m128i *)(const void *)(x + k));
            a0 = _mm_add_epi32(a0, _mm_madd_epi16(xv, fc_w8_sse2(w0 + k)));
            a1 = _mm_add_epi32(a1, _mm_madd_epi16(xv, fc_w8_sse2(w1 + k)));
            a2 = _mm_add_epi32(a2, _mm_madd_epi16(xv, fc_w8_sse2(w2 + k)));
            a3 = _mm_add_epi32(a3, _mm_madd_epi16(xv, fc_w8_sse2(w3 + k)));
        }
        const __m128i t0 = _mm_add_epi32(_mm_unpacklo_epi32(a0, a1), _mm_unpackhi_epi32(a0, a1));
        const __m128i t1 = _mm_add_epi32(_mm_unpacklo_epi32(a2, a3), _mm_unpackhi_epi32(a2, a3));
        _mm_storeu_si128((__m128i *)(void *)(acc + o),
                         _mm_add_epi32(_mm_unpacklo_epi64(t0, t1), _mm_unpackhi_epi64(t0, t1)));
        for (k = d8; k < depth; ++k) {
            acc[o] += x[k] * w0[k];
            acc[o + 1] += x[k] * w1[k];
            acc[o + 2] += x[k] * w2[k];
            acc[o + 3] += x[k] * w3[k];
        }
    }
    for (; o < n; ++o) {
        const int8_t *w0 = w + (size_t)o * depth;
        int32_t s0 = 0;
        for (int32_t k = 0; k < depth; ++k) {
            s0 += x[k] * w0[k];
        }
        acc[o] = s0;
    }
}

static void fc_x86_row(const tflm_fully_connected_params_t *p, const int8_t *x,
                       const int8_t *filter, const int32_t *bias, int8_t *y)
{
    const int32_t depth = p->accum_depth;
    const int32_t d16 = depth & ~15;   /* a trip count gcc -O2 vectorises */
    int16_t xw[FC_X86_DEPTH];
    int32_t acc[FC_X86_CHUNK];
    tflm_rq_t r;
    r.multipliers = p->multipliers;
    r.shifts = p->shifts;
    r.per_channel = p->per_channel;
    r.output_offset = p->output_offset;
    r.act_min = p->act_min;
    r.act_max = p->act_max;
    for (int32_t k = 0; k < d16; ++k) {
        xw[k] = (int16_t)(x[k] + p->input_offset);
    }
    for (int32_t k = d16; k < depth; ++k) {
        xw[k] = (int16_t)(x[k] + p->input_offset);
    }
    int32_t pk[4 * TFLM_RQ_PREP_MAX];
    tflm_rq_prep_t q;
    const int prep = p->small_acc && p->output_depth <= TFLM_RQ_PREP_MAX;
    tflm_rq_prepare_sse2(&r, prep ? p->output_depth : 0, pk, &q);
    for (int32_t o0 = 0; o0 < p->output_depth; o0 += FC_X86_CHUNK) {
        const int32_t n = TFLM_MIN(FC_X86_CHUNK, p->output_depth - o0);
        fc_dot_sse2(xw, filter + (size_t)o0 * depth, depth, n, acc);
        if (prep) {
            tflm_requantize_run_prep_sse2(&q, acc, bias, o0, n, y + o0);
        } else {
            tflm_requantize_run(&r, p->small_acc, acc, bias, o0, n, y + o0);
        }
    }
}
#endif /* TFLM_PY_USE_SSE2 */

#if !TFLM_PY_USE_DSP
static void fc_portable_row(const tflm_fully_connected_params_t *p, const int8_t *x,
                            const int8_t *filter, const int32_t *bias, int8_t *y)
{
    const int32_t depth = p->accum_depth;
    const int32_t depth16 = depth & ~15;
    const int32_t in_offset = p->input_offset;
    int32_t o = 0;
    for (; o + 4 <= p->output_depth; o += 4) {
        const int8_t *w0 = filter + (size_t)o * depth;
        int32_t s0, s1, s2, s3;
        tflm_dot4_s8(x, in_offset, w0, depth, &s0, &s1, &s2, &s3);
        if (bias != NULL) {
            s0 = tflm_wrap_add(s0, bias[o]);
            s1 = tflm_wrap_add(s1, bias[o + 1]);
            s2 = tflm_wrap_add(s2, bias[o + 2]);
            s3 = tflm_wrap_add(s3, bias[o + 3]);
        }
        y[o] = fc_output(p, s0, o);
        y[o + 1] = fc_output(p, s1, o + 1);
        y[o + 2] = fc_output(p, s2, o + 2);
        y[o + 3] = fc_output(p, s3, o + 3);
    }
    for (; o < p->output_depth; ++o) {
        const int8_t *w0 = filter + (size_t)o * depth;
        int32_t s0 = 0;
        for (int32_t k = 0; k < depth16; ++k) {
            const int16_t xv = (int16_t)(x[k] + in_offset);
            s0 += xv * w0[k];
        }
        for (int32_t k = depth16; k < depth; ++k) {
            s0 += (x[k] + in_offset) * w0[k];
        }
        if (bias != NULL) {
            s0 = tflm_wrap_add(s0, bias[o]);
        }
        y[o] = fc_output(p, s0, o);
    }
}
#endif /* !TFLM_PY_USE_DSP */

#if TFLM_PY_USE_DSP
/* two filter rows against raw int8 x, 8 values per step (steps >= 1) */
static TFLM_PY_NOINLINE void fc_dsp_dot2(const int8_t *x, const int8_t *w0, const int8_t *w1,
                                         int32_t steps, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1];
    do {
        int32_t xv = tflm_load_s32(x);
        int32_t x02 = __sxtb16(xv), x13 = tflm_sxtb16_ror8(xv);
        int32_t wv = tflm_load_s32(w0);
        a0 = __smlad(__sxtb16(wv), x02, a0);
        a0 = __smlad(tflm_sxtb16_ror8(wv), x13, a0);
        wv = tflm_load_s32(w1);
        a1 = __smlad(__sxtb16(wv), x02, a1);
        a1 = __smlad(tflm_sxtb16_ror8(wv), x13, a1);
        xv = tflm_load_s32(x + 4);
        x02 = __sxtb16(xv);
        x13 = tflm_sxtb16_ror8(xv);
        wv = tflm_load_s32(w0 + 4);
        a0 = __smlad(__sxtb16(wv), x02, a0);
        a0 = __smlad(tflm_sxtb16_ror8(wv), x13, a0);
        wv = tflm_load_s32(w1 + 4);
        a1 = __smlad(__sxtb16(wv), x02, a1);
        a1 = __smlad(tflm_sxtb16_ror8(wv), x13, a1);
        x += 8;
        w0 += 8;
        w1 += 8;
    } while (--steps != 0);
    acc[0] = a0;
    acc[1] = a1;
}

/* four filter rows (w0, w0 + depth, w0 + 2 depth, w0 + 3 depth) against raw int8 x, 4 values
 * per step (quads >= 1): the x word is widened once (two SXTB16) for the four rows, each row
 * word feeds 2 SMLAD: 16 MACs in 25 instructions. 13 registers; with gcc the loop is
 * written out (its own allocation of the intrinsics spills at -Os). */
static TFLM_PY_NOINLINE void fc_dsp_dot4(const int8_t *x, const int8_t *w0, int32_t depth,
                                         int32_t quads, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const int8_t *w2 = w0 + 2 * depth;
#if defined(__GNUC__) && defined(__OPTIMIZE__)
    int32_t xa, xb, wv, wu;
    __asm__ volatile(
        "1:\n\t"
        "ldr    %[xa], [%[px]], #4\n\t"
        "sxtb16 %[xb], %[xa], ror #8\n\t"
        "sxtb16 %[xa], %[xa]\n\t"
        "ldr    %[wv], [%[p0], %[rd]]\n\t"
        "sxtb16 %[wu], %[wv], ror #8\n\t"
        "sxtb16 %[wv], %[wv]\n\t"
        "smlad  %[a1], %[wv], %[xa], %[a1]\n\t"
        "smlad  %[a1], %[wu], %[xb], %[a1]\n\t"
        "ldr    %[wv], [%[p2], %[rd]]\n\t"
        "sxtb16 %[wu], %[wv], ror #8\n\t"
        "sxtb16 %[wv], %[wv]\n\t"
        "smlad  %[a3], %[wv], %[xa], %[a3]\n\t"
        "smlad  %[a3], %[wu], %[xb], %[a3]\n\t"
        "ldr    %[wv], [%[p0]], #4\n\t"
        "sxtb16 %[wu], %[wv], ror #8\n\t"
        "sxtb16 %[wv], %[wv]\n\t"
        "smlad  %[a0], %[wv], %[xa], %[a0]\n\t"
        "smlad  %[a0], %[wu], %[xb], %[a0]\n\t"
        "ldr    %[wv], [%[p2]], #4\n\t"
        "sxtb16 %[wu], %[wv], ror #8\n\t"
        "sxtb16 %[wv], %[wv]\n\t"
        "smlad  %[a2], %[wv], %[xa], %[a2]\n\t"
        "smlad  %[a2], %[wu], %[xb], %[a2]\n\t"
        "subs   %[cnt], %[cnt], #1\n\t"
        "bne    1b\n\t"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [px] "+r"(x),
          [p0] "+r"(w0), [p2] "+r"(w2), [cnt] "+r"(quads), [xa] "=&r"(xa), [xb] "=&r"(xb),
          [wv] "=&r"(wv), [wu] "=&r"(wu)
        : [rd] "r"(depth)
        : "cc", "memory");
#else
    const int8_t *w1 = w0 + depth, *w3 = w2 + depth;
    do {
        const int32_t xv = tflm_load_s32(x);
        const int32_t x02 = __sxtb16(xv), x13 = tflm_sxtb16_ror8(xv);
        int32_t wv = tflm_load_s32(w0);
        a0 = __smlad(__sxtb16(wv), x02, __smlad(tflm_sxtb16_ror8(wv), x13, a0));
        wv = tflm_load_s32(w1);
        a1 = __smlad(__sxtb16(wv), x02, __smlad(tflm_sxtb16_ror8(wv), x13, a1));
        wv = tflm_load_s32(w2);
        a2 = __smlad(__sxtb16(wv), x02, __smlad(tflm_sxtb16_ror8(wv), x13, a2));
        wv = tflm_load_s32(w3);
        a3 = __smlad(__sxtb16(wv), x02, __smlad(tflm_sxtb16_ror8(wv), x13, a3));
        x += 4;
        w0 += 4;
        w1 += 4;
        w2 += 4;
        w3 += 4;
    } while (--quads != 0);
#endif
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

#define FC_DSP_CHUNK 64   /* outputs requantised together (int32 on the stack) */

static void fc_dsp_row(const tflm_fully_connected_params_t *p, const tflm_rq_dsp_t *rq,
                       const int8_t *x, const int8_t *filter, int8_t *y)
{
    const int32_t depth = p->accum_depth, out_depth = p->output_depth;
    const int32_t steps = depth >> 3;
    const int32_t done = steps * 8;
    const int32_t quads = depth >> 2;
    const int32_t *folded = p->folded_bias;
    int32_t acc[FC_DSP_CHUNK];
    for (int32_t c0 = 0; c0 < out_depth; c0 += FC_DSP_CHUNK) {
        const int32_t n = TFLM_MIN(FC_DSP_CHUNK, out_depth - c0);
        int32_t j = 0;
        if (quads > 0) {
            for (; j + 4 <= n; j += 4) {   /* four rows per pass over x */
                const int32_t o = c0 + j;
                const int8_t *w0 = filter + (size_t)o * depth;
                int32_t *a = acc + j;
                a[0] = folded[o];
                a[1] = folded[o + 1];
                a[2] = folded[o + 2];
                a[3] = folded[o + 3];
                fc_dsp_dot4(x, w0, depth, quads, a);
                for (int32_t k = quads * 4; k < depth; ++k) {
                    const int32_t xv = x[k];
                    a[0] += xv * w0[k];
                    a[1] += xv * w0[depth + k];
                    a[2] += xv * w0[2 * depth + k];
                    a[3] += xv * w0[3 * depth + k];
                }
            }
        }
        for (; j < n; j += 2) {
            const int32_t o = c0 + j;
            const int two = j + 1 < n;
            const int8_t *w0 = filter + (size_t)o * depth;
            const int8_t *w1 = two ? w0 + depth : w0;
            int32_t a[2] = {folded[o], folded[two ? o + 1 : o]};
            if (steps > 0) {
                fc_dsp_dot2(x, w0, w1, steps, a);
            }
            for (int32_t k = done; k < depth; ++k) {
                a[0] += x[k] * w0[k];
                a[1] += x[k] * w1[k];
            }
            acc[j] = a[0];
            acc[j + 1] = a[1];   /* the chunk is even: index j + 1 exists */
        }
        tflm_requantize_run_dsp(rq, acc, c0, n, y + c0);
    }
}
#endif /* TFLM_PY_USE_DSP */

/* one input row, no weight zero point (and on Cortex-M a folded bias): the target's fast
 * path */
static TFLM_PY_INLINE void fc_fast_row(const tflm_fully_connected_params_t *p, const int8_t *x,
                                       const int8_t *filter, const int32_t *bias, int8_t *y)
{
#if TFLM_PY_USE_DSP
    tflm_rq_dsp_t rq;
    rq.multipliers = p->multipliers;
    rq.shifts = p->shifts;
    rq.per_channel = p->per_channel;
    rq.output_offset = p->output_offset;
    rq.act_min = p->act_min;
    rq.act_max = p->act_max;
    rq.small_acc = p->small_acc;
    (void)bias;
    fc_dsp_row(p, &rq, x, filter, y);
#else
#if TFLM_PY_USE_SSE2
    if (p->accum_depth <= FC_X86_DEPTH) {
        fc_x86_row(p, x, filter, bias, y);
        return;
    }
#endif
    fc_portable_row(p, x, filter, bias, y);
#endif
}

#if !TFLM_PY_USE_DSP
/* raw inputs and the folded bias: sum_k x w + (bias + input_offset sum_k w) wraps to the
 * same int32 as sum_k (x + input_offset) w + bias */
static TFLM_PY_INLINE void fc_folded_row(const tflm_fully_connected_params_t *p,
                                         const int8_t *x, const int8_t *filter, int8_t *y)
{
    tflm_fully_connected_params_t q = *p;
    q.input_offset = 0;
    fc_fast_row(&q, x, filter, p->folded_bias, y);
}
#endif

void tflm_fully_connected_s8(const tflm_fully_connected_params_t *p, const int8_t *input,
                             const int8_t *filter, const int32_t *bias, int8_t *output)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = input + (size_t)b * p->accum_depth;
        int8_t *y = output + (size_t)b * p->output_depth;
        if (p->filter_offset != 0 || (TFLM_PY_USE_DSP && p->folded_bias == NULL)) {
            /* a weight zero point; or no folded bias given for the DSP path */
            fc_reference_row(p, x, filter, bias, y);
            continue;
        }
        fc_fast_row(p, x, filter, bias, y);
    }
}

void tflm_fully_connected_fast_s8(const tflm_fully_connected_params_t *p,
                                  const int8_t *input, const int8_t *filter,
                                  const int32_t *bias, int8_t *output)
{
    (void)bias;
    for (int32_t b = 0; b < p->batches; ++b) {
#if TFLM_PY_USE_DSP
        fc_fast_row(p, input + (size_t)b * p->accum_depth, filter, NULL,
                    output + (size_t)b * p->output_depth);
#else
        fc_folded_row(p, input + (size_t)b * p->accum_depth, filter,
                      output + (size_t)b * p->output_depth);
#endif
    }
}
