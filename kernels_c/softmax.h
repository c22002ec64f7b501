/* SOFTMAX, int8 input, int8 (zero point -128, scale 1/256) or int16 (zero point -32768,
 * scale 1/65536) output, over the innermost dimension, with TFLM's gemmlowp fixed-point
 * arithmetic (exp on Q5.26 scaled differences, Q12.19 sum, fixed-point reciprocal); the exps
 * come from a table made at generation time. */
#ifndef TFLM_SOFTMAX_H
#define TFLM_SOFTMAX_H

#include "tflm_common.h"

typedef struct {
    int32_t outer;              /* number of rows */
    int32_t depth;              /* row length (innermost dimension) */
    int32_t input_multiplier;   /* beta * input_scale * 2^26, as multiplier ... */
    int32_t input_left_shift;   /* ... and left shift (>= 0) */
    int32_t diff_min;           /* differences below this give the output minimum */
    const int32_t *exp_table;   /* [k]: Q0.31 exp of the difference -k (0 below diff_min) */
    int32_t table_last;         /* the last entry; every larger k reads it (its exp is 0 */
                                /* in effect: below 2^11, it rounds away in every use) */
} tflm_softmax_params_t;

void tflm_softmax_s8(const tflm_softmax_params_t *p, const int8_t *input, int8_t *output);
void tflm_softmax_s8_s16(const tflm_softmax_params_t *p, const int8_t *input,
                         int16_t *output);

#endif /* TFLM_SOFTMAX_H */
