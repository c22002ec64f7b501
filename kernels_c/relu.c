/* RELU / RELU6 kernels: see relu.h and tflm_py/ops/activations.py. */
#include "relu.h"

void tflm_relu_s8(const tflm_relu_params_t *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t y = tflm_requantize(input[i] - p->input_offset, p->output_multiplier,
                                          p->output_shift) + p->output_offset;
        output[i] = (int8_t)TFLM_CLAMP(y, p->act_min, p->act_max);
    }
}

void tflm_relu6_s8(const tflm_relu6_params_t *p, const int8_t *input, int8_t *output)
{
    const int8_t lower = (int8_t)p->lower;
    const int8_t upper = (int8_t)p->upper;
    for (int32_t i = 0; i < p->size; ++i) {
        const int8_t x = input[i];
        output[i] = x > upper ? upper : (x < lower ? lower : x);
    }
}

void tflm_relu_s16(const tflm_relu_params_t *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t y = tflm_requantize(input[i] - p->input_offset, p->output_multiplier,
                                          p->output_shift) + p->output_offset;
        output[i] = (int16_t)TFLM_CLAMP(y, p->act_min, p->act_max);
    }
}

void tflm_relu6_s16(const tflm_relu6_params_t *p, const int16_t *input, int16_t *output)
{
    const int16_t lower = (int16_t)p->lower;
    const int16_t upper = (int16_t)p->upper;
    for (int32_t i = 0; i < p->size; ++i) {
        const int16_t x = input[i];
        output[i] = x > upper ? upper : (x < lower ? lower : x);
    }
}
