/* DEQUANTIZE int8/int16/uint8 -> float32: scale * (x - zero point), as TFLM's reference kernel.
 * Parameters are computed by tflm_py/ops/dequantize.py (prepare). */
#ifndef TFLM_DEQUANTIZE_H
#define TFLM_DEQUANTIZE_H

#include "tflm_common.h"

typedef struct {
    int32_t size;
    float scale;
    int32_t zero_point;
} tflm_dequantize_params_t;

void tflm_dequantize_s8_f32(const tflm_dequantize_params_t *p, const int8_t *input,
                            float *output);
void tflm_dequantize_s16_f32(const tflm_dequantize_params_t *p, const int16_t *input,
                             float *output);
void tflm_dequantize_u8_f32(const tflm_dequantize_params_t *p, const uint8_t *input,
                            float *output);

#endif /* TFLM_DEQUANTIZE_H */
