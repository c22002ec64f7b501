/* int8 table lookup kernel (see lut_s8.h). */
#include "lut_s8.h"

void tflm_lut_s8(const tflm_lut_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const int8_t *lut = p->lut;
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = lut[(int32_t)input[i] + 128];
    }
}
