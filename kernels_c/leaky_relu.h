/* LEAKY_RELU on int8 / int16 tensors with TFLM's two-multiplier arithmetic.
 * Parameters are computed by tflm_py/ops/leaky_relu.py (prepare). */
#ifndef TFLM_LEAKY_RELU_H
#define TFLM_LEAKY_RELU_H

#include "tflm_common.h"

typedef struct {
    int32_t size;
    int32_t input_offset;         /* input zero point */
    int32_t output_offset;        /* output zero point */
    int32_t multiplier_identity;  /* for x >= input zero point */
    int32_t shift_identity;
    int32_t multiplier_alpha;     /* for x < input zero point; may be negative */
    int32_t shift_alpha;
} tflm_leaky_relu_params_t;

/* output may be the same buffer as input */
void tflm_leaky_relu_s8(const tflm_leaky_relu_params_t *p, const int8_t *input, int8_t *output);
void tflm_leaky_relu_s16(const tflm_leaky_relu_params_t *p, const int16_t *input,
                         int16_t *output);

#endif /* TFLM_LEAKY_RELU_H */
