/* MAXIMUM / MINIMUM of int8 tensors with broadcasting (raw values, as TFLM compares them).
 * Parameters are computed by tflm_py/ops/maximum_minimum.py (prepare). */
#ifndef TFLM_MAXIMUM_MINIMUM_H
#define TFLM_MAXIMUM_MINIMUM_H

#include "tflm_common.h"

typedef struct {
    int32_t size;         /* output elements */
    int32_t broadcast;    /* 0: both inputs have the output's layout (flat loop) */
    int32_t dims[6];      /* output dimensions, collapsed, outermost first */
    int32_t strides1[6];  /* input 1 strides in elements, 0 where broadcast */
    int32_t strides2[6];  /* input 2 strides in elements, 0 where broadcast */
} tflm_maximum_minimum_params_t;

/* output may be the same buffer as an input that is not broadcast */
void tflm_maximum_s8(const tflm_maximum_minimum_params_t *p, const int8_t *input1,
                     const int8_t *input2, int8_t *output);
void tflm_minimum_s8(const tflm_maximum_minimum_params_t *p, const int8_t *input1,
                     const int8_t *input2, int8_t *output);
void tflm_maximum_s16(const tflm_maximum_minimum_params_t *p, const int16_t *input1,
                     const int16_t *input2, int16_t *output);
void tflm_minimum_s16(const tflm_maximum_minimum_params_t *p, const int16_t *input1,
                     const int16_t *input2, int16_t *output);

#endif /* TFLM_MAXIMUM_MINIMUM_H */
