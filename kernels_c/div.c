/* DIV kernels: see div.h. */
#include "div.h"

#include "fixedpoint_math.h"

/* CountLeadingSignBits (gcc's __builtin_clrsb; 31 for 0) */
static int div_clrsb(int32_t x)
{
    const uint32_t y = x < 0 ? ~(uint32_t)x : (uint32_t)x;
    return tflm_fp_clz(y) - 1;
}

/* gemmlowp RoundingDivideByPOT as the x86-64 build runs it for any exponent >= 0: from 32 on
 * the int32 mask is all ones and the shift count is taken mod 32 */
static int32_t div_rdbypot_any(int32_t x, int exponent)
{
    if (exponent < 32) {
        return tflm_rdbypot(x, exponent);
    }
    const int32_t threshold = -1 + (x < 0 ? 1 : 0);
    return (x >> (exponent & 31)) + (x > threshold ? 1 : 0);
}

static inline int8_t div_one_s8(const tflm_div_params_t *p, int32_t x1, int32_t x2)
{
    int32_t a = p->input1_offset + x1;
    int32_t d = p->input2_offset + x2;
    if (d < 0) {
        a = -a;
        d = -d;
    }
    int32_t bits;
    const int32_t recip = tflm_fp_reciprocal(d, &bits);
    const int h = div_clrsb(a);
    const int32_t q = tflm_srdhm((int32_t)((uint32_t)a << h), recip);
    const int exponent = -(p->output_shift - bits - h);
    const int32_t r = div_rdbypot_any(tflm_srdhm(q, p->output_multiplier), exponent) +
                      p->output_offset;
    return (int8_t)TFLM_CLAMP(r, p->act_min, p->act_max);
}

static inline int32_t div_one_s32(const tflm_div_params_t *p, int32_t a, int32_t b)
{
    int32_t q;
    if (b == 0) {
        q = 0;
    } else if (b == -1) {
        q = (int32_t)(0u - (uint32_t)a);
    } else {
        q = a / b;
    }
    return TFLM_CLAMP(q, p->act_min, p->act_max);
}

#define DIV_WALK(T, FN)                                                        \
    if (!p->broadcast) {                                                       \
        for (int32_t i = 0; i < p->size; ++i) {                                \
            output[i] = FN(p, input1[i], input2[i]);                           \
        }                                                                      \
        return;                                                                \
    }                                                                          \
    tflm_bcast_walk_t w = {{0, 0, 0, 0, 0}, 0, 0};                             \
    const int32_t inner = p->dims[5];                                          \
    for (int32_t o = 0; o < p->size; o += inner) {                             \
        const T *r1 = input1 + w.off1;                                         \
        const T *r2 = input2 + w.off2;                                         \
        for (int32_t c = 0; c < inner; ++c) {                                  \
            output[o + c] = FN(p, r1[c * p->strides1[5]], r2[c * p->strides2[5]]); \
        }                                                                      \
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);                \
    }

void tflm_div_s8(const tflm_div_params_t *p, const int8_t *input1, const int8_t *input2,
                 int8_t *output)
{
    DIV_WALK(int8_t, div_one_s8)
}

void tflm_div_s32(const tflm_div_params_t *p, const int32_t *input1, const int32_t *input2,
                  int32_t *output)
{
    DIV_WALK(int32_t, div_one_s32)
}
