/* CUMSUM, int8: running sums along one axis with TFLM's ADD-style rescale (left shift 20).
 * Parameters: tflm_py/ops/cumsum.py (prepare). */
#ifndef TFLM_CUMSUM_H
#define TFLM_CUMSUM_H

#include "tflm_common.h"

typedef struct {
    int32_t outer;       /* product of the dimensions before the axis */
    int32_t depth;       /* the axis */
    int32_t inner;       /* product of the dimensions after the axis */
    int32_t exclusive, reverse;
    int32_t input_offset;                    /* minus the input zero point */
    int32_t input_multiplier, input_shift;   /* shift <= 0 */
    int32_t output_multiplier, output_shift; /* shift <= 0 */
    int32_t output_offset;
} tflm_cumsum_params_t;

/* output may be the input's buffer */
void tflm_cumsum_s8(const tflm_cumsum_params_t *p, const int8_t *input, int8_t *output);

#endif /* TFLM_CUMSUM_H */
