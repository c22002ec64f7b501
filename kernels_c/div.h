/* DIV of int8 (quantized) and int32 tensors with broadcasting, as TFLM's div.cc.
 * Parameters are computed by tflm_py/ops/div.py. */
#ifndef TFLM_DIV_H
#define TFLM_DIV_H

#include "tflm_common.h"

typedef struct {
    int32_t size;          /* output elements */
    int32_t broadcast;     /* 0: both inputs have the output's layout (flat loop) */
    int32_t dims[6];       /* output dimensions, collapsed, outermost first */
    int32_t strides1[6];   /* input 1 strides in elements, 0 where broadcast */
    int32_t strides2[6];   /* input 2 strides in elements, 0 where broadcast */
    int32_t input1_offset, input2_offset, output_offset;   /* int8 only */
    int32_t output_multiplier, output_shift;               /* int8 only */
    int32_t act_min, act_max;
} tflm_div_params_t;

/* output may be the same buffer as an input that is not broadcast */
void tflm_div_s8(const tflm_div_params_t *p, const int8_t *input1, const int8_t *input2,
                 int8_t *output);
/* truncating division; a zero divisor gives 0 and INT32_MIN / -1 gives INT32_MIN */
void tflm_div_s32(const tflm_div_params_t *p, const int32_t *input1, const int32_t *input2,
                  int32_t *output);

#endif /* TFLM_DIV_H */
