/* L2_NORMALIZATION of int8 rows (the last dimension), as TFLM's reference integer kernel:
 * output in steps of 1/128. Parameters are computed by tflm_py/ops/l2_normalization.py. */
#ifndef TFLM_L2_NORMALIZATION_H
#define TFLM_L2_NORMALIZATION_H

#include "tflm_common.h"

typedef struct {
    int32_t outer;          /* rows */
    int32_t depth;          /* elements per row */
    int32_t input_offset;   /* -input zero point */
} tflm_l2_normalization_params_t;

/* output must not overlap input */
void tflm_l2_normalization_s8(const tflm_l2_normalization_params_t *p, const int8_t *input,
                              int8_t *output);

#endif /* TFLM_L2_NORMALIZATION_H */
