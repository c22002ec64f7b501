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

/* ---- the 3x3 path: a ring of 3 channel-planar int16 input rows in scratch ----------------
 *
 * Ring layout, in 32-bit words: input row py (padded coordinates, py = iy + pad_h) lives in
 * slot py % 3; input column ix at padded column px = ix + pad_w (pad_w is 0 or 1 for a 3x3
 * filter with SAME / VALID padding). For channel c and column pair j (px = 2j, 2j + 1) the
 * word ring[c * 3 * P + 3 * j + slot] holds (x[2j] + input_offset) | (x[2j + 1] +
 * input_offset) << 16 as int16 halves, 0 for a padding column or row (TFLM skips those
 * taps: a zero adds nothing), P = TFLM_DW3X3_COL_PAIRS pairs. One word is a tap pair of one
 * channel for SMLAD, and the three rows of a window are words 0, 1, 2 of a column pair.
 * Columns right of the stored pairs are padding: the last iteration of a row takes zeros
 * for them (the tails below) instead of storing them.
 *
 * For stride_w 1, two adjacent outputs (columns 2k .. 2k + 3 of each row, tap pairs
 * P = (x0, x1) and Q = (x2, x3), filter row words A = (w0, w1), B = (w1, w2)):
 *   out0 = SMLAD(P, A) + SMLABT(Q, B)  = x0 w0 + x1 w1 + x2 w2
 *   out1 = SMLAD(Q, B) + SMLATB(P, A)  = x2 w1 + x3 w2 + x1 w0
 * For stride_w 2 (columns 4k .. 4k + 5, pairs P, Q, R):
 *   out0 = SMLAD(P, A) + SMLABT(Q, B),  out1 = SMLAD(Q, A) + SMLABT(R, B).
 * Four multiplies and two loads (three for stride 2) per filter row for two outputs; the
 * accumulators start at the bias. With small_acc the generator doubles the weights and the
 * bias (still int16 / int32), so the accumulator is the 2x the requantisation starts from. */

#if TFLM_PY_USE_DSP
#define DW3_SMLAD(a, b, c) __smlad((a), (b), (c))
#define DW3_SMLABT(a, b, c) __smlabt((a), (b), (c))
#define DW3_SMLATB(a, b, c) __smlatb((a), (b), (c))
#else
static inline int32_t dw3_lo(int32_t v)
{
    return (int32_t)(int16_t)(uint16_t)((uint32_t)v & 0xFFFFu);
}

static inline int32_t dw3_hi(int32_t v)
{
    return (int32_t)(int16_t)(uint16_t)((uint32_t)v >> 16);
}

/* the DSP instructions' modular int32 sums */
#define DW3_SMLAD(a, b, c) tflm_wrap_add((c), dw3_lo(a) * dw3_lo(b) + dw3_hi(a) * dw3_hi(b))
#define DW3_SMLABT(a, b, c) tflm_wrap_add((c), dw3_lo(a) * dw3_hi(b))
#define DW3_SMLATB(a, b, c) tflm_wrap_add((c), dw3_hi(a) * dw3_lo(b))
#endif

static TFLM_PY_INLINE int32_t dw3_pack(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}

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

