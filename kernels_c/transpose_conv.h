/* TRANSPOSE_CONV: TFLM reference integer_ops::TransposeConv arithmetic, int8 (int32 bias) and
 * 16x8 (int16 activations, int8 weights, int64 bias). NHWC input/output, OHWI filter. */
#ifndef TFLM_TRANSPOSE_CONV_H
#define TFLM_TRANSPOSE_CONV_H

#include "tflm_common.h"

typedef struct {
    int32_t batches;
    int32_t input_h, input_w, input_c;
    int32_t filter_h, filter_w;
    int32_t output_h, output_w, output_c;
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;               /* output rows / columns cut off at the start */
    int32_t input_offset;               /* -input zero point (int8; 0 for 16x8) */
    int32_t output_offset;              /* output zero point (int8; 0 for 16x8) */
    int32_t act_min, act_max;
    int32_t per_channel;                /* 0: multipliers[0] / shifts[0] for all */
    /* int8: QuantizeMultiplier's 31-bit multipliers; 16x8: the 16-bit multipliers TFLM's
     * int64 MultiplyByQuantizedMultiplier reduces them to */
    const int32_t *multipliers;
    const int8_t *shifts;               /* TFLM's shifts lie in [-31, 30] */
} tflm_transpose_conv_params_t;

/* bias may be NULL; no scratch: each output pixel gathers the input pixels mapping onto it */
void tflm_transpose_conv_s8(const tflm_transpose_conv_params_t *p, const int8_t *input,
                            const int8_t *filter, const int32_t *bias, int8_t *output);

void tflm_transpose_conv_s16(const tflm_transpose_conv_params_t *p, const int16_t *input,
                             const int8_t *filter, const int64_t *bias, int16_t *output);

#endif /* TFLM_TRANSPOSE_CONV_H */
