/* HARD_SWISH on int8 tensors with TFLM's int16 fixed-point arithmetic.
 * Parameters are computed by tflm_py/ops/hard_swish.py (prepare). */
#ifndef TFLM_HARD_SWISH_H
#define TFLM_HARD_SWISH_H

#include "tflm_common.h"

typedef struct {
    int32_t size;
    int32_t input_offset;        /* input zero point */
    int32_t output_offset;       /* output zero point */
    int32_t output_multiplier;   /* Q15, int16 range */
    int32_t output_exponent;     /* <= 0 */
    int32_t reluish_multiplier;  /* Q15, int16 range */
    int32_t reluish_exponent;
} tflm_hard_swish_params_t;

/* output may be the same buffer as input */
void tflm_hard_swish_s8(const tflm_hard_swish_params_t *p, const int8_t *input, int8_t *output);

#endif /* TFLM_HARD_SWISH_H */
