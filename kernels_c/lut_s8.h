/* An int8 -> int8 element-wise function as a lookup in a 256-entry table that the generator
 * computes with TFLM's exact fixed-point arithmetic (LOGISTIC: tflm_py/ops/logistic.py, TANH:
 * tflm_py/ops/tanh.py). Each element is read before the same element is written, so output
 * may alias input. */
#ifndef TFLM_LUT_S8_H
#define TFLM_LUT_S8_H

#include "tflm_common.h"

typedef struct {
    const int8_t *lut;   /* lut[x + 128] is the output for input x */
    int32_t size;        /* number of elements */
} tflm_lut_s8_params_t;

void tflm_lut_s8(const tflm_lut_s8_params_t *p, const int8_t *input, int8_t *output);

#endif /* TFLM_LUT_S8_H */
