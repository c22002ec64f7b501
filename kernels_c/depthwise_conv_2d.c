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
 * Paths (all of them loop over the valid taps of each output pixel, any filter size,
 * stride, dilation and padding; 3x3 is the common case):
 * - portable (the spec, and the x86 fast path): up to 64 output channels at a time (a
 *   multiple of 16) accumulate (int16)(x + input_offset) * w into int32 lanes, tap after tap,
 *   channels innermost: a loop gcc -O2 vectorises on x86. depth_multiplier 1 reads the
 *   same channels of the input, depth_multiplier > 1 broadcasts one input value over the
 *   outputs of its channel. Fewer than 16 channels left: one channel at a time.
 * - DSP (Cortex-M4/M7/M33, TFLM_PY_USE_DSP): 4 channels per step; one word of inputs and one
 *   of weights are widened with SXTAB16 / SXTB16 (the input offset added on the way) and
 *   multiplied per channel with SMLABB / SMLATT into 4 accumulators. */
#include "depthwise_conv_2d.h"

typedef struct {
    const int32_t *multipliers;
    const int32_t *shifts;
    int32_t per_channel;
    int32_t output_offset;
    int32_t act_min, act_max;
} dw_rq_t;

static TFLM_PY_INLINE int8_t dw_out(const dw_rq_t *r, int32_t acc, int32_t oc)
{
    const int32_t q = r->per_channel ? oc : 0;
    acc = tflm_requantize_fast(acc, r->multipliers[q], r->shifts[q]) + r->output_offset;
    return (int8_t)TFLM_CLAMP(acc, r->act_min, r->act_max);
}

static TFLM_PY_INLINE int32_t dw_wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

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
    dw_tap_range(iy0, p->dilation_h, p->input_h, p->filter_h, &ky0, &ky1);
    dw_tap_range(ix0, p->dilation_w, p->input_w, p->filter_w, &kx0, &kx1);
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
static void dw_portable_pixel(const tflm_depthwise_conv_2d_params_t *p, const dw_rq_t *r,
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
                const int32_t a = bias != NULL ? dw_wrap_add(acc[k], bias[oc + k]) : acc[k];
                out[oc + k] = dw_out(r, a, oc + k);
            }
            j += n16;
        }
        for (; j < span; ++j) {
            const int32_t oc = oc0 + j;
            int32_t acc = dw_single(win, mult == 1 ? oc : g, oc, in_offset);
            if (bias != NULL) {
                acc = dw_wrap_add(acc, bias[oc]);
            }
            out[oc] = dw_out(r, acc, oc);
        }
    }
}
#endif /* !TFLM_PY_USE_DSP */

#if TFLM_PY_USE_DSP
typedef struct {
    dw_rq_t rq;
    int32_t narrow;            /* act_min > -128 or act_max < 127 */
    int32_t in_offset;
    int32_t off2;              /* input_offset in both halfwords */
    const int32_t *bias;       /* may be NULL */
    int32_t in_c, out_c, mult;
} dw_dsp_t;

static TFLM_PY_INLINE int8_t dw_out_dsp(const dw_dsp_t *d, int32_t acc, int32_t oc)
{
    const int32_t q = d->rq.per_channel ? oc : 0;
    const int32_t shift = d->rq.shifts[q];
    int32_t v = tflm_requantize_dsp(acc, d->rq.multipliers[q], shift,
                                    tflm_requantize_half(shift));
    v = __ssat(v + d->rq.output_offset, 8);
    if (d->narrow) {
        v = v < d->rq.act_min ? d->rq.act_min : v;
        v = v > d->rq.act_max ? d->rq.act_max : v;
    }
    return (int8_t)v;
}

/* One tap of a 4-channel block: the weight word wv and input word xv widened into
 * (w0, w2) (w1, w3) and (x0 + off, x2 + off) (x1 + off, x3 + off), one SMLABB / SMLATT per
 * channel. Written out for gcc: -Os spills the 13 live values of these loops otherwise. */
#define DW_TAP_ASM                                                                       \
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

/* requantise and store output channels oc .. oc + 3 (its own function: the callers' loops
 * keep many values live, this keeps the per-output work at about 15 instructions) */
static TFLM_PY_NOINLINE void dw_store4_dsp(const dw_dsp_t *d, int32_t oc, int32_t a0,
                                           int32_t a1, int32_t a2, int32_t a3, int8_t *out)
{
    const int32_t *mults = d->rq.multipliers, *shifts = d->rq.shifts;
    const int32_t zp = d->rq.output_offset;
    const int32_t lo = d->rq.act_min, hi = d->rq.act_max;
    const int narrow = d->narrow;
    const int32_t pc_mask = d->rq.per_channel ? -1 : 0;
    int32_t v[4];
    v[0] = a0;
    v[1] = a1;
    v[2] = a2;
    v[3] = a3;
    for (int32_t k = 0; k < 4; ++k) {
        const int32_t q = (oc + k) & pc_mask;
        const int32_t shift = shifts[q];
        int32_t y = tflm_requantize_dsp(v[k], mults[q], shift, tflm_requantize_half(shift));
        y = __ssat(y + zp, 8);
        if (narrow) {
            y = y < lo ? lo : y;
            y = y > hi ? hi : y;
        }
        out[oc + k] = (int8_t)y;
    }
}

