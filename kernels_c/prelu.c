/* PRELU kernels: see prelu.h. */
#include "prelu.h"

static inline int32_t prelu_one(const tflm_prelu_params_t *p, int32_t x, int32_t a)
{
    const int32_t v = p->input_offset + x;
    int32_t out;
    if (v >= 0) {
        out = tflm_requantize(v, p->multiplier_pos, p->shift_pos);
    } else {
        out = tflm_requantize(v * (p->alpha_offset + a), p->multiplier_neg, p->shift_neg);
    }
    return out + p->output_offset;
}

void tflm_prelu_s8(const tflm_prelu_params_t *p, const int8_t *input, const int8_t *alpha,
                   int8_t *output)
{
    if (!p->broadcast) {
        for (int32_t i = 0; i < p->size; ++i) {
            output[i] = tflm_sat_s8(prelu_one(p, input[i], alpha[i]));
        }
        return;
    }
    tflm_bcast_walk_t w = {{0, 0, 0, 0, 0}, 0, 0};
    const int32_t inner = p->dims[5];
    const int32_t st1 = p->strides1[5];
    const int32_t st2 = p->strides2[5];
    for (int32_t o = 0; o < p->size; o += inner) {
        const int8_t *x = input + w.off1;
        const int8_t *a = alpha + w.off2;
        for (int32_t c = 0; c < inner; ++c) {
            output[o + c] = tflm_sat_s8(prelu_one(p, x[c * st1], a[c * st2]));
        }
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
    }
}

void tflm_prelu_s16(const tflm_prelu_params_t *p, const int16_t *input, const int8_t *alpha,
                    int16_t *output)
{
    if (!p->broadcast) {
        for (int32_t i = 0; i < p->size; ++i) {
            output[i] = tflm_sat_s16(prelu_one(p, input[i], alpha[i]));
        }
        return;
    }
    tflm_bcast_walk_t w = {{0, 0, 0, 0, 0}, 0, 0};
    const int32_t inner = p->dims[5];
    const int32_t st1 = p->strides1[5];
    const int32_t st2 = p->strides2[5];
    for (int32_t o = 0; o < p->size; o += inner) {
        const int16_t *x = input + w.off1;
        const int8_t *a = alpha + w.off2;
        for (int32_t c = 0; c < inner; ++c) {
            output[o + c] = tflm_sat_s16(prelu_one(p, x[c * st1], a[c * st2]));
        }
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
    }
}
