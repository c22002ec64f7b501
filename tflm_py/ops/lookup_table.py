"""LOOKUP_TABLE: an int8 -> int8 function as a 256-entry table, or int16 -> int16 as a
65536-entry one (not a TFLite builtin: the `float_islands` graph pass makes it of a
DEQUANTIZE -> float32 op(s) -> QUANTIZE chain, whose float32 arithmetic TFLM runs and the pass
evaluates for every input, see passes/float_islands.py).

Inputs: the tensor and the table (int8 [256] constant, table[x + 128] is the output for x;
int16: int16 [65536], table[x + 32768]). The C kernels are the lookups of kernels_c/lut_s8.c
and kernels_c/lut_s16.c.
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
    if x.dtype not in (np.int8, np.int16) or y.dtype != x.dtype:
        raise UnsupportedError("input and output must be both int8 or both int16")
    n = 1 << (8 * x.dtype.itemsize)
    if table.data is None or table.dtype != x.dtype or table.size != n:
        raise UnsupportedError(f"the table must be a constant {x.dtype.name} [{n}] tensor")
    if x.size != y.size:
        raise UnsupportedError(f"input shape {x.shape} and output shape {y.shape} differ in size")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    table = model.tensor(op.inputs[1])
    return SimpleNamespace(size=int(model.tensor(op.inputs[0]).size),
                           lut=np.asarray(table.data, dtype=table.dtype).reshape(-1))


def simulate(op, model, params, inputs):
    if params.lut.dtype == np.int8:
        return _lut.simulate(op, model, params, inputs)
    y = model.tensor(op.outputs[0])
    return [params.lut[np.asarray(inputs[0]).astype(np.int64) + 32768].reshape(y.shape)]


def emit(op, model, params, cg) -> str:
    if params.lut.dtype == np.int8:
        return _lut.emit(op, model, params, cg)
    cg.use_kernel("lut_s16")
    hint = f"{op.type.lower()}_{op.index}"
    lut = cg.const_array("int16_t", [int(v) for v in params.lut], f"{hint}_lut")
    name = cg.param_struct("tflm_lut_s16_params_t", {"lut": lut, "size": params.size}, hint)
    return f"tflm_lut_s16(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
