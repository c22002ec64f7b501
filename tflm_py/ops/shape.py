"""SHAPE room: the input's shape as an int32 vector.

TFLM micro (shape.cc): one input, one output, the output must be INT32 (other out_types fail
at Eval). Shapes are static here, so `fold_constants` normally turns the op into a constant;
without the passes the device copies the shape from a const array.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._datamove import input_tensor, one_output, require_type

OPS = ("SHAPE",)
INPLACE = None


def check(op, model) -> None:
    if len(op.inputs) != 1:
        raise UnsupportedError(f"expects 1 input, got {len(op.inputs)}")
    y = one_output(op, model)
    x = input_tensor(op, model, 0)
    require_type(y, ("INT32",), "output")
    if y.size != len(x.shape):
        raise UnsupportedError(f"output of {y.size} elements cannot hold the {len(x.shape)}-D "
                               f"input's shape")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    return SimpleNamespace(shape=tuple(int(d) for d in model.tensors[op.inputs[0]].shape))


def simulate(op, model, params, inputs):
    return [np.asarray(params.shape, dtype=np.int32)]


def emit(op, model, params, cg) -> str:
    if not params.shape:
        return ""
    cg.use_kernel("reshape")
    arr = cg.const_array("int32_t", params.shape, f"shape_{op.index}")
    return f"tflm_reshape({arr}, {cg.ptr(op.outputs[0])}, {4 * len(params.shape)}u);"
