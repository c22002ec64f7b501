"""RESHAPE, SQUEEZE, EXPAND_DIMS room: the output is the input's bytes under another shape.

TFLM micro:
- RESHAPE (reshape.cc / reshape_common.cc): one or two inputs; the output shape is the output
  tensor's own shape (the shape input and the new_shape option are not consulted beyond the
  legacy scalar rule); element counts and types must match; eval copies the bytes unless
  input and output share memory.
- SQUEEZE (squeeze.cc): squeeze_dims must name unit dims (negative indices allowed, all unit
  dims when empty); each kept input dim needs an output dim at least as large; byte sizes equal.
- EXPAND_DIMS (expand_dims.cc): constant INT32 axis tensor of at most one dim; output shape =
  input shape with a 1 inserted at axis (negative axis counts from the end, rank + 1);
  float32, int8, int16 only.
INPLACE="alias": the planner shares the memory; emit then produces no code, else a guarded copy.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._datamove import (const_int32, input_tensor, one_output, placeholder_hint,
                        require_nonempty, require_same_type, require_type)

OPS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
INPLACE = "alias"

_ANY_TYPES = ("FLOAT32", "INT8", "UINT8", "INT16", "INT32", "INT64", "BOOL")
_EXPAND_TYPES = ("FLOAT32", "INT8", "INT16")


def _check_reshape(op, model, x, y) -> None:
    if len(op.inputs) not in (1, 2):
        raise UnsupportedError(f"expects 1 or 2 inputs, got {len(op.inputs)}")
    if len(op.inputs) == 1 and y.shape == (0,):
        raise UnsupportedError("legacy scalar output shape [0] is not supported")
    if x.size != y.size:
        raise UnsupportedError(f"input {list(x.shape)} and output {list(y.shape)} have "
                               f"different element counts"
                               f"{placeholder_hint(y, range(len(y.shape)))}")


def _squeeze_mask(op, x) -> list[bool]:
    dims = tuple(getattr(op.options, "squeeze_dims", None) or ())
    n = len(x.shape)
    if n > 8:
        raise UnsupportedError(f"input has {n} dims; TFLM SQUEEZE allows at most 8")
    mask = [False] * n
    if not dims:
        mask = [d == 1 for d in x.shape]
    for s in dims:
        cur = s + n if s < 0 else s
        if not (0 <= cur < n) or x.shape[cur] != 1:
            raise UnsupportedError(f"squeeze dim {s} is not a unit dim of input "
                                   f"{list(x.shape)}")
        mask[cur] = True
    return mask


def _check_squeeze(op, model, x, y) -> None:
    if len(op.inputs) != 1:
        raise UnsupportedError(f"expects 1 input, got {len(op.inputs)}")
    mask = _squeeze_mask(op, x)
    out_idx = 0
    for d, squeezed in zip(x.shape, mask):
        if squeezed:
            continue
        if out_idx >= len(y.shape) or y.shape[out_idx] < d:
            raise UnsupportedError(f"output shape {list(y.shape)} does not fit the squeezed "
                                   f"input {list(x.shape)}")
        out_idx += 1
    if x.nbytes != y.nbytes:
        raise UnsupportedError(f"input {list(x.shape)} and output {list(y.shape)} have "
                               f"different sizes")


def _check_expand_dims(op, model, x, y) -> None:
    if len(op.inputs) != 2:
        raise UnsupportedError(f"expects 2 inputs (data, axis), got {len(op.inputs)}")
    require_type(x, _EXPAND_TYPES, "input")
    axis_t = input_tensor(op, model, 1, "axis")
    if len(axis_t.shape) > 1:
        raise UnsupportedError("axis tensor must have at most one dimension")
    axis = const_int32(op, model, 1, "axis").reshape(-1)
    if axis.size < 1:
        raise UnsupportedError("axis tensor is empty")
    a = int(axis[0])
    n = len(x.shape)
    if a < 0:
        a += n + 1
    if not (0 <= a <= n):
        raise UnsupportedError(f"axis {int(axis[0])} is out of range for a {n}-D input")
    expected = tuple(x.shape[:a]) + (1,) + tuple(x.shape[a:])
    if tuple(y.shape) != expected:
        raise UnsupportedError(f"output shape {list(y.shape)} is not the input shape "
                               f"{list(x.shape)} with a 1 inserted at axis {a}")


def check(op, model) -> None:
    y = one_output(op, model)
    x = input_tensor(op, model, 0)
    require_type(x, _ANY_TYPES, "input")
    require_same_type(x, y)
    require_nonempty(x, "input")
    require_nonempty(y, "output")
    if op.type == "RESHAPE":
        _check_reshape(op, model, x, y)
    elif op.type == "SQUEEZE":
        _check_squeeze(op, model, x, y)
    else:
        _check_expand_dims(op, model, x, y)


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    y = model.tensors[op.outputs[0]]
    return SimpleNamespace(out_shape=tuple(y.shape), nbytes=int(y.nbytes))


def simulate(op, model, params, inputs):
    x = np.asarray(inputs[0])
    return [x.reshape(params.out_shape).copy()]


def emit(op, model, params, cg) -> str:
    src = cg.ptr(op.inputs[0])
    dst = cg.ptr(op.outputs[0])
    if src.replace("const ", "") == dst.replace("const ", ""):
        return ""  # planned in place: a view, nothing to do
    cg.use_kernel("reshape")
    return f"tflm_reshape({src}, {dst}, {params.nbytes}u);"
