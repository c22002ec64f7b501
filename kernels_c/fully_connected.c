#include "fully_connected.h"

void tflm_fully_connected_s8(const tflm_fully_connected_params_t *p, const int8_t *input,
                             const int8_t *filter, const int32_t *bias, int8_t *output)
{
    const int32_t depth = p->accum_depth;
    const int32_t out_depth = p->output_depth;
    const int32_t in_offset = p->input_offset;
    const int32_t w_offset = p->filter_offset;

    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = input + (size_t)b * depth;
        int8_t *y = output + (size_t)b * out_depth;
        for (int32_t o = 0; o < out_depth; ++o) {
            const int8_t *w = filter + (size_t)o * depth;
            int32_t acc = 0;
            for (int32_t k = 0; k < depth; ++k) {
                acc += ((int32_t)w[k] + w_offset) * ((int32_t)x[k] + in_offset);
            }
            if (bias != NULL) {
                acc += bias[o];
            }
            const int32_t q = p->per_channel ? o : 0;
            acc = tflm_requantize(acc, p->multipliers[q], p->shifts[q]);
            acc += p->output_offset;
            y[o] = (int8_t)TFLM_CLAMP(acc, p->act_min, p->act_max);
        }
    }
}
