/* GATHER_ND: slice i of the output copies slice_elems input elements starting at element
 * sum_j indices[i][j] * dim_elems[j] (run-time int32 indices). A start outside the input
 * (start < 0 or start + slice_elems > total_elems, TFLM's check) stops with -1. */
#ifndef TFLM_GATHER_ND_H
#define TFLM_GATHER_ND_H

#include "tflm_common.h"

#define TFLM_GATHER_ND_MAX_DEPTH 5

typedef struct {
    int32_t n_slices;
    int32_t index_depth;                            /* 1..TFLM_GATHER_ND_MAX_DEPTH */
    int32_t slice_elems;
    int32_t total_elems;
    int32_t elem_bytes;
    int32_t dim_elems[TFLM_GATHER_ND_MAX_DEPTH];    /* elements per step of indexed dim j */
} tflm_gather_nd_params_t;

int tflm_gather_nd(const tflm_gather_nd_params_t *p, const void *input, const int32_t *indices,
                   void *output);

#endif /* TFLM_GATHER_ND_H */
