/* RESIZE_BILINEAR of int8 NHWC tensors, TFLM's integer path (weights in 1/1024): the two
 * source rows / columns and the weight of the second, per output row / column, are tables
 * computed by tflm_py/ops/resize_bilinear.py. */
#ifndef TFLM_RESIZE_BILINEAR_H
#define TFLM_RESIZE_BILINEAR_H

#include "tflm_common.h"

typedef struct {
    int32_t batches;
    int32_t input_height, input_width;
    int32_t output_height, output_width;
    int32_t depth;
    const int32_t *rows;   /* per output row: y0, y1, weight of y1 (1024 = all of y1) */
    const int32_t *cols;   /* per output column: x0, x1, weight of x1 */
} tflm_resize_bilinear_params_t;

/* output must not overlap input */
void tflm_resize_bilinear_s8(const tflm_resize_bilinear_params_t *p, const int8_t *input,
                             int8_t *output);

#endif /* TFLM_RESIZE_BILINEAR_H */
