"""Lower resource variables to state tensors.

A streaming model converted with resource variables (`experimental_enable_resource_variables`)
keeps its state in variables: subgraph 0 starts with CALL_ONCE(init subgraph), whose
VAR_HANDLE + ASSIGN_VARIABLE give each variable its initial value on the first invoke; then
subgraph 0 reads a variable with VAR_HANDLE -> READ_VARIABLE and writes it with
ASSIGN_VARIABLE. What TFLM does (kernels/var_handle.cc, read_variable.cc, assign_variable.cc,
call_once.cc, micro_resource_variable.cc):

- a variable is named by (container, shared_name); VAR_HANDLE finds it or creates it, in the
  order the ops are prepared (subgraph 0 first, then the others); a handle without a
  container matches any container;
- the first ASSIGN_VARIABLE prepared (same order) allocates the variable's buffer once, with
  its value tensor's size, and fills every byte with that tensor's zero point (cast to int8;
  0 without quantization);
- ASSIGN_VARIABLE copies its value's bytes into the buffer, READ_VARIABLE copies the buffer
  into its output (sizes must agree; TFLM only checks this in debug builds);
- CALL_ONCE runs its subgraph on the first invoke only.

This pass gives each variable a state tensor (`is_variable`, persistent, outside the arena,
kept in order by the planner) whose `initial` value is the default fill with the init
subgraph's assignments applied, evaluated at generation time (its ops must fold to constants).
READ_VARIABLE and ASSIGN_VARIABLE then read and write that tensor (ops/variables.py: copies);
VAR_HANDLE and CALL_ONCE disappear. A READ_VARIABLE whose readers all run before the
variable's next ASSIGN_VARIABLE is dropped: they read the state tensor itself; an
ASSIGN_VARIABLE whose value's op can write the state directly is dropped too (see
`_elide_reads`, `_assign_in_place`). Because CALL_ONCE must come before every use of a
variable, "initial value" is exactly what the first invoke sees, and a reset returns to it
(a fresh interpreter; TFLM's own `Reset()` refills the zero point and does not run CALL_ONCE
again, see docs/architecture.md).
"""
from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from ..errors import UnsupportedError
from ..ir import Model, Tensor
from . import fold_constants
from ._graph import describe, has_side_effects, readers, same_quantization


@dataclasses.dataclass
class _Variable:
    container: Optional[str]
    shared_name: str
    value: Optional[Tensor] = None       # the tensor whose ASSIGN allocated it
    tensor: int = -1                      # its state tensor in subgraph 0
    image: Optional[np.ndarray] = None    # its bytes at reset (uint8)

    @property
    def label(self) -> str:
        return f"'{self.container}/{self.shared_name}'" if self.container else \
            f"'{self.shared_name}'"


class _Variables:
    def __init__(self):
        self.all: list[_Variable] = []

    def handle(self, op) -> _Variable:
        container = getattr(op.options, "container", None)
        name = getattr(op.options, "shared_name", None) or ""
        for v in self.all:
            if (container is None or container == v.container) and name == v.shared_name:
                return v
        v = _Variable(container, name)
        self.all.append(v)
        return v


def _handles(ops, tensors, variables: _Variables, where: str) -> dict:
    """resource tensor -> variable, for the VAR_HANDLE ops of one subgraph."""
    out = {}
    for op in ops:
        if op.type == "VAR_HANDLE":
            if len(op.outputs) != 1:
                raise UnsupportedError(f"op #{op.index}{where} VAR_HANDLE has "
                                       f"{len(op.outputs)} outputs, expected 1")
            out[op.outputs[0]] = variables.handle(op)
    for op in ops:
        if op.type == "VAR_HANDLE":
            continue
        for k, t in enumerate(op.inputs):
            if t in out and not (k == 0 and op.type in ("READ_VARIABLE", "ASSIGN_VARIABLE")):
                raise UnsupportedError(f"op #{op.index}{where} {op.type} takes the resource "
                                       f"of variable {out[t].label}; only READ_VARIABLE and "
                                       "ASSIGN_VARIABLE may")
        if op.type in ("READ_VARIABLE", "ASSIGN_VARIABLE"):
            n_in, n_out = (1, 1) if op.type == "READ_VARIABLE" else (2, 0)
            if len(op.inputs) != n_in or len(op.outputs) != n_out or \
                    min((*op.inputs, *op.outputs)) < 0:
                raise UnsupportedError(f"op #{op.index}{where} {op.type} has "
                                       f"{len(op.inputs)} inputs and {len(op.outputs)} outputs, "
                                       f"expected {n_in} and {n_out}")
            if op.inputs[0] not in out:
                raise UnsupportedError(f"op #{op.index}{where} {op.type} reads a resource no "
                                       "VAR_HANDLE of its subgraph makes")
    return out


