/* ADD / SUB / MUL of int32 tensors (unquantized index and shape arithmetic), as TFLM's
 * int32 paths: two's complement results, then the fused activation's clamp (ADD has none).
 * Parameters are computed by tflm_py/ops/_arith_s32.py (prepare). */
#ifndef TFLM_ARITH_S32_H
#define TFLM_ARITH_S32_H

#include "tflm_common.h"

enum { TFLM_ARITH_ADD = 0, TFLM_ARITH_SUB = 1, TFLM_ARITH_MUL = 2 };

typedef struct {
    int32_t size;         /* output elements */
    int32_t broadcast;    /* 0: both inputs have the output's layout (flat loop) */
    int32_t dims[6];      /* output dimensions, collapsed, outermost first */
    int32_t strides1[6];  /* input 1 strides in elements, 0 where broadcast */
    int32_t strides2[6];  /* input 2 strides in elements, 0 where broadcast */
    int32_t op;           /* TFLM_ARITH_ADD, _SUB or _MUL */
    int32_t act_min;
    int32_t act_max;
} tflm_arith_s32_params_t;

/* output may be the same buffer as an input that is not broadcast */
void tflm_arith_s32(const tflm_arith_s32_params_t *p, const int32_t *input1,
                    const int32_t *input2, int32_t *output);

#endif /* TFLM_ARITH_S32_H */
