/* TANH, int8 -> int8, as a lookup in a 256-entry table that the generator computes with
 * TFLM's exact fixed-point arithmetic (tflm_py/ops/tanh.py). Each element is read before the
 * same element is written, so output may alias input. */
#ifndef TFLM_TANH_H
#define TFLM_TANH_H

#include "tflm_common.h"

typedef struct {
    const int8_t *lut;   /* lut[x + 128] is the output for input x */
    int32_t size;        /* number of elements */
} tflm_tanh_params_t;

void tflm_tanh_s8(const tflm_tanh_params_t *p, const int8_t *input, int8_t *output);

#endif /* TFLM_TANH_H */
