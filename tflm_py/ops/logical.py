"""LOGICAL_AND, LOGICAL_OR (bool, broadcasting up to 4-D) and LOGICAL_NOT (bool).

TFLM (kernels/logical.cc, elementwise.cc) takes bool tensors only: equal input shapes run
flat, others take the 4-D broadcast path (rank <= 4). Bool is one byte, 0 or 1.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from . import _eltwise as E

OPS = ("LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT")
INPLACE = "elementwise"

BOOL = np.dtype(np.bool_)
MAX_BROADCAST_RANK = 4
OP_CODES = {"LOGICAL_AND": 0, "LOGICAL_OR": 1}


def check(op, model):
    n = 1 if op.type == "LOGICAL_NOT" else 2
    E.require_inputs(op, n)
    ts = [model.tensor(i) for i in op.inputs[:n]] + [model.tensor(op.outputs[0])]
    for t in ts:
        if t.dtype != BOOL:
            raise UnsupportedError(f"TFLM's {op.type} takes bool tensors only, tensor "
                                   f"'{t.name}' is {t.type_name.lower()}")
    if n == 1:
        if tuple(ts[0].shape) != tuple(ts[1].shape):
            raise UnsupportedError(f"output shape {ts[1].shape} differs from the input's "
                                   f"{ts[0].shape}")
        return
    E.check_binary_shapes(op, model)
    if tuple(ts[0].shape) != tuple(ts[1].shape) and max(len(t.shape) for t in ts) > \
            MAX_BROADCAST_RANK:
        raise UnsupportedError(f"broadcasting {tuple(ts[0].shape)} with {tuple(ts[1].shape)}: "
                               f"TFLM broadcasts over at most {MAX_BROADCAST_RANK} dimensions")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    out = model.tensor(op.outputs[0])
    if op.type == "LOGICAL_NOT":
        return {"size": out.size}
    t1, t2 = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    return {"op": OP_CODES[op.type], "layout": E.broadcast_layout(t1.shape, t2.shape, out.shape)}


def simulate(op, model, p, inputs):
    out = model.tensor(op.outputs[0])
    if op.type == "LOGICAL_NOT":
        return [np.logical_not(inputs[0]).reshape(out.shape)]
    fn = np.logical_and if op.type == "LOGICAL_AND" else np.logical_or
    return [fn(inputs[0], inputs[1]).reshape(out.shape)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("logical")
    if op.type == "LOGICAL_NOT":
        return f"tflm_logical_not({p['size']}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
    fields = {"op": p["op"], **E.layout_fields(p["layout"])}
    name = cg.param_struct("tflm_logical_params_t", fields, f"{op.type.lower()}_params")
    return (f"tflm_logical_binary(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.inputs[1])}, "
            f"{cg.ptr(op.outputs[0])});")