#if defined(__GNUC__) && defined(__OPTIMIZE__)
/* depthwise multiplier 1, no dilation, a pixel whose window holds rows x cols valid taps:
 * every output channel, 4 at a time with the written-out tap loops */
static TFLM_PY_NOINLINE void dw_dsp_pixel_m1(const dw_dsp_t *d, const dw_window_t *win,
                                             int8_t *out)
{
    const int32_t rows = win->rows, cols = win->cols;
    const int32_t step = win->in_col_step;      /* = the weights' column step */
    const int32_t in_rs = win->in_row_step, w_rs = win->w_row_step;
    const int32_t off2 = d->off2;
    const int32_t *bias = d->bias;
    const int full3x3 = rows == 3 && cols == 3 && w_rs == 3 * step;
    const int32_t out_c = d->out_c;
    const int8_t *xbase = win->in, *wbase = win->w;
    int32_t oc = 0;
    for (; oc + 4 <= out_c; oc += 4) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        if (bias != NULL) {
            a0 = bias[oc];
            a1 = bias[oc + 1];
            a2 = bias[oc + 2];
            a3 = bias[oc + 3];
        }
        int32_t xv, wv, t0, t1;
        if (full3x3) {
            const int8_t *x = xbase + oc, *w = wbase + oc;
            __asm__ volatile(
                "ldr     %[wv], [%[pw]]\n\t"
                "ldr     %[xv], [%[px]]\n\t" DW_TAP_ASM
                "ldr     %[wv], [%[pw], %[st]]\n\t"
                "ldr     %[xv], [%[px], %[st]]\n\t" DW_TAP_ASM
                "ldr     %[wv], [%[pw], %[st], lsl #1]\n\t"
                "ldr     %[xv], [%[px], %[st], lsl #1]\n\t" DW_TAP_ASM
                "add     %[px], %[px], %[rs]\n\t"
                "add     %[pw], %[pw], %[st], lsl #1\n\t"
                "add     %[pw], %[pw], %[st]\n\t"
                "ldr     %[wv], [%[pw]]\n\t"
                "ldr     %[xv], [%[px]]\n\t" DW_TAP_ASM
                "ldr     %[wv], [%[pw], %[st]]\n\t"
                "ldr     %[xv], [%[px], %[st]]\n\t" DW_TAP_ASM
                "ldr     %[wv], [%[pw], %[st], lsl #1]\n\t"
                "ldr     %[xv], [%[px], %[st], lsl #1]\n\t" DW_TAP_ASM
                "add     %[px], %[px], %[rs]\n\t"
                "add     %[pw], %[pw], %[st], lsl #1\n\t"
                "add     %[pw], %[pw], %[st]\n\t"
                "ldr     %[wv], [%[pw]]\n\t"
                "ldr     %[xv], [%[px]]\n\t" DW_TAP_ASM
                "ldr     %[wv], [%[pw], %[st]]\n\t"
                "ldr     %[xv], [%[px], %[st]]\n\t" DW_TAP_ASM
                "ldr     %[wv], [%[pw], %[st], lsl #1]\n\t"
                "ldr     %[xv], [%[px], %[st], lsl #1]\n\t" DW_TAP_ASM
                : DW_ASM_OPERANDS
                : [st] "r"(step), [rs] "r"(in_rs), [o2] "r"(off2)
                : "memory");
        } else {
            const int8_t *xr = xbase + oc, *wr = wbase + oc;
            for (int32_t r = rows; r > 0; --r) {
                const int8_t *x = xr, *w = wr;
                int32_t n = cols;
                if (n > 0) {
                    __asm__ volatile(
                        "1:\n\t"
                        "ldr     %[wv], [%[pw]]\n\t"
                        "ldr     %[xv], [%[px]]\n\t"
                        "add     %[pw], %[pw], %[st]\n\t"
                        "add     %[px], %[px], %[st]\n\t" DW_TAP_ASM
                        "subs    %[n], %[n], #1\n\t"
                        "bne     1b\n\t"
                        : DW_ASM_OPERANDS, [n] "+r"(n)
                        : [st] "r"(step), [o2] "r"(off2)
                        : "cc", "memory");
                }
                xr += in_rs;
                wr += w_rs;
            }
        }
        dw_store4_dsp(d, oc, a0, a1, a2, a3, out);
    }
    for (; oc < out_c; ++oc) {
        int32_t acc = dw_single(win, oc, oc, d->in_offset);
        if (bias != NULL) {
            acc = dw_wrap_add(acc, bias[oc]);
        }
        out[oc] = dw_out_dsp(d, acc, oc);
    }
}
#endif

/* All output channels of one pixel. Blocks of 4 channels: per tap one input word and one
 * weight word, widened with SXTAB16 / SXTB16 (bytes 0, 2 and 1, 3), 4 SMLABB / SMLATT. */
