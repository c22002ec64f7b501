/* An int8 -> float32 element-wise function as a lookup in a 256-entry float table that the
 * generator computes with TFLM's float32 arithmetic (a float island ending at a float32 graph
 * output: tflm_py/passes/float_islands.py). The kernel copies table entries; it does no float
 * arithmetic. */
#ifndef TFLM_LUT_S8_F32_H
#define TFLM_LUT_S8_F32_H

#include "tflm_common.h"

typedef struct {
    const float *lut;    /* lut[x + 128] is the output for input x */
    int32_t size;        /* number of elements */
} tflm_lut_s8_f32_params_t;

void tflm_lut_s8_f32(const tflm_lut_s8_f32_params_t *p, const int8_t *input, float *output);

#endif /* TFLM_LUT_S8_F32_H */
