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
