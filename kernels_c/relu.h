/* RELU (requantizing) and RELU6 (clamp in the input's quantization) on int8 / int16 tensors.
 * Parameters are computed by tflm_py/ops/activations.py (prepare). */
#ifndef TFLM_RELU_H
#define TFLM_RELU_H

#include "tflm_common.h"

typedef struct {
    int32_t size;
    int32_t input_offset;   /* input zero point */
    int32_t output_offset;  /* output zero point */
    int32_t output_multiplier;
    int32_t output_shift;
    int32_t act_min;
    int32_t act_max;
} tflm_relu_params_t;

typedef struct {
    int32_t size;
    int32_t lower;  /* quantized 0 */
    int32_t upper;  /* quantized 6 */
} tflm_relu6_params_t;

/* output may be the same buffer as input */
void tflm_relu_s8(const tflm_relu_params_t *p, const int8_t *input, int8_t *output);
void tflm_relu6_s8(const tflm_relu6_params_t *p, const int8_t *input, int8_t *output);
void tflm_relu_s16(const tflm_relu_params_t *p, const int16_t *input, int16_t *output);
void tflm_relu6_s16(const tflm_relu6_params_t *p, const int16_t *input, int16_t *output);

#endif /* TFLM_RELU_H */
