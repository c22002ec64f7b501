/* int32 ADD / SUB / MUL: see arith_s32.h. Arithmetic runs on uint32 so that overflow wraps
 * (as TFLM's results do on every target) without signed-overflow undefined behaviour. */
#include "arith_s32.h"

static inline int32_t arith_one(const tflm_arith_s32_params_t *p, int32_t a, int32_t b)
{
    uint32_t r;
    if (p->op == TFLM_ARITH_ADD) {
        r = (uint32_t)a + (uint32_t)b;
    } else if (p->op == TFLM_ARITH_SUB) {
        r = (uint32_t)a - (uint32_t)b;
    } else {
        r = (uint32_t)a * (uint32_t)b;
    }
    const int32_t y = (int32_t)r;
    return TFLM_CLAMP(y, p->act_min, p->act_max);
}

void tflm_arith_s32(const tflm_arith_s32_params_t *p, const int32_t *input1,
                    const int32_t *input2, int32_t *output)
{
    if (!p->broadcast) {
        for (int32_t i = 0; i < p->size; ++i) {
            output[i] = arith_one(p, input1[i], input2[i]);
        }
        return;
    }
    tflm_bcast_walk_t w = {{0, 0, 0, 0, 0}, 0, 0};
    const int32_t inner = p->dims[5];
    const int32_t st1 = p->strides1[5];
    const int32_t st2 = p->strides2[5];
    for (int32_t o = 0; o < p->size; o += inner) {
        const int32_t *a = input1 + w.off1;
        const int32_t *b = input2 + w.off2;
        for (int32_t c = 0; c < inner; ++c) {
            output[o + c] = arith_one(p, a[c * st1], b[c * st2]);
        }
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
    }
}
