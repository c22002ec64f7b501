/* TRANSPOSE_CONV (see transpose_conv.h). TFLM's reference scatters every input pixel into an
 * output-sized int32 / int64 buffer; here each output pixel gathers instead: output (oy, ox)
 * receives input (iy, ix) through tap (ky, kx) when oy + pad_h = iy * stride_h + ky and
 * ox + pad_w = ix * stride_w + kx. For one output row those taps are ky = ky0, ky0 + stride_h,
 * ... with iy = iy0, iy0 - 1, ... (tconv_taps), so a pixel's sum is a short list of
 * (input pixel, filter tap) dot products over the input channels. The sums are the same
 * integers as the reference's: int32 sums wrap modulo 2^32 in any order, int64 sums of
 * products below 2^23 do not overflow. No scratch; the output is written once, in order.
 *
 * Paths: portable C (four output channels share each input vector; gcc -O2 vectorises the
 * int8 loop with PMADDWD on x86) and, on Cortex-M with the DSP extension
 * (TFLM_PY_USE_DSP), SMLAD (int8: input words widened with SXTAB16, the offset added once
 * per word for four channels) and SMLALD (16x8: int16 input pairs, 64-bit accumulators). */
#include "transpose_conv.h"

/* The taps of one output coordinate o along one axis: first tap k0, tap count, and the input
 * coordinate i0 of the first tap (each further tap: k += stride, i -= 1). */
static void tconv_taps(int32_t o, int32_t pad, int32_t stride, int32_t in_size, int32_t k_size,
                       int32_t *k0, int32_t *count, int32_t *i0)
{
    const int32_t t = o + pad;                          /* >= 0 */
    int32_t k = t % stride;
    const int32_t lowest = t - (in_size - 1) * stride;  /* taps below it read past the input */
    if (k < lowest) {
        k += (lowest - k + stride - 1) / stride * stride;
    }
    const int32_t last = TFLM_MIN(k_size - 1, t);
    *k0 = k;
    *count = k > last ? 0 : (last - k) / stride + 1;
    *i0 = (t - k) / stride;
}

/* ---- int8 ------------------------------------------------------------------------------ */

#if TFLM_PY_USE_DSP
/* s[0..3] += dot(x + offset, w_j) for the 4 filter rows w, w + stride, ... (depth values) */
static TFLM_PY_NOINLINE void tconv_dot4_s8(const int8_t *x, int32_t offset, const int8_t *w,
                                         int32_t stride, int32_t depth, int32_t *s)
{
    const int8_t *w0 = w, *w1 = w + stride, *w2 = w1 + stride, *w3 = w2 + stride;
    const int32_t off2 = (int32_t)(((uint32_t)offset & 0xFFFFu) | ((uint32_t)offset << 16));
    int32_t a0 = s[0], a1 = s[1], a2 = s[2], a3 = s[3];
    int32_t k = 0;
    for (; k + 4 <= depth; k += 4) {
        const int32_t xv = tflm_load_s32(x + k);
        const int32_t xe = __sxtab16(off2, xv);           /* x0, x2 (+ offset) */
        const int32_t xo = tflm_sxtab16_ror8(off2, xv);   /* x1, x3 (+ offset) */
        int32_t wv = tflm_load_s32(w0 + k);
        a0 = __smlad(__sxtb16(wv), xe, a0);
        a0 = __smlad(tflm_sxtb16_ror8(wv), xo, a0);
        wv = tflm_load_s32(w1 + k);
        a1 = __smlad(__sxtb16(wv), xe, a1);
        a1 = __smlad(tflm_sxtb16_ror8(wv), xo, a1);
        wv = tflm_load_s32(w2 + k);
        a2 = __smlad(__sxtb16(wv), xe, a2);
        a2 = __smlad(tflm_sxtb16_ror8(wv), xo, a2);
        wv = tflm_load_s32(w3 + k);
        a3 = __smlad(__sxtb16(wv), xe, a3);
        a3 = __smlad(tflm_sxtb16_ror8(wv), xo, a3);
    }
    for (; k < depth; ++k) {
        const int32_t xv = x[k] + offset;
        a0 += xv * w0[k];
        a1 += xv * w1[k];
        a2 += xv * w2[k];
        a3 += xv * w3[k];
    }
    s[0] = a0;
    s[1] = a1;
    s[2] = a2;
    s[3] = a3;
}

