"""RELU and RELU6 on int8 tensors, as TFLM computes them (kernels/activations*.cc).

RELU requantizes: y = out_zp + MultiplyByQuantizedMultiplier(x - in_zp, in_scale/out_scale),
clamped to [max(-128, out_zp), 127].
RELU6 does not requantize: it clamps the raw input to [in_zp, q(6.0)] with q(6.0) =
round(6 / in_scale) + in_zp saturated to int8, i.e. it assumes the output shares the input's
quantization (converters emit it that way).
"""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _eltwise as E

OPS = ("RELU", "RELU6")
INPLACE = "elementwise"


def check(op, model):
    E.require_inputs(op, 1)
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    for t, what in ((x, "input"), (y, "output")):
        if t.dtype != E.INT8:
            raise UnsupportedError(f"only int8 is supported, {what} is {E.type_name(t)}")
        E.require_per_tensor(t, what)
    if x.size != y.size:
        raise UnsupportedError(f"input shape {x.shape} and output shape {y.shape} differ in size")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    si, zi = E.scale_zp(x)
    so, zo = E.scale_zp(y)
    if op.type == "RELU6":
        six = zi + int(E.round_half_away(np.float32(6.0) / np.float32(si)))
        return {"relu6": True, "size": x.size, "lower": zi, "upper": int(np.clip(six, -128, 127))}
    m, e = quant.quantize_multiplier(si / so)
    return {"relu6": False, "size": x.size, "input_offset": zi, "output_offset": zo,
            "output_multiplier": m, "output_shift": e,
            "act_min": max(-128, zo), "act_max": 127}


def simulate(op, model, p, inputs):
    y = model.tensor(op.outputs[0])
    x = np.asarray(inputs[0], dtype=np.int64).reshape(y.shape)
    if p["relu6"]:
        r = np.minimum(np.maximum(x, p["lower"]), p["upper"])
    else:
        r = quant.multiply_by_quantized_multiplier(x - p["input_offset"], p["output_multiplier"],
                                                   p["output_shift"]) + p["output_offset"]
        r = np.clip(r, p["act_min"], p["act_max"])
    return [r.astype(np.int8)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("relu")
    if p["relu6"]:
        name = cg.param_struct("tflm_relu6_params_t",
                               {"size": p["size"], "lower": p["lower"], "upper": p["upper"]},
                               "relu6_params")
        fn = "tflm_relu6_s8"
    else:
        fields = {k: int(p[k]) for k in ("size", "input_offset", "output_offset",
                                         "output_multiplier", "output_shift", "act_min", "act_max")}
        name = cg.param_struct("tflm_relu_params_t", fields, "relu_params")
        fn = "tflm_relu_s8"
    return f"{fn}(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
