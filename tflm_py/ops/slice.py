"""SLICE room: a box of the input, begin + size per axis (bytes moved, no arithmetic).

TFLM micro (slice.cc + reference Slice): 3 inputs (data, begin, size), one output; begin and
size 1-D INT32 or INT64 of rank entries; input at most 5-D; types float32, int8, int16, int32,
bool. Eval validates per axis 0 <= begin <= n and 0 <= size <= n - begin (size -1: to the end)
and that the slice has as many elements as the output (the output's own shape may differ;
the bytes are written in order). We need begin and size constant (the copy is planned at
generation time) and refuse what TFLM's Eval would refuse.
The copy is a strided byte view of the input (kernels_c/gather_bytes.c); planned "overlap"
in place: the output may start inside the dying input up to just before the first byte it
copies. A box that is one contiguous block of the input is planned "view" instead (ops/
_views.py): the output is those bytes of the input and no code runs.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._views import box_offset, is_view
from ._datamove import (byte_strides, collapse_view, emit_view, input_tensor, one_output,
                        require_nonempty, require_same_type, require_type, view_overlap_reads)

OPS = ("SLICE",)
INPLACE = "overlap"

_TYPES = ("FLOAT32", "INT8", "INT16", "INT32", "BOOL")
_MAX_DIMS = 5


def _vector(op, model, k: int, what: str, rank: int) -> list[int]:
    t = input_tensor(op, model, k, what)
    if t.type_name not in ("INT32", "INT64"):
        raise UnsupportedError(f"{what} tensor must be INT32 or INT64, got {t.type_name}")
    if not t.is_constant:
        raise UnsupportedError(f"non-constant {what} tensor is not supported (the slice is "
                               f"planned at generation time)")
    if len(t.shape) != 1 or t.shape[0] != rank:
        raise UnsupportedError(f"{what} must be 1-D with {rank} entries, has shape "
                               f"{list(t.shape)}")
    return [int(v) for v in np.asarray(t.data).reshape(-1)]


def _box(op, model) -> list[tuple[int, int]]:
    """(begin, size) per axis, size resolved, as TFLM's Eval validates them."""
    x = model.tensors[op.inputs[0]]
    rank = len(x.shape)
    begin = _vector(op, model, 1, "begin", rank)
    size = _vector(op, model, 2, "size", rank)
    box = []
    for a, (n, b, s) in enumerate(zip(x.shape, begin, size)):
        if not 0 <= b <= n:
            raise UnsupportedError(f"begin {b} of axis {a} is outside [0, {n}] (TFLM fails)")
        rest = n - b
        s = rest if s == -1 else s
        if not 0 <= s <= rest:
            raise UnsupportedError(f"size {size[a]} of axis {a} does not fit the {rest} "
                                   f"elements after begin {b} (TFLM fails)")
        box.append((b, s))
    return box


def check(op, model) -> None:
    if len(op.inputs) != 3:
        raise UnsupportedError(f"expects 3 inputs (data, begin, size), got {len(op.inputs)}")
    y = one_output(op, model)
    x = input_tensor(op, model, 0)
    require_type(x, _TYPES, "input")
    require_same_type(x, y)
    require_nonempty(x, "input")
    require_nonempty(y, "output")
    if not 1 <= len(x.shape) <= _MAX_DIMS:
        raise UnsupportedError(f"{len(x.shape)}-D input; TFLM SLICE supports 1-D to "
                               f"{_MAX_DIMS}-D")
    b_t, s_t = model.tensors[op.inputs[1]], model.tensors[op.inputs[2]]
    if b_t.type_name != s_t.type_name:
        raise UnsupportedError(f"begin type {b_t.type_name} differs from size type "
                               f"{s_t.type_name}")
    box = _box(op, model)
    n = int(np.prod([s for _, s in box], dtype=np.int64))
    if n != y.size:
        raise UnsupportedError(f"the slice has {n} elements, the output {list(y.shape)} has "
                               f"{y.size} (TFLM fails)")


def views(op, model):
    """[(output, input, byte offset)] when the box is contiguous in the input."""
    try:
        box = _box(op, model)
    except UnsupportedError:
        return []
    x = model.tensors[op.inputs[0]]
    off = box_offset(x.shape, [b for b, _ in box], [n for _, n in box])
    return [] if off is None else [(op.outputs[0], op.inputs[0], off * x.dtype.itemsize)]


def inplace(op, model):
    return "view" if views(op, model) else "overlap"


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x = model.tensors[op.inputs[0]]
    y = model.tensors[op.outputs[0]]
    box = _box(op, model)
    strides = byte_strides(x.shape, x.dtype.itemsize)
    offset = sum(b * st for (b, _), st in zip(box, strides))
    dims, steps = collapse_view([(s, st) for (_, s), st in zip(box, strides)],
                                x.dtype.itemsize)
    return SimpleNamespace(box=box, offset=offset, out_dims=dims, in_steps=steps,
                           out_shape=tuple(y.shape), dtype=y.dtype)


def overlap_reads(op, model):
    p = prepare(op, model)
    return view_overlap_reads(p.offset, p.out_dims, p.in_steps)


def simulate(op, model, params, inputs):
    x = np.asarray(inputs[0])
    box = tuple(slice(b, b + s) for b, s in params.box)
    return [np.ascontiguousarray(x[box]).reshape(params.out_shape)]


def emit(op, model, params, cg) -> str:
    if is_view(cg, op.outputs[0], op.inputs[0], params.offset):
        return ""   # planned as a view of the input: nothing to copy
    return emit_view(cg, f"slice_{op.index}", params.offset, params.out_dims,
                     params.in_steps, cg.ptr(op.inputs[0]), cg.ptr(op.outputs[0]))
