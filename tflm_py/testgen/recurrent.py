"""Random single-op models for UNIDIRECTIONAL_SEQUENCE_LSTM and SVDF (int8, stateful).

Both ops keep state in variable tensors (LSTM: int8 hidden + int16 cell state; SVDF: int16
or int8 activation state), so a model is meant to be invoked several times in a row without
reset: the state carries across invokes, in TFLM as in our simulator.

LSTM models follow the structure the TFLite converter emits for a Keras LSTM (and that TFLM's
micro kernel accepts): int8 input / hidden / output, per-tensor int8 weights for the four
gates, int32 biases, int16 cell state of a power-of-two scale, fused TANH, optional cell clip,
batch- or time-major; the four float "input_to_*_intermediate" tensors and the
effective-hidden-scale intermediate are attached as the converter does.

`extract_op(model, op)` copies one operator of a real model (constants, quantisation,
variable tensors, intermediates, options) into a stand-alone single-op model.
"""
from __future__ import annotations

import numpy as np

from ..testing import ModelBuilder

MAX_MACS = 20000


# ---------------------------------------------------------------------------- helpers

def _f32(v) -> float:
    return float(np.float32(v))


def _copy_tensor(b: ModelBuilder, t) -> int:
    q = t.quantization
    scales = None if q is None else np.asarray(q.scales)
    zps = None if q is None else np.asarray(q.zero_points)
    qdim = 0 if q is None else q.quantized_dimension
    if t.is_constant:
        return b.constant(np.array(t.data), scales=scales, zero_points=zps,
                          quantized_dimension=qdim, name=t.name, dtype=t.dtype)
    return b._tensor(t.shape, t.dtype, scales, zps, qdim, t.name, is_variable=t.is_variable)


def extract_op(model, op) -> bytes:
    """A single-op model of `op` of `model`: same tensors, quantisation, variable tensors,
    intermediates and options. Non-constant, non-variable inputs become graph inputs."""
    b = ModelBuilder()
    ins, graph_inputs = [], []
    for i in op.inputs:
        if i < 0:
            ins.append(-1)
            continue
        t = model.tensors[i]
        idx = _copy_tensor(b, t)
        ins.append(idx)
        if not t.is_constant and not t.is_variable:
            graph_inputs.append(idx)
    outs = [_copy_tensor(b, model.tensors[i]) for i in op.outputs]
    inter = [_copy_tensor(b, model.tensors[i]) for i in op.intermediates]
    opts = {k: v for k, v in vars(op.options).items() if v is not None}
    b.op(op.type, ins, outs, version=op.version, intermediates=inter, **opts)
    return b.build(inputs=graph_inputs, outputs=outs)


# ---------------------------------------------------------------------------- LSTM

def _lstm_dims(rng):
    while True:
        batch = int(rng.choice([1, 1, 1, 2, 3]))
        steps = int(rng.integers(1, 9))
        n_in = int(rng.integers(1, 17))
        n_state = int(rng.integers(1, 17))
        macs = batch * steps * 4 * n_state * (n_in + n_state)
        if macs <= MAX_MACS:
            return batch, steps, n_in, n_state


