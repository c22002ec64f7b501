/* MAX_POOL_2D int8 and int16 kernels (TFLM reference arithmetic). */
#include "max_pool.h"

#if TFLM_PY_USE_DSP
/* per byte: a where a >= b, else b (SSUB8 sets the GE flags that SEL reads; kept in one asm
 * so that nothing can come between them) */
static TFLM_PY_INLINE uint32_t max_pool_max4(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("ssub8 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b) : "cc");
    return r;
}

/* m = max4(w, m) in place (no register copy in the tap loops) */
static TFLM_PY_INLINE uint32_t max_pool_acc4(uint32_t m, uint32_t w)
{
    uint32_t scratch;
    __asm__("ssub8 %1, %2, %0\n\tsel %0, %2, %0" : "+r"(m), "=&r"(scratch) : "r"(w) : "cc");
    return m;
}

/* the byte-wise maxima of 8 channels (two words) over rows x cols pixels from p */
static TFLM_PY_NOINLINE void max_pool_lanes8(const int8_t *p, int32_t rows, int32_t cols,
                                             int32_t row_skip, int32_t depth, uint32_t m[2])
{
    uint32_t m0 = 0x80808080u, m1 = 0x80808080u;
    do {
        int32_t n = cols;
        do {
            m0 = max_pool_acc4(m0, (uint32_t)tflm_load_s32(p));
            m1 = max_pool_acc4(m1, (uint32_t)tflm_load_s32(p + 4));
            p += depth;
        } while (--n != 0);
        p += row_skip;
    } while (--rows != 0);
    m[0] = m0;
    m[1] = m1;
}

static TFLM_PY_NOINLINE void max_pool_lanes4(const int8_t *p, int32_t rows, int32_t cols,
                                             int32_t row_skip, int32_t depth, uint32_t m[2])
{
    uint32_t m0 = 0x80808080u;
    do {
        int32_t n = cols;
        do {
            m0 = max_pool_acc4(m0, (uint32_t)tflm_load_s32(p));
            p += depth;
        } while (--n != 0);
        p += row_skip;
    } while (--rows != 0);
    m[0] = m0;
    m[1] = 0;
}

static TFLM_PY_NOINLINE void max_pool_s8_dsp(const tflm_max_pool_params_t *p,
                                             const int8_t *input, int8_t *output)
{
    const int32_t depth = p->depth;
    const int32_t row_step = p->input_w * depth;
    /* the activation range as 4 bytes: max with lo4, then min with hi4 (max of hi4 and m,
     * SEL'd the other way round) */
    const uint32_t lo4 = (uint32_t)(uint8_t)p->act_min * 0x01010101u;
    const uint32_t hi4 = (uint32_t)(uint8_t)p->act_max * 0x01010101u;
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
                int32_t c = 0;
                if (ye > ys && xe > xs) {
                    const int8_t *px = in_b + (size_t)ys * row_step + (size_t)xs * depth;
                    const int32_t rows = ye - ys, cols = xe - xs;
                    const int32_t skip = row_step - cols * depth;
                    while (c + 4 <= depth) {
                        const int wide = c + 8 <= depth;
                        uint32_t m[2];
                        if (wide) {
                            max_pool_lanes8(px + c, rows, cols, skip, depth, m);
                        } else {
                            max_pool_lanes4(px + c, rows, cols, skip, depth, m);
                        }
                        for (int k = 0; k < (wide ? 2 : 1); ++k) {
                            uint32_t v = max_pool_max4(m[k], lo4);
                            /* min(v, hi): hi where hi >= v, else v */
                            uint32_t r;
                            __asm__("ssub8 %0, %1, %2\n\tsel %0, %2, %1"
                                    : "=&r"(r) : "r"(v), "r"(hi4) : "cc");
                            tflm_store_s32(output, (int32_t)r);
                            output += 4;
                        }
                        c += wide ? 8 : 4;
                    }
                }
                for (; c < depth; ++c) {
                    int32_t best = -128;
                    for (int32_t iy = ys; iy < ye; ++iy) {
                        const int8_t *row = in_b + (size_t)iy * row_step + c;
                        for (int32_t ix = xs; ix < xe; ++ix) {
                            const int32_t v = row[(size_t)ix * depth];
                            best = v > best ? v : best;
                        }
                    }
                    *output++ = (int8_t)TFLM_CLAMP(best, p->act_min, p->act_max);
                }
            }
        }
    }
}
/* int16: the same with SSUB16 / SEL, two channels a word */
static TFLM_PY_INLINE uint32_t max_pool_acc2(uint32_t m, uint32_t w)
{
    uint32_t scratch;
    __asm__("ssub16 %1, %2, %0\n\tsel %0, %2, %0" : "+r"(m), "=&r"(scratch) : "r"(w) : "cc");
    return m;
}

/* the halfword-wise maxima of 4 (wide) or 2 channels over rows x cols pixels from p */
static TFLM_PY_NOINLINE void max_pool_lanes_s16(const int16_t *p, int32_t rows, int32_t cols,
                                                int32_t row_skip, int32_t depth, int wide,
                                                uint32_t m[2])
{
    uint32_t m0 = 0x80008000u, m1 = 0x80008000u;
    do {
        int32_t n = cols;
        if (wide) {
            do {
                m0 = max_pool_acc2(m0, (uint32_t)tflm_load_s32(p));
                m1 = max_pool_acc2(m1, (uint32_t)tflm_load_s32(p + 2));
                p += depth;
            } while (--n != 0);
        } else {
            do {
                m0 = max_pool_acc2(m0, (uint32_t)tflm_load_s32(p));
                p += depth;
            } while (--n != 0);
        }
        p += row_skip;
    } while (--rows != 0);
    m[0] = m0;
    m[1] = m1;
}

