/* A strided byte gather: the output is written in order, and output dim d advances the input
 * by in_steps[d] bytes (signed). TRANSPOSE and STRIDED_SLICE of any element type are both this
 * copy: Python collapses their shapes (unit dims dropped, contiguous runs merged, the element
 * size folded in as an innermost byte dim) and resolves the first byte read (`offset`).
 * SLICE, SPLIT, SPLIT_V, DEPTH_TO_SPACE, SPACE_TO_DEPTH, REVERSE_V2 (negative steps) and
 * BROADCAST_TO (zero steps) are the same copy. Output bytes are written in order, each after
 * its source byte is read, so the output may start before the (dying) input. */
#ifndef TFLM_GATHER_BYTES_H
#define TFLM_GATHER_BYTES_H

#include "tflm_common.h"

#define TFLM_GATHER_MAX_DIMS 6

typedef struct {
    int32_t num_dims;                          /* 1..TFLM_GATHER_MAX_DIMS */
    int32_t offset;                            /* input byte offset of the first read */
    int32_t out_dims[TFLM_GATHER_MAX_DIMS];    /* innermost in bytes when contiguous */
    int32_t in_steps[TFLM_GATHER_MAX_DIMS];    /* signed input byte step per output dim */
} tflm_gather_bytes_params_t;

void tflm_gather_bytes(const tflm_gather_bytes_params_t *p, const void *input, void *output);

#endif /* TFLM_GATHER_BYTES_H */
