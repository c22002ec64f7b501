/* STRIDED_SLICE of any element type as a byte gather with signed steps.
 * Python resolves begin/end/strides/masks exactly as TFLM micro does, then collapses: unit
 * output dims folded into `offset`, full contiguous runs merged, the element size folded in as
 * an innermost byte dim. Output dim d advances the input by in_steps[d] bytes (may be < 0). */
#ifndef TFLM_STRIDED_SLICE_H
#define TFLM_STRIDED_SLICE_H

#include "tflm_common.h"

#define TFLM_STRIDED_SLICE_MAX_DIMS 6

typedef struct {
    int32_t num_dims;                                 /* 1..TFLM_STRIDED_SLICE_MAX_DIMS */
    int32_t offset;                                   /* input byte offset of the first read */
    int32_t out_dims[TFLM_STRIDED_SLICE_MAX_DIMS];    /* innermost in bytes when contiguous */
    int32_t in_steps[TFLM_STRIDED_SLICE_MAX_DIMS];    /* signed input byte step per dim */
} tflm_strided_slice_params_t;

void tflm_strided_slice(const tflm_strided_slice_params_t *p, const void *input, void *output);

#endif /* TFLM_STRIDED_SLICE_H */
