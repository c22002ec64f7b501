/* int8 -> float32 table lookup kernel (see lut_s8_f32.h). */
#include "lut_s8_f32.h"

void tflm_lut_s8_f32(const tflm_lut_s8_f32_params_t *p, const int8_t *input, float *output)
{
    const float *lut = p->lut;
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = lut[(int32_t)input[i] + 128];
    }
}
