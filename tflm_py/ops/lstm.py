"""UNIDIRECTIONAL_SEQUENCE_LSTM room: the integer LSTM as TFLM (micro) runs it, int8 and 16x8.

Scope (what TFLM's micro kernel accepts, int8 flavour): int8 input / output / hidden state,
int8 per-tensor weights (zero point 0) for all four gates (no CIFG), int32 gate biases,
int16 cell state, no peephole, no projection, no layer norm, fused cell-gate activation TANH,
batch-major or time-major, optional cell clip. The 16x8 flavour (EvalLstm<int16_t, int8_t,
int16_t, int64_t>) has int16 input / output / hidden state and int64 gate biases; its FCs are
TFLM's 16x8 FullyConnected (int64 accumulator, no input offset, the int64
MultiplyByQuantizedMultiplier), the rest is the same with int16 saturation of the hidden value.

How TFLM computes one time step (lstm_eval.h / lstm_eval.cc / lstm_eval_common.cc), per gate
g in (forget, input, cell, output):
    a = FC_int16(x_t;  W_in_g,  bias_g, mult(input_scale * w_scale / 2^-12))
    b = FC_int16(h;    W_rec_g, no bias, mult(hidden_scale * w_scale / 2^-12))
        (FC = sum w*(v - zp) [+ bias], MultiplyByQuantizedMultiplier, clamp to int16;
         the product of the two float32 scales is rounded to float32, then divided in double)
    gate_g = saturate_int16(a + b)   (Q3.12)
    gate_g = sigmoid_int16(gate_g)  (tanh_int16 for the cell gate)   -> Q0.15
    c = Mul16(f, c) ; t = Mul16(i, g) ; c = saturate_int16(c + t) ; clip to +-cell_clip
    h = Mul8(tanh_int16(c, cell scale power), o) (+ hidden zero point, clamp int8)
    output[t] = h
The int16 sigmoid / tanh are reference_integer_ops::Logistic / Tanh on int16 (a 256-entry
sigmoid table with linear interpolation). The Mul parameters come from
double(s1) * double(s2) / double(s_out). The op's intermediate tensors are not read by this
kernel (gate pre-activations are always Q3.12, gate outputs Q0.15).

The C kernel works element by element of the state vector: for each unit it computes the four
gates, updates the cell, and writes the new hidden value straight into the output row; the
hidden state is refreshed from that row once the step is done. No scratch memory.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from .. import quant
from ._lut16 import logistic_s16, tanh_s16

OPS = ("UNIDIRECTIONAL_SEQUENCE_LSTM",)
INPLACE = None

# input indices (lstm_shared.h)
X = 0
W_IN = (1, 2, 3, 4)        # input-to-{input, forget, cell, output} weights
W_REC = (5, 6, 7, 8)       # recurrent-to-{input, forget, cell, output} weights
PEEPHOLE = (9, 10, 11)
BIAS = (12, 13, 14, 15)    # {input, forget, cell, output} gate bias
PROJECTION = (16, 17)
HIDDEN = 18                # output state (variable)
CELL = 19                  # cell state (variable)
LAYER_NORM = (20, 21, 22, 23)

GATE_PRE_SCALE = 2.0 ** -12    # Q3.12 gate pre-activations
GATE_OUT_SCALE = 2.0 ** -15    # Q0.15 gate outputs



# ---------------------------------------------------------------------------- int16 nonlinearities

def sigmoid_int16(x) -> np.ndarray:
    """reference_integer_ops::Logistic on int16 with input_multiplier = 0, left shift 0
    (Q3.12 in, Q0.15 out)."""
    return logistic_s16(x, 3, 0)


def tanh_params(cell_scale_power: int) -> tuple[int, int]:
    """(multiplier, right shift) of TFLM's int16 tanh input for a state of scale 2^power
    (lstm_internal::Tanh + the power-of-two case of reference_integer_ops::Tanh)."""
    left = 15 + cell_scale_power - 3
    if left >= 0:
        return 3 << left, 0
    return 3, -left


def tanh_int16(x, multiplier: int = 3, shift: int = 0) -> np.ndarray:
    """reference_integer_ops::Tanh on int16 (Q0.15 out)."""
    return tanh_s16(x, multiplier, shift)


# ---------------------------------------------------------------------------- checks

def _t(model, op, i):
    return model.tensor(op.inputs[i]) if i < len(op.inputs) else None


def _cell_scale_power(scale: float) -> int:
    # CheckedLog2: log(x) * (1 / log(2)) in float32, rounded half away from zero
    lg = np.float32(math.log(np.float32(scale))) * np.float32(1.0 / np.float32(math.log(2.0)))
    return int(math.floor(abs(float(lg)) + 0.5)) * (1 if lg >= 0 else -1)


def check(op, model) -> None:
    if len(op.inputs) != 24 or len(op.outputs) != 1:
        raise UnsupportedError(f"expects 24 inputs and 1 output, got {len(op.inputs)} and "
                               f"{len(op.outputs)}")
    x, y = _t(model, op, X), model.tensor(op.outputs[0])
    act = x.type_name if x is not None else None
    if act not in ("INT8", "INT16") or y.type_name != act:
        raise UnsupportedError("input and output must both be int8, or both int16 (16x8); "
                               f"got {act} and {y.type_name} (float LSTM is not supported)")
    bias_type = "INT32" if act == "INT8" else "INT64"
    if len(x.shape) != 3 or len(y.shape) != 3:
        raise UnsupportedError("input and output must be 3-D")
    for i in W_IN + W_REC:
        w = _t(model, op, i)
        if w is None:
            raise UnsupportedError("CIFG LSTM (missing input gate weights) is not supported "
                                   "by TFLM's micro kernel")
        if w.type_name != "INT8" or not w.is_constant:
            raise UnsupportedError("gate weights must be constant int8 tensors")
        if w.quantization is None or w.quantization.per_channel:
            raise UnsupportedError("gate weights must be quantized per-tensor (TFLM's LSTM "
                                   "has no per-channel path)")
        if int(w.quantization.zero_points[0]) != 0:
            raise UnsupportedError("gate weights must have zero point 0")
    for i in BIAS:
        b = _t(model, op, i)
        if b is None or b.type_name != bias_type or not b.is_constant:
            raise UnsupportedError(f"gate biases must be constant {bias_type.lower()} tensors "
                                   f"with {act.lower()} activations")
    for name, idxs in (("peephole", PEEPHOLE), ("projection", PROJECTION),
                       ("layer norm", LAYER_NORM)):
        if any(op.inputs[i] >= 0 for i in idxs):
            raise UnsupportedError(f"{name} LSTM is not supported by TFLM's micro kernel")
    h, c = _t(model, op, HIDDEN), _t(model, op, CELL)
    if h is None or c is None or not h.is_variable or not c.is_variable:
        raise UnsupportedError("hidden and cell state must be variable tensors")
    if h.type_name != act:
        raise UnsupportedError(f"hidden state must be {act.lower()} like the input")
    if c.type_name != "INT16":
        raise UnsupportedError("cell state must be int16")
    for t in (x, y, h, c):
        if t.quantization is None or t.quantization.per_channel:
            raise UnsupportedError(f"tensor {t.name} must be quantized per-tensor")
    if len(h.shape) != 2:
        raise UnsupportedError("hidden state must be 2-D [batch, state]")
    act = getattr(op.options, "fused_activation_function", "NONE")
    if act != "TANH":
        raise UnsupportedError(f"cell gate activation {act} is not supported (only TANH)")
    clip = float(getattr(op.options, "cell_clip", 0.0) or 0.0)
    if clip < 0:
        raise UnsupportedError("negative cell_clip")
    g = _geometry(op, model)
    for i in W_IN:
        if tuple(_t(model, op, i).shape) != (g.state, g.inputs):
            raise UnsupportedError(f"input weights must be [{g.state}, {g.inputs}]")
    for i in W_REC:
        if tuple(_t(model, op, i).shape) != (g.state, g.state):
            raise UnsupportedError(f"recurrent weights must be [{g.state}, {g.state}]")
    for i in BIAS:
        if tuple(_t(model, op, i).shape) != (g.state,):
            raise UnsupportedError(f"gate biases must be [{g.state}]")
    if h.size != g.batch * g.state or c.size != g.batch * g.state:
        raise UnsupportedError("state tensors must hold batch * state elements")
    if tuple(y.shape) != (x.shape[0], x.shape[1], g.state):
        raise UnsupportedError(f"output shape {list(y.shape)} does not match the input / state")
    if act == "INT16":
        if any(t.quantization.zero_point != 0 for t in (x, y, h)):
            raise UnsupportedError("16x8 LSTM needs zero points 0 on the int16 input, hidden "
                                   "state and output (TFLM's 16x8 FC ignores them)")
        pp = prepare(op, model)
        if max(pp.in_shift + pp.rec_shift) > 14:
            raise UnsupportedError("gate FC multiplier too large for TFLM's int64 "
                                   "requantisation (shift > 14)")
    p = _cell_scale_power(c.quantization.scale)
    m, s = tanh_params(p)
    if m > 0xFFFF or s > 30:
        raise UnsupportedError(f"cell state scale {c.quantization.scale} is out of range")


def _geometry(op, model):
    x = _t(model, op, X)
    h = _t(model, op, HIDDEN)
    time_major = bool(getattr(op.options, "time_major", False))
    batch = int(x.shape[1] if time_major else x.shape[0])
    steps = int(x.shape[0] if time_major else x.shape[1])
    return SimpleNamespace(time_major=int(time_major), batch=batch, steps=steps,
                           inputs=int(x.shape[2]), state=int(h.shape[1]))


def macs(op, model) -> int:
    g = _geometry(op, model)
    # four gates of (input + recurrent) matrix-vector products, plus the element-wise work
    return g.batch * g.steps * (4 * g.state * (g.inputs + g.state) + 3 * g.state)


def state_bytes(op, model) -> int:
    """Bytes of persistent state (hidden int8 + cell int16), held in variable tensors."""
    return sum(_t(model, op, i).nbytes for i in (HIDDEN, CELL))


def scratch_bytes(op, model) -> int:
    return 0


def _fc_mult(act_scale, w_scale):
    prod = np.float32(act_scale) * np.float32(w_scale)      # float32 product, as TFLM
    return quant.quantize_multiplier(float(prod) / float(np.float32(GATE_PRE_SCALE)))


def _mul_mult(s1, s2, s_out):
    return quant.quantize_multiplier(float(np.float32(s1)) * float(np.float32(s2))
                                     / float(np.float32(s_out)))


def prepare(op, model):
    g = _geometry(op, model)
    x, h, c = _t(model, op, X), _t(model, op, HIDDEN), _t(model, op, CELL)
    g.act16 = x.type_name == "INT16"
    xs, hs, cs = x.quantization.scale, h.quantization.scale, c.quantization.scale
    g.input_zp = x.quantization.zero_point
    g.hidden_zp = h.quantization.zero_point
    g.in_mult, g.in_shift, g.rec_mult, g.rec_shift = [], [], [], []
    for k in range(4):
        m, s = _fc_mult(xs, _t(model, op, W_IN[k]).quantization.scale)
        g.in_mult.append(m)
        g.in_shift.append(s)
        m, s = _fc_mult(hs, _t(model, op, W_REC[k]).quantization.scale)
        g.rec_mult.append(m)
        g.rec_shift.append(s)
    g.fc_mult, g.fc_shift = _mul_mult(GATE_OUT_SCALE, cs, cs)        # forget x cell
    g.ic_mult, g.ic_shift = _mul_mult(GATE_OUT_SCALE, GATE_OUT_SCALE, cs)   # input x cell gate
    g.h_mult, g.h_shift = _mul_mult(GATE_OUT_SCALE, GATE_OUT_SCALE, hs)     # tanh(c) x output
    clip = float(getattr(op.options, "cell_clip", 0.0) or 0.0)
    if clip > 0:
        q = float(np.float32(clip)) / float(np.float32(cs))
        q = min(max(q, -32768.0), 32767.0)
        g.cell_clip = int(q)   # truncation toward zero, as static_cast<int16_t>
    else:
        g.cell_clip = 0
    g.cell_scale_power = _cell_scale_power(cs)
    g.tanh_mult, g.tanh_shift = tanh_params(g.cell_scale_power)
    return g


# ---------------------------------------------------------------------------- simulation

def _requant(acc, m, s):
    return quant.multiply_by_quantized_multiplier(acc, m, s)


def _fc16(v, w, bias, m, s, acc64=False):
    """FC to int16: v (B, K) int64 already offset, w (N, K) int64. acc64: the 16x8 FC (int64
    accumulator and bias, int64 MultiplyByQuantizedMultiplier)."""
    if acc64:
        acc = v @ w.T
        if bias is not None:
            acc = acc + bias[None, :]
        return np.clip(quant.multiply_by_quantized_multiplier_int64(acc, m, s), -32768, 32767)
    acc = quant.wrap_int32(v @ w.T)
    if bias is not None:
        acc = quant.wrap_int32(acc + bias[None, :])
    return np.clip(_requant(acc, m, s), -32768, 32767)


def _mul(a, b, m, s, offset, lo, hi):
    prod = np.asarray(a, dtype=np.int64) * np.asarray(b, dtype=np.int64)
    return np.clip(_requant(prod, m, s) + offset, lo, hi)


def lstm_step(p, x_t, h, c, w_in, w_rec, biases):
    """One time step for B rows. x_t (B, I) int8, h (B, S) int8, c (B, S) int16 ->
    (new h int8, new c int16); 16x8: x_t, h and the new h int16."""
    act16 = getattr(p, "act16", False)
    # TFLM's 16x8 FC has no input offset (the zero points are 0 in converted models)
    xv = x_t.astype(np.int64) - (0 if act16 else p.input_zp)
    hv = h.astype(np.int64) - (0 if act16 else p.hidden_zp)
    gates = []
    for k in range(4):
        a = _fc16(xv, w_in[k], biases[k], p.in_mult[k], p.in_shift[k], act16)
        b = _fc16(hv, w_rec[k], None, p.rec_mult[k], p.rec_shift[k], act16)
        pre = np.clip(a + b, -32768, 32767)
        gates.append(tanh_int16(pre) if k == 2 else sigmoid_int16(pre))
    i_g, f_g, c_g, o_g = gates
    c1 = _mul(f_g, c, p.fc_mult, p.fc_shift, 0, -32768, 32767)
    t = _mul(i_g, c_g, p.ic_mult, p.ic_shift, 0, -32768, 32767)
    c2 = np.clip(c1 + t, -32768, 32767)
    if p.cell_clip > 0:
        c2 = np.clip(c2, -p.cell_clip, p.cell_clip)
    tc = tanh_int16(c2, p.tanh_mult, p.tanh_shift)
    if act16:
        h2 = _mul(tc, o_g, p.h_mult, p.h_shift, p.hidden_zp, -32768, 32767)
        return h2.astype(np.int16), c2.astype(np.int16)
    h2 = _mul(tc, o_g, p.h_mult, p.h_shift, p.hidden_zp, -128, 127)
    return h2.astype(np.int8), c2.astype(np.int16)


def simulate(op, model, params, inputs):
    p = params
    x = np.asarray(inputs[X])
    w_in = [np.asarray(inputs[i], dtype=np.int64) for i in W_IN]
    w_rec = [np.asarray(inputs[i], dtype=np.int64) for i in W_REC]
    biases = [np.asarray(inputs[i], dtype=np.int64) for i in BIAS]
    h_state, c_state = inputs[HIDDEN], inputs[CELL]
    h = np.asarray(h_state).reshape(p.batch, p.state).copy()
    c = np.asarray(c_state).reshape(p.batch, p.state).copy()
    xb = x if p.time_major else np.swapaxes(x, 0, 1)          # (T, B, I)
    out = np.zeros((p.steps, p.batch, p.state),
                   dtype=np.int16 if getattr(p, "act16", False) else np.int8)
    for t in range(p.steps):
        h, c = lstm_step(p, xb[t], h, c, w_in, w_rec, biases)
        out[t] = h
    # persistent state, updated in place
    if isinstance(h_state, np.ndarray) and h_state.flags.writeable:
        h_state.reshape(-1)[:] = h.reshape(-1)
    if isinstance(c_state, np.ndarray) and c_state.flags.writeable:
        c_state.reshape(-1)[:] = c.reshape(-1)
    y = out if p.time_major else np.swapaxes(out, 0, 1)
    return [np.ascontiguousarray(y)]


# ---------------------------------------------------------------------------- C

_SCALAR_FIELDS = ("batch", "steps", "inputs", "state", "time_major", "input_zp", "hidden_zp",
                  "fc_mult", "fc_shift", "ic_mult", "ic_shift", "h_mult", "h_shift",
                  "cell_clip", "tanh_mult", "tanh_shift")


def c_fields(p) -> dict:
    """The C params struct fields (tflm_lstm_s8_params_t) of prepared params."""
    f = {k: int(getattr(p, k)) for k in _SCALAR_FIELDS}
    for k in ("in_mult", "in_shift", "rec_mult", "rec_shift"):
        f[k] = "{" + ", ".join(str(int(v)) for v in getattr(p, k)) + "}"
    return f


def emit(op, model, params, cg) -> str:
    cg.use_kernel("sigmoid_s16")    # its table and gate steps
    cg.use_kernel("lstm")
    name = cg.param_struct("tflm_lstm_s8_params_t", c_fields(params), f"lstm_{op.index}")
    args = [cg.ptr(op.inputs[X])]
    args += [cg.ptr(op.inputs[i]) for i in W_IN + W_REC + BIAS]
    args += [cg.ptr(op.inputs[HIDDEN]), cg.ptr(op.inputs[CELL]), cg.ptr(op.outputs[0])]
    fn = "tflm_lstm_s16" if getattr(params, "act16", False) else "tflm_lstm_s8"
    return f"{fn}(&{name}, " + ", ".join(args) + ");"
