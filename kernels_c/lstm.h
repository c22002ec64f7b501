/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations / weights, int16 cell state, as TFLM's micro
 * kernel computes it (no CIFG, peephole, projection or layer norm). Python twin:
 * tflm_py/ops/lstm.py. */
#ifndef TFLM_LSTM_H
#define TFLM_LSTM_H

#include <stdint.h>

/* Gate order in the arrays below: input, forget, cell, output. */
typedef struct {
    int32_t batch;          /* B */
    int32_t steps;          /* T */
    int32_t inputs;         /* I: input features per step */
    int32_t state;          /* S: hidden / cell units */
    int32_t time_major;     /* 1: input [T, B, I], 0: input [B, T, I] (output likewise) */
    int32_t input_zp;
    int32_t hidden_zp;
    int32_t in_mult[4];     /* input FC -> Q3.12 requantisation, per gate */
    int32_t in_shift[4];
    int32_t rec_mult[4];    /* recurrent FC -> Q3.12, per gate */
    int32_t rec_shift[4];
    int32_t fc_mult;        /* forget gate x cell state -> cell scale */
    int32_t fc_shift;
    int32_t ic_mult;        /* input gate x cell gate -> cell scale */
    int32_t ic_shift;
    int32_t h_mult;         /* tanh(cell) x output gate -> hidden scale */
    int32_t h_shift;
    int32_t cell_clip;      /* quantized |cell| bound, 0 = no clipping */
    int32_t tanh_mult;      /* int16 tanh input multiplier / rounding right shift for the cell */
    int32_t tanh_shift;
} tflm_lstm_s8_params_t;

/* Runs all T steps. hidden_state [B, S] int8 and cell_state [B, S] int16 are the persistent
 * state, updated in place. No scratch memory needed. */
void tflm_lstm_s8(const tflm_lstm_s8_params_t *p, const int8_t *input,
                  const int8_t *w_in_input, const int8_t *w_in_forget,
                  const int8_t *w_in_cell, const int8_t *w_in_output,
                  const int8_t *w_rec_input, const int8_t *w_rec_forget,
                  const int8_t *w_rec_cell, const int8_t *w_rec_output,
                  const int32_t *b_input, const int32_t *b_forget,
                  const int32_t *b_cell, const int32_t *b_output,
                  int8_t *hidden_state, int16_t *cell_state, int8_t *output);

/* The 16x8 LSTM (int16 input / hidden state / output, int8 weights, int64 biases): the same
 * parameters (input_zp / hidden_zp must be 0), TFLM's 16x8 FC arithmetic (int64 accumulator,
 * multipliers rounded to 16 bits) for the gates, int16 saturation of the hidden value. */
void tflm_lstm_s16(const tflm_lstm_s8_params_t *p, const int16_t *input,
                   const int8_t *w_in_input, const int8_t *w_in_forget,
                   const int8_t *w_in_cell, const int8_t *w_in_output,
                   const int8_t *w_rec_input, const int8_t *w_rec_forget,
                   const int8_t *w_rec_cell, const int8_t *w_rec_output,
                   const int64_t *b_input, const int64_t *b_forget,
                   const int64_t *b_cell, const int64_t *b_output,
                   int16_t *hidden_state, int16_t *cell_state, int16_t *output);

/* TFLM's int16 nonlinearities (exposed for tests): sigmoid of a Q3.12 value and tanh of
 * (x * multiplier) >> shift (rounded), both giving Q0.15. */
int16_t tflm_lstm_sigmoid_s16(int16_t x);
int16_t tflm_lstm_tanh_s16(int16_t x, int32_t multiplier, int32_t shift);

#endif /* TFLM_LSTM_H */
