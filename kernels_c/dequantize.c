/* DEQUANTIZE kernels: see dequantize.h and tflm_py/ops/dequantize.py. */
#include "dequantize.h"

void tflm_dequantize_s8_f32(const tflm_dequantize_params_t *p, const int8_t *input,
                            float *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = p->scale * (float)(input[i] - p->zero_point);
    }
}

void tflm_dequantize_s16_f32(const tflm_dequantize_params_t *p, const int16_t *input,
                             float *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = p->scale * (float)(input[i] - p->zero_point);
    }
}

void tflm_dequantize_u8_f32(const tflm_dequantize_params_t *p, const uint8_t *input,
                            float *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = p->scale * (float)((int32_t)input[i] - p->zero_point);
    }
}
