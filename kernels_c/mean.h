/* MEAN, int8: mean over any set of axes, requantised as TFLM's QuantizedMeanOrSum. */
#ifndef TFLM_MEAN_H
#define TFLM_MEAN_H

#include "tflm_common.h"

#define TFLM_MEAN_MAX_DIMS 5

/* The input is described as two strided index spaces: the kept dimensions (in output order)
 * and the reduced ones; unit dimensions are dropped and contiguous neighbours merged. */
typedef struct {
    int32_t kept_n;                                /* 0..5 */
    int32_t kept_dims[TFLM_MEAN_MAX_DIMS];
    int32_t kept_strides[TFLM_MEAN_MAX_DIMS];      /* in elements of the input */
    int32_t reduced_n;                             /* 0..5 */
    int32_t reduced_dims[TFLM_MEAN_MAX_DIMS];
    int32_t reduced_strides[TFLM_MEAN_MAX_DIMS];
    int32_t count;                                 /* elements summed per output */
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier, shift;                     /* input/output scale ratio, 1/count folded in */
} tflm_mean_params_t;

void tflm_mean_s8(const tflm_mean_params_t *p, const int8_t *input, int8_t *output);
void tflm_mean_s16(const tflm_mean_params_t *p, const int16_t *input, int16_t *output);

#endif /* TFLM_MEAN_H */
