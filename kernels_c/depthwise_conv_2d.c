/* DEPTHWISE_CONV_2D, int8: output channel oc = ic * M + m of pixel (oy, ox) is
 * sum over the taps inside the image of w[ky][kx][oc] * (x[iy][ix][ic] + input_offset) + bias,
 * requantised per output channel (TFLM reference DepthwiseConvPerChannel, see the header).
 *
 * Memory-order contract (the planner's in-place rule, tflm_py/ops/_overlap.py): the output is
 * written in units of one output pixel (all output channels of it), in ascending memory
 * order (batch, row, column); while computing unit u the kernel reads only input bytes of
 * the windows of units >= u (for unit u: its own window) and writes only output bytes of
 * units <= u. Taps outside the image are skipped, exactly as the reference does, so no
 * padded copy and no scratch are needed.
 *
 * Paths (all of them visit only the valid taps of each output pixel, for any filter size,
 * stride, dilation and padding):
 * - x86 (SSE2; off with -DTFLM_PY_PORTABLE), depth_multiplier 1, up to DW_X86_TAPS taps and
 *   DW_X86_CH channels: taps in pairs, 16 channels per PMADDWD step, see dw_x86.
 * - portable (the spec, and x86 otherwise): up to 64 output channels at a time (a
 *   multiple of 16) accumulate (int16)(x + input_offset) * w into int32 lanes, tap after tap,
 *   channels innermost: a loop gcc -O2 vectorises on x86. depth_multiplier 1 reads the
 *   same channels of the input, depth_multiplier > 1 broadcasts one input value over the
 *   outputs of its channel. Fewer than 16 channels left: one channel at a time.
 *   Fewer than 16 channels in all (depth_multiplier 1, stride_w 1): the row path over
 *   blocks of pixels, dw_portable_rows. On x86 the accumulators are requantised with SSE2
 *   (tflm_requantize_run).
 * - DSP (Cortex-M4/M7/M33, TFLM_PY_USE_DSP): 4 channels per step; per tap one word of
 *   inputs and one of weights are widened with SXTAB16 / SXTB16 (the input offset added on
 *   the way) and multiplied per channel with SMLABB / SMLATT. A 3x3 filter (depth_multiplier
 *   1, no dilation) runs its window, or the window clipped to 3x2 / 2x3 / 2x2 at the image
 *   border, without any loop. Accumulators of up to 64 channels are then requantised in one
 *   pass (tflm_requantize_run_dsp).
 * (A depthwise conv with one input channel and depth_multiplier > 1 is generated as a
 * CONV_2D call instead, see tflm_py/ops/depthwise_conv_2d.py.) */
#include "depthwise_conv_2d.h"

/* the valid taps of one output pixel */
typedef struct {
    const int8_t *in;        /* input at (iy0, ix0) of the first valid tap, channel 0 */
    const int8_t *w;         /* filter at the first valid tap, channel 0 */
    int32_t rows, cols;      /* valid taps */
    int32_t in_row_step;     /* input bytes between tap rows / columns */
    int32_t in_col_step;
    int32_t w_row_step;      /* filter bytes between tap rows / columns */
    int32_t w_col_step;
} dw_window_t;

static void dw_window(const tflm_depthwise_conv_2d_params_t *p, const int8_t *in_b,
                      const int8_t *filter, int32_t oy, int32_t ox, dw_window_t *win)
{
    const int32_t in_c = p->input_c, out_c = p->output_c;
    const int32_t iy0 = oy * p->stride_h - p->pad_h;
    const int32_t ix0 = ox * p->stride_w - p->pad_w;
    int32_t ky0, ky1, kx0, kx1;
    tflm_tap_range(iy0, p->dilation_h, p->input_h, p->filter_h, &ky0, &ky1);
    tflm_tap_range(ix0, p->dilation_w, p->input_w, p->filter_w, &kx0, &kx1);
    win->rows = ky1 - ky0;
    win->cols = kx1 - kx0;
    win->in_col_step = p->dilation_w * in_c;
    win->in_row_step = p->dilation_h * p->input_w * in_c;
    win->w_col_step = out_c;
    win->w_row_step = p->filter_w * out_c;
    win->in = in_b + ((size_t)(iy0 + ky0 * p->dilation_h) * p->input_w +
                      (size_t)(ix0 + kx0 * p->dilation_w)) * in_c;
    win->w = filter + ((size_t)ky0 * p->filter_w + kx0) * out_c;
}

#if !TFLM_PY_USE_DSP
#define DW_CHUNK 64   /* output channels per pass (int32 lanes on the stack) */

/* acc[k] += sum over the valid taps of (int16)(x + offset) * w for the n16 (a multiple of
 * 16) output channels [oc, oc + n16), depth_multiplier 1 (input channel = output channel) */
static TFLM_PY_NOINLINE void dw_accumulate_m1(const dw_window_t *win, int32_t oc, int32_t n16,
                                              int32_t in_offset, int32_t *restrict acc)
{
    for (int32_t r = 0; r < win->rows; ++r) {
        const int8_t *x = win->in + (size_t)r * win->in_row_step + oc;
        const int8_t *w = win->w + (size_t)r * win->w_row_step + oc;
        for (int32_t c = 0; c < win->cols; ++c) {
            for (int32_t k = 0; k < n16; ++k) {
                acc[k] += (int16_t)(x[k] + in_offset) * w[k];
            }
            x += win->in_col_step;
            w += win->w_col_step;
        }
    }
}

/* the same for output channels that all read input channel ic (depth_multiplier > 1) */
static TFLM_PY_NOINLINE void dw_accumulate_bcast(const dw_window_t *win, int32_t ic,
                                                 int32_t oc, int32_t n16, int32_t in_offset,
                                                 int32_t *restrict acc)
{
    for (int32_t r = 0; r < win->rows; ++r) {
        const int8_t *x = win->in + (size_t)r * win->in_row_step + ic;
        const int8_t *w = win->w + (size_t)r * win->w_row_step + oc;
        for (int32_t c = 0; c < win->cols; ++c) {
            const int16_t xv = (int16_t)(*x + in_offset);
            for (int32_t k = 0; k < n16; ++k) {
                acc[k] += xv * w[k];
            }
            x += win->in_col_step;
            w += win->w_col_step;
        }
    }
}
#endif /* !TFLM_PY_USE_DSP */

/* one output channel oc (reading input channel ic) of one pixel */
static int32_t dw_single(const dw_window_t *win, int32_t ic, int32_t oc, int32_t in_offset)
{
    int32_t acc = 0;
    for (int32_t r = 0; r < win->rows; ++r) {
        const int8_t *x = win->in + (size_t)r * win->in_row_step + ic;
        const int8_t *w = win->w + (size_t)r * win->w_row_step + oc;
        for (int32_t c = 0; c < win->cols; ++c) {
            acc += (*x + in_offset) * *w;
            x += win->in_col_step;
            w += win->w_col_step;
        }
    }
    return acc;
}

#if !TFLM_PY_USE_DSP
/* all output channels of one pixel */
static void dw_portable_pixel(const tflm_depthwise_conv_2d_params_t *p, const tflm_rq_t *r,
                              const dw_window_t *win, const int32_t *bias, int8_t *out)
{
    const int32_t mult = p->depth_multiplier;
    const int32_t in_offset = p->input_offset;
    /* blocks of output channels that share a layout: with depth_multiplier 1 the whole
     * channel range, otherwise the M outputs of each input channel */
    const int32_t groups = mult == 1 ? 1 : p->input_c;
    const int32_t span = mult == 1 ? p->output_c : mult;
    for (int32_t g = 0; g < groups; ++g) {
        const int32_t oc0 = g * span;
        int32_t j = 0;
        while (span - j >= 16) {
            const int32_t oc = oc0 + j;
            const int32_t n16 = TFLM_MIN(DW_CHUNK, span - j) & ~15;
            int32_t acc[DW_CHUNK];
            for (int32_t k = 0; k < n16; ++k) {
                acc[k] = 0;
            }
            if (mult == 1) {
                dw_accumulate_m1(win, oc, n16, in_offset, acc);
            } else {
                dw_accumulate_bcast(win, g, oc, n16, in_offset, acc);
            }
            tflm_requantize_run(r, p->small_acc, acc, bias, oc, n16, out + oc);
            j += n16;
        }
        if (j < span) {
            int32_t acc[16];
            for (int32_t k = j; k < span; ++k) {
                const int32_t oc = oc0 + k;
                acc[k - j] = dw_single(win, mult == 1 ? oc : g, oc, in_offset);
            }
            tflm_requantize_run(r, p->small_acc, acc, bias, oc0 + j, span - j, out + oc0 + j);
        }
    }
}

