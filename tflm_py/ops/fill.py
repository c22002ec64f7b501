"""FILL room: an output of the given shape with every element the scalar value.

TFLM micro (fill.cc): the value is a scalar (0-D) of the output's type, float32, int32 or
int8; a constant dims tensor (1-D, int8/int16/int32/int64) must equal the output shape. The
value is copied as stored (quantization is not looked at). With both inputs constant,
`fold_constants` folds the op unless its output is large (then it fills on the device).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._datamove import input_tensor, one_output, require_nonempty, require_same_type, require_type

OPS = ("FILL",)
INPLACE = None

_TYPES = ("INT32", "INT8")


def check(op, model) -> None:
    if len(op.inputs) != 2:
        raise UnsupportedError(f"expects 2 inputs (dims, value), got {len(op.inputs)}")
    y = one_output(op, model)
    dims = input_tensor(op, model, 0, "dims")
    value = input_tensor(op, model, 1, "value")
    if len(value.shape) != 0:
        raise UnsupportedError(f"value must be a scalar (TFLM requires it), has shape "
                               f"{list(value.shape)}")
    require_type(y, _TYPES, "output")
    require_same_type(value, y, "value")
    require_nonempty(y, "output")
    if dims.is_constant:
        if len(dims.shape) != 1 or dims.type_name not in ("INT8", "INT16", "INT32", "INT64"):
            raise UnsupportedError("dims must be a 1-D integer tensor")
        if [int(v) for v in np.asarray(dims.data).reshape(-1)] != list(y.shape):
            raise UnsupportedError(f"dims {np.asarray(dims.data).tolist()} differ from the "
                                   f"output shape {list(y.shape)}")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    y = model.tensors[op.outputs[0]]
    return SimpleNamespace(shape=tuple(y.shape), dtype=y.dtype, size=int(y.size))


def simulate(op, model, params, inputs):
    return [np.full(params.shape, np.asarray(inputs[1]).reshape(-1)[0], dtype=params.dtype)]


def emit(op, model, params, cg) -> str:
    cg.use_kernel("fill")
    return (f"tflm_fill_bytes({cg.ptr(op.inputs[1])}, {cg.ptr(op.outputs[0])}, "
            f"{params.dtype.itemsize}, {params.size});")
