/* FULLY_CONNECTED 16x8: int16 activations, int8 weights [output_depth, accum_depth], int64
 * (or int32) bias: TFLM's reference FullyConnected / FullyConnectedPerChannel for int16.
 * input [batches, accum_depth], output [batches, output_depth] (any ranks flattened so). */
#ifndef TFLM_FULLY_CONNECTED_S16_H
#define TFLM_FULLY_CONNECTED_S16_H

#include "tflm_common.h"

typedef struct {
    int32_t batches;
    int32_t accum_depth;
    int32_t output_depth;
    int32_t filter_offset;     /* -weights zero point (per tensor only, else 0) */
    tflm_rq16_t rq;
} tflm_fully_connected_s16_params_t;

/* bias: int64_t[output_depth] when rq.acc64, else int32_t[output_depth]; may be NULL */
void tflm_fully_connected_s16(const tflm_fully_connected_s16_params_t *p,
                              const int16_t *input, const int8_t *filter, const void *bias,
                              int16_t *output);

/* The same when rq.fits32 (every accumulator provably fits int32): filter16 holds
 * w + filter_offset widened to int16 at generation time, so int16 pairs of inputs and
 * weights go straight into SMLAD; the bias is rq.bias32. */
void tflm_fully_connected_s16_fast(const tflm_fully_connected_s16_params_t *p,
                                   const int16_t *input, const int16_t *filter16,
                                   int16_t *output);

/* The same (rq.fits32, filter_offset 0) from int8 weights: filter8 holds each output's
 * accum_depth weights in a row of TFLM_FULLY_CONNECTED_S16_ROW (zeros after them), every group
 * of four in the order 0, 2, 1, 3 (SXTB16 widens a word to the SMLAD pairs (0, 1), (2, 3)):
 * the weights' own flash, no int16 copy. */
#define TFLM_FULLY_CONNECTED_S16_ROW(n) (((n) + 3) & ~3)

void tflm_fully_connected_s16_s8w(const tflm_fully_connected_s16_params_t *p,
                                  const int16_t *input, const int8_t *filter8,
                                  int16_t *output);

#endif /* TFLM_FULLY_CONNECTED_S16_H */
