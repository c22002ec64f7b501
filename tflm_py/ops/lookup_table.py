"""LOOKUP_TABLE: an int8 -> int8 (or int8 -> float32) function as a 256-entry table (not a
TFLite builtin: the `float_islands` graph pass makes it of a DEQUANTIZE -> float32 op(s) ->
QUANTIZE island, whose float32 arithmetic TFLM runs and the pass evaluates for the 256 inputs,
see passes/float_islands.py; a float32 table where the island ends at a float32 graph output).

Inputs: the int8 tensor and the table (int8 or float32 [256] constant, table[x + 128] is the
output for x). The C kernels are the lookups of kernels_c/lut_s8.c and lut_s8_f32.c (copies,
no float arithmetic).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from . import _lut

OPS = ("LOOKUP_TABLE",)


def inplace(op, model):
    return "elementwise" if model.tensor(op.outputs[0]).dtype == np.int8 else None


def check(op, model):
    if len(op.inputs) != 2 or len(op.outputs) != 1 or min(op.inputs) < 0:
        raise UnsupportedError("expects an input and a table, and one output")
    x, table = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    y = model.tensor(op.outputs[0])
    if x.dtype != np.int8 or y.dtype not in (np.int8, np.float32):
        raise UnsupportedError("input must be int8, output int8 or float32")
    if table.data is None or table.dtype != y.dtype or table.size != 256:
        raise UnsupportedError(f"the table must be a constant {y.dtype} [256] tensor")
    if x.size != y.size:
        raise UnsupportedError(f"input shape {x.shape} and output shape {y.shape} differ in size")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    table = model.tensor(op.inputs[1])
    return SimpleNamespace(size=int(model.tensor(op.inputs[0]).size),
                           lut=np.asarray(table.data, dtype=table.dtype).reshape(256))


simulate = _lut.simulate


def emit(op, model, params, cg) -> str:
    if params.lut.dtype == np.int8:
        return _lut.emit(op, model, params, cg)
    cg.use_kernel("lut_s8_f32")
    hint = f"lookup_table_{op.index}"
    lut = cg.const_array("float", params.lut, f"{hint}_lut")
    name = cg.param_struct("tflm_lut_s8_f32_params_t", {"lut": lut, "size": params.size}, hint)
    return f"tflm_lut_s8_f32(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