static TFLM_PY_INLINE int32_t tconv_dot1_s8(const int8_t *x, int32_t offset, const int8_t *w,
                                            int32_t depth, int32_t a)
{
    const int32_t off2 = (int32_t)(((uint32_t)offset & 0xFFFFu) | ((uint32_t)offset << 16));
    int32_t k = 0;
    for (; k + 4 <= depth; k += 4) {
        const int32_t xv = tflm_load_s32(x + k);
        const int32_t wv = tflm_load_s32(w + k);
        a = __smlad(__sxtb16(wv), __sxtab16(off2, xv), a);
        a = __smlad(tflm_sxtb16_ror8(wv), tflm_sxtab16_ror8(off2, xv), a);
    }
    for (; k < depth; ++k) {
        a += (x[k] + offset) * w[k];
    }
    return a;
}
#else
/* s[0..3] += dot(x + offset, w_j) for the 4 filter rows w, w + stride, ... (depth values);
 * the int16 products of the main loop let gcc use PMADDWD */
static TFLM_PY_NOINLINE void tconv_dot4_s8(const int8_t *x, int32_t offset, const int8_t *w,
                                           int32_t stride, int32_t depth, int32_t *s)
{
    const int8_t *w0 = w, *w1 = w + stride, *w2 = w1 + stride, *w3 = w2 + stride;
    const int32_t depth8 = depth & ~7;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int32_t k = 0; k < depth8; ++k) {
        const int16_t xv = (int16_t)(x[k] + offset);
        a0 += xv * w0[k];
        a1 += xv * w1[k];
        a2 += xv * w2[k];
        a3 += xv * w3[k];
    }
    for (int32_t k = depth8; k < depth; ++k) {
        const int32_t xv = x[k] + offset;
        a0 += xv * w0[k];
        a1 += xv * w1[k];
        a2 += xv * w2[k];
        a3 += xv * w3[k];
    }
    s[0] = tflm_wrap_add(s[0], a0);
    s[1] = tflm_wrap_add(s[1], a1);
    s[2] = tflm_wrap_add(s[2], a2);
    s[3] = tflm_wrap_add(s[3], a3);
}

static TFLM_PY_INLINE int32_t tconv_dot1_s8(const int8_t *x, int32_t offset, const int8_t *w,
                                            int32_t depth, int32_t a)
{
    int32_t s = 0;
    for (int32_t k = 0; k < depth; ++k) {
        s += (x[k] + offset) * w[k];
    }
    return tflm_wrap_add(a, s);
}
#endif

