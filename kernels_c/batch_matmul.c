/* BATCH_MATMUL (see batch_matmul.h). Per output batch the two matrices are brought to
 * depth-contiguous rows (lhs [rows][depth], rhs [cols][depth]; an adjoint lhs and a
 * non-adjoint rhs are transposed into scratch, a rhs only when it changes), then every output
 * is one dot product: portable C, or on Cortex-M with the DSP extension SMLAD (int8, values
 * widened with SXTAB16 and their offsets added per word, two output columns per pass over the
 * lhs row) and SMLALD (int16 pairs straight from memory, 64-bit accumulators). Integer sums
 * are exact (int32 wraps modulo 2^32 as TFLM's does, int64 cannot overflow here), so the
 * order differs from the reference's without changing a bit. */
#include "batch_matmul.h"

#define BMM_TRANSPOSE(T)                                                                    \
    static void bmm_transpose_##T(const T *src, int32_t n_rows, int32_t n_cols, T *dst)       \
    {                                                                                       \
        for (int32_t r = 0; r < n_rows; ++r) {                                              \
            for (int32_t c = 0; c < n_cols; ++c) {                                          \
                dst[(size_t)c * n_rows + r] = src[(size_t)r * n_cols + c];                  \
            }                                                                               \
        }                                                                                   \
    }
BMM_TRANSPOSE(int8_t)
BMM_TRANSPOSE(int16_t)

/* ---- int8 */

/* s0 += dot(l + lo, r0 + ro), s1 += dot(l + lo, r1 + ro) over depth values */
static TFLM_PY_NOINLINE void bmm_dot2_s8(const int8_t *l, const int8_t *r0, const int8_t *r1,
                                       int32_t depth, int32_t lo, int32_t ro, int32_t *s0,
                                       int32_t *s1)
{
    int32_t a0 = 0, a1 = 0;
    int32_t k = 0;
#if TFLM_PY_USE_DSP
    const int32_t lo2 = (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)lo << 16));
    const int32_t ro2 = (int32_t)(((uint32_t)ro & 0xFFFFu) | ((uint32_t)ro << 16));
    for (; k + 4 <= depth; k += 4) {
        const int32_t lv = tflm_load_s32(l + k);
        const int32_t le = __sxtab16(lo2, lv), lodd = tflm_sxtab16_ror8(lo2, lv);
        int32_t rv = tflm_load_s32(r0 + k);
        a0 = __smlad(le, __sxtab16(ro2, rv), a0);
        a0 = __smlad(lodd, tflm_sxtab16_ror8(ro2, rv), a0);
        rv = tflm_load_s32(r1 + k);
        a1 = __smlad(le, __sxtab16(ro2, rv), a1);
        a1 = __smlad(lodd, tflm_sxtab16_ror8(ro2, rv), a1);
    }
#endif
    for (; k < depth; ++k) {
        const int32_t lv = l[k] + lo;
        a0 = tflm_wrap_add(a0, lv * (r0[k] + ro));
        a1 = tflm_wrap_add(a1, lv * (r1[k] + ro));
    }
    *s0 = a0;
    *s1 = a1;
}

static TFLM_PY_INLINE int8_t bmm_out_s8(const tflm_batch_matmul_params_t *p, int32_t acc)
{
    const int32_t v = tflm_requantize_fast(acc, p->multiplier, p->shift) + p->output_offset;
    return (int8_t)TFLM_CLAMP(v, p->act_min, p->act_max);
}

/* Without scratch (the planner's RAM variant): every dot product reads both matrices in
 * place, an adjoint lhs with a step of `rows` per depth value, a non-adjoint rhs with a step
 * of `cols`; the same exact sums, more slowly. Returns the next output row. */
