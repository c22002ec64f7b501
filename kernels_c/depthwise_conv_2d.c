#include "depthwise_conv_2d.h"

/* taps k in [first, end) keep origin + k * step inside [0, size) */
static void dw_tap_range(int32_t origin, int32_t step, int32_t size, int32_t n,
                         int32_t *first, int32_t *end)
{
    int32_t lo = 0;
    int32_t hi = n;
    if (origin < 0) {
        lo = (-origin + step - 1) / step;
    }
    if (origin + (n - 1) * step >= size) {
        hi = origin >= size ? 0 : (size - origin + step - 1) / step;
    }
    *first = lo;
    *end = hi > lo ? hi : lo;
}

void tflm_depthwise_conv_2d_s8(const tflm_depthwise_conv_2d_params_t *p, const int8_t *input,
                               const int8_t *filter, const int32_t *bias, int8_t *output)
{
    const int32_t in_h = p->input_h, in_w = p->input_w, in_c = p->input_c;
    const int32_t k_w = p->filter_w;
    const int32_t out_c = p->output_c;
    const int32_t mult = p->depth_multiplier;
    const int32_t in_offset = p->input_offset;
    int8_t *out = output;

    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            int32_t ky0, ky1;
            dw_tap_range(iy0, p->dilation_h, in_h, p->filter_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < p->output_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                int32_t kx0, kx1;
                dw_tap_range(ix0, p->dilation_w, in_w, k_w, &kx0, &kx1);
                for (int32_t ic = 0; ic < in_c; ++ic) {
                    for (int32_t m = 0; m < mult; ++m) {
                        const int32_t oc = ic * mult + m;
                        int32_t acc = 0;
                        for (int32_t ky = ky0; ky < ky1; ++ky) {
                            const int32_t iy = iy0 + ky * p->dilation_h;
                            const int8_t *row = in_b + (size_t)iy * in_w * in_c + ic;
                            const int8_t *w_row = filter + (size_t)ky * k_w * out_c + oc;
                            for (int32_t kx = kx0; kx < kx1; ++kx) {
                                const int32_t ix = ix0 + kx * p->dilation_w;
                                acc += (int32_t)w_row[(size_t)kx * out_c] *
                                       ((int32_t)row[(size_t)ix * in_c] + in_offset);
                            }
                        }
                        if (bias != NULL) {
                            acc += bias[oc];
                        }
                        const int32_t q = p->per_channel ? oc : 0;
                        acc = tflm_requantize(acc, p->multipliers[q], p->shifts[q]);
                        acc += p->output_offset;
                        *out++ = (int8_t)TFLM_CLAMP(acc, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}
