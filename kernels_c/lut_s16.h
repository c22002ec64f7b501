/* An int16 -> int16 element-wise function as a lookup in a 65536-entry table the generator
 * computes (a float32 island of a 16x8 model: tflm_py/passes/float_islands.py). Each element
 * is read before the same element is written, so output may alias input. */
#ifndef TFLM_LUT_S16_H
#define TFLM_LUT_S16_H

#include "tflm_common.h"

typedef struct {
    const int16_t *lut;  /* lut[x + 32768] is the output for input x */
    int32_t size;        /* number of elements */
} tflm_lut_s16_params_t;

void tflm_lut_s16(const tflm_lut_s16_params_t *p, const int16_t *input, int16_t *output);

#endif /* TFLM_LUT_S16_H */
