/* PRELU of int8 (int8 alpha) and int16 (int8 alpha) tensors with broadcasting, as TFLM's
 * reference BroadcastPrelu4DSlow. Parameters are computed by tflm_py/ops/prelu.py. */
#ifndef TFLM_PRELU_H
#define TFLM_PRELU_H

#include "tflm_common.h"

typedef struct {
    int32_t size;           /* output elements */
    int32_t broadcast;      /* 0: input and alpha have the output's layout (flat loop) */
    int32_t dims[6];        /* output dimensions, collapsed, outermost first */
    int32_t strides1[6];    /* input strides in elements, 0 where broadcast */
    int32_t strides2[6];    /* alpha strides in elements, 0 where broadcast */
    int32_t input_offset;   /* -input zero point */
    int32_t alpha_offset;   /* -alpha zero point */
    int32_t output_offset;  /* output zero point */
    int32_t multiplier_pos, shift_pos;   /* input_scale / output_scale */
    int32_t multiplier_neg, shift_neg;   /* input_scale * alpha_scale / output_scale */
} tflm_prelu_params_t;

/* output may be the same buffer as input when input is not broadcast */
void tflm_prelu_s8(const tflm_prelu_params_t *p, const int8_t *input, const int8_t *alpha,
                   int8_t *output);
void tflm_prelu_s16(const tflm_prelu_params_t *p, const int16_t *input, const int8_t *alpha,
                    int16_t *output);

#endif /* TFLM_PRELU_H */
