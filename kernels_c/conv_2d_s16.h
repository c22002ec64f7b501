/* CONV_2D 16x8: int16 activations, int8 weights, int64 (or int32) bias: TFLM's reference
 * ConvPerChannel for int16. NHWC input/output, OHWI filter; grouped convolution when
 * filter_c < input_c. */
#ifndef TFLM_CONV_2D_S16_H
#define TFLM_CONV_2D_S16_H

#include "tflm_common.h"

typedef struct {
    int32_t batches;
    int32_t input_h, input_w, input_c;
    int32_t filter_h, filter_w, filter_c;   /* filter_c: input channels of one group */
    int32_t output_h, output_w, output_c;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_h, pad_w;                   /* padding before the first row / column */
    tflm_rq16_t rq;
} tflm_conv_2d_s16_params_t;

/* bias: int64_t[output_c] when rq.acc64, else int32_t[output_c]; may be NULL */
void tflm_conv_2d_s16(const tflm_conv_2d_s16_params_t *p, const int16_t *input,
                      const int8_t *filter, const void *bias, int16_t *output);

/* The same when rq.fits32 (every accumulator provably fits int32): filter16 holds the
 * weights widened to int16 at generation time (same OHWI order, each output channel's
 * filter_h * filter_w * filter_c weights followed by zeros up to TFLM_CONV_2D_S16_ROW), so
 * int16 pairs of inputs and weights go straight into SMLAD; the bias is rq.bias32. One pixel
 * at a time, windows read in place. */
#define TFLM_CONV_2D_S16_ROW(n) (((n) + 3) & ~3)

void tflm_conv_2d_s16_fast(const tflm_conv_2d_s16_params_t *p, const int16_t *input,
                           const int16_t *filter16, int16_t *output);

/* The same (rq.fits32, ungrouped filter) two output pixels by two output channels at a
 * time: scratch (TFLM_CONV_2D_S16_SCRATCH_BYTES, word-aligned) holds both pixels' windows;
 * filter8 holds the int8 weights in rows of TFLM_CONV_2D_S16_ROW (zeros after the filter's
 * own), each group of four in the order 0, 2, 1, 3 (SXTB16 widens it to two SMLAD pairs). */
#define TFLM_CONV_2D_S16_SCRATCH_BYTES(filter_h, filter_w, input_c) \
    (4 * TFLM_CONV_2D_S16_ROW((filter_h) * (filter_w) * (input_c)))

void tflm_conv_2d_s16_pairs(const tflm_conv_2d_s16_params_t *p, const int16_t *input,
                            const int8_t *filter8, int16_t *output, void *scratch);

#endif /* TFLM_CONV_2D_S16_H */
