/* CONV_2D, int8: acc = sum over the taps inside the image of w * (x + input_offset) + bias,
 * requantised per output channel (TFLM reference ConvPerChannel, see conv_2d.h).
 *
 * Memory-order contract (the planner's in-place rule, tflm_py/ops/_overlap.py): the output is
 * written in units of one output pixel (all output channels of it), in ascending memory
 * order (batch, row, column); while computing unit u the kernel reads only input bytes at or
 * above the lowest input byte that any unit >= u needs (its own window and later ones), and
 * writes only output bytes of units <= u. The DSP path computes four pixels at a time: it
 * reads their windows (into scratch) before it writes any of them. Scratch is the kernel's
 * own and never overlaps input or output.
 *
 * Paths:
 * - grouped convolution (filter_c < input_c): the reference loop. Off x86, no scratch and a
 *   filter other than 1x1: the reference loop too; no scratch and a 1x1 filter: the
 *   portable path.
 * - portable (the spec), groups == 1: per output pixel the window is
 *   gathered into an int8 patch (im2col; taps outside the image hold the input zero point,
 *   which the offset turns into 0, so the sum equals the reference's sum over valid taps;
 *   a 1x1 filter reads the input pixel in place), then a GEMM row: four filters share one
 *   pass over the patch, (int16)(x + input_offset) * w accumulated in int32 over a trip count
 *   that is a multiple of 16 (gcc -O2 vectorises it with PMADDWD).
 * - x86 (SSE2, the x86-64 baseline; off with -DTFLM_PY_PORTABLE), groups == 1, depth up to
 *   CONV_X86_DEPTH, with or without scratch: two pixels' windows widened straight from the
 *   input, one pass of the weights with PMADDWD intrinsics for both, and the requantisation
 *   prepared once per layer, see conv_x86.
 * - DSP (Cortex-M4/M7/M33, TFLM_PY_USE_DSP), groups == 1: four pixels' windows are widened
 *   to int16 with the offset added (SXTAB16, in the pair order SXTB16 gives the weights;
 *   taps outside the image become 0), straight from the input when its depth is a multiple
 *   of 4, else through the int8 patch; then per filter one pass over the four patches:
 *   each filter word, widened once (SXTB16), feeds 4 SMLAD with the pixels' patch words
 *   (LDRD), two groups of 4 values per loop step (32 MACs in 32 instructions); up to 64
 *   channels' accumulators are then requantised in one pass (tflm_requantize_run_dsp). The
 *   input offset is added once per patch value and shared by every filter, so unlike
 *   FULLY_CONNECTED (whose input row is read once per output block) no folded bias is
 *   needed: the MAC loop has no offset work either way, and this costs no extra constants
 *   in flash. The memory-order contract holds: a group's four windows are read before any
 *   of its pixels is written. */
#include "conv_2d.h"

static void conv_reference(const tflm_conv_2d_params_t *p, const tflm_rq_t *r,
                           const int8_t *input, const int8_t *filter, const int32_t *bias,
                           int8_t *output)
{
    const int32_t in_h = p->input_h, in_w = p->input_w, in_c = p->input_c;
    const int32_t k_h = p->filter_h, k_w = p->filter_w, k_c = p->filter_c;
    const int32_t out_c = p->output_c;
    const int32_t per_group = out_c / (in_c / k_c);
    const int32_t filter_size = k_h * k_w * k_c;
    const int32_t in_offset = p->input_offset;
    int8_t *out = output;

    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            int32_t ky0, ky1;
            tflm_tap_range(iy0, p->dilation_h, in_h, k_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < p->output_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                int32_t kx0, kx1;
                tflm_tap_range(ix0, p->dilation_w, in_w, k_w, &kx0, &kx1);
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int8_t *w_oc = filter + (size_t)oc * filter_size;
                    const int8_t *in_g = in_b + (oc / per_group) * k_c;
                    int32_t acc = 0;
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        const int32_t iy = iy0 + ky * p->dilation_h;
                        for (int32_t kx = kx0; kx < kx1; ++kx) {
                            const int32_t ix = ix0 + kx * p->dilation_w;
                            const int8_t *px = in_g + ((size_t)iy * in_w + ix) * in_c;
                            const int8_t *pw = w_oc + (ky * k_w + kx) * k_c;
                            for (int32_t ic = 0; ic < k_c; ++ic) {
                                acc += (int32_t)pw[ic] * ((int32_t)px[ic] + in_offset);
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc = tflm_wrap_add(acc, bias[oc]);
                    }
                    *out++ = tflm_rq_out(r, acc, oc);
                }
            }
        }
    }
}

/* The window of output pixel (oy, ox) as one int8 vector in filter order (ky, kx, c): taps
 * outside the image hold pad_value (the input zero point). Returns the patch. */
static const int8_t *conv_patch(const tflm_conv_2d_params_t *p, const int8_t *in_b,
                                int32_t oy, int32_t ox, int8_t *col, int8_t pad_value)
{
    const int32_t in_c = p->input_c;
    const int32_t row_bytes = p->filter_w * in_c;
    const int32_t iy0 = oy * p->stride_h - p->pad_h;
    const int32_t ix0 = ox * p->stride_w - p->pad_w;
    const int whole_rows = p->dilation_w == 1 && ix0 >= 0 && ix0 + p->filter_w <= p->input_w;
    int8_t *dst = col;
    for (int32_t ky = 0; ky < p->filter_h; ++ky) {
        const int32_t iy = iy0 + ky * p->dilation_h;
        if (iy < 0 || iy >= p->input_h) {
            memset(dst, pad_value, (size_t)row_bytes);
        } else {
            const int8_t *row = in_b + (size_t)iy * p->input_w * in_c;
            if (whole_rows) {
                memcpy(dst, row + (size_t)ix0 * in_c, (size_t)row_bytes);
            } else {
                for (int32_t kx = 0; kx < p->filter_w; ++kx) {
                    const int32_t ix = ix0 + kx * p->dilation_w;
                    if (ix < 0 || ix >= p->input_w) {
                        memset(dst + kx * in_c, pad_value, (size_t)in_c);
                    } else {
                        memcpy(dst + kx * in_c, row + (size_t)ix * in_c, (size_t)in_c);
                    }
                }
            }
        }
        dst += row_bytes;
    }
    return col;
}

#define CONV_CHUNK 64   /* output channels per requantisation run (int32 on the stack) */

