/* DEPTHWISE_CONV_2D 16x8: acc[oc] = sum over the taps inside the image of
 * w[ky][kx][oc] * x[iy][ix][oc / M] (no zero points), + bias, requantised per channel
 * (tflm_rq16_out).
 *
 * Memory-order contract (the planner's overlap rule, tflm_py/ops/_overlap.py): output pixels
 * (all channels) are written in ascending NHWC order, each after reading only its own window.
 *
 * One window's products per channel are few (KH * KW), so each tap's int16 x int8 product
 * is summed in int32 (|w * x| <= 2^22: up to 2^9 taps fit), then widened once. */
#include "depthwise_conv_2d_s16.h"

void tflm_depthwise_conv_2d_s16(const tflm_depthwise_conv_2d_s16_params_t *p,
                                const int16_t *input, const int8_t *filter, const void *bias,
                                int16_t *output)
{
    const int32_t m = p->depth_multiplier;
    const int32_t oc_n = p->output_c;
    const int32_t narrow = p->filter_h * p->filter_w <= 512;
    int16_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int16_t *in_b = input + (size_t)b * p->input_h * p->input_w * p->input_c;
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            int32_t ky0, ky1;
            tflm_tap_range(y0, p->dilation_h, p->input_h, p->filter_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < p->output_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                int32_t kx0, kx1;
                tflm_tap_range(x0, p->dilation_w, p->input_w, p->filter_w, &kx0, &kx1);
                for (int32_t oc = 0; oc < oc_n; ++oc) {
                    const int32_t ic = oc / m;
                    int32_t s32 = 0;
                    int64_t s64 = 0;
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        const int32_t iy = y0 + ky * p->dilation_h;
                        const int16_t *in_row = in_b + (size_t)iy * p->input_w * p->input_c;
                        const int8_t *w_row = filter + (size_t)ky * p->filter_w * oc_n + oc;
                        for (int32_t kx = kx0; kx < kx1; ++kx) {
                            const int32_t ix = x0 + kx * p->dilation_w;
                            const int32_t prod = in_row[(size_t)ix * p->input_c + ic] *
                                                 w_row[(size_t)kx * oc_n];
                            if (narrow) {
                                s32 += prod;
                            } else {
                                s64 += prod;
                            }
                        }
                    }
                    *out++ = tflm_rq16_out(&p->rq, s64 + s32, bias, oc);
                }
            }
        }
    }
}
