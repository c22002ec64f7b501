/* RESIZE_NEAREST_NEIGHBOR kernel: see resize_nearest_neighbor.h. */
#include "resize_nearest_neighbor.h"

#include <string.h>

void tflm_resize_nearest_neighbor(const tflm_resize_nearest_neighbor_params_t *p,
                                  const void *input, void *output)
{
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    const size_t depth = (size_t)p->depth_bytes;
    const size_t row_bytes = (size_t)p->input_width * depth;
    const size_t batch_bytes = (size_t)p->input_height * row_bytes;
    for (int32_t b = 0; b < p->batches; ++b) {
        const uint8_t *batch = in + (size_t)b * batch_bytes;
        for (int32_t y = 0; y < p->output_height; ++y) {
            const uint8_t *row = batch + (size_t)p->rows[y] * row_bytes;
            for (int32_t x = 0; x < p->output_width; ++x) {
                memcpy(out, row + (size_t)p->cols[x] * depth, depth);
                out += depth;
            }
        }
    }
}
