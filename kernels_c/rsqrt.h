/* RSQRT of int16 tensors (zero points 0), as TFLM's RsqrtEvalQuantized (int8 runs as a table,
 * kernels_c/lut_s8.c). Parameters are computed by tflm_py/ops/rsqrt.py. */
#ifndef TFLM_RSQRT_H
#define TFLM_RSQRT_H

#include "tflm_common.h"

typedef struct {
    int32_t size;         /* elements */
    int32_t multiplier;   /* 1 / (sqrt(input_scale) * output_scale) */
    int32_t shift;
} tflm_rsqrt_params_t;

/* inputs <= 0 give 32767; output may be the same buffer as input */
void tflm_rsqrt_s16(const tflm_rsqrt_params_t *p, const int16_t *input, int16_t *output);

#endif /* TFLM_RSQRT_H */