void tflm_transpose_conv_s8(const tflm_transpose_conv_params_t *p, const int8_t *input,
                            const int8_t *filter, const int32_t *bias, int8_t *output)
{
    tflm_rq_t r;
    r.multipliers = p->multipliers;
    r.shifts = p->shifts;
    r.per_channel = p->per_channel;
    r.output_offset = p->output_offset;
    r.act_min = p->act_min;
    r.act_max = p->act_max;
    const int32_t in_c = p->input_c, out_c = p->output_c;
    const int32_t row_stride = p->filter_h * p->filter_w * in_c;   /* one output channel */
    int8_t *y = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input_h * p->input_w * in_c;
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            int32_t ky0, nky, iy0;
            tconv_taps(oy, p->pad_h, p->stride_h, p->input_h, p->filter_h, &ky0, &nky, &iy0);
            for (int32_t ox = 0; ox < p->output_w; ++ox) {
                int32_t kx0, nkx, ix0;
                tconv_taps(ox, p->pad_w, p->stride_w, p->input_w, p->filter_w, &kx0, &nkx, &ix0);
                int32_t oc = 0;
                for (; oc + 4 <= out_c; oc += 4) {
                    int32_t s[4] = {0, 0, 0, 0};
                    for (int32_t ty = 0; ty < nky; ++ty) {
                        const int32_t ky = ky0 + ty * p->stride_h, iy = iy0 - ty;
                        for (int32_t tx = 0; tx < nkx; ++tx) {
                            const int32_t kx = kx0 + tx * p->stride_w, ix = ix0 - tx;
                            tconv_dot4_s8(in_b + ((size_t)iy * p->input_w + ix) * in_c,
                                          p->input_offset,
                                          filter + (size_t)oc * row_stride +
                                              (ky * p->filter_w + kx) * in_c,
                                          row_stride, in_c, s);
                        }
                    }
                    for (int32_t j = 0; j < 4; ++j) {
                        const int32_t acc = bias != NULL ? tflm_wrap_add(s[j], bias[oc + j]) : s[j];
                        y[oc + j] = tflm_rq_out(&r, acc, oc + j);
                    }
                }
                for (; oc < out_c; ++oc) {
                    int32_t acc = 0;
                    for (int32_t ty = 0; ty < nky; ++ty) {
                        const int32_t ky = ky0 + ty * p->stride_h, iy = iy0 - ty;
                        for (int32_t tx = 0; tx < nkx; ++tx) {
                            const int32_t kx = kx0 + tx * p->stride_w, ix = ix0 - tx;
                            acc = tconv_dot1_s8(in_b + ((size_t)iy * p->input_w + ix) * in_c,
                                                p->input_offset,
                                                filter + (size_t)oc * row_stride +
                                                    (ky * p->filter_w + kx) * in_c,
                                                in_c, acc);
                        }
                    }
                    if (bias != NULL) {
                        acc = tflm_wrap_add(acc, bias[oc]);
                    }
                    y[oc] = tflm_rq_out(&r, acc, oc);
                }
                y += out_c;
            }
        }
    }
}

/* ---- 16x8 ------------------------------------------------------------------------------ */

/* s[0..3] += dot(x, w_j) for the 4 filter rows w, w + stride, ... (depth values), in int64 */
static TFLM_PY_NOINLINE void tconv_dot4_s16(const int16_t *x, const int8_t *w, int32_t stride,
                                          int32_t depth, int64_t *s)
{
    const int8_t *w0 = w, *w1 = w + stride, *w2 = w1 + stride, *w3 = w2 + stride;
    int64_t a0 = s[0], a1 = s[1], a2 = s[2], a3 = s[3];
    int32_t k = 0;
#if TFLM_PY_USE_DSP
    for (; k + 4 <= depth; k += 4) {
        const uint32_t x01 = (uint32_t)tflm_load_s32(x + k);
        const uint32_t x23 = (uint32_t)tflm_load_s32(x + k + 2);
        const int32_t xe = (int32_t)((x01 & 0xFFFFu) | (x23 << 16));          /* x0, x2 */
        const int32_t xo = (int32_t)((x23 & 0xFFFF0000u) | (x01 >> 16));      /* x1, x3 */
        int32_t wv = tflm_load_s32(w0 + k);
        a0 = __smlald(__sxtb16(wv), xe, a0);
        a0 = __smlald(tflm_sxtb16_ror8(wv), xo, a0);
        wv = tflm_load_s32(w1 + k);
        a1 = __smlald(__sxtb16(wv), xe, a1);
        a1 = __smlald(tflm_sxtb16_ror8(wv), xo, a1);
        wv = tflm_load_s32(w2 + k);
        a2 = __smlald(__sxtb16(wv), xe, a2);
        a2 = __smlald(tflm_sxtb16_ror8(wv), xo, a2);
        wv = tflm_load_s32(w3 + k);
        a3 = __smlald(__sxtb16(wv), xe, a3);
        a3 = __smlald(tflm_sxtb16_ror8(wv), xo, a3);
    }
#endif
    for (; k < depth; ++k) {
        const int32_t xv = x[k];
        a0 += xv * w0[k];
        a1 += xv * w1[k];
        a2 += xv * w2[k];
        a3 += xv * w3[k];
    }
    s[0] = a0;
    s[1] = a1;
    s[2] = a2;
    s[3] = a3;
}