/* one output pixel from its patch x (depth values): all output channels */
static TFLM_PY_NOINLINE void conv_portable_pixel(const tflm_rq_t *r, int32_t small_acc,
                                                 const int8_t *x, const int8_t *filter,
                                                 const int32_t *bias, int32_t depth,
                                                 int32_t out_c, int32_t in_offset, int8_t *y)
{
    const int32_t depth16 = depth & ~15;
    int32_t acc[CONV_CHUNK];
    for (int32_t o0 = 0; o0 < out_c; o0 += CONV_CHUNK) {
        const int32_t n = TFLM_MIN(CONV_CHUNK, out_c - o0);
        int32_t o = 0;
        for (; o + 4 <= n; o += 4) {
            tflm_dot4_s8(x, in_offset, filter + (size_t)(o0 + o) * depth, depth, &acc[o],
                         &acc[o + 1], &acc[o + 2], &acc[o + 3]);
        }
        for (; o < n; ++o) {
            const int8_t *w0 = filter + (size_t)(o0 + o) * depth;
            int32_t s0 = 0;
            for (int32_t k = 0; k < depth16; ++k) {
                const int16_t xv = (int16_t)(x[k] + in_offset);
                s0 += xv * w0[k];
            }
            for (int32_t k = depth16; k < depth; ++k) {
                s0 += (x[k] + in_offset) * w0[k];
            }
            acc[o] = s0;
        }
        tflm_requantize_run(r, small_acc, acc, bias, o0, n, y + o0);
    }
}

static void conv_portable(const tflm_conv_2d_params_t *p, const tflm_rq_t *r,
                          const int8_t *input, const int8_t *filter, const int32_t *bias,
                          int8_t *output, int8_t *scratch)
{
    const int32_t in_c = p->input_c, out_c = p->output_c;
    const int32_t depth = p->filter_h * p->filter_w * in_c;
    const int is_1x1 = p->filter_h == 1 && p->filter_w == 1 && p->pad_h == 0 && p->pad_w == 0;
    const int8_t pad_value = (int8_t)(-p->input_offset);
    int8_t *y = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input_h * p->input_w * in_c;
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            for (int32_t ox = 0; ox < p->output_w; ++ox) {
                /* a 1x1 filter never pads: its window is one input pixel */
                const int8_t *x = is_1x1
                    ? in_b + ((size_t)oy * p->stride_h * p->input_w +
                          (size_t)ox * p->stride_w) * in_c
                    : conv_patch(p, in_b, oy, ox, scratch, pad_value);
                conv_portable_pixel(r, p->small_acc, x, filter, bias, depth, out_c, p->input_offset,
                                    y);
                y += out_c;
            }
        }
    }
}

#if TFLM_PY_USE_SSE2
/* ---- the x86 path (SSE2, the x86-64 baseline), groups == 1: two output pixels at a time.
 * Their windows are widened once to int16 with the input offset added, straight from the
 * input (taps outside the image become 0, as the reference skips them) and zero-padded to a
 * multiple of 8 values; then per block of four filters each group of 8 weights is widened
 * once and multiplied into both pixels with PMADDWD (16 MACs in 7 instructions), eight
 * int32 accumulators in registers, summed across lanes at the end. The depth's last (< 8)
 * values take one more PMADDWD step: the windows' padding is zero, so the weights read past
 * a filter row (the next row's, never past the end of the filter array) add nothing.
 * Accumulators of up to CONV_CHUNK channels are then requantised per pixel
 * (tflm_requantize_run). No scratch. Memory-order contract: both windows are read before
 * either pixel is written. */
#define CONV_X86_DEPTH 1152   /* the widened windows live on the stack */

static TFLM_PY_INLINE __m128i conv_w8_sse2(const int8_t *w)
{
    const __m128i v = _mm_loadl_epi64((const __m128i *)(const void *)w);
    return _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8);
}

/* the n (< 8) weights at w widened, zeros after them */
static TFLM_PY_INLINE __m128i conv_w8_part_sse2(const int8_t *w, int32_t n)
{
    int8_t t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(t, w, (size_t)n);
    return conv_w8_sse2(t);
}

/* the 8 weights at w, or only the first n (< 8) where 8 would pass w_end */
static TFLM_PY_INLINE __m128i conv_w8_tail_sse2(const int8_t *w, int32_t n, const int8_t *w_end)
{
    return w_end - w >= 8 ? conv_w8_sse2(w) : conv_w8_part_sse2(w, n);
}

/* (sum a0, sum a1, sum a2, sum a3) */
static TFLM_PY_INLINE __m128i conv_hsum4_sse2(__m128i a0, __m128i a1, __m128i a2, __m128i a3)
{
    const __m128i t0 = _mm_add_epi32(_mm_unpacklo_epi32(a0, a1), _mm_unpackhi_epi32(a0, a1));
    const __m128i t1 = _mm_add_epi32(_mm_unpacklo_epi32(a2, a3), _mm_unpackhi_epi32(a2, a3));
    return _mm_add_epi32(_mm_unpacklo_epi64(t0, t1), _mm_unpackhi_epi64(t0, t1));
}

/* acc0[o] / acc1[o] = the dot products of filters o < n (rows of depth int8 at w, the filter
 * array ending at w_end) with the widened windows x0 / x1 (zero from depth up to the next
 * multiple of 8) */
