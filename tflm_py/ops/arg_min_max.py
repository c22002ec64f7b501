"""ARG_MAX and ARG_MIN: int8 input, int32 output, over one constant int32 axis (negative
allowed); the output drops that axis.

TFLM (kernels/arg_min_max.cc, reference arg_min_max.h) compares the raw int8 values with a
strict greater / less, so ties keep the first index. Its kernel takes an int32 axis, int8 or
float32 input and an int32 output only (int64 output, int16 / int32 input are refused).
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError

OPS = ("ARG_MAX", "ARG_MIN")
INPLACE = None


def _axis(op, model) -> int:
    x, a = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    v = int(np.asarray(a.data).ravel()[0])
    return v + len(x.shape) if v < 0 else v


def check(op, model):
    if len(op.inputs) != 2 or len(op.outputs) != 1 or min(op.inputs) < 0:
        raise UnsupportedError("expects inputs (input, axis) and one output")
    x, a, y = model.tensor(op.inputs[0]), model.tensor(op.inputs[1]), model.tensor(op.outputs[0])
    if x.dtype != np.dtype(np.int8):
        raise UnsupportedError(f"input type {x.type_name.lower()} is not supported: TFLM's "
                               f"{op.type} takes int8 (and float32, not supported here)")
    if y.dtype != np.dtype(np.int32):
        raise UnsupportedError(f"output type {y.type_name.lower()} is not supported: TFLM's "
                               f"{op.type} writes int32 only")
    if a.dtype != np.dtype(np.int32) or not a.is_constant or a.size != 1:
        raise UnsupportedError("axis must be one constant int32 value")
    rank = len(x.shape)
    if rank < 1 or any(d <= 0 for d in x.shape):
        raise UnsupportedError(f"input shape {x.shape} is empty or dynamic")
    v = int(np.asarray(a.data).ravel()[0])
    if not -rank <= v < rank:
        raise UnsupportedError(f"axis {v} is out of range for rank {rank}")
    ax = _axis(op, model)
    want = tuple(d for i, d in enumerate(x.shape) if i != ax)
    if tuple(y.shape) != want:
        raise UnsupportedError(f"output shape {tuple(y.shape)} is not the input shape without "
                               f"axis {ax}: {want}")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x = model.tensor(op.inputs[0])
    ax = _axis(op, model)
    shape = [int(d) for d in x.shape]
    return {"axis": ax, "outer": int(np.prod(shape[:ax], dtype=np.int64)),
            "axis_size": shape[ax], "inner": int(np.prod(shape[ax + 1:], dtype=np.int64)),
            "is_min": op.type == "ARG_MIN"}


def simulate(op, model, p, inputs):
    y = model.tensor(op.outputs[0])
    x = np.asarray(inputs[0])
    # numpy's argmax / argmin return the first index of ties, as TFLM's strict comparison
    idx = np.argmin(x, axis=p["axis"]) if p["is_min"] else np.argmax(x, axis=p["axis"])
    return [idx.astype(np.int32).reshape(y.shape)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("arg_min_max")
    fields = {"outer": p["outer"], "axis_size": p["axis_size"], "inner": p["inner"],
              "is_min": int(p["is_min"])}
    name = cg.param_struct("tflm_arg_min_max_params_t", fields, f"{op.type.lower()}_params")
    return f"tflm_arg_min_max_s8(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
