"""LOOKUP_TABLE: an int8 -> int8 (or int8 -> float32) function as a 256-entry table, or
int16 -> int16 as a 65536-entry one (not a TFLite builtin: the `float_islands` graph pass makes
it of a DEQUANTIZE -> float32 op(s) -> QUANTIZE island, whose float32 arithmetic TFLM runs and
the pass evaluates for every input, see passes/float_islands.py; a float32 table where an int8
island ends at a float32 graph output).

Inputs: the tensor and the table (int8 or float32 [256] constant, table[x + 128] is the output
for x; int16: int16 [65536], table[x + 32768]). The C kernels are the lookups of
kernels_c/lut_s8.c, lut_s8_f32.c and lut_s16.c (copies, no float arithmetic).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from . import _lut

OPS = ("LOOKUP_TABLE",)


def inplace(op, model):
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    return "elementwise" if y.dtype == x.dtype else None


def check(op, model):
    if len(op.inputs) != 2 or len(op.outputs) != 1 or min(op.inputs) < 0:
        raise UnsupportedError("expects an input and a table, and one output")
    x, table = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    y = model.tensor(op.outputs[0])
    if not ((x.dtype == np.int8 and y.dtype in (np.int8, np.float32))
            or (x.dtype == np.int16 and y.dtype == np.int16)):
        raise UnsupportedError("input and output must be int8 -> int8 or float32, or "
                               "int16 -> int16")
    n = 1 << (8 * x.dtype.itemsize)
    if table.data is None or table.dtype != y.dtype or table.size != n:
        raise UnsupportedError(f"the table must be a constant {y.dtype} [{n}] tensor")
    if x.size != y.size:
        raise UnsupportedError(f"input shape {x.shape} and output shape {y.shape} differ in size")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    table = model.tensor(op.inputs[1])
    return SimpleNamespace(size=int(model.tensor(op.inputs[0]).size),
                           lut=np.asarray(table.data, dtype=table.dtype).reshape(-1))


def simulate(op, model, params, inputs):
    if params.lut.size == 256:
        return _lut.simulate(op, model, params, inputs)
    y = model.tensor(op.outputs[0])
    return [params.lut[np.asarray(inputs[0]).astype(np.int64) + 32768].reshape(y.shape)]


def emit(op, model, params, cg) -> str:
    if params.lut.dtype == np.int8:
        return _lut.emit(op, model, params, cg)
    if params.lut.dtype == np.int16:
        cg.use_kernel("lut_s16")
        hint = f"{op.type.lower()}_{op.index}"
        lut = cg.const_array("int16_t", [int(v) for v in params.lut], f"{hint}_lut")
        name = cg.param_struct("tflm_lut_s16_params_t", {"lut": lut, "size": params.size}, hint)
        return f"tflm_lut_s16(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
    cg.use_kernel("lut_s8_f32")
    hint = f"lookup_table_{op.index}"
    lut = cg.const_array("float", params.lut, f"{hint}_lut")
    name = cg.param_struct("tflm_lut_s8_f32_params_t", {"lut": lut, "size": params.size}, hint)
    return f"tflm_lut_s8_f32(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
