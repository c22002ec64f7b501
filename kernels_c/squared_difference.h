/* SQUARED_DIFFERENCE of int8 / int16 (quantized) and int32 tensors with broadcasting, as TFLM's
 * squared_difference.cc. Parameters are computed by tflm_py/ops/squared_difference.py. */
#ifndef TFLM_SQUARED_DIFFERENCE_H
#define TFLM_SQUARED_DIFFERENCE_H

#include "tflm_common.h"

typedef struct {
    int32_t size;          /* output elements */
    int32_t broadcast;     /* 0: both inputs have the output's layout (flat loop) */
    int32_t dims[6];       /* output dimensions, collapsed, outermost first */
    int32_t strides1[6];   /* input 1 strides in elements, 0 where broadcast */
    int32_t strides2[6];   /* input 2 strides in elements, 0 where broadcast */
    int32_t input1_offset, input2_offset, output_offset;
    int32_t left_shift;    /* 7 for int8, 0 for int16 */
    int32_t input1_multiplier, input1_shift;   /* shifts <= 0 */
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
} tflm_squared_difference_params_t;

/* output may be the same buffer as an input that is not broadcast */
void tflm_squared_difference_s8(const tflm_squared_difference_params_t *p,
                                const int8_t *input1, const int8_t *input2, int8_t *output);
void tflm_squared_difference_s16(const tflm_squared_difference_params_t *p,
                                 const int16_t *input1, const int16_t *input2, int16_t *output);
/* int32: (a - b)^2 with two's complement wrap-around; quantization fields unused */
void tflm_squared_difference_s32(const tflm_squared_difference_params_t *p,
                                 const int32_t *input1, const int32_t *input2, int32_t *output);

#endif /* TFLM_SQUARED_DIFFERENCE_H */