static TFLM_PY_INLINE int64_t tconv_dot1_s16(const int16_t *x, const int8_t *w, int32_t depth,
                                             int64_t a)
{
    int32_t k = 0;
#if TFLM_PY_USE_DSP
    for (; k + 4 <= depth; k += 4) {
        const uint32_t x01 = (uint32_t)tflm_load_s32(x + k);
        const uint32_t x23 = (uint32_t)tflm_load_s32(x + k + 2);
        const int32_t wv = tflm_load_s32(w + k);
        a = __smlald(__sxtb16(wv), (int32_t)((x01 & 0xFFFFu) | (x23 << 16)), a);
        a = __smlald(tflm_sxtb16_ror8(wv), (int32_t)((x23 & 0xFFFF0000u) | (x01 >> 16)), a);
    }
#endif
    for (; k < depth; ++k) {
        a += (int32_t)x[k] * w[k];
    }
    return a;
}

/* the multipliers are stored already reduced to 16 bits (TFLM's int64 path) */
static TFLM_PY_INLINE int16_t tconv_out_s16(const tflm_transpose_conv_params_t *p, int64_t acc,
                                            int32_t oc)
{
    const int32_t q = p->per_channel ? oc : 0;
    const int32_t r = tflm_requantize_s64_reduced(acc, p->multipliers[q], p->shifts[q]);
    return (int16_t)TFLM_CLAMP(r, p->act_min, p->act_max);
}

static TFLM_PY_INLINE int64_t tconv_add_s64(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

void tflm_transpose_conv_s16(const tflm_transpose_conv_params_t *p, const int16_t *input,
                             const int8_t *filter, const int64_t *bias, int16_t *output)
{
    const int32_t in_c = p->input_c, out_c = p->output_c;
    const int32_t row_stride = p->filter_h * p->filter_w * in_c;
    int16_t *y = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int16_t *in_b = input + (size_t)b * p->input_h * p->input_w * in_c;
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            int32_t ky0, nky, iy0;
            tconv_taps(oy, p->pad_h, p->stride_h, p->input_h, p->filter_h, &ky0, &nky, &iy0);
            for (int32_t ox = 0; ox < p->output_w; ++ox) {
                int32_t kx0, nkx, ix0;
                tconv_taps(ox, p->pad_w, p->stride_w, p->input_w, p->filter_w, &kx0, &nkx, &ix0);
                int32_t oc = 0;
                for (; oc + 4 <= out_c; oc += 4) {
                    int64_t s[4] = {0, 0, 0, 0};
                    for (int32_t ty = 0; ty < nky; ++ty) {
                        const int32_t ky = ky0 + ty * p->stride_h, iy = iy0 - ty;
                        for (int32_t tx = 0; tx < nkx; ++tx) {
                            const int32_t kx = kx0 + tx * p->stride_w, ix = ix0 - tx;
                            tconv_dot4_s16(in_b + ((size_t)iy * p->input_w + ix) * in_c,
                                           filter + (size_t)oc * row_stride +
                                               (ky * p->filter_w + kx) * in_c,
                                           row_stride, in_c, s);
                        }
                    }
                    for (int32_t j = 0; j < 4; ++j) {
                        const int64_t acc = bias != NULL ? tconv_add_s64(s[j], bias[oc + j]) : s[j];
                        y[oc + j] = tconv_out_s16(p, acc, oc + j);
                    }
                }
                for (; oc < out_c; ++oc) {
                    int64_t acc = 0;
                    for (int32_t ty = 0; ty < nky; ++ty) {
                        const int32_t ky = ky0 + ty * p->stride_h, iy = iy0 - ty;
                        for (int32_t tx = 0; tx < nkx; ++tx) {
                            const int32_t kx = kx0 + tx * p->stride_w, ix = ix0 - tx;
                            acc = tconv_dot1_s16(in_b + ((size_t)iy * p->input_w + ix) * in_c,
                                                 filter + (size_t)oc * row_stride +
                                                     (ky * p->filter_w + kx) * in_c,
                                                 in_c, acc);
                        }
                    }
                    if (bias != NULL) {
                        acc = tconv_add_s64(acc, bias[oc]);
                    }
                    y[oc] = tconv_out_s16(p, acc, oc);
                }
                y += out_c;
            }
        }
    }
}
