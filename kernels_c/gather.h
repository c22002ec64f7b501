/* GATHER and EMBEDDING_LOOKUP: copy input slices picked by run-time int32 positions.
 * The input is [batches, outer, axis_size, inner] and the output [batches, outer, coords,
 * inner] (inner counted in bytes); positions are [batches, coords]. A position outside
 * [0, axis_size) stops the copy with -1, as TFLM's kernel fails the invoke. */
#ifndef TFLM_GATHER_H
#define TFLM_GATHER_H

#include "tflm_common.h"

typedef struct {
    int32_t batches;
    int32_t outer;
    int32_t axis_size;
    int32_t coords;
    int32_t inner_bytes;
} tflm_gather_params_t;

int tflm_gather(const tflm_gather_params_t *p, const void *input, const int32_t *positions,
                void *output);

#endif /* TFLM_GATHER_H */
