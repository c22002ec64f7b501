/* ADD_N int8 kernel: see add_n.h. */
#include "add_n.h"

static inline int32_t scale_down(int32_t x, int32_t multiplier, int32_t shift)
{
    return tflm_rdbypot(tflm_srdhm(x, multiplier), -shift);
}

void tflm_add_n_s8(const tflm_add_n_params_t *p, const int8_t *const *inputs, int8_t *output)
{
    /* the reference's sum starts at the rescaled input offset, not at 0 */
    const int32_t start = scale_down((int32_t)((uint32_t)p->input_offset << 20),
                                     p->input_multiplier, p->input_shift);
    for (int32_t i = 0; i < p->size; ++i) {
        int32_t acc = start;
        for (int32_t j = 0; j < p->count; ++j) {
            const int32_t y = (inputs[j][i] + p->input_offset) * (1 << 20);
            acc = tflm_wrap_add(acc, scale_down(y, p->input_multiplier, p->input_shift));
        }
        output[i] = tflm_sat_s8(scale_down(acc, p->output_multiplier, p->output_shift)
                                + p->output_offset);
    }
}
