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

/* The 3x3 path (filter 3x3, depth_multiplier 1, no dilation, stride_w 1 or 2, any stride_h,
 * SAME or VALID padding, so pad_w is 0 or 1). On Cortex-M (DSP): the input rows a window
 * row needs are copied once into a ring of 3 rows in `scratch`, channel-planar, as int16
 * with the input offset added and zeros in the padding, so every output pixel is an
 * interior one and each SMLAD takes two taps of one channel (see the kernel file).
 * Elsewhere it unpacks the records into filter, bias and requantisation in `scratch` and
 * runs the direct loops (tflm_depthwise_conv_2d_s8). The model's filter and bias and the
 * params' multipliers and shifts are not read (they may be NULL): the records hold them.
 * records: per channel c, 9 int32 words written by the generator: the bias (0 without
 * one); per filter row ky, (w[ky][0] | w[ky][1] << 16) and (w[ky][1] | w[ky][2] << 16) as
 * int16 halves; the multiplier m and k = -shift - 1 of channel c (or the only ones). With
 * small_acc the bias and the weights in the records are twice the model's.
 * scratch: TFLM_DW3X3_SCRATCH_BYTES bytes, 4-byte aligned: the ring (12 bytes per channel
 * and column pair) and one zero column pair (12 bytes), or the unpacked bias, multipliers,
 * filter and shifts (18 bytes per channel).
 * Outputs are written one output row at a time, after every input byte that row reads has
 * been copied: the overlap contract of tflm_depthwise_conv_2d_s8 holds. */
#define TFLM_DW3X3_COL_PAIRS(input_w, pad_w) (((input_w) + (pad_w) + 1) / 2)
#define TFLM_DW3X3_RING_BYTES(channels, input_w, pad_w)                                   \
    (12 * (channels) * TFLM_DW3X3_COL_PAIRS(input_w, pad_w) + 12)
#define TFLM_DW3X3_SCRATCH_BYTES(channels, input_w, pad_w)                                \
    (TFLM_DW3X3_RING_BYTES(channels, input_w, pad_w) > 18 * (channels)                     \
         ? TFLM_DW3X3_RING_BYTES(channels, input_w, pad_w)                                 \
         : 18 * (channels))

void tflm_depthwise_conv_2d_3x3_s8(const tflm_depthwise_conv_2d_params_t *p,
                                   const int8_t *input, const int32_t *records,
                                   int8_t *output, void *scratch);

/* Writes the records the 3x3 kernel reads (layout above) from the model's filter [1, 3, 3,
 * C] and bias (or NULL) and p's multipliers / shifts: what a generator builds in RAM once
 * instead of storing them in flash (9 words per channel against 18 bytes of sources). */
void tflm_depthwise_conv_2d_3x3_records(const tflm_depthwise_conv_2d_params_t *p,
                                        const int8_t *filter, const int32_t *bias,
                                        int32_t *records);

/* The same for one stride_w (1 or 2) known when the code is generated, for a layer whose
 * generator proved the Cortex-M loops' conditions (tflm_py's _ring_loops: small_acc, no clamp
 * beyond int8, every k <= 21; they are not checked again): a firmware links only that
 * stride's loops. */
void tflm_depthwise_conv_2d_3x3_s1_s8(const tflm_depthwise_conv_2d_params_t *p,
                                      const int8_t *input, const int32_t *records,
                                      int8_t *output, void *scratch);
void tflm_depthwise_conv_2d_3x3_s2_s8(const tflm_depthwise_conv_2d_params_t *p,
                                      const int8_t *input, const int32_t *records,
                                      int8_t *output, void *scratch);

#endif /* TFLM_DEPTHWISE_CONV_2D_H */
