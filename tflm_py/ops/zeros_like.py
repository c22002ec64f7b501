"""ZEROS_LIKE room: an output of zeros shaped like the input.

TFLM micro (zeros_like.cc): one input, one output of the same type and element count; int8,
int32, int64, float32 (all-zero bytes in each). Planned "elementwise": the output may take
the place of its dying input (the kernel never reads it).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._datamove import input_tensor, one_output, require_nonempty, require_same_type, \
    require_type

OPS = ("ZEROS_LIKE",)
INPLACE = "elementwise"

_TYPES = ("FLOAT32", "INT8", "INT32", "INT64")


def check(op, model) -> None:
    if len(op.inputs) != 1:
        raise UnsupportedError(f"expects 1 input, got {len(op.inputs)}")
    y = one_output(op, model)
    x = input_tensor(op, model, 0)
    require_type(x, _TYPES, "input")
    require_same_type(x, y)
    require_nonempty(y, "output")
    if x.size != y.size:
        raise UnsupportedError(f"input {list(x.shape)} and output {list(y.shape)} have "
                               f"different element counts")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    y = model.tensors[op.outputs[0]]
    return SimpleNamespace(out_shape=tuple(y.shape), dtype=y.dtype, nbytes=int(y.nbytes))


def simulate(op, model, params, inputs):
    return [np.zeros(params.out_shape, dtype=params.dtype)]


def emit(op, model, params, cg) -> str:
    cg.use_kernel("zeros_like")
    return f"tflm_zeros_like({cg.ptr(op.outputs[0])}, {params.nbytes}u);"
