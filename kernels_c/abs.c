/* ABS kernels: see abs.h. */
#include "abs.h"

static inline int32_t abs_quantized(const tflm_abs_params_t *p, int32_t x)
{
    int32_t v = x - p->input_offset;
    v = v < 0 ? -v : v;
    if (p->rescale) {
        v = tflm_requantize(v, p->multiplier, p->shift);
    }
    return v + p->output_offset;
}

void tflm_abs_s8(const tflm_abs_params_t *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = tflm_sat_s8(abs_quantized(p, input[i]));
    }
}

void tflm_abs_s16(const tflm_abs_params_t *p, const int16_t *input, int16_t *output)
{
    if (!p->quantized) {
        for (int32_t i = 0; i < p->size; ++i) {
            const int32_t v = input[i] < 0 ? -(int32_t)input[i] : input[i];
            output[i] = (int16_t)(uint16_t)(uint32_t)v;
        }
        return;
    }
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = tflm_sat_s16(abs_quantized(p, input[i]));
    }
}
