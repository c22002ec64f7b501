#include "concatenation.h"

#include <string.h>

void tflm_concatenation(const tflm_concatenation_params_t *p, const void *const *inputs,
                        void *output)
{
    uint8_t *dst = (uint8_t *)output;
    for (int32_t o = 0; o < p->outer; ++o) {
        for (int32_t i = 0; i < p->num_inputs; ++i) {
            const size_t n = (size_t)p->copy_bytes[i];
            const uint8_t *src = (const uint8_t *)inputs[i] + (size_t)o * n;
            memcpy(dst, src, n);
            dst += n;
        }
    }
}
