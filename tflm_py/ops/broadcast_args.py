"""BROADCAST_ARGS room: the broadcast shape of two shape vectors.

TFLM micro (broadcast_args.cc + reference BroadcastArgs): two 1-D INT32 or INT64 inputs and
a 1-D output, all of one type. For each output entry, counted from the end, with entries
missing from an input counting as 1 and every entry read as int: a == 1 -> b, else a (b == 1
gives a; unequal entries abort TFLM's reference by a CHECK). The output has as many entries
as its tensor says. kernels_c/broadcast_args.c does the same on run-time inputs.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import ModelError, UnsupportedError
from ._datamove import input_tensor, one_output, require_type

OPS = ("BROADCAST_ARGS",)
INPLACE = None

_TYPES = ("INT32", "INT64")


def check(op, model) -> None:
    if len(op.inputs) != 2:
        raise UnsupportedError(f"expects 2 inputs, got {len(op.inputs)}")
    y = one_output(op, model)
    a = input_tensor(op, model, 0, "shape1")
    b = input_tensor(op, model, 1, "shape2")
    require_type(a, _TYPES, "shape1")
    if not (a.type_name == b.type_name == y.type_name):
        raise UnsupportedError(f"shape types {a.type_name}, {b.type_name} and output "
                               f"{y.type_name} differ")
    for t, what in ((a, "shape1"), (b, "shape2"), (y, "output")):
        if len(t.shape) != 1:
            raise UnsupportedError(f"{what} must be 1-D, has shape {list(t.shape)}")
    if y.size == 0:
        raise UnsupportedError("output tensor has no elements")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    y = model.tensors[op.outputs[0]]
    return SimpleNamespace(n_out=int(y.size), dtype=y.dtype,
                           na=int(model.tensors[op.inputs[0]].size),
                           nb=int(model.tensors[op.inputs[1]].size))


def simulate(op, model, params, inputs):
    # entries are read as int (32 bits) by the reference, for int64 shapes too
    a = np.asarray(inputs[0]).reshape(-1).astype(np.int64).astype(np.int32)
    b = np.asarray(inputs[1]).reshape(-1).astype(np.int64).astype(np.int32)
    n = params.n_out
    out = np.empty(n, dtype=params.dtype)
    for i in range(n):
        ai = int(a[a.size - 1 - i]) if i < a.size else 1
        bi = int(b[b.size - 1 - i]) if i < b.size else 1
        if ai != 1 and bi != 1 and ai != bi:
            raise ModelError(f"op #{op.index} BROADCAST_ARGS: shapes {a.tolist()} and "
                             f"{b.tolist()} do not broadcast (TFLM aborts)")
        out[n - 1 - i] = bi if ai == 1 else ai
    return [out]


def emit(op, model, params, cg) -> str:
    cg.use_kernel("broadcast_args")
    fn = "tflm_broadcast_args_s32" if params.dtype == np.int32 else "tflm_broadcast_args_s64"
    return (f"{fn}({cg.ptr(op.inputs[0])}, {params.na}, {cg.ptr(op.inputs[1])}, {params.nb}, "
            f"{cg.ptr(op.outputs[0])}, {params.n_out});")
