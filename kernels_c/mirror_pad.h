/* MIRROR_PAD: every output element copies one input element; along each dim d, output
 * position i reads input position map_d(i) (the mirror of the padding), so the input byte
 * offset is the sum over dims of offsets[base_d + i] (per-dim tables, concatenated: base_d
 * is the sum of the output dims before d). Tables cost sum(out_dims) entries, not one per
 * element. */
#ifndef TFLM_MIRROR_PAD_H
#define TFLM_MIRROR_PAD_H

#include "tflm_common.h"

#define TFLM_MIRROR_PAD_MAX_DIMS 5

typedef struct {
    int32_t num_dims;                              /* 1..TFLM_MIRROR_PAD_MAX_DIMS */
    int32_t out_dims[TFLM_MIRROR_PAD_MAX_DIMS];
    int32_t elem_bytes;
    const int32_t *offsets;                        /* input byte offset per dim position */
} tflm_mirror_pad_params_t;

void tflm_mirror_pad(const tflm_mirror_pad_params_t *p, const void *input, void *output);

#endif /* TFLM_MIRROR_PAD_H */
