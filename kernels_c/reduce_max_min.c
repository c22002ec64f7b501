/* REDUCE_MAX / REDUCE_MIN int8 kernel: see reduce_max_min.h. */
#include "reduce_max_min.h"

/* Advance a row-major odometer over n strided dimensions; returns 0 once it wraps around. */
static int reduce_next(int32_t n, const int32_t *dims, const int32_t *strides, int32_t *idx,
                       size_t *offset)
{
    for (int32_t d = n - 1; d >= 0; --d) {
        ++idx[d];
        *offset += (size_t)strides[d];
        if (idx[d] < dims[d]) {
            return 1;
        }
        *offset -= (size_t)strides[d] * (size_t)dims[d];
        idx[d] = 0;
    }
    return 0;
}

void tflm_reduce_max_min_s8(const tflm_reduce_max_min_params_t *p, const int8_t *input,
                            int8_t *output)
{
    int32_t kept_idx[TFLM_REDUCE_MAX_DIMS] = {0};
    size_t kept_off = 0;
    do {
        int32_t red_idx[TFLM_REDUCE_MAX_DIMS] = {0};
        size_t red_off = 0;
        int8_t best = p->is_min ? INT8_MAX : INT8_MIN;
        do {
            const int8_t v = input[kept_off + red_off];
            if (p->is_min ? v < best : v > best) {
                best = v;
            }
        } while (reduce_next(p->reduced_n, p->reduced_dims, p->reduced_strides, red_idx,
                             &red_off));
        *output++ = best;
    } while (reduce_next(p->kept_n, p->kept_dims, p->kept_strides, kept_idx, &kept_off));
}
