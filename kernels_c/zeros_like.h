/* ZEROS_LIKE: the output is all zero bytes (0 of every integer type and +0.0f). */
#ifndef TFLM_ZEROS_LIKE_H
#define TFLM_ZEROS_LIKE_H

#include <stddef.h>

void tflm_zeros_like(void *output, size_t bytes);

#endif /* TFLM_ZEROS_LIKE_H */