/* copy input row py (padded coordinates) into its ring slot */
static TFLM_PY_NOINLINE void dw3_fill_row(const tflm_depthwise_conv_2d_params_t *p,
                                          const int8_t *in_b, int32_t py, int32_t *ring)
{
    const int32_t ch = p->input_c, in_w = p->input_w;
    const int32_t pairs = TFLM_DW3X3_COL_PAIRS(in_w, p->pad_w), cs = 3 * pairs;
    const int32_t iy = py - p->pad_h;
    int32_t *slot = ring + py % 3;
    if (iy < 0 || iy >= p->input_h) {
        for (int32_t c = 0; c < ch; ++c) {
            int32_t *d = slot + (size_t)c * cs;
            for (int32_t j = 0; j < pairs; ++j) {
                d[3 * j] = 0;
            }
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
        int32_t *d = slot + 3 * j;
        int32_t c = 0;
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
                int32_t *dc = d + (size_t)c * cs;
                dc[0] = dw3_pkh_lo(a02, b02);
                dc[cs] = dw3_pkh_lo(a13, b13);
                dc[2 * cs] = dw3_pkh_hi(a02, b02);
                dc[3 * cs] = dw3_pkh_hi(a13, b13);
            }
        } else if (v0 || v1) {
            const int8_t *a = row + (size_t)(v0 ? ix : ix + 1) * ch;
            for (; c + 4 <= ch; c += 4) {
                const int32_t wa = tflm_load_s32(a + c);
                const uint32_t a02 = (uint32_t)__sxtab16(off2, wa);
                const uint32_t a13 = (uint32_t)tflm_sxtab16_ror8(off2, wa);
                int32_t *dc = d + (size_t)c * cs;
                if (v0) {       /* the right padding column: the high halves stay 0 */
                    dc[0] = (int32_t)(a02 & 0xFFFFu);
                    dc[cs] = (int32_t)(a13 & 0xFFFFu);
                    dc[2 * cs] = (int32_t)(a02 >> 16);
                    dc[3 * cs] = (int32_t)(a13 >> 16);
                } else {        /* the left padding column: the low halves stay 0 */
                    dc[0] = (int32_t)(a02 << 16);
                    dc[cs] = (int32_t)(a13 << 16);
                    dc[2 * cs] = (int32_t)(a02 & 0xFFFF0000u);
                    dc[3 * cs] = (int32_t)(a13 & 0xFFFF0000u);
                }
            }
        }
#endif
        for (; c < ch; ++c) {
            const int32_t lo = v0 ? row[(size_t)ix * ch + c] + off : 0;
            const int32_t hi = v1 ? row[(size_t)(ix + 1) * ch + c] + off : 0;
            d[(size_t)c * cs] = dw3_pack(lo, hi);
        }
    }
}

/* The accumulators of one channel along one output row: x at the channel's first column
 * pair, w the channel's 6 filter words, ka / kb / kc the offsets in w of the filter rows
 * that ring slots 0 / 1 / 2 hold; `full` iterations over stored pairs, then `tail` (0 or 1)
 * iterations that take zeros for the pairs not stored. */
static TFLM_PY_NOINLINE void dw3_row_s1(const int32_t *x, int32_t full, int32_t tail,
                                        const int32_t *wa, const int32_t *wb,
                                        const int32_t *wc, int32_t bias, int32_t *acc)
{
    const int32_t a0 = wa[0], b0 = wa[1], a1 = wb[0], b1 = wb[1], a2 = wc[0], b2 = wc[1];
    for (int32_t k = full; k > 0; --k) {
        int32_t pv = x[0], qv = x[3];
        int32_t s0 = DW3_SMLABT(qv, b0, DW3_SMLAD(pv, a0, bias));
        int32_t s1 = DW3_SMLATB(pv, a0, DW3_SMLAD(qv, b0, bias));
        pv = x[1];
        qv = x[4];
        s0 = DW3_SMLABT(qv, b1, DW3_SMLAD(pv, a1, s0));
        s1 = DW3_SMLATB(pv, a1, DW3_SMLAD(qv, b1, s1));
        pv = x[2];
        qv = x[5];
        s0 = DW3_SMLABT(qv, b2, DW3_SMLAD(pv, a2, s0));
        s1 = DW3_SMLATB(pv, a2, DW3_SMLAD(qv, b2, s1));
        acc[0] = s0;
        acc[1] = s1;
        acc += 2;
        x += 3;
    }
    if (tail) {     /* Q = 0 */
        acc[0] = DW3_SMLAD(x[2], a2, DW3_SMLAD(x[1], a1, DW3_SMLAD(x[0], a0, bias)));
        acc[1] = DW3_SMLATB(x[2], a2, DW3_SMLATB(x[1], a1, DW3_SMLATB(x[0], a0, bias)));
    }
}

