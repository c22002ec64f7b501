#include "fill.h"
#include <string.h>

void tflm_fill_bytes(const void *value, void *output, int32_t element_bytes, int32_t count)
{
    uint8_t *dst = (uint8_t *)output;
    for (int32_t i = 0; i < count; ++i) {
        memcpy(dst, value, (size_t)element_bytes);
        dst += element_bytes;
    }
}
