/* L2_NORMALIZATION kernel: see l2_normalization.h. */
#include "l2_normalization.h"

#include "fixedpoint_math.h"

void tflm_l2_normalization_s8(const tflm_l2_normalization_params_t *p, const int8_t *input,
                              int8_t *output)
{
    for (int32_t r = 0; r < p->outer; ++r) {
        const int8_t *x = input + (size_t)r * (size_t)p->depth;
        int8_t *y = output + (size_t)r * (size_t)p->depth;
        int32_t acc = 0;
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t v = x[c] + p->input_offset;
            acc += v * v;
        }
        int32_t m, e;
        tflm_fp_inv_sqrt(acc, &m, &e);
        for (int32_t c = 0; c < p->depth; ++c) {
            y[c] = tflm_sat_s8(tflm_requantize(x[c] + p->input_offset, m, e + 7));
        }
    }
}
