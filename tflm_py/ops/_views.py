"""Zero-copy views of the data-movement rooms (SLICE, STRIDED_SLICE, SPLIT, SPLIT_V, UNPACK,
PACK, GATHER, CONCATENATION): where a piece is one contiguous block of the packed tensor, the room declares
the planner rule "view" and `views(op, model) -> [(member, container, byte offset)]`; the
planner then may place the member inside the container (planner.py, checked by
plan_verify.py) and the room's emit writes no code for a piece planned in place. Not a room.
"""
from __future__ import annotations

from typing import Optional

import numpy as np


def box_offset(shape, begin, size) -> Optional[int]:
    """Element offset of the box (begin, size per axis) in a C-order tensor of `shape` when
    the box is one contiguous run of elements, else None: every axis before the first one
    the box cuts has size 1, every axis after it is taken whole."""
    shape = [int(d) for d in shape]
    cut = [a for a, (n, s) in enumerate(zip(shape, size)) if int(s) != n]
    if not cut:
        return 0
    k = cut[0]
    if any(int(size[a]) != 1 for a in range(k)):
        return None
    if any(int(size[a]) != shape[a] for a in range(k + 1, len(shape))):
        return None
    strides = np.cumprod([1] + shape[::-1][:-1])[::-1]
    return int(sum(int(b) * int(st) for b, st in zip(begin, strides)))


def is_view(cg, member: int, container: int, byte_offset: int) -> bool:
    """The plan puts `member` at `byte_offset` inside `container`: nothing to copy."""
    plan = getattr(cg, "plan", None)
    offsets = getattr(plan, "offsets", None) or {}
    return (member in offsets and container in offsets
            and offsets[member] == offsets[container] + byte_offset)
