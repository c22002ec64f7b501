/* SVDF, int8 input / weights_feature / output, int32 bias, as TFLM's micro integer kernel
 * computes it (the fused activation is not applied by that kernel). Two flavours of the
 * time weights and activation state: int16 (tflm_svdf_s8) and int8 (tflm_svdf_s8_s8state).
 * Python twin: tflm_py/ops/svdf.py. */
#ifndef TFLM_SVDF_H
#define TFLM_SVDF_H

#include <stdint.h>

typedef struct {
    int32_t batch;
    int32_t inputs;        /* input features */
    int32_t filters;       /* units * rank */
    int32_t units;
    int32_t rank;
    int32_t memory;        /* time steps kept per filter */
    int32_t input_zp;
    int32_t state_zp;
    int32_t output_zp;
    int32_t scale1_mult;   /* feature matmul -> state */
    int32_t scale1_shift;
    int32_t scale2_mult;   /* time matmul -> output */
    int32_t scale2_shift;
} tflm_svdf_params_t;

/* state: [batch, filters * memory], persistent, updated in place. No scratch memory. */
void tflm_svdf_s8(const tflm_svdf_params_t *p, const int8_t *input,
                  const int8_t *weights_feature, const int16_t *weights_time,
                  const int32_t *bias, int16_t *state, int8_t *output);

void tflm_svdf_s8_s8state(const tflm_svdf_params_t *p, const int8_t *input,
                          const int8_t *weights_feature, const int8_t *weights_time,
                          const int32_t *bias, int8_t *state, int8_t *output);

#endif /* TFLM_SVDF_H */
