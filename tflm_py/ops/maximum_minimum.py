"""MAXIMUM / MINIMUM: int8 or int16 with broadcasting (up to 6-D).

TFLM (kernels/maximum_minimum.cc) compares the raw stored integers and copies the winner:
quantization parameters are not looked at (converters give all three tensors the same ones).
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from . import _eltwise as E

OPS = ("MAXIMUM", "MINIMUM")
INPLACE = "elementwise"


def check(op, model):
    E.require_inputs(op, 2)
    t1, t2 = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    for t, what in ((t1, "input 1"), (t2, "input 2"), (out, "output")):
        if t.dtype not in (E.INT8, E.INT16):
            raise UnsupportedError(f"only int8 and int16 tensors are supported, {what} is "
                                   f"{E.type_name(t)}")
    if not t1.dtype == t2.dtype == out.dtype:
        raise UnsupportedError("inputs and output must have one type")
    E.check_binary_shapes(op, model)


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    t1, t2 = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    return {"is_min": int(op.type == "MINIMUM"),
            "layout": E.broadcast_layout(t1.shape, t2.shape, out.shape)}


def simulate(op, model, p, inputs):
    out = model.tensor(op.outputs[0])
    a, b = E.broadcast_inputs(inputs[0], inputs[1], out.shape)
    y = np.minimum(a, b) if p["is_min"] else np.maximum(a, b)
    return [y.astype(out.dtype)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("maximum_minimum")
    fields = E.layout_fields(p["layout"])
    name = cg.param_struct("tflm_maximum_minimum_params_t", fields,
                           "minimum_params" if p["is_min"] else "maximum_params")
    suffix = "s16" if model.tensor(op.outputs[0]).dtype == E.INT16 else "s8"
    fn = f"tflm_{'minimum' if p['is_min'] else 'maximum'}_{suffix}"
    return (f"{fn}(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.inputs[1])}, "
            f"{cg.ptr(op.outputs[0])});")
