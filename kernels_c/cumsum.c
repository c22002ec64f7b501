/* CUMSUM int8 kernel: see cumsum.h. */
#include "cumsum.h"

static inline int32_t scale_down(int32_t x, int32_t multiplier, int32_t shift)
{
    return tflm_rdbypot(tflm_srdhm(x, multiplier), -shift);
}

void tflm_cumsum_s8(const tflm_cumsum_params_t *p, const int8_t *input, int8_t *output)
{
    /* the reference's accumulator starts at the rescaled input offset, not at 0 */
    const int32_t start = scale_down((int32_t)((uint32_t)p->input_offset << 20),
                                     p->input_multiplier, p->input_shift);
    for (int32_t o = 0; o < p->outer; ++o) {
        for (int32_t i = 0; i < p->inner; ++i) {
            int32_t acc = start;
            for (int32_t k = 0; k < p->depth; ++k) {
                const int32_t d = p->reverse ? p->depth - 1 - k : k;
                const size_t at = ((size_t)o * (size_t)p->depth + (size_t)d) * (size_t)p->inner
                                  + (size_t)i;
                const int32_t y = (input[at] + p->input_offset) * (1 << 20);
                const int32_t scaled = scale_down(y, p->input_multiplier, p->input_shift);
                const int32_t before = acc;
                acc = tflm_wrap_add(acc, scaled);
                const int32_t sum = p->exclusive ? before : acc;
                const int32_t v = scale_down(sum, p->output_multiplier, p->output_shift)
                                  + p->output_offset;
                output[at] = tflm_sat_s8(v);
            }
        }
    }
}