/* ---- the portable row path: depth_multiplier 1, stride_w 1, up to 9 taps, fewer than 16
 * channels (more take dw_portable_pixel's channel loop). B adjacent interior output pixels
 * of a row (all filter columns inside the image) read, per tap, one contiguous run of B * C
 * input bytes; against the tap's weights tiled B times (int16, built once per call) that is
 * one vector loop of B * C (a multiple of 16) lanes: few channels no longer mean short
 * loops. Border pixels and a row's last few interior ones take dw_portable_pixel.
 * Memory-order contract: a block's windows are read before any of its pixels is written. */
#define DW_ROW_SPAN 64
#define DW_ROW_TAPS 9

/* acc[j] += (int16)(x[j] + in_offset) * w[j], j < n (a multiple of 16) */
static TFLM_PY_NOINLINE void dw_row_mac(const int8_t *restrict x, const int16_t *restrict w,
                                        int32_t n, int32_t in_offset, int32_t *restrict acc)
{
    const int32_t n16 = n & ~15;   /* tells gcc -O2 the trip count suits its vectors */
    for (int32_t j = 0; j < n16; ++j) {
        acc[j] += (int16_t)(x[j] + in_offset) * w[j];
    }
}

/* pixels of one block for C channels: a multiple of 16 / gcd(C, 16) with B * C <= 64; 0 if
 * none */
static int32_t dw_row_block(const tflm_depthwise_conv_2d_params_t *p)
{
    const int32_t c = p->input_c;
    if (p->depth_multiplier != 1 || p->stride_w != 1 || c >= 16 ||
        p->filter_h * p->filter_w > DW_ROW_TAPS) {
        return 0;
    }
    int32_t g = 16;
    while (c % g != 0) {
        g >>= 1;
    }
    const int32_t b0 = 16 / g;
    return (DW_ROW_SPAN / c) / b0 * b0;
}

static void dw_portable_rows(const tflm_depthwise_conv_2d_params_t *p, const tflm_rq_t *r,
                             int32_t blk, const int8_t *in_b, const int8_t *filter,
                             const int32_t *bias, int8_t *out)
{
    const int32_t c = p->input_c, k_w = p->filter_w;
    const int32_t taps = p->filter_h * k_w;
    const int32_t span = blk * c;
    const int32_t out_w = p->output_w;
    int16_t wt[DW_ROW_TAPS * DW_ROW_SPAN];
    for (int32_t t = 0; t < taps; ++t) {
        for (int32_t j = 0; j < span; ++j) {
            wt[t * span + j] = filter[t * c + j % c];
        }
    }
    /* interior columns: ox - pad_w >= 0 and ox - pad_w + (k_w - 1) * dilation_w < input_w */
    const int32_t ox_lo = TFLM_MIN(p->pad_w, out_w);
    int32_t ox_hi = TFLM_MIN(out_w, p->input_w + p->pad_w - (k_w - 1) * p->dilation_w);
    ox_hi = TFLM_MAX(ox_hi, ox_lo);
    for (int32_t oy = 0; oy < p->output_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_h;
        int32_t ky0, ky1;
        tflm_tap_range(iy0, p->dilation_h, p->input_h, p->filter_h, &ky0, &ky1);
        int8_t *out_row = out + (size_t)oy * out_w * c;
        int32_t ox = 0;
        while (ox < out_w) {
            if (ox >= ox_lo && ox + blk <= ox_hi) {
                int32_t acc[DW_ROW_SPAN];
                for (int32_t j = 0; j < span; ++j) {
                    acc[j] = 0;
                }
                for (int32_t ky = ky0; ky < ky1; ++ky) {
                    const int8_t *row = in_b + ((size_t)(iy0 + ky * p->dilation_h) * p->input_w +
                                                (size_t)(ox - p->pad_w)) * c;
                    for (int32_t kx = 0; kx < k_w; ++kx) {
                        dw_row_mac(row + (size_t)kx * p->dilation_w * c,
                                   wt + (ky * k_w + kx) * span, span, p->input_offset, acc);
                    }
                }
                for (int32_t b = 0; b < blk; ++b) {
                    tflm_requantize_run(r, p->small_acc, acc + b * c, bias, 0, c,
                                        out_row + (size_t)(ox + b) * c);
                }
                ox += blk;
            } else {
                dw_window_t win;
                dw_window(p, in_b, filter, oy, ox, &win);
                dw_portable_pixel(p, r, &win, bias, out_row + (size_t)ox * c);
                ++ox;
            }
        }
    }
}
#endif /* !TFLM_PY_USE_DSP */

#if TFLM_PY_USE_DSP
#define DW_DSP_CHUNK 64   /* output channels requantised together (int32 on the stack) */

/* One tap of a 4-channel block: the weight word at W widened into (w0, w2) / (w1, w3) with
 * SXTB16, the input word at X into (x0 + off, x2 + off) / (x1 + off, x3 + off) with SXTAB16,
 * one SMLABB / SMLATT per channel. */
#define DW_TAP_ASM(X, W)                                                                 \
    "ldr     %[wv], " W "\n\t"                                                           \
    "ldr     %[xv], " X "\n\t"                                                           \
    "sxtb16  %[t1], %[wv]\n\t"                                                           \
    "sxtb16  %[wv], %[wv], ror #8\n\t"                                                   \
    "sxtab16 %[t0], %[o2], %[xv]\n\t"                                                    \
    "smlabb  %[a0], %[t0], %[t1], %[a0]\n\t"                                             \
    "smlatt  %[a2], %[t0], %[t1], %[a2]\n\t"                                             \
    "sxtab16 %[t0], %[o2], %[xv], ror #8\n\t"                                            \
    "smlabb  %[a1], %[t0], %[wv], %[a1]\n\t"                                             \
    "smlatt  %[a3], %[t0], %[wv], %[a3]\n\t"

#define DW_ASM_OPERANDS                                                                  \
    [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [px] "+r"(x),            \
    [pw] "+r"(w), [xv] "=&r"(xv), [wv] "=&r"(wv), [t0] "=&r"(t0), [t1] "=&r"(t1)

#define DW_ROW2_ASM                                                                      \
    DW_TAP_ASM("[%[px]]", "[%[pw]]")                                                     \
    DW_TAP_ASM("[%[px], %[st]]", "[%[pw], %[st]]")

#define DW_ROW3_ASM                                                                      \
    DW_ROW2_ASM                                                                          \
    DW_TAP_ASM("[%[px], %[st], lsl #1]", "[%[pw], %[st], lsl #1]")

/* the next input row; the next filter row of a 3-wide filter */
#define DW_NEXT_ROW_ASM                                                                  \
    "add     %[px], %[px], %[rs]\n\t"                                                    \
    "add     %[pw], %[pw], %[st], lsl #1\n\t"                                            \
    "add     %[pw], %[pw], %[st]\n\t"

/* acc[0..3] += the taps of a window clipped to ROWS x COLS (2 or 3 each) of a 3x3 filter:
 * input at x + r * rs + c * st, weights at w + (3 r + c) * st (depth_multiplier 1, no
 * dilation). With gcc (not at -O0, where the frame pointer leaves too few registers) these
 * are written out as leaf functions: -Os spills their 13 live values otherwise. */
#define DW_ACC4_LEAF(NAME, BODY)                                                         \
    static TFLM_PY_NOINLINE void NAME(const int8_t *x, const int8_t *w, int32_t st,      \
                                      int32_t rs, int32_t off2, int32_t *acc)            \
    {                                                                                    \
        int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], xv, wv, t0, t1;      \
        __asm__ volatile(BODY                                                            \
                         : DW_ASM_OPERANDS                                               \
                         : [st] "r"(st), [rs] "r"(rs), [o2] "r"(off2)                    \
                         : "memory");                                                    \
        acc[0] = a0;                                                                     \
        acc[1] = a1;                                                                     \
        acc[2] = a2;                                                                     \
        acc[3] = a3;                                                                     \
    }

#if defined(__GNUC__) && defined(__OPTIMIZE__)
DW_ACC4_LEAF(dw_acc4_3x3, DW_ROW3_ASM DW_NEXT_ROW_ASM DW_ROW3_ASM DW_NEXT_ROW_ASM DW_ROW3_ASM)
DW_ACC4_LEAF(dw_acc4_3x2, DW_ROW2_ASM DW_NEXT_ROW_ASM DW_ROW2_ASM DW_NEXT_ROW_ASM DW_ROW2_ASM)
DW_ACC4_LEAF(dw_acc4_2x3, DW_ROW3_ASM DW_NEXT_ROW_ASM DW_ROW3_ASM)
DW_ACC4_LEAF(dw_acc4_2x2, DW_ROW2_ASM DW_NEXT_ROW_ASM DW_ROW2_ASM)

