/* CONV_2D, int8 activations and weights, int32 bias: TFLM reference ConvPerChannel
 * arithmetic. NHWC input/output, OHWI filter; grouped convolution when filter_c < input_c. */
#ifndef TFLM_CONV_2D_H
#define TFLM_CONV_2D_H

#include "tflm_common.h"

typedef struct {
    int32_t batches;
    int32_t input_h, input_w, input_c;
    int32_t filter_h, filter_w, filter_c;   /* filter_c: input channels of one group */
    int32_t output_h, output_w, output_c;
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
} tflm_conv_2d_params_t;

/* Scratch bytes the fast paths need (tflm_py's CONV_2D room asks the planner for them):
 * 0 for a grouped convolution (always the reference loop); otherwise four widened patches
 * (8 bytes per tap value, the depth rounded up to a multiple of 4: the DSP path computes 4
 * pixels at a time) plus, when the filter is
 * not 1x1 and the input depth not a multiple of 4, one int8 patch, plus 4 for alignment.
 * Without it (scratch NULL) the kernel runs more slowly: a 1x1 filter takes the portable path
 * (it reads pixels in place), any other the reference loop. */
#define TFLM_CONV_2D_SCRATCH_BYTES(filter_h, filter_w, filter_c, input_c)                    \
    ((filter_c) != (input_c) ? 0                                                            \
     : 8 * (((filter_h) * (filter_w) * (filter_c) + 3) & ~3) +                              \
       (((filter_h) == 1 && (filter_w) == 1) || (input_c) % 4 == 0                          \
            ? 0 : (filter_h) * (filter_w) * (filter_c)) + 4)

/* bias may be NULL; scratch: TFLM_CONV_2D_SCRATCH_BYTES bytes, or NULL */
void tflm_conv_2d_s8(const tflm_conv_2d_params_t *p, const int8_t *input,
                     const int8_t *filter, const int32_t *bias, int8_t *output,
                     int8_t *scratch);

/* The same for a layer the generator knows runs fast: groups == 1 (filter_c == input_c) and
 * scratch given (not NULL). A firmware whose convolutions all qualify links neither the
 * reference loop nor (on Cortex-M) the portable path. */
void tflm_conv_2d_fast_s8(const tflm_conv_2d_params_t *p, const int8_t *input,
                          const int8_t *filter, const int32_t *bias, int8_t *output,
                          int8_t *scratch);

#endif /* TFLM_CONV_2D_H */
