"""BROADCAST_TO room: repeats the input along its unit dims up to a given shape.

TFLM micro (broadcast_to.cc + reference BroadcastTo): 2 inputs (data, shape), the shape 1-D
INT32 or INT64 with one entry per output dim; at most 5 output dims, the input at most as
many; each input dim (aligned to the right) is 1 or equal to the shape's; the output shape
must equal the shape; any element type (bytes are copied). We need the shape constant.
The copy is a strided byte view with zero steps on the broadcast dims
(kernels_c/gather_bytes.c); planned "overlap".
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._datamove import (byte_strides, collapse_view, emit_view, input_tensor, one_output,
                        require_nonempty, require_same_type, require_type, view_overlap_reads)

OPS = ("BROADCAST_TO",)
INPLACE = "overlap"

_TYPES = ("FLOAT32", "INT8", "UINT8", "INT16", "INT32", "INT64", "BOOL")
_MAX_DIMS = 5


def _shape(op, model) -> list[int]:
    t = input_tensor(op, model, 1, "shape")
    if t.type_name not in ("INT32", "INT64"):
        raise UnsupportedError(f"shape tensor must be INT32 or INT64, got {t.type_name}")
    if not t.is_constant:
        raise UnsupportedError("non-constant shape tensor is not supported (the output shape "
                               "is fixed at generation time)")
    if len(t.shape) != 1:
        raise UnsupportedError(f"shape tensor must be 1-D, has shape {list(t.shape)}")
    return [int(v) for v in np.asarray(t.data).reshape(-1)]


def check(op, model) -> None:
    if len(op.inputs) != 2:
        raise UnsupportedError(f"expects 2 inputs (data, shape), got {len(op.inputs)}")
    y = one_output(op, model)
    x = input_tensor(op, model, 0)
    require_type(x, _TYPES, "input")
    require_same_type(x, y)
    require_nonempty(x, "input")
    require_nonempty(y, "output")
    shape = _shape(op, model)
    if len(y.shape) != len(shape):
        raise UnsupportedError(f"output has {len(y.shape)} dims, the shape tensor "
                               f"{len(shape)}")
    if len(shape) > _MAX_DIMS:
        raise UnsupportedError(f"{len(shape)}-D output; TFLM BROADCAST_TO supports at most "
                               f"{_MAX_DIMS}")
    if len(x.shape) > len(shape):
        raise UnsupportedError(f"input {list(x.shape)} has more dims than the shape {shape}")
    ext = len(shape) - len(x.shape)
    for d, n in enumerate(x.shape):
        if n != 1 and n != shape[ext + d]:
            raise UnsupportedError(f"input {list(x.shape)} does not broadcast to {shape}")
    if list(y.shape) != shape:
        raise UnsupportedError(f"output shape {list(y.shape)} differs from the shape {shape}")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x = model.tensors[op.inputs[0]]
    y = model.tensors[op.outputs[0]]
    es = x.dtype.itemsize
    out = [int(d) for d in y.shape]
    ext = len(out) - len(x.shape)
    in_full = [1] * ext + [int(d) for d in x.shape]
    strides = byte_strides(in_full, es)
    runs = [(n, st if m == n else 0) for n, m, st in zip(out, in_full, strides)]
    dims, steps = collapse_view(runs, es)
    return SimpleNamespace(out_dims=dims, in_steps=steps, out_shape=tuple(out))


def overlap_reads(op, model):
    p = prepare(op, model)
    return view_overlap_reads(0, p.out_dims, p.in_steps)


def simulate(op, model, params, inputs):
    return [np.ascontiguousarray(np.broadcast_to(np.asarray(inputs[0]), params.out_shape))]


def emit(op, model, params, cg) -> str:
    return emit_view(cg, f"broadcast_to_{op.index}", 0, params.out_dims, params.in_steps,
                     cg.ptr(op.inputs[0]), cg.ptr(op.outputs[0]))
