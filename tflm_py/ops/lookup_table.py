"""LOOKUP_TABLE: an int8 -> int8 function as a 256-entry table (not a TFLite builtin: the
`float_islands` graph pass makes it of a DEQUANTIZE -> float32 op(s) -> QUANTIZE chain, whose
float32 arithmetic TFLM runs and the pass evaluates for the 256 inputs, see
passes/float_islands.py).

Inputs: the int8 tensor and the table (int8 [256] constant, table[x + 128] is the output for
x). The C kernel is the lookup of kernels_c/lut_s8.c.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from . import _lut

OPS = ("LOOKUP_TABLE",)
INPLACE = "elementwise"


def check(op, model):
    if len(op.inputs) != 2 or len(op.outputs) != 1 or min(op.inputs) < 0:
        raise UnsupportedError("expects an input and a table, and one output")
    x, table = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    y = model.tensor(op.outputs[0])
    if x.dtype != np.int8 or y.dtype != np.int8:
        raise UnsupportedError("input and output must be int8")
    if table.data is None or table.dtype != np.int8 or table.size != 256:
        raise UnsupportedError("the table must be a constant int8 [256] tensor")
    if x.size != y.size:
        raise UnsupportedError(f"input shape {x.shape} and output shape {y.shape} differ in size")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    table = model.tensor(op.inputs[1])
    return SimpleNamespace(size=int(model.tensor(op.inputs[0]).size),
                           lut=np.asarray(table.data, dtype=np.int8).reshape(256))


simulate = _lut.simulate
emit = _lut.emit
