/* Logical kernels: see logical.h. */
#include "logical.h"

static inline uint8_t logical_one(int32_t op, uint8_t a, uint8_t b)
{
    return op == 0 ? (uint8_t)(a && b) : (uint8_t)(a || b);
}

void tflm_logical_binary(const tflm_logical_params_t *p, const uint8_t *input1,
                         const uint8_t *input2, uint8_t *output)
{
    if (!p->broadcast) {
        for (int32_t i = 0; i < p->size; ++i) {
            output[i] = logical_one(p->op, input1[i], input2[i]);
        }
        return;
    }
    tflm_bcast_walk_t w = {{0, 0, 0, 0, 0}, 0, 0};
    const int32_t inner = p->dims[5];
    const int32_t st1 = p->strides1[5];
    const int32_t st2 = p->strides2[5];
    for (int32_t o = 0; o < p->size; o += inner) {
        const uint8_t *a = input1 + w.off1;
        const uint8_t *b = input2 + w.off2;
        for (int32_t c = 0; c < inner; ++c) {
            output[o + c] = logical_one(p->op, a[c * st1], b[c * st2]);
        }
        tflm_bcast_next(p->dims, p->strides1, p->strides2, &w);
    }
}

void tflm_logical_not(int32_t size, const uint8_t *input, uint8_t *output)
{
    for (int32_t i = 0; i < size; ++i) {
        output[i] = (uint8_t)!input[i];
    }
}
