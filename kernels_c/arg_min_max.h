/* ARG_MAX / ARG_MIN: int8 input, int32 index output; ties keep the first index (TFLM's strict
 * comparison). Parameters: tflm_py/ops/arg_min_max.py (prepare). */
#ifndef TFLM_ARG_MIN_MAX_H
#define TFLM_ARG_MIN_MAX_H

#include "tflm_common.h"

typedef struct {
    int32_t outer;      /* product of the dimensions before the axis */
    int32_t axis_size;
    int32_t inner;      /* product of the dimensions after the axis */
    int32_t is_min;
} tflm_arg_min_max_params_t;

void tflm_arg_min_max_s8(const tflm_arg_min_max_params_t *p, const int8_t *input,
                         int32_t *output);

#endif /* TFLM_ARG_MIN_MAX_H */
