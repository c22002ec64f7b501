/* AVERAGE_POOL_2D int8 and int16 kernels (TFLM reference arithmetic). */
#include "avg_pool.h"

/* TFLM's rounding division: (sum + count/2) / count for sum > 0, else (sum - count/2) / count,
 * truncating; at sum = 0 both give 0, so the sign bit alone picks the half's sign */
static TFLM_PY_INLINE int32_t avg_div(int32_t sum, int32_t count)
{
    const int32_t neg = sum >> 31;
    return (sum + (((count >> 1) ^ neg) - neg)) / count;
}

#if TFLM_PY_USE_DSP
/* int8 sums of 8 (or 4) channels at once: SXTAB16 adds bytes 0 and 2 (and, rotated, 1 and 3)
 * of a word to two int16 lanes. A lane holds at most 256 taps (|sum| <= 128 * 256); larger
 * windows are summed in chunks of whole rows (or of one long row) into int32. */
#define AVG_MAX_TAPS 256

/* lanes[0..3] += the (0, 2), (1, 3), (4, 6), (5, 7) channel sums of `rows` x `cols` pixels
 * from p (row to row: + row_skip after the row's last pixel) */
static TFLM_PY_NOINLINE void avg_lanes8(const int8_t *p, int32_t rows, int32_t cols,
                                        int32_t row_skip, int32_t depth, int32_t lanes[4])
{
    int32_t a02 = 0, a13 = 0, b02 = 0, b13 = 0;
    do {
        int32_t n = cols;
        do {
            const int32_t w0 = tflm_load_s32(p);
            const int32_t w1 = tflm_load_s32(p + 4);
            p += depth;
            a02 = __sxtab16(a02, w0);
            a13 = tflm_sxtab16_ror8(a13, w0);
            b02 = __sxtab16(b02, w1);
            b13 = tflm_sxtab16_ror8(b13, w1);
        } while (--n != 0);
        p += row_skip;
    } while (--rows != 0);
    lanes[0] = a02;
    lanes[1] = a13;
    lanes[2] = b02;
    lanes[3] = b13;
}

static TFLM_PY_NOINLINE void avg_lanes4(const int8_t *p, int32_t rows, int32_t cols,
                                        int32_t row_skip, int32_t depth, int32_t lanes[4])
{
    int32_t a02 = 0, a13 = 0;
    do {
        int32_t n = cols;
        do {
            const int32_t w0 = tflm_load_s32(p);
            p += depth;
            a02 = __sxtab16(a02, w0);
            a13 = tflm_sxtab16_ror8(a13, w0);
        } while (--n != 0);
        p += row_skip;
    } while (--rows != 0);
    lanes[0] = a02;
    lanes[1] = a13;
    lanes[2] = 0;
    lanes[3] = 0;
}

/* sums[0..n) of channels c..c+n (n = 8 or 4) over the window [ys, ye) x [xs, xe) */
static void avg_sums(const int8_t *in_b, int32_t row_step, int32_t depth, int32_t c, int n,
                     int32_t ys, int32_t ye, int32_t xs, int32_t xe, int32_t sums[8])
{
    const int32_t cols = xe - xs;
    int32_t lanes[4];
    for (int k = 0; k < 8; ++k) {
        sums[k] = 0;
    }
    int32_t y = ys, x = xs;
    while (y < ye) {
        int32_t rows, ncols;
        if (cols <= AVG_MAX_TAPS) {
            rows = AVG_MAX_TAPS / cols;
            rows = rows < ye - y ? rows : ye - y;
            ncols = cols;
        } else {
            rows = 1;
            ncols = xe - x < AVG_MAX_TAPS ? xe - x : AVG_MAX_TAPS;
        }
        const int8_t *p = in_b + (size_t)y * row_step + (size_t)x * depth + c;
        const int32_t skip = row_step - ncols * depth;
        if (n == 8) {
            avg_lanes8(p, rows, ncols, skip, depth, lanes);
        } else {
            avg_lanes4(p, rows, ncols, skip, depth, lanes);
        }
        for (int k = 0; k < 4; ++k) {
            sums[2 * k - (k & 1)] += (int16_t)lanes[k];          /* 0, 1, 4, 5 */
            sums[2 * k - (k & 1) + 2] += lanes[k] >> 16;         /* 2, 3, 6, 7 */
        }
        if (cols <= AVG_MAX_TAPS) {
            y += rows;
        } else if ((x += ncols) >= xe) {
            x = xs;
            ++y;
        }
    }
}

