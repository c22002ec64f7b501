/* int16 table lookup kernel (see lut_s16.h). */
#include "lut_s16.h"

void tflm_lut_s16(const tflm_lut_s16_params_t *p, const int16_t *input, int16_t *output)
{
    const int16_t *lut = p->lut;
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = lut[(int32_t)input[i] + 32768];
    }
}