static TFLM_PY_NOINLINE void dw_acc4_cols(const int8_t *x, const int8_t *w, int32_t st,
                                          int32_t n, int32_t off2, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], xv, wv, t0, t1;
    __asm__ volatile(
        "1:\n\t"
        DW_TAP_ASM("[%[px]]", "[%[pw]]")
        "add     %[pw], %[pw], %[st]\n\t"
        "add     %[px], %[px], %[st]\n\t"
        "subs    %[n], %[n], #1\n\t"
        "bne     1b\n\t"
        : DW_ASM_OPERANDS, [n] "+r"(n)
        : [st] "r"(st), [o2] "r"(off2)
        : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

static void dw_acc4(const int8_t *x, const int8_t *w, int32_t rows, int32_t cols,
                    int32_t in_rs, int32_t w_rs, int32_t st, int32_t off2, int32_t *acc)
{
#if defined(__GNUC__) && defined(__OPTIMIZE__)
    if (w_rs == 3 * st && rows >= 2 && rows <= 3 && cols >= 2 && cols <= 3) {
        /* a 3x3 filter: the whole window, or one clipped at the image border */
        if (rows == 3) {
            if (cols == 3) {
                dw_acc4_3x3(x, w, st, in_rs, off2, acc);
            } else {
                dw_acc4_3x2(x, w, st, in_rs, off2, acc);
            }
        } else if (cols == 3) {
            dw_acc4_2x3(x, w, st, in_rs, off2, acc);
        } else {
            dw_acc4_2x2(x, w, st, in_rs, off2, acc);
        }
        return;
    }
    if (cols > 0) {
        for (int32_t r = rows; r > 0; --r) {
            dw_acc4_cols(x, w, st, cols, off2, acc);
            x += in_rs;
            w += w_rs;
        }
    }
#else
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t r = rows; r > 0; --r) {
        const int8_t *xc = x, *wc = w;
        for (int32_t c = cols; c > 0; --c) {
            const int32_t xv = tflm_load_s32(xc);
            const int32_t wv = tflm_load_s32(wc);
            const int32_t x02 = __sxtab16(off2, xv), w02 = __sxtb16(wv);
            a0 = __smlabb(x02, w02, a0);
            a2 = __smlatt(x02, w02, a2);
            const int32_t x13 = tflm_sxtab16_ror8(off2, xv), w13 = tflm_sxtb16_ror8(wv);
            a1 = __smlabb(x13, w13, a1);
            a3 = __smlatt(x13, w13, a3);
            xc += st;
            wc += st;
        }
        x += in_rs;
        w += w_rs;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
#endif
}

/* 4 output channels [oc, oc + 4) that all read input channel ic (depth_multiplier > 1) or
 * read channels ic .. ic + 3 with a dilated / differently strided window: the C loop */
static void dw_acc4_general(const dw_window_t *win, int32_t ic, int32_t oc, int32_t mult,
                            int32_t in_offset, int32_t off2, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const int8_t *xr = win->in + ic;
    const int8_t *wr = win->w + oc;
    for (int32_t r = win->rows; r > 0; --r) {
        const int8_t *x = xr, *w = wr;
        for (int32_t c = win->cols; c > 0; --c) {
            const int32_t wv = tflm_load_s32(w);
            const int32_t w02 = __sxtb16(wv), w13 = tflm_sxtb16_ror8(wv);
            if (mult == 1) {
                const int32_t xv = tflm_load_s32(x);
                const int32_t x02 = __sxtab16(off2, xv), x13 = tflm_sxtab16_ror8(off2, xv);
                a0 = __smlabb(x02, w02, a0);
                a2 = __smlatt(x02, w02, a2);
                a1 = __smlabb(x13, w13, a1);
                a3 = __smlatt(x13, w13, a3);
            } else {
                const int32_t xv = *x + in_offset;
                a0 = __smlabb(w02, xv, a0);
                a2 = __smlatb(w02, xv, a2);
                a1 = __smlabb(w13, xv, a1);
                a3 = __smlatb(w13, xv, a3);
            }
            x += win->in_col_step;
            w += win->w_col_step;
        }
        xr += win->in_row_step;
        wr += win->w_row_step;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* All output channels of one pixel, DW_DSP_CHUNK at a time: accumulators (bias first), 4
 * channels per step, then one requantisation pass that writes the chunk. */
static TFLM_PY_NOINLINE void dw_dsp_pixel(const tflm_depthwise_conv_2d_params_t *p,
                                          const tflm_rq_dsp_t *rq, const dw_window_t *win,
                                          const int32_t *bias, int8_t *out)
{
    const int32_t out_c = p->output_c, mult = p->depth_multiplier;
    const int32_t in_offset = p->input_offset;
    const int32_t off2 = (int32_t)(((uint32_t)in_offset & 0xFFFFu) | ((uint32_t)in_offset << 16));
    /* depth_multiplier 1 and the same column step for inputs and weights (no dilation) */
    const int simple = mult == 1 && win->in_col_step == win->w_col_step;
    int32_t acc[DW_DSP_CHUNK];
    for (int32_t c0 = 0; c0 < out_c; c0 += DW_DSP_CHUNK) {
        const int32_t n = TFLM_MIN(DW_DSP_CHUNK, out_c - c0);
        if (bias != NULL) {
            memcpy(acc, bias + c0, (size_t)n * sizeof(int32_t));
        } else {
            memset(acc, 0, (size_t)n * sizeof(int32_t));
        }
        int32_t j = 0;
        if (simple) {
            const int8_t *x = win->in + c0, *w = win->w + c0;
            for (; j + 4 <= n; j += 4) {
                dw_acc4(x + j, w + j, win->rows, win->cols, win->in_row_step, win->w_row_step,
                        win->in_col_step, off2, acc + j);
            }
        }
        for (; j + 4 <= n && !simple; j += 4) {
            const int32_t oc = c0 + j;
            const int32_t ic = oc / mult;
            if (mult == 1 || (oc + 3) / mult == ic) {
                /* channels oc .. oc + 3 share one input channel or map one to one */
                dw_acc4_general(win, ic, oc, mult, in_offset, off2, acc + j);
            } else {
                break;
            }
        }
        for (; j < n; ++j) {
            const int32_t oc = c0 + j;
            acc[j] = tflm_wrap_add(acc[j], dw_single(win, oc / mult, oc, in_offset));
        }
        tflm_requantize_run_dsp(rq, acc, c0, n, out + c0);
    }
}
#endif /* TFLM_PY_USE_DSP */

#if TFLM_PY_USE_SSE2
/* ---- the x86 path (SSE2), depth_multiplier 1, up to DW_X86_TAPS taps: one output pixel at
 * a time, channels innermost. The taps are taken in pairs (the last one of an odd count
 * paired with a zero weight); the weights of each pair are widened to int16 and interleaved
 * per channel once per call, so PMADDWD multiplies one pair of taps for 4 channels: per tap
 * pair, 16 channels of both taps' inputs are interleaved byte-wise, widened, offset and
 * multiplied in 4 PMADDWD (32 MACs in about 24 instructions). Taps outside the image read
 * a row of the input zero point (which the offset turns into 0: the reference skips those
 * taps, a zero adds nothing). The last (< 8) channels in scalar C. All channels of the pixel
 * are then requantised in one run (tflm_requantize_run). No scratch; memory-order contract:
 * each pixel's window is read before the pixel is written. */
#define DW_X86_TAPS 25          /* filter taps (5x5) */
#define DW_X86_CH 1024          /* channels */

static int dw_x86_ok(const tflm_depthwise_conv_2d_params_t *p)
{
    return p->depth_multiplier == 1 && p->filter_h * p->filter_w <= DW_X86_TAPS &&
           p->output_c <= DW_X86_CH;
}

/* 16 channels of one tap pair: acc0..acc3 (channels 0-3, .., 12-15) += (x0 + off) * w0 +
 * (x1 + off) * w1, wp the pair's interleaved int16 weights of these channels */
static TFLM_PY_INLINE void dw_x86_pair16(const int8_t *x0, const int8_t *x1, const int16_t *wp,
                                         __m128i off, __m128i *acc)
{
    const __m128i a = _mm_loadu_si128((const __m128i *)(const void *)x0);
    const __m128i b = _mm_loadu_si128((const __m128i *)(const void *)x1);
    const __m128i lo = _mm_unpacklo_epi8(a, b);
    const __m128i hi = _mm_unpackhi_epi8(a, b);
    const __m128i v0 = _mm_add_epi16(_mm_srai_epi16(_mm_unpacklo_epi8(lo, lo), 8), off);
    const __m128i v1 = _mm_add_epi16(_mm_srai_epi16(_mm_unpackhi_epi8(lo, lo), 8), off);
    const __m128i v2 = _mm_add_epi16(_mm_srai_epi16(_mm_unpacklo_epi8(hi, hi), 8), off);
    const __m128i v3 = _mm_add_epi16(_mm_srai_epi16(_mm_unpackhi_epi8(hi, hi), 8), off);
    const __m128i *w = (const __m128i *)(const void *)wp;
    acc[0] = _mm_add_epi32(acc[0], _mm_madd_epi16(v0, _mm_loadu_si128(w)));
    acc[1] = _mm_add_epi32(acc[1], _mm_madd_epi16(v1, _mm_loadu_si128(w + 1)));
    acc[2] = _mm_add_epi32(acc[2], _mm_madd_epi16(v2, _mm_loadu_si128(w + 2)));
    acc[3] = _mm_add_epi32(acc[3], _mm_madd_epi16(v3, _mm_loadu_si128(w + 3)));
}

/* the same for 8 channels (acc0, acc1) */
static TFLM_PY_INLINE void dw_x86_pair8(const int8_t *x0, const int8_t *x1, const int16_t *wp,
                                        __m128i off, __m128i *acc)
{
    const __m128i a = _mm_loadl_epi64((const __m128i *)(const void *)x0);
    const __m128i b = _mm_loadl_epi64((const __m128i *)(const void *)x1);
    const __m128i lo = _mm_unpacklo_epi8(a, b);
    const __m128i v0 = _mm_add_epi16(_mm_srai_epi16(_mm_unpacklo_epi8(lo, lo), 8), off);
    const __m128i v1 = _mm_add_epi16(_mm_srai_epi16(_mm_unpackhi_epi8(lo, lo), 8), off);
    const __m128i *w = (const __m128i *)(const void *)wp;
    acc[0] = _mm_add_epi32(acc[0], _mm_madd_epi16(v0, _mm_loadu_si128(w)));
    acc[1] = _mm_add_epi32(acc[1], _mm_madd_epi16(v1, _mm_loadu_si128(w + 1)));
}

/* the tap inputs of a window that crosses the image border: `pad` outside it */
static TFLM_PY_NOINLINE void dw_x86_border(const tflm_depthwise_conv_2d_params_t *p,
                                           const int8_t *in_b, int32_t iy0, int32_t ix0,
                                           const int8_t *pad, const int8_t **xp)
{
    const int32_t ch = p->output_c, k_w = p->filter_w;
    for (int32_t ky = 0; ky < p->filter_h; ++ky) {
        const int32_t iy = iy0 + ky * p->dilation_h;
        for (int32_t kx = 0; kx < k_w; ++kx) {
            const int32_t ix = ix0 + kx * p->dilation_w;
            const int inside = iy >= 0 && iy < p->input_h && ix >= 0 && ix < p->input_w;
            xp[ky * k_w + kx] = inside ? in_b + ((size_t)iy * p->input_w + (size_t)ix) * ch
                                       : pad;
        }
    }
}

/* acc[c] for all channels of one pixel: tap t reads base + offs[t] (inner: a window inside
 * the image, written out when pairs is a constant) or xp[t] */
static TFLM_PY_INLINE void dw_x86_acc(int inner, const int8_t *base, const size_t *offs,
                                      const int8_t *const *xp, int32_t pairs, int32_t ch,
                                      const int16_t *wp, int32_t in_offset, int32_t *acc)
{
    const int32_t c16 = ch & ~15, c8 = ch & ~7;
    const __m128i off = _mm_set1_epi16((int16_t)in_offset);
#define DW_X86_TAP(t) (inner ? base + offs[t] : xp[t])
    int32_t c = 0;
    for (; c < c16; c += 16) {
        __m128i a[4];
        a[0] = a[1] = a[2] = a[3] = _mm_setzero_si128();
        for (int32_t j = 0; j < pairs; ++j) {
            dw_x86_pair16(DW_X86_TAP(2 * j) + c, DW_X86_TAP(2 * j + 1) + c,
                          wp + ((size_t)j * ch + c) * 2, off, a);
        }
        for (int32_t i = 0; i < 4; ++i) {
            _mm_storeu_si128((__m128i *)(void *)(acc + c + 4 * i), a[i]);
        }
    }
    if (c < c8) {
        __m128i a[2];
        a[0] = a[1] = _mm_setzero_si128();
        for (int32_t j = 0; j < pairs; ++j) {
            dw_x86_pair8(DW_X86_TAP(2 * j) + c, DW_X86_TAP(2 * j + 1) + c,
                         wp + ((size_t)j * ch + c) * 2, off, a);
        }
        _mm_storeu_si128((__m128i *)(void *)(acc + c), a[0]);
        _mm_storeu_si128((__m128i *)(void *)(acc + c + 4), a[1]);
        c += 8;
    }
    for (; c < ch; ++c) {
        int32_t s = 0;
        for (int32_t j = 0; j < pairs; ++j) {
            const int16_t *w = wp + ((size_t)j * ch + c) * 2;
            s += (DW_X86_TAP(2 * j)[c] + in_offset) * w[0] +
                 (DW_X86_TAP(2 * j + 1)[c] + in_offset) * w[1];
        }
        acc[c] = s;
    }
#undef DW_X86_TAP
}

static void dw_x86(const tflm_depthwise_conv_2d_params_t *p, const tflm_rq_t *r,
                   const int8_t *input, const int8_t *filter, const int32_t *bias,
                   int8_t *output)
{
    const int32_t ch = p->output_c, k_h = p->filter_h, k_w = p->filter_w;
    const int32_t taps = k_h * k_w, pairs = (taps + 1) / 2;
    const int32_t in_offset = p->input_offset;
    int16_t wp[(DW_X86_TAPS + 1) * DW_X86_CH];   /* [pair][channel][2] */
    int8_t pad[DW_X86_CH];                       /* the input zero point */
    int32_t acc[DW_X86_CH];
    const int8_t *xp[DW_X86_TAPS + 1];
    for (int32_t j = 0; j < pairs; ++j) {
        for (int32_t c = 0; c < ch; ++c) {
            const int32_t t1 = 2 * j + 1;
            wp[((size_t)j * ch + c) * 2] = filter[(size_t)(2 * j) * ch + c];
            wp[((size_t)j * ch + c) * 2 + 1] = t1 < taps ? filter[(size_t)t1 * ch + c] : 0;
        }
    }
    size_t offs[DW_X86_TAPS + 1];   /* tap t's input bytes from the window origin */
    for (int32_t ky = 0; ky < k_h; ++ky) {
        for (int32_t kx = 0; kx < k_w; ++kx) {
            offs[ky * k_w + kx] = ((size_t)ky * p->dilation_h * p->input_w +
                                   (size_t)kx * p->dilation_w) * ch;
        }
    }
    offs[taps] = 0;   /* the zero-weight tap of an odd count: any bytes of the window */
    memset(pad, (int8_t)(-in_offset), (size_t)ch);
    xp[taps] = pad;
    int32_t pk[4 * DW_X86_CH];
    tflm_rq_prep_t q;
    tflm_rq_prepare_sse2(r, ch, pk, &q);
    int8_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input_h * p->input_w * ch;
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < p->output_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                if (iy0 >= 0 && iy0 + (k_h - 1) * p->dilation_h < p->input_h && ix0 >= 0 &&
                    ix0 + (k_w - 1) * p->dilation_w < p->input_w) {
                    const int8_t *base = in_b + ((size_t)iy0 * p->input_w + (size_t)ix0) * ch;
                    if (pairs == 5) {   /* 3x3 */
                        dw_x86_acc(1, base, offs, xp, 5, ch, wp, in_offset, acc);
                    } else {
                        dw_x86_acc(1, base, offs, xp, pairs, ch, wp, in_offset, acc);
                    }
                } else {
                    dw_x86_border(p, in_b, iy0, ix0, pad, xp);
                    dw_x86_acc(0, NULL, offs, xp, pairs, ch, wp, in_offset, acc);
                }
                if (p->small_acc) {
                    tflm_requantize_run_prep_sse2(&q, acc, bias, 0, ch, out);
                } else {
                    tflm_requantize_run(r, 0, acc, bias, 0, ch, out);
                }
                out += ch;
            }
        }
    }
}
#endif /* TFLM_PY_USE_SSE2 */