static TFLM_PY_NOINLINE void conv_dot2_sse2(const int16_t *x0, const int16_t *x1,
                                            const int8_t *w, const int8_t *w_end,
                                            int32_t depth, int32_t n, int32_t *acc0,
                                            int32_t *acc1)
{
    const int32_t d8 = depth & ~7, rest = depth - d8;
    const int32_t steps = (depth + 7) & ~7;
    int32_t o = 0;
    for (; o + 4 <= n; o += 4) {
        const int8_t *w0 = w + (size_t)o * depth;
        const int8_t *w1 = w0 + depth;
        const int8_t *w2 = w1 + depth;
        const int8_t *w3 = w2 + depth;
        /* the group's last step may read 8 weights of w3's row from d8 on: inside the
         * array unless this is its last row */
        const int32_t full = rest == 0 || w3 + d8 + 8 <= w_end ? steps : d8;
        __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
        __m128i b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int32_t k = 0;
        for (; k < full; k += 8) {
            const __m128i xa = _mm_loadu_si128((const __m128i *)(const void *)(x0 + k));
            const __m128i xb = _mm_loadu_si128((const __m128i *)(const void *)(x1 + k));
            __m128i v = conv_w8_sse2(w0 + k);
            a0 = _mm_add_epi32(a0, _mm_madd_epi16(xa, v));
            b0 = _mm_add_epi32(b0, _mm_madd_epi16(xb, v));
            v = conv_w8_sse2(w1 + k);
            a1 = _mm_add_epi32(a1, _mm_madd_epi16(xa, v));
            b1 = _mm_add_epi32(b1, _mm_madd_epi16(xb, v));
            v = conv_w8_sse2(w2 + k);
            a2 = _mm_add_epi32(a2, _mm_madd_epi16(xa, v));
            b2 = _mm_add_epi32(b2, _mm_madd_epi16(xb, v));
            v = conv_w8_sse2(w3 + k);
            a3 = _mm_add_epi32(a3, _mm_madd_epi16(xa, v));
            b3 = _mm_add_epi32(b3, _mm_madd_epi16(xb, v));
        }
        if (k < steps) {
            /* a row whose 8 bytes from k would pass the array's end: its rest only */
            const __m128i xa = _mm_loadu_si128((const __m128i *)(const void *)(x0 + k));
            const __m128i xb = _mm_loadu_si128((const __m128i *)(const void *)(x1 + k));
            __m128i v = conv_w8_tail_sse2(w0 + k, rest, w_end);
            a0 = _mm_add_epi32(a0, _mm_madd_epi16(xa, v));
            b0 = _mm_add_epi32(b0, _mm_madd_epi16(xb, v));
            v = conv_w8_tail_sse2(w1 + k, rest, w_end);
            a1 = _mm_add_epi32(a1, _mm_madd_epi16(xa, v));
            b1 = _mm_add_epi32(b1, _mm_madd_epi16(xb, v));
            v = conv_w8_tail_sse2(w2 + k, rest, w_end);
            a2 = _mm_add_epi32(a2, _mm_madd_epi16(xa, v));
            b2 = _mm_add_epi32(b2, _mm_madd_epi16(xb, v));
            v = conv_w8_tail_sse2(w3 + k, rest, w_end);
            a3 = _mm_add_epi32(a3, _mm_madd_epi16(xa, v));
            b3 = _mm_add_epi32(b3, _mm_madd_epi16(xb, v));
        }
        _mm_storeu_si128((__m128i *)(void *)(acc0 + o), conv_hsum4_sse2(a0, a1, a2, a3));
        _mm_storeu_si128((__m128i *)(void *)(acc1 + o), conv_hsum4_sse2(b0, b1, b2, b3));
    }
    for (; o < n; ++o) {
        const int8_t *w0 = w + (size_t)o * depth;
        int32_t s0 = 0, s1 = 0;
        for (int32_t k = 0; k < depth; ++k) {
            s0 += x0[k] * w0[k];
            s1 += x1[k] * w0[k];
        }
        acc0[o] = s0;
        acc1[o] = s1;
    }
}

/* dst[k] = x[k] + in_offset (int16), k < n. Steps of 8 may run past n (reading input bytes
 * before x_end, writing up to 7 values past dst + n, which the caller writes again or
 * clears afterwards): short rows (few channels) cost one step, not a scalar loop. */
static void conv_widen_sse2(const int8_t *x, int32_t n, int32_t in_offset, int16_t *dst,
                            const int8_t *x_end)
{
    const __m128i off = _mm_set1_epi16((int16_t)in_offset);
    int32_t k = 0;
    for (; k + 16 <= n; k += 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(x + k));
        const __m128i s = _mm_cmpgt_epi8(_mm_setzero_si128(), v);
        _mm_storeu_si128((__m128i *)(void *)(dst + k),
                         _mm_add_epi16(_mm_unpacklo_epi8(v, s), off));
        _mm_storeu_si128((__m128i *)(void *)(dst + k + 8),
                         _mm_add_epi16(_mm_unpackhi_epi8(v, s), off));
    }
    for (; k < n && x_end - (x + k) >= 8; k += 8) {
        _mm_storeu_si128((__m128i *)(void *)(dst + k), _mm_add_epi16(conv_w8_sse2(x + k), off));
    }
    for (; k < n; ++k) {
        dst[k] = (int16_t)(x[k] + in_offset);
    }
}

/* the window of output pixel (oy, ox) widened into dst in filter order (ky, kx, c), 0 for
 * taps outside the image, zeros after it up to a multiple of 8 values; dst has room for 8
 * values more (conv_widen_sse2's last step) */
static TFLM_PY_INLINE void conv_window_sse2(const tflm_conv_2d_params_t *p,
                                             const int8_t *in_b, int32_t oy, int32_t ox,
                                             int16_t *dst)
{
    const int32_t in_c = p->input_c;
    const int32_t row_len = p->filter_w * in_c;
    const int32_t depth = p->filter_h * row_len;
    const int32_t iy0 = oy * p->stride_h - p->pad_h;
    const int32_t ix0 = ox * p->stride_w - p->pad_w;
    const int whole_rows = p->dilation_w == 1 && ix0 >= 0 && ix0 + p->filter_w <= p->input_w;
    const int8_t *in_end = in_b + (size_t)p->input_h * p->input_w * in_c;
    int16_t *d = dst;
    for (int32_t ky = 0; ky < p->filter_h; ++ky) {
        const int32_t iy = iy0 + ky * p->dilation_h;
        if (iy < 0 || iy >= p->input_h) {
            memset(d, 0, (size_t)row_len * sizeof(int16_t));
        } else {
            const int8_t *row = in_b + (size_t)iy * p->input_w * in_c;
            if (whole_rows) {
                conv_widen_sse2(row + (size_t)ix0 * in_c, row_len, p->input_offset, d, in_end);
            } else {
                for (int32_t kx = 0; kx < p->filter_w; ++kx) {
                    const int32_t ix = ix0 + kx * p->dilation_w;
                    if (ix < 0 || ix >= p->input_w) {
                        memset(d + kx * in_c, 0, (size_t)in_c * sizeof(int16_t));
                    } else {
                        conv_widen_sse2(row + (size_t)ix * in_c, in_c, p->input_offset,
                                        d + kx * in_c, in_end);
                    }
                }
            }
        }
        d += row_len;
    }
    for (int32_t k = depth; k < ((depth + 7) & ~7); ++k) {
        dst[k] = 0;
    }
}

/* ---- x86, small depth (up to CONV_X86_SMALL values, e.g. 3x3x3 or 1x1 over 8 channels):
 * output channels in the lanes instead of across them, so no lane sums. The filters are
 * widened and interleaved once per call (pairs of depth values of 4 channels, zero past
 * depth and past the last channel); per pixel each pair of window values is broadcast and
 * PMADDWD multiplies it into 4 channels' accumulators, all (up to 16) channels in one pass.
 * One pixel at a time: its window is read before it is written. */