static TFLM_PY_NOINLINE void avg_pool_s8_dsp(const tflm_avg_pool_params_t *p,
                                             const int8_t *input, int8_t *output)
{
    const int32_t depth = p->depth;
    const int32_t row_step = p->input_w * depth;
    const int32_t lo = p->act_min, hi = p->act_max;
    /* the mean of int8 values is an int8 value: only a narrower range needs clamping */
    const int narrow = lo > -128 || hi < 127;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input_h * row_step;
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t ys = TFLM_MAX(y0, 0);
            const int32_t ye = TFLM_MIN(y0 + p->filter_h, p->input_h);
            for (int32_t ox = 0; ox < p->output_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t xs = TFLM_MAX(x0, 0);
                const int32_t xe = TFLM_MIN(x0 + p->filter_w, p->input_w);
                const int32_t count = (ye - ys) * (xe - xs);
                int32_t c = 0;
                if (count > 0 && count <= AVG_MAX_TAPS) {
                    /* one chunk: the lanes are the sums */
                    const int8_t *px = in_b + (size_t)ys * row_step + (size_t)xs * depth;
                    const int32_t rows = ye - ys, cols = xe - xs;
                    const int32_t skip = row_step - cols * depth;
                    const int32_t half = count >> 1;
                    int32_t lanes[4];
                    for (; c + 8 <= depth; c += 8) {
                        avg_lanes8(px + c, rows, cols, skip, depth, lanes);
                        for (int k = 0; k < 4; ++k) {
                            const int32_t lo16 = (int16_t)lanes[k], hi16 = lanes[k] >> 16;
                            const int32_t ln = lo16 >> 31, hn = hi16 >> 31;
                            int32_t v0 = (lo16 + ((half ^ ln) - ln)) / count;
                            int32_t v2 = (hi16 + ((half ^ hn) - hn)) / count;
                            if (narrow) {
                                v0 = TFLM_CLAMP(v0, lo, hi);
                                v2 = TFLM_CLAMP(v2, lo, hi);
                            }
                            output[2 * k - (k & 1)] = (int8_t)v0;
                            output[2 * k - (k & 1) + 2] = (int8_t)v2;
                        }
                        output += 8;
                    }
                }
                if (count > 0) {
                    while (c + 4 <= depth) {
                        const int n = c + 8 <= depth ? 8 : 4;
                        int32_t sums[8];
                        avg_sums(in_b, row_step, depth, c, n, ys, ye, xs, xe, sums);
                        for (int k = 0; k < n; ++k) {
                            int32_t v = avg_div(sums[k], count);
                            if (narrow) {
                                v = TFLM_CLAMP(v, lo, hi);
                            }
                            *output++ = (int8_t)v;
                        }
                        c += n;
                    }
                }
                for (; c < depth; ++c) {
                    int32_t sum = 0;
                    for (int32_t iy = ys; iy < ye; ++iy) {
                        const int8_t *row = in_b + (size_t)iy * row_step + c;
                        for (int32_t ix = xs; ix < xe; ++ix) {
                            sum += row[(size_t)ix * depth];
                        }
                    }
                    const int32_t v = count > 0 ? avg_div(sum, count) : 0;
                    *output++ = (int8_t)TFLM_CLAMP(v, lo, hi);
                }
            }
        }
    }
}
/* int16: 4 channels a tap into int32 sums, SXTAH (low halfword) and an ASR #16 add (high) */
static TFLM_PY_NOINLINE void avg_sums_s16(const int16_t *p, int32_t rows, int32_t cols,
                                          int32_t row_skip, int32_t depth, int32_t sums[4])
{
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    do {
        int32_t n = cols;
        do {
            const int32_t w0 = tflm_load_s32(p);
            const int32_t w1 = tflm_load_s32(p + 2);
            p += depth;
            s0 += (int16_t)w0;
            s1 += w0 >> 16;
            s2 += (int16_t)w1;
            s3 += w1 >> 16;
        } while (--n != 0);
        p += row_skip;
    } while (--rows != 0);
    sums[0] = s0;
    sums[1] = s1;
    sums[2] = s2;
    sums[3] = s3;
}

