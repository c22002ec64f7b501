#include "pad.h"

#include <string.h>

/* Writes n bytes (a multiple of elem_size) of the repeated pad value. */
static void pad_fill(uint8_t *dst, int32_t n, const uint8_t *value, int32_t elem_size)
{
    if (n <= 0) {
        return;
    }
    if (elem_size == 1) {
        memset(dst, value[0], (size_t)n);
        return;
    }
    for (int32_t k = 0; k < n; k += elem_size) {
        memcpy(dst + k, value, (size_t)elem_size);
    }
}

void tflm_pad(const tflm_pad_params_t *p, const void *input, const void *pad_value,
              void *output)
{
    const uint8_t *src = (const uint8_t *)input;
    const uint8_t *value = (const uint8_t *)pad_value;
    uint8_t *dst = (uint8_t *)output;
    const int32_t last = p->num_dims - 1;
    const int32_t row = p->out_dims[last];
    const int32_t row_before = p->before[last];
    const int32_t row_copy = row - p->before[last] - p->after[last];
    int32_t idx[TFLM_PAD_MAX_DIMS] = {0};

    for (;;) {
        int inside = 1;
        for (int32_t d = 0; d < last; ++d) {
            if (idx[d] < p->before[d] || idx[d] >= p->out_dims[d] - p->after[d]) {
                inside = 0;
                break;
            }
        }
        if (inside) {
            pad_fill(dst, row_before, value, p->elem_size);
            memcpy(dst + row_before, src, (size_t)row_copy);
            src += row_copy;
            pad_fill(dst + row_before + row_copy, row - row_before - row_copy, value,
                     p->elem_size);
        } else {
            pad_fill(dst, row, value, p->elem_size);
        }
        dst += row;

        /* next row: odometer over the outer dims */
        int32_t d = last - 1;
        while (d >= 0) {
            if (++idx[d] < p->out_dims[d]) {
                break;
            }
            idx[d] = 0;
            --d;
        }
        if (d < 0) {
            return;
        }
    }
}
