/* CONV_2D 16x8: acc = sum over the taps inside the image of w * x (no zero points), + bias,
 * requantised per output channel (tflm_rq16_out).
 *
 * Memory-order contract (the planner's overlap rule, tflm_py/ops/_overlap.py): output pixels
 * (all channels) are written in ascending NHWC order, each after reading only its own window.
 *
 * The dot products go through tflm_dot_s16_s8 (SMLAD on int16 pairs on Cortex-M with DSP,
 * blocked int32 sums elsewhere). Without dilation along the width and with one group, the
 * taps of a window row that fall inside the image are consecutive in both the input and the
 * OHWI filter, so each row is one dot product. */
#include "conv_2d_s16.h"

void tflm_conv_2d_s16(const tflm_conv_2d_s16_params_t *p, const int16_t *input,
                      const int8_t *filter, const void *bias, int16_t *output)
{
    const int32_t fc = p->filter_c;
    const int32_t per_group = p->output_c / (p->input_c / fc);
    const int32_t row_run = p->dilation_w == 1 && fc == p->input_c;
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
                for (int32_t oc = 0; oc < p->output_c; ++oc) {
                    const int32_t c0 = (oc / per_group) * fc;
                    const int8_t *w_oc = filter + (size_t)oc * p->filter_h * p->filter_w * fc;
                    int64_t sum = 0;
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        const int32_t iy = y0 + ky * p->dilation_h;
                        const int16_t *in_row = in_b + (size_t)iy * p->input_w * p->input_c;
                        const int8_t *w_row = w_oc + (size_t)ky * p->filter_w * fc;
                        if (row_run) {
                            if (kx1 > kx0) {
                                sum += tflm_dot_s16_s8(in_row + (size_t)(x0 + kx0) * fc,
                                                       w_row + (size_t)kx0 * fc,
                                                       (kx1 - kx0) * fc);
                            }
                            continue;
                        }
                        for (int32_t kx = kx0; kx < kx1; ++kx) {
                            const int32_t ix = x0 + kx * p->dilation_w;
                            sum += tflm_dot_s16_s8(in_row + (size_t)ix * p->input_c + c0,
                                                   w_row + (size_t)kx * fc, fc);
                        }
                    }
                    *out++ = tflm_rq16_out(&p->rq, sum, bias, oc);
                }
            }
        }
    }
}
