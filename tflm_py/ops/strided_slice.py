"""STRIDED_SLICE room: picks a strided box of the input (bytes moved, no arithmetic).

TFLM micro (strided_slice.cc / strided_slice_common.cc, strided_slice_logic.h, reference
StridedSlice): 1-D to 4-D input; begin, end, strides constant INT32 tensors of rank entries;
types float32, int8, int16, int32, bool. It keeps begin_mask, end_mask and shrink_axis_mask
and silently drops ellipsis_mask, new_axis_mask and offset (we reject those: the result would
not mean what the model says). Per axis (size n, stride s != 0):
  start = begin (+n if < 0), clamped to [0, n] (s > 0) or [-1, n-1] (s < 0);
          begin_mask: 0 (s > 0) or n-1 (s < 0)
  stop  = shrink: start + 1 (start when start >= n); otherwise end (+n if < 0), clamped the
          same way; end_mask: n (s > 0) or -1 (s < 0)
  walk  = start, start+s, ... while < stop (s > 0) or > stop (s < 0)
Prepare checks the output shape with a slightly different formula (float ceil of
(stop-start)/s, shrink always one element). Where the two disagree (a shrunk axis with a
negative stride or a start past the end) TFLM leaves output elements unwritten; we reject.
Python resolves every axis to (start, step, count) and hands the C kernel a collapsed byte
gather: an input byte offset, output extents and signed byte steps. When that gather is one
run of consecutive bytes, the output is a block of the input: planned "view" (ops/_views.py),
no code runs.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._views import is_view
from ._datamove import (c_array, view_overlap_reads, const_int32, input_tensor, one_output, require_nonempty,
                        require_same_type, require_type)

OPS = ("STRIDED_SLICE",)
INPLACE = "overlap"  # the byte gather may write over its dying input (ops/_datamove.py)


def views(op, model):
    """[(output, input, byte offset)] when the slice is one run of consecutive bytes."""
    try:
        check(op, model)
        p = prepare(op, model)
    except UnsupportedError:
        return []
    if len(p.out_dims) != 1 or list(p.in_steps) != [1]:
        return []
    return [(op.outputs[0], op.inputs[0], int(p.offset))]


def inplace(op, model):
    return "view" if views(op, model) else "overlap"

_TYPES = ("FLOAT32", "INT8", "INT16", "INT32", "BOOL")
_MAX_DIMS = 4
_C_MAX_DIMS = 6  # TFLM_GATHER_MAX_DIMS of kernels_c/gather_bytes.h
_INT_MIN = -(1 << 31)
_INT_MAX = (1 << 31) - 1


def _clamp(v: int, lo: int, hi: int) -> int:
    return hi if v > hi else lo if v < lo else v


def _bit(mask: int, axis: int) -> bool:
    return bool(mask & (1 << axis))


def _prepare_extent(n, begin, end, stride, bm, em, shrink) -> int:
    """The output extent TFLM's Prepare expects along one axis (StartForAxis/StopForAxis)."""
    start = begin
    if bm:
        start = _INT_MIN if stride > 0 else _INT_MAX
    if start < 0:
        start += n
    start = _clamp(start, 0, n) if stride > 0 else _clamp(start, -1, n - 1)
    if shrink:
        stop = start + 1
    else:
        stop = end
        if em:
            stop = _INT_MAX if stride > 0 else _INT_MIN
        if stop < 0:
            stop += n
        stop = _clamp(stop, 0, n) if stride > 0 else _clamp(stop, -1, n - 1)
    # std::ceil((end - begin) / static_cast<float>(stride)), in float32
    ext = math.ceil(float(np.float32(stop - start) / np.float32(stride)))
    return max(ext, 0)