static int8_t *bmm_direct_s8(const tflm_batch_matmul_params_t *p, const int8_t *l,
                             const int8_t *r, int8_t *y)
{
    const int32_t rows = p->rows, depth = p->depth, cols = p->cols;
    const int32_t l_step = p->lhs_adj ? rows : 1, l_row = p->lhs_adj ? 1 : depth;
    const int32_t r_step = p->rhs_adj ? 1 : cols, r_col = p->rhs_adj ? depth : 1;
    for (int32_t a = 0; a < rows; ++a) {
        for (int32_t c = 0; c < cols; ++c) {
            const int8_t *la = l + (size_t)a * l_row, *rc = r + (size_t)c * r_col;
            int32_t acc = 0;
            for (int32_t k = 0; k < depth; ++k) {
                acc = tflm_wrap_add(acc, (la[(size_t)k * l_step] + p->lhs_offset) *
                                             (rc[(size_t)k * r_step] + p->rhs_offset));
            }
            y[c] = bmm_out_s8(p, acc);
        }
        y += cols;
    }
    return y;
}

void tflm_batch_matmul_s8(const tflm_batch_matmul_params_t *p, const int8_t *lhs,
                          const int8_t *rhs, int8_t *output, int8_t *scratch)
{
    const int direct = scratch == NULL && (p->lhs_adj || !p->rhs_adj);
    const int32_t rows = p->rows, depth = p->depth, cols = p->cols;
    int8_t *l_buf = scratch;
    int8_t *r_buf = scratch + (p->lhs_adj ? (size_t)rows * depth : 0);
    const int8_t *last_r = NULL;
    int8_t *y = output;
    for (int32_t b0 = 0; b0 < p->batch_dims[0]; ++b0) {
        for (int32_t b1 = 0; b1 < p->batch_dims[1]; ++b1) {
            for (int32_t b2 = 0; b2 < p->batch_dims[2]; ++b2) {
                const int8_t *l = lhs + (size_t)b0 * p->lhs_strides[0] +
                                  (size_t)b1 * p->lhs_strides[1] + (size_t)b2 * p->lhs_strides[2];
                const int8_t *r = rhs + (size_t)b0 * p->rhs_strides[0] +
                                  (size_t)b1 * p->rhs_strides[1] + (size_t)b2 * p->rhs_strides[2];
                if (direct) {
                    y = bmm_direct_s8(p, l, r, y);
                    continue;
                }
                if (p->lhs_adj) {
                    bmm_transpose_int8_t(l, depth, rows, l_buf);
                    l = l_buf;
                }
                if (!p->rhs_adj) {
                    if (r != last_r) {
                        bmm_transpose_int8_t(r, depth, cols, r_buf);
                        last_r = r;
                    }
                    r = r_buf;
                }
                for (int32_t a = 0; a < rows; ++a) {
                    const int8_t *la = l + (size_t)a * depth;
                    for (int32_t c = 0; c < cols; c += 2) {
                        const int32_t c1 = c + 1 < cols ? c + 1 : c;  /* odd last: twice */
                        int32_t s0, s1;
                        bmm_dot2_s8(la, r + (size_t)c * depth, r + (size_t)c1 * depth, depth,
                                    p->lhs_offset, p->rhs_offset, &s0, &s1);
                        y[c] = bmm_out_s8(p, s0);
                        y[c1] = bmm_out_s8(p, s1);
                    }
                    y += cols;
                }
            }
        }
    }
}

/* ---- int16 (zero points 0) */

static TFLM_PY_NOINLINE void bmm_dot2_s16(const int16_t *l, const int16_t *r0, const int16_t *r1,
                                        int32_t depth, int64_t *s0, int64_t *s1)
{
    int64_t a0 = 0, a1 = 0;
    int32_t k = 0;
#if TFLM_PY_USE_DSP
    for (; k + 2 <= depth; k += 2) {
        const int32_t lv = tflm_load_s32(l + k);
        a0 = __smlald(lv, tflm_load_s32(r0 + k), a0);
        a1 = __smlald(lv, tflm_load_s32(r1 + k), a1);
    }
#endif
    for (; k < depth; ++k) {
        a0 += (int32_t)l[k] * r0[k];
        a1 += (int32_t)l[k] * r1[k];
    }
    *s0 = a0;
    *s1 = a1;
}

