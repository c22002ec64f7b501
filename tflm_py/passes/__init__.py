"""Graph passes: between the reader and everything else (simulator, planner, codegen).

    model = read_model(path)        # the file as it is
    model = optimize(model)         # a new Model; the one given is left untouched
    model = load_model(path)        # both (tflm_py.load_model)

Each pass is a module with `run(model) -> list[str]`: it edits the model it is given (a
private copy made by `optimize`) and returns one note per change, for `tflm-py inspect`.

- `variables`: resource variables (CALL_ONCE's init subgraph, VAR_HANDLE, READ_VARIABLE,
  ASSIGN_VARIABLE) become persistent state tensors with their initial values;
- `pin_batch`: a dynamic batch dimension (shape_signature -1) runs as batch 1, the shape the
  converter wrote and TFLM allocates;
- `fold_constants`: an op whose inputs are all known at generation time (constants, and the
  static shape SHAPE reads) becomes a constant tensor: no code and no arena on the device;
- `float_islands`: DEQUANTIZE -> float32 op(s) -> QUANTIZE between int8 tensors becomes one
  int8 lookup table (TFLM's float32 arithmetic evaluated for the 256 inputs);
- `argmax_of_dequantize`: ARG_MAX / ARG_MIN of a DEQUANTIZE compare the int8 values;
- `collapse`: RESHAPE of RESHAPE, identity reshapes, QUANTIZE between equal quantizations;
- `dead_ops`: ops whose outputs nobody reads (and that change no state).

Operators are renumbered 0..n-1 afterwards; `Operator.source_index` keeps the file's index.
Folded constants have `data` but no `data_offset` (they are not in the file): codegen writes
them as const arrays. `Model.data` stays the file's bytes (its hash identifies the firmware).
"""
from __future__ import annotations

import dataclasses
import os
from typing import Union

from ..ir import Model
from ..reader import read_model
from . import (argmax_of_dequantize, collapse, dead_ops, float_islands, fold_constants,
               pin_batch, variables)

PASSES = (variables, pin_batch, fold_constants, float_islands, argmax_of_dequantize, collapse,
          dead_ops)
_MAX_ROUNDS = 8


def copy_model(model: Model) -> Model:
    """A copy whose tensor and operator objects (and their lists) can be edited freely."""
    return dataclasses.replace(
        model,
        tensors=[dataclasses.replace(t) for t in model.tensors],
        operators=[dataclasses.replace(op) for op in model.operators],
        inputs=tuple(model.inputs), outputs=tuple(model.outputs),
        notes=list(model.notes))


def renumber(model: Model) -> None:
    for k, op in enumerate(model.operators):
        if op.source_index is None:
            op.source_index = op.index
        op.index = k


def optimize(model: Model, passes=PASSES) -> Model:
    """The model after the graph passes (a new Model; `model` is not changed). The passes
    run until none changes anything; `Model.notes` lists what they did."""
    out = copy_model(model)
    for op in out.operators:
        if op.source_index is None:
            op.source_index = op.index
    for _ in range(_MAX_ROUNDS):
        changed = False
        for p in passes:
            notes = p.run(out)
            renumber(out)
            if notes:
                changed = True
                out.notes.extend(f"{p.__name__.rsplit('.', 1)[-1]}: {n}" for n in notes)
        if not changed:
            break
    return out


_optimize = optimize


def load_model(source: Union[str, os.PathLike, bytes, bytearray, memoryview],
               optimize: bool = True) -> Model:
    """Read a .tflite model (a path or its bytes) and, by default, run the graph passes, so
    that the simulator, the planner and the code generator all see the same folded graph.
    `optimize=False` gives the file as it is (same as `read_model`)."""
    model = read_model(source)
    return _optimize(model) if optimize else model


__all__ = ["PASSES", "copy_model", "load_model", "optimize", "read_model", "renumber"]