void tflm_depthwise_conv_2d_s8(const tflm_depthwise_conv_2d_params_t *p, const int8_t *input,
                               const int8_t *filter, const int32_t *bias, int8_t *output)
{
    const int32_t in_c = p->input_c;
    const int32_t out_c = p->output_c;
#if !TFLM_PY_USE_DSP
    tflm_rq_t r;
    r.multipliers = p->multipliers;
    r.shifts = p->shifts;
    r.per_channel = p->per_channel;
    r.output_offset = p->output_offset;
    r.act_min = p->act_min;
    r.act_max = p->act_max;
#else
    tflm_rq_dsp_t rd;
    rd.multipliers = p->multipliers;
    rd.shifts = p->shifts;
    rd.per_channel = p->per_channel;
    rd.output_offset = p->output_offset;
    rd.act_min = p->act_min;
    rd.act_max = p->act_max;
    rd.small_acc = p->small_acc;
#endif
    int8_t *out = output;
#if TFLM_PY_USE_SSE2
    if (dw_x86_ok(p)) {
        dw_x86(p, &r, input, filter, bias, output);
        return;
    }
#endif
#if !TFLM_PY_USE_DSP
    const int32_t blk = dw_row_block(p);
    if (blk > 0) {
        for (int32_t b = 0; b < p->batches; ++b) {
            const size_t in_size = (size_t)p->input_h * p->input_w * in_c;
            const size_t out_size = (size_t)p->output_h * p->output_w * out_c;
            dw_portable_rows(p, &r, blk, input + b * in_size, filter, bias, out + b * out_size);
        }
        return;
    }
#endif
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input_h * p->input_w * in_c;
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            for (int32_t ox = 0; ox < p->output_w; ++ox) {
                dw_window_t win;
                dw_window(p, in_b, filter, oy, ox, &win);
#if TFLM_PY_USE_DSP
                dw_dsp_pixel(p, &rd, &win, bias, out);
#else
                dw_portable_pixel(p, &r, &win, bias, out);
#endif
                out += out_c;
            }
        }
    }
}

