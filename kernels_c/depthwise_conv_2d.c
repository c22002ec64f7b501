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
 * - portable (the spec, and the x86 fast path): up to 64 output channels at a time (a
 *   multiple of 16) accumulate (int16)(x + input_offset) * w into int32 lanes, tap after tap,
 *   channels innermost: a loop gcc -O2 vectorises on x86. depth_multiplier 1 reads the
 *   same channels of the input, depth_multiplier > 1 broadcasts one input value over the
 *   outputs of its channel. Fewer than 16 channels left: one channel at a time.
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
            for (int32_t k = 0; k < n16; ++k) {
                const int32_t a = bias != NULL ? tflm_wrap_add(acc[k], bias[oc + k]) : acc[k];
                out[oc + k] = tflm_rq_out(r, a, oc + k);
            }
            j += n16;
        }
        for (; j < span; ++j) {
            const int32_t oc = oc0 + j;
            int32_t acc = dw_single(win, mult == 1 ? oc : g, oc, in_offset);
            if (bias != NULL) {
                acc = tflm_wrap_add(acc, bias[oc]);
            }
            out[oc] = tflm_rq_out(r, acc, oc);
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
