/* int16 SOFTMAX kernel (see softmax_s16.h). */
#include "softmax_s16.h"

/* TFLM lut_lookup for int16: 512 intervals of 128 input steps, linear interpolation */
static inline int16_t lut_interp(int32_t v, const int16_t *lut)
{
    const int32_t idx = 256 + (v >> 7);
    const int32_t off = v & 0x7F;
    const int16_t base = lut[idx];
    const int16_t slope = (int16_t)(lut[idx + 1] - base);
    return (int16_t)(base + ((slope * off + 64) >> 7));
}

static inline uint32_t clz32(uint32_t x)
{
    uint32_t n = 0;
    if (x == 0u) {
        return 32u;
    }
    while ((x & 0x80000000u) == 0u) {
        x <<= 1;
        ++n;
    }
    return n;
}

void tflm_softmax_s16(const tflm_softmax_s16_params_t *p, const int16_t *input,
                      int16_t *output)
{
    for (int32_t r = 0; r < p->outer; ++r) {
        const int16_t *x = input + r * p->depth;
        int16_t *y = output + r * p->depth;
        int16_t max = INT16_MIN;
        for (int32_t c = 0; c < p->depth; ++c) {
            max = x[c] > max ? x[c] : max;
        }
        /* exp(x - max) in Q0.15, kept in the output row; sum in Q16.15 */
        int32_t sum = 0;
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t scaled = tflm_requantize((int32_t)x[c] - max, p->input_multiplier,
                                                   p->input_shift);
            y[c] = lut_interp(TFLM_CLAMP(scaled + 32767, INT16_MIN, INT16_MAX), p->exp_lut);
            sum += y[c];
        }
        /* sum normalised to [2^16, 2^17], recentred to [-2^15, 2^15) for 1/(1+x) */
        const uint32_t headroom = clz32((uint32_t)sum);
        const int32_t norm = (int32_t)((((int64_t)sum << (headroom - 1)) + (1 << 13)) >> 14);
        const int16_t recip = lut_interp(TFLM_CLAMP(norm - 3 * 32768, INT16_MIN, INT16_MAX),
                                         p->recip_lut);
        const int32_t right = 31 - (int32_t)headroom;
        const int64_t round = (int64_t)1 << (right - 1);
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t v = (int32_t)(((int64_t)y[c] * recip + round) >> right);
            y[c] = (int16_t)TFLM_CLAMP(v, 0, INT16_MAX);
        }
    }
}
