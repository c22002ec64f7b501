"""GATHER, EMBEDDING_LOOKUP rooms: copy input slices picked by int32 positions that may come
at run time.

TFLM micro:
- GATHER (gather.cc): inputs (params, positions INT32), options axis and batch_dims
  (negative counts from the end: axis of the input's rank, batch_dims of the positions');
  params float32 or int8; 0 <= batch_dims <= axis < rank, batch_dims <= positions' rank, the
  first batch_dims dims of both equal. Prepare sets the output shape to
  params[:axis] + positions[batch_dims:] + params[axis+1:]. Eval fails the invoke on a
  position outside [0, params.shape[axis]).
- EMBEDDING_LOOKUP (embedding_lookup.cc): inputs (lookup 1-D INT32, value >= 2-D float32 or
  int8); output rows value[lookup[i]] (shape [len(lookup)] + value[1:]); out-of-range rows
  fail the invoke. The hybrid int8 -> float32 form (a dequantizing lookup) is refused here.
Both run kernels_c/gather.c (memcpy per slice; -1 from the invoke where TFLM fails). A
GATHER or EMBEDDING_LOOKUP with constant positions that pick consecutive rows in ascending
order, on an axis with only unit dims before it, reads one contiguous block of the input: it
is planned "view" (ops/_views.py) and, in place, runs no code.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import ModelError, UnsupportedError
from ._views import is_view
from ._datamove import input_tensor, one_output, require_nonempty, require_same_type, \
    require_type

OPS = ("GATHER", "EMBEDDING_LOOKUP")
INPLACE = None


def views(op, model):
    """[(output, input, byte offset)] when constant positions pick one contiguous block."""
    try:
        check(op, model)
        axis, bd, _ = _geometry(op, model)
    except UnsupportedError:
        return []
    x, pos = _tensors(op, model)
    if not pos.is_constant or bd != 0 or any(int(d) != 1 for d in x.shape[:axis]):
        return []
    v = np.asarray(pos.data).reshape(-1).astype(np.int64)
    if v.size == 0 or np.any(np.diff(v) != 1):
        return []
    row = int(np.prod(x.shape[axis + 1:], dtype=np.int64)) * x.dtype.itemsize
    data = op.inputs[0] if op.type == "GATHER" else op.inputs[1]
    return [(op.outputs[0], data, int(v[0]) * row)]


def inplace(op, model):
    return "view" if views(op, model) else None

_TYPES = ("FLOAT32", "INT8")


def _tensors(op, model):
    """(data, positions) tensors."""
    if op.type == "GATHER":
        return input_tensor(op, model, 0, "params"), input_tensor(op, model, 1, "positions")
    return input_tensor(op, model, 1, "value"), input_tensor(op, model, 0, "lookup")


def _geometry(op, model):
    """(axis, batch_dims, expected output shape)."""
    x, pos = _tensors(op, model)
    if op.type == "EMBEDDING_LOOKUP":
        if len(pos.shape) != 1:
            raise UnsupportedError(f"lookup must be 1-D, has shape {list(pos.shape)}")
        if len(x.shape) < 2:
            raise UnsupportedError(f"value must have at least 2 dims, has {list(x.shape)}")
        return 0, 0, (int(pos.shape[0]),) + tuple(int(d) for d in x.shape[1:])
    rank, prank = len(x.shape), len(pos.shape)
    axis = int(getattr(op.options, "axis", 0) or 0)
    bd = int(getattr(op.options, "batch_dims", 0) or 0)
    axis = axis + rank if axis < 0 else axis
    bd = bd + prank if bd < 0 else bd
    if not 0 <= axis < rank:
        raise UnsupportedError(f"axis {axis} is out of range for a {rank}-D input")
    if not (0 <= bd <= axis and bd < rank and bd <= prank):
        raise UnsupportedError(f"batch_dims {bd} must lie in [0, axis {axis}] and within both "
                               f"ranks")
    if tuple(x.shape[:bd]) != tuple(pos.shape[:bd]):
        raise UnsupportedError(f"the first {bd} dims of params {list(x.shape)} and positions "
                               f"{list(pos.shape)} differ")
    out = tuple(x.shape[:axis]) + tuple(pos.shape[bd:]) + tuple(x.shape[axis + 1:])
    return axis, bd, tuple(int(d) for d in out)


def check(op, model) -> None:
    if len(op.inputs) != 2:
        raise UnsupportedError(f"expects 2 inputs, got {len(op.inputs)}")
    y = one_output(op, model)
    x, pos = _tensors(op, model)
    require_type(x, _TYPES, "input")
    if op.type == "EMBEDDING_LOOKUP" and x.type_name == "INT8" and y.type_name == "FLOAT32":
        raise UnsupportedError("the hybrid int8 -> float32 lookup is not supported (use an "
                               "int8 output)")
    require_same_type(x, y)
    if pos.type_name != "INT32":
        raise UnsupportedError(f"positions must be INT32 (TFLM supports only int32), got "
                               f"{pos.type_name}")
    require_nonempty(x, "input")
    require_nonempty(pos, "positions")
    _, _, expected = _geometry(op, model)
    if tuple(y.shape) != expected:
        raise UnsupportedError(f"output shape {list(y.shape)} differs from the shape TFLM "
                               f"computes, {list(expected)}")
    if pos.is_constant:
        v = np.asarray(pos.data).reshape(-1)
        n = x.shape[_geometry(op, model)[0]]
        if v.size and (v.min() < 0 or v.max() >= n):
            raise UnsupportedError(f"constant positions outside [0, {n}) (TFLM fails)")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x, pos = _tensors(op, model)
    axis, bd, out = _geometry(op, model)
    shape = [int(d) for d in x.shape]
    batches = int(np.prod(shape[:bd], dtype=np.int64))
    outer = int(np.prod(shape[bd:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1:], dtype=np.int64)) * x.dtype.itemsize
    coords = int(np.prod(pos.shape[bd:], dtype=np.int64))
    return SimpleNamespace(batches=batches, outer=outer, axis_size=shape[axis], coords=coords,
                           inner_bytes=inner, out_shape=out, dtype=x.dtype)


def simulate(op, model, params, inputs):
    x, pos = (inputs[0], inputs[1]) if op.type == "GATHER" else (inputs[1], inputs[0])
    p = params
    pos = np.asarray(pos).reshape(p.batches, p.coords).astype(np.int64)
    if pos.size and (pos.min() < 0 or pos.max() >= p.axis_size):
        raise ModelError(f"op #{op.index} {op.type}: position outside [0, {p.axis_size}) "
                         f"(TFLM fails the invoke)")
    rows = np.ascontiguousarray(x).reshape(-1).view(np.uint8).reshape(
        p.batches, p.outer, p.axis_size, p.inner_bytes)
    out = rows[np.arange(p.batches)[:, None, None], np.arange(p.outer)[None, :, None],
               pos[:, None, :]]
    return [np.ascontiguousarray(out).reshape(-1).view(p.dtype).reshape(p.out_shape)]


def emit(op, model, params, cg) -> str:
    if any(is_view(cg, m, c, off) for m, c, off in views(op, model)):
        return ""   # planned as a view of the input: nothing to copy
    cg.use_kernel("gather")
    name = cg.param_struct("tflm_gather_params_t",
                           {"batches": params.batches, "outer": params.outer,
                            "axis_size": params.axis_size, "coords": params.coords,
                            "inner_bytes": params.inner_bytes}, f"{op.type.lower()}_{op.index}")
    x, pos = (op.inputs[0], op.inputs[1]) if op.type == "GATHER" else (op.inputs[1], op.inputs[0])
    return (f"if (tflm_gather(&{name}, {cg.ptr(x)}, {cg.ptr(pos)}, {cg.ptr(op.outputs[0])}) "
            f"!= 0) {{\n    return -1; /* position out of range: TFLM fails the invoke */\n}}")
