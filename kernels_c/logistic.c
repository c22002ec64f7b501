/* LOGISTIC int8 kernel: table lookup (see logistic.h). */
#include "logistic.h"

void tflm_logistic_s8(const tflm_logistic_params_t *p, const int8_t *input, int8_t *output)
{
    const int8_t *lut = p->lut;
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = lut[(int32_t)input[i] + 128];
    }
}
