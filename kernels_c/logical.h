/* LOGICAL_AND / LOGICAL_OR with broadcasting and LOGICAL_NOT, on bool tensors (one byte,
 * 0 or 1). Parameters: tflm_py/ops/logical.py (prepare). */
#ifndef TFLM_LOGICAL_H
#define TFLM_LOGICAL_H

#include "tflm_common.h"

typedef struct {
    int32_t op;           /* 0: AND, 1: OR */
    int32_t size;         /* output elements */
    int32_t broadcast;    /* 0: both inputs have the output's layout (flat loop) */
    int32_t dims[6];      /* output dimensions, collapsed, outermost first */
    int32_t strides1[6];  /* input 1 strides in elements, 0 where broadcast */
    int32_t strides2[6];  /* input 2 strides in elements, 0 where broadcast */
} tflm_logical_params_t;

/* output may be the same buffer as an input that is not broadcast */
void tflm_logical_binary(const tflm_logical_params_t *p, const uint8_t *input1,
                         const uint8_t *input2, uint8_t *output);
/* output may be the input's buffer */
void tflm_logical_not(int32_t size, const uint8_t *input, uint8_t *output);

#endif /* TFLM_LOGICAL_H */
