/* LOGISTIC and TANH, int16 -> int16 (zero points 0, output Q0.15), with TFLM's int16
 * arithmetic: the input is rescaled to units of 1/(3 * 4096) by an integer multiplier and
 * rounding right shift (tflm_py/ops/_lut16.py computes both, including TFLM's power-of-two
 * special case), then a 256-entry sigmoid table is read with linear interpolation on the
 * absolute value and mirrored for negative inputs (tanh(x) = 2 sigmoid(2x) - 1). Each element
 * is read before the same element is written, so output may alias input. */
#ifndef TFLM_SIGMOID_S16_H
#define TFLM_SIGMOID_S16_H

#include "tflm_common.h"

typedef struct {
    int32_t size;               /* number of elements */
    int32_t input_multiplier;   /* <= 32767 */
    int32_t input_shift;        /* rounding right shift after the multiply, 0..31 */
} tflm_sigmoid_s16_params_t;

void tflm_logistic_s16(const tflm_sigmoid_s16_params_t *p, const int16_t *input,
                       int16_t *output);
void tflm_tanh_s16(const tflm_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output);

#endif /* TFLM_SIGMOID_S16_H */
