"""GATHER_ND room: copy slices of the input addressed by run-time int32 index tuples.

TFLM micro (gather_nd.cc): inputs (params float32 or int8, indices INT32), params and
indices at least 1-D, index depth (indices' last dim) at most params' rank and at most 5;
output shape indices.shape[:-1] + params.shape[depth:]. Eval starts slice i at flat element
sum_j indices[i][j] * (elements per step of dim j) and fails the invoke when that start lies
outside the input (start < 0 or start + slice > size); single indices are not range-checked
on their own, only the flat start. kernels_c/gather_nd.c does the same (-1 from the invoke).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import ModelError, UnsupportedError
from ._datamove import input_tensor, one_output, require_nonempty, require_same_type, \
    require_type

OPS = ("GATHER_ND",)
INPLACE = None

_TYPES = ("FLOAT32", "INT8")
_MAX_DEPTH = 5


def check(op, model) -> None:
    if len(op.inputs) != 2:
        raise UnsupportedError(f"expects 2 inputs (params, indices), got {len(op.inputs)}")
    y = one_output(op, model)
    x = input_tensor(op, model, 0, "params")
    idx = input_tensor(op, model, 1, "indices")
    require_type(x, _TYPES, "params")
    require_same_type(x, y, "params")
    if idx.type_name != "INT32":
        raise UnsupportedError(f"indices must be INT32 (TFLM supports only int32), got "
                               f"{idx.type_name}")
    require_nonempty(x, "params")
    require_nonempty(idx, "indices")
    if len(x.shape) < 1 or len(idx.shape) < 1:
        raise UnsupportedError("params and indices must be at least 1-D")
    depth = int(idx.shape[-1])
    if depth > len(x.shape) or depth > _MAX_DEPTH or depth < 1:
        raise UnsupportedError(f"index depth {depth} must be in [1, min(params rank "
                               f"{len(x.shape)}, {_MAX_DEPTH})]")
    want = tuple(idx.shape[:-1]) + tuple(x.shape[depth:])
    if tuple(y.shape) != want:
        raise UnsupportedError(f"output shape {list(y.shape)} differs from {list(want)}")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x = model.tensors[op.inputs[0]]
    idx = model.tensors[op.inputs[1]]
    y = model.tensors[op.outputs[0]]
    depth = int(idx.shape[-1])
    shape = [int(d) for d in x.shape]
    dim_elems = [int(np.prod(shape[j + 1:], dtype=np.int64)) for j in range(depth)]
    return SimpleNamespace(depth=depth, dim_elems=dim_elems,
                           n_slices=int(np.prod(idx.shape[:-1], dtype=np.int64)),
                           slice_elems=int(np.prod(shape[depth:], dtype=np.int64)),
                           total=int(x.size), elem_bytes=x.dtype.itemsize,
                           out_shape=tuple(y.shape))


def simulate(op, model, params, inputs):
    p = params
    flat = np.asarray(inputs[0]).reshape(-1)
    idx = np.asarray(inputs[1]).astype(np.int64).reshape(p.n_slices, p.depth)
    start = idx @ np.asarray(p.dim_elems, dtype=np.int64)
    if start.size and (start.min() < 0 or start.max() + p.slice_elems > p.total):
        raise ModelError(f"op #{op.index} GATHER_ND: index out of bounds (TFLM fails the "
                         f"invoke)")
    out = flat[start[:, None] + np.arange(p.slice_elems, dtype=np.int64)[None, :]]
    return [np.ascontiguousarray(out).reshape(p.out_shape)]


def emit(op, model, params, cg) -> str:
    cg.use_kernel("gather_nd")
    p = params
    dims = p.dim_elems + [0] * (5 - len(p.dim_elems))
    name = cg.param_struct("tflm_gather_nd_params_t",
                           {"n_slices": p.n_slices, "index_depth": p.depth,
                            "slice_elems": p.slice_elems, "total_elems": p.total,
                            "elem_bytes": p.elem_bytes,
                            "dim_elems": "{" + ", ".join(str(d) for d in dims) + "}"},
                           f"gather_nd_{op.index}")
    return (f"if (tflm_gather_nd(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.inputs[1])}, "
            f"{cg.ptr(op.outputs[0])}) != 0) {{\n    return -1; /* index out of bounds: TFLM "
            f"fails the invoke */\n}}")