static TFLM_PY_NOINLINE void dw_dsp_pixel(const dw_dsp_t *d, const dw_window_t *win,
                                          int8_t *out)
{
    const int32_t rows = win->rows, cols = win->cols;
    const int32_t in_cs = win->in_col_step, w_cs = win->w_col_step;
    const int32_t in_rs = win->in_row_step, w_rs = win->w_row_step;
    const int32_t off2 = d->off2;
    const int32_t *bias = d->bias;
    const int32_t groups = d->mult == 1 ? 1 : d->in_c;
    const int32_t span = d->mult == 1 ? d->out_c : d->mult;
    for (int32_t g = 0; g < groups; ++g) {
        const int32_t oc0 = g * span;
        int32_t j = 0;
        for (; j + 4 <= span; j += 4) {
            const int32_t oc = oc0 + j;
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            if (bias != NULL) {
                a0 = bias[oc];
                a1 = bias[oc + 1];
                a2 = bias[oc + 2];
                a3 = bias[oc + 3];
            }
            const int8_t *xr = win->in + (d->mult == 1 ? oc : g);
            const int8_t *wr = win->w + oc;
            if (d->mult == 1) {
                for (int32_t r = rows; r > 0; --r) {
                    const int8_t *x = xr, *w = wr;
                    for (int32_t c = cols; c > 0; --c) {
                        const int32_t xv = tflm_load_s32(x);
                        const int32_t wv = tflm_load_s32(w);
                        const int32_t x02 = __sxtab16(off2, xv);
                        const int32_t w02 = __sxtb16(wv);
                        a0 = __smlabb(x02, w02, a0);
                        a2 = __smlatt(x02, w02, a2);
                        const int32_t x13 = tflm_sxtab16_ror8(off2, xv);
                        const int32_t w13 = tflm_sxtb16_ror8(wv);
                        a1 = __smlabb(x13, w13, a1);
                        a3 = __smlatt(x13, w13, a3);
                        x += in_cs;
                        w += w_cs;
                    }
                    xr += in_rs;
                    wr += w_rs;
                }
            } else {
                const int32_t in_offset = d->in_offset;
                for (int32_t r = rows; r > 0; --r) {
                    const int8_t *x = xr, *w = wr;
                    for (int32_t c = cols; c > 0; --c) {
                        const int32_t xv = *x + in_offset;
                        const int32_t wv = tflm_load_s32(w);
                        const int32_t w02 = __sxtb16(wv), w13 = tflm_sxtb16_ror8(wv);
                        a0 = __smlabb(w02, xv, a0);
                        a2 = __smlatb(w02, xv, a2);
                        a1 = __smlabb(w13, xv, a1);
                        a3 = __smlatb(w13, xv, a3);
                        x += in_cs;
                        w += w_cs;
                    }
                    xr += in_rs;
                    wr += w_rs;
                }
            }
            out[oc] = dw_out_dsp(d, a0, oc);
            out[oc + 1] = dw_out_dsp(d, a1, oc + 1);
            out[oc + 2] = dw_out_dsp(d, a2, oc + 2);
            out[oc + 3] = dw_out_dsp(d, a3, oc + 3);
        }
        for (; j < span; ++j) {
            const int32_t oc = oc0 + j;
            int32_t acc = dw_single(win, d->mult == 1 ? oc : g, oc, d->in_offset);
            if (bias != NULL) {
                acc = dw_wrap_add(acc, bias[oc]);
            }
            out[oc] = dw_out_dsp(d, acc, oc);
        }
    }
}
#endif /* TFLM_PY_USE_DSP */

void tflm_depthwise_conv_2d_s8(const tflm_depthwise_conv_2d_params_t *p, const int8_t *input,
                               const int8_t *filter, const int32_t *bias, int8_t *output)
{
    const int32_t in_c = p->input_c;
    const int32_t out_c = p->output_c;
    dw_rq_t r;
    r.multipliers = p->multipliers;
    r.shifts = p->shifts;
    r.per_channel = p->per_channel;
    r.output_offset = p->output_offset;
    r.act_min = p->act_min;
    r.act_max = p->act_max;
#if TFLM_PY_USE_DSP
    dw_dsp_t d;
    d.rq = r;
    d.narrow = p->act_min > -128 || p->act_max < 127;
    d.in_offset = p->input_offset;
    d.off2 = (int32_t)(((uint32_t)p->input_offset & 0xFFFFu) | ((uint32_t)p->input_offset << 16));
    d.bias = bias;
    d.in_c = in_c;
    d.out_c = out_c;
    d.mult = p->depth_multiplier;
#endif
    int8_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input_h * p->input_w * in_c;
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            for (int32_t ox = 0; ox < p->output_w; ++ox) {
                dw_window_t win;
                dw_window(p, in_b, filter, oy, ox, &win);
#if TFLM_PY_USE_DSP
#if defined(__GNUC__) && defined(__OPTIMIZE__)
                if (d.mult == 1 && win.in_col_step == win.w_col_step) {
                    dw_dsp_pixel_m1(&d, &win, out);
                } else
#endif
                {
                    dw_dsp_pixel(&d, &win, out);
                }
#else
                dw_portable_pixel(p, &r, &win, bias, out);
#endif
                out += out_c;
            }
        }
    }
}