static TFLM_PY_NOINLINE void avg_pool_s16_dsp(const tflm_avg_pool_params_t *p,
                                              const int16_t *input, int16_t *output)
{
    const int32_t depth = p->depth;
    const int32_t row_step = p->input_w * depth;
    const int32_t lo = p->act_min, hi = p->act_max;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int16_t *in_b = input + (size_t)b * p->input_h * row_step;
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t ys = TFLM_MAX(y0, 0);
            const int32_t ye = TFLM_MIN(y0 + p->filter_h, p->input_h);
            for (int32_t ox = 0; ox < p->output_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t xs = TFLM_MAX(x0, 0);
                const int32_t xe = TFLM_MIN(x0 + p->filter_w, p->input_w);
                const int32_t count = (ye - ys) * (xe - xs);
                int32_t c = 0;
                if (count > 0) {
                    const int16_t *px = in_b + (size_t)ys * row_step + (size_t)xs * depth;
                    const int32_t skip = row_step - (xe - xs) * depth;
                    for (; c + 4 <= depth; c += 4) {
                        int32_t sums[4];
                        avg_sums_s16(px + c, ye - ys, xe - xs, skip, depth, sums);
                        for (int k = 0; k < 4; ++k) {
                            const int32_t v = avg_div(sums[k], count);
                            *output++ = (int16_t)TFLM_CLAMP(v, lo, hi);
                        }
                    }
                }
                for (; c < depth; ++c) {
                    int32_t sum = 0;
                    for (int32_t iy = ys; iy < ye; ++iy) {
                        const int16_t *row = in_b + (size_t)iy * row_step + c;
                        for (int32_t ix = xs; ix < xe; ++ix) {
                            sum += row[(size_t)ix * depth];
                        }
                    }
                    const int32_t v = count > 0 ? avg_div(sum, count) : 0;
                    *output++ = (int16_t)TFLM_CLAMP(v, lo, hi);
                }
            }
        }
    }
}
#endif /* TFLM_PY_USE_DSP */

/* The portable kernels: per output pixel, channels in blocks of AVG_BLOCK summed tap by tap
 * into an int32 array (a loop over contiguous channels that compilers vectorise). */
#define AVG_BLOCK 16

#define AVG_POOL_REF(NAME, T)                                                              \
static void NAME(const tflm_avg_pool_params_t *p, const T *input, T *output)              \
{                                                                                          \
    const int32_t depth = p->depth;                                                        \
    const int32_t row_step = p->input_w * depth;                                           \
    const int32_t lo = p->act_min, hi = p->act_max;                                        \
    int32_t acc[AVG_BLOCK];                                                                \
    for (int32_t b = 0; b < p->batches; ++b) {                                             \
        const T *in_b = input + (size_t)b * p->input_h * row_step;                         \
        for (int32_t oy = 0; oy < p->output_h; ++oy) {                                     \
            const int32_t y0 = oy * p->stride_h - p->pad_h;                                \
            const int32_t ys = TFLM_MAX(y0, 0);                                            \
            const int32_t ye = TFLM_MIN(y0 + p->filter_h, p->input_h);                     \
            for (int32_t ox = 0; ox < p->output_w; ++ox) {                                 \
                const int32_t x0 = ox * p->stride_w - p->pad_w;                            \
                const int32_t xs = TFLM_MAX(x0, 0);                                        \
                const int32_t xe = TFLM_MIN(x0 + p->filter_w, p->input_w);                 \
                const int32_t count = (ye - ys) * (xe - xs);                               \
                for (int32_t c0 = 0; c0 < depth; c0 += AVG_BLOCK) {                        \
                    const int32_t n = TFLM_MIN(AVG_BLOCK, depth - c0);                     \
                    for (int32_t c = 0; c < n; ++c) {                                      \
                        acc[c] = 0;                                                        \
                    }                                                                      \
                    for (int32_t iy = ys; iy < ye; ++iy) {                                 \
                        const T *px = in_b + (size_t)iy * row_step + (size_t)xs * depth + c0; \
                        for (int32_t ix = xs; ix < xe; ++ix, px += depth) {                \
                            if (n == AVG_BLOCK) { /* a constant trip count: vectorised */  \
                                for (int32_t c = 0; c < AVG_BLOCK; ++c) {                  \
                                    acc[c] += px[c];                                       \
                                }                                                          \
                            } else {                                                       \
                                for (int32_t c = 0; c < n; ++c) {                          \
                                    acc[c] += px[c];                                       \
                                }                                                          \
                            }                                                              \
                        }                                                                  \
                    }                                                                      \
                    for (int32_t c = 0; c < n; ++c) {                                      \
                        const int32_t v = count > 0 ? avg_div(acc[c], count) : 0;          \
                        *output++ = (T)TFLM_CLAMP(v, lo, hi);                              \
                    }                                                                      \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
    }                                                                                      \
}

#if !TFLM_PY_USE_DSP
AVG_POOL_REF(avg_pool_s8_ref, int8_t)
AVG_POOL_REF(avg_pool_s16_ref, int16_t)
#endif

void tflm_avg_pool_s8(const tflm_avg_pool_params_t *p, const int8_t *input, int8_t *output)
{
#if TFLM_PY_USE_DSP
    avg_pool_s8_dsp(p, input, output);
#else
    avg_pool_s8_ref(p, input, output);
#endif
}

void tflm_avg_pool_s16(const tflm_avg_pool_params_t *p, const int16_t *input,
                       int16_t *output)
{
#if TFLM_PY_USE_DSP
    avg_pool_s16_dsp(p, input, output);
#else
    avg_pool_s16_ref(p, input, output);
#endif
}
