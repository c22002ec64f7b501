/* BATCH_MATMUL: TFLM's micro reference BatchMatMul arithmetic, int8 (int32 accumulation) and
 * int16 (int64 accumulation, zero points 0). out[batch][a][c] = sum_k (lhs[a][k] +
 * lhs_offset) * (rhs[k][c] + rhs_offset), requantised with one multiplier. */
#ifndef TFLM_BATCH_MATMUL_H
#define TFLM_BATCH_MATMUL_H

#include "tflm_common.h"

typedef struct {
    int32_t batch_dims[3];      /* output batch dimensions (leading ones padded with 1) */
    int32_t lhs_strides[3];     /* elements per step of each batch dimension, 0: broadcast */
    int32_t rhs_strides[3];
    int32_t rows, depth, cols;  /* out = [rows x depth] x [depth x cols] per batch */
    int32_t lhs_adj;            /* 1: each lhs matrix is stored [depth][rows] */
    int32_t rhs_adj;            /* 1: each rhs matrix is stored [cols][depth] */
    int32_t lhs_offset, rhs_offset;     /* minus the zero points */
    int32_t output_offset;
    /* int8: QuantizeMultiplier's 31-bit multiplier; int16: reduced to 16 bits as TFLM's
     * int64 MultiplyByQuantizedMultiplier does */
    int32_t multiplier, shift;
    int32_t act_min, act_max;
} tflm_batch_matmul_params_t;

/* Scratch bytes: elements (lhs_adj ? rows * depth : 0) + (rhs_adj ? 0 : cols * depth), times
 * the element size, plus 4 for alignment; NULL when both are 0. With NULL scratch where it
 * would be needed, the kernel reads the matrices in place with their strides (slower). */
void tflm_batch_matmul_s8(const tflm_batch_matmul_params_t *p, const int8_t *lhs,
                          const int8_t *rhs, int8_t *output, int8_t *scratch);

void tflm_batch_matmul_s16(const tflm_batch_matmul_params_t *p, const int16_t *lhs,
                           const int16_t *rhs, int16_t *output, int8_t *scratch);

#endif /* TFLM_BATCH_MATMUL_H */