#define CONV_X86_SMALL 32       /* depth */
#define CONV_X86_SMALL_OUT 16   /* output channels (more: conv_x86 is faster) */
#define CONV_X86_SMALL_W (CONV_X86_SMALL * CONV_X86_SMALL_OUT)   /* interleaved filters */

static int conv_x86_small_ok(const tflm_conv_2d_params_t *p)
{
    const int32_t depth = p->filter_h * p->filter_w * p->input_c;
    const int32_t oc4 = (p->output_c + 3) & ~3;
    return depth <= CONV_X86_SMALL && oc4 <= CONV_X86_SMALL_OUT;
}

/* acc[v] (v < NV) += the products of the window pairs xw with 4 channels' pairs each */
#define CONV_SMALL_PASS(NV)                                                                  \
    do {                                                                                     \
        __m128i a[4];                                                                        \
        for (int32_t v = 0; v < (NV); ++v) {                                                 \
            a[v] = _mm_setzero_si128();                                                      \
        }                                                                                    \
        for (int32_t j = 0; j < pairs; ++j) {                                                \
            int32_t xv;                                                                      \
            memcpy(&xv, xw + 2 * j, 4);                                                      \
            const __m128i xb = _mm_set1_epi32(xv);                                           \
            const int16_t *wj = wq + ((size_t)j * oc4 + o0) * 2;                            \
            for (int32_t v = 0; v < (NV); ++v) {                                             \
                a[v] = _mm_add_epi32(a[v], _mm_madd_epi16(                                   \
                    xb, _mm_loadu_si128((const __m128i *)(const void *)(wj + 8 * v))));      \
            }                                                                                \
        }                                                                                    \
        for (int32_t v = 0; v < (NV); ++v) {                                                 \
            _mm_storeu_si128((__m128i *)(void *)(acc + o0 + 4 * v), a[v]);                   \
        }                                                                                    \
    } while (0)

static void conv_x86_small(const tflm_conv_2d_params_t *p, const tflm_rq_t *r,
                           const int8_t *input, const int8_t *filter, const int32_t *bias,
                           int8_t *output)
{
    const int32_t in_c = p->input_c, out_c = p->output_c;
    const int32_t depth = p->filter_h * p->filter_w * in_c;
    const int32_t pairs = (depth + 1) / 2, oc4 = (out_c + 3) & ~3;
    int16_t wq[CONV_X86_SMALL_W];      /* [pair][channel][2] */
    int16_t xw[CONV_X86_SMALL + 8];
    int32_t acc[CONV_X86_SMALL_OUT];
    int32_t pk[4 * CONV_X86_SMALL_OUT];
    tflm_rq_prep_t q;
    tflm_rq_prepare_sse2(r, p->small_acc ? out_c : 0, pk, &q);
    for (int32_t j = 0; j < pairs; ++j) {
        for (int32_t o = 0; o < oc4; ++o) {
            for (int32_t h = 0; h < 2; ++h) {
                const int32_t k = 2 * j + h;
                wq[((size_t)j * oc4 + o) * 2 + h] =
                    (o < out_c && k < depth) ? filter[(size_t)o * depth + k] : 0;
            }
        }
    }
    int8_t *y = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input_h * p->input_w * in_c;
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            for (int32_t ox = 0; ox < p->output_w; ++ox) {
                conv_window_sse2(p, in_b, oy, ox, xw);
                int32_t o0 = 0;
                for (; o0 + 16 <= oc4; o0 += 16) {
                    CONV_SMALL_PASS(4);
                }
                if (o0 + 8 <= oc4) {
                    CONV_SMALL_PASS(2);
                    o0 += 8;
                }
                if (o0 < oc4) {
                    CONV_SMALL_PASS(1);
                }
                if (p->small_acc) {
                    tflm_requantize_run_prep_sse2(&q, acc, bias, 0, out_c, y);
                } else {
                    tflm_requantize_run(r, 0, acc, bias, 0, out_c, y);
                }
                y += out_c;
            }
        }
    }
}
#undef CONV_SMALL_PASS

static int conv_x86_ok(const tflm_conv_2d_params_t *p)
{
    return p->filter_h * p->filter_w * p->input_c <= CONV_X86_DEPTH;
}

static void conv_x86(const tflm_conv_2d_params_t *p, const tflm_rq_t *r, const int8_t *input,
                     const int8_t *filter, const int32_t *bias, int8_t *output)
{
    const int32_t in_c = p->input_c, out_c = p->output_c;
    const int32_t depth = p->filter_h * p->filter_w * in_c;
    const int8_t *w_end = filter + (size_t)out_c * depth;
    const int32_t pixels = p->output_h * p->output_w;
    int16_t xw[2][CONV_X86_DEPTH + 8];
    int32_t acc[2][CONV_CHUNK];
    int32_t pk[4 * TFLM_RQ_PREP_MAX];
    tflm_rq_prep_t q;
    const int prep = p->small_acc && out_c <= TFLM_RQ_PREP_MAX;
    tflm_rq_prepare_sse2(r, prep ? out_c : 0, pk, &q);
    int8_t *y = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input_h * p->input_w * in_c;
        for (int32_t px = 0; px < pixels; px += 2) {
            const int32_t count = TFLM_MIN(2, pixels - px);
            for (int32_t i = 0; i < 2; ++i) {
                /* an odd last pixel: the second lane repeats it, its results unused */
                const int32_t q = px + (i < count ? i : 0);
                conv_window_sse2(p, in_b, q / p->output_w, q % p->output_w, xw[i]);
            }
            for (int32_t o0 = 0; o0 < out_c; o0 += CONV_CHUNK) {
                const int32_t n = TFLM_MIN(CONV_CHUNK, out_c - o0);
                conv_dot2_sse2(xw[0], xw[1], filter + (size_t)o0 * depth, w_end, depth, n,
                               acc[0], acc[1]);
                for (int32_t i = 0; i < count; ++i) {
                    if (prep) {
                        tflm_requantize_run_prep_sse2(&q, acc[i], bias, o0, n,
                                                      y + (size_t)i * out_c + o0);
                    } else {
                        tflm_requantize_run(r, p->small_acc, acc[i], bias, o0, n,
                                            y + (size_t)i * out_c + o0);
                    }
                }
            }
            y += (size_t)count * out_c;
        }
    }
}
#endif /* TFLM_PY_USE_SSE2 */

