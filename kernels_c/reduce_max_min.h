/* REDUCE_MAX / REDUCE_MIN, int8: the largest / smallest raw value over any set of axes
 * (input and output share quantization, as TFLM requires). Parameters:
 * tflm_py/ops/reduce_max_min.py (prepare). */
#ifndef TFLM_REDUCE_MAX_MIN_H
#define TFLM_REDUCE_MAX_MIN_H

#include "tflm_common.h"

#define TFLM_REDUCE_MAX_DIMS 5

/* The input as two strided index spaces: the kept dimensions (in output order) and the
 * reduced ones; unit dimensions dropped, contiguous neighbours merged. */
typedef struct {
    int32_t is_min;
    int32_t kept_n;                                  /* 0..5 */
    int32_t kept_dims[TFLM_REDUCE_MAX_DIMS];
    int32_t kept_strides[TFLM_REDUCE_MAX_DIMS];      /* in elements of the input */
    int32_t reduced_n;                               /* 0..5 */
    int32_t reduced_dims[TFLM_REDUCE_MAX_DIMS];
    int32_t reduced_strides[TFLM_REDUCE_MAX_DIMS];
} tflm_reduce_max_min_params_t;

void tflm_reduce_max_min_s8(const tflm_reduce_max_min_params_t *p, const int8_t *input,
                            int8_t *output);

#endif /* TFLM_REDUCE_MAX_MIN_H */
