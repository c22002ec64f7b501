/* SOFTMAX, int16 -> int16 (output zero point 0, scale 1/32768), over the innermost dimension,
 * with TFLM's table arithmetic (reference_ops::SoftmaxInt16): exp of the rescaled difference
 * to the row maximum read from a 513-entry exp table, the row sum normalised and inverted
 * through a 513-entry 1/(1+x) table, both interpolated on 7 bits. The tables are computed by
 * the generator (tflm_py/ops/_lut16.py) exactly as TFLM's Prepare builds them. The output row
 * holds the exp values between the two passes, so output must not overlap input. */
#ifndef TFLM_SOFTMAX_S16_H
#define TFLM_SOFTMAX_S16_H

#include "tflm_common.h"

typedef struct {
    int32_t outer;              /* number of rows */
    int32_t depth;              /* row length (innermost dimension) */
    int32_t input_multiplier;   /* input_scale * beta * 65535 / 10, as multiplier ... */
    int32_t input_shift;        /* ... and shift (TFLM MultiplyByQuantizedMultiplier) */
    const int16_t *exp_lut;     /* 513 entries: exp on [-10, 0], Q0.15 */
    const int16_t *recip_lut;   /* 513 entries: 1 / (1 + x) on [0, 1], Q0.15 */
} tflm_softmax_s16_params_t;

void tflm_softmax_s16(const tflm_softmax_s16_params_t *p, const int16_t *input,
                      int16_t *output);

#endif /* TFLM_SOFTMAX_S16_H */
