"""TRANSPOSE room: permutes the dims of a tensor (bytes moved, no arithmetic).

TFLM micro (transpose.cc / transpose_common.cc + reference Transpose): 1-D to 5-D input,
float32 / int8 / int16, perm a constant 1-D INT32 tensor of rank entries in [0, rank);
output[i0..in] = input at index (i_perm^-1...), i.e. output dim d walks input dim perm[d].
TFLM does not validate the output shape or duplicate perm entries; we require a true
permutation and output shape = input shape permuted.
The C kernel is a byte gather: Python drops unit dims, merges output dims that stay
neighbours in the input and folds the element size in as an innermost byte dim.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._datamove import (c_array, view_overlap_reads, const_int32, input_tensor, one_output, require_nonempty,
                        require_same_type, require_type)

OPS = ("TRANSPOSE",)
INPLACE = "overlap"  # the byte gather may write over its dying input (ops/_datamove.py)

_TYPES = ("FLOAT32", "INT8", "INT16")
_MAX_DIMS = 5
_C_MAX_DIMS = 6  # TFLM_GATHER_MAX_DIMS of kernels_c/gather_bytes.h


def _perm(op, model) -> list[int]:
    x = model.tensors[op.inputs[0]]
    p_t = input_tensor(op, model, 1, "perm")
    perm = const_int32(op, model, 1, "perm")
    if len(p_t.shape) != 1 or p_t.shape[0] != len(x.shape):
        raise UnsupportedError(f"perm must be 1-D with {len(x.shape)} entries, has shape "
                               f"{list(p_t.shape)}")
    perm = [int(v) for v in perm.reshape(-1)]
    if sorted(perm) != list(range(len(x.shape))):
        raise UnsupportedError(f"perm {perm} is not a permutation of 0..{len(x.shape) - 1}")
    return perm


def check(op, model) -> None:
    if len(op.inputs) != 2:
        raise UnsupportedError(f"expects 2 inputs (data, perm), got {len(op.inputs)}")
    y = one_output(op, model)
    x = input_tensor(op, model, 0)
    require_type(x, _TYPES, "input")
    require_same_type(x, y)
    require_nonempty(x, "input")
    if not 1 <= len(x.shape) <= _MAX_DIMS:
        raise UnsupportedError(f"{len(x.shape)}-D input; TFLM TRANSPOSE supports 1-D to "
                               f"{_MAX_DIMS}-D")
    perm = _perm(op, model)
    expected = tuple(x.shape[p] for p in perm)
    if tuple(y.shape) != expected:
        raise UnsupportedError(f"output shape {list(y.shape)} is not the input shape "
                               f"{list(x.shape)} permuted by {perm} ({list(expected)})")


def macs(op, model) -> int:
    return 0


def _collapse(in_shape, perm, elem_size):
    """(out_dims, in_strides) of the byte gather, smallest number of dims."""
    shape = [int(d) for d in in_shape] + [elem_size]
    perm = list(perm) + [len(in_shape)]
    strides = [0] * len(shape)
    acc = 1
    for d in range(len(shape) - 1, -1, -1):
        strides[d] = acc
        acc *= shape[d]
    # output dims in order (extent, input byte stride), unit dims dropped
    out = [(shape[p], strides[p]) for p in perm if shape[p] != 1] or [(1, 1)]
    dims, steps = [], []
    for extent, step in out:
        if dims and steps[-1] == step * extent:
            # the previous output dim walks the input just outside this one: one run
            dims[-1] *= extent
            steps[-1] = step
        else:
            dims.append(extent)
            steps.append(step)
    return dims, steps


def prepare(op, model):
    x = model.tensors[op.inputs[0]]
    perm = _perm(op, model)
    dims, steps = _collapse(x.shape, perm, x.dtype.itemsize)
    if len(dims) > _C_MAX_DIMS:
        raise UnsupportedError("too many dims after collapsing")  # cannot happen with <= 5-D
    return SimpleNamespace(perm=perm, out_dims=dims, in_strides=steps,
                           out_shape=tuple(model.tensors[op.outputs[0]].shape))


def overlap_reads(op, model):
    p = prepare(op, model)
    return view_overlap_reads(0, p.out_dims, p.in_strides)


def simulate(op, model, params, inputs):
    x = np.asarray(inputs[0])
    return [np.ascontiguousarray(np.transpose(x, params.perm)).reshape(params.out_shape)]


def emit(op, model, params, cg) -> str:
    cg.use_kernel("gather_bytes")
    name = cg.param_struct("tflm_gather_bytes_params_t",
                           {"num_dims": len(params.out_dims), "offset": 0,
                            "out_dims": c_array(params.out_dims),
                            "in_steps": c_array(params.in_strides)}, f"transpose_{op.index}")
    return f"tflm_gather_bytes(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
