/* Integer SVDF, bit-exact with TFLM's micro EvalIntegerSvdfReference. The int32 sums of
 * TFLM wrap on overflow; they are computed in int64 here and truncated to 32 bits, which
 * gives the same values. One body serves both state widths (16 or 8 bits); it is inlined
 * into each entry point with a constant width. */
#include "svdf.h"

#include <string.h>

#include "tflm_common.h"

static inline int32_t svdf_wrap32(int64_t v)
{
    return (int32_t)(uint32_t)(uint64_t)v;
}

static inline int32_t svdf_load(const void *base, size_t i, int bits)
{
    return bits == 16 ? (int32_t)((const int16_t *)base)[i] : (int32_t)((const int8_t *)base)[i];
}

/* Stores the low `bits` bits of v (two's complement narrowing, as TFLM's implicit cast). */
static inline void svdf_store(void *base, size_t i, int bits, int32_t v)
{
    const uint32_t mask = bits == 16 ? 0xFFFFu : 0xFFu;
    const uint32_t sign = bits == 16 ? 0x8000u : 0x80u;
    const int32_t narrowed = (int32_t)(((uint32_t)v & mask) ^ sign) - (int32_t)sign;
    if (bits == 16) {
        ((int16_t *)base)[i] = (int16_t)narrowed;
    } else {
        ((int8_t *)base)[i] = (int8_t)narrowed;
    }
}

static inline void svdf_run(const tflm_svdf_params_t *p, const int8_t *input,
                            const int8_t *weights_feature, const void *weights_time,
                            const int32_t *bias, void *state, int8_t *output, int bits)
{
    const size_t elem = bits == 16 ? sizeof(int16_t) : sizeof(int8_t);
    const int32_t lo = bits == 16 ? -32768 : -128;
    const int32_t hi = bits == 16 ? 32767 : 127;
    const size_t n_state = (size_t)p->batch * (size_t)p->filters * (size_t)p->memory;
    const size_t memory = (size_t)p->memory;

    /* 1. shift the whole state buffer one element towards its start */
    if (n_state > 1) {
        memmove(state, (const uint8_t *)state + elem, (n_state - 1) * elem);
    }
    /* 2. feature matmul into the newest slot of each filter */
    for (int32_t b = 0; b < p->batch; ++b) {
        const int8_t *x = input + (size_t)b * (size_t)p->inputs;
        for (int32_t f = 0; f < p->filters; ++f) {
            const int8_t *w = weights_feature + (size_t)f * (size_t)p->inputs;
            int64_t acc = 0;
            for (int32_t i = 0; i < p->inputs; ++i) {
                acc += (int32_t)w[i] * ((int32_t)x[i] - p->input_zp);
            }
            int32_t v = tflm_requantize(svdf_wrap32(acc), p->scale1_mult, p->scale1_shift);
            v = TFLM_CLAMP(v, lo, hi);
            const size_t slot = ((size_t)b * (size_t)p->filters + (size_t)f) * memory + memory - 1;
            svdf_store(state, slot, bits, v + p->state_zp);
        }
    }
    /* 3. + 4. time weights, rank reduction, bias, rescale */
    for (int32_t b = 0; b < p->batch; ++b) {
        for (int32_t u = 0; u < p->units; ++u) {
            int64_t acc = bias[u];
            for (int32_t r = 0; r < p->rank; ++r) {
                const size_t f = (size_t)u * (size_t)p->rank + (size_t)r;
                const size_t w0 = f * memory;
                const size_t s0 = ((size_t)b * (size_t)p->filters + f) * memory;
                for (size_t m = 0; m < memory; ++m) {
                    acc += svdf_load(weights_time, w0 + m, bits)
                           * (svdf_load(state, s0 + m, bits) - p->state_zp);
                }
            }
            const int32_t y = tflm_requantize(svdf_wrap32(acc), p->scale2_mult, p->scale2_shift)
                              + p->output_zp;
            output[(size_t)b * (size_t)p->units + (size_t)u] = tflm_sat_s8(y);
        }
    }
}

void tflm_svdf_s8(const tflm_svdf_params_t *p, const int8_t *input,
                  const int8_t *weights_feature, const int16_t *weights_time,
                  const int32_t *bias, int16_t *state, int8_t *output)
{
    svdf_run(p, input, weights_feature, weights_time, bias, state, output, 16);
}

void tflm_svdf_s8_s8state(const tflm_svdf_params_t *p, const int8_t *input,
                          const int8_t *weights_feature, const int8_t *weights_time,
                          const int32_t *bias, int8_t *state, int8_t *output)
{
    svdf_run(p, input, weights_feature, weights_time, bias, state, output, 8);
}