#if TFLM_PY_USE_DSP
#define CONV_SLOTS 4                       /* pixels computed together */
#define CONV_GROUP (8 * CONV_SLOTS)        /* bytes of one group of 4 values, all slots */

/* the widened value i (< 4) of the group at g, slot s (conv_widen's pair order) */
static TFLM_PY_INLINE int32_t conv_widened(const int8_t *g, int32_t s, int32_t i)
{
    int16_t v;
    memcpy(&v, g + 8 * s + 4 * (i & 1) + 2 * (i >> 1), 2);
    return v;
}

/* Widen `quads` groups of 4 values at x into one slot, dst pointing at the slot's first word
 * of a group; returns the next group's. Out of line and written out for gcc: inlined into
 * the pixel loop, its -Os allocation reloads operands from the stack every group. */
static TFLM_PY_NOINLINE int8_t *conv_widen_quads(const int8_t *x, int32_t quads, int32_t off2,
                                                 int8_t *dst)
{
    if (quads <= 0) {
        return dst;
    }
#if defined(__GNUC__) && defined(__OPTIMIZE__)
    int32_t v, lo, hi;
    __asm__ volatile(
        "1:\n\t"
        "ldr     %[v], [%[src]], #4\n\t"
        "sxtab16 %[lo], %[off], %[v]\n\t"
        "sxtab16 %[hi], %[off], %[v], ror #8\n\t"
        "strd    %[lo], %[hi], [%[dst]], #32\n\t"
        "subs    %[n], %[n], #1\n\t"
        "bne     1b\n\t"
        : [src] "+r"(x), [dst] "+r"(dst), [n] "+r"(quads), [v] "=&r"(v), [lo] "=&r"(lo),
          [hi] "=&r"(hi)
        : [off] "r"(off2)
        : "cc", "memory");
#else
    for (int32_t q = 0; q < quads; ++q) {
        const int32_t v = tflm_load_s32(x);
        tflm_store_s32(dst, __sxtab16(off2, v));
        tflm_store_s32(dst + 4, tflm_sxtab16_ror8(off2, v));
        x += 4;
        dst += CONV_GROUP;
    }
#endif
    return dst;
}

/* taps outside the image: their widened values (zero point + offset) are 0 */
static TFLM_PY_NOINLINE int8_t *conv_zero_quads(int32_t quads, int8_t *dst)
{
    for (int32_t q = 0; q < quads; ++q) {
        tflm_store_s32(dst, 0);
        tflm_store_s32(dst + 4, 0);
        dst += CONV_GROUP;
    }
    return dst;
}

/* Widen a patch (depth int8) into slot s of the 4-pixel buffer, adding the input offset: per
 * group q of 4 values the words (x0, x2) and (x1, x3) at byte CONV_GROUP q + 8 s; a last
 * group of depth % 4 values is padded with zeros (the input zero point, widened). */
static void conv_widen(const int8_t *x, int32_t depth, int32_t offset, int8_t *buf, int32_t slot)
{
    const int32_t quads = depth >> 2;
    const int32_t rest = depth & 3;
    const int32_t off2 = (int32_t)(((uint32_t)offset & 0xFFFFu) | ((uint32_t)offset << 16));
    int8_t *dst = conv_widen_quads(x, quads, off2, buf + 8 * slot);
    x += 4 * quads;
    if (rest != 0) {
        /* the rest values, then the zero point's bytes (no library calls for 1..3 bytes) */
        uint32_t u = (uint32_t)(uint8_t)(-offset) * 0x01010101u;
        for (int32_t i = 0; i < rest; ++i) {
            u = (u & ~(0xFFu << (8 * i))) | ((uint32_t)(uint8_t)x[i] << (8 * i));
        }
        const int32_t v = (int32_t)u;
        tflm_store_s32(dst, __sxtab16(off2, v));
        tflm_store_s32(dst + 4, tflm_sxtab16_ror8(off2, v));
    }
}

/* The window of output pixel (oy, ox) widened straight from the input into slot `slot`
 * (conv_widen's layout, no int8 patch): for input depths that are a multiple of 4, so that
 * no group of 4 values straddles two taps. Image rows the window covers whole are widened
 * in one run. */
static void conv_widen_window(const tflm_conv_2d_params_t *p, const int8_t *in_b, int32_t oy,
                              int32_t ox, int32_t off2, int8_t *buf, int32_t slot)
{
    const int32_t in_c = p->input_c, tap_quads = in_c >> 2;
    const int32_t iy0 = oy * p->stride_h - p->pad_h;
    const int32_t ix0 = ox * p->stride_w - p->pad_w;
    const int whole_rows = p->dilation_w == 1 && ix0 >= 0 && ix0 + p->filter_w <= p->input_w;
    int8_t *dst = buf + 8 * slot;
    for (int32_t ky = 0; ky < p->filter_h; ++ky) {
        const int32_t iy = iy0 + ky * p->dilation_h;
        if (iy < 0 || iy >= p->input_h) {
            dst = conv_zero_quads(p->filter_w * tap_quads, dst);
            continue;
        }
        const int8_t *row = in_b + (size_t)iy * p->input_w * in_c;
        if (whole_rows) {
            dst = conv_widen_quads(row + (size_t)ix0 * in_c, p->filter_w * tap_quads, off2, dst);
            continue;
        }
        for (int32_t kx = 0; kx < p->filter_w; ++kx) {
            const int32_t ix = ix0 + kx * p->dilation_w;
            dst = (ix < 0 || ix >= p->input_w)
                ? conv_zero_quads(tap_quads, dst)
                : conv_widen_quads(row + (size_t)ix * in_c, tap_quads, off2, dst);
        }
    }
}

/* a0..a3 += 4 pixels x 1 filter over `quads` >= 1 groups of 4 values: per group one filter
 * word (two SXTB16) against each pixel's two patch words (one LDRD, two SMLAD), two groups
 * per loop step: 16 SMLAD (32 MACs) in 32 instructions. The loop
 * needs 13 registers; gcc -Os spills some of them when it allocates the intrinsics itself,
 * so with gcc the same instructions are written out. */
