/* DEPTHWISE_CONV_2D 16x8: acc[oc] = sum over the taps inside the image of
 * w[ky][kx][oc] * x[iy][ix][oc / M] (no zero points), + bias, requantised per channel
 * (tflm_rq16_out).
 *
 * Memory-order contract (the planner's overlap rule, tflm_py/ops/_overlap.py): output pixels
 * (all channels) are written in ascending NHWC order, each after reading only its own window.
 *
 * One window's products per channel are few (KH * KW), so each tap's int16 x int8 product
 * is summed in int32 (|w * x| <= 2^22: up to 2^9 taps fit), then widened once.
 *
 * depth_multiplier 1 with at most 2^9 taps: the channels innermost, 4 at a time with their
 * sums in registers across the window (Cortex-M DSP: per tap two words of inputs, one of
 * weights widened with SXTB16, SMLABB / SMLATB / SMLABT / SMLATT), then requantised.
 * Otherwise one channel at a time. */
#include "depthwise_conv_2d_s16.h"

/* s0..s3 += the products of channels c .. c + 3 over n >= 1 taps of one window row: x and w
 * at the first tap, channel c; steps in bytes. Cortex-M DSP: per tap two words of inputs, one
 * of weights widened with SXTB16, SMLABB / SMLATB / SMLABT / SMLATT (in assembly: -Os keeps
 * the C loop's steps on the stack). */
#if TFLM_PY_USE_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
#define DW16_ROW4(x, w, n, x_col, w_col, s0, s1, s2, s3)                                    \
    do {                                                                                   \
        const int16_t *x_ = (x);                                                           \
        const int8_t *w_ = (w);                                                            \
        int32_t n_ = (n), t0_, t1_, t2_, t3_;                                              \
        __asm__ volatile(                                                                  \
            "1:\n\t"                                                                       \
            "ldr    %[t2], [%[pw]]\n\t"                                                    \
            "ldr    %[t1], [%[px], #4]\n\t"                                                \
            "ldr    %[t0], [%[px]]\n\t"                                                    \
            "add    %[pw], %[pw], %[wc]\n\t"                                               \
            "add    %[px], %[px], %[xc]\n\t"                                               \
            "sxtb16 %[t3], %[t2]\n\t"                                                      \
            "sxtb16 %[t2], %[t2], ror #8\n\t"                                              \
            "smlabb %[a0], %[t0], %[t3], %[a0]\n\t"                                        \
            "smlatb %[a1], %[t0], %[t2], %[a1]\n\t"                                        \
            "smlabt %[a2], %[t1], %[t3], %[a2]\n\t"                                        \
            "smlatt %[a3], %[t1], %[t2], %[a3]\n\t"                                        \
            "subs   %[cnt], %[cnt], #1\n\t"                                                \
            "bne    1b\n\t"                                                                \
            : [a0] "+r"(s0), [a1] "+r"(s1), [a2] "+r"(s2), [a3] "+r"(s3), [px] "+r"(x_),    \
              [pw] "+r"(w_), [cnt] "+r"(n_), [t0] "=&r"(t0_), [t1] "=&r"(t1_),             \
              [t2] "=&r"(t2_), [t3] "=&r"(t3_)                                             \
            : [xc] "r"((x_col) * 2), [wc] "r"(w_col)                                       \
            : "cc", "memory");                                                             \
    } while (0)
#else
#define DW16_ROW4(x, w, n, x_col, w_col, s0, s1, s2, s3)                                    \
    do {                                                                                   \
        const int16_t *x_ = (x);                                                           \
        const int8_t *w_ = (w);                                                            \
        for (int32_t k_ = (n); k_ > 0; --k_) {                                             \
            s0 += x_[0] * w_[0];                                                           \
            s1 += x_[1] * w_[1];                                                           \
            s2 += x_[2] * w_[2];                                                           \
            s3 += x_[3] * w_[3];                                                           \
            x_ += (x_col);                                                                 \
            w_ += (w_col);                                                                 \
        }                                                                                  \
    } while (0)
#endif

/* sums[0..3] of channels c .. c + 3 over the valid taps (rows x cols >= 1 x 1): x and w at
 * the first valid tap, channel c; steps in elements */
