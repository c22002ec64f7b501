"""Small graph queries the passes share."""
from __future__ import annotations

from collections import defaultdict

from ..ir import Model, Operator

# ops that change state or the world besides their outputs: never dropped or folded
SIDE_EFFECT_OPS = frozenset({"ASSIGN_VARIABLE", "VAR_HANDLE", "READ_VARIABLE", "CALL_ONCE",
                             "CALL", "IF", "WHILE", "CUSTOM"})


def readers(model: Model) -> dict[int, list[Operator]]:
    """tensor index -> the ops reading it."""
    out: dict[int, list[Operator]] = defaultdict(list)
    for op in model.operators:
        for t in op.inputs:
            if t >= 0:
                out[t].append(op)
    return out


def has_side_effects(op: Operator, model: Model) -> bool:
    """The op changes something besides its outputs: persistent state (a variable tensor it
    reads is updated in place, as LSTM/SVDF state) or resources."""
    if op.type in SIDE_EFFECT_OPS:
        return True
    return any(t >= 0 and model.tensors[t].is_variable
               for t in (*op.inputs, *op.outputs, *op.intermediates))


def is_known(model: Model, t: int) -> bool:
    """The tensor's value is known at generation time: constant data, not state, not fed."""
    tt = model.tensors[t]
    return tt.data is not None and not tt.is_variable and t not in model.inputs


def replace_reads(model: Model, old: int, new: int, skip: Operator = None) -> int:
    """Every op (but `skip`) reading tensor `old` reads `new` instead; returns how many."""
    n = 0
    for op in model.operators:
        if op is skip or old not in op.inputs:
            continue
        op.inputs = tuple(new if t == old else t for t in op.inputs)
        n += 1
    return n


def same_quantization(a, b) -> bool:
    qa, qb = a.quantization, b.quantization
    if qa is None or qb is None:
        return qa is None and qb is None
    return (len(qa.scales) == len(qb.scales)
            and bool((qa.scales == qb.scales).all())
            and bool((qa.zero_points == qb.zero_points).all())
            and (len(qa.scales) == 1 or qa.quantized_dimension == qb.quantized_dimension))


def describe(op: Operator) -> str:
    idx = op.source_index if op.source_index is not None else op.index
    return f"op #{idx} {op.type}"