# element types a variable may have (the ops copy bytes; packed and string types have no
# fixed size per element)
_TYPES = ("INT8", "UINT8", "INT16", "UINT16", "INT32", "UINT32", "INT64", "UINT64", "BOOL",
          "FLOAT16", "FLOAT32", "FLOAT64")


def _allocate(ops, tensors, handles: dict) -> None:
    for op in ops:
        if op.type == "ASSIGN_VARIABLE":
            v = handles[op.inputs[0]]
            if v.value is None:
                value = tensors[op.inputs[1]]
                if value.type_name not in _TYPES:
                    raise UnsupportedError(f"op #{op.index} ASSIGN_VARIABLE: variable {v.label} "
                                           f"of type {value.type_name} is not supported")
                v.value = value


def _check_size(op, tensors, v: _Variable, t: int, what: str, where: str) -> None:
    n = tensors[t].nbytes
    if n != v.value.nbytes:
        raise UnsupportedError(f"op #{op.index}{where} {op.type}: its {what} has {n} bytes, "
                               f"variable {v.label} {v.value.nbytes} (TFLM copies the "
                               "variable's size)")


def _initial_values(model: Model, k: int, variables: _Variables, notes: list) -> None:
    """Run subgraph k (a CALL_ONCE's) at generation time: fold its ops to constants, then
    apply its ASSIGN_VARIABLEs to the variables' images."""
    sg = model.subgraphs[k]
    where = f" of subgraph {k}"
    tmp = Model(tensors=[dataclasses.replace(t) for t in sg.tensors],
                operators=[dataclasses.replace(op) for op in sg.operators],
                inputs=tuple(sg.inputs), outputs=tuple(sg.outputs), data=model.data)
    fold_constants.run(tmp)
    handles = _handles(tmp.operators, tmp.tensors, variables, where)
    _allocate(tmp.operators, tmp.tensors, handles)
    for op in tmp.operators:
        if op.type == "VAR_HANDLE":
            continue
        if op.type != "ASSIGN_VARIABLE":
            raise UnsupportedError(
                f"op #{op.index}{where} {op.type}: the subgraph CALL_ONCE runs may only "
                "assign variables values known at generation time (VAR_HANDLE, "
                "ASSIGN_VARIABLE and ops on constants)")
        v = handles[op.inputs[0]]
        value = tmp.tensors[op.inputs[1]]
        if value.data is None:
            raise UnsupportedError(
                f"op #{op.index}{where} ASSIGN_VARIABLE: the initial value of variable "
                f"{v.label} is not known at generation time")
        _check_size(op, tmp.tensors, v, op.inputs[1], "value", where)
        if value.type_name not in _TYPES or value.data.nbytes != v.value.nbytes:
            raise UnsupportedError(f"op #{op.index}{where} ASSIGN_VARIABLE: the initial value "
                                   f"of variable {v.label} is {value.type_name} data of "
                                   f"{value.data.nbytes} bytes")
        if v.image is None:
            v.image = _default_image(v)
        v.image[:] = np.ascontiguousarray(value.data).view(np.uint8).reshape(-1)
        notes.append(f"variable {v.label} initialised by subgraph {k} ('{sg.name}')")


