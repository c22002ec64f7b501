#include "reshape.h"

#include <string.h>

void tflm_reshape(const void *input, void *output, size_t bytes)
{
    if ((const void *)output != input && bytes > 0) {
        /* memmove: harmless if a planner ever hands over overlapping buffers */
        memmove(output, input, bytes);
    }
}
