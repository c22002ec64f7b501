/* MAXIMUM / MINIMUM kernels: see maximum_minimum.h. */
#include "maximum_minimum.h"

static inline int8_t maxmin_one(int take_min, int8_t a, int8_t b)
{
    if (take_min) {
        return a < b ? a : b;
    }
    return a > b ? a : b;
}

static void maxmin_s8(const tflm_maximum_minimum_params_t *p, int take_min,
                      const int8_t *input1, const int8_t *input2, int8_t *output)
{
    if (!p->broadcast) {
        for (int32_t i = 0; i < p->size; ++i) {
            output[i] = maxmin_one(take_min, input1[i], input2[i]);
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
            output[o + c] = maxmin_one(take_min, a[c * st1], b[c * st2]);
        }
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
    }
}

void tflm_maximum_s8(const tflm_maximum_minimum_params_t *p, const int8_t *input1,
                     const int8_t *input2, int8_t *output)
{
    maxmin_s8(p, 0, input1, input2, output);
}

void tflm_minimum_s8(const tflm_maximum_minimum_params_t *p, const int8_t *input1,
                     const int8_t *input2, int8_t *output)
{
    maxmin_s8(p, 1, input1, input2, output);
}

/* int16: the same walk */
static inline int16_t maxmin_one_s16(int take_min, int16_t a, int16_t b)
{
    if (take_min) {
        return a < b ? a : b;
    }
    return a > b ? a : b;
}

static void maxmin_s16(const tflm_maximum_minimum_params_t *p, int take_min,
                      const int16_t *input1, const int16_t *input2, int16_t *output)
{
    if (!p->broadcast) {
        for (int32_t i = 0; i < p->size; ++i) {
            output[i] = maxmin_one_s16(take_min, input1[i], input2[i]);
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
            output[o + c] = maxmin_one_s16(take_min, a[c * st1], b[c * st2]);
        }
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
    }
}

void tflm_maximum_s16(const tflm_maximum_minimum_params_t *p, const int16_t *input1,
                     const int16_t *input2, int16_t *output)
{
    maxmin_s16(p, 0, input1, input2, output);
}

void tflm_minimum_s16(const tflm_maximum_minimum_params_t *p, const int16_t *input1,
                     const int16_t *input2, int16_t *output)
{
    maxmin_s16(p, 1, input1, input2, output);
}