static TFLM_PY_NOINLINE void dw3_row_s2(const int32_t *x, int32_t full, int32_t tail,
                                        const int32_t *wa, const int32_t *wb,
                                        const int32_t *wc, int32_t bias, int32_t *acc)
{
    const int32_t a0 = wa[0], b0 = wa[1], a1 = wb[0], b1 = wb[1], a2 = wc[0], b2 = wc[1];
    for (int32_t k = full; k > 0; --k) {
        int32_t qv = x[3];
        int32_t s0 = DW3_SMLABT(qv, b0, DW3_SMLAD(x[0], a0, bias));
        int32_t s1 = DW3_SMLABT(x[6], b0, DW3_SMLAD(qv, a0, bias));
        qv = x[4];
        s0 = DW3_SMLABT(qv, b1, DW3_SMLAD(x[1], a1, s0));
        s1 = DW3_SMLABT(x[7], b1, DW3_SMLAD(qv, a1, s1));
        qv = x[5];
        s0 = DW3_SMLABT(qv, b2, DW3_SMLAD(x[2], a2, s0));
        s1 = DW3_SMLABT(x[8], b2, DW3_SMLAD(qv, a2, s1));
        acc[0] = s0;
        acc[1] = s1;
        acc += 2;
        x += 6;
    }
    if (tail) {     /* R = 0; Q too when tail == 2 */
        int32_t s0 = DW3_SMLAD(x[2], a2, DW3_SMLAD(x[1], a1, DW3_SMLAD(x[0], a0, bias)));
        int32_t s1 = bias;
        if (tail == 1) {
            s0 = DW3_SMLABT(x[5], b2, DW3_SMLABT(x[4], b1, DW3_SMLABT(x[3], b0, s0)));
            s1 = DW3_SMLAD(x[5], a2, DW3_SMLAD(x[4], a1, DW3_SMLAD(x[3], a0, s1)));
        }
        acc[0] = s0;
        acc[1] = s1;
    }
}

/* the outputs of one channel c along an output row: out[i * stride] from acc[i] */
static TFLM_PY_NOINLINE void dw3_requant_row(const tflm_depthwise_conv_2d_params_t *p,
                                             int32_t c, const int32_t *acc, int32_t n,
                                             int8_t *out, int32_t stride)
{
    const int32_t q = p->per_channel ? c : 0;
    const int32_t m = p->multipliers[q], shift = p->shifts[q];
    const int32_t lo = p->act_min, hi = p->act_max;
#if TFLM_PY_USE_DSP
    if (p->small_acc) {
        /* tflm_requantize_run_dsp's small-accumulator form; acc is already 2x */
        const int32_t c1 = 1 + 2 * p->output_offset, k = -shift - 1;
        if (lo == -128 && hi == 127) {
            for (int32_t i = n; i > 0; --i) {
                const int32_t x2 = *acc++;
                *out = (int8_t)__ssat((c1 + (tflm_smmlar(x2, m, x2 >> 31) >> k)) >> 1, 8);
                out += stride;
            }
        } else {
            for (int32_t i = n; i > 0; --i) {
                const int32_t x2 = *acc++;
                int32_t v = (c1 + (tflm_smmlar(x2, m, x2 >> 31) >> k)) >> 1;
                v = v < lo ? lo : v;
                v = v > hi ? hi : v;
                *out = (int8_t)v;
                out += stride;
            }
        }
        return;
    }
    const int32_t half = tflm_requantize_half(shift);
#endif
    for (int32_t i = 0; i < n; ++i) {
#if TFLM_PY_USE_DSP
        int32_t v = tflm_requantize_dsp(acc[i], m, shift, half) + p->output_offset;
#else
        /* the portable build reads the same doubled accumulators */
        const int32_t x = p->small_acc ? acc[i] / 2 : acc[i];
        int32_t v = tflm_requantize_fast(x, m, shift) + p->output_offset;
#endif
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        out[(size_t)i * stride] = (int8_t)v;
    }
}