/* ---- the 3x3 path: a ring of 3 channel-planar int16 input rows in scratch ----------------
 *
 * Ring layout, in 32-bit words: input row py (padded coordinates, py = iy + pad_h) lives in
 * slot py % 3; input column ix at padded column px = ix + pad_w (pad_w is 0 or 1 for a 3x3
 * filter with SAME / VALID padding). For column pair j (px = 2j, 2j + 1), channel c and
 * slot s, the word ring[(j * channels + c) * 3 + s] holds (x[2j] + input_offset) |
 * (x[2j + 1] + input_offset) << 16 as int16 halves, 0 for a padding column or row (TFLM
 * skips those taps: a zero adds nothing); TFLM_DW3X3_COL_PAIRS pairs are stored, columns
 * right of them are padding and read as 0. One word is a tap pair of one channel for SMLAD.
 *
 * For stride_w 1, two adjacent outputs (columns 2k .. 2k + 3 of a window row: tap pairs
 * P = (x0, x1) and Q = (x2, x3); filter row words A = (w0, w1), B = (w1, w2)):
 *   out0 = SMLAD(P, A) + SMLABT(Q, B)  = x0 w0 + x1 w1 + x2 w2
 *   out1 = SMLAD(Q, B) + SMLATB(P, A)  = x2 w1 + x3 w2 + x1 w0
 * For stride_w 2 (columns 4k .. 4k + 5, pairs P, Q, R):
 *   out0 = SMLAD(P, A) + SMLABT(Q, B),  out1 = SMLAD(Q, A) + SMLABT(R, B).
 * The Cortex-M loops (written out below) run over the channels of one such pair of output
 * pixels: four multiplies and two loads (three for stride 2) per filter row, the channel's
 * weights, bias and requantisation loaded with LDM from its record, both outputs
 * requantised and stored at once: about 2.1 (stride 1) / 2.4 (stride 2) instructions per
 * MAC. A last single output (odd widths, or the padding column right of the stored pairs)
 * takes the "tail" loop. */

#define DW3_REC 9       /* int32 words per channel record, see the header */

static TFLM_PY_INLINE int32_t dw3_pack(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}

static TFLM_PY_INLINE int32_t dw3_half(int32_t v, int32_t high)
{
    return high ? (int32_t)(int16_t)(uint16_t)((uint32_t)v >> 16)
                : (int32_t)(int16_t)(uint16_t)((uint32_t)v & 0xFFFFu);
}

/* the ring runs on Cortex-M; -DTFLM_DW3X3_RING runs its portable C on any host (tests) */
#if TFLM_PY_USE_DSP || defined(TFLM_DW3X3_RING)
#define DW3_RING 1
#else
#define DW3_RING 0
#endif

#if DW3_RING

#if TFLM_PY_USE_DSP
/* (low half of a, low half of b) and (high half of a, high half of b): one PKHBT / PKHTB
 * (gcc makes two or three instructions of the C) */
static TFLM_PY_INLINE int32_t dw3_pkh_lo(int32_t a, int32_t b)
{
#if defined(__GNUC__)
    int32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
#else
    return dw3_pack(a, b);
#endif
}

static TFLM_PY_INLINE int32_t dw3_pkh_hi(int32_t a, int32_t b)
{
#if defined(__GNUC__)
    int32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(b), "r"(a));
    return r;
#else
    return (int32_t)(((uint32_t)a >> 16) | ((uint32_t)b & 0xFFFF0000u));
#endif
}
#endif

#if TFLM_PY_USE_DSP && defined(__GNUC__)
#define DW3_FILL_WRITTEN_OUT 1
/* Copy the column pairs of one input row that lie inside the image, 4 channels at a time:
 * per block, one word of each column widened with the offset (SXTAB16) and paired by
 * channel (PKHBT / PKHTB) into the ring's 4 words of each channel: 17 instructions for 8
 * values. Registers: r0 the pair's first column (src), r1 channels (bytes to the second
 * column), r2 the ring words (dst), r3 off2, r12 pairs; r11 blocks left in the pair. */
typedef struct {
    const int8_t *src;
    int32_t ch;            /* a multiple of 4 */
    int32_t *dst;
    int32_t off2;
    int32_t pairs;         /* >= 1 */
} dw3_fill_job_t;

__attribute__((naked, noinline)) static void dw3_fill_pairs(
    const dw3_fill_job_t *job __attribute__((unused)))
{
    __asm__ volatile(
        "push    {r4-r11, lr}\n\t"
        "ldm     r0, {r0, r1, r2, r3, r12}\n"
        "2:\n\t"
        "lsrs    r11, r1, #2\n"
        "1:\n\t"
        "ldr     r5, [r0, r1]\n\t"
        "ldr     r4, [r0], #4\n\t"
        "sxtab16 r6, r3, r4\n\t"
        "sxtab16 r7, r3, r5\n\t"
        "pkhbt   r8, r6, r7, lsl #16\n\t"
        "pkhtb   r9, r7, r6, asr #16\n\t"
        "sxtab16 r6, r3, r4, ror #8\n\t"
        "sxtab16 r7, r3, r5, ror #8\n\t"
        "pkhbt   r10, r6, r7, lsl #16\n\t"
        "pkhtb   r7, r7, r6, asr #16\n\t"
        "str     r8, [r2]\n\t"
        "str     r10, [r2, #12]\n\t"
        "str     r9, [r2, #24]\n\t"
        "str     r7, [r2, #36]\n\t"
        "adds    r2, #48\n\t"
        "subs    r11, #1\n\t"
        "bne     1b\n\t"
        "add     r0, r0, r1\n\t"
        "subs    r12, #1\n\t"
        "bne     2b\n\t"
        "pop     {r4-r11, pc}\n\t");
}

#else
#define DW3_FILL_WRITTEN_OUT 0
#endif

