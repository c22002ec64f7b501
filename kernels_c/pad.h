/* PAD / PADV2 of any element type (bytes moved, no arithmetic).
 * Python collapses the shapes: dims whose inner neighbours are unpadded are merged, and the
 * innermost dim counts bytes (element size folded in). For each output row of
 * out_dims[num_dims-1] bytes, rows outside the input region are filled with the pad value;
 * rows inside get `before` fill, the next input bytes, `after` fill. The input is read in order. */
#ifndef TFLM_PAD_H
#define TFLM_PAD_H

#include "tflm_common.h"

#define TFLM_PAD_MAX_DIMS 6

typedef struct {
    int32_t num_dims;                      /* 1..TFLM_PAD_MAX_DIMS */
    int32_t out_dims[TFLM_PAD_MAX_DIMS];   /* innermost in bytes */
    int32_t before[TFLM_PAD_MAX_DIMS];     /* leading padding (innermost in bytes) */
    int32_t after[TFLM_PAD_MAX_DIMS];      /* trailing padding (innermost in bytes) */
    int32_t elem_size;                     /* bytes per element: 1, 2, 4 or 8 */
} tflm_pad_params_t;

/* pad_value points at one element of the tensor's type. */
void tflm_pad(const tflm_pad_params_t *p, const void *input, const void *pad_value,
              void *output);

#endif /* TFLM_PAD_H */