def _default_image(v: _Variable) -> np.ndarray:
    """TFLM's fill of a new buffer: the allocating tensor's zero point, cast to int8, in
    every byte."""
    q = v.value.quantization
    fill = (int(q.zero_points[0]) & 0xFF) if q is not None and len(q.zero_points) else 0
    return np.full(v.value.nbytes, fill, dtype=np.uint8)


def run(model: Model) -> list[str]:
    ops = model.operators
    if not any(op.type in ("VAR_HANDLE", "CALL_ONCE") for op in ops):
        return []
    variables = _Variables()
    handles = _handles(ops, model.tensors, variables, "")
    for t in handles:
        if t in model.inputs or t in model.outputs:
            raise UnsupportedError(f"the resource of variable {handles[t].label} is a graph "
                                   "input or output, which is not supported")
    calls = [op for op in ops if op.type == "CALL_ONCE"]
    for op in calls:
        k = int(getattr(op.options, "init_subgraph_index", 0))
        if k not in model.subgraphs:
            raise UnsupportedError(f"op #{op.index} CALL_ONCE runs subgraph {k}, which the "
                                   "model does not hold")
    # TFLM prepares subgraph 0 first: its VAR_HANDLEs name the variables first and its
    # ASSIGN_VARIABLEs allocate them first
    _allocate(ops, model.tensors, handles)
    for k in sorted({int(op.options.init_subgraph_index) for op in calls}):
        sg = model.subgraphs[k]
        _allocate(sg.operators, sg.tensors,
                  _handles(sg.operators, sg.tensors, variables, f" of subgraph {k}"))
    first_use = next((op.index for op in ops
                      if op.type in ("READ_VARIABLE", "ASSIGN_VARIABLE")), len(ops))
    for op in calls:
        if op.index > first_use:
            raise UnsupportedError(f"op #{op.index} CALL_ONCE comes after op #{first_use} "
                                   "uses a variable: the first invoke would differ from "
                                   "the others, which is not supported")
    notes: list[str] = []
    for op in calls:
        _initial_values(model, int(op.options.init_subgraph_index), variables, notes)

    for op in ops:
        if op.type in ("READ_VARIABLE", "ASSIGN_VARIABLE"):
            v = handles[op.inputs[0]]
            if v.value is None:
                raise UnsupportedError(f"op #{op.index} {op.type}: variable {v.label} is "
                                       "never assigned (TFLM allocates a variable at its "
                                       "first ASSIGN_VARIABLE)")
            t = op.outputs[0] if op.type == "READ_VARIABLE" else op.inputs[1]
            _check_size(op, model.tensors, v, t,
                        "output" if op.type == "READ_VARIABLE" else "value", "")

    used = {id(handles[op.inputs[0]]) for op in ops
            if op.type in ("READ_VARIABLE", "ASSIGN_VARIABLE")}
    for v in variables.all:
        if id(v) not in used:
            continue        # only handled, or only set by the init subgraph: nothing reads it
        if v.image is None:
            v.image = _default_image(v)
        src = v.value
        v.tensor = len(model.tensors)
        initial = v.image.view(src.dtype).reshape(src.shape).copy()
        initial.setflags(write=False)
        model.tensors.append(Tensor(
            index=v.tensor, name=v.shared_name or f"variable{v.tensor}", shape=tuple(src.shape),
            dtype=src.dtype, quantization=src.quantization, is_variable=True,
            type_name=src.type_name, initial=initial))
        notes.append(f"variable {v.label} is state tensor {v.tensor} "
                     f"({src.type_name.lower()}{list(src.shape)}, {src.nbytes} bytes)")

    kept = []
    for op in ops:
        if op.type in ("VAR_HANDLE", "CALL_ONCE"):
            notes.append(f"op #{op.source_index if op.source_index is not None else op.index} "
                         f"{op.type} dropped (lowered)")
            continue
        if op.type in ("READ_VARIABLE", "ASSIGN_VARIABLE"):
            state = handles[op.inputs[0]].tensor
            op.inputs = (state, *op.inputs[1:])
        kept.append(op)
    model.operators = kept
    model.subgraphs = {}
    notes += _elide_reads(model)
    notes += _assign_in_place(model)
    return notes


