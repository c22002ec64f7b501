"""SVDF room: int8 input, int8 weights_feature, int16 (or int8) weights_time and activation
state (variable), int32 bias, int8 output, any rank, batch >= 1.

TFLM's micro kernel (svdf_common.cc, EvalIntegerSvdfReference), state type T = int16 / int8:
  1. the activation state [batch, filters * memory] is shifted left by one element (the whole
     buffer, so each filter row moves one step back in time);
  2. feature matmul: for each batch b and filter f
        acc = sum_i wf[f, i] * (x[b, i] - x_zp)                      (int32)
        v = clamp_T(MultiplyByQuantizedMultiplier(acc, scale_1))
        state[b, f, memory - 1] = (T)(v + state_zp)                  (wraps for int8 with zp)
     scale_1 = float32(input_scale * wf_scale / state_scale), computed in float32;
  3. time: s[b, f] = sum_m wt[f, m] * (state[b, f, m] - state_zp)     (int32)
  4. out[b, u] = bias[u] + sum_r s[b, u * rank + r]                    (int32, wrapping)
     y = clamp_int8(MultiplyByQuantizedMultiplier(out, scale_2) + y_zp),
     scale_2 = float32(state_scale * wt_scale / output_scale).
The fused activation is not applied by the integer kernel (only the float one uses it).
The bias must be present (TFLM's Prepare reads its scale) with scale ~ state * wt scale.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from .. import quant

OPS = ("SVDF",)
INPLACE = None


def _geometry(op, model):
    x = model.tensor(op.inputs[0])
    wf = model.tensor(op.inputs[1])
    wt = model.tensor(op.inputs[2])
    rank = int(getattr(op.options, "rank", 1) or 0)
    filters = int(wf.shape[0]) if len(wf.shape) == 2 else 0
    return SimpleNamespace(batch=int(x.shape[0]), inputs=int(x.shape[1]), filters=filters,
                           rank=rank, units=filters // rank if rank > 0 else 0,
                           memory=int(wt.shape[1]) if len(wt.shape) == 2 else 0)


def check(op, model) -> None:
    if len(op.inputs) != 5 or len(op.outputs) != 1:
        raise UnsupportedError("expects 5 inputs (input, weights_feature, weights_time, bias, "
                               "state) and one output")
    x, wf, wt, bias, st = (model.tensor(i) for i in op.inputs)
    y = model.tensor(op.outputs[0])
    if x is None or x.type_name != "INT8" or y.type_name != "INT8":
        raise UnsupportedError("only int8 input and output are supported (TFLM's SVDF takes "
                               "int8 or float32 input: no int16 activations; float SVDF is "
                               "not supported here)")
    if wf is None or wf.type_name != "INT8" or not wf.is_constant:
        raise UnsupportedError("weights_feature must be a constant int8 tensor")
    if wt is None or wt.type_name not in ("INT16", "INT8") or not wt.is_constant:
        raise UnsupportedError("weights_time must be a constant int16 or int8 tensor")
    if st is None or not st.is_variable:
        raise UnsupportedError("the activation state must be a variable tensor")
    if st.type_name != wt.type_name:
        raise UnsupportedError(f"activation state type {st.type_name} must match weights_time "
                               f"type {wt.type_name} (TFLM reads both as the same type)")
    if bias is None:
        raise UnsupportedError("SVDF without bias is not supported (TFLM's Prepare needs it)")
    if bias.type_name != "INT32" or not bias.is_constant:
        raise UnsupportedError("bias must be a constant int32 tensor")
    for t in (x, wf, wt, bias, st, y):
        if t.quantization is None:
            raise UnsupportedError(f"tensor {t.name} is not quantized")
        if t.quantization.per_channel:
            raise UnsupportedError(f"tensor {t.name} must be quantized per-tensor")
    if len(x.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2 or len(y.shape) != 2:
        raise UnsupportedError("input, weights and output must be 2-D")
    g = _geometry(op, model)
    if g.rank < 1 or g.filters % g.rank:
        raise UnsupportedError(f"rank {g.rank} does not divide the {g.filters} filters")
    if wf.shape[1] != g.inputs:
        raise UnsupportedError("weights_feature columns must equal the input size")
    if wt.shape[0] != g.filters:
        raise UnsupportedError("weights_time rows must equal the number of filters")
    if tuple(y.shape) != (g.batch, g.units):
        raise UnsupportedError(f"output must be [{g.batch}, {g.units}]")
    if tuple(bias.shape) != (g.units,):
        raise UnsupportedError(f"bias must be [{g.units}]")
    if tuple(st.shape) != (g.batch, g.memory * g.filters):
        raise UnsupportedError(f"activation state must be [{g.batch}, {g.memory * g.filters}]")
    act = getattr(op.options, "fused_activation_function", "NONE")
    if act not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1", "TANH"):
        raise UnsupportedError(f"fused activation {act} is not supported")
    diff = abs(float(bias.quantization.scale)
               - float(np.float32(st.quantization.scale) * np.float32(wt.quantization.scale)))
    if not diff < 1e-5:
        raise UnsupportedError("bias scale must equal state scale * weights_time scale "
                               "(TFLM refuses the model otherwise)")


def macs(op, model) -> int:
    g = _geometry(op, model)
    return g.batch * g.filters * (g.inputs + g.memory)


def state_bytes(op, model) -> int:
    """Bytes of persistent state (the activation state variable tensor)."""
    return model.tensor(op.inputs[4]).nbytes


def scratch_bytes(op, model) -> int:
    return 0


def prepare(op, model):
    g = _geometry(op, model)
    x, wf, wt, _bias, st = (model.tensor(i) for i in op.inputs)
    y = model.tensor(op.outputs[0])
    f32 = np.float32
    s1 = f32(f32(x.quantization.scale) * f32(wf.quantization.scale)) / f32(st.quantization.scale)
    s2 = f32(f32(st.quantization.scale) * f32(wt.quantization.scale)) / f32(y.quantization.scale)
    g.scale1_mult, g.scale1_shift = quant.quantize_multiplier(float(f32(s1)))
    g.scale2_mult, g.scale2_shift = quant.quantize_multiplier(float(f32(s2)))
    g.input_zp = x.quantization.zero_point
    g.state_zp = st.quantization.zero_point
    g.output_zp = y.quantization.zero_point
    g.state_bits = 16 if st.type_name == "INT16" else 8
    return g


def _wrap(v, bits):
    half = 1 << (bits - 1)
    return ((np.asarray(v, dtype=np.int64) + half) & ((1 << bits) - 1)) - half


def simulate(op, model, params, inputs):
    p = params
    x, wf, wt, bias, st_in = inputs
    sdt = np.int16 if p.state_bits == 16 else np.int8
    lo, hi = (-32768, 32767) if p.state_bits == 16 else (-128, 127)
    st = np.asarray(st_in).reshape(p.batch, p.filters * p.memory).astype(np.int64)
    # 1. shift the whole state buffer left by one element
    flat = st.reshape(-1)
    flat[:-1] = flat[1:].copy()
    st = flat.reshape(p.batch, p.filters, p.memory)
    # 2. feature matmul into the newest column
    xv = np.asarray(x, dtype=np.int64).reshape(p.batch, p.inputs) - p.input_zp
    acc = quant.wrap_int32(xv @ np.asarray(wf, dtype=np.int64).T)          # (B, F)
    v = np.clip(quant.multiply_by_quantized_multiplier(acc, p.scale1_mult, p.scale1_shift),
                lo, hi)
    st[:, :, p.memory - 1] = _wrap(v + p.state_zp, p.state_bits)
    # 3. time weights
    w_t = np.asarray(wt, dtype=np.int64).reshape(p.filters, p.memory)
    s = quant.wrap_int32(np.sum(w_t[None] * (st - p.state_zp), axis=2))     # (B, F)
    # 4. rank reduction, bias, rescale
    out = np.sum(s.reshape(p.batch, p.units, p.rank), axis=2)
    out = quant.wrap_int32(out + np.asarray(bias, dtype=np.int64)[None, :])
    yv = quant.multiply_by_quantized_multiplier(out, p.scale2_mult, p.scale2_shift)
    y = np.clip(yv + p.output_zp, -128, 127).astype(np.int8)
    new_state = st.reshape(p.batch, p.filters * p.memory).astype(sdt)
    if isinstance(st_in, np.ndarray) and st_in.flags.writeable:
        st_in.reshape(-1)[:] = new_state.reshape(-1)
    return [y]


_FIELDS = ("batch", "inputs", "filters", "units", "rank", "memory", "input_zp", "state_zp",
           "output_zp", "scale1_mult", "scale1_shift", "scale2_mult", "scale2_shift")


def c_fields(p) -> dict:
    return {k: int(getattr(p, k)) for k in _FIELDS}


def kernel_function(p) -> str:
    return "tflm_svdf_s8" if p.state_bits == 16 else "tflm_svdf_s8_s8state"


def emit(op, model, params, cg) -> str:
    cg.use_kernel("svdf")
    name = cg.param_struct("tflm_svdf_params_t", c_fields(params), f"svdf_{op.index}")
    args = [cg.ptr(i) for i in op.inputs] + [cg.ptr(op.outputs[0])]
    return f"{kernel_function(params)}(&{name}, " + ", ".join(args) + ");"
