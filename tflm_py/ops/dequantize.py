"""DEQUANTIZE int8 / int16 / uint8 -> float32, as TFLM (reference/dequantize.h):
y = scale * (x - zp) with the difference converted to float and one float32 multiplication
(exact in C and numpy). uint8 is the type of the converter's uint8 model outputs; recent
TFLM's DequantizePrepare accepts it.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from . import _eltwise as E

UINT8 = np.dtype(np.uint8)
_SUFFIX = {E.INT8: "s8", E.INT16: "s16", UINT8: "u8"}

OPS = ("DEQUANTIZE",)
INPLACE = None


def check(op, model):
    E.require_inputs(op, 1)
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    if x.dtype not in _SUFFIX:
        raise UnsupportedError(f"input type {E.type_name(x)} is not supported by TFLM's "
                               "DEQUANTIZE (int8, int16, uint8)")
    if y.dtype != E.FLOAT32:
        raise UnsupportedError(f"output type {E.type_name(y)} is not supported (float32)")
    E.require_per_tensor(x, "input")
    if x.size != y.size:
        raise UnsupportedError(f"input shape {x.shape} and output shape {y.shape} differ in size")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x = model.tensor(op.inputs[0])
    s, z = E.scale_zp(x)
    return {"size": x.size, "in_dtype": x.dtype, "scale": s, "zero_point": z}


def simulate(op, model, p, inputs):
    y = model.tensor(op.outputs[0])
    x = np.asarray(inputs[0], dtype=np.int64).reshape(y.shape)
    d = (x - p["zero_point"]).astype(np.float32)
    return [(np.float32(p["scale"]) * d).astype(np.float32)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("dequantize")
    name = cg.param_struct("tflm_dequantize_params_t",
                           {"size": int(p["size"]), "scale": E.c_float(p["scale"]),
                            "zero_point": int(p["zero_point"])}, "dequantize_params")
    fn = f"tflm_dequantize_{_SUFFIX[p['in_dtype']]}_f32"
    return f"{fn}(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
