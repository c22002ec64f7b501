/* SELECT_V2 kernels: see select_v2.h. */
#include "select_v2.h"

/* Element offsets of the condition, x and y for every output element in order. */
typedef struct {
    int32_t idx[4];
    int32_t c, x, y;
} select_walk_t;

static inline void select_next(const tflm_select_v2_params_t *p, select_walk_t *w)
{
    for (int k = 3; k >= 0; --k) {
        w->c += p->cond_strides[k];
        w->x += p->x_strides[k];
        w->y += p->y_strides[k];
        if (++w->idx[k] < p->dims[k]) {
            return;
        }
        w->idx[k] = 0;
        w->c -= p->cond_strides[k] * p->dims[k];
        w->x -= p->x_strides[k] * p->dims[k];
        w->y -= p->y_strides[k] * p->dims[k];
    }
}

void tflm_select_v2_s8(const tflm_select_v2_params_t *p, const uint8_t *condition,
                       const int8_t *x, const int8_t *y, int8_t *output)
{
    const int32_t outer = p->dims[0] * p->dims[1] * p->dims[2] * p->dims[3];
    const int32_t inner = p->dims[4];
    select_walk_t w = {{0, 0, 0, 0}, 0, 0, 0};
    for (int32_t o = 0; o < outer; ++o) {
        for (int32_t i = 0; i < inner; ++i) {
            output[o * inner + i] = condition[w.c + i * p->cond_strides[4]]
                ? x[w.x + i * p->x_strides[4]] : y[w.y + i * p->y_strides[4]];
        }
        select_next(p, &w);
    }
}

void tflm_select_v2_s16(const tflm_select_v2_params_t *p, const uint8_t *condition,
                        const int16_t *x, const int16_t *y, int16_t *output)
{
    const int32_t outer = p->dims[0] * p->dims[1] * p->dims[2] * p->dims[3];
    const int32_t inner = p->dims[4];
    select_walk_t w = {{0, 0, 0, 0}, 0, 0, 0};
    for (int32_t o = 0; o < outer; ++o) {
        for (int32_t i = 0; i < inner; ++i) {
            output[o * inner + i] = condition[w.c + i * p->cond_strides[4]]
                ? x[w.x + i * p->x_strides[4]] : y[w.y + i * p->y_strides[4]];
        }
        select_next(p, &w);
    }
}
