/* LOG_SOFTMAX kernel: see log_softmax.h. */
#include "log_softmax.h"

#include "fixedpoint_math.h"

void tflm_log_softmax_s8(const tflm_log_softmax_params_t *p, const int8_t *input,
                         int8_t *output)
{
    for (int32_t r = 0; r < p->outer; ++r) {
        const int8_t *x = input + (size_t)r * (size_t)p->depth;
        int8_t *y = output + (size_t)r * (size_t)p->depth;
        int32_t max = -128;
        for (int32_t c = 0; c < p->depth; ++c) {
            max = x[c] > max ? x[c] : max;
        }
        int32_t sum = 0;   /* Q12.19 */
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t diff = x[c] - max;
            if (diff >= p->diff_min) {
                const int32_t d5 = tflm_requantize(diff, p->input_multiplier,
                                                   p->input_left_shift);
                sum = tflm_fp_add(sum, tflm_fp_mul_pot(tflm_fp_exp_on_negative_q5(d5), -12));
            }
        }
        const int32_t log_sum = tflm_fp_log_q12_to_q5(sum);
        const int32_t scaled_min = tflm_requantize(tflm_fp_add(log_sum, INT32_MIN),
                                                   p->reverse_divisor, p->reverse_shift);
        const int32_t limit = TFLM_MAX(p->diff_min - 1, scaled_min);
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t diff = x[c] - max;
            if (diff > limit) {
                const int32_t d5 = tflm_requantize(diff, p->input_multiplier,
                                                   p->input_left_shift);
                const int32_t v = tflm_rdbypot((int32_t)((uint32_t)d5 - (uint32_t)log_sum),
                                               31 - 5 - 4) + 127;
                y[c] = tflm_sat_s8(v);
            } else {
                y[c] = -128;
            }
        }
    }
}
