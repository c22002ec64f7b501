/* MEAN int8 / int16 kernels (TFLM QuantizedMeanOrSum arithmetic). */
#include "mean.h"

/* Advance a row-major odometer over n strided dimensions; returns 0 once it wraps around. */
static int mean_next(int32_t n, const int32_t *dims, const int32_t *strides, int32_t *idx,
                     size_t *offset)
{
    for (int32_t d = n - 1; d >= 0; --d) {
        ++idx[d];
        *offset += (size_t)strides[d];
        if (idx[d] < dims[d]) {
            return 1;
        }
        *offset -= (size_t)strides[d] * (size_t)dims[d];
        idx[d] = 0;
    }
    return 0;
}

void tflm_mean_s8(const tflm_mean_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t kept_idx[TFLM_MEAN_MAX_DIMS] = {0};
    size_t kept_off = 0;
    const int32_t zp_sum = (int32_t)((uint32_t)p->input_zero_point * (uint32_t)p->count);
    do {
        int32_t red_idx[TFLM_MEAN_MAX_DIMS] = {0};
        size_t red_off = 0;
        uint32_t sum = 0;   /* int32 sum, wrapping like the reference */
        do {
            sum += (uint32_t)(int32_t)input[kept_off + red_off];
        } while (mean_next(p->reduced_n, p->reduced_dims, p->reduced_strides, red_idx,
                           &red_off));
        const int32_t shifted = (int32_t)(sum - (uint32_t)zp_sum);
        const int64_t out = (int64_t)tflm_requantize(shifted, p->multiplier, p->shift)
                            + p->output_zero_point;
        *output++ = (int8_t)TFLM_CLAMP(out, -128, 127);
    } while (mean_next(p->kept_n, p->kept_dims, p->kept_strides, kept_idx, &kept_off));
}

void tflm_mean_s16(const tflm_mean_params_t *p, const int16_t *input,
                    int16_t *output)
{
    int32_t kept_idx[TFLM_MEAN_MAX_DIMS] = {0};
    size_t kept_off = 0;
    const int32_t zp_sum = (int32_t)((uint32_t)p->input_zero_point * (uint32_t)p->count);
    do {
        int32_t red_idx[TFLM_MEAN_MAX_DIMS] = {0};
        size_t red_off = 0;
        uint32_t sum = 0;   /* int32 sum, wrapping like the reference */
        do {
            sum += (uint32_t)(int32_t)input[kept_off + red_off];
        } while (mean_next(p->reduced_n, p->reduced_dims, p->reduced_strides, red_idx,
                           &red_off));
        const int32_t shifted = (int32_t)(sum - (uint32_t)zp_sum);
        const int64_t out = (int64_t)tflm_requantize(shifted, p->multiplier, p->shift)
                            + p->output_zero_point;
        *output++ = (int16_t)TFLM_CLAMP(out, -32768, 32767);
    } while (mean_next(p->kept_n, p->kept_dims, p->kept_strides, kept_idx, &kept_off));
}
