/* AVERAGE_POOL_2D, int8 NHWC: mean of the taps inside the image, rounded half away from zero. */
#ifndef TFLM_AVG_POOL_H
#define TFLM_AVG_POOL_H

#include "tflm_common.h"

typedef struct {
    int32_t batches, input_h, input_w, depth;
    int32_t output_h, output_w;
    int32_t stride_h, stride_w, filter_h, filter_w;
    int32_t pad_h, pad_w;          /* leading padding (top, left) */
    int32_t act_min, act_max;      /* fused activation range */
} tflm_avg_pool_params_t;

void tflm_avg_pool_s8(const tflm_avg_pool_params_t *p, const int8_t *input, int8_t *output);
void tflm_avg_pool_s16(const tflm_avg_pool_params_t *p, const int16_t *input,
                       int16_t *output);

#endif /* TFLM_AVG_POOL_H */
