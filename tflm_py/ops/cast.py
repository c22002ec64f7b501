"""CAST room: integer and bool element types converted as C++'s static_cast does.

TFLM micro (cast.cc): input int8, int16, int32, uint32, float32 or bool; output int8, int16,
int32, uint32 or float32 (another output type is left unwritten: refused here); same element
count. Quantization is not looked at. A narrower output keeps the low bits (two's complement
wrap), bool reads as 0 or 1. Float32 casts are refused (float models are out of scope).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._datamove import input_tensor, one_output, require_nonempty, require_type

OPS = ("CAST",)
INPLACE = None

_IN_TYPES = ("INT8", "INT16", "INT32", "UINT32", "BOOL")
_OUT_TYPES = ("INT8", "INT16", "INT32", "UINT32")
_C_CODES = {"INT8": "TFLM_CAST_INT8", "INT16": "TFLM_CAST_INT16", "INT32": "TFLM_CAST_INT32",
            "UINT32": "TFLM_CAST_UINT32", "BOOL": "TFLM_CAST_BOOL"}


def inplace(op, model):
    x, y = model.tensors[op.inputs[0]], model.tensors[op.outputs[0]]
    return "elementwise" if x.dtype.itemsize == y.dtype.itemsize else None


def check(op, model) -> None:
    if len(op.inputs) != 1:
        raise UnsupportedError(f"expects 1 input, got {len(op.inputs)}")
    y = one_output(op, model)
    x = input_tensor(op, model, 0)
    for t, what in ((x, "input"), (y, "output")):
        if t.type_name == "FLOAT32":
            raise UnsupportedError(f"float32 {what} is not supported (only integer and bool "
                                   f"casts)")
    require_type(x, _IN_TYPES, "input")
    require_type(y, _OUT_TYPES, "output")
    require_nonempty(x, "input")
    if x.size != y.size:
        raise UnsupportedError(f"input {list(x.shape)} and output {list(y.shape)} have "
                               f"different element counts")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x, y = model.tensors[op.inputs[0]], model.tensors[op.outputs[0]]
    return SimpleNamespace(in_type=x.type_name, out_type=y.type_name, dtype=y.dtype,
                           shape=tuple(y.shape), size=int(y.size))


def simulate(op, model, params, inputs):
    x = np.asarray(inputs[0])
    v = (x != 0) if params.in_type == "BOOL" else x
    return [v.astype(np.int64).astype(params.dtype).reshape(params.shape)]


def emit(op, model, params, cg) -> str:
    cg.use_kernel("cast")
    return (f"tflm_cast({cg.ptr(op.inputs[0])}, {_C_CODES[params.in_type]}, "
            f"{cg.ptr(op.outputs[0])}, {_C_CODES[params.out_type]}, {params.size});")
