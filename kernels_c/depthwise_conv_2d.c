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

static inline int8_t dw_out(const dw_rq_t *r, int32_t acc, int32_t oc)
{
    const int32_t q = r->per_channel ? oc : 0;
    acc = tflm_requantize_fast(acc, r->multipliers[q], r->shifts[q]) + r->output_offset;
    return (int8_t)TFLM_CLAMP(acc, r->act_min, r->act_max);
}

static inline int32_t dw_wrap_add(int32_t a, int32_t b)
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

#if TFLM_PY_USE_DSP
/* 4 output channels [oc, oc + 4), depth_multiplier 1; acc[k] holds channel oc + k */
static void dw_block4_m1_dsp(const dw_window_t *win, int32_t oc, int32_t off2, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t r = 0; r < win->rows; ++r) {
        const int8_t *x = win->in + (size_t)r * win->in_row_step + oc;
        const int8_t *w = win->w + (size_t)r * win->w_row_step + oc;
        for (int32_t c = win->cols; c > 0; --c) {
            const int32_t xv = tflm_load_s32(x);
            const int32_t wv = tflm_load_s32(w);
            const int32_t x02 = __sxtab16(off2, xv), x13 = tflm_sxtab16_ror8(off2, xv);
            const int32_t w02 = __sxtb16(wv), w13 = tflm_sxtb16_ror8(wv);
            a0 = __smlabb(x02, w02, a0);
            a2 = __smlatt(x02, w02, a2);
            a1 = __smlabb(x13, w13, a1);
            a3 = __smlatt(x13, w13, a3);
            x += win->in_col_step;
            w += win->w_col_step;
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* 4 output channels [oc, oc + 4) that all read input channel ic (depth_multiplier > 1) */
static void dw_block4_bcast_dsp(const dw_window_t *win, int32_t ic, int32_t oc,
                                int32_t in_offset, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t r = 0; r < win->rows; ++r) {
        const int8_t *x = win->in + (size_t)r * win->in_row_step + ic;
        const int8_t *w = win->w + (size_t)r * win->w_row_step + oc;
        for (int32_t c = win->cols; c > 0; --c) {
            const int32_t xv = *x + in_offset;
            const int32_t wv = tflm_load_s32(w);
            const int32_t w02 = __sxtb16(wv), w13 = tflm_sxtb16_ror8(wv);
            a0 = __smlabb(w02, xv, a0);
            a2 = __smlatb(w02, xv, a2);
            a1 = __smlabb(w13, xv, a1);
            a3 = __smlatb(w13, xv, a3);
            x += win->in_col_step;
            w += win->w_col_step;
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif /* TFLM_PY_USE_DSP */

void tflm_depthwise_conv_2d_s8(const tflm_depthwise_conv_2d_params_t *p, const int8_t *input,
                               const int8_t *filter, const int32_t *bias, int8_t *output)
{
    const int32_t in_c = p->input_c;
    const int32_t out_c = p->output_c;
    const int32_t mult = p->depth_multiplier;
    const int32_t in_offset = p->input_offset;
#if TFLM_PY_USE_DSP
    const int32_t off2 = (int32_t)(((uint32_t)in_offset & 0xFFFFu) | ((uint32_t)in_offset << 16));
#endif
    dw_rq_t r;
    r.multipliers = p->multipliers;
    r.shifts = p->shifts;
    r.per_channel = p->per_channel;
    r.output_offset = p->output_offset;
    r.act_min = p->act_min;
    r.act_max = p->act_max;
    int8_t *out = output;

    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input_h * p->input_w * in_c;
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            for (int32_t ox = 0; ox < p->output_w; ++ox) {
                dw_window_t win;
                dw_window(p, in_b, filter, oy, ox, &win);
                /* blocks of output channels that share a layout: with depth_multiplier 1
                 * the whole channel range, otherwise the M outputs of each input channel */
                const int32_t groups = mult == 1 ? 1 : in_c;
                const int32_t span = mult == 1 ? out_c : mult;
                for (int32_t g = 0; g < groups; ++g) {
                    const int32_t oc0 = g * span;
                    int32_t j = 0;
#if TFLM_PY_USE_DSP
                    for (; j + 4 <= span; j += 4) {
                        const int32_t oc = oc0 + j;
                        int32_t acc[4];
                        for (int32_t k = 0; k < 4; ++k) {
                            acc[k] = bias != NULL ? bias[oc + k] : 0;
                        }
                        if (mult == 1) {
                            dw_block4_m1_dsp(&win, oc, off2, acc);
                        } else {
                            dw_block4_bcast_dsp(&win, g, oc, in_offset, acc);
                        }
                        for (int32_t k = 0; k < 4; ++k) {
                            const int32_t q = r.per_channel ? oc + k : 0;
                            const int32_t shift = r.shifts[q];
                            int32_t v = tflm_requantize_dsp(acc[k], r.multipliers[q], shift,
                                                            tflm_requantize_half(shift));
                            v += r.output_offset;
                            out[oc + k] = (int8_t)TFLM_CLAMP(v, r.act_min, r.act_max);
                        }
                    }
#else
                    while (span - j >= 16) {
                        const int32_t oc = oc0 + j;
                        const int32_t n16 = TFLM_MIN(DW_CHUNK, span - j) & ~15;
                        int32_t acc[DW_CHUNK];
                        for (int32_t k = 0; k < n16; ++k) {
                            acc[k] = 0;
                        }
                        if (mult == 1) {
                            dw_accumulate_m1(&win, oc, n16, in_offset, acc);
                        } else {
                            dw_accumulate_bcast(&win, g, oc, n16, in_offset, acc);
                        }
                        for (int32_t k = 0; k < n16; ++k) {
                            const int32_t a = bias != NULL ? dw_wrap_add(acc[k], bias[oc + k])
                                                           : acc[k];
                            out[oc + k] = dw_out(&r, a, oc + k);
                        }
                        j += n16;
                    }
#endif
                    for (; j < span; ++j) {
                        const int32_t oc = oc0 + j;
                        const int32_t ic = mult == 1 ? oc : g;
                        int32_t acc = dw_single(&win, ic, oc, in_offset);
                        if (bias != NULL) {
                            acc = dw_wrap_add(acc, bias[oc]);
                        }
                        out[oc] = dw_out(&r, acc, oc);
                    }
                }
                out += out_c;
            }
        }
    }
}
