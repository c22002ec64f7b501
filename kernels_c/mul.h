/* MUL of int8 or int16 tensors with TFLM's quantised arithmetic and broadcasting.
 * Parameters are computed by tflm_py/ops/mul.py (prepare). */
#ifndef TFLM_MUL_H
#define TFLM_MUL_H

#include "tflm_common.h"

typedef struct {
    int32_t size;         /* output elements */
    int32_t broadcast;    /* 0: both inputs have the output's layout (flat loop) */
    int32_t dims[6];      /* output dimensions, collapsed, outermost first */
    int32_t strides1[6];  /* input 1 strides in elements, 0 where broadcast */
    int32_t strides2[6];  /* input 2 strides in elements, 0 where broadcast */
    int32_t input1_offset;  /* -zero point */
    int32_t input2_offset;
    int32_t output_offset;  /* +zero point */
    int32_t output_multiplier;
    int32_t output_shift;
    int32_t act_min;
    int32_t act_max;
} tflm_mul_params_t;

/* output may be the same buffer as an input that is not broadcast */
void tflm_mul_s8(const tflm_mul_params_t *p, const int8_t *input1, const int8_t *input2,
                 int8_t *output);
void tflm_mul_s16(const tflm_mul_params_t *p, const int16_t *input1, const int16_t *input2,
                  int16_t *output);

#endif /* TFLM_MUL_H */