def lstm_model(rng: np.random.Generator, batch=None, steps=None, n_in=None, n_state=None,
               time_major=None, act_dtype=np.int8) -> bytes:
    """One random int8 UNIDIRECTIONAL_SEQUENCE_LSTM model (TFLM micro's supported form), or
    16x8 with act_dtype int16 (int16 input / hidden / output, zero points 0, int64 biases)."""
    act16 = np.dtype(act_dtype) == np.dtype(np.int16)
    if None in (batch, steps, n_in, n_state):
        batch, steps, n_in, n_state = _lstm_dims(rng)
    if time_major is None:
        time_major = bool(rng.random() < 0.3)
    b = ModelBuilder()
    if act16:
        in_scale = _f32(rng.choice([1 / 32768, 2 ** -12, rng.uniform(5e-5, 1e-3)]))
        in_zp = 0
    else:
        in_scale = _f32(rng.choice([1 / 255, rng.uniform(0.005, 0.1)]))
        in_zp = int(rng.choice([-128, 0, int(rng.integers(-128, 128))]))
    x_shape = (steps, batch, n_in) if time_major else (batch, steps, n_in)
    x = b.activation(x_shape, act_dtype, in_scale, in_zp, name="input")
    # hidden state / output: tanh-ish range, usually symmetric (zero point 0)
    if act16:
        h_scale = _f32(rng.choice([1 / 32768, rng.uniform(2e-5, 2e-4)]))
        h_zp = 0
    else:
        h_scale = _f32(rng.choice([1 / 128, rng.uniform(0.002, 0.02)]))
        h_zp = 0 if rng.random() < 0.7 else int(rng.integers(-20, 21))
    # typical magnitude of an input / hidden value in integer steps
    act_steps = 19000.0 if act16 else 60.0
    # cell state: a power of two (Q3.12 is what the converter picks most of the time)
    c_scale = _f32(2.0 ** -int(rng.choice([12, 12, 11, 13, 14, 15, 10])))
    spread = float(rng.choice([0.5, 1.0, 2.0, 4.0]))

    def weights(k, act_scale):
        lim = int(rng.choice([127, 127, 100, 30]))
        w = rng.integers(-lim, lim + 1, size=(n_state, k)).astype(np.int8)
        # scale so that a gate pre-activation is O(spread) in real units
        target = spread / (np.sqrt(k) * lim * max(act_scale, 1e-3 / 300 if act16 else 1e-3)
                           * act_steps)
        s = _f32(target * rng.uniform(0.5, 2.0))
        return b.constant(w, scales=[s], zero_points=[0]), s

    w_in, w_in_s, w_rec, w_rec_s = [], [], [], []
    for _ in range(4):
        t, s = weights(n_in, in_scale)
        w_in.append(t)
        w_in_s.append(s)
    for _ in range(4):
        t, s = weights(n_state, h_scale)
        w_rec.append(t)
        w_rec_s.append(s)
    biases = []
    for g in range(4):
        bs = _f32(np.float32(in_scale) * np.float32(w_in_s[g]))
        lim = int(min(2 ** 20, max(1, 2.0 / bs)))
        bias_dtype = np.int64 if act16 else np.int32
        bv = rng.integers(-lim, lim + 1, size=(n_state,)).astype(bias_dtype)
        if g == 1 and rng.random() < 0.5:  # forget gate bias ~ +1 (unit_forget_bias)
            bv = (bv // 4 + int(min(2 ** 24, 1.0 / bs))).astype(bias_dtype)
        biases.append(b.constant(bv, scales=[bs], zero_points=[0]))
    h = b.variable((batch, n_state), act_dtype, h_scale, h_zp, name="output_state")
    c = b.variable((batch, n_state), np.int16, c_scale, 0, name="cell_state")
    y_shape = (steps, batch, n_state) if time_major else (batch, steps, n_state)
    y = b.activation(y_shape, act_dtype, h_scale, h_zp, name="output")
    inter = []
    if rng.random() < 0.7:  # what the converter attaches; TFLM micro does not read them
        for name in ("input_to_input", "input_to_forget", "input_to_cell", "input_to_output"):
            inter.append(b.activation((0,), np.float32, name=name + "_intermediate"))
        inter.append(b.activation((0,), act_dtype, h_scale, h_zp,
                                  name="effective_hidden_scale_intermediate"))
    clip = float(rng.choice([0.0, 0.0, 10.0, 3.0, float(rng.uniform(0.5, 8.0))]))
    ins = [x] + w_in + w_rec + [-1, -1, -1] + biases + [-1, -1] + [h, c] + [-1] * 4
    b.op("UNIDIRECTIONAL_SEQUENCE_LSTM", ins, [y], intermediates=inter,
         fused_activation_function="TANH", cell_clip=clip, proj_clip=0.0,
         time_major=time_major, asymmetric_quantize_inputs=False)
    return b.build(inputs=[x], outputs=[y])


# ---------------------------------------------------------------------------- SVDF

def svdf_model(rng: np.random.Generator, state_dtype=None) -> bytes:
    """One random int8 SVDF model (int16 or int8 weights_time / activation state)."""
    if state_dtype is None:
        state_dtype = np.int16 if rng.random() < 0.75 else np.int8
    state_dtype = np.dtype(state_dtype)
    while True:
        batch = int(rng.choice([1, 1, 1, 2, 3]))
        n_in = int(rng.integers(1, 33))
        rank = int(rng.choice([1, 1, 2, 3]))
        units = int(rng.integers(1, 13))
        memory = int(rng.integers(1, 11))
        filters = units * rank
        if batch * filters * (n_in + memory) <= MAX_MACS:
            break
    b = ModelBuilder()
    in_scale = _f32(rng.uniform(0.005, 0.2))
    in_zp = int(rng.integers(-128, 128))
    x = b.activation((batch, n_in), np.int8, in_scale, in_zp, name="input")
    lim = int(rng.choice([127, 127, 60, 10]))
    wf = rng.integers(-lim, lim + 1, size=(filters, n_in)).astype(np.int8)
    wf_scale = _f32(rng.uniform(0.002, 0.05))
    wf_t = b.constant(wf, scales=[wf_scale], zero_points=[0])
    # the state holds the feature outputs; pick its scale so that they use its range
    feat = in_scale * wf_scale * lim * 70.0 * np.sqrt(n_in)
    if state_dtype == np.int16:
        st_scale = _f32(feat / 32767.0 * rng.uniform(0.3, 3.0))
        st_zp = 0
        wt_lim = int(rng.choice([32767, 20000, 3000, 300]))
        wt = rng.integers(-wt_lim, wt_lim + 1, size=(filters, memory)).astype(np.int16)
        wt_scale = _f32(rng.uniform(0.5, 2.0) / wt_lim)
    else:
        st_scale = _f32(feat / 127.0 * rng.uniform(0.3, 3.0))
        st_zp = int(rng.choice([0, 0, int(rng.integers(-60, 61))]))
        wt_lim = int(rng.choice([127, 127, 60, 10]))
        wt = rng.integers(-wt_lim, wt_lim + 1, size=(filters, memory)).astype(np.int8)
        wt_scale = _f32(rng.uniform(0.5, 2.0) / wt_lim)
    wt_t = b.constant(wt, scales=[wt_scale], zero_points=[0], dtype=state_dtype)
    bias_scale = _f32(np.float32(st_scale) * np.float32(wt_scale))
    acc_typ = (32767.0 if state_dtype == np.int16 else 127.0) * wt_lim * np.sqrt(memory * rank)
    blim = int(min(2 ** 24, max(1, acc_typ * rng.uniform(0.01, 1.0))))
    bias = b.constant(rng.integers(-blim, blim + 1, size=(units,)).astype(np.int32),
                      scales=[bias_scale], zero_points=[0])
    state = b.variable((batch, memory * filters), state_dtype, st_scale, st_zp,
                       name="activation_state")
    out_real = st_scale * wt_scale * acc_typ * 0.3
    y_scale = _f32(out_real / 127.0 * rng.uniform(0.3, 3.0))
    y_zp = int(rng.integers(-128, 128))
    y = b.activation((batch, units), np.int8, y_scale, y_zp, name="output")
    act = str(rng.choice(["NONE", "NONE", "RELU"]))
    b.op("SVDF", [x, wf_t, wt_t, bias, state], [y], rank=rank,
         fused_activation_function=act, asymmetric_quantize_inputs=False)
    return b.build(inputs=[x], outputs=[y])


GENERATORS = {
    "UNIDIRECTIONAL_SEQUENCE_LSTM": lstm_model,
    "SVDF": svdf_model,
}