#if TFLM_PY_USE_DSP
/* The last outputs of a row (one or two) from the pairs P, Q (and R, stride 2) at pair
 * index j0; a pair right of the stored ones reads as 0. */
static const int32_t dw3_zero_pairs[6];

static TFLM_PY_INLINE void dw3_tail(const int32_t *x, int32_t j0, int32_t col_pairs,
                                    int32_t sw, const int32_t *w, const int32_t *rows,
                                    int32_t *s0, int32_t *s1)
{
    const int32_t a0 = w[rows[0]], b0 = w[rows[0] + 1], a1 = w[rows[1]], b1 = w[rows[1] + 1];
    const int32_t a2 = w[rows[2]], b2 = w[rows[2] + 1];
    const int32_t *xp = x + 3 * j0;
    const int32_t *xq = j0 + 1 < col_pairs ? xp + 3 : dw3_zero_pairs;
    int32_t t0 = *s0, t1 = *s1;
    t0 = DW3_SMLABT(xq[0], b0, DW3_SMLAD(xp[0], a0, t0));
    t0 = DW3_SMLABT(xq[1], b1, DW3_SMLAD(xp[1], a1, t0));
    t0 = DW3_SMLABT(xq[2], b2, DW3_SMLAD(xp[2], a2, t0));
    if (sw == 1) {
        t1 = DW3_SMLATB(xp[0], a0, DW3_SMLAD(xq[0], b0, t1));
        t1 = DW3_SMLATB(xp[1], a1, DW3_SMLAD(xq[1], b1, t1));
        t1 = DW3_SMLATB(xp[2], a2, DW3_SMLAD(xq[2], b2, t1));
    } else {
        const int32_t *xr = j0 + 2 < col_pairs ? xp + 6 : dw3_zero_pairs;
        t1 = DW3_SMLABT(xr[0], b0, DW3_SMLAD(xq[0], a0, t1));
        t1 = DW3_SMLABT(xr[1], b1, DW3_SMLAD(xq[1], a1, t1));
        t1 = DW3_SMLABT(xr[2], b2, DW3_SMLAD(xq[2], a2, t1));
    }
    *s0 = t0;
    *s1 = t1;
}

#if defined(__GNUC__) && defined(__OPTIMIZE__)
/* What the written-out loops below read per channel (one load each when needed: the loop
 * holds 14 values in registers). c1k = (1 + 2 * output_zp) << k rides in SMMLAR's
 * accumulator: (R + c1k) >> k = (R >> k) + c1 exactly, and c1k - [x < 0] is one SUB. */
typedef struct {
    int32_t bias, c1k, m, k, ch;
} dw3_ctx_t;

/* One filter row of a stride-1 iteration: pairs P (x0, x1) at OFF_P, Q (x2, x3) at OFF_Q */
#define DW3_S1_ROW(OFF_P, OFF_Q, A, B)                                                   \
    "ldr     %[pv], [%[x], #" OFF_P "]\n\t"                                              \
    "ldr     %[qv], [%[x], #" OFF_Q "]\n\t"                                              \
    "smlad   %[s0], %[pv], %[" A "], %[s0]\n\t"                                          \
    "smlabt  %[s0], %[qv], %[" B "], %[s0]\n\t"                                          \
    "smlad   %[s1], %[qv], %[" B "], %[s1]\n\t"                                          \
    "smlatb  %[s1], %[pv], %[" A "], %[s1]\n\t"