def _eval_range(n, begin, end, stride, bm, em, shrink) -> tuple[int, int]:
    """(start, count) the reference StridedSlice loop visits along one axis."""
    start = begin + n if begin < 0 else begin
    start = _clamp(start, 0, n) if stride > 0 else _clamp(start, -1, n - 1)
    if bm:
        start = 0 if stride > 0 else n - 1
    if shrink:
        stop = start if start >= n else start + 1
    else:
        stop = end + n if end < 0 else end
        stop = _clamp(stop, 0, n) if stride > 0 else _clamp(stop, -1, n - 1)
        if em:
            stop = n if stride > 0 else -1
    if stride > 0:
        count = max(0, -(-(stop - start) // stride))
    else:
        count = max(0, -(-(start - stop) // -stride))
    return start, count


def _resolve(op, model):
    """Per axis (start, step, count, shrink) and the output shape TFLM expects."""
    x = model.tensors[op.inputs[0]]
    rank = len(x.shape)
    vecs = []
    for k, what in ((1, "begin"), (2, "end"), (3, "strides")):
        t = input_tensor(op, model, k, what)
        v = const_int32(op, model, k, what).reshape(-1)
        if len(t.shape) != 1 or v.size != rank:
            raise UnsupportedError(f"{what} must be 1-D with {rank} entries, has shape "
                                   f"{list(t.shape)}")
        vecs.append([int(a) for a in v])
    begin, end, strides = vecs
    o = op.options
    for name in ("ellipsis_mask", "new_axis_mask"):
        if int(getattr(o, name, 0) or 0):
            raise UnsupportedError(f"{name} is not supported (TFLM micro ignores it)")
    if getattr(o, "offset", False):
        raise UnsupportedError("offset=True is not supported (TFLM micro ignores it)")
    bm = int(getattr(o, "begin_mask", 0) or 0)
    em = int(getattr(o, "end_mask", 0) or 0)
    sm = int(getattr(o, "shrink_axis_mask", 0) or 0)
    axes, expected = [], []
    for a in range(rank):
        n, s = int(x.shape[a]), strides[a]
        if s == 0:
            raise UnsupportedError(f"stride of axis {a} is 0")
        shrink = _bit(sm, a)
        ext = _prepare_extent(n, begin[a], end[a], s, _bit(bm, a), _bit(em, a), shrink)
        start, count = _eval_range(n, begin[a], end[a], s, _bit(bm, a), _bit(em, a), shrink)
        if shrink:
            if count != 1:
                raise UnsupportedError(
                    f"shrinking axis {a} with begin {begin[a]}, stride {s} selects no element "
                    f"in TFLM (its output would be left unwritten)")
        else:
            expected.append(ext)
            if count != ext:
                raise UnsupportedError(
                    f"axis {a}: TFLM sizes the output {ext} but copies {count} elements")
        axes.append((start, s, count, shrink))
    return axes, tuple(expected)


def check(op, model) -> None:
    if len(op.inputs) != 4:
        raise UnsupportedError(f"expects 4 inputs (data, begin, end, strides), got "
                               f"{len(op.inputs)}")
    y = one_output(op, model)
    x = input_tensor(op, model, 0)
    require_type(x, _TYPES, "input")
    require_same_type(x, y)
    require_nonempty(x, "input")
    require_nonempty(y, "output")
    if not 1 <= len(x.shape) <= _MAX_DIMS:
        raise UnsupportedError(f"{len(x.shape)}-D input; TFLM STRIDED_SLICE supports 1-D to "
                               f"{_MAX_DIMS}-D")
    _, expected = _resolve(op, model)
    if tuple(y.shape) != expected:
        raise UnsupportedError(f"output shape {list(y.shape)} differs from the slice shape "
                               f"{list(expected)}")


def macs(op, model) -> int:
    return 0


def _gather(in_shape, axes, elem_size):
    """(offset, out_dims, in_steps) of the collapsed byte gather."""
    rank = len(in_shape)
    strides = [0] * rank
    acc = elem_size
    for d in range(rank - 1, -1, -1):
        strides[d] = acc
        acc *= int(in_shape[d])
    offset = sum(start * strides[d] for d, (start, _, _, _) in enumerate(axes))
    runs = [(count, step * strides[d]) for d, (_, step, count, _) in enumerate(axes)]
    runs.append((elem_size, 1))
    runs = [r for r in runs if r[0] != 1] or [(1, 1)]
    dims, steps = [], []
    for extent, step in runs:
        if dims and steps[-1] == step * extent:
            dims[-1] *= extent
            steps[-1] = step
        else:
            dims.append(extent)
            steps.append(step)
    return offset, dims, steps


def prepare(op, model):
    x = model.tensors[op.inputs[0]]
    y = model.tensors[op.outputs[0]]
    axes, _ = _resolve(op, model)
    offset, dims, steps = _gather(x.shape, axes, x.dtype.itemsize)
    if len(dims) > _C_MAX_DIMS:
        raise UnsupportedError("too many dims after collapsing")  # cannot happen with <= 4-D
    return SimpleNamespace(axes=axes, offset=offset, out_dims=dims, in_steps=steps,
                           out_shape=tuple(y.shape))


def overlap_reads(op, model):
    p = prepare(op, model)
    return view_overlap_reads(p.offset, p.out_dims, p.in_steps)


def simulate(op, model, params, inputs):
    x = np.asarray(inputs[0])
    idx = [start + step * np.arange(count) for start, step, count, _ in params.axes]
    return [np.ascontiguousarray(x[np.ix_(*idx)]).reshape(params.out_shape)]


def emit(op, model, params, cg) -> str:
    if is_view(cg, op.outputs[0], op.inputs[0], params.offset):
        return ""   # planned as a view of the input: nothing to copy
    cg.use_kernel("gather_bytes")
    name = cg.param_struct("tflm_gather_bytes_params_t",
                           {"num_dims": len(params.out_dims), "offset": params.offset,
                            "out_dims": c_array(params.out_dims),
                            "in_steps": c_array(params.in_steps)},
                           f"strided_slice_{op.index}")
    return f"tflm_gather_bytes(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
