#include "gather_bytes.h"

#include <string.h>

void tflm_gather_bytes(const tflm_gather_bytes_params_t *p, const void *input, void *output)
{
    const uint8_t *src = (const uint8_t *)input;
    uint8_t *dst = (uint8_t *)output;
    const int32_t last = p->num_dims - 1;
    const int32_t inner = p->out_dims[last];
    const int32_t inner_step = p->in_steps[last];
    int32_t idx[TFLM_GATHER_MAX_DIMS] = {0};
    int32_t base = p->offset; /* offsets stay integers: no pointer ever leaves the tensor */

    for (;;) {
        if (inner_step == 1) {
            /* memmove: planned in place, a run may overlap its own source (never an
             * unread byte of a later run, see tflm_py/ops/_datamove.py) */
            memmove(dst, src + base, (size_t)inner);
        } else {
            int32_t off = base;
            for (int32_t k = 0; k < inner; ++k) {
                dst[k] = src[off];
                off += inner_step;
            }
        }
        dst += inner;

        int32_t d = last - 1;
        while (d >= 0) {
            base += p->in_steps[d];
            if (++idx[d] < p->out_dims[d]) {
                break;
            }
            base -= p->in_steps[d] * p->out_dims[d];
            idx[d] = 0;
            --d;
        }
        if (d < 0) {
            return;
        }
    }
}
