"""An independent check of a memory plan: `verify_plan(model, plan)` raises PlanError.

It shares no code with the planner. It recomputes from the model: which tensors live in the
arena, the dependencies, the lifetimes of the given order, each op's in-place rule (from the
op's room: INPLACE and overlap_reads) and scratch needs; then it *runs* the plan on an
abstract arena: every byte records which value it holds (a content id) and who wrote it.

* before step 0 the caller writes the graph inputs; they may not overlap each other;
* at each step the op's inputs must still hold their own values; an output may overlap an
  input only as the op's rule allows (alias: same offset and size, and nothing is written;
  elementwise: same offset and size; overlap: output offset - input 0 offset <= d_max;
  view: exactly where the room's `views` puts a member inside its container: an output that
  is a view of an input is not written and holds the input's bytes there, an output whose
  pieces are inputs in place is written only outside those pieces),
  outputs may not overlap each other, and the op's scratch buffer may overlap none of the
  tensors live at that step; then scratch and outputs are written;
* after the last step every graph output must still hold its value.

Contents are tracked per byte, so a view holds exactly the bytes of its container it names.
Plus: the order is a topological permutation, every arena tensor has an aligned offset (a view
member: aligned to its element size) and
its true size, everything fits in arena_bytes, the stated lifetimes match, and every claimed
alias / in-place use is one a rule allows.
"""
from __future__ import annotations

import numpy as np

from .errors import UnsupportedError


class PlanError(Exception):
    """A memory plan that is wrong: the message says what and where."""


_FREE = -1
_GARBAGE = -2


def _room(op_type):
    from . import ops
    try:
        return ops.room(op_type)
    except UnsupportedError:
        return None


def _d_max(op, model) -> int:
    unit, min_read = getattr(_room(op.type), "overlap_reads")(op, model)
    min_read = np.asarray(min_read, dtype=np.int64)
    if min_read.size == 0:
        return 0
    return int(np.min(min_read - (np.arange(min_read.size, dtype=np.int64) + 1) * int(unit)))


def _desc(model, t) -> str:
    name = model.tensors[t].name
    return f"tensor {t} '{name[:40]}'" if name else f"tensor {t}"


