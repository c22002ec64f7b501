/* Test driver for kernels_c/lstm.c and kernels_c/svdf.c (tests/ops/test_recurrent.py).
 * Reads one model's parameters, constants and a sequence of inputs from stdin, runs the
 * kernel once per input (state carried, starting from TFLM's reset values), and writes every
 * output followed by the final state to stdout, all as raw little-endian arrays.
 *   recurrent_harness lstm  : header = the tflm_lstm_s8_params_t fields in declaration
 *                             order (int32), n_invokes
 *   recurrent_harness svdf  : header = the tflm_svdf_params_t fields, state_bits, n_invokes
 *   recurrent_harness act   : int16 sigmoid / tanh over all 65536 inputs for a list of
 *                             (multiplier, shift) pairs given as count + pairs */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lstm.h"
#include "svdf.h"

static void *read_exact(size_t n)
{
    void *buf = malloc(n ? n : 1);
    if (buf == NULL || fread(buf, 1, n, stdin) != n) {
        fprintf(stderr, "short input\n");
        exit(2);
    }
    return buf;
}

static int32_t read_i32(void)
{
    int32_t v;
    if (fread(&v, sizeof v, 1, stdin) != 1) {
        fprintf(stderr, "short header\n");
        exit(2);
    }
    return v;
}

static void write_all(const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, stdout) != n) {
        exit(3);
    }
}

static int run_lstm(void)
{
    tflm_lstm_s8_params_t p;
    p.batch = read_i32();
    p.steps = read_i32();
    p.inputs = read_i32();
    p.state = read_i32();
    p.time_major = read_i32();
    p.input_zp = read_i32();
    p.hidden_zp = read_i32();
    for (int g = 0; g < 4; ++g) p.in_mult[g] = read_i32();
    for (int g = 0; g < 4; ++g) p.in_shift[g] = read_i32();
    for (int g = 0; g < 4; ++g) p.rec_mult[g] = read_i32();
    for (int g = 0; g < 4; ++g) p.rec_shift[g] = read_i32();
    p.fc_mult = read_i32();
    p.fc_shift = read_i32();
    p.ic_mult = read_i32();
    p.ic_shift = read_i32();
    p.h_mult = read_i32();
    p.h_shift = read_i32();
    p.cell_clip = read_i32();
    p.tanh_mult = read_i32();
    p.tanh_shift = read_i32();
    const int32_t n_invokes = read_i32();
    const size_t s = (size_t)p.state, in = (size_t)p.inputs;
    const size_t bt = (size_t)p.batch * (size_t)p.steps;
    int8_t *w_in[4], *w_rec[4];
    int32_t *bias[4];
    for (int g = 0; g < 4; ++g) w_in[g] = read_exact(s * in);
    for (int g = 0; g < 4; ++g) w_rec[g] = read_exact(s * s);
    for (int g = 0; g < 4; ++g) bias[g] = read_exact(s * sizeof(int32_t));
    int8_t *hidden = malloc((size_t)p.batch * s);
    int16_t *cell = calloc((size_t)p.batch * s, sizeof(int16_t));
    int8_t *out = malloc(bt * s);
    memset(hidden, p.hidden_zp, (size_t)p.batch * s);
    for (int32_t k = 0; k < n_invokes; ++k) {
        int8_t *x = read_exact(bt * in);
        tflm_lstm_s8(&p, x, w_in[0], w_in[1], w_in[2], w_in[3], w_rec[0], w_rec[1], w_rec[2],
                     w_rec[3], bias[0], bias[1], bias[2], bias[3], hidden, cell, out);
        write_all(out, bt * s);
        free(x);
    }
    write_all(hidden, (size_t)p.batch * s);
    write_all(cell, (size_t)p.batch * s * sizeof(int16_t));
    for (int g = 0; g < 4; ++g) {
        free(w_in[g]);
        free(w_rec[g]);
        free(bias[g]);
    }
    free(hidden);
    free(cell);
    free(out);
    return 0;
}

static int run_svdf(void)
{
    tflm_svdf_params_t p;
    p.batch = read_i32();
    p.inputs = read_i32();
    p.filters = read_i32();
    p.units = read_i32();
    p.rank = read_i32();
    p.memory = read_i32();
    p.input_zp = read_i32();
    p.state_zp = read_i32();
    p.output_zp = read_i32();
    p.scale1_mult = read_i32();
    p.scale1_shift = read_i32();
    p.scale2_mult = read_i32();
    p.scale2_shift = read_i32();
    const int32_t bits = read_i32();
    const int32_t n_invokes = read_i32();
    const size_t elem = bits == 16 ? 2 : 1;
    const size_t n_state = (size_t)p.batch * (size_t)p.filters * (size_t)p.memory;
    int8_t *wf = read_exact((size_t)p.filters * (size_t)p.inputs);
    void *wt = read_exact((size_t)p.filters * (size_t)p.memory * elem);
    int32_t *bias = read_exact((size_t)p.units * sizeof(int32_t));
    void *state = malloc(n_state * elem + 1);
    int8_t *out = malloc((size_t)p.batch * (size_t)p.units + 1);
    if (bits == 16) {
        memset(state, 0, n_state * elem);
    } else {
        memset(state, p.state_zp, n_state);   /* TFLM resets int8 variables to their zp */
    }
    for (int32_t k = 0; k < n_invokes; ++k) {
        int8_t *x = read_exact((size_t)p.batch * (size_t)p.inputs);
        if (bits == 16) {
            tflm_svdf_s8(&p, x, wf, wt, bias, state, out);
        } else {
            tflm_svdf_s8_s8state(&p, x, wf, wt, bias, state, out);
        }
        write_all(out, (size_t)p.batch * (size_t)p.units);
        free(x);
    }
    write_all(state, n_state * elem);
    free(wf);
    free(wt);
    free(bias);
    free(state);
    free(out);
    return 0;
}

static int run_act(void)
{
    const int32_t n = read_i32();
    for (int32_t v = -32768; v <= 32767; ++v) {
        const int16_t y = tflm_lstm_sigmoid_s16((int16_t)v);
        write_all(&y, sizeof y);
    }
    for (int32_t k = 0; k < n; ++k) {
        const int32_t mult = read_i32();
        const int32_t shift = read_i32();
        for (int32_t v = -32768; v <= 32767; ++v) {
            const int16_t y = tflm_lstm_tanh_s16((int16_t)v, mult, shift);
            write_all(&y, sizeof y);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s lstm|svdf|act < data\n", argv[0]);
        return 1;
    }
    if (strcmp(argv[1], "lstm") == 0) return run_lstm();
    if (strcmp(argv[1], "svdf") == 0) return run_svdf();
    if (strcmp(argv[1], "act") == 0) return run_act();
    return 1;
}