#if defined(__GNUC__) && defined(__OPTIMIZE__)
#define CONV_QUAD_ASM(w, u)                                                                \
    "ldrd   %[xa], %[xc], [%[px]], #8\n\t"                                                 \
    "smlad  %[b0], " w ", %[xa], %[b0]\n\t"                                                \
    "smlad  %[b0], " u ", %[xc], %[b0]\n\t"                                                \
    "ldrd   %[xa], %[xc], [%[px]], #8\n\t"                                                 \
    "smlad  %[b1], " w ", %[xa], %[b1]\n\t"                                                \
    "smlad  %[b1], " u ", %[xc], %[b1]\n\t"                                                \
    "ldrd   %[xa], %[xc], [%[px]], #8\n\t"                                                 \
    "smlad  %[b2], " w ", %[xa], %[b2]\n\t"                                                \
    "smlad  %[b2], " u ", %[xc], %[b2]\n\t"                                                \
    "ldrd   %[xa], %[xc], [%[px]], #8\n\t"                                                 \
    "smlad  %[b3], " w ", %[xa], %[b3]\n\t"                                                \
    "smlad  %[b3], " u ", %[xc], %[b3]\n\t"
#define CONV_GEMM_4X1_WITH(LOAD_W2, xb, w, quads, a0, a1, a2, a3)                          \
    do {                                                                                   \
        int32_t t0_, t1_, t2_, t3_, xa_, xc_, n_ = (quads);                                \
        __asm__ volatile(                                                                  \
            "lsrs   %[cnt], %[cnt], #1\n\t"                                                \
            "bcc    2f\n\t"                                                                \
            "ldr    %[t0], [%[pw]], #4\n\t"                                                \
            "sxtb16 %[t1], %[t0], ror #8\n\t"                                              \
            "sxtb16 %[t0], %[t0]\n\t"                                                      \
            CONV_QUAD_ASM("%[t0]", "%[t1]")                                                \
            "cmp    %[cnt], #0\n\t"                                                        \
            "beq    3f\n\t"                                                                \
            "2:\n\t"                                                                       \
            LOAD_W2                                                                        \
            "sxtb16 %[t1], %[t0], ror #8\n\t"                                              \
            "sxtb16 %[t0], %[t0]\n\t"                                                      \
            "sxtb16 %[t3], %[t2], ror #8\n\t"                                              \
            "sxtb16 %[t2], %[t2]\n\t"                                                      \
            CONV_QUAD_ASM("%[t0]", "%[t1]")                                                \
            CONV_QUAD_ASM("%[t2]", "%[t3]")                                                \
            "subs   %[cnt], %[cnt], #1\n\t"                                                \
            "bne    2b\n\t"                                                                \
            "3:\n\t"                                                                       \
            : [b0] "+r"(a0), [b1] "+r"(a1), [b2] "+r"(a2), [b3] "+r"(a3), [pw] "+r"(w),   \
              [px] "+r"(xb), [cnt] "+r"(n_), [t0] "=&r"(t0_), [t1] "=&r"(t1_),             \
              [t2] "=&r"(t2_), [t3] "=&r"(t3_), [xa] "=&r"(xa_), [xc] "=&r"(xc_)           \
            :                                                                              \
            : "cc", "memory");                                                             \
    } while (0)
/* two filter words: rows need not be word-aligned (LDR), or are (LDRD) */
#define CONV_GEMM_4X1(xb, w, quads, a0, a1, a2, a3)                                        \
    CONV_GEMM_4X1_WITH("ldr    %[t0], [%[pw]], #4\n\tldr    %[t2], [%[pw]], #4\n\t",        \
                       xb, w, quads, a0, a1, a2, a3)
#define CONV_GEMM_4X1_ALIGNED(xb, w, quads, a0, a1, a2, a3)                                \
    CONV_GEMM_4X1_WITH("ldrd   %[t0], %[t2], [%[pw]], #8\n\t", xb, w, quads, a0, a1, a2, a3)
#else
#define CONV_GEMM_4X1(xb, w, quads, a0, a1, a2, a3)                                        \
    do {                                                                                   \
        for (int32_t q_ = 0; q_ < (quads); ++q_) {                                         \
            const int32_t wv_ = tflm_load_s32(w);                                          \
            const int32_t w02_ = __sxtb16(wv_), w13_ = tflm_sxtb16_ror8(wv_);              \
            a0 = __smlad(w02_, tflm_load_s32(xb), a0);                                     \
            a0 = __smlad(w13_, tflm_load_s32(xb + 4), a0);                                 \
            a1 = __smlad(w02_, tflm_load_s32(xb + 8), a1);                                 \
            a1 = __smlad(w13_, tflm_load_s32(xb + 12), a1);                                \
            a2 = __smlad(w02_, tflm_load_s32(xb + 16), a2);                                \
            a2 = __smlad(w13_, tflm_load_s32(xb + 20), a2);                                \
            a3 = __smlad(w02_, tflm_load_s32(xb + 24), a3);                                \
            a3 = __smlad(w13_, tflm_load_s32(xb + 28), a3);                                \
            w += 4;                                                                        \
            xb += CONV_GROUP;                                                              \
        }                                                                                  \
    } while (0)
#define CONV_GEMM_4X1_ALIGNED CONV_GEMM_4X1
#endif

#define CONV_DSP_CHUNK 64   /* output channels requantised together (int32 on the stack) */

/* acc (rows CONV_DSP_CHUNK apart) of `count` filters from w on for the 4 pixels in buf, with as
 * little as possible live across the 13-register loop; `aligned` (a constant at each call):
 * every filter row is word-aligned. Returns the next filter. */
static TFLM_PY_INLINE const int8_t *conv_filters_4x1(const int8_t *buf, int32_t groups,
                                                     int32_t over, const int8_t *w,
                                                     const int32_t *bp, int32_t *ap,
                                                     int32_t count, int aligned)
{
    int32_t *const aend = ap + count;
    do {
        int32_t a0 = 0;
        if (bp != NULL) {
            a0 = *bp++;
        }
        int32_t a1 = a0, a2 = a0, a3 = a0;
        const int8_t *xb = buf;
        if (aligned) {
            CONV_GEMM_4X1_ALIGNED(xb, w, groups, a0, a1, a2, a3);
        } else {
            CONV_GEMM_4X1(xb, w, groups, a0, a1, a2, a3);
        }
        w -= over;
        ap[0] = a0;
        ap[CONV_DSP_CHUNK] = a1;
        ap[2 * CONV_DSP_CHUNK] = a2;
        ap[3 * CONV_DSP_CHUNK] = a3;
    } while (++ap != aend);
    return w;
}

