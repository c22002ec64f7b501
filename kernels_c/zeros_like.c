#include "zeros_like.h"

#include <string.h>

void tflm_zeros_like(void *output, size_t bytes)
{
    memset(output, 0, bytes);
}
