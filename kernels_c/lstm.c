/* Integer LSTM step, bit-exact with TFLM's micro UNIDIRECTIONAL_SEQUENCE_LSTM (int8 x int8 ->
 * int16 cell). Each state unit is finished on its own (four gates, cell update, new hidden
 * value written into the output row); the hidden state is refreshed from the output row
 * after the step, so the old hidden vector stays readable for all units. */
#include "lstm.h"

#include <string.h>

#include "sigmoid_s16.h"
#include "tflm_common.h"

int16_t tflm_lstm_sigmoid_s16(int16_t x)
{
    return tflm_sigmoid_q15((int32_t)x * 3);
}

int16_t tflm_lstm_tanh_s16(int16_t x, int32_t multiplier, int32_t shift)
{
    return tflm_tanh_q15(tflm_sigmoid_rescale_s16(x, multiplier, shift));
}

/* One FC row to Q3.12: sum w * (v - zp) (+ bias), requantised, clamped to int16. The int32
 * accumulation of TFLM wraps; an int64 sum truncated to 32 bits gives the same value. */
static int32_t lstm_fc_row(const int8_t *w, const int8_t *v, int32_t n, int32_t zp,
                           const int32_t *bias, int32_t mult, int32_t shift)
{
    int64_t acc = bias != NULL ? *bias : 0;
    for (int32_t i = 0; i < n; ++i) {
        acc += (int32_t)w[i] * ((int32_t)v[i] - zp);
    }
    const int32_t acc32 = (int32_t)(uint32_t)(uint64_t)acc;
    return TFLM_CLAMP(tflm_requantize(acc32, mult, shift), -32768, 32767);
}

/* The gates (input, forget, cell, output; Q0.15) to the new cell value, written to *c, and
 * the new hidden value tanh(c) * o before its saturation to the output type. */
static int32_t lstm_cell_and_hidden(const tflm_lstm_s8_params_t *p, const int16_t gate[4],
                                    int16_t *c)
{
    /* cell: f * c + i * g, saturated, clipped */
    const int32_t kept = TFLM_CLAMP(
        tflm_requantize((int32_t)gate[1] * *c, p->fc_mult, p->fc_shift), -32768, 32767);
    const int32_t added = TFLM_CLAMP(
        tflm_requantize((int32_t)gate[0] * gate[2], p->ic_mult, p->ic_shift), -32768, 32767);
    int32_t cell = TFLM_CLAMP(kept + added, -32768, 32767);
    if (p->cell_clip > 0) {
        cell = TFLM_CLAMP(cell, -p->cell_clip, p->cell_clip);
    }
    *c = (int16_t)cell;
    /* hidden: tanh(c) * o */
    const int16_t t = tflm_lstm_tanh_s16((int16_t)cell, p->tanh_mult, p->tanh_shift);
    return tflm_requantize((int32_t)t * gate[3], p->h_mult, p->h_shift) + p->hidden_zp;
}

void tflm_lstm_s8(const tflm_lstm_s8_params_t *p, const int8_t *input,
                  const int8_t *w_in_input, const int8_t *w_in_forget,
                  const int8_t *w_in_cell, const int8_t *w_in_output,
                  const int8_t *w_rec_input, const int8_t *w_rec_forget,
                  const int8_t *w_rec_cell, const int8_t *w_rec_output,
                  const int32_t *b_input, const int32_t *b_forget,
                  const int32_t *b_cell, const int32_t *b_output,
                  int8_t *hidden_state, int16_t *cell_state, int8_t *output)
{
    const int8_t *const w_in[4] = {w_in_input, w_in_forget, w_in_cell, w_in_output};
    const int8_t *const w_rec[4] = {w_rec_input, w_rec_forget, w_rec_cell, w_rec_output};
    const int32_t *const bias[4] = {b_input, b_forget, b_cell, b_output};
    const int32_t n_in = p->inputs;
    const int32_t n_state = p->state;

    for (int32_t outer = 0; outer < (p->time_major ? p->steps : p->batch); ++outer) {
        for (int32_t inner = 0; inner < (p->time_major ? p->batch : p->steps); ++inner) {
            const int32_t b = p->time_major ? inner : outer;
            const int32_t row = outer * (p->time_major ? p->batch : p->steps) + inner;
            const int8_t *x = input + (size_t)row * (size_t)n_in;
            int8_t *y = output + (size_t)row * (size_t)n_state;
            int8_t *h = hidden_state + (size_t)b * (size_t)n_state;
            int16_t *c = cell_state + (size_t)b * (size_t)n_state;

            for (int32_t j = 0; j < n_state; ++j) {
                int16_t gate[4];
                for (int g = 0; g < 4; ++g) {
                    const int32_t from_x = lstm_fc_row(w_in[g] + (size_t)j * (size_t)n_in, x,
                                                       n_in, p->input_zp, bias[g] + j,
                                                       p->in_mult[g], p->in_shift[g]);
                    const int32_t from_h = lstm_fc_row(
                        w_rec[g] + (size_t)j * (size_t)n_state, h, n_state, p->hidden_zp,
                        NULL, p->rec_mult[g], p->rec_shift[g]);
                    const int16_t pre = tflm_sat_s16(from_x + from_h);
                    gate[g] = g == 2 ? tflm_lstm_tanh_s16(pre, 3, 0)
                                     : tflm_lstm_sigmoid_s16(pre);
                }
                y[j] = tflm_sat_s8(lstm_cell_and_hidden(p, gate, &c[j]));
            }
            memcpy(h, y, (size_t)n_state);
        }
    }
}

