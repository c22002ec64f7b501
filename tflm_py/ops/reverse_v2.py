"""REVERSE_V2 room: reverses the input along some axes (bytes moved, no arithmetic).

TFLM micro (reverse.cc + reference Reverse): 2 inputs (data, axis), the axis tensor 1-D
INT32 with at most rank entries (negative counts from the end), input at most 6-D; types
float32, int8, uint8, int16, int32, int64, bool. Eval sorts the axes and fails unless they
are consecutive (so no axis twice). We need the axes constant and at least one.
The copy is a strided byte view with negative steps on the reversed axes
(kernels_c/gather_bytes.c); planned "overlap".
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._datamove import (byte_strides, collapse_view, emit_view, input_tensor, one_output,
                        require_nonempty, require_same_type, require_type, view_overlap_reads)

OPS = ("REVERSE_V2",)
INPLACE = "overlap"

_TYPES = ("FLOAT32", "INT8", "UINT8", "INT16", "INT32", "INT64", "BOOL")
_MAX_DIMS = 6


def _axes(op, model) -> list[int]:
    x = model.tensors[op.inputs[0]]
    t = input_tensor(op, model, 1, "axis")
    if t.type_name != "INT32":
        raise UnsupportedError(f"axis tensor must be INT32, got {t.type_name}")
    if not t.is_constant:
        raise UnsupportedError("non-constant axis tensor is not supported (the copy is "
                               "planned at generation time)")
    if len(t.shape) != 1:
        raise UnsupportedError(f"axis tensor must be 1-D, has shape {list(t.shape)}")
    raw = [int(v) for v in np.asarray(t.data).reshape(-1)]
    rank = len(x.shape)
    if not raw:
        raise UnsupportedError("axis tensor is empty")
    if len(raw) > rank:
        raise UnsupportedError(f"{len(raw)} axes for a {rank}-D input")
    axes = sorted(a + rank if a < 0 else a for a in raw)
    if any(not 0 <= a < rank for a in axes):
        raise UnsupportedError(f"axes {raw} out of range for a {rank}-D input")
    if any(b != a + 1 for a, b in zip(axes, axes[1:])):
        raise UnsupportedError(f"axes {raw} are not consecutive (TFLM supports only "
                               f"consecutive axes)")
    return axes


def check(op, model) -> None:
    if len(op.inputs) != 2:
        raise UnsupportedError(f"expects 2 inputs (data, axis), got {len(op.inputs)}")
    y = one_output(op, model)
    x = input_tensor(op, model, 0)
    require_type(x, _TYPES, "input")
    require_same_type(x, y)
    require_nonempty(x, "input")
    if not 1 <= len(x.shape) <= _MAX_DIMS:
        raise UnsupportedError(f"{len(x.shape)}-D input; TFLM REVERSE_V2 supports 1-D to "
                               f"{_MAX_DIMS}-D")
    if tuple(y.shape) != tuple(x.shape):
        raise UnsupportedError(f"output shape {list(y.shape)} differs from input shape "
                               f"{list(x.shape)}")
    _axes(op, model)


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x = model.tensors[op.inputs[0]]
    axes = _axes(op, model)
    es = x.dtype.itemsize
    strides = byte_strides(x.shape, es)
    offset = sum((int(x.shape[a]) - 1) * strides[a] for a in axes)
    runs = [(int(n), -st if d in axes else st) for d, (n, st) in enumerate(zip(x.shape, strides))]
    dims, steps = collapse_view(runs, es)
    return SimpleNamespace(axes=axes, offset=offset, out_dims=dims, in_steps=steps)


def overlap_reads(op, model):
    p = prepare(op, model)
    return view_overlap_reads(p.offset, p.out_dims, p.in_steps)


def simulate(op, model, params, inputs):
    return [np.ascontiguousarray(np.flip(np.asarray(inputs[0]), axis=tuple(params.axes)))]


def emit(op, model, params, cg) -> str:
    return emit_view(cg, f"reverse_{op.index}", params.offset, params.out_dims,
                     params.in_steps, cg.ptr(op.inputs[0]), cg.ptr(op.outputs[0]))
