"""Collapse no-op chains.

- RESHAPE of a RESHAPE / SQUEEZE / EXPAND_DIMS reads the first one's input directly (a
  reshape only relabels bytes; the output shape is the RESHAPE's own); the first op then
  often has no reader left and `dead_ops` drops it.
- An identity op: a RESHAPE / SQUEEZE / EXPAND_DIMS whose output has its input's shape, or a
  QUANTIZE between two tensors of the same type and quantization (TFLM's requantize is then
  a copy), is removed and its readers read its input. Kept when its output is a graph
  output (that tensor, its name and place in the output list, must stay) or state.
"""
from __future__ import annotations

from ..ir import Model
from ._graph import describe, replace_reads, same_quantization

_RESHAPES = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")


def _producers(model: Model) -> dict:
    return {t: op for op in model.operators for t in op.outputs}


def _is_identity(op, model: Model) -> bool:
    if not op.inputs or op.inputs[0] < 0 or len(op.outputs) != 1:
        return False
    x, y = model.tensors[op.inputs[0]], model.tensors[op.outputs[0]]
    if x.dtype != y.dtype or x.type_name != y.type_name or x.is_variable or y.is_variable:
        return False
    if op.type in _RESHAPES:
        return tuple(x.shape) == tuple(y.shape) and same_quantization(x, y)
    if op.type == "QUANTIZE":
        # uint8 -> uint8 stays: TFLM refuses it at Eval, so must tflm_py
        return (tuple(x.shape) == tuple(y.shape) and x.type_name in ("INT8", "INT16")
                and x.quantization is not None and not x.quantization.per_channel
                and same_quantization(x, y))
    return False


def run(model: Model) -> list[str]:
    notes = []
    prod = _producers(model)
    for op in model.operators:
        if op.type != "RESHAPE" or not op.inputs or op.inputs[0] < 0:
            continue
        first = prod.get(op.inputs[0])
        if first is None or first.type not in _RESHAPES or not first.inputs or first.inputs[0] < 0:
            continue
        src = model.tensors[first.inputs[0]]
        if src.is_variable or src.type_name != model.tensors[op.outputs[0]].type_name:
            continue
        op.inputs = (first.inputs[0],) + tuple(op.inputs[1:])
        notes.append(f"{describe(op)} reads the input of {describe(first)} directly "
                     f"(reshape of a reshape)")
    outputs = set(model.outputs)
    keep = []
    for op in model.operators:
        if _is_identity(op, model) and op.outputs[0] not in outputs:
            replace_reads(model, op.outputs[0], op.inputs[0], skip=op)
            notes.append(f"{describe(op)} removed (its output equals its input)")
            continue
        keep.append(op)
    model.operators = keep
    return notes
