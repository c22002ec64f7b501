/* MUL kernels: see mul.h and tflm_py/ops/mul.py for the arithmetic. */
#include "mul.h"

static inline int32_t mul_one(const tflm_mul_params_t *p, int32_t x1, int32_t x2)
{
    const int32_t prod = (x1 + p->input1_offset) * (x2 + p->input2_offset);
    const int32_t y = tflm_requantize(prod, p->output_multiplier, p->output_shift)
                      + p->output_offset;
    return TFLM_CLAMP(y, p->act_min, p->act_max);
}

void tflm_mul_s8(const tflm_mul_params_t *p, const int8_t *input1, const int8_t *input2,
                 int8_t *output)
{
    if (!p->broadcast) {
        for (int32_t i = 0; i < p->size; ++i) {
            output[i] = (int8_t)mul_one(p, input1[i], input2[i]);
        }
        return;
    }
    tflm_bcast_walk_t w = {{0, 0, 0, 0, 0}, 0, 0};
    const int32_t inner = p->dims[5];
    const int32_t st1 = p->strides1[5];
    const int32_t st2 = p->strides2[5];
    for (int32_t o = 0; o < p->size; o += inner) {
        const int8_t *a = input1 + w.off1;
        const int8_t *b = input2 + w.off2;
        for (int32_t c = 0; c < inner; ++c) {
            output[o + c] = (int8_t)mul_one(p, a[c * st1], b[c * st2]);
        }
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
    }
}

void tflm_mul_s16(const tflm_mul_params_t *p, const int16_t *input1, const int16_t *input2,
                  int16_t *output)
{
    if (!p->broadcast) {
        for (int32_t i = 0; i < p->size; ++i) {
            output[i] = (int16_t)mul_one(p, input1[i], input2[i]);
        }
        return;
    }
    tflm_bcast_walk_t w = {{0, 0, 0, 0, 0}, 0, 0};
    const int32_t inner = p->dims[5];
    const int32_t st1 = p->strides1[5];
    const int32_t st2 = p->strides2[5];
    for (int32_t o = 0; o < p->size; o += inner) {
        const int16_t *a = input1 + w.off1;
        const int16_t *b = input2 + w.off2;
        for (int32_t c = 0; c < inner; ++c) {
            output[o + c] = (int16_t)mul_one(p, a[c * st1], b[c * st2]);
        }
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
    }
}
