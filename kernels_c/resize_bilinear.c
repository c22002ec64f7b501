/* RESIZE_BILINEAR kernel: see resize_bilinear.h. */
#include "resize_bilinear.h"

void tflm_resize_bilinear_s8(const tflm_resize_bilinear_params_t *p, const int8_t *input,
                             int8_t *output)
{
    const int32_t depth = p->depth;
    const int32_t row_len = p->input_width * depth;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *batch = input + (size_t)b * (size_t)p->input_height * (size_t)row_len;
        for (int32_t y = 0; y < p->output_height; ++y) {
            const int8_t *r0 = batch + (size_t)p->rows[3 * y] * (size_t)row_len;
            const int8_t *r1 = batch + (size_t)p->rows[3 * y + 1] * (size_t)row_len;
            const int64_t wy = p->rows[3 * y + 2];
            for (int32_t x = 0; x < p->output_width; ++x) {
                const int32_t c0 = p->cols[3 * x] * depth;
                const int32_t c1 = p->cols[3 * x + 1] * depth;
                const int64_t wx = p->cols[3 * x + 2];
                const int64_t w00 = (1024 - wy) * (1024 - wx), w10 = wy * (1024 - wx);
                const int64_t w01 = (1024 - wy) * wx, w11 = wy * wx;
                for (int32_t c = 0; c < depth; ++c) {
                    const int64_t acc = r0[c0 + c] * w00 + r1[c0 + c] * w10 +
                                        r0[c1 + c] * w01 + r1[c1 + c] * w11;
                    const int64_t v = (acc + (acc > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20);
                    /* TFLM's static_cast<int8_t> keeps the low byte */
                    *output++ = (int8_t)(uint8_t)((uint64_t)v & 0xFFu);
                }
            }
        }
    }
}