/* one filter row of a stride-2 iteration: pairs P, Q, R at OFF_P, OFF_P + 12, OFF_P + 24 */
#define DW3_S2_ROW(OFF_P, OFF_Q, OFF_R, A, B)                                            \
    "ldr     %[pv], [%[x], #" OFF_P "]\n\t"                                              \
    "ldr     %[qv], [%[x], #" OFF_Q "]\n\t"                                              \
    "smlad   %[s0], %[pv], %[" A "], %[s0]\n\t"                                          \
    "smlabt  %[s0], %[qv], %[" B "], %[s0]\n\t"                                          \
    "ldr     %[pv], [%[x], #" OFF_R "]\n\t"                                              \
    "smlad   %[s1], %[qv], %[" A "], %[s1]\n\t"                                          \
    "smlabt  %[s1], %[pv], %[" B "], %[s1]\n\t"

/* the two outputs: SMMLAR(2x, m, c1k - [x < 0]) >> k, SSAT of the half, stored at o and
 * o + ch; o advances by two pixels */
#define DW3_RQ2_ASM                                                                      \
    "ldr     %[pv], [%[ctx], #4]\n\t"                                                    \
    "ldr     %[qv], [%[ctx], #8]\n\t"                                                    \
    "sub     %[pv], %[pv], %[s0], lsr #31\n\t"                                           \
    "smmlar  %[s0], %[s0], %[qv], %[pv]\n\t"                                             \
    "ldr     %[pv], [%[ctx], #4]\n\t"                                                    \
    "sub     %[pv], %[pv], %[s1], lsr #31\n\t"                                           \
    "smmlar  %[s1], %[s1], %[qv], %[pv]\n\t"                                             \
    "ldr     %[pv], [%[ctx], #12]\n\t"                                                   \
    "asr     %[s0], %[s0], %[pv]\n\t"                                                    \
    "asr     %[s1], %[s1], %[pv]\n\t"                                                    \
    "ssat    %[s0], #8, %[s0], asr #1\n\t"                                               \
    "ssat    %[s1], #8, %[s1], asr #1\n\t"                                               \
    "ldr     %[pv], [%[ctx], #16]\n\t"                                                   \
    "strb    %[s0], [%[o]]\n\t"                                                          \
    "strb    %[s1], [%[o], %[pv]]\n\t"                                                   \
    "add     %[o], %[o], %[pv], lsl #1\n\t"

#define DW3_LOOP_OPERANDS                                                                \
    : [x] "+r"(x), [o] "+r"(o), [n] "+r"(n), [s0] "=&r"(s0), [s1] "=&r"(s1),             \
      [pv] "=&r"(pv), [qv] "=&r"(qv)                                                     \
    : [a0] "r"(a0), [b0] "r"(b0), [a1] "r"(a1), [b1] "r"(b1), [a2] "r"(a2), [b2] "r"(b2),\
      [ctx] "r"(ctx)                                                                     \
    : "cc", "memory"

/* n >= 1 iterations of two outputs of one channel, full output range */
static TFLM_PY_NOINLINE void dw3_loop_s1(const int32_t *x, int8_t *o, int32_t n,
                                         const int32_t *w, const int32_t *rows,
                                         const dw3_ctx_t *ctx)
{
    const int32_t a0 = w[rows[0]], b0 = w[rows[0] + 1], a1 = w[rows[1]], b1 = w[rows[1] + 1];
    const int32_t a2 = w[rows[2]], b2 = w[rows[2] + 1];
    int32_t s0, s1, pv, qv;
    __asm__ volatile(
        "1:\n\t"
        "ldr     %[s0], [%[ctx]]\n\t"
        "ldr     %[s1], [%[ctx]]\n\t"
        DW3_S1_ROW("0", "12", "a0", "b0")
        DW3_S1_ROW("4", "16", "a1", "b1")
        DW3_S1_ROW("8", "20", "a2", "b2")
        "adds    %[x], %[x], #12\n\t"
        DW3_RQ2_ASM
        "subs    %[n], %[n], #1\n\t"
        "bne     1b\n\t"
        DW3_LOOP_OPERANDS);
}

