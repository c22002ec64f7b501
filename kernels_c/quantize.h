/* QUANTIZE: float32 -> int8/int16 (round(x / scale) + zero point) and integer requantization
 * between int8/int16/int32 and int8 <-> uint8 (the pairs TFLM runs), as TFLM's reference
 * kernel.
 * Parameters are computed by tflm_py/ops/quantize.py (prepare). */
#ifndef TFLM_QUANTIZE_H
#define TFLM_QUANTIZE_H

#include "tflm_common.h"

typedef struct {
    int32_t size;
    float scale;             /* output scale (float input only) */
    int32_t input_offset;    /* input zero point (integer input only) */
    int32_t output_offset;   /* output zero point */
    int32_t multiplier;      /* input scale / output scale (integer input only) */
    int32_t shift;
} tflm_quantize_params_t;

/* All variants tolerate output == input (same start address): conversions that keep or
 * shrink the element size run forward, widening ones run backward. */
void tflm_quantize_f32_s8(const tflm_quantize_params_t *p, const float *input, int8_t *output);
void tflm_quantize_f32_s16(const tflm_quantize_params_t *p, const float *input, int16_t *output);
void tflm_quantize_s8_s8(const tflm_quantize_params_t *p, const int8_t *input, int8_t *output);
void tflm_quantize_s8_s16(const tflm_quantize_params_t *p, const int8_t *input, int16_t *output);
void tflm_quantize_s16_s8(const tflm_quantize_params_t *p, const int16_t *input, int8_t *output);
void tflm_quantize_s16_s16(const tflm_quantize_params_t *p, const int16_t *input,
                           int16_t *output);
void tflm_quantize_s8_s32(const tflm_quantize_params_t *p, const int8_t *input, int32_t *output);
void tflm_quantize_s16_s32(const tflm_quantize_params_t *p, const int16_t *input,
                           int32_t *output);
void tflm_quantize_s32_s8(const tflm_quantize_params_t *p, const int32_t *input, int8_t *output);
void tflm_quantize_s32_s16(const tflm_quantize_params_t *p, const int32_t *input,
                           int16_t *output);
void tflm_quantize_u8_s8(const tflm_quantize_params_t *p, const uint8_t *input, int8_t *output);
void tflm_quantize_s8_u8(const tflm_quantize_params_t *p, const int8_t *input, uint8_t *output);

#endif /* TFLM_QUANTIZE_H */
