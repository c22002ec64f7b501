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

/* ---- two pixels by two channels (tflm_conv_2d_s16_pairs) ---------------------------------
 * The scratch holds the windows of two output pixels a and b interleaved by words: element i
 * of window p (0: a, 1: b) at int16 index (i / 2) * 4 + 2 * p + i % 2, so one LDRD gives the
 * same two elements of both windows. Each output channel's weights are int8, in rows of
 * TFLM_CONV_2D_S16_ROW (zeros after the filter's own), every group of four stored in the order
 * 0, 2, 1, 3: SXTB16 widens a word to the pair (0, 1) and, rotated, to (2, 3), ready for
 * SMLAD against two int16 inputs. */

static TFLM_PY_INLINE int32_t conv16_slot(int32_t i)
{
    return (i >> 1) * 4 + (i & 1);
}

/* s[0..3] = (a . w0, a . w1, b . w0, b . w1) over 4 * quads >= 4 elements of the
 * interleaved windows x (int32 sums: the caller proved they cannot overflow) */
static TFLM_PY_NOINLINE void conv16_dot2x2(const int16_t *x, const int8_t *w0,
                                         const int8_t *w1, int32_t quads, int32_t *s)
{
    int32_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
#if TFLM_PY_USE_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
    /* per four elements: 2 LDRD (both windows), 2 LDR + 4 SXTB16 (both channels), 8 SMLAD */
    int32_t x0, x1, x2, x3, t, u;
    __asm__ volatile(
        "1:\n\t"
        "ldrd   %[x0], %[x1], [%[px]], #8\n\t"
        "ldrd   %[x2], %[x3], [%[px]], #8\n\t"
        "ldr    %[t], [%[w0]], #4\n\t"
        "sxtb16 %[u], %[t]\n\t"
        "sxtb16 %[t], %[t], ror #8\n\t"
        "smlad  %[a0], %[x0], %[u], %[a0]\n\t"
        "smlad  %[b0], %[x1], %[u], %[b0]\n\t"
        "smlad  %[a0], %[x2], %[t], %[a0]\n\t"
        "smlad  %[b0], %[x3], %[t], %[b0]\n\t"
        "ldr    %[t], [%[w1]], #4\n\t"
        "sxtb16 %[u], %[t]\n\t"
        "sxtb16 %[t], %[t], ror #8\n\t"
        "smlad  %[a1], %[x0], %[u], %[a1]\n\t"
        "smlad  %[b1], %[x1], %[u], %[b1]\n\t"
        "smlad  %[a1], %[x2], %[t], %[a1]\n\t"
        "smlad  %[b1], %[x3], %[t], %[b1]\n\t"
        "subs   %[cnt], %[cnt], #1\n\t"
        "bne    1b\n\t"
        : [a0] "+r"(a0), [a1] "+r"(a1), [b0] "+r"(b0), [b1] "+r"(b1), [px] "+r"(x),
          [w0] "+r"(w0), [w1] "+r"(w1), [cnt] "+r"(quads), [x0] "=&r"(x0), [x1] "=&r"(x1),
          [x2] "=&r"(x2), [x3] "=&r"(x3), [t] "=&r"(t), [u] "=&r"(u)
        :
        : "cc", "memory");
#else
    for (; quads > 0; --quads, x += 8, w0 += 4, w1 += 4) {
        static const int8_t order[4] = {0, 2, 1, 3};   /* element k's byte in its group */
        for (int32_t k = 0; k < 4; ++k) {
            const int32_t xa = x[conv16_slot(k)], xb = x[conv16_slot(k) + 2];
            const int32_t v0 = w0[order[k]], v1 = w1[order[k]];
            a0 += xa * v0;
            a1 += xa * v1;
            b0 += xb * v0;
            b1 += xb * v1;
        }
    }
#endif
    s[0] = a0;
    s[1] = a1;
    s[2] = b0;
    s[3] = b1;
}

/* elements [i, i + n) of one interleaved window d: copied from s */
static void conv16_copy(int16_t *d, int32_t i, const int16_t *s, int32_t n)
{
    if (n > 0 && (i & 1)) {
        d[conv16_slot(i)] = *s++;
        ++i;
        --n;
    }
    int16_t *dw = d + conv16_slot(i);
    for (int32_t k = n >> 1; k > 0; --k, dw += 4, s += 2) {
        tflm_store_s32(dw, tflm_load_s32(s));
    }
    if (n & 1) {
        *dw = *s;
    }
}

/* elements [i, i + n) of one interleaved window d: 0 */
static void conv16_zero(int16_t *d, int32_t i, int32_t n)
{
    for (; n > 0; ++i, --n) {
        d[conv16_slot(i)] = 0;
    }
}

/* the window of output pixel (oy, ox) of image in_b, filter_h * filter_w * input_c values in
 * the filter's OHWI tap order, into the interleaved window d; taps outside the image 0 (16x8
 * activations have no zero point: a 0 tap adds nothing, as the skipped tap adds nothing in
 * TFLM) */
