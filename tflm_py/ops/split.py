"""SPLIT, SPLIT_V rooms: cut the input into consecutive pieces along one axis.

TFLM micro (split.cc, split_v.cc): SPLIT takes (axis, data), SPLIT_V (data, size_splits,
axis); the axis must be a constant tensor (read as int32, negative counts from the end);
types float32, int8, int16, int32. Eval never reads size_splits or num_splits: each output's
own extent along the axis says how many input rows it takes, in output order (SPLIT uses
output 0's extent for every output, so all must agree). Every output has the input's rank
and dims off the axis (TFLM only DCHECKs this; we require it), extents add up to the input's.
Each output is a strided byte view of the input (kernels_c/gather_bytes.c). SPLIT_V is
planned "overlap" in place: output 0 may start inside its dying input, so it is copied last.
(SPLIT's input 0 is the axis constant, so it has no in-place pair.) When the dims before the
axis are all 1, each output is one contiguous block of the input: both are planned "view"
(ops/_views.py) and an output planned in place costs no copy and no arena.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._views import is_view
from ._datamove import (byte_strides, collapse_view, emit_view, input_tensor, require_nonempty,
                        require_same_type, require_type, view_overlap_reads)

OPS = ("SPLIT", "SPLIT_V")

_TYPES = ("FLOAT32", "INT8", "INT16", "INT32")


def inplace(op, model):
    if views(op, model):
        return "view"
    return "overlap" if op.type == "SPLIT_V" else None


def views(op, model):
    """[(output k, input, byte offset)] when every output is a contiguous block."""
    try:
        check(op, model)
    except UnsupportedError:
        return []
    x = model.tensors[op.inputs[_data_index(op)]]
    axis = _axis(op, model)
    if any(int(d) != 1 for d in x.shape[:axis]):
        return []
    row = int(np.prod(x.shape[axis + 1:], dtype=np.int64)) * x.dtype.itemsize
    out, start = [], 0
    for o in op.outputs:
        out.append((o, op.inputs[_data_index(op)], start * row))
        start += model.tensors[o].shape[axis]
    return out


def _data_index(op) -> int:
    return 1 if op.type == "SPLIT" else 0


def _axis(op, model) -> int:
    k = 0 if op.type == "SPLIT" else 2
    t = input_tensor(op, model, k, "axis")
    if not t.is_constant:
        raise UnsupportedError("non-constant axis tensor is not supported (TFLM requires a "
                               "constant)")
    if t.type_name != "INT32":
        raise UnsupportedError(f"axis tensor must be INT32 (TFLM reads it as int32), got "
                               f"{t.type_name}")
    if t.size < 1:
        raise UnsupportedError("axis tensor is empty")
    x = model.tensors[op.inputs[_data_index(op)]]
    a = int(np.asarray(t.data).reshape(-1)[0])
    rank = len(x.shape)
    if a < 0:
        a += rank
    if not 0 <= a < rank:
        raise UnsupportedError(f"axis {int(np.asarray(t.data).reshape(-1)[0])} is out of "
                               f"range for a {rank}-D input")
    return a


def check(op, model) -> None:
    n_in = 2 if op.type == "SPLIT" else 3
    if len(op.inputs) != n_in:
        raise UnsupportedError(f"expects {n_in} inputs, got {len(op.inputs)}")
    if not op.outputs or any(o < 0 for o in op.outputs):
        raise UnsupportedError("expects at least one output")
    x = input_tensor(op, model, _data_index(op))
    require_type(x, _TYPES, "input")
    require_nonempty(x, "input")
    axis = _axis(op, model)
    total = 0
    first = model.tensors[op.outputs[0]].shape[axis] if len(
        model.tensors[op.outputs[0]].shape) == len(x.shape) else None
    for k, o in enumerate(op.outputs):
        y = model.tensors[o]
        require_same_type(x, y, "input", f"output {k}")
        if len(y.shape) != len(x.shape):
            raise UnsupportedError(f"output {k} has {len(y.shape)} dims, input has "
                                   f"{len(x.shape)}")
        for d in range(len(x.shape)):
            if d != axis and y.shape[d] != x.shape[d]:
                raise UnsupportedError(f"output {k} shape {list(y.shape)} does not match "
                                       f"input {list(x.shape)} outside axis {axis}")
        if op.type == "SPLIT" and y.shape[axis] != first:
            raise UnsupportedError(f"output {k} has {y.shape[axis]} rows along axis {axis}, "
                                   f"output 0 has {first}; TFLM SPLIT copies output 0's "
                                   f"extent for every output")
        require_nonempty(y, f"output {k}")
        total += y.shape[axis]
    if total != x.shape[axis]:
        raise UnsupportedError(f"outputs add up to {total} along axis {axis}, input has "
                               f"{x.shape[axis]}")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x = model.tensors[op.inputs[_data_index(op)]]
    axis = _axis(op, model)
    es = x.dtype.itemsize
    strides = byte_strides(x.shape, es)
    views = []
    start = 0
    for o in op.outputs:
        y = model.tensors[o]
        runs = [(int(e), st) for e, st in zip(y.shape, strides)]
        dims, steps = collapse_view(runs, es)
        views.append((start * strides[axis], dims, steps, tuple(y.shape)))
        start += y.shape[axis]
    return SimpleNamespace(axis=axis, views=views, dtype=x.dtype)


def overlap_reads(op, model):
    offset, dims, steps, _ = prepare(op, model).views[0]
    return view_overlap_reads(offset, dims, steps)


def simulate(op, model, params, inputs):
    x = np.asarray(inputs[_data_index(op)])
    outs, start = [], 0
    for _, _, _, shape in params.views:
        box = [slice(None)] * x.ndim
        box[params.axis] = slice(start, start + shape[params.axis])
        outs.append(np.ascontiguousarray(x[tuple(box)]))
        start += shape[params.axis]
    return outs


def emit(op, model, params, cg) -> str:
    src = cg.ptr(op.inputs[_data_index(op)])
    calls = []
    # output 0 last: it alone may be planned over the input the others still read
    for k in reversed(range(len(op.outputs))):
        off, dims, steps, _ = params.views[k]
        if is_view(cg, op.outputs[k], op.inputs[_data_index(op)], off):
            continue    # planned as a view of the input: nothing to copy
        calls.append(emit_view(cg, f"{op.type.lower()}_{op.index}_out{k}", off, dims, steps,
                               src, cg.ptr(op.outputs[k])))
    return "\n".join(calls)
