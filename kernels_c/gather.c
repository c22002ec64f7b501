#include "gather.h"

#include <string.h>

int tflm_gather(const tflm_gather_params_t *p, const void *input, const int32_t *positions,
                void *output)
{
    const uint8_t *src = (const uint8_t *)input;
    uint8_t *dst = (uint8_t *)output;
    const size_t inner = (size_t)p->inner_bytes;

    for (int32_t b = 0; b < p->batches; ++b) {
        const int32_t *pos = positions + (size_t)b * (size_t)p->coords;
        for (int32_t o = 0; o < p->outer; ++o) {
            const size_t row = (size_t)b * (size_t)p->outer + (size_t)o;
            const uint8_t *in_row = src + row * (size_t)p->axis_size * inner;
            for (int32_t c = 0; c < p->coords; ++c) {
                const int32_t v = pos[c];
                if (v < 0 || v >= p->axis_size) {
                    return -1;
                }
                memcpy(dst, in_row + (size_t)v * inner, inner);
                dst += inner;
            }
        }
    }
    return 0;
}
