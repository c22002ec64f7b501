/* TRANSPOSE of any element type as a byte gather.
 * Python collapses the shapes: unit dims dropped, output dims that stay neighbours in the
 * input merged, the element size folded in as an innermost byte dim. The output is written in
 * order; output dim d advances the input by in_strides[d] bytes. */
#ifndef TFLM_TRANSPOSE_H
#define TFLM_TRANSPOSE_H

#include "tflm_common.h"

#define TFLM_TRANSPOSE_MAX_DIMS 6

typedef struct {
    int32_t num_dims;                              /* 1..TFLM_TRANSPOSE_MAX_DIMS */
    int32_t out_dims[TFLM_TRANSPOSE_MAX_DIMS];     /* innermost in bytes when contiguous */
    int32_t in_strides[TFLM_TRANSPOSE_MAX_DIMS];   /* input byte step per output dim */
} tflm_transpose_params_t;

void tflm_transpose(const tflm_transpose_params_t *p, const void *input, void *output);

#endif /* TFLM_TRANSPOSE_H */