static TFLM_PY_INLINE void dw16_sum4(const int16_t *x, const int8_t *w, int32_t rows,
                                       int32_t cols, int32_t x_row, int32_t x_col,
                                       int32_t w_row, int32_t w_col, int32_t *sums)
{
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int32_t r = 0; r < rows; ++r) {
        DW16_ROW4(x, w, cols, x_col, w_col, s0, s1, s2, s3);
        x += x_row;
        w += w_row;
    }
    sums[0] = s0;
    sums[1] = s1;
    sums[2] = s2;
    sums[3] = s3;
}

/* the output of channel c from its exact int32 sum: from int32 when the layer's
 * accumulators provably fit int32 (rq.fits32), else TFLM's int64 arithmetic */
static TFLM_PY_INLINE int16_t dw16_out(const tflm_rq16_t *rq, int32_t s, const void *bias,
                                       int32_t c)
{
    return rq->fits32 ? tflm_rq16_out32(rq, s, c) : tflm_rq16_out(rq, s, bias, c);
}

/* depth_multiplier 1, at most 2^9 taps: all channels of each output pixel */
static void dw16_channels(const tflm_depthwise_conv_2d_s16_params_t *p, const int16_t *input,
                          const int8_t *filter, const void *bias, int16_t *output)
{
    const int32_t ch = p->output_c;
    const int64_t *k64 = p->rq.fits32 ? p->rq.k64 : NULL;
    const int32_t *mhi = p->rq.mhi;
    const int8_t *post = p->rq.post;
    const int32_t lo = p->rq.act_min, hi = p->rq.act_max;
    int16_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int16_t *in_b = input + (size_t)b * p->input_h * p->input_w * ch;
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            int32_t ky0, ky1;
            tflm_tap_range(y0, p->dilation_h, p->input_h, p->filter_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < p->output_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                int32_t kx0, kx1;
                tflm_tap_range(x0, p->dilation_w, p->input_w, p->filter_w, &kx0, &kx1);
                const int32_t x_row = p->dilation_h * p->input_w * ch;
                const int32_t x_col = p->dilation_w * ch;
                const int16_t *x = in_b + ((size_t)(y0 + ky0 * p->dilation_h) * p->input_w +
                                           (size_t)(x0 + kx0 * p->dilation_w)) * ch;
                const int8_t *w = filter + ((size_t)ky0 * p->filter_w + kx0) * ch;
                const int32_t rows = ky1 - ky0, cols = kx1 - kx0;
                int32_t c = 0;
                for (; rows > 0 && cols > 0 && c + 4 <= ch; c += 4) {
                    int32_t sums[4];
                    dw16_sum4(x + c, w + c, rows, cols, x_row, x_col, p->filter_w * ch, ch,
                              sums);
                    if (k64 != NULL) {
                        /* the one-SMLAL requantisation (tflm_rq16_t.k64), tables held */
                        for (int32_t k = 0; k < 4; ++k) {
                            const int32_t o = c + k;
                            const int32_t v = (int32_t)(((int64_t)sums[k] * mhi[o] + k64[o]) >>
                                                        32) >> post[o];
                            out[o] = (int16_t)(v < lo ? lo : v > hi ? hi : v);
                        }
                    } else {
                        for (int32_t k = 0; k < 4; ++k) {
                            out[c + k] = dw16_out(&p->rq, sums[k], bias, c + k);
                        }
                    }
                }
                for (; c < ch; ++c) {
                    int32_t s = 0;
                    for (int32_t r = 0; r < rows; ++r) {
                        for (int32_t k = 0; k < cols; ++k) {
                            s += x[(size_t)r * x_row + (size_t)k * x_col + c] *
                                 w[((size_t)r * p->filter_w + k) * ch + c];
                        }
                    }
                    out[c] = dw16_out(&p->rq, s, bias, c);
                }
                out += ch;
            }
        }
    }
}

void tflm_depthwise_conv_2d_s16(const tflm_depthwise_conv_2d_s16_params_t *p,
                                const int16_t *input, const int8_t *filter, const void *bias,
                                int16_t *output)
{
    const int32_t m = p->depth_multiplier;
    const int32_t oc_n = p->output_c;
    /* int32 sums: a window's products alone fit, or the whole accumulator provably does */
    const int32_t narrow = p->filter_h * p->filter_w <= 512 || p->rq.fits32;
    if (m == 1 && narrow) {
        dw16_channels(p, input, filter, bias, output);
        return;
    }
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
                    *out++ = narrow ? dw16_out(&p->rq, s32, bias, oc)
                                    : tflm_rq16_out(&p->rq, s64, bias, oc);
                }
            }
        }
    }
}