static void conv16_patch(const tflm_conv_2d_s16_params_t *p, const int16_t *in_b, int32_t oy,
                         int32_t ox, int16_t *d)
{
    const int32_t c = p->input_c;
    const int32_t row = p->filter_w * c;
    const int32_t y0 = oy * p->stride_h - p->pad_h;
    const int32_t x0 = ox * p->stride_w - p->pad_w;
    int32_t kx0, kx1;
    tflm_tap_range(x0, p->dilation_w, p->input_w, p->filter_w, &kx0, &kx1);
    for (int32_t ky = 0, i = 0; ky < p->filter_h; ++ky, i += row) {
        const int32_t iy = y0 + ky * p->dilation_h;
        if (iy < 0 || iy >= p->input_h || kx1 <= kx0) {
            conv16_zero(d, i, row);
            continue;
        }
        const int16_t *src = in_b + (size_t)iy * p->input_w * c;
        if (kx0 > 0) {
            conv16_zero(d, i, kx0 * c);
        }
        if (p->dilation_w == 1) {
            conv16_copy(d, i + kx0 * c, src + (size_t)(x0 + kx0) * c, (kx1 - kx0) * c);
        } else {
            for (int32_t kx = kx0; kx < kx1; ++kx) {
                conv16_copy(d, i + kx * c, src + (size_t)(x0 + kx * p->dilation_w) * c, c);
            }
        }
        if (kx1 < p->filter_w) {
            conv16_zero(d, i + kx1 * c, (p->filter_w - kx1) * c);
        }
    }
}

/* the output of channel oc from its int32 sum: k64 (known at the call) takes the one-SMLAL
 * requantisation with the tables' pointers held across the loop */
static TFLM_PY_INLINE int16_t conv16_out(const tflm_rq16_t *rq, int32_t k64, const int32_t *mhi,
                                         const int64_t *k, const int8_t *post, int32_t acc,
                                         int32_t oc)
{
    if (!k64) {
        return tflm_rq16_out32(rq, acc, oc);
    }
    const int32_t v = (int32_t)(((int64_t)acc * mhi[oc] + k[oc]) >> 32) >> post[oc];
    return (int16_t)(v < rq->act_min ? rq->act_min : v > rq->act_max ? rq->act_max : v);
}

/* every output channel of the two pixels in the windows x, ya the first pixel's outputs (the
 * second's follow unless !two) */
static TFLM_PY_INLINE void conv16_channels(const tflm_conv_2d_s16_params_t *p,
                                           const int16_t *x, const int8_t *filter8, int32_t k4,
                                           int32_t k64, int32_t two, int16_t *ya)
{
    const int32_t oc_n = p->output_c;
    const tflm_rq16_t *rq = &p->rq;
    const int32_t *mhi = rq->mhi;
    const int64_t *k = rq->k64;
    const int8_t *post = rq->post;
    int16_t *yb = ya + oc_n;
    for (int32_t oc = 0; oc < oc_n; oc += 2) {
        const int8_t *w0 = filter8 + (size_t)oc * k4;
        const int32_t pair = oc + 1 < oc_n;
        int32_t s[4];
        conv16_dot2x2(x, w0, pair ? w0 + k4 : w0, k4 >> 2, s);
        ya[oc] = conv16_out(rq, k64, mhi, k, post, s[0], oc);
        if (pair) {
            ya[oc + 1] = conv16_out(rq, k64, mhi, k, post, s[1], oc + 1);
        }
        if (two) {
            yb[oc] = conv16_out(rq, k64, mhi, k, post, s[2], oc);
            if (pair) {
                yb[oc + 1] = conv16_out(rq, k64, mhi, k, post, s[3], oc + 1);
            }
        }
    }
}

/* two output pixels at a time (consecutive in NHWC order, across rows and images), both
 * windows first copied to the scratch (so every input read of the pair precedes its writes:
 * the overlap contract holds for pairs too), then two output channels at a time */
void tflm_conv_2d_s16_pairs(const tflm_conv_2d_s16_params_t *p, const int16_t *input,
                            const int8_t *filter8, int16_t *output, void *scratch)
{
    int16_t *x = (int16_t *)scratch;
    const int32_t k_n = p->filter_h * p->filter_w * p->input_c;
    const int32_t k4 = TFLM_CONV_2D_S16_ROW(k_n);
    const int32_t oc_n = p->output_c;
    const int32_t per_image = p->output_h * p->output_w;
    const int32_t total = p->batches * per_image;
    const size_t image = (size_t)p->input_h * p->input_w * p->input_c;
    conv16_zero(x, k_n, k4 - k_n);              /* the windows' tails stay 0 */
    conv16_zero(x + 2, k_n, k4 - k_n);
    for (int32_t q = 0; q < total; q += 2) {
        const int32_t two = q + 1 < total;
        for (int32_t j = 0; j < 2; ++j) {
            /* a lone last pixel fills both windows (b's sums are not written) */
            const int32_t v = two ? q + j : q;
            const int32_t b = v / per_image, r = v % per_image;
            conv16_patch(p, input + b * image, r / p->output_w, r % p->output_w, x + 2 * j);
        }
        int16_t *ya = output + (size_t)q * oc_n;
        if (p->rq.k64 != NULL) {
            conv16_channels(p, x, filter8, k4, 1, two, ya);
        } else {
            conv16_channels(p, x, filter8, k4, 0, two, ya);
        }
    }
}

void tflm_conv_2d_s16_fast(const tflm_conv_2d_s16_params_t *p, const int16_t *input,
                           const int16_t *filter16, int16_t *output)
{
    const int32_t fc = p->filter_c;
    const int32_t grouped = fc != p->input_c;
    const int32_t per_group = p->output_c / (p->input_c / fc);
    const int32_t row_run = p->dilation_w == 1 && !grouped;
    const int32_t w_size = TFLM_CONV_2D_S16_ROW(p->filter_h * p->filter_w * fc);
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
