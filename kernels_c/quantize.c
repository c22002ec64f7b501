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

void tflm_quantize_s8_u8(const tflm_quantize_params_t *p, const int8_t *input, uint8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t v = quant_requant(p, input[i]);
        output[i] = (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
    }
}

void tflm_quantize_u8_s8(const tflm_quantize_params_t *p, const uint8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = tflm_sat_s8(quant_requant(p, input[i]));
    }
}
