/* LOG_SOFTMAX of int8 rows (the last dimension), TFLM's gemmlowp fixed-point path; output
 * scale 16/256, zero point 127. Parameters are computed by tflm_py/ops/log_softmax.py. */
#ifndef TFLM_LOG_SOFTMAX_H
#define TFLM_LOG_SOFTMAX_H

#include "tflm_common.h"

typedef struct {
    int32_t outer;              /* rows */
    int32_t depth;              /* elements per row */
    int32_t input_multiplier;   /* input differences to Q5.26 */
    int32_t input_left_shift;
    int32_t reverse_divisor;    /* Q5.26 back to input steps */
    int32_t reverse_shift;
    int32_t diff_min;           /* differences below it add nothing to the sum */
} tflm_log_softmax_params_t;

/* output must not overlap input */
void tflm_log_softmax_s8(const tflm_log_softmax_params_t *p, const int8_t *input,
                         int8_t *output);

#endif /* TFLM_LOG_SOFTMAX_H */