/* every output channel of the 4 pixels whose widened patches are in buf; out[s]: pixel s's
 * output, written for s < n (slots n.. hold copies, their results unused). A depth that is
 * not a multiple of 4 runs its padded last group whole (the filter bytes past the row are
 * the next row's, times 0) except on the layer's last filter, which has no next row: its
 * last group takes the scalar path. */
static TFLM_PY_NOINLINE void conv_dsp_pixels(const tflm_rq_dsp_t *rq, const int8_t *buf,
                                             int32_t depth, const int8_t *filter,
                                             const int32_t *bias, int32_t out_c,
                                             int8_t *const out[CONV_SLOTS], int32_t n)
{
    const int32_t quads = depth >> 2, rest = depth & 3;
    const int32_t groups = quads + (rest != 0);
    const int32_t over = 4 * groups - depth;   /* bytes each pass reads past its row */
    const int aligned = over == 0 && ((uintptr_t)filter & 3u) == 0;   /* every row, then */
    int32_t acc[CONV_SLOTS][CONV_DSP_CHUNK];
    const int8_t *w = filter;
    for (int32_t c0 = 0; c0 < out_c; c0 += CONV_DSP_CHUNK) {
        const int32_t m = TFLM_MIN(CONV_DSP_CHUNK, out_c - c0);
        const int32_t whole = (rest != 0 && c0 + m == out_c) ? m - 1 : m;
        int32_t *ap = acc[0];
        if (whole > 0) {
            const int32_t *bp = bias != NULL ? bias + c0 : NULL;
            if (aligned) {
                w = conv_filters_4x1(buf, groups, over, w, bp, ap, whole, 1);
            } else {
                w = conv_filters_4x1(buf, groups, over, w, bp, ap, whole, 0);
            }
            ap += whole;
        }
        if (whole < m) {   /* the layer's last filter, depth % 4 != 0 */
            int32_t a0 = bias != NULL ? bias[out_c - 1] : 0;
            int32_t a1 = a0, a2 = a0, a3 = a0;
            if (quads > 0) {
                const int8_t *xb = buf;
                CONV_GEMM_4X1(xb, w, quads, a0, a1, a2, a3);
            }
            const int8_t *g = buf + CONV_GROUP * quads;
            for (int32_t i = 0; i < rest; ++i) {
                a0 += conv_widened(g, 0, i) * w[i];
                a1 += conv_widened(g, 1, i) * w[i];
                a2 += conv_widened(g, 2, i) * w[i];
                a3 += conv_widened(g, 3, i) * w[i];
            }
            ap[0] = a0;
            ap[CONV_DSP_CHUNK] = a1;
            ap[2 * CONV_DSP_CHUNK] = a2;
            ap[3 * CONV_DSP_CHUNK] = a3;
        }
        for (int32_t s = 0; s < n; ++s) {
            tflm_requantize_run_dsp(rq, acc[s], c0, m, out[s] + c0);
        }
    }
}

/* a += 1 pixel (slot 0) x 1 filter over n >= 1 groups: 4 MACs in 8 instructions */
#if defined(__GNUC__) && defined(__OPTIMIZE__)
#define CONV_GEMM_1X1(xb, w, n, a)                                                         \
    do {                                                                                   \
        int32_t t0_, t1_, xa_, xc_, n_ = (n);                                              \
        __asm__ volatile(                                                                  \
            "1:\n\t"                                                                       \
            "ldr    %[t0], [%[pw]], #4\n\t"                                                \
            "ldrd   %[xa], %[xc], [%[px]], #32\n\t"                                        \
            "sxtb16 %[t1], %[t0], ror #8\n\t"                                              \
            "sxtb16 %[t0], %[t0]\n\t"                                                      \
            "smlad  %[acc], %[t0], %[xa], %[acc]\n\t"                                      \
            "smlad  %[acc], %[t1], %[xc], %[acc]\n\t"                                      \
            "subs   %[cnt], %[cnt], #1\n\t"                                                \
            "bne    1b\n\t"                                                                \
            : [acc] "+r"(a), [pw] "+r"(w), [px] "+r"(xb), [cnt] "+r"(n_), [t0] "=&r"(t0_), \
              [t1] "=&r"(t1_), [xa] "=&r"(xa_), [xc] "=&r"(xc_)                            \
            :                                                                              \
            : "cc", "memory");                                                             \
    } while (0)
#else
#define CONV_GEMM_1X1(xb, w, n, a)                                                         \
    do {                                                                                   \
        for (int32_t q_ = 0; q_ < (n); ++q_) {                                             \
            const int32_t wv_ = tflm_load_s32(w);                                          \
            a = __smlad(__sxtb16(wv_), tflm_load_s32(xb), a);                              \
            a = __smlad(tflm_sxtb16_ror8(wv_), tflm_load_s32(xb + 4), a);                  \
            w += 4;                                                                        \
            xb += CONV_GROUP;                                                              \
        }                                                                                  \
    } while (0)
#endif

/* every output channel of the one pixel in slot 0 of buf (a group of 1: the 4-pixel pass
 * would spend 4 times the work on it); the last group as in conv_dsp_pixels */
static TFLM_PY_NOINLINE void conv_dsp_pixel(const tflm_rq_dsp_t *rq, const int8_t *buf,
                                            int32_t depth, const int8_t *filter,
                                            const int32_t *bias, int32_t out_c, int8_t *y)
{
    const int32_t quads = depth >> 2, rest = depth & 3;
    const int32_t groups = quads + (rest != 0);
    const int32_t over = 4 * groups - depth;
    int32_t acc[CONV_DSP_CHUNK];
    const int8_t *w = filter;
    for (int32_t c0 = 0; c0 < out_c; c0 += CONV_DSP_CHUNK) {
        const int32_t m = TFLM_MIN(CONV_DSP_CHUNK, out_c - c0);
        const int32_t whole = (rest != 0 && c0 + m == out_c) ? m - 1 : m;
        const int32_t *bp = bias != NULL ? bias + c0 : NULL;
        for (int32_t j = 0; j < whole; ++j) {
            int32_t a = bp != NULL ? bp[j] : 0;
            const int8_t *xb = buf;
            CONV_GEMM_1X1(xb, w, groups, a);
            w -= over;
            acc[j] = a;
        }
        if (whole < m) {   /* the layer's last filter, depth % 4 != 0 */
            int32_t a = bp != NULL ? bp[whole] : 0;
            const int8_t *xb = buf;
            if (quads > 0) {
                CONV_GEMM_1X1(xb, w, quads, a);
            }
            for (int32_t i = 0; i < rest; ++i) {
                a += conv_widened(xb, 0, i) * w[i];
            }
            acc[whole] = a;
        }
        tflm_requantize_run_dsp(rq, acc, c0, m, y + c0);
    }
}

