/* ADD_N, int8: the element-wise sum of `count` tensors of one quantization, with TFLM's
 * ADD-style rescale (left shift 20). Parameters: tflm_py/ops/add_n.py (prepare). */
#ifndef TFLM_ADD_N_H
#define TFLM_ADD_N_H

#include "tflm_common.h"

typedef struct {
    int32_t size;        /* elements of every tensor */
    int32_t count;       /* number of inputs, >= 2 */
    int32_t input_offset;                    /* minus the inputs' zero point */
    int32_t input_multiplier, input_shift;   /* shift <= 0 */
    int32_t output_multiplier, output_shift; /* shift <= 0 */
    int32_t output_offset;
} tflm_add_n_params_t;

/* output may be the buffer of any input */
void tflm_add_n_s8(const tflm_add_n_params_t *p, const int8_t *const *inputs, int8_t *output);

#endif /* TFLM_ADD_N_H */
