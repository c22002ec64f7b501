/* FILL: every element of the output is the one scalar `value` (element_bytes wide). */
#ifndef TFLM_FILL_H
#define TFLM_FILL_H
#include "tflm_common.h"
void tflm_fill_bytes(const void *value, void *output, int32_t element_bytes, int32_t count);
#endif /* TFLM_FILL_H */