static TFLM_PY_NOINLINE void max_pool_s16_dsp(const tflm_max_pool_params_t *p,
                                              const int16_t *input, int16_t *output)
{
    const int32_t depth = p->depth;
    const int32_t row_step = p->input_w * depth;
    const uint32_t lo2 = (uint32_t)(uint16_t)p->act_min * 0x00010001u;
    const uint32_t hi2 = (uint32_t)(uint16_t)p->act_max * 0x00010001u;
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
                int32_t c = 0;
                if (ye > ys && xe > xs) {
                    const int16_t *px = in_b + (size_t)ys * row_step + (size_t)xs * depth;
                    const int32_t rows = ye - ys, cols = xe - xs;
                    const int32_t skip = row_step - cols * depth;
                    while (c + 2 <= depth) {
                        const int wide = c + 4 <= depth;
                        uint32_t m[2];
                        max_pool_lanes_s16(px + c, rows, cols, skip, depth, wide, m);
                        for (int k = 0; k < (wide ? 2 : 1); ++k) {
                            uint32_t v, r;
                            __asm__("ssub16 %0, %1, %2\n\tsel %0, %1, %2"
                                    : "=&r"(v) : "r"(m[k]), "r"(lo2) : "cc");
                            __asm__("ssub16 %0, %1, %2\n\tsel %0, %2, %1"
                                    : "=&r"(r) : "r"(v), "r"(hi2) : "cc");
                            tflm_store_s32(output, (int32_t)r);
                            output += 2;
                        }
                        c += wide ? 4 : 2;
                    }
                }
                for (; c < depth; ++c) {
                    int32_t best = -32768;
                    for (int32_t iy = ys; iy < ye; ++iy) {
                        const int16_t *row = in_b + (size_t)iy * row_step + c;
                        for (int32_t ix = xs; ix < xe; ++ix) {
                            const int32_t v = row[(size_t)ix * depth];
                            best = v > best ? v : best;
                        }
                    }
                    *output++ = (int16_t)TFLM_CLAMP(best, p->act_min, p->act_max);
                }
            }
        }
    }
}
#endif /* TFLM_PY_USE_DSP */

/* The portable kernels: per output pixel, channels in blocks of MAX_BLOCK, the running
 * maxima in an array updated tap by tap (a loop over contiguous channels that compilers
 * vectorise; the constant trip count of full blocks lets gcc -O2 do it). */
#define MAX_BLOCK 16

#define MAX_POOL_REF(NAME, T, T_MIN)                                                       \
static void NAME(const tflm_max_pool_params_t *p, const T *input, T *output)              \
{                                                                                          \
    const int32_t depth = p->depth;                                                        \
    const int32_t row_step = p->input_w * depth;                                           \
    const int32_t lo = p->act_min, hi = p->act_max;                                        \
    T best[MAX_BLOCK];                                                                     \
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
                for (int32_t c0 = 0; c0 < depth; c0 += MAX_BLOCK) {                        \
                    const int32_t n = TFLM_MIN(MAX_BLOCK, depth - c0);                     \
                    for (int32_t c = 0; c < n; ++c) {                                      \
                        best[c] = T_MIN;                                                   \
                    }                                                                      \
                    for (int32_t iy = ys; iy < ye; ++iy) {                                 \
                        const T *px = in_b + (size_t)iy * row_step + (size_t)xs * depth + c0; \
                        for (int32_t ix = xs; ix < xe; ++ix, px += depth) {                \
                            if (n == MAX_BLOCK) {                                          \
                                for (int32_t c = 0; c < MAX_BLOCK; ++c) {                  \
                                    best[c] = px[c] > best[c] ? px[c] : best[c];           \
                                }                                                          \
                            } else {                                                       \
                                for (int32_t c = 0; c < n; ++c) {                          \
                                    best[c] = px[c] > best[c] ? px[c] : best[c];           \
                                }                                                          \
                            }                                                              \
                        }                                                                  \
                    }                                                                      \
                    for (int32_t c = 0; c < n; ++c) {                                      \
                        const int32_t v = best[c];                                         \
                        *output++ = (T)TFLM_CLAMP(v, lo, hi);                              \
                    }                                                                      \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
    }                                                                                      \
}

#if !TFLM_PY_USE_DSP
MAX_POOL_REF(max_pool_s8_ref, int8_t, -128)
MAX_POOL_REF(max_pool_s16_ref, int16_t, -32768)
#endif

void tflm_max_pool_s8(const tflm_max_pool_params_t *p, const int8_t *input, int8_t *output)
{
#if TFLM_PY_USE_DSP
    max_pool_s8_dsp(p, input, output);
#else
    max_pool_s8_ref(p, input, output);
#endif
}

void tflm_max_pool_s16(const tflm_max_pool_params_t *p, const int16_t *input,
                       int16_t *output)
{
#if TFLM_PY_USE_DSP
    max_pool_s16_dsp(p, input, output);
#else
    max_pool_s16_ref(p, input, output);
#endif
}
