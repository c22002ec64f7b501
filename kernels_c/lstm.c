/* Integer LSTM step, bit-exact with TFLM's micro UNIDIRECTIONAL_SEQUENCE_LSTM (int8 x int8 ->
 * int16 cell). Each state unit is finished on its own (four gates, cell update, new hidden
 * value written into the output row); the hidden state is refreshed from the output row
 * after the step, so the old hidden vector stays readable for all units. */
#include "lstm.h"

#include <string.h>

#include "tflm_common.h"

/* sigmoid(i / 24) in unsigned 0.16 fixed point (the table TFLM and CMSIS-NN use) */
static const uint16_t lstm_sigmoid_u16[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
    40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
    47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
    53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
    62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
    64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
    65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
    65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
    65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535};

int16_t tflm_lstm_sigmoid_s16(int16_t x)
{
    const int32_t v = (int32_t)x * 3;
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t hi = a >> 9;
    uint32_t r;
    if (hi >= 255u) {
        r = 0x7FFFu << 10;
    } else {
        const uint32_t lo_val = lstm_sigmoid_u16[hi];
        const uint32_t hi_val = lstm_sigmoid_u16[hi + 1];
        r = (lo_val << 9) + (a & 0x1FFu) * (hi_val - lo_val);
    }
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
    return (int16_t)(r >> 10);
}

int16_t tflm_lstm_tanh_s16(int16_t x, int32_t multiplier, int32_t shift)
{
    int32_t v = (int32_t)x * multiplier;
    if (shift > 0) {
        v = (v + ((int32_t)1 << (shift - 1))) >> shift;
    }
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t hi = a >> 8;
    int32_t r;
    if (hi >= 255u) {
        r = (int32_t)(0xFFFFu << 8);
    } else {
        const uint32_t lo_val = lstm_sigmoid_u16[hi];
        const uint32_t hi_val = lstm_sigmoid_u16[hi + 1];
        r = (int32_t)((lo_val << 8) + (a & 0xFFu) * (hi_val - lo_val));
    }
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(r >> 8);
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
                /* cell: f * c + i * g, saturated, clipped */
                const int32_t kept = TFLM_CLAMP(
                    tflm_requantize((int32_t)gate[1] * c[j], p->fc_mult, p->fc_shift),
                    -32768, 32767);
                const int32_t added = TFLM_CLAMP(
                    tflm_requantize((int32_t)gate[0] * gate[2], p->ic_mult, p->ic_shift),
                    -32768, 32767);
                int32_t cell = TFLM_CLAMP(kept + added, -32768, 32767);
                if (p->cell_clip > 0) {
                    cell = TFLM_CLAMP(cell, -p->cell_clip, p->cell_clip);
                }
                c[j] = (int16_t)cell;
                /* hidden: tanh(c) * o */
                const int16_t t = tflm_lstm_tanh_s16((int16_t)cell, p->tanh_mult, p->tanh_shift);
                const int32_t hv =
                    tflm_requantize((int32_t)t * gate[3], p->h_mult, p->h_shift) + p->hidden_zp;
                y[j] = tflm_sat_s8(hv);
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
                /* cell: f * c + i * g, saturated, clipped */
                const int32_t kept = TFLM_CLAMP(
                    tflm_requantize((int32_t)gate[1] * c[j], p->fc_mult, p->fc_shift),
                    -32768, 32767);
                const int32_t added = TFLM_CLAMP(
                    tflm_requantize((int32_t)gate[0] * gate[2], p->ic_mult, p->ic_shift),
                    -32768, 32767);
                int32_t cell = TFLM_CLAMP(kept + added, -32768, 32767);
                if (p->cell_clip > 0) {
                    cell = TFLM_CLAMP(cell, -p->cell_clip, p->cell_clip);
                }
                c[j] = (int16_t)cell;
                /* hidden: tanh(c) * o, in int16 */
                const int16_t t = tflm_lstm_tanh_s16((int16_t)cell, p->tanh_mult, p->tanh_shift);
                const int32_t hv =
                    tflm_requantize((int32_t)t * gate[3], p->h_mult, p->h_shift) + p->hidden_zp;
                y[j] = tflm_sat_s16(hv);
            }
            memcpy(h, y, (size_t)n_state * sizeof(int16_t));
        }
    }
}
