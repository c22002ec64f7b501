#include "gather_nd.h"

#include <string.h>

int tflm_gather_nd(const tflm_gather_nd_params_t *p, const void *input, const int32_t *indices,
                   void *output)
{
    const uint8_t *src = (const uint8_t *)input;
    uint8_t *dst = (uint8_t *)output;
    const size_t slice_bytes = (size_t)p->slice_elems * (size_t)p->elem_bytes;

    for (int32_t i = 0; i < p->n_slices; ++i) {
        const int32_t *idx = indices + (size_t)i * (size_t)p->index_depth;
        int64_t start = 0;
        for (int32_t j = 0; j < p->index_depth; ++j) {
            start += (int64_t)idx[j] * p->dim_elems[j];
        }
        if (start < 0 || start + p->slice_elems > p->total_elems) {
            return -1;
        }
        memcpy(dst, src + (size_t)start * (size_t)p->elem_bytes, slice_bytes);
        dst += slice_bytes;
    }
    return 0;
}
