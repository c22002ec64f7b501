"""Drop ops whose outputs nobody reads (no later op, not a graph output) and that change no
state; repeated until none is left, so a whole unread chain goes."""
from __future__ import annotations

from ..ir import Model
from ._graph import describe, has_side_effects


def run(model: Model) -> list[str]:
    notes = []
    while True:
        read = {t for op in model.operators for t in op.inputs if t >= 0} | set(model.outputs)
        dead = [op for op in model.operators
                if not has_side_effects(op, model) and not any(t in read for t in op.outputs)]
        if not dead:
            return notes
        ids = {id(op) for op in dead}
        model.operators = [op for op in model.operators if id(op) not in ids]
        notes += [f"{describe(op)} dropped (its outputs are never read)" for op in dead]
