#include "mirror_pad.h"

#include <string.h>

void tflm_mirror_pad(const tflm_mirror_pad_params_t *p, const void *input, void *output)
{
    const uint8_t *src = (const uint8_t *)input;
    uint8_t *dst = (uint8_t *)output;
    const int32_t last = p->num_dims - 1;
    const size_t es = (size_t)p->elem_bytes;
    int32_t base[TFLM_MIRROR_PAD_MAX_DIMS];
    int32_t idx[TFLM_MIRROR_PAD_MAX_DIMS] = {0};
    int32_t acc = 0;
    for (int32_t d = 0; d <= last; ++d) {
        base[d] = acc;
        acc += p->out_dims[d];
    }
    const int32_t *inner = p->offsets + base[last];

    for (;;) {
        int32_t outer = 0; /* input offset of the dims above the innermost */
        for (int32_t d = 0; d < last; ++d) {
            outer += p->offsets[base[d] + idx[d]];
        }
        for (int32_t i = 0; i < p->out_dims[last]; ++i) {
            memcpy(dst, src + outer + inner[i], es);
            dst += es;
        }
        int32_t d = last - 1;
        while (d >= 0 && ++idx[d] == p->out_dims[d]) {
            idx[d] = 0;
            --d;
        }
        if (d < 0) {
            return;
        }
    }
}
