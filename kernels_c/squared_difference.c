/* SQUARED_DIFFERENCE kernels: see squared_difference.h. */
#include "squared_difference.h"

static inline int32_t sqdiff_q(const tflm_squared_difference_params_t *p, int32_t a, int32_t b)
{
    const int32_t x1 = (p->input1_offset + a) * (1 << p->left_shift);
    const int32_t x2 = (p->input2_offset + b) * (1 << p->left_shift);
    const int32_t s1 = tflm_rdbypot(tflm_srdhm(x1, p->input1_multiplier), -p->input1_shift);
    const int32_t s2 = tflm_rdbypot(tflm_srdhm(x2, p->input2_multiplier), -p->input2_shift);
    const int32_t d = s1 - s2;
    return tflm_requantize(d * d, p->output_multiplier, p->output_shift) + p->output_offset;
}

static inline int32_t sqdiff_i32(int32_t a, int32_t b)
{
    const uint32_t d = (uint32_t)a - (uint32_t)b;
    return (int32_t)(d * d);
}

/* one broadcasting walk per element type */
#define SQDIFF_WALK(T, EXPR)                                                   \
    if (!p->broadcast) {                                                       \
        for (int32_t i = 0; i < p->size; ++i) {                                \
            const T a = input1[i];                                             \
            const T b = input2[i];                                             \
            output[i] = (EXPR);                                                \
        }                                                                      \
        return;                                                                \
    }                                                                          \
    tflm_bcast_walk_t w = {{0, 0, 0, 0, 0}, 0, 0};                             \
    const int32_t inner = p->dims[5];                                          \
    for (int32_t o = 0; o < p->size; o += inner) {                             \
        const T *r1 = input1 + w.off1;                                         \
        const T *r2 = input2 + w.off2;                                         \
        for (int32_t c = 0; c < inner; ++c) {                                  \
            const T a = r1[c * p->strides1[5]];                                \
            const T b = r2[c * p->strides2[5]];                                \
            output[o + c] = (EXPR);                                            \
        }                                                                      \
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);                \
    }

void tflm_squared_difference_s8(const tflm_squared_difference_params_t *p,
                                const int8_t *input1, const int8_t *input2, int8_t *output)
{
    SQDIFF_WALK(int8_t, tflm_sat_s8(sqdiff_q(p, a, b)))
}

void tflm_squared_difference_s16(const tflm_squared_difference_params_t *p,
                                 const int16_t *input1, const int16_t *input2, int16_t *output)
{
    SQDIFF_WALK(int16_t, tflm_sat_s16(sqdiff_q(p, a, b)))
}

void tflm_squared_difference_s32(const tflm_squared_difference_params_t *p,
                                 const int32_t *input1, const int32_t *input2, int32_t *output)
{
    SQDIFF_WALK(int32_t, sqdiff_i32(a, b))
}
