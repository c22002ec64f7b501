"""PRELU: int8 input with int8 alpha, or int16 input with int8 alpha (TFLM requires an int8
alpha for int16), alpha broadcast to the input (up to 4-D, as TFLM's BroadcastPrelu4DSlow).

TFLM (prelu_common.cc, reference_ops::BroadcastPrelu4DSlow): v = x - input_zp;
v >= 0: MultiplyByQuantizedMultiplier(v, in_scale / out_scale); otherwise
MultiplyByQuantizedMultiplier(v * (alpha - alpha_zp), in_scale * alpha_scale / out_scale);
plus the output zero point, saturated to the output type (multipliers from double scales).
"""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _eltwise as E

OPS = ("PRELU",)
INPLACE = "elementwise"
MAX_RANK = 4


def check(op, model):
    E.require_inputs(op, 2)
    x, a = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    y = model.tensor(op.outputs[0])
    if x.dtype not in (E.INT8, E.INT16):
        raise UnsupportedError(f"only int8 and int16 inputs are supported, input is "
                               f"{E.type_name(x)}")
    if y.dtype != x.dtype:
        raise UnsupportedError(f"output is {E.type_name(y)} but the input is {E.type_name(x)}")
    if a.dtype != E.INT8:
        raise UnsupportedError(f"alpha must be int8 (TFLM's kernel reads it as int8), alpha is "
                               f"{E.type_name(a)}")
    for t, what in ((x, "input"), (a, "alpha"), (y, "output")):
        E.require_per_tensor(t, what)
        if len(t.shape) > MAX_RANK:
            raise UnsupportedError(f"{what} has rank {len(t.shape)}; TFLM's PRELU handles at "
                                   f"most {MAX_RANK} dimensions")
    E.check_binary_shapes(op, model)


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x, a = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    y = model.tensor(op.outputs[0])
    sx, zx = E.scale_zp(x)
    sa, za = E.scale_zp(a)
    sy, zy = E.scale_zp(y)
    m1, s1 = quant.quantize_multiplier(sx / sy)
    m2, s2 = quant.quantize_multiplier(sx * sa / sy)
    return {"layout": E.broadcast_layout(x.shape, a.shape, y.shape),
            "input_offset": -zx, "alpha_offset": -za, "output_offset": zy,
            "multiplier_pos": m1, "shift_pos": s1, "multiplier_neg": m2, "shift_neg": s2}


def simulate(op, model, p, inputs):
    y = model.tensor(op.outputs[0])
    x, a = E.broadcast_inputs(inputs[0], inputs[1], y.shape)
    v = x + p["input_offset"]
    pos = quant.multiply_by_quantized_multiplier(v, p["multiplier_pos"], p["shift_pos"])
    neg = quant.multiply_by_quantized_multiplier(quant.wrap_int32(v * (a + p["alpha_offset"])),
                                                 p["multiplier_neg"], p["shift_neg"])
    out = np.where(v >= 0, pos, neg) + p["output_offset"]
    return [quant.saturate(out, y.dtype)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("prelu")
    fields = E.layout_fields(p["layout"])
    fields.update({k: int(p[k]) for k in ("input_offset", "alpha_offset", "output_offset",
                                          "multiplier_pos", "shift_pos", "multiplier_neg",
                                          "shift_neg")})
    name = cg.param_struct("tflm_prelu_params_t", fields, "prelu_params")
    fn = "tflm_prelu_s16" if model.tensor(op.outputs[0]).dtype == E.INT16 else "tflm_prelu_s8"
    return (f"{fn}(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.inputs[1])}, "
            f"{cg.ptr(op.outputs[0])});")