/* copy input row py (padded coordinates) into its ring slot */
static TFLM_PY_NOINLINE void dw3_fill_row(const tflm_depthwise_conv_2d_params_t *p,
                                          const int8_t *in_b, int32_t py, int32_t *ring)
{
    const int32_t ch = p->input_c, in_w = p->input_w;
    const int32_t pairs = TFLM_DW3X3_COL_PAIRS(in_w, p->pad_w);
    const int32_t iy = py - p->pad_h;
    int32_t *slot = ring + py % 3;
    if (iy < 0 || iy >= p->input_h) {
        for (int32_t i = 0; i < pairs * ch; ++i) {
            slot[3 * i] = 0;
        }
        return;
    }
    const int8_t *row = in_b + (size_t)iy * in_w * ch;
    const int32_t off = p->input_offset;
#if TFLM_PY_USE_DSP
    const int32_t off2 = dw3_pack(off, off);
#endif
    for (int32_t j = 0; j < pairs; ++j) {
        /* ix >= -1 and ix <= in_w - 1: only the first pair can start in the padding, only
         * the last end in it */
        const int32_t ix = 2 * j - p->pad_w;
        const int v0 = ix >= 0, v1 = ix + 1 < in_w;
        int32_t *d = slot + (size_t)j * ch * 3;
        int32_t c = 0;
#if DW3_FILL_WRITTEN_OUT
        if (v0 && v1 && (ch & 3) == 0) {
            /* this pair and the next ones inside the image at once */
            const int32_t j1 = (in_w + p->pad_w) / 2;
            dw3_fill_job_t job;
            job.src = row + (size_t)ix * ch;
            job.ch = ch;
            job.dst = d;
            job.off2 = off2;
            job.pairs = j1 - j;
            dw3_fill_pairs(&job);
            j = j1 - 1;
            continue;
        }
#endif
#if TFLM_PY_USE_DSP
        /* 4 channels at a time: widened with the offset (SXTAB16), then paired by channel */
        if (v0 && v1) {
            const int8_t *a = row + (size_t)ix * ch;
            const int8_t *b = a + ch;
            for (; c + 4 <= ch; c += 4) {
                const int32_t wa = tflm_load_s32(a + c), wb = tflm_load_s32(b + c);
                const int32_t a02 = __sxtab16(off2, wa), b02 = __sxtab16(off2, wb);
                const int32_t a13 = tflm_sxtab16_ror8(off2, wa);
                const int32_t b13 = tflm_sxtab16_ror8(off2, wb);
                int32_t *dc = d + 3 * c;
                dc[0] = dw3_pkh_lo(a02, b02);
                dc[3] = dw3_pkh_lo(a13, b13);
                dc[6] = dw3_pkh_hi(a02, b02);
                dc[9] = dw3_pkh_hi(a13, b13);
            }
        } else if (v0 || v1) {
            const int8_t *a = row + (size_t)(v0 ? ix : ix + 1) * ch;
            for (; c + 4 <= ch; c += 4) {
                const int32_t wa = tflm_load_s32(a + c);
                const uint32_t a02 = (uint32_t)__sxtab16(off2, wa);
                const uint32_t a13 = (uint32_t)tflm_sxtab16_ror8(off2, wa);
                int32_t *dc = d + 3 * c;
                if (v0) {       /* the right padding column: the high halves stay 0 */
                    dc[0] = (int32_t)(a02 & 0xFFFFu);
                    dc[3] = (int32_t)(a13 & 0xFFFFu);
                    dc[6] = (int32_t)(a02 >> 16);
                    dc[9] = (int32_t)(a13 >> 16);
                } else {        /* the left padding column: the low halves stay 0 */
                    dc[0] = (int32_t)(a02 << 16);
                    dc[3] = (int32_t)(a13 << 16);
                    dc[6] = (int32_t)(a02 & 0xFFFF0000u);
                    dc[9] = (int32_t)(a13 & 0xFFFF0000u);
                }
            }
        }
#endif
        for (; c < ch; ++c) {
            const int32_t lo = v0 ? row[(size_t)ix * ch + c] + off : 0;
            const int32_t hi = v1 ? row[(size_t)(ix + 1) * ch + c] + off : 0;
            d[3 * c] = dw3_pack(lo, hi);
        }
    }
}

/* One output row from the ring, in plain C, tap by tap: the spec of the written-out loops,
 * and the path for what they do not take (see dw3_fast_ok). */
static void dw3_out_row_c(const tflm_depthwise_conv_2d_params_t *p, const int32_t *ring,
                          const int32_t *rec, int32_t py0, int8_t *out)
{
    const int32_t ch = p->input_c, cols = TFLM_DW3X3_COL_PAIRS(p->input_w, p->pad_w);
    for (int32_t c = 0; c < ch; ++c, rec += DW3_REC) {
        const int32_t mult = rec[7], shift = -rec[8] - 1;   /* the record's requantisation */
        for (int32_t ox = 0; ox < p->output_w; ++ox) {
            int32_t acc = rec[0];
            for (int32_t r = 0; r < 3; ++r) {
                const int32_t s = (py0 + r) % 3;
                const int32_t w[3] = {dw3_half(rec[1 + 2 * r], 0), dw3_half(rec[1 + 2 * r], 1),
                                      dw3_half(rec[2 + 2 * r], 1)};
                for (int32_t kx = 0; kx < 3; ++kx) {
                    const int32_t px = ox * p->stride_w + kx, j = px / 2;
                    const int32_t word = j < cols ? ring[((size_t)j * ch + c) * 3 + s] : 0;
                    acc = tflm_wrap_add(acc, dw3_half(word, px & 1) * w[kx]);
                }
            }
            /* with small_acc the record holds 2x weights and bias: acc is even */
            const int32_t x = p->small_acc ? acc / 2 : acc;
            int32_t v = tflm_requantize_fast(x, mult, shift);
            v += p->output_offset;
            out[(size_t)ox * ch + c] = (int8_t)TFLM_CLAMP(v, p->act_min, p->act_max);
        }
    }
}

#if TFLM_PY_USE_DSP && defined(__GNUC__)
/* What one call of a written-out loop reads: it runs over every channel of one pair of
 * output pixels (or one last pixel). Field order: the loops LDM it into r0-r3, r10-r12, lr. */
typedef struct {
    const int32_t *x;      /* pair P of channel 0 (3 words per channel, one per ring slot) */
    const int32_t *y;      /* pair Q of channel 0, or the zero pair (tail, Q not stored) */
    const int32_t *z;      /* pair R of channel 0 (stride 2); tails: the bytes between the
                            * channels' Q words (12, or 0 for the zero pair) */
    const int32_t *rec;    /* the channel records */
    int8_t *o;             /* channel 0 of the first output pixel */
    int8_t *end;           /* o + channels */
    int32_t second;        /* bytes to the second output pixel */
    int32_t c1;            /* 1 + 2 * output zero point */
} dw3_job_t;

/* Registers: r0 x, r1 y, r2 z, r3 rec, r4 / r5 the two accumulators, r6 / r7 the filter
 * row words A / B (then m / c1k), r8 / r9 loaded pairs (r8 then k), r10 o, r11 end,
 * r12 second, lr c1 (tails: r2 the Q step). The record is LDM'd in order: the bias with
 * filter row 0's A B, filter rows 1 and 2's A B, then m, k. */
#define DW3_ENTER                                                                          \
    "push    {r4-r11, lr}\n\t"                                                             \
    "ldm     r0, {r0, r1, r2, r3, r10, r11, r12, lr}\n"                                   \
    "1:\n\t"

/* requantise r4 / r5 (2x the accumulators): SMMLAR(2x, m, c1k - [x < 0]) >> k, then SSAT
 * of the half (tflm_requantize_run_dsp's small-accumulator form with the output offset
 * 2 * zp + 1, shifted left by k, riding in SMMLAR's accumulator: exact, as k <= 21) */
#define DW3_RQ2                                                                            \
    "ldm     r3!, {r6, r8}\n\t"                                                            \
    "lsl     r7, lr, r8\n\t"                                                               \
    "sub     r9, r7, r4, lsr #31\n\t"                                                      \
    "smmlar  r4, r4, r6, r9\n\t"                                                           \
    "sub     r9, r7, r5, lsr #31\n\t"                                                      \
    "smmlar  r5, r5, r6, r9\n\t"                                                           \
    "asr     r4, r4, r8\n\t"                                                               \
    "asr     r5, r5, r8\n\t"                                                               \
    "ssat    r4, #8, r4, asr #1\n\t"                                                       \
    "ssat    r5, #8, r5, asr #1\n\t"

#define DW3_LEAVE                                                                          \
    "cmp     r10, r11\n\t"                                                                 \
    "bne     1b\n\t"                                                                       \
    "pop     {r4-r11, pc}\n\t"

/* The ring words of filter row r sit at slot offset 4 * ((py0 + r) % 3) from a channel's
 * pair; each pointer moves on by 12 bytes per channel, folded into the one load at offset
 * 0 (post-indexed), the later rows' offsets shifted by -12. One addressing macro per
 * rotation and filter row, applied to a pointer register: */
#define DW3_R0_ROW0(R) "[" R "], #12"
#define DW3_R0_ROW1(R) "[" R ", #-8]"
#define DW3_R0_ROW2(R) "[" R ", #-4]"
#define DW3_R1_ROW0(R) "[" R ", #4]"
#define DW3_R1_ROW1(R) "[" R ", #8]"
#define DW3_R1_ROW2(R) "[" R "], #12"
#define DW3_R2_ROW0(R) "[" R ", #8]"
#define DW3_R2_ROW1(R) "[" R "], #12"
#define DW3_R2_ROW2(R) "[" R ", #-8]"

