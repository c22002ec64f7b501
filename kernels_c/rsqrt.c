/* RSQRT int16 kernel: see rsqrt.h. */
#include "rsqrt.h"

#include "fixedpoint_math.h"

#define RSQRT_SHIFT 20   /* TFLM keeps 1/sqrt(v) as an integer scaled by 2^20 */

void tflm_rsqrt_s16(const tflm_rsqrt_params_t *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t v = input[i];
        if (v <= 0) {
            output[i] = INT16_MAX;
            continue;
        }
        int32_t m, e;
        tflm_fp_inv_sqrt(v, &m, &e);
        const int32_t data = tflm_requantize(1, m, e + RSQRT_SHIFT);
        const int32_t out = tflm_requantize(data, p->multiplier, p->shift - RSQRT_SHIFT);
        output[i] = tflm_sat_s16(out);
    }
}
