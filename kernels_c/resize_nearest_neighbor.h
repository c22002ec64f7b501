/* RESIZE_NEAREST_NEIGHBOR of NHWC tensors of any element size: the source row and column of
 * every output row and column are tables computed by tflm_py/ops/resize_nearest_neighbor.py
 * with TFLM's float32 arithmetic. */
#ifndef TFLM_RESIZE_NEAREST_NEIGHBOR_H
#define TFLM_RESIZE_NEAREST_NEIGHBOR_H

#include "tflm_common.h"

typedef struct {
    int32_t batches;
    int32_t input_height, input_width;
    int32_t output_height, output_width;
    int32_t depth_bytes;     /* channels * element size */
    const int32_t *rows;     /* rows[y]: source row of output row y */
    const int32_t *cols;     /* cols[x]: source column of output column x */
} tflm_resize_nearest_neighbor_params_t;

/* output must not overlap input */
void tflm_resize_nearest_neighbor(const tflm_resize_nearest_neighbor_params_t *p,
                                  const void *input, void *output);

#endif /* TFLM_RESIZE_NEAREST_NEIGHBOR_H */