/* LD: the filter row's A B (rows 1 and 2; row 0's come with the bias) */
#define DW3_LD_ROW0 "ldm     r3!, {r4, r6, r7}\n\tmov     r5, r4\n\t"
#define DW3_LD_ROW "ldm     r3!, {r6, r7}\n\t"

/* stride 1, one filter row: P at x, Q at y */
#define DW3_S1_ROW(LD, M)                                                                  \
    LD                                                                                     \
    "ldr     r8, " M("r0") "\n\t"                                                          \
    "ldr     r9, " M("r1") "\n\t"                                                          \
    "smlad   r4, r8, r6, r4\n\t"                                                           \
    "smlabt  r4, r9, r7, r4\n\t"                                                           \
    "smlad   r5, r9, r7, r5\n\t"                                                           \
    "smlatb  r5, r8, r6, r5\n\t"

/* stride 2, one filter row: P, Q, R at x, y, z */
#define DW3_S2_ROW(LD, M)                                                                  \
    LD                                                                                     \
    "ldr     r8, " M("r0") "\n\t"                                                          \
    "ldr     r9, " M("r1") "\n\t"                                                          \
    "smlad   r4, r8, r6, r4\n\t"                                                           \
    "smlabt  r4, r9, r7, r4\n\t"                                                           \
    "smlad   r5, r9, r6, r5\n\t"                                                           \
    "ldr     r8, " M("r2") "\n\t"                                                          \
    "smlabt  r5, r8, r7, r5\n\t"

/* the last two pixels of a stride-2 row whose R is not stored: out0 from P, Q; out1 = Q . A;
 * y moves on by ystep, so its words are at the plain slot offset S */
#define DW3_TAIL_ROW(LD, M, S)                                                             \
    LD                                                                                     \
    "ldr     r8, " M("r0") "\n\t"                                                          \
    "ldr     r9, [r1, #" S "]\n\t"                                                         \
    "smlad   r4, r8, r6, r4\n\t"                                                           \
    "smlabt  r4, r9, r7, r4\n\t"                                                           \
    "smlad   r5, r9, r6, r5\n\t"

#define DW3_LOOP_S1(NAME, M0, M1, M2)                                                      \
    __attribute__((naked, noinline)) static void NAME(                                     \
        const dw3_job_t *job __attribute__((unused)))                                      \
    {                                                                                      \
        __asm__ volatile(DW3_ENTER DW3_S1_ROW(DW3_LD_ROW0, M0) DW3_S1_ROW(DW3_LD_ROW, M1)  \
                         DW3_S1_ROW(DW3_LD_ROW, M2)                                        \
                         DW3_RQ2                                                           \
                         "strb    r5, [r10, r12]\n\t"                                      \
                         "strb    r4, [r10], #1\n\t"                                       \
                         DW3_LEAVE);                                                       \
    }

#define DW3_LOOP_S2(NAME, M0, M1, M2)                                                      \
    __attribute__((naked, noinline)) static void NAME(                                     \
        const dw3_job_t *job __attribute__((unused)))                                      \
    {                                                                                      \
        __asm__ volatile(DW3_ENTER DW3_S2_ROW(DW3_LD_ROW0, M0) DW3_S2_ROW(DW3_LD_ROW, M1)  \
                         DW3_S2_ROW(DW3_LD_ROW, M2)                                        \
                         DW3_RQ2                                                           \
                         "strb    r5, [r10, r12]\n\t"                                      \
                         "strb    r4, [r10], #1\n\t"                                       \
                         DW3_LEAVE);                                                       \
    }

#define DW3_LOOP_TAIL(NAME, M0, M1, M2, S0, S1, S2)                                        \
    __attribute__((naked, noinline)) static void NAME(                                     \
        const dw3_job_t *job __attribute__((unused)))                                      \
    {                                                                                      \
        __asm__ volatile(DW3_ENTER DW3_TAIL_ROW(DW3_LD_ROW0, M0, S0)                       \
                         DW3_TAIL_ROW(DW3_LD_ROW, M1, S1) DW3_TAIL_ROW(DW3_LD_ROW, M2, S2) \
                         "add     r1, r1, r2\n\t"                                          \
                         DW3_RQ2                                                           \
                         "strb    r5, [r10, r12]\n\t"                                      \
                         "strb    r4, [r10], #1\n\t"                                       \
                         DW3_LEAVE);                                                       \
    }

/* one last pixel: out0 from P, Q only */
#define DW3_TAIL1_ROW(LD, M, S)                                                            \
    LD                                                                                     \
    "ldr     r8, " M("r0") "\n\t"                                                          \
    "ldr     r9, [r1, #" S "]\n\t"                                                         \
    "smlad   r4, r8, r6, r4\n\t"                                                           \
    "smlabt  r4, r9, r7, r4\n\t"

#define DW3_LOOP_TAIL1(NAME, M0, M1, M2, S0, S1, S2)                                       \
    __attribute__((naked, noinline)) static void NAME(                                     \
        const dw3_job_t *job __attribute__((unused)))                                      \
    {                                                                                      \
        __asm__ volatile(DW3_ENTER DW3_TAIL1_ROW(DW3_LD_ROW0, M0, S0)                      \
                         DW3_TAIL1_ROW(DW3_LD_ROW, M1, S1)                                 \
                         DW3_TAIL1_ROW(DW3_LD_ROW, M2, S2)                                 \
                         "add     r1, r1, r2\n\t"                                          \
                         "ldm     r3!, {r6, r8}\n\t"                                       \
                         "lsl     r7, lr, r8\n\t"                                          \
                         "sub     r9, r7, r4, lsr #31\n\t"                                 \
                         "smmlar  r4, r4, r6, r9\n\t"                                      \
                         "asr     r4, r4, r8\n\t"                                          \
                         "ssat    r4, #8, r4, asr #1\n\t"                                  \
                         "strb    r4, [r10], #1\n\t"                                       \
                         DW3_LEAVE);                                                       \
    }

/* one loop per rotation of the ring: filter row r in slot (py0 + r) % 3 */
DW3_LOOP_S1(dw3_s1_r0, DW3_R0_ROW0, DW3_R0_ROW1, DW3_R0_ROW2)
DW3_LOOP_S1(dw3_s1_r1, DW3_R1_ROW0, DW3_R1_ROW1, DW3_R1_ROW2)
DW3_LOOP_S1(dw3_s1_r2, DW3_R2_ROW0, DW3_R2_ROW1, DW3_R2_ROW2)
DW3_LOOP_S2(dw3_s2_r0, DW3_R0_ROW0, DW3_R0_ROW1, DW3_R0_ROW2)
DW3_LOOP_S2(dw3_s2_r1, DW3_R1_ROW0, DW3_R1_ROW1, DW3_R1_ROW2)
DW3_LOOP_S2(dw3_s2_r2, DW3_R2_ROW0, DW3_R2_ROW1, DW3_R2_ROW2)
DW3_LOOP_TAIL(dw3_tail_r0, DW3_R0_ROW0, DW3_R0_ROW1, DW3_R0_ROW2, "0", "4", "8")
DW3_LOOP_TAIL(dw3_tail_r1, DW3_R1_ROW0, DW3_R1_ROW1, DW3_R1_ROW2, "4", "8", "0")
DW3_LOOP_TAIL(dw3_tail_r2, DW3_R2_ROW0, DW3_R2_ROW1, DW3_R2_ROW2, "8", "0", "4")
DW3_LOOP_TAIL1(dw3_tail1_r0, DW3_R0_ROW0, DW3_R0_ROW1, DW3_R0_ROW2, "0", "4", "8")
DW3_LOOP_TAIL1(dw3_tail1_r1, DW3_R1_ROW0, DW3_R1_ROW1, DW3_R1_ROW2, "4", "8", "0")
DW3_LOOP_TAIL1(dw3_tail1_r2, DW3_R2_ROW0, DW3_R2_ROW1, DW3_R2_ROW2, "8", "0", "4")

typedef void (*dw3_loop_fn)(const dw3_job_t *);

/* the written-out loops' conditions: small_acc (2x records), no clamp beyond int8, every
 * record's k = -shift - 1 <= 21 (c1k stays clear of the accumulator range) */
static int dw3_fast_ok(const tflm_depthwise_conv_2d_params_t *p, const int32_t *records)
{
    if (!p->small_acc || p->act_min > -128 || p->act_max < 127) {
        return 0;
    }
    for (int32_t c = 0; c < p->output_c; ++c) {
        if (records[(size_t)c * DW3_REC + 8] > 21) {
            return 0;
        }
    }
    return 1;
}

