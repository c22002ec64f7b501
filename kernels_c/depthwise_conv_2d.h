/* DEPTHWISE_CONV_2D, int8 activations and weights, int32 bias: TFLM reference
 * DepthwiseConvPerChannel arithmetic. NHWC input/output, filter [1, KH, KW, C * M] where
 * output channel c * M + m reads input channel c. */
#ifndef TFLM_DEPTHWISE_CONV_2D_H
#define TFLM_DEPTHWISE_CONV_2D_H

#include "tflm_common.h"

typedef struct {
    int32_t batches;
    int32_t input_h, input_w, input_c;
    int32_t filter_h, filter_w;
    int32_t output_h, output_w, output_c;   /* output_c = input_c * depth_multiplier */
    int32_t depth_multiplier;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_h, pad_w;                   /* padding before the first row / column */
    int32_t input_offset;                   /* -input zero point */
    int32_t output_offset;                  /* output zero point */
    int32_t act_min, act_max;
    int32_t per_channel;                    /* 0: multipliers[0] / shifts[0] for all */
    const int32_t *multipliers;
    const int8_t *shifts;                   /* TFLM's shifts lie in [-31, 30] */
    /* 1: the generator proved every shift < 0 and every accumulator in [-2^30, 2^30), so
     * the DSP path requantises without range checks (tflm_rq_dsp_t); 0: always safe */
    int32_t small_acc;
} tflm_depthwise_conv_2d_params_t;

/* bias may be NULL */
void tflm_depthwise_conv_2d_s8(const tflm_depthwise_conv_2d_params_t *p, const int8_t *input,
                               const int8_t *filter, const int32_t *bias, int8_t *output);

#endif /* TFLM_DEPTHWISE_CONV_2D_H */