static TFLM_PY_NOINLINE void dw3_loop_s2(const int32_t *x, int8_t *o, int32_t n,
                                         const int32_t *w, const int32_t *rows,
                                         const dw3_ctx_t *ctx)
{
    const int32_t a0 = w[rows[0]], b0 = w[rows[0] + 1], a1 = w[rows[1]], b1 = w[rows[1] + 1];
    const int32_t a2 = w[rows[2]], b2 = w[rows[2] + 1];
    int32_t s0, s1, pv, qv;
    __asm__ volatile(
        "1:\n\t"
        "ldr     %[s0], [%[ctx]]\n\t"
        "ldr     %[s1], [%[ctx]]\n\t"
        DW3_S2_ROW("0", "12", "24", "a0", "b0")
        DW3_S2_ROW("4", "16", "28", "a1", "b1")
        DW3_S2_ROW("8", "20", "32", "a2", "b2")
        "adds    %[x], %[x], #24\n\t"
        DW3_RQ2_ASM
        "subs    %[n], %[n], #1\n\t"
        "bne     1b\n\t"
        DW3_LOOP_OPERANDS);
}

/* the last one or two outputs of one channel along a row (see dw3_tail) */
static TFLM_PY_NOINLINE void dw3_tail_out(const int32_t *x, int32_t j0, int32_t col_pairs,
                                          int32_t sw, const int32_t *w, const int32_t *rows,
                                          const dw3_ctx_t *ctx, int8_t *o, int32_t left)
{
    int32_t s0 = ctx->bias, s1 = ctx->bias;
    dw3_tail(x, j0, col_pairs, sw, w, rows, &s0, &s1);
    const int32_t m = ctx->m, k = ctx->k;
    s0 = tflm_smmlar(s0, m, ctx->c1k - (int32_t)((uint32_t)s0 >> 31)) >> k;
    o[0] = (int8_t)__ssat(s0 >> 1, 8);
    if (left > 1) {
        s1 = tflm_smmlar(s1, m, ctx->c1k - (int32_t)((uint32_t)s1 >> 31)) >> k;
        o[ctx->ch] = (int8_t)__ssat(s1 >> 1, 8);
    }
}

/* One output row, every channel (small_acc, the full output range, every k <= 21: see
 * dw3_fast_ok): the two outputs of each iteration are requantised as soon as they are
 * summed. `pairs` iterations of two outputs read stored column pairs only; the
 * out_w - 2 * pairs outputs left (at most two) go through dw3_tail_out. rows: the offsets in
 * a channel's 6 filter words of the filter rows that ring slots 0, 1, 2 hold. */
static TFLM_PY_NOINLINE void dw3_out_row_dsp(const tflm_depthwise_conv_2d_params_t *p,
                                             const int32_t *ring, const int32_t *filter3,
                                             const int32_t *bias3, const int32_t *rows,
                                             int32_t pairs, int32_t col_pairs, int8_t *out)
{
    const int32_t ch = p->input_c, sw = p->stride_w;
    const int32_t cs = 3 * col_pairs, left = p->output_w - 2 * pairs;
    const int32_t c1 = 1 + 2 * p->output_offset, pc_mask = p->per_channel ? -1 : 0;
    const int32_t j0 = sw == 1 ? pairs : 2 * pairs;
    dw3_ctx_t ctx;
    ctx.ch = ch;
    for (int32_t c = 0; c < ch; ++c) {
        const int32_t *w = filter3 + (size_t)c * 6;
        const int32_t *x = ring + (size_t)c * cs;
        ctx.bias = bias3[c];
        ctx.m = p->multipliers[c & pc_mask];
        ctx.k = -p->shifts[c & pc_mask] - 1;
        ctx.c1k = (int32_t)((uint32_t)c1 << ctx.k);
        if (pairs > 0) {
            if (sw == 1) {
                dw3_loop_s1(x, out + c, pairs, w, rows, &ctx);
            } else {
                dw3_loop_s2(x, out + c, pairs, w, rows, &ctx);
            }
        }
        if (left > 0) {
            dw3_tail_out(x, j0, col_pairs, sw, w, rows, &ctx, out + c + (size_t)2 * pairs * ch,
                         left);
        }
    }
}

