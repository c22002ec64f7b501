/* ARG_MAX / ARG_MIN kernel: see arg_min_max.h. */
#include "arg_min_max.h"

void tflm_arg_min_max_s8(const tflm_arg_min_max_params_t *p, const int8_t *input,
                         int32_t *output)
{
    for (int32_t o = 0; o < p->outer; ++o) {
        const int8_t *base = input + (size_t)o * (size_t)p->axis_size * (size_t)p->inner;
        for (int32_t i = 0; i < p->inner; ++i) {
            int8_t best = base[i];
            int32_t best_index = 0;
            for (int32_t k = 1; k < p->axis_size; ++k) {
                const int8_t v = base[(size_t)k * (size_t)p->inner + (size_t)i];
                if (p->is_min ? v < best : v > best) {
                    best = v;
                    best_index = k;
                }
            }
            output[(size_t)o * (size_t)p->inner + (size_t)i] = best_index;
        }
    }
}
