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

/* *s0 += x . w0 and *s1 += x . w1 over n int16 elements (int32 sums: the caller proved they
 * cannot overflow). DSP: one word of two inputs feeds both channels' SMLAD. */
/* out of line: inlined, -Os spills the loop's sums and pointers to the stack */
static TFLM_PY_NOINLINE void conv16_dot2(const int16_t *x, const int16_t *w0, const int16_t *w1,
                                       int32_t n, int32_t *s0, int32_t *s1)
{
    int32_t a = *s0, b = *s1;
    int32_t k = 0;
#if TFLM_PY_USE_DSP
    for (; k + 4 <= n; k += 4) {
        const int32_t x01 = tflm_load_s32(x + k), x23 = tflm_load_s32(x + k + 2);
        a = __smlad(x01, tflm_load_s32(w0 + k), a);
        b = __smlad(x01, tflm_load_s32(w1 + k), b);
        a = __smlad(x23, tflm_load_s32(w0 + k + 2), a);
        b = __smlad(x23, tflm_load_s32(w1 + k + 2), b);
    }
#endif
    for (; k < n; ++k) {
        a += x[k] * w0[k];
        b += x[k] * w1[k];
    }
    *s0 = a;
    *s1 = b;
}

static TFLM_PY_INLINE int32_t conv16_dot1(const int16_t *x, const int16_t *w, int32_t n)
{
    int32_t a = 0;
    int32_t k = 0;
#if TFLM_PY_USE_DSP
    for (; k + 2 <= n; k += 2) {
        a = __smlad(tflm_load_s32(x + k), tflm_load_s32(w + k), a);
    }
#endif
    for (; k < n; ++k) {
        a += x[k] * w[k];
    }
    return a;
}

void tflm_conv_2d_s16_fast(const tflm_conv_2d_s16_params_t *p, const int16_t *input,
                           const int16_t *filter16, int16_t *output)
{
    const int32_t fc = p->filter_c;
    const int32_t grouped = fc != p->input_c;
    const int32_t per_group = p->output_c / (p->input_c / fc);
    const int32_t row_run = p->dilation_w == 1 && !grouped;
    const int32_t w_size = p->filter_h * p->filter_w * fc;   /* one output channel's weights */
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
                const int32_t run = (kx1 - kx0) * fc;
                int32_t oc = 0;
                if (row_run) {
                    /* two output channels at a time, each window row one contiguous run */
                    for (; oc + 2 <= p->output_c; oc += 2) {
                        const int16_t *w0 = filter16 + (size_t)oc * w_size + (size_t)kx0 * fc;
                        int32_t s0 = 0, s1 = 0;
                        for (int32_t ky = ky0; ky < ky1; ++ky) {
                            const int32_t iy = y0 + ky * p->dilation_h;
                            const int16_t *x = in_b + ((size_t)iy * p->input_w + (x0 + kx0)) *
                                                          p->input_c;
                            const int16_t *w = w0 + (size_t)ky * p->filter_w * fc;
                            conv16_dot2(x, w, w + w_size, run, &s0, &s1);
                        }
                        out[oc] = tflm_rq16_out32(&p->rq, s0, oc);
                        out[oc + 1] = tflm_rq16_out32(&p->rq, s1, oc + 1);
                    }
                }
                for (; oc < p->output_c; ++oc) {
                    const int32_t c0 = (oc / per_group) * fc;
                    const int16_t *w_oc = filter16 + (size_t)oc * w_size;
                    int32_t s = 0;
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        const int32_t iy = y0 + ky * p->dilation_h;
                        const int16_t *in_row = in_b + (size_t)iy * p->input_w * p->input_c;
                        const int16_t *w_row = w_oc + (size_t)ky * p->filter_w * fc;
                        if (row_run) {
                            s += conv16_dot1(in_row + (size_t)(x0 + kx0) * fc,
                                             w_row + (size_t)kx0 * fc, run);
                            continue;
                        }
                        for (int32_t kx = kx0; kx < kx1; ++kx) {
                            const int32_t ix = x0 + kx * p->dilation_w;
                            s += conv16_dot1(in_row + (size_t)ix * p->input_c + c0,
                                             w_row + (size_t)kx * fc, fc);
                        }
                    }
                    out[oc] = tflm_rq16_out32(&p->rq, s, oc);
                }
                out += p->output_c;
            }
        }
    }
}
