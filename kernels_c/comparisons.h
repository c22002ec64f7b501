/* EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL with broadcasting; bool output
 * (one byte, 0 or 1). int8 / int16 inputs are rescaled to a common scale as TFLM does; int32,
 * int64 and bool inputs compare raw. Parameters: tflm_py/ops/comparisons.py (prepare). */
#ifndef TFLM_COMPARISONS_H
#define TFLM_COMPARISONS_H

#include "tflm_common.h"

typedef enum {
    TFLM_CMP_EQUAL = 0,
    TFLM_CMP_NOT_EQUAL = 1,
    TFLM_CMP_LESS = 2,
    TFLM_CMP_LESS_EQUAL = 3,
    TFLM_CMP_GREATER = 4,
    TFLM_CMP_GREATER_EQUAL = 5
} tflm_compare_op_t;

typedef struct {
    int32_t op;           /* tflm_compare_op_t */
    int32_t size;         /* output elements */
    int32_t broadcast;    /* 0: both inputs have the output's layout (flat loop) */
    int32_t dims[6];      /* output dimensions, collapsed, outermost first */
    int32_t strides1[6];  /* input 1 strides in elements, 0 where broadcast */
    int32_t strides2[6];  /* input 2 strides in elements, 0 where broadcast */
    /* int8 / int16 only: v = rescale((x + offset) << 8, multiplier, shift) */
    int32_t offset1, multiplier1, shift1;
    int32_t offset2, multiplier2, shift2;
} tflm_compare_params_t;

/* output may be the same buffer as an int8 / bool input that is not broadcast */
void tflm_compare_s8(const tflm_compare_params_t *p, const int8_t *input1,
                     const int8_t *input2, uint8_t *output);
void tflm_compare_s16(const tflm_compare_params_t *p, const int16_t *input1,
                      const int16_t *input2, uint8_t *output);
void tflm_compare_s32(const tflm_compare_params_t *p, const int32_t *input1,
                      const int32_t *input2, uint8_t *output);
void tflm_compare_s64(const tflm_compare_params_t *p, const int64_t *input1,
                      const int64_t *input2, uint8_t *output);
void tflm_compare_bool(const tflm_compare_params_t *p, const uint8_t *input1,
                       const uint8_t *input2, uint8_t *output);

#endif /* TFLM_COMPARISONS_H */
