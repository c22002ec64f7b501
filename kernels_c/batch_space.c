#include "batch_space.h"

#include <string.h>

static size_t pixel(const tflm_batch_space_params_t *p, int32_t b, int32_t h, int32_t w,
                    int32_t height, int32_t width)
{
    return (((size_t)b * (size_t)height + (size_t)h) * (size_t)width + (size_t)w)
           * (size_t)p->depth_bytes;
}

void tflm_space_to_batch_nd(const tflm_batch_space_params_t *p, const void *input,
                            void *output)
{
    const uint8_t *src = (const uint8_t *)input;
    uint8_t *dst = (uint8_t *)output;
    for (int32_t ob = 0; ob < p->out_batch; ++ob) {
        const int32_t ib = ob % p->in_batch;
        const int32_t shift = ob / p->in_batch;
        const int32_t shift_h = shift / p->block_w;
        const int32_t shift_w = shift % p->block_w;
        for (int32_t oh = 0; oh < p->out_h; ++oh) {
            const int32_t ih = oh * p->block_h + shift_h - p->top;
            for (int32_t ow = 0; ow < p->out_w; ++ow) {
                const int32_t iw = ow * p->block_w + shift_w - p->left;
                uint8_t *out = dst + pixel(p, ob, oh, ow, p->out_h, p->out_w);
                if (ih < 0 || ih >= p->in_h || iw < 0 || iw >= p->in_w) {
                    memset(out, 0, (size_t)p->depth_bytes);
                } else {
                    memcpy(out, src + pixel(p, ib, ih, iw, p->in_h, p->in_w),
                           (size_t)p->depth_bytes);
                }
            }
        }
    }
}

void tflm_batch_to_space_nd(const tflm_batch_space_params_t *p, const void *input,
                            void *output)
{
    const uint8_t *src = (const uint8_t *)input;
    uint8_t *dst = (uint8_t *)output;
    for (int32_t ib = 0; ib < p->in_batch; ++ib) {
        const int32_t ob = ib % p->out_batch;
        const int32_t shift = ib / p->out_batch;
        for (int32_t ih = 0; ih < p->in_h; ++ih) {
            const int32_t oh = ih * p->block_h + shift / p->block_w - p->top;
            if (oh < 0 || oh >= p->out_h) {
                continue;
            }
            for (int32_t iw = 0; iw < p->in_w; ++iw) {
                const int32_t ow = iw * p->block_w + shift % p->block_w - p->left;
                if (ow < 0 || ow >= p->out_w) {
                    continue;
                }
                memcpy(dst + pixel(p, ob, oh, ow, p->out_h, p->out_w),
                       src + pixel(p, ib, ih, iw, p->in_h, p->in_w), (size_t)p->depth_bytes);
            }
        }
    }
}