/* the multiplier is stored already reduced to 16 bits (TFLM's int64 path) */
static TFLM_PY_INLINE int16_t bmm_out_s16(const tflm_batch_matmul_params_t *p, int64_t acc)
{
    const int32_t r = tflm_requantize_s64_reduced(acc, p->multiplier, p->shift) + p->output_offset;
    return (int16_t)TFLM_CLAMP(r, p->act_min, p->act_max);
}

/* bmm_direct_s8 for int16 (int64 sums) */
static int16_t *bmm_direct_s16(const tflm_batch_matmul_params_t *p, const int16_t *l,
                               const int16_t *r, int16_t *y)
{
    const int32_t rows = p->rows, depth = p->depth, cols = p->cols;
    const int32_t l_step = p->lhs_adj ? rows : 1, l_row = p->lhs_adj ? 1 : depth;
    const int32_t r_step = p->rhs_adj ? 1 : cols, r_col = p->rhs_adj ? depth : 1;
    for (int32_t a = 0; a < rows; ++a) {
        for (int32_t c = 0; c < cols; ++c) {
            const int16_t *la = l + (size_t)a * l_row, *rc = r + (size_t)c * r_col;
            int64_t acc = 0;
            for (int32_t k = 0; k < depth; ++k) {
                acc += (int32_t)la[(size_t)k * l_step] * rc[(size_t)k * r_step];
            }
            y[c] = bmm_out_s16(p, acc);
        }
        y += cols;
    }
    return y;
}

void tflm_batch_matmul_s16(const tflm_batch_matmul_params_t *p, const int16_t *lhs,
                           const int16_t *rhs, int16_t *output, int8_t *scratch)
{
    const int direct = scratch == NULL && (p->lhs_adj || !p->rhs_adj);
    const int32_t rows = p->rows, depth = p->depth, cols = p->cols;
    int16_t *l_buf = (int16_t *)(void *)scratch;
    int16_t *r_buf = l_buf + (p->lhs_adj ? (size_t)rows * depth : 0);
    const int16_t *last_r = NULL;
    int16_t *y = output;
    for (int32_t b0 = 0; b0 < p->batch_dims[0]; ++b0) {
        for (int32_t b1 = 0; b1 < p->batch_dims[1]; ++b1) {
            for (int32_t b2 = 0; b2 < p->batch_dims[2]; ++b2) {
                const int16_t *l = lhs + (size_t)b0 * p->lhs_strides[0] +
                                   (size_t)b1 * p->lhs_strides[1] + (size_t)b2 * p->lhs_strides[2];
                const int16_t *r = rhs + (size_t)b0 * p->rhs_strides[0] +
                                   (size_t)b1 * p->rhs_strides[1] + (size_t)b2 * p->rhs_strides[2];
                if (direct) {
                    y = bmm_direct_s16(p, l, r, y);
                    continue;
                }
                if (p->lhs_adj) {
                    bmm_transpose_int16_t(l, depth, rows, l_buf);
                    l = l_buf;
                }
                if (!p->rhs_adj) {
                    if (r != last_r) {
                        bmm_transpose_int16_t(r, depth, cols, r_buf);
                        last_r = r;
                    }
                    r = r_buf;
                }
                for (int32_t a = 0; a < rows; ++a) {
                    const int16_t *la = l + (size_t)a * depth;
                    for (int32_t c = 0; c < cols; c += 2) {
                        const int32_t c1 = c + 1 < cols ? c + 1 : c;
                        int64_t s0, s1;
                        bmm_dot2_s16(la, r + (size_t)c * depth, r + (size_t)c1 * depth, depth,
                                     &s0, &s1);
                        y[c] = bmm_out_s16(p, s0);
                        y[c1] = bmm_out_s16(p, s1);
                    }
                    y += cols;
                }
            }
        }
    }
}
