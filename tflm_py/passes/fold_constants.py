"""Fold every op whose inputs are all known at generation time into constant tensors.

Known: constant tensors (data, not state, not a graph input), and for SHAPE any input (shapes
are static: `pin_batch` has pinned the dynamic batch). The typical chain is Keras 3's
`Flatten` / `Reshape` with a dynamic batch: SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE's shape
input, all int32 and all known; folded, the RESHAPE reads a constant and the three ops cost
nothing on the device.

Values come from the op's room (`simulate`, bit-exact with TFLM) when a room exists and
accepts the op, else from the pass's own integer evaluator (`_evaluate.py`: int32/int64/
bool shape and index arithmetic, with TensorFlow Lite's semantics; some of these TFLM itself
cannot run on int32, e.g. GATHER, TRANSPOSE, SUM, TILE: folded, they cost the device
nothing). An op neither can evaluate stays. A folded output larger
than FOLD_LIMIT bytes (and larger than the op's inputs) also stays: it would cost more flash
than the op costs arena (a FILL of a large tensor).

A division TFLM's kernel would fault on (by zero, or the lowest int32 by -1) stays in the
graph. tests/test_fold_vs_tflm.py holds every op family's fold against TFLM running the
unfolded file (and lists the int32 folds TFLM's kernels refuse).

Folded tensors get `data` (read-only) and no `data_offset`: they are not in the file, the
code generator writes them as const arrays.
"""
from __future__ import annotations

import numpy as np

from .. import ops
from ..errors import ModelError
from ..ir import Model
from ._evaluate import CannotFold, evaluate
from ._graph import describe, has_side_effects, is_known

FOLD_LIMIT = 16 * 1024


def _value(model: Model, t: int):
    tt = model.tensors[t]
    return np.asarray(tt.data).reshape(tt.shape)


def _evaluate(op, model: Model):
    args = [None if t < 0 else _value(model, t) if model.tensors[t].data is not None else None
            for t in op.inputs]
    if op.type in ("DIV", "FLOOR_DIV", "FLOOR_MOD") and args[1] is not None \
            and np.any(np.asarray(args[1]) == 0):
        raise CannotFold(f"{op.type} by zero")      # TFLM fails at run time: keep the op
    y = model.tensors[op.outputs[0]] if op.outputs else None
    if op.type in ("DIV", "FLOOR_DIV", "FLOOR_MOD") and y is not None \
            and y.type_name in ("INT32", "INT64") and all(a is not None for a in args[:2]):
        lowest = np.iinfo(y.dtype).min
        if np.any((np.asarray(args[0]) == lowest) & (np.asarray(args[1]) == -1)):
            raise CannotFold(f"{op.type} of {lowest} by -1")   # TFLM's kernel traps: keep it
    room = ops.registry().get(op.type)
    if room is not None:
        try:
            room.check(op, model)
            params = room.prepare(op, model)
            if op.type == "SHAPE":  # reads no data, only its input's static shape
                args[0] = np.zeros(model.tensors[op.inputs[0]].shape,
                                   model.tensors[op.inputs[0]].dtype)
            return list(room.simulate(op, model, params, args)), "room"
        except ModelError:
            pass
    return evaluate(op, model, args), "evaluator"


def _foldable(op, model: Model) -> bool:
    if has_side_effects(op, model) or not op.outputs or op.intermediates:
        return False
    if any(t < 0 or t in model.inputs for t in op.outputs):
        return False
    if op.type == "SHAPE":
        return True
    return all(t < 0 or is_known(model, t) for t in op.inputs) and any(t >= 0 for t in op.inputs)


def run(model: Model) -> list[str]:
    notes = []
    keep = []
    for op in model.operators:
        if not _foldable(op, model):
            keep.append(op)
            continue
        try:
            results, how = _evaluate(op, model)
        except (CannotFold, ModelError, ValueError, IndexError, TypeError):
            keep.append(op)
            continue
        outs = [model.tensors[t] for t in op.outputs]
        if len(results) != len(outs):
            keep.append(op)
            continue
        arrays = []
        for tt, y in zip(outs, results):
            y = np.asarray(y)
            if y.size != tt.size or (y.dtype != tt.dtype and not
                                     (y.dtype.kind in "iub" and tt.dtype.kind in "iub")):
                break
            y = np.ascontiguousarray(y.astype(tt.dtype, copy=False).reshape(tt.shape))
            arrays.append(y)
        else:
            in_bytes = sum(model.tensors[t].nbytes for t in op.inputs if t >= 0)
            out_bytes = sum(a.nbytes for a in arrays)
            if out_bytes > FOLD_LIMIT and out_bytes > in_bytes:
                keep.append(op)
                continue
            for tt, y in zip(outs, arrays):
                y.setflags(write=False)
                tt.data, tt.data_offset = y, None
            shown = ", ".join(_show(a) for a in arrays)
            notes.append(f"{describe(op)} folded into constant{'s' if len(arrays) > 1 else ''} "
                         f"{shown}")
            continue
        keep.append(op)
    model.operators = keep
    return notes


def _show(a: np.ndarray) -> str:
    if a.size <= 8:
        return f"{a.dtype.name}{list(a.shape)} = {a.reshape(-1).tolist()}"
    return f"{a.dtype.name}{list(a.shape)}"
