"""READ_VARIABLE, ASSIGN_VARIABLE room: resource variables as persistent state (VAR_HANDLE and
CALL_ONCE are lowered by the graph pass `variables`).

TFLM micro (read_variable.cc, assign_variable.cc, micro_resource_variable.cc): READ_VARIABLE
copies the variable's buffer into its output, ASSIGN_VARIABLE copies its value's bytes into
the buffer; the byte sizes must agree; any element type (the ops move bytes). The graph pass
`passes/variables.py` has made each variable a state tensor (`is_variable`, with its initial
value) and rewired both ops to it, and dropped VAR_HANDLE and CALL_ONCE (whose init
subgraph gave the initial values); here READ_VARIABLE(state) -> output and
ASSIGN_VARIABLE(state, value) are one memcpy each (the pass drops the copies it can: a
READ_VARIABLE whose readers can read the state itself, an ASSIGN_VARIABLE whose value's op
can write the state itself). The state lives outside the arena and
keeps its value between invokes; the planner keeps the ops touching one variable in the
model's order.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError

OPS = ("READ_VARIABLE", "ASSIGN_VARIABLE")
INPLACE = None


def _state(op, model):
    t = model.tensor(op.inputs[0]) if op.inputs else None
    if t is None or not t.is_variable:
        raise UnsupportedError("its variable is not lowered to a state tensor: load the model "
                               "with tflm_py.load_model (the graph pass `variables` does it)")
    return t


def check(op, model) -> None:
    if op.type == "READ_VARIABLE":
        if len(op.inputs) != 1 or len(op.outputs) != 1:
            raise UnsupportedError("expects 1 input (the variable) and 1 output")
        state, other, what = _state(op, model), model.tensors[op.outputs[0]], "output"
    else:
        if len(op.inputs) != 2 or op.inputs[1] < 0 or op.outputs:
            raise UnsupportedError("expects 2 inputs (the variable, the value) and no output")
        state, other, what = _state(op, model), model.tensors[op.inputs[1]], "value"
        if other.is_variable:
            raise UnsupportedError("assigning a variable from another variable is not supported")
    if other.nbytes != state.nbytes:
        raise UnsupportedError(f"its {what} has {other.nbytes} bytes, the variable "
                               f"{state.nbytes}")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    state = model.tensors[op.inputs[0]]
    if op.type == "READ_VARIABLE":
        y = model.tensors[op.outputs[0]]
        return SimpleNamespace(nbytes=int(state.nbytes), out_shape=tuple(y.shape),
                               out_dtype=y.dtype)
    return SimpleNamespace(nbytes=int(state.nbytes))


def _bytes(a) -> np.ndarray:
    return np.ascontiguousarray(a).reshape(-1).view(np.uint8)


def simulate(op, model, params, inputs):
    if op.type == "READ_VARIABLE":      # a copy: a later ASSIGN must not change it
        return [_bytes(inputs[0]).copy().view(params.out_dtype).reshape(params.out_shape)]
    state = inputs[0]                    # the persistent array itself, updated in place
    state.reshape(-1).view(np.uint8)[:] = _bytes(inputs[1])
    return []


def emit(op, model, params, cg) -> str:
    if op.type == "READ_VARIABLE":
        return (f"memcpy({cg.ptr(op.outputs[0])}, {cg.ptr(op.inputs[0])}, "
                f"{params.nbytes}u);")
    return f"memcpy({cg.ptr(op.inputs[0])}, {cg.ptr(op.inputs[1])}, {params.nbytes}u);"
