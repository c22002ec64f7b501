/* CONCATENATION of any element type as a byte copy (TFLM micro does not requantize: its int8
 * inputs must share the output's scale and zero point, checked in Python).
 * The output is `outer` repetitions of [slice of input 0][slice of input 1]...; the slice of
 * input i is copy_bytes[i] contiguous bytes (its dims from the axis on, times element size). */
#ifndef TFLM_CONCATENATION_H
#define TFLM_CONCATENATION_H

#include "tflm_common.h"

typedef struct {
    int32_t num_inputs;
    int32_t outer;              /* product of the output dims before the axis */
    const int32_t *copy_bytes;  /* num_inputs entries */
} tflm_concatenation_params_t;

void tflm_concatenation(const tflm_concatenation_params_t *p, const void *const *inputs,
                        void *output);

#endif /* TFLM_CONCATENATION_H */
