/* HARD_SWISH kernel: see hard_swish.h and tflm_py/ops/hard_swish.py. */
#include "hard_swish.h"

/* int32 -> int16 keeping the low 16 bits (two's complement), without relying on the
 * implementation-defined narrowing conversion */
static inline int16_t hs_wrap16(int32_t v)
{
    const uint16_t u = (uint16_t)((uint32_t)v & 0xFFFFu);
    return u >= 0x8000u ? (int16_t)((int32_t)u - 0x10000) : (int16_t)u;
}

/* gemmlowp SaturatingRoundingDoublingHighMul on int16 */
static inline int16_t hs_srdhm16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return hs_wrap16((ab + nudge) / (1 << 15));
}

/* doubling high multiply without rounding (truncates toward zero) on int16 */
static inline int16_t hs_sdhm16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    const int32_t ab = (int32_t)a * (int32_t)b;
    return hs_wrap16(ab / (1 << 15));
}

static inline int16_t hs_sat_shl16(int16_t v, int amount)
{
    const int64_t r = (int64_t)v * ((int64_t)1 << amount);
    return (int16_t)TFLM_CLAMP(r, INT16_MIN, INT16_MAX);
}

void tflm_hard_swish_s8(const tflm_hard_swish_params_t *p, const int8_t *input, int8_t *output)
{
    const int16_t out_mult = (int16_t)p->output_multiplier;
    const int16_t rel_mult = (int16_t)p->reluish_multiplier;
    const int rel_exp = (int)p->reluish_exponent;
    for (int32_t i = 0; i < p->size; ++i) {
        const int16_t hires = (int16_t)((input[i] - p->input_offset) * 128);
        const int16_t pre_out = hs_srdhm16(hires, out_mult);
        int16_t r = hires;
        if (rel_exp > 0) {
            r = hs_sat_shl16(r, rel_exp - 1);
        }
        r = hs_srdhm16(r, rel_mult);
        if (rel_exp > 0) {
            r = hs_sat_shl16(r, 1);
        } else if (rel_exp < 0) {
            r = (int16_t)tflm_rdbypot(r, -rel_exp);
        }
        r = (int16_t)((r + (1 << 15)) >> 1);
        const int16_t prod = hs_sdhm16(r, pre_out);
        const int32_t y = hs_wrap16(tflm_rdbypot(prod, -(int)p->output_exponent)
                                    + p->output_offset);
        output[i] = tflm_sat_s8(y);
    }
}
