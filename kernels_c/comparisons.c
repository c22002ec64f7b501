/* Comparison kernels: see comparisons.h. One broadcast walk; the element loader knows the
 * input type, so every type shares the walk and the comparison. */
#include "comparisons.h"

typedef enum { KIND_S8, KIND_S16, KIND_S32, KIND_S64, KIND_BOOL } elem_kind_t;

static inline int64_t load_elem(elem_kind_t kind, const void *base, int32_t i)
{
    switch (kind) {
    case KIND_S8:
        return ((const int8_t *)base)[i];
    case KIND_S16:
        return ((const int16_t *)base)[i];
    case KIND_S32:
        return ((const int32_t *)base)[i];
    case KIND_S64:
        return ((const int64_t *)base)[i];
    default:
        return ((const uint8_t *)base)[i];
    }
}

/* TFLM's rescale of a quantised input before comparing (the left shift of 8 cannot overflow
 * for int8 / int16 values) */
static inline int64_t rescale(int64_t x, int32_t offset, int32_t multiplier, int32_t shift)
{
    const int32_t shifted = (int32_t)((x + offset) * 256);
    return tflm_rdbypot(tflm_srdhm(shifted, multiplier), -shift);
}

static inline uint8_t compare_one(int32_t op, int64_t a, int64_t b)
{
    switch (op) {
    case TFLM_CMP_EQUAL:
        return a == b;
    case TFLM_CMP_NOT_EQUAL:
        return a != b;
    case TFLM_CMP_LESS:
        return a < b;
    case TFLM_CMP_LESS_EQUAL:
        return a <= b;
    case TFLM_CMP_GREATER:
        return a > b;
    default:
        return a >= b;
    }
}

static inline uint8_t compare_at(const tflm_compare_params_t *p, elem_kind_t kind,
                                 const void *input1, int32_t i1, const void *input2, int32_t i2)
{
    int64_t a = load_elem(kind, input1, i1);
    int64_t b = load_elem(kind, input2, i2);
    if (kind == KIND_S8 || kind == KIND_S16) {
        a = rescale(a, p->offset1, p->multiplier1, p->shift1);
        b = rescale(b, p->offset2, p->multiplier2, p->shift2);
    }
    return compare_one(p->op, a, b);
}

static void compare(const tflm_compare_params_t *p, elem_kind_t kind, const void *input1,
                    const void *input2, uint8_t *output)
{
    if (!p->broadcast) {
        for (int32_t i = 0; i < p->size; ++i) {
            output[i] = compare_at(p, kind, input1, i, input2, i);
        }
        return;
    }
    tflm_bcast_walk_t w = {{0, 0, 0, 0, 0}, 0, 0};
    const int32_t inner = p->dims[5];
    const int32_t st1 = p->strides1[5];
    const int32_t st2 = p->strides2[5];
    for (int32_t o = 0; o < p->size; o += inner) {
        for (int32_t c = 0; c < inner; ++c) {
            output[o + c] = compare_at(p, kind, input1, w.off1 + c * st1, input2,
                                       w.off2 + c * st2);
        }
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
    }
}

void tflm_compare_s8(const tflm_compare_params_t *p, const int8_t *input1,
                     const int8_t *input2, uint8_t *output)
{
    compare(p, KIND_S8, input1, input2, output);
}

void tflm_compare_s16(const tflm_compare_params_t *p, const int16_t *input1,
                      const int16_t *input2, uint8_t *output)
{
    compare(p, KIND_S16, input1, input2, output);
}

void tflm_compare_s32(const tflm_compare_params_t *p, const int32_t *input1,
                      const int32_t *input2, uint8_t *output)
{
    compare(p, KIND_S32, input1, input2, output);
}

void tflm_compare_s64(const tflm_compare_params_t *p, const int64_t *input1,
                      const int64_t *input2, uint8_t *output)
{
    compare(p, KIND_S64, input1, input2, output);
}

void tflm_compare_bool(const tflm_compare_params_t *p, const uint8_t *input1,
                       const uint8_t *input2, uint8_t *output)
{
    compare(p, KIND_BOOL, input1, input2, output);
}
