/* ABS, int8 and int16, as TFLM's AbsEvalQuantized (or plain abs for unquantized int16).
 * Parameters: tflm_py/ops/abs.py (prepare). */
#ifndef TFLM_ABS_H
#define TFLM_ABS_H

#include "tflm_common.h"

typedef struct {
    int32_t size;          /* elements */
    int32_t quantized;     /* 0: unquantized int16, abs wrapping -32768 to itself */
    int32_t rescale;       /* 1: input and output scales differ */
    int32_t input_offset;  /* input zero point */
    int32_t output_offset; /* output zero point */
    int32_t multiplier, shift;
} tflm_abs_params_t;

/* output may be the input's buffer */
void tflm_abs_s8(const tflm_abs_params_t *p, const int8_t *input, int8_t *output);
void tflm_abs_s16(const tflm_abs_params_t *p, const int16_t *input, int16_t *output);

#endif /* TFLM_ABS_H */
