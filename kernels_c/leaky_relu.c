/* LEAKY_RELU kernel: see leaky_relu.h and tflm_py/ops/leaky_relu.py. */
#include "leaky_relu.h"

void tflm_leaky_relu_s8(const tflm_leaky_relu_params_t *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t v = input[i] - p->input_offset;
        const int32_t scaled = v >= 0
            ? tflm_requantize(v, p->multiplier_identity, p->shift_identity)
            : tflm_requantize(v, p->multiplier_alpha, p->shift_alpha);
        output[i] = tflm_sat_s8(scaled + p->output_offset);
    }
}

void tflm_leaky_relu_s16(const tflm_leaky_relu_params_t *p, const int16_t *input,
                         int16_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t v = input[i] - p->input_offset;
        const int32_t scaled = v >= 0
            ? tflm_requantize(v, p->multiplier_identity, p->shift_identity)
            : tflm_requantize(v, p->multiplier_alpha, p->shift_alpha);
        output[i] = tflm_sat_s16(scaled + p->output_offset);
    }
}