/* One 16x8 FC row to Q3.12: sum w * v (+ bias) in int64 (TFLM's 16x8 FC applies no input
 * offset), requantised by the int64 MultiplyByQuantizedMultiplier, clamped to int16. */
static int32_t lstm_fc_row_s16(const int8_t *w, const int16_t *v, int32_t n,
                               const int64_t *bias, int32_t mult, int32_t shift)
{
    int64_t acc = bias != NULL ? *bias : 0;
    for (int32_t i = 0; i < n; ++i) {
        acc += (int32_t)w[i] * (int32_t)v[i];
    }
    return TFLM_CLAMP(tflm_requantize_s64(acc, mult, shift), -32768, 32767);
}

void tflm_lstm_s16(const tflm_lstm_s8_params_t *p, const int16_t *input,
                   const int8_t *w_in_input, const int8_t *w_in_forget,
                   const int8_t *w_in_cell, const int8_t *w_in_output,
                   const int8_t *w_rec_input, const int8_t *w_rec_forget,
                   const int8_t *w_rec_cell, const int8_t *w_rec_output,
                   const int64_t *b_input, const int64_t *b_forget,
                   const int64_t *b_cell, const int64_t *b_output,
                   int16_t *hidden_state, int16_t *cell_state, int16_t *output)
{
    const int8_t *const w_in[4] = {w_in_input, w_in_forget, w_in_cell, w_in_output};
    const int8_t *const w_rec[4] = {w_rec_input, w_rec_forget, w_rec_cell, w_rec_output};
    const int64_t *const bias[4] = {b_input, b_forget, b_cell, b_output};
    const int32_t n_in = p->inputs;
    const int32_t n_state = p->state;

    for (int32_t outer = 0; outer < (p->time_major ? p->steps : p->batch); ++outer) {
        for (int32_t inner = 0; inner < (p->time_major ? p->batch : p->steps); ++inner) {
            const int32_t b = p->time_major ? inner : outer;
            const int32_t row = outer * (p->time_major ? p->batch : p->steps) + inner;
            const int16_t *x = input + (size_t)row * (size_t)n_in;
            int16_t *y = output + (size_t)row * (size_t)n_state;
            int16_t *h = hidden_state + (size_t)b * (size_t)n_state;
            int16_t *c = cell_state + (size_t)b * (size_t)n_state;

            for (int32_t j = 0; j < n_state; ++j) {
                int16_t gate[4];
                for (int g = 0; g < 4; ++g) {
                    const int32_t from_x = lstm_fc_row_s16(
                        w_in[g] + (size_t)j * (size_t)n_in, x, n_in, bias[g] + j,
                        p->in_mult[g], p->in_shift[g]);
                    const int32_t from_h = lstm_fc_row_s16(
                        w_rec[g] + (size_t)j * (size_t)n_state, h, n_state, NULL,
                        p->rec_mult[g], p->rec_shift[g]);
                    const int16_t pre = tflm_sat_s16(from_x + from_h);
                    gate[g] = g == 2 ? tflm_lstm_tanh_s16(pre, 3, 0)
                                     : tflm_lstm_sigmoid_s16(pre);
                }
                y[j] = tflm_sat_s16(lstm_cell_and_hidden(p, gate, &c[j]));
            }
            memcpy(h, y, (size_t)n_state * sizeof(int16_t));
        }
    }
}
