/* ADD / SUB kernels: see add.h and tflm_py/ops/add.py for the arithmetic. */
#include "add.h"

static inline int32_t add_one(const tflm_add_params_t *p, int32_t x1, int32_t x2)
{
    const int32_t scale = (int32_t)1 << p->left_shift;
    const int32_t a = tflm_requantize((x1 + p->input1_offset) * scale, p->input1_multiplier,
                                      p->input1_shift);
    const int32_t b = tflm_requantize((x2 + p->input2_offset) * scale, p->input2_multiplier,
                                      p->input2_shift);
    const int32_t raw = p->subtract ? a - b : a + b;
    const int32_t y = tflm_requantize(raw, p->output_multiplier, p->output_shift)
                      + p->output_offset;
    return TFLM_CLAMP(y, p->act_min, p->act_max);
}

void tflm_add_s8(const tflm_add_params_t *p, const int8_t *input1, const int8_t *input2,
                 int8_t *output)
{
    if (!p->broadcast) {
        for (int32_t i = 0; i < p->size; ++i) {
            output[i] = (int8_t)add_one(p, input1[i], input2[i]);
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
            output[o + c] = (int8_t)add_one(p, a[c * st1], b[c * st2]);
        }
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
    }
}

void tflm_add_s16(const tflm_add_params_t *p, const int16_t *input1, const int16_t *input2,
                  int16_t *output)
{
    if (!p->broadcast) {
        for (int32_t i = 0; i < p->size; ++i) {
            output[i] = (int16_t)add_one(p, input1[i], input2[i]);
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
            output[o + c] = (int16_t)add_one(p, a[c * st1], b[c * st2]);
        }
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
    }
}
