/* FULLY_CONNECTED 16x8: acc = sum_k (w + filter_offset) * x (no activation zero points),
 * + bias, requantised per output (tflm_rq16_out). The weight offset, when there is one,
 * is applied as filter_offset * sum_k x, once per row.
 *
 * Memory-order contract (the planner's overlap rule, tflm_py/ops/_overlap.py): output rows
 * are written in ascending order, row b after reading only input row b. */
#include "fully_connected_s16.h"

void tflm_fully_connected_s16(const tflm_fully_connected_s16_params_t *p,
                              const int16_t *input, const int8_t *filter, const void *bias,
                              int16_t *output)
{
    const int32_t depth = p->accum_depth;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int16_t *x = input + (size_t)b * depth;
        int16_t *y = output + (size_t)b * p->output_depth;
        int64_t x_sum = 0;
        if (p->filter_offset != 0) {
            for (int32_t k = 0; k < depth; ++k) {
                x_sum += x[k];
            }
        }
        const int64_t offset_term = x_sum * p->filter_offset;
        for (int32_t o = 0; o < p->output_depth; ++o) {
            const int64_t sum = tflm_dot_s16_s8(x, filter + (size_t)o * depth, depth);
            y[o] = tflm_rq16_out(&p->rq, sum + offset_term, bias, o);
        }
    }
}

void tflm_fully_connected_s16_fast(const tflm_fully_connected_s16_params_t *p,
                                   const int16_t *input, const int16_t *filter16,
                                   int16_t *output)
{
    const int32_t depth = p->accum_depth;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int16_t *x = input + (size_t)b * depth;
        int16_t *y = output + (size_t)b * p->output_depth;
        int32_t o = 0;
        /* two outputs at a time: one word of two inputs feeds both rows' SMLAD */
        for (; o + 2 <= p->output_depth; o += 2) {
            const int16_t *w0 = filter16 + (size_t)o * depth;
            const int16_t *w1 = w0 + depth;
            int32_t s0 = 0, s1 = 0;
            int32_t k = 0;
#if TFLM_PY_USE_DSP
            for (; k + 2 <= depth; k += 2) {
                const int32_t xv = tflm_load_s32(x + k);
                s0 = __smlad(xv, tflm_load_s32(w0 + k), s0);
                s1 = __smlad(xv, tflm_load_s32(w1 + k), s1);
            }
#endif
            for (; k < depth; ++k) {
                s0 += x[k] * w0[k];
                s1 += x[k] * w1[k];
            }
            y[o] = tflm_rq16_out32(&p->rq, s0, o);
            y[o + 1] = tflm_rq16_out32(&p->rq, s1, o + 1);
        }
        for (; o < p->output_depth; ++o) {
            const int16_t *w = filter16 + (size_t)o * depth;
            int32_t s = 0;
            for (int32_t k = 0; k < depth; ++k) {
                s += x[k] * w[k];
            }
            y[o] = tflm_rq16_out32(&p->rq, s, o);
        }
    }
}

/* (x . w0, x . w1) over n elements: w0, w1 rows of filter8 (groups of four as 0, 2, 1, 3).
 * Cortex-M DSP: per four elements two words of inputs, one word of each row widened by
 * SXTB16 into two pairs, four SMLAD (in assembly: -Os keeps the C loop's pointers on the
 * stack); the last n % 4 elements in C. */
static TFLM_PY_NOINLINE void fc16_dot2(const int16_t *x, const int8_t *w0, const int8_t *w1,
                                     int32_t n, int32_t *s)
{
    int32_t a = 0, b = 0;
    int32_t quads = n >> 2;
#if TFLM_PY_USE_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
    if (quads > 0) {
        int32_t x0, x1, t, u;
        __asm__ volatile(
            "1:\n\t"
            "ldr    %[x0], [%[px]], #4\n\t"
            "ldr    %[x1], [%[px]], #4\n\t"
            "ldr    %[t], [%[w0]], #4\n\t"
            "sxtb16 %[u], %[t]\n\t"
            "sxtb16 %[t], %[t], ror #8\n\t"
            "smlad  %[a], %[x0], %[u], %[a]\n\t"
            "smlad  %[a], %[x1], %[t], %[a]\n\t"
            "ldr    %[t], [%[w1]], #4\n\t"
            "sxtb16 %[u], %[t]\n\t"
            "sxtb16 %[t], %[t], ror #8\n\t"
            "smlad  %[b], %[x0], %[u], %[b]\n\t"
            "smlad  %[b], %[x1], %[t], %[b]\n\t"
            "subs   %[cnt], %[cnt], #1\n\t"
            "bne    1b\n\t"
            : [a] "+r"(a), [b] "+r"(b), [px] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1),
              [cnt] "+r"(quads), [x0] "=&r"(x0), [x1] "=&r"(x1), [t] "=&r"(t), [u] "=&r"(u)
            :
            : "cc", "memory");
    }
#else
    for (; quads > 0; --quads, x += 4, w0 += 4, w1 += 4) {
        a += x[0] * w0[0] + x[1] * w0[2] + x[2] * w0[1] + x[3] * w0[3];
        b += x[0] * w1[0] + x[1] * w1[2] + x[2] * w1[1] + x[3] * w1[3];
    }
#endif
    /* the last group's first n % 4 elements (stored 0, 2, 1, 3 like the others) */
    static const int8_t order[3] = {0, 2, 1};
    for (int32_t k = 0; k < (n & 3); ++k) {
        a += x[k] * w0[order[k]];
        b += x[k] * w1[order[k]];
    }
    s[0] = a;
    s[1] = b;
}

void tflm_fully_connected_s16_s8w(const tflm_fully_connected_s16_params_t *p,
                                  const int16_t *input, const int8_t *filter8,
                                  int16_t *output)
{
    const int32_t depth = p->accum_depth;
    const int32_t row = TFLM_FULLY_CONNECTED_S16_ROW(depth);
    for (int32_t b = 0; b < p->batches; ++b) {
        const int16_t *x = input + (size_t)b * depth;
        int16_t *y = output + (size_t)b * p->output_depth;
        /* two outputs at a time (a lone last one twice) */
        for (int32_t o = 0; o < p->output_depth; o += 2) {
            const int8_t *w0 = filter8 + (size_t)o * row;
            const int32_t pair = o + 1 < p->output_depth;
            int32_t s[2];
            fc16_dot2(x, w0, pair ? w0 + row : w0, depth, s);
            y[o] = tflm_rq16_out32(&p->rq, s[0], o);
            if (pair) {
                y[o + 1] = tflm_rq16_out32(&p->rq, s[1], o + 1);
            }
        }
    }
}
