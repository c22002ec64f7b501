/* QUANTIZE kernels: see quantize.h and tflm_py/ops/quantize.py. */
#include "quantize.h"

/* round(x / scale) half away from zero, saturated to +-65536 (NaN gives -65536): far beyond
 * int16 so the final clamp decides, and no out-of-range float -> int conversion */
static inline int32_t quant_round(float x, float scale)
{
    const float q = x / scale;
    if (!(q >= -65536.0f)) {
        return -65536;
    }
    if (q > 65536.0f) {
        return 65536;
    }
    int32_t t = (int32_t)q;               /* truncates toward zero */
    const float frac = q - (float)t;      /* exact */
    if (frac >= 0.5f) {
        t += 1;
    } else if (frac <= -0.5f) {
        t -= 1;
    }
    return t;
}

static inline int32_t quant_requant(const tflm_quantize_params_t *p, int32_t x)
{
    /* int32 arithmetic that wraps, as TFLM's on int32 inputs */
    return tflm_wrap_add(tflm_requantize(tflm_wrap_add(x, -p->input_offset), p->multiplier,
                                         p->shift),
                         p->output_offset);
}

void tflm_quantize_f32_s8(const tflm_quantize_params_t *p, const float *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = tflm_sat_s8(quant_round(input[i], p->scale) + p->output_offset);
    }
}

void tflm_quantize_f32_s16(const tflm_quantize_params_t *p, const float *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = tflm_sat_s16(quant_round(input[i], p->scale) + p->output_offset);
    }
}

void tflm_quantize_s8_s8(const tflm_quantize_params_t *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = tflm_sat_s8(quant_requant(p, input[i]));
    }
}

void tflm_quantize_s8_s16(const tflm_quantize_params_t *p, const int8_t *input, int16_t *output)
{
    for (int32_t i = p->size - 1; i >= 0; --i) {  /* backward: widening */
        output[i] = tflm_sat_s16(quant_requant(p, input[i]));
    }
}

void tflm_quantize_s16_s8(const tflm_quantize_params_t *p, const int16_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = tflm_sat_s8(quant_requant(p, input[i]));
    }
}

void tflm_quantize_s16_s16(const tflm_quantize_params_t *p, const int16_t *input,
                           int16_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = tflm_sat_s16(quant_requant(p, input[i]));
    }
}

void tflm_quantize_s8_s32(const tflm_quantize_params_t *p, const int8_t *input, int32_t *output)
{
    for (int32_t i = p->size - 1; i >= 0; --i) {  /* backward: widening */
        output[i] = quant_requant(p, input[i]);
    }
}

void tflm_quantize_s16_s32(const tflm_quantize_params_t *p, const int16_t *input,
                           int32_t *output)
{
    for (int32_t i = p->size - 1; i >= 0; --i) {  /* backward: widening */
        output[i] = quant_requant(p, input[i]);
    }
}

void tflm_quantize_s32_s8(const tflm_quantize_params_t *p, const int32_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = tflm_sat_s8(quant_requant(p, input[i]));
    }
}

void tflm_quantize_s32_s16(const tflm_quantize_params_t *p, const int32_t *input,
                           int16_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = tflm_sat_s16(quant_requant(p, input[i]));
    }
}

static inline uint8_t quant_sat_u8(int32_t x)
{
    return (uint8_t)(x < 0 ? 0 : (x > 255 ? 255 : x));
}

/* int8 <-> uint8 with equal scales and zero points 128 apart (the converter's usual uint8
 * model edges): the requantization is x - 128 or x + 128, i.e. flipping the top bit */
static inline int quant_is_bit_flip(const tflm_quantize_params_t *p, int32_t zero_point_diff)
{
    return p->multiplier == (INT32_C(1) << 30) && p->shift == 1 &&
           p->input_offset - p->output_offset == zero_point_diff;
}

/* x ^ 0x80 per byte (uint8 x - 128 as int8, int8 x + 128 as uint8), four bytes a word;
 * output == input is fine (each word is read before it is written) */
static void quant_flip_top_bits(const void *input, void *output, int32_t size)
{
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    int32_t i = 0;
    for (; i + 4 <= size; i += 4) {
        uint32_t w;
        memcpy(&w, in + i, 4);
        w ^= 0x80808080u;
        memcpy(out + i, &w, 4);
    }
    for (; i < size; ++i) {
        out[i] = (uint8_t)(in[i] ^ 0x80u);
    }
}

void tflm_quantize_u8_s8(const tflm_quantize_params_t *p, const uint8_t *input, int8_t *output)
{
    if (quant_is_bit_flip(p, 128)) {
        quant_flip_top_bits(input, output, p->size);
        return;
    }
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = tflm_sat_s8(quant_requant(p, input[i]));
    }
}

void tflm_quantize_s8_u8(const tflm_quantize_params_t *p, const int8_t *input, uint8_t *output)
{
    if (quant_is_bit_flip(p, -128)) {
        quant_flip_top_bits(input, output, p->size);
        return;
    }
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = quant_sat_u8(quant_requant(p, input[i]));
    }
}