def _elide_reads(model: Model) -> list[str]:
    """A READ_VARIABLE's copy is not needed when every reader of its output runs before the
    variable is next assigned (in the file's order): those ops read the state tensor itself.
    They then touch the variable, so the planner keeps them in the file's order around its
    ASSIGN_VARIABLEs, and the copy's arena bytes and time are saved. Kept: a READ whose
    output is a graph output, differs from the state in type, shape or quantization, or
    feeds an op that already touches state (an ASSIGN_VARIABLE, an LSTM, ...)."""
    ops = model.operators
    pos = {id(op): k for k, op in enumerate(ops)}
    users = readers(model)
    drop, notes = set(), []
    for i, op in enumerate(ops):
        if op.type != "READ_VARIABLE":
            continue
        state, out = op.inputs[0], op.outputs[0]
        st, ot = model.tensors[state], model.tensors[out]
        if out in model.outputs or out in model.inputs or ot.dtype != st.dtype or \
                tuple(ot.shape) != tuple(st.shape) or not same_quantization(ot, st):
            continue
        nxt = next((j for j in range(i + 1, len(ops)) if ops[j].type == "ASSIGN_VARIABLE"
                    and ops[j].inputs[0] == state), len(ops))
        us = users.get(out, [])
        if not us or any(not i < pos[id(u)] < nxt or has_side_effects(u, model) for u in us):
            continue
        for u in us:
            u.inputs = tuple(state if t == out else t for t in u.inputs)
        drop.add(id(op))
        notes.append(f"{describe(op)} elided: its {len(us)} reader(s) read the state "
                     f"'{st.name}' before it is next assigned")
    model.operators = [op for op in ops if id(op) not in drop]
    return notes


def _assign_in_place(model: Model) -> list[str]:
    """An ASSIGN_VARIABLE's copy is not needed when the op computing its value can write the
    state itself: the value's only write to that variable in the invoke, computed by an op
    that touches no state, with no other use of the variable between that op and the
    ASSIGN_VARIABLE (in the file's order), and read afterwards only by ops that touch no
    other state. That op then writes the state tensor, its later readers read it, and the
    ASSIGN_VARIABLE goes: the value's arena bytes and the copy are saved."""
    ops = model.operators
    pos = {id(op): k for k, op in enumerate(ops)}
    users = readers(model)
    producer = {t: op for op in ops for t in op.outputs}
    assigns: dict[int, list] = {}
    for op in ops:
        if op.type == "ASSIGN_VARIABLE":
            assigns.setdefault(op.inputs[0], []).append(op)
    drop, notes = set(), []
    for state, (assign, *more) in assigns.items():
        value = assign.inputs[1]
        st, vt = model.tensors[state], model.tensors[value]
        p = producer.get(value)
        if more or p is None or value in model.outputs or value in model.inputs or \
                vt.dtype != st.dtype or tuple(vt.shape) != tuple(st.shape) or \
                not same_quantization(vt, st) or has_side_effects(p, model):
            continue
        between = ops[pos[id(p)] + 1:pos[id(assign)]]
        if any(state in (*op.inputs, *op.outputs) for op in between):
            continue
        others = [u for u in users.get(value, []) if u is not assign]
        if any(has_side_effects(u, model) or u.type == "ASSIGN_VARIABLE" for u in others):
            continue
        p.outputs = tuple(state if t == value else t for t in p.outputs)
        for u in others:
            u.inputs = tuple(state if t == value else t for t in u.inputs)
        drop.add(id(assign))
        notes.append(f"{describe(assign)} elided: {describe(p)} writes the state "
                     f"'{st.name}' itself")
    model.operators = [op for op in ops if id(op) not in drop]
    return notes