/* the written-out path's conditions: small_acc, no clamp beyond int8, every k <= 21 */
static int dw3_fast_ok(const tflm_depthwise_conv_2d_params_t *p)
{
    if (!p->small_acc || p->act_min > -128 || p->act_max < 127) {
        return 0;
    }
    const int32_t n = p->per_channel ? p->output_c : 1;
    for (int32_t c = 0; c < n; ++c) {
        if (-p->shifts[c] - 1 > 21) {
            return 0;
        }
    }
    return 1;
}
#endif /* __GNUC__ && __OPTIMIZE__ */
#endif /* TFLM_PY_USE_DSP */

void tflm_depthwise_conv_2d_3x3_s8(const tflm_depthwise_conv_2d_params_t *p,
                                   const int8_t *input, const int32_t *filter3,
                                   const int32_t *bias3, int8_t *output, void *scratch)
{
    const int32_t ch = p->input_c, out_w = p->output_w, sh = p->stride_h, sw = p->stride_w;
    const int32_t col_pairs = TFLM_DW3X3_COL_PAIRS(p->input_w, p->pad_w);
    const int32_t cs = 3 * col_pairs;
    /* iterations of two outputs; those whose last pair read (k + 1, or 2k + 2 for stride
     * 2) is stored run in full, the rest (at most one) as a tail */
    const int32_t iters = TFLM_DW3X3_OUT_PAIRS(out_w);
    const int32_t full = TFLM_MIN(iters, sw == 1 ? col_pairs - 1 : (col_pairs - 1) / 2);
    const int32_t tail = sw == 1 ? iters - full
                                 : (iters > full ? (2 * full + 1 < col_pairs ? 1 : 2) : 0);
    int32_t *ring = (int32_t *)scratch;
    int32_t *acc = ring + (size_t)cs * ch;
    int8_t *out = output;
#if TFLM_PY_USE_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
    /* the written-out path's whole iterations: two real outputs reading stored pairs only */
    const int32_t out_pairs = TFLM_MIN(out_w / 2, sw == 1 ? col_pairs - 1 : (col_pairs - 1) / 2);
    const int fast = dw3_fast_ok(p);
#endif
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input_h * p->input_w * ch;
        int32_t filled = 0;     /* rows [0, filled) of the padded input were copied */
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            const int32_t py0 = oy * sh;
            for (int32_t py = TFLM_MAX(filled, py0); py < py0 + 3; ++py) {
                dw3_fill_row(p, in_b, py, ring);
            }
            filled = py0 + 3;
            /* ring slot s holds filter row (s - py0) mod 3 */
            const int32_t r = py0 % 3;
            const int32_t ka = 2 * ((3 - r) % 3), kb = 2 * ((4 - r) % 3), kc = 2 * ((5 - r) % 3);
#if TFLM_PY_USE_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
            if (fast) {
                const int32_t rows[3] = {ka, kb, kc};
                dw3_out_row_dsp(p, ring, filter3, bias3, rows, out_pairs, col_pairs, out);
                out += (size_t)out_w * ch;
                continue;
            }
#endif
            const int32_t *w = filter3;
            const int32_t *x = ring;
            for (int32_t c = 0; c < ch; ++c) {
                if (sw == 1) {
                    dw3_row_s1(x, full, tail, w + ka, w + kb, w + kc, bias3[c], acc);
                } else {
                    dw3_row_s2(x, full, tail, w + ka, w + kb, w + kc, bias3[c], acc);
                }
                dw3_requant_row(p, c, acc, out_w, out + c, ch);
                w += 6;
                x += cs;
            }
            out += (size_t)out_w * ch;
        }
    }
}
