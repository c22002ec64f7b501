/* SELECT_V2: output = condition ? x : y element by element, with the three inputs broadcast
 * over 5 dimensions. Parameters: tflm_py/ops/select_v2.py (prepare). */
#ifndef TFLM_SELECT_V2_H
#define TFLM_SELECT_V2_H

#include "tflm_common.h"

typedef struct {
    int32_t dims[5];          /* output dimensions, outermost first */
    int32_t cond_strides[5];  /* strides in elements, 0 where broadcast */
    int32_t x_strides[5];
    int32_t y_strides[5];
} tflm_select_v2_params_t;

/* output may be the buffer of x or y when that input is not broadcast */
void tflm_select_v2_s8(const tflm_select_v2_params_t *p, const uint8_t *condition,
                       const int8_t *x, const int8_t *y, int8_t *output);
void tflm_select_v2_s16(const tflm_select_v2_params_t *p, const uint8_t *condition,
                        const int16_t *x, const int16_t *y, int16_t *output);

#endif /* TFLM_SELECT_V2_H */
