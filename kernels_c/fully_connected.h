/* FULLY_CONNECTED, int8 activations and weights, int32 bias: TFLM reference FullyConnected
 * (per-tensor, weight zero point applied) and FullyConnectedPerChannel arithmetic.
 * input [batches, accum_depth], filter [output_depth, accum_depth], output
 * [batches, output_depth]. */
#ifndef TFLM_FULLY_CONNECTED_H
#define TFLM_FULLY_CONNECTED_H

#include "tflm_common.h"

typedef struct {
    int32_t batches;
    int32_t accum_depth;
    int32_t output_depth;
    int32_t input_offset;      /* -input zero point */
    int32_t filter_offset;     /* -weights zero point (0 when per channel) */
    int32_t output_offset;     /* output zero point */
    int32_t act_min, act_max;
    int32_t per_channel;       /* 0: multipliers[0] / shifts[0] for all */
    const int32_t *multipliers;
    const int8_t *shifts;      /* TFLM's shifts lie in [-31, 30] */
    /* optional (NULL: not used): bias[o] + input_offset * sum_k filter[o][k], wrapped to
     * int32, computed at generation time; lets the DSP path multiply raw int8 inputs */
    const int32_t *folded_bias;
    /* 1: the generator proved every shift < 0 and every accumulator in [-2^30, 2^30), so
     * the DSP path requantises without range checks (tflm_rq_dsp_t); 0: always safe */
    int32_t small_acc;
} tflm_fully_connected_params_t;

/* bias may be NULL */
void tflm_fully_connected_s8(const tflm_fully_connected_params_t *p, const int8_t *input,
                             const int8_t *filter, const int32_t *bias, int8_t *output);

/* The same for a layer the generator knows runs fast: no weight zero point (filter_offset 0)
 * and folded_bias given. A firmware whose layers all qualify does not link the reference
 * loop. bias is not read (it may be NULL): every path starts from folded_bias. */
void tflm_fully_connected_fast_s8(const tflm_fully_connected_params_t *p,
                                  const int8_t *input, const int8_t *filter,
                                  const int32_t *bias, int8_t *output);

#endif /* TFLM_FULLY_CONNECTED_H */
