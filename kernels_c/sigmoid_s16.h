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

/* sigmoid(i / 24) in Q0.16, i = 0..255 (CMSIS-NN's table, which TFLM reads); twin of
 * SIGMOID_TABLE_U16 in tflm_py/ops/_lut16.py. Also read by the int16 LSTM gates. */
extern const uint16_t tflm_sigmoid_q16[256];

/* sigmoid of v, the input already rescaled to units of 1/(3 * 4096), in Q0.15 */
static inline int16_t tflm_sigmoid_q15(int32_t v)
{
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t hi = a >> 9;
    uint32_t r;
    if (hi >= 255u) {
        r = 0x7FFFu << 10;
    } else {
        const uint32_t lo = tflm_sigmoid_q16[hi];
        r = (lo << 9) + (a & 0x1FFu) * (tflm_sigmoid_q16[hi + 1] - lo);
    }
    /* Q0.16 sample shifted by 9: round to Q0.15, mirror for negative inputs */
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
    return (int16_t)(r >> 10);
}

/* tanh of v (rescaled as for tflm_sigmoid_q15), in Q0.15 */
static inline int16_t tflm_tanh_q15(int32_t v)
{
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t hi = a >> 8;
    int32_t r;
    if (hi >= 255u) {
        r = (int32_t)(0xFFFFu << 8);
    } else {
        const uint32_t lo = tflm_sigmoid_q16[hi];
        r = (int32_t)((lo << 8) + (a & 0xFFu) * (tflm_sigmoid_q16[hi + 1] - lo));
    }
    /* 2 sigmoid - 1 in Q0.15, mirrored for negative inputs; the shift floors */
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(r >> 8);
}

/* x * multiplier with a rounding right shift (TFLM's int16 input rescale) */
static inline int32_t tflm_sigmoid_rescale_s16(int16_t x, int32_t multiplier, int32_t shift)
{
    const int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
    return ((int32_t)x * multiplier + round) >> shift;
}

void tflm_logistic_s16(const tflm_sigmoid_s16_params_t *p, const int16_t *input,
                       int16_t *output);
void tflm_tanh_s16(const tflm_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output);

#endif /* TFLM_SIGMOID_S16_H */