def verify_plan(model, plan) -> None:
    T = model.tensors
    ops = model.operators
    n = len(ops)

    def fail(msg):
        raise PlanError(msg)

    # ---- alignment and order
    align = getattr(plan, "align", None)
    if not isinstance(align, int) or align < 1 or align & (align - 1):
        fail(f"align {align!r} is not a power of two")
    order = list(plan.order)
    if sorted(order) != list(range(n)):
        fail(f"order {order} is not a permutation of the {n} ops")
    pos = {v: s for s, v in enumerate(order)}

    def arena_t(t):
        return 0 <= t < len(T) and T[t].data is None and not T[t].is_variable

    producer = {}
    for op in ops:
        for t in op.outputs:
            if 0 <= t < len(T) and not T[t].is_variable:
                if t in producer:
                    fail(f"{_desc(model, t)} has two producers")
                producer[t] = op.index
    var_last = {}
    for s, v in enumerate(order):
        op = ops[v]
        for t in op.inputs:
            if t in producer and pos[producer[t]] >= s:
                fail(f"order is not topological: op #{v} {op.type} (step {s}) reads "
                     f"{_desc(model, t)} produced by op #{producer[t]} at step "
                     f"{pos[producer[t]]}")
    for op in ops:      # ops sharing a variable (state) tensor keep the model's order
        for t in (*op.inputs, *op.outputs):
            if 0 <= t < len(T) and T[t].is_variable:
                if t in var_last and pos[var_last[t]] > pos[op.index]:
                    fail(f"order swaps ops #{var_last[t]} and #{op.index}, which share "
                         f"variable {_desc(model, t)}")
                var_last[t] = op.index

    # ---- arena tensors, sizes, offsets
    arena = set()
    for op in ops:
        arena.update(t for t in (*op.inputs, *op.outputs) if arena_t(t))
    arena.update(t for t in (*model.inputs, *model.outputs) if arena_t(t))
    offsets, sizes = dict(plan.offsets), dict(plan.sizes)
    if set(offsets) != arena:
        extra, missing = sorted(set(offsets) - arena), sorted(arena - set(offsets))
        fail(f"offsets do not cover exactly the arena tensors (missing {missing}, "
             f"not arena tensors {extra})")
    arena_bytes = int(plan.arena_bytes)

    def rule(op):
        room = _room(op.type)
        fn = getattr(room, "inplace", None)
        return fn(op, model) if callable(fn) else getattr(room, "INPLACE", None)

    # links that hold in this plan: (member, container, byte offset) of an op's alias or
    # view rule whose offsets the plan gives exactly
    held = {}           # op index -> [(member, container, offset)]
    for op in ops:
        r = rule(op)
        cand = []
        if r == "alias" and op.inputs and op.outputs:
            cand = [(op.outputs[0], op.inputs[0], 0)]
        elif r == "view" and hasattr(_room(op.type), "views"):
            cand = list(_room(op.type).views(op, model))
        for m, c, off in cand:
            if m in arena and c in arena and m != c and isinstance(offsets.get(m), (int, np.integer)) \
                    and offsets.get(m) == offsets.get(c, -1) + off \
                    and 0 <= off and off + T[m].nbytes <= T[c].nbytes \
                    and (r != "alias" or T[m].nbytes == T[c].nbytes):
                held.setdefault(op.index, []).append((m, c, int(off)))
    # tensors of a view group sit at their offset inside it: element-size alignment suffices
    view_members = {t for links in held.values() for m, c, _ in links for t in (m, c)}
    size = {}
    for t in sorted(arena):
        size[t] = int(T[t].nbytes)
        if sizes.get(t) != size[t]:
            fail(f"{_desc(model, t)} is {size[t]} bytes, plan says {sizes.get(t)}")
        o = offsets[t]
        if not isinstance(o, (int, np.integer)) or o < 0:
            fail(f"{_desc(model, t)} has offset {o!r}")
        if o % align and not (t in view_members and o % max(T[t].dtype.itemsize, 1) == 0):
            fail(f"{_desc(model, t)} offset {o} is not {align}-byte aligned")
        if o + size[t] > arena_bytes:
            fail(f"{_desc(model, t)} [{o}, {o + size[t]}) does not fit in the "
                 f"{arena_bytes}-byte arena")

    # ---- lifetimes (recomputed)
    life = {}
    readers = {}
    for op in ops:
        for t in set(op.inputs):
            if t in arena:
                readers.setdefault(t, []).append(pos[op.index])
    outs = set(t for t in model.outputs if t in arena)
    for t in arena:
        a = pos[producer[t]] if t in producer else -1
        b = max(readers[t]) if t in readers else a
        life[t] = (a, n if t in outs else b)
    stated = getattr(plan, "lifetimes", None)
    if stated is not None:
        for t in arena:
            if tuple(stated.get(t, ())) != life[t]:
                fail(f"{_desc(model, t)} lives over steps {life[t]}, plan says "
                     f"{stated.get(t)}")

    # ---- scratch
    scratch = dict(getattr(plan, "scratch", {}) or {})
    for v, entry in scratch.items():
        if not (0 <= v < n):
            fail(f"scratch for unknown op {v}")
        o, b = entry
        if o < 0 or o % align:
            fail(f"scratch of op #{v} at offset {o} is not {align}-byte aligned")
        if o + b > arena_bytes:
            fail(f"scratch of op #{v} [{o}, {o + b}) does not fit in the {arena_bytes}-byte arena")
    for op in ops:
        need = int(getattr(_room(op.type), "scratch_bytes", lambda o, m: 0)(op, model))
        optional = bool(getattr(_room(op.type), "SCRATCH_OPTIONAL", False))
        if need > 0 and op.index not in scratch and optional:
            continue    # the kernel runs without its scratch (SCRATCH_OPTIONAL)
        if need > 0 and (op.index not in scratch or scratch[op.index][1] < need):
            fail(f"op #{op.index} {op.type} needs {need} bytes of scratch, plan gives "
                 f"{scratch.get(op.index)}")

    # ---- claimed aliases and in-place uses must be backed by rules
    alias_parent = {t: t for t in arena}

    def find(t):
        while alias_parent[t] != t:
            t = alias_parent[t]
        return t
    for links in held.values():
        for m, c, _ in links:
            ra, rb = find(c), find(m)
            if ra != rb:
                alias_parent[rb] = ra
    for t, u in dict(getattr(plan, "aliases", {}) or {}).items():
        if t not in arena or u not in arena:
            fail(f"alias {t} -> {u} names a tensor outside the arena")
        if find(t) != find(u):
            fail(f"plan claims {_desc(model, t)} aliases {_desc(model, u)}, but no alias "
                 f"or view rule links them at the offsets the plan gives")
    for out, claim in dict(getattr(plan, "inplace", {}) or {}).items():
        inp, kind = claim[0], claim[1]
        if out not in producer:
            fail(f"in-place claim for {_desc(model, out)}, which no op produces")
        op = ops[producer[out]]
        if rule(op) != kind or inp not in op.inputs or inp not in arena:
            fail(f"plan claims {_desc(model, out)} is written {kind} over "
                 f"{_desc(model, inp)}, but op #{op.index} {op.type} has no such rule")
        if len(claim) > 2 and claim[2] != offsets[out] - offsets[inp]:
            fail(f"in-place claim for {_desc(model, out)} states offset difference "
                 f"{claim[2]}, the offsets give {offsets[out] - offsets[inp]}")

    # ---- run the plan on an abstract arena
    content = np.full(arena_bytes, _FREE, dtype=np.int64)
    writer = np.full(arena_bytes, _FREE, dtype=np.int64)   # tensor index, or -(3 + op) scratch
    cid = {}
    next_id = [0]

    def new_id():
        next_id[0] += 1
        return next_id[0]

    def span(t):
        return offsets[t], offsets[t] + size[t]

    def overlaps(a0, a1, b0, b1):
        return a0 < b1 and b0 < a1 and a0 < a1 and b0 < b1

    def who(w):
        if w >= 0:
            return _desc(model, int(w))
        if w <= -3:
            return f"the scratch buffer of op #{-int(w) - 3}"
        return "nobody"

    def check_holds(t, when):
        o0, o1 = span(t)
        if o0 == o1:
            return
        bad = np.nonzero(content[o0:o1] != cid[t])[0]     # cid[t]: the bytes t must hold
        if bad.size:
            b = o0 + int(bad[0])
            fail(f"{when} {_desc(model, t)} [{o0}, {o1}), but byte {b} was overwritten by "
                 f"{who(writer[b])}")

    def write(t, value):
        o0, o1 = span(t)
        content[o0:o1] = value
        writer[o0:o1] = t

    def fresh(t):
        return np.full(size[t], new_id(), dtype=np.int64)

    inputs0 = [t for t in dict.fromkeys(model.inputs) if t in arena]
    inputs0 += sorted(t for t in arena if t not in producer and t not in inputs0)
    for k, t in enumerate(inputs0):
        for u in inputs0[:k]:
            if overlaps(*span(t), *span(u)):
                fail(f"graph inputs {_desc(model, t)} and {_desc(model, u)} overlap")
        cid[t] = fresh(t)
        write(t, cid[t])

    for s, v in enumerate(order):
        op = ops[v]
        ins = [t for t in dict.fromkeys(op.inputs) if t in arena]
        outs_ = [t for t in dict.fromkeys(op.outputs) if t in arena]
        for t in ins:
            check_holds(t, f"op #{v} {op.type} (step {s}) reads")
        r = rule(op)
        dmax = None
        if r == "overlap" and op.inputs and op.outputs and op.inputs[0] in arena \
                and op.inputs[0] not in op.inputs[1:] and op.outputs[0] in arena \
                and hasattr(_room(op.type), "overlap_reads"):
            dmax = _d_max(op, model)
        shared = {}          # an alias output on its input's bytes: nothing is written
        if r == "alias" and op.inputs and op.outputs and op.inputs[0] in arena \
                and op.outputs[0] in arena:
            a, b = op.inputs[0], op.outputs[0]
            if offsets[a] == offsets[b] and size[a] == size[b]:
                shared[b] = a
        views_in = {}        # output -> the input it is a view of (nothing is written)
        pieces = {}          # output -> [(input, offset)] in place inside it
        if r == "view":
            for m, c, off in held.get(v, ()):
                if m in op.outputs and c in op.inputs and m not in pieces:
                    views_in[m] = (c, off)
                elif c in op.outputs and m in op.inputs and list(op.inputs).count(m) == 1 \
                        and c not in views_in:
                    pieces.setdefault(c, []).append((m, off))
        def written(o):
            """The byte ranges op v writes of output o: all of it but the pieces in place."""
            o0, o1 = span(o)
            cuts = sorted((o0 + off, o0 + off + size[m]) for m, off in pieces.get(o, ()))
            out, at = [], o0
            for c0, c1 in cuts:
                if c0 > at:
                    out.append((at, c0))
                at = max(at, c1)
            if at < o1:
                out.append((at, o1))
            return out
        for o in outs_:
            if o in shared or o in views_in:
                continue
            for t in ins:
                if not any(overlaps(a0, a1, *span(t)) for a0, a1 in written(o)):
                    continue
                same = offsets[o] == offsets[t] and size[o] == size[t]
                if r == "elementwise" and same:
                    continue
                if any(t == m for m, _ in pieces.get(o, ())):
                    continue
                if dmax is not None and o == op.outputs[0] and t == op.inputs[0] \
                        and offsets[o] - offsets[t] <= dmax:
                    continue
                fail(f"op #{v} {op.type} (step {s}): output {_desc(model, o)} "
                     f"[{offsets[o]}, {offsets[o] + size[o]}) overlaps input "
                     f"{_desc(model, t)} [{offsets[t]}, {offsets[t] + size[t]}) and "
                     f"{'no' if r is None else 'its ' + repr(r)} rule does not allow it")
        for k, o in enumerate(outs_):
            for o2 in outs_[:k]:
                if overlaps(*span(o), *span(o2)):
                    fail(f"op #{v} {op.type}: outputs {_desc(model, o)} and "
                         f"{_desc(model, o2)} overlap")
        if v in scratch:
            so, sb = scratch[v]
            for t in arena:
                a, b = life[t]
                if a <= s <= b and overlaps(so, so + sb, *span(t)):
                    fail(f"scratch of op #{v} {op.type} [{so}, {so + sb}) overlaps "
                         f"{_desc(model, t)}, live at step {s}")
            content[so:so + sb] = _GARBAGE
            writer[so:so + sb] = -(3 + v)
        for o in outs_:
            if o in shared:
                cid[o] = cid[shared[o]]
            elif o in views_in:
                c, off = views_in[o]
                cid[o] = cid[c][off:off + size[o]].copy()
            else:
                keep = content[offsets[o]:offsets[o] + size[o]].copy()
                cid[o] = fresh(o)
                mask = np.ones(size[o], dtype=bool)
                for m, off in pieces.get(o, ()):
                    cid[o][off:off + size[m]] = cid[m]
                    mask[off:off + size[m]] = False
                write(o, np.where(mask, cid[o], keep))
    for t in dict.fromkeys(model.outputs):
        if t in arena:
            check_holds(t, "after the last step the caller reads graph output")

    bound = getattr(plan, "lower_bound_bytes", None)
    if bound is not None and bound > arena_bytes:
        fail(f"lower bound {bound} exceeds the arena of {arena_bytes} bytes: the bound is wrong")
    peak_step, peak_op = getattr(plan, "peak_step", None), getattr(plan, "peak_op", None)
    if peak_step is not None and 0 <= peak_step < n and peak_op != order[peak_step]:
        fail(f"peak_op {peak_op} is not the op at peak_step {peak_step}")
