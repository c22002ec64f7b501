"""RELU and RELU6 on int8 or int16 tensors, as TFLM computes them (kernels/activations*.cc).

RELU requantizes: y = out_zp + MultiplyByQuantizedMultiplier(x - in_zp, in_scale/out_scale),
clamped to [max(-128, out_zp), 127].
RELU6 does not requantize: it clamps the raw input to [in_zp, q(6.0)] with q(6.0) =
round(6 / in_scale) + in_zp saturated to int8, i.e. it assumes the output shares the input's
quantization (converters emit it that way).
int16: the same arithmetic with the int16 range (TFLM's ReluQuantized / Relu6 on int16_t).
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
        if t.dtype not in (E.INT8, E.INT16):
            raise UnsupportedError(f"only int8 and int16 are supported, {what} is "
                                   f"{E.type_name(t)}")
        E.require_per_tensor(t, what)
    if x.dtype != y.dtype:
        raise UnsupportedError(f"input ({E.type_name(x)}) and output ({E.type_name(y)}) "
                               "types differ")
    if op.type == "RELU" and x.dtype == E.INT16 and (E.scale_zp(x)[1] or E.scale_zp(y)[1]):
        raise UnsupportedError("int16 RELU needs zero points 0 (TFLM's Prepare requires it)")
    if x.size != y.size:
        raise UnsupportedError(f"input shape {x.shape} and output shape {y.shape} differ in size")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    si, zi = E.scale_zp(x)
    so, zo = E.scale_zp(y)
    info = np.iinfo(x.dtype)
    if op.type == "RELU6":
        six = zi + int(E.round_half_away(np.float32(6.0) / np.float32(si)))
        return {"relu6": True, "size": x.size, "lower": zi,
                "upper": int(np.clip(six, info.min, info.max)), "dtype": x.dtype}
    m, e = quant.quantize_multiplier(si / so)
    return {"relu6": False, "size": x.size, "input_offset": zi, "output_offset": zo,
            "output_multiplier": m, "output_shift": e,
            "act_min": max(int(info.min), zo), "act_max": int(info.max), "dtype": x.dtype}


def simulate(op, model, p, inputs):
    y = model.tensor(op.outputs[0])
    x = np.asarray(inputs[0], dtype=np.int64).reshape(y.shape)
    if p["relu6"]:
        r = np.minimum(np.maximum(x, p["lower"]), p["upper"])
    else:
        r = quant.multiply_by_quantized_multiplier(x - p["input_offset"], p["output_multiplier"],
                                                   p["output_shift"]) + p["output_offset"]
        r = np.clip(r, p["act_min"], p["act_max"])
    return [r.astype(p["dtype"])]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("relu")
    if p["relu6"]:
        name = cg.param_struct("tflm_relu6_params_t",
                               {"size": p["size"], "lower": p["lower"], "upper": p["upper"]},
                               "relu6_params")
        fn = "tflm_relu6"
    else:
        fields = {k: int(p[k]) for k in ("size", "input_offset", "output_offset",
                                         "output_multiplier", "output_shift", "act_min", "act_max")}
        name = cg.param_struct("tflm_relu_params_t", fields, "relu_params")
        fn = "tflm_relu"
    fn += "_s16" if p["dtype"] == E.INT16 else "_s8"
    return f"{fn}(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