static void conv_dsp(const tflm_conv_2d_params_t *p, const tflm_rq_dsp_t *r, const int8_t *input,
                     const int8_t *filter, const int32_t *bias, int8_t *output, int8_t *scratch)
{
    const int32_t in_c = p->input_c, out_c = p->output_c;
    const int32_t depth = p->filter_h * p->filter_w * in_c;
    const int is_1x1 = p->filter_h == 1 && p->filter_w == 1 && p->pad_h == 0 && p->pad_w == 0;
    const int8_t pad_value = (int8_t)(-p->input_offset);
    int8_t *buf = scratch + ((4u - ((uintptr_t)scratch & 3u)) & 3u);
    const int32_t quads = depth >> 2, rest = depth & 3;
    const int32_t groups = quads + (rest != 0);
    int8_t *col = buf + CONV_GROUP * groups;
    const int32_t pixels = p->batches * p->output_h * p->output_w;
    const int32_t in_image = p->input_h * p->input_w * in_c;
    int32_t b = 0, oy = 0, ox = 0;   /* coordinates of the next pixel to widen */
    const int direct = (in_c & 3) == 0;   /* widen windows in place: no int8 patch */
    const int32_t off2 = (int32_t)(((uint32_t)p->input_offset & 0xFFFFu) |
                                   ((uint32_t)p->input_offset << 16));

    for (int32_t pix = 0; pix < pixels; pix += CONV_SLOTS) {
        const int32_t n = TFLM_MIN(CONV_SLOTS, pixels - pix);
        int8_t *out[CONV_SLOTS];
        for (int32_t slot = 0; slot < n; ++slot) {
            const int8_t *in_b = input + (size_t)b * in_image;
            if (is_1x1) {
                conv_widen(in_b + ((size_t)oy * p->stride_h * p->input_w +
                                   (size_t)ox * p->stride_w) * in_c,
                           depth, p->input_offset, buf, slot);
            } else if (direct) {
                conv_widen_window(p, in_b, oy, ox, off2, buf, slot);
            } else {
                conv_widen(conv_patch(p, in_b, oy, ox, col, pad_value), depth, p->input_offset,
                           buf, slot);
            }
            out[slot] = output + (size_t)(pix + slot) * out_c;
            if (++ox == p->output_w) {
                ox = 0;
                if (++oy == p->output_h) {
                    oy = 0;
                    ++b;
                }
            }
        }
        if (n == 1) {
            conv_dsp_pixel(r, buf, depth, filter, bias, out_c, out[0]);
            continue;
        }
        for (int32_t slot = n; slot < CONV_SLOTS; ++slot) {   /* a short last group */
            for (int32_t q = 0; q < groups; ++q) {
                memcpy(buf + CONV_GROUP * q + 8 * slot, buf + CONV_GROUP * q, 8);
            }
            out[slot] = out[0];
        }
        conv_dsp_pixels(r, buf, depth, filter, bias, out_c, out, n);
    }
}
#endif /* TFLM_PY_USE_DSP */

static TFLM_PY_INLINE void conv_rq(const tflm_conv_2d_params_t *p, tflm_rq_t *r)
{
    r->multipliers = p->multipliers;
    r->shifts = p->shifts;
    r->per_channel = p->per_channel;
    r->output_offset = p->output_offset;
    r->act_min = p->act_min;
    r->act_max = p->act_max;
}

#if TFLM_PY_USE_SSE2
/* groups == 1: the x86 paths widen the windows themselves and need no scratch;
   0 when the shape is beyond them */
static TFLM_PY_INLINE int conv_x86_any(const tflm_conv_2d_params_t *p, const tflm_rq_t *r,
                                       const int8_t *input, const int8_t *filter,
                                       const int32_t *bias, int8_t *output)
{
    if (conv_x86_small_ok(p)) {
        conv_x86_small(p, r, input, filter, bias, output);
        return 1;
    }
    if (conv_x86_ok(p)) {
        conv_x86(p, r, input, filter, bias, output);
        return 1;
    }
    return 0;
}
#endif

/* groups == 1 and scratch given: the target's fast path */
static TFLM_PY_INLINE void conv_fast(const tflm_conv_2d_params_t *p, const int8_t *input,
                                     const int8_t *filter, const int32_t *bias,
                                     int8_t *output, int8_t *scratch)
{
#if TFLM_PY_USE_DSP
    tflm_rq_dsp_t rd;
    rd.multipliers = p->multipliers;
    rd.shifts = p->shifts;
    rd.per_channel = p->per_channel;
    rd.output_offset = p->output_offset;
    rd.act_min = p->act_min;
    rd.act_max = p->act_max;
    rd.small_acc = p->small_acc;
    conv_dsp(p, &rd, input, filter, bias, output, scratch);
#else
    tflm_rq_t r;
    conv_rq(p, &r);
#if TFLM_PY_USE_SSE2
    if (conv_x86_any(p, &r, input, filter, bias, output)) {
        return;
    }
#endif
    conv_portable(p, &r, input, filter, bias, output, scratch);
#endif
}

void tflm_conv_2d_s8(const tflm_conv_2d_params_t *p, const int8_t *input,
                     const int8_t *filter, const int32_t *bias, int8_t *output,
                     int8_t *scratch)
{
    tflm_rq_t r;
    conv_rq(p, &r);
    const int is_1x1 = p->filter_h == 1 && p->filter_w == 1 && p->pad_h == 0 && p->pad_w == 0;
#if TFLM_PY_USE_SSE2
    if (p->filter_c == p->input_c && conv_x86_any(p, &r, input, filter, bias, output)) {
        return;
    }
#endif
    if (p->filter_c != p->input_c || (scratch == NULL && !is_1x1)) {
        conv_reference(p, &r, input, filter, bias, output);
        return;
    }
    if (scratch == NULL) {   /* 1x1 without scratch: the portable GEMM reads pixels in place */
        conv_portable(p, &r, input, filter, bias, output, scratch);
        return;
    }
    conv_fast(p, input, filter, bias, output, scratch);
}

void tflm_conv_2d_fast_s8(const tflm_conv_2d_params_t *p, const int8_t *input,
                          const int8_t *filter, const int32_t *bias, int8_t *output,
                          int8_t *scratch)
{
    conv_fast(p, input, filter, bias, output, scratch);
}