/* one table of loops per stride (a call with a constant stride links only its own loops):
 * the rotations' full-pair loops, then their one-pixel tails */
static const dw3_loop_fn dw3_s1_loops[2][3] = {{dw3_s1_r0, dw3_s1_r1, dw3_s1_r2},
                                               {dw3_tail1_r0, dw3_tail1_r1, dw3_tail1_r2}};
static const dw3_loop_fn dw3_s2_loops[2][3] = {{dw3_s2_r0, dw3_s2_r1, dw3_s2_r2},
                                               {dw3_tail1_r0, dw3_tail1_r1, dw3_tail1_r2}};
static const dw3_loop_fn dw3_s2_tail2[3] = {dw3_tail_r0, dw3_tail_r1, dw3_tail_r2};

/* sw: the layer's stride_w, 1 or 2 (a constant where the entry is one stride's). A stride-1
 * row leaves at most one pixel for the tails (SAME or VALID: pairs = out_w / 2 whenever
 * out_w / 2 <= cols - 1); stride 2 may leave two, R not stored. */
static TFLM_PY_INLINE void dw3_out_row_dsp(const tflm_depthwise_conv_2d_params_t *p,
                                           const int32_t *ring, const int32_t *rec,
                                           int32_t py0, int8_t *out, int32_t sw)
{
    const dw3_loop_fn(*loops)[3] = sw == 1 ? dw3_s1_loops : dw3_s2_loops;
    const int32_t ch = p->input_c, out_w = p->output_w;
    const int32_t cols = TFLM_DW3X3_COL_PAIRS(p->input_w, p->pad_w);
    const int32_t rot = py0 % 3, step = 3 * ch;
    /* iterations of two output pixels that read stored pairs only */
    const int32_t pairs = TFLM_MIN(out_w / 2, sw == 1 ? cols - 1 : (cols - 1) / 2);
    dw3_job_t job;
    job.rec = rec;
    job.second = ch;
    job.c1 = 1 + 2 * p->output_offset;
    for (int32_t k = 0; k < pairs; ++k) {
        job.x = ring + (size_t)(sw == 1 ? k : 2 * k) * step;
        job.y = job.x + step;
        job.z = job.y + step;
        job.rec = rec;
        job.o = out + (size_t)2 * k * ch;
        job.end = job.o + ch;
        loops[0][rot](&job);
    }
    const int32_t left = out_w - 2 * pairs;
    if (left > 0) {
        const int32_t j = sw == 1 ? pairs : 2 * pairs;
        job.x = ring + (size_t)j * step;
        job.y = j + 1 < cols ? job.x + step : ring + (size_t)cols * step;
        job.z = (const int32_t *)(uintptr_t)(j + 1 < cols ? 12 : 0);
        job.rec = rec;
        job.o = out + (size_t)2 * pairs * ch;
        job.end = job.o + ch;
        job.second = ch;
        if (sw == 2 && left == 2) {
            dw3_s2_tail2[rot](&job);
        } else {
            loops[1][rot](&job);
        }
    }
}
#define DW3_WRITTEN_OUT 1
#else
#define DW3_WRITTEN_OUT 0
#endif
#endif /* DW3_RING */

/* sw: stride_w, 1 or 2 (a constant in the one-stride entries); proven: the generator
 * proved the written-out loops' conditions (dw3_fast_ok), so they are not checked */
static TFLM_PY_INLINE void dw3_run(const tflm_depthwise_conv_2d_params_t *p,
                                   const int8_t *input, const int32_t *records, int8_t *output,
                                   void *scratch, int32_t sw, int proven)
{
#if !DW3_RING
    /* elsewhere (x86) the direct loops are the fast path (they vectorise): the filter, bias
     * and requantisation they read are unpacked from the records into the scratch */
    const int32_t ch = p->output_c, k2 = p->small_acc ? 2 : 1;   /* doubled records */
    int32_t *bias = (int32_t *)scratch;
    int32_t *mult = bias + ch;
    int8_t *filter = (int8_t *)(mult + ch);
    int8_t *shift = filter + (size_t)9 * ch;
    (void)sw;
    (void)proven;
    for (int32_t c = 0; c < ch; ++c) {
        const int32_t *rec = records + (size_t)c * DW3_REC;
        bias[c] = rec[0] / k2;
        for (int32_t r = 0; r < 3; ++r) {
            const int32_t a = rec[1 + 2 * r], b = rec[2 + 2 * r];
            filter[(size_t)(3 * r) * ch + c] = (int8_t)(dw3_half(a, 0) / k2);
            filter[(size_t)(3 * r + 1) * ch + c] = (int8_t)(dw3_half(a, 1) / k2);
            filter[(size_t)(3 * r + 2) * ch + c] = (int8_t)(dw3_half(b, 1) / k2);
        }
        mult[c] = rec[7];
        shift[c] = (int8_t)(-rec[8] - 1);
    }
    tflm_depthwise_conv_2d_params_t q = *p;
    q.per_channel = 1;
    q.multipliers = mult;
    q.shifts = shift;
    tflm_depthwise_conv_2d_s8(&q, input, filter, bias, output);
#else
    const int32_t ch = p->input_c, out_w = p->output_w, sh = p->stride_h;
    const int32_t cols = TFLM_DW3X3_COL_PAIRS(p->input_w, p->pad_w);
    int32_t *ring = (int32_t *)scratch;
    /* after the ring: a zero column pair, what a window reads right of the stored pairs */
    int32_t *zero_pair = ring + (size_t)cols * 3 * ch;
    zero_pair[0] = zero_pair[1] = zero_pair[2] = 0;
#if DW3_WRITTEN_OUT
    const int fast = proven || dw3_fast_ok(p, records);
#else
    (void)sw;
    (void)proven;
#endif
    int8_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input_h * p->input_w * ch;
        int32_t filled = 0;     /* rows [0, filled) of the padded input were copied */
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            const int32_t py0 = oy * sh;
            for (int32_t py = TFLM_MAX(filled, py0); py < py0 + 3; ++py) {
                dw3_fill_row(p, in_b, py, ring);
            }
            filled = py0 + 3;
#if DW3_WRITTEN_OUT
            if (fast) {
                dw3_out_row_dsp(p, ring, records, py0, out, sw);
            } else
#endif
            {
                dw3_out_row_c(p, ring, records, py0, out);
            }
            out += (size_t)out_w * ch;
        }
    }
#endif
}

void tflm_depthwise_conv_2d_3x3_s8(const tflm_depthwise_conv_2d_params_t *p,
                                   const int8_t *input, const int32_t *records,
                                   int8_t *output, void *scratch)
{
    if (p->stride_w == 1) {
        dw3_run(p, input, records, output, scratch, 1, 0);
    } else {
        dw3_run(p, input, records, output, scratch, 2, 0);
    }
}

void tflm_depthwise_conv_2d_3x3_s1_s8(const tflm_depthwise_conv_2d_params_t *p,
                                      const int8_t *input, const int32_t *records,
                                      int8_t *output, void *scratch)
{
    dw3_run(p, input, records, output, scratch, 1, 1);
}

void tflm_depthwise_conv_2d_3x3_s2_s8(const tflm_depthwise_conv_2d_params_t *p,
                                      const int8_t *input, const int32_t *records,
                                      int8_t *output, void *scratch)
{
    dw3_run(p, input, records, output, scratch, 2, 1);
}

void tflm_depthwise_conv_2d_3x3_records(const tflm_depthwise_conv_2d_params_t *p,
                                        const int8_t *filter, const int32_t *bias,
                                        int32_t *records)
{
    const int32_t ch = p->output_c, k2 = p->small_acc ? 2 : 1;
    for (int32_t c = 0; c < ch; ++c) {
        int32_t *rec = records + (size_t)c * DW3_REC;
        const int32_t q = p->per_channel ? c : 0;
        /* the bias doubled with small_acc wraps like the generator's (uint32 arithmetic) */
        rec[0] = bias != NULL ? (int32_t)((uint32_t)bias[c] * (uint32_t)k2) : 0;
        for (int32_t r = 0; r < 3; ++r) {
            const int8_t *w = filter + (size_t)3 * r * ch + c;
            rec[1 + 2 * r] = dw3_pack(w[0] * k2, w[ch] * k2);
            rec[2 + 2 * r] = dw3_pack(w[ch] * k2, w[2 * ch] * k2);
        }
        rec[7] = p->multipliers[q];
        rec[8] = -(int32_t)p->shifts[q] - 1;
    }
}
