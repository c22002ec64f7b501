/* SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND on NHWC tensors (3-D NHC runs as W = 1): whole
 * pixels (depth_bytes) move between the batch and the spatial dims in blocks of
 * block_h x block_w. space_to_batch zero-fills the padding (TFLM pads with 0 bytes whatever
 * the zero point); batch_to_space drops the cropped pixels. */
#ifndef TFLM_BATCH_SPACE_H
#define TFLM_BATCH_SPACE_H

#include "tflm_common.h"

typedef struct {
    int32_t in_batch, in_h, in_w;
    int32_t out_batch, out_h, out_w;
    int32_t depth_bytes;
    int32_t block_h, block_w;
    int32_t top, left;   /* padding (space_to_batch) or crop (batch_to_space) */
} tflm_batch_space_params_t;

void tflm_space_to_batch_nd(const tflm_batch_space_params_t *p, const void *input,
                            void *output);
void tflm_batch_to_space_nd(const tflm_batch_space_params_t *p, const void *input,
                            void *output);

#endif /* TFLM_BATCH_SPACE_H */
