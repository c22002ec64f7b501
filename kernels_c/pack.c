#include "pack.h"
#include <string.h>

void tflm_pack_bytes(const void *input, void *output, int32_t outer, int32_t chunk_bytes,
                     int32_t out_stride_bytes)
{
    const uint8_t *src = (const uint8_t *)input;
    uint8_t *dst = (uint8_t *)output;
    for (int32_t k = 0; k < outer; ++k) {
        memcpy(dst, src, (size_t)chunk_bytes);
        src += chunk_bytes;
        dst += out_stride_bytes;
    }
}
