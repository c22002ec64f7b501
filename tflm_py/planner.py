"""Static memory planner: execution order, lifetimes and arena offsets, decided at build time.

`plan(model, align=16, inplace=True) -> Plan` answers "how big must the tensor arena be?"
exactly, before any code runs.

Terms
-----
* Arena tensors: every tensor the graph uses (op inputs and outputs, graph inputs and
  outputs) that is neither constant (its bytes stay in the model data) nor variable
  (is_variable: persistent state, kept by codegen in a separate state buffer).
* Steps: positions in `Plan.order`; step s runs op `order[s]`.
* Lifetime of a tensor: (first_step, last_step), both inclusive. first_step is the step of
  its producer; graph inputs (and any arena tensor no op produces) have first_step = -1,
  "written by the caller before step 0". last_step is the step of its last reader; graph
  outputs have last_step = len(order), "read by the caller after the last step"; a tensor
  nobody reads ends where it starts. Two tensors whose lifetimes intersect may not share
  bytes, unless an in-place rule allows it.
* Scratch: an op whose room defines `scratch_bytes(op, model) > 0` gets a buffer live only
  at its own step.

In-place rules
--------------
Declared by the op's room (`tflm_py.ops.room(op.type).INPLACE`), never by op name here; an op
without a room (not written yet) counts as INPLACE = None with no scratch.

* "alias" (RESHAPE, SQUEEZE, EXPAND_DIMS): output 0 is input 0's bytes (equal size, input an
  arena tensor). Alias groups are one buffer, live while any member is.
* "view" (SLICE, SPLIT, UNPACK, GATHER of consecutive rows; PACK, CONCATENATION): the room's
  `views(op, model) -> [(member, container, byte_offset)]` names tensors of the op whose bytes
  may be a contiguous block of another's: an output inside the input (a slice read in place),
  or an input inside the output (a piece its producer writes straight into the packed
  result). A view group is one buffer as wide as its members' extent; each member sits at its
  offset in it. A link is taken only when it agrees with the group's other links and no two
  tensors written by different ops share bytes in the group; the room's emit copies the
  pieces whose link was not taken. Elementwise / overlap reuse applies only to a tensor that
  fills its group's buffer from its start.
* "elementwise": the (single) output may take the offset of an input of equal byte size
  whose buffer dies at this op.
* "overlap": the room's `overlap_reads(op, model) -> (unit_bytes, min_read)` (see
  tflm_py/ops/_overlap.py) bounds how far the output may start before/inside input 0 when
  input 0 dies at this op: output offset - input offset <= d_max.

Order
-----
For a DAG the order changes the peak. We search the down-sets of the graph (sets of
executed ops) with a bottleneck Dijkstra: the state value is the peak so far, so the first
complete state popped is an order of minimum peak for the (aligned) liveness count with the
in-place rules; the search is capped and falls back to a greedy order on very wide graphs.
The model's own order and the greedy order are candidates as well; the one that places best
wins.

Placement
---------
Buffers are placed by first fit (lowest aligned offset free of every conflicting, already
placed buffer, where an overlap pair forbids less) in several orders: by size (TFLM's
greedy), by conflicts, by breadth (live bytes at the buffer's busiest step), forward and
backward in time (backward makes in-place chains step downward). Small problems are solved
exhaustively over all first-fit orders; otherwise a deterministic hill climb perturbs the
best order. The smallest arena wins; `Plan.gap_bytes` is the distance to the lower bound.
"""
from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import asdict, dataclass, field
from typing import Optional

from .errors import ModelError, UnsupportedError
from .ir import Model
from .ops._overlap import overlap_d_max, overlap_span

DEFAULT_ALIGN = 16
RULES = ("alias", "elementwise", "overlap", "view")
_DP_BUDGET = 25000              # down-set search budget (op evaluations)
_EXHAUSTIVE_MAX_ITEMS = 7       # all first-fit orders up to 7! = 5040


@dataclass
class Plan:
    order: list                 # op indices in execution order
    offsets: dict               # {tensor index: byte offset in the arena}, every arena tensor
    sizes: dict                 # {tensor index: bytes}
    lifetimes: dict             # {tensor index: (first_step, last_step)}, see module docstring
    scratch: dict               # {op index: (offset, bytes)}, ops with scratch_bytes > 0
    arena_bytes: int            # end of the highest placed byte
    lower_bound_bytes: int      # aligned liveness bound of `order` with the in-place rules used
    no_inplace_bound_bytes: int  # the same bound for `order` with no in-place rule at all
    peak_step: int              # step of the bound's peak (-1 / len(order): before / after)
    peak_op: Optional[int]      # order[peak_step], None outside the op steps
    align: int
    aliases: dict               # {tensor: root tensor whose bytes it is} ("alias", "view")
    inplace: dict               # {output tensor: (input tensor, rule, out offset - in offset)}
    strategy: str               # placement that won
    inplace_enabled: bool = True
    naive_bytes: int = 0        # every arena tensor and scratch buffer in its own slot
    live_bytes: list = field(default_factory=list)   # bound per op step 0..len(order)-1
    strategies: dict = field(default_factory=dict)   # {strategy: arena bytes it reached}
    order_source: str = "model"  # which order candidate won ("model", "min-peak", "greedy")
    optimize: str = "speed"     # what plan() optimized: "speed", "ram" or "flash" (planned
    #                             as "speed"; the generator then trades RAM for flash)
    ram_budget: Optional[int] = None    # the arena budget it planned for (None: no limit)
    tradeoffs: list = field(default_factory=list)    # scratch kept or dropped, per op
    ram_budget_source: Optional[str] = None   # where ram_budget came from ("board B", ...)
    # optimize="speed": the arena of the tensors alone without in-place reuse (what TFLM's
    # planner needs); kernels keep their optional scratch only within it (None: no choice)
    arena_ceiling: Optional[int] = None
    # optimize="flash": kernels read the weights at their int8 size (no int16 copies made at
    # generation time for the faster 16x8 paths; codegen reads it)
    int8_weights: bool = False

    @property
    def gap_bytes(self) -> int:
        return self.arena_bytes - self.lower_bound_bytes

    def tensor_rows(self) -> list:
        """[{index, offset, bytes, first_step, last_step, first_op, last_op}] by offset."""
        n = len(self.order)
        rows = []
        for t, off in self.offsets.items():
            a, b = self.lifetimes[t]
            rows.append({"index": t, "offset": off, "bytes": self.sizes[t],
                         "first_step": a, "last_step": b,
                         "first_op": self.order[a] if 0 <= a < n else None,
                         "last_op": self.order[b] if 0 <= b < n else None})
        rows.sort(key=lambda r: (r["first_step"], r["offset"], r["index"]))
        return rows

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("offsets", "sizes", "lifetimes", "scratch", "aliases", "inplace"):
            d[k] = {str(t): (list(v) if isinstance(v, tuple) else v) for t, v in d[k].items()}
        d["gap_bytes"] = self.gap_bytes
        d["tensors"] = self.tensor_rows()
        return d


# ------------------------------------------------------------------------------ rules

def _room(op_type: str):
    from . import ops
    try:
        return ops.room(op_type)
    except UnsupportedError:
        return None     # room not written (yet): no in-place rule, no scratch


def room_rule(room, op, model) -> Optional[str]:
    """The in-place rule a room declares for this op: its `inplace(op, model)` if it has one
    (rules that depend on the op's types), else its INPLACE constant."""
    if room is None:
        return None
    fn = getattr(room, "inplace", None)
    return fn(op, model) if callable(fn) else getattr(room, "INPLACE", None)


def _rule_of(op, model) -> Optional[str]:
    r = room_rule(_room(op.type), op, model)
    return r if r in RULES else None


def _scratch_of(op, model) -> int:
    f = getattr(_room(op.type), "scratch_bytes", None)
    return int(f(op, model)) if f is not None else 0


def _ru(x: int, a: int) -> int:
    return -(-x // a) * a


# ------------------------------------------------------------------------------ graph

class _Graph:
    """Order-independent facts: arena tensors, producers, readers, dependencies, rules."""

    def __init__(self, model: Model, drop_scratch=frozenset()):
        self.model = model
        ops = model.operators
        self.n = n = len(ops)
        for i, op in enumerate(ops):
            if op.index != i:
                raise ModelError(f"operator at position {i} has index {op.index}")
        T = model.tensors

        def is_arena(t):
            return 0 <= t < len(T) and T[t].data is None and not T[t].is_variable

        self.producer: dict[int, int] = {}
        self.readers: dict[int, set] = {}
        arena = set()
        for op in ops:
            for t in op.outputs:
                if not 0 <= t < len(T) or T[t].is_variable:
                    continue    # state is ordered by its users (below), not produced
                if t in self.producer:
                    raise ModelError(f"tensor {t} is written by ops #{self.producer[t]} and "
                                     f"#{op.index}")
                self.producer[t] = op.index
                if is_arena(t):
                    arena.add(t)
            for t in set(op.inputs):
                if is_arena(t):
                    arena.add(t)
                    self.readers.setdefault(t, set()).add(op.index)
        for t in (*model.inputs, *model.outputs):
            if is_arena(t):
                arena.add(t)
        self.arena = sorted(arena)
        self.size = {t: int(T[t].nbytes) for t in self.arena}
        self.graph_outputs = {t for t in model.outputs if t in arena}

        self.deps = [set() for _ in range(n)]
        for op in ops:
            for t in op.inputs:
                p = self.producer.get(t)
                if p is not None:
                    if p == op.index:
                        raise ModelError(f"op #{op.index} {op.type} reads its own output {t}")
                    self.deps[op.index].add(p)
        last_user: dict[int, int] = {}    # ops sharing a variable keep the model's order
        for op in ops:
            for t in (*op.inputs, *op.outputs):
                if 0 <= t < len(T) and T[t].is_variable:
                    if t in last_user and last_user[t] != op.index:
                        self.deps[op.index].add(last_user[t])
                    last_user[t] = op.index

        self.rule = [_rule_of(op, model) for op in ops]
        self.scratch = [0 if op.index in drop_scratch else _scratch_of(op, model) for op in ops]
        self._dmax: dict[int, int] = {}

    # ---- rule facts
    def alias_pair(self, i: int):
        """(in0, out0) when op i's alias rule applies, else None."""
        op = self.model.operators[i]
        if self.rule[i] != "alias" or not op.inputs or not op.outputs:
            return None
        a, b = op.inputs[0], op.outputs[0]
        if a in self.size and b in self.size and a != b and self.size[a] == self.size[b]:
            return a, b
        return None

    def overlap_pair(self, i: int):
        """(in0, out0, d_max) when op i's overlap rule may apply, else None."""
        op = self.model.operators[i]
        if self.rule[i] != "overlap" or not op.inputs or not op.outputs:
            return None
        a, b = op.inputs[0], op.outputs[0]
        if a not in self.size or b not in self.size or a == b or a in op.inputs[1:]:
            return None
        if i not in self._dmax:
            fn = getattr(_room(op.type), "overlap_reads", None)
            if fn is None:
                return None
            unit, min_read = fn(op, self.model)
            if int(unit) * len(min_read) != self.size[b]:
                raise ValueError(f"op #{i} {op.type}: overlap_reads gives {len(min_read)} units "
                                 f"of {unit} bytes for a {self.size[b]}-byte output")
            self._dmax[i] = overlap_d_max(int(unit), min_read)
        return a, b, self._dmax[i]

    def links(self) -> list:
        """[(member, container, byte offset, op)]: member's bytes may be container's bytes
        from the offset on ("alias": output 0 on input 0; "view": the room's views)."""
        out = []
        for i in range(self.n):
            p = self.alias_pair(i)
            if p:
                out.append((p[1], p[0], 0, i))
            if self.rule[i] != "view":
                continue
            op = self.model.operators[i]
            fn = getattr(_room(op.type), "views", None)
            for m, c, off in (fn(op, self.model) if fn else ()):
                if (m in self.size and c in self.size and m != c and 0 <= off
                        and off + self.size[m] <= self.size[c] and self.size[m] > 0
                        and (m in op.outputs) != (c in op.outputs)
                        and list(op.inputs).count(m if c in op.outputs else c) == 1):
                    out.append((m, c, int(off), i))
        return out

    def view_groups(self, inplace: bool):
        """(root, delta, group size): each arena tensor's group, its byte offset in the group's
        buffer, and the buffer's size per root; from the links that can be taken."""
        memo = self.__dict__.setdefault("_groups_memo", {})
        if inplace not in memo:
            memo[inplace] = self._view_groups(inplace)
        return memo[inplace]

    def _view_groups(self, inplace: bool):
        parent = {t: (t, 0) for t in self.arena}
        if inplace:
            taken = []
            for link in self.links():
                m, c, off, _ = link
                rm, dm = self._find(parent, m)
                rc, dc = self._find(parent, c)
                if rm == rc:
                    if dm == dc + off:
                        taken.append(link)
                    continue
                saved = dict(parent)    # the check compresses paths: undo restores all
                parent[rm] = (rc, dc + off - dm)
                if self._writes_disjoint(parent, rc, taken + [link]):
                    taken.append(link)
                else:
                    parent = saved
        root, delta = {}, {}
        for t in self.arena:
            root[t], delta[t] = self._find(parent, t)
        lo: dict = {}
        for t in self.arena:
            lo[root[t]] = min(lo.get(root[t], 0), delta[t])
        gsize: dict = {}
        for t in self.arena:
            delta[t] -= lo[root[t]]
            gsize[root[t]] = max(gsize.get(root[t], 0), delta[t] + self.size[t])
        return root, delta, gsize

    @staticmethod
    def _find(parent, t):
        d = 0
        path = []
        while parent[t][0] != t:
            path.append(t)
            d += parent[t][1]
            t = parent[t][0]
        acc = d
        for u in path:          # compress: every node on the path points at the root
            step = parent[u][1]
            parent[u] = (t, acc)
            acc -= step
        return t, d

    def _writes_disjoint(self, parent, r, links) -> bool:
        """No two ops write the same bytes of group r: a view member produced by its link's
        op is written by nobody; a container produced by the op is written but for its
        pieces; every other tensor is written whole (by its producer, or by the caller)."""
        spans = []
        for t in self.arena:
            rt, d = self._find(parent, t)
            if rt != r:
                continue
            p = self.producer.get(t)
            own = [(d, d + self.size[t])]
            for m, c, off, i in links:
                if i != p:
                    continue
                if m == t:
                    own = []
                elif c == t:
                    a, b = d + off, d + off + self.size[m]
                    own = [piece for lo, hi in own
                           for piece in ((lo, min(hi, a)), (max(lo, b), hi)) if piece[0] < piece[1]]
            spans += own
        spans.sort()
        return all(spans[k][1] <= spans[k + 1][0] for k in range(len(spans) - 1))

    def alias_root(self, inplace: bool) -> dict:
        return self.view_groups(inplace)[0]

    # ---- orders
    def is_topological(self, order) -> bool:
        pos = {v: s for s, v in enumerate(order)}
        return (len(pos) == self.n == len(order) and set(pos) == set(range(self.n))
                and all(pos[d] < pos[v] for v in range(self.n) for d in self.deps[v]))

    def kahn(self) -> list:
        indeg = [len(d) for d in self.deps]
        users = [[] for _ in range(self.n)]
        for v, ds in enumerate(self.deps):
            for d in ds:
                users[d].append(v)
        ready = [v for v in range(self.n) if indeg[v] == 0]
        heapq.heapify(ready)
        out = []
        while ready:
            v = heapq.heappop(ready)
            out.append(v)
            for u in users[v]:
                indeg[u] -= 1
                if indeg[u] == 0:
                    heapq.heappush(ready, u)
        if len(out) != self.n:
            raise ModelError("the graph has a cycle")
        return out


# ------------------------------------------------------------------------------ order search

class _OrderCost:
    """Aligned live bytes of a set of executed ops, and of running one more op, at the level
    of alias groups with the elementwise / overlap savings (the peak the placement must hold)."""

    def __init__(self, g: _Graph, inplace: bool, align: int):
        self.g = g
        root, delta, gbytes = g.view_groups(inplace)
        groups = sorted(set(root.values()))
        gid = {r: k for k, r in enumerate(groups)}
        self.gsize = [_ru(gbytes[r], align) for r in groups]
        self.greaders = [0] * len(groups)
        self.gout = [False] * len(groups)
        # a group is born when the first op producing one of its members runs (a view group
        # may have several producers); one with a member no op produces lives from the start
        self.gprods = [0] * len(groups)
        born_first = [False] * len(groups)
        for t in g.arena:
            k = gid[root[t]]
            for r in g.readers.get(t, ()):
                self.greaders[k] |= 1 << r
            if t in g.graph_outputs:
                self.gout[k] = True
            p = g.producer.get(t)
            if p is None:
                born_first[k] = True
            else:
                self.gprods[k] |= 1 << p

        def plain(t):
            return delta[t] == 0 and g.size[t] == gbytes[root[t]]
        n = g.n
        self.new_at = [[] for _ in range(n)]
        for k in range(len(groups)):
            if born_first[k]:
                continue
            for v in range(n):
                if self.gprods[k] >> v & 1:
                    self.new_at[v].append(k)
        gprod = [None if born_first[k] else 0 for k in range(len(groups))]
        self.reads = [sorted({gid[root[t]] for t in op.inputs if t in root})
                      for op in g.model.operators]
        self.scr = [_ru(s, align) for s in g.scratch]
        self.depmask = [sum(1 << d for d in g.deps[v]) for v in range(n)]
        self.elem = [None] * n      # (out group, [candidate input groups])
        self.over = [None] * n      # (in group, saving)
        for v, op in enumerate(g.model.operators):
            if not inplace:
                continue
            if g.rule[v] == "elementwise" and len(op.outputs) == 1 and op.outputs[0] in root \
                    and plain(op.outputs[0]):
                out = op.outputs[0]
                go = gid[root[out]]
                cands = [gid[root[t]] for t in op.inputs
                         if t in root and g.size[t] == g.size[out] and gid[root[t]] != go
                         and plain(t)]
                if cands:
                    self.elem[v] = (go, cands)
            elif g.rule[v] == "overlap":
                p = g.overlap_pair(v)
                if p and plain(p[0]) and plain(p[1]):
                    a, b, dmax = p
                    gi = gid[root[a]]
                    if any(gid[root[t]] == gi for t in op.inputs[1:] if t in root):
                        continue
                    dal = (dmax // align) * align
                    span = overlap_span(g.size[a], g.size[b], min(dal, 0))
                    save = self.gsize[gi] + self.gsize[gid[root[b]]] - _ru(span, align)
                    if save > 0:
                        self.over[v] = (gi, save)
        self.start_live = sum(self.gsize[k] for k, p in enumerate(gprod)
                              if p is None and (self.greaders[k] or self.gout[k]))
        self.start_peak = sum(self.gsize[k] for k, p in enumerate(gprod) if p is None)

    def step(self, S: int, v: int, live: int):
        """(bytes live while op v runs after the set S, bytes live after it)."""
        Sv = S | (1 << v)
        gs, gr, go = self.gsize, self.greaders, self.gout
        born = [k for k in self.new_at[v] if not self.gprods[k] & S]
        new_sum = sum(gs[k] for k in born) + self.scr[v]
        new_kept = sum(gs[k] for k in born if gr[k] or go[k])
        freed = 0
        dying = []
        for k in self.reads[v]:
            if not go[k] and not (gr[k] & ~Sv):
                freed += gs[k]
                dying.append(k)
        during = live + new_sum
        e = self.elem[v]
        if e and any(k in dying for k in e[1]):
            during -= gs[e[0]]
        o = self.over[v]
        if o and o[0] in dying:
            during -= o[1]
        return during, live - freed + new_kept

    def _users(self):
        users = [[] for _ in range(self.g.n)]
        for v, ds in enumerate(self.g.deps):
            for d in ds:
                users[d].append(v)
        return users

    def min_peak_order(self, budget: int = _DP_BUDGET):
        """Bottleneck Dijkstra over down-sets (sets of executed ops); None when `budget`
        op evaluations do not suffice (very wide graphs).

        An op that fits under the current peak and does not grow the live bytes is taken at
        once, without branching: running it earlier never raises any later step."""
        n = self.g.n
        full = (1 << n) - 1
        users = self._users()
        ready0 = tuple(v for v in range(n) if not self.depmask[v])
        best = {0: self.start_peak}
        info = {0: (self.start_live, ready0)}
        parent = {}
        tie = itertools.count()
        heap = [(self.start_peak, 0, next(tie), 0)]
        work = 0
        while heap:
            peak, _, _, S = heapq.heappop(heap)
            if best.get(S) != peak:
                continue
            if S == full:
                order = []
                while S:
                    S, vs = parent[S]
                    order.extend(reversed(vs))
                return order[::-1]
            best[S] = -1            # closed
            live, ready = info.pop(S)
            for v in ready:
                work += 1
                during, after = self.step(S, v, live)
                p2 = max(peak, during)
                S2, path, rdy = S | (1 << v), [v], [r for r in ready if r != v]
                rdy += [u for u in users[v] if not (self.depmask[u] & ~S2)]
                while True:         # free moves
                    for w in rdy:
                        d2, a2 = self.step(S2, w, after)
                        work += 1
                        if d2 <= p2 and a2 <= after:
                            break
                    else:
                        break
                    S2 |= 1 << w
                    path.append(w)
                    after = a2
                    rdy.remove(w)
                    rdy += [u for u in users[w] if not (self.depmask[u] & ~S2)]
                if S2 not in best or p2 < best[S2]:
                    best[S2] = p2
                    info[S2] = (after, tuple(rdy))
                    parent[S2] = (S, path)
                    heapq.heappush(heap, (p2, -len(path) - bin(S).count("1"), next(tie), S2))
            if work > budget:
                return None
        return None

    def greedy_order(self):
        """At each step the ready op that needs the least memory while it runs."""
        users = self._users()
        S, live, order = 0, self.start_live, []
        ready = [v for v in range(self.g.n) if not self.depmask[v]]
        while ready:
            during, after, v = min(self.step(S, v, live) + (v,) for v in ready)
            order.append(v)
            S |= 1 << v
            live = after
            ready.remove(v)
            ready += [u for u in users[v] if not (self.depmask[u] & ~S)]
        return order


# ------------------------------------------------------------------------------ layout

class _Item:
    __slots__ = ("id", "size", "first", "last", "tensors", "scratch_op")

    def __init__(self, id, size, first, last, tensors=(), scratch_op=None):
        self.id, self.size, self.first, self.last = id, size, first, last
        self.tensors = list(tensors)
        self.scratch_op = scratch_op


class _Layout:
    """Buffers (alias groups, merged in place), scratch buffers and overlap pairs of one
    order; the aligned liveness profile."""

    def __init__(self, g: _Graph, order: list, inplace: bool, align: int):
        self.g, self.order, self.inplace, self.align = g, order, inplace, align
        n = len(order)
        pos = {v: s for s, v in enumerate(order)}
        self.first, self.last = {}, {}
        for t in g.arena:
            a = pos[g.producer[t]] if t in g.producer else -1
            rd = g.readers.get(t)
            b = max(pos[r] for r in rd) if rd else a
            if t in g.graph_outputs:
                b = n
            self.first[t], self.last[t] = a, b

        root, self.delta, gbytes = g.view_groups(inplace)
        self.aliases = {t: r for t, r in root.items() if t != r}

        def plain(t):
            return self.delta[t] == 0 and g.size[t] == gbytes[root[t]]
        members: dict[int, list] = {}
        for t in g.arena:
            members.setdefault(root[t], []).append(t)
        items = []
        item_of = {}
        for r in sorted(members):
            ms = members[r]
            it = _Item(len(items), gbytes[r], min(self.first[t] for t in ms),
                       max(self.last[t] for t in ms), ms)
            items.append(it)
            for t in ms:
                item_of[t] = it

        self.claims = {}            # out tensor -> (in tensor, rule, d_max or 0)
        self.pairs = []             # (out item, in item, aligned d_max, step)
        removed = set()
        model = g.model
        for s, v in enumerate(order):
            op = model.operators[v]
            if not inplace:
                break
            if g.rule[v] == "elementwise" and len(op.outputs) == 1 and op.outputs[0] in item_of \
                    and plain(op.outputs[0]):
                out = op.outputs[0]
                bo = item_of[out]
                for t in op.inputs:
                    if t not in item_of or g.size[t] != g.size[out] or not plain(t):
                        continue
                    bi = item_of[t]
                    if bi is bo or bi.last != s or bo.first != s:
                        continue
                    bi.tensors += bo.tensors
                    bi.last = max(bi.last, bo.last)
                    for m in bo.tensors:
                        item_of[m] = bi
                    removed.add(bo.id)
                    self.claims[out] = (t, "elementwise", 0)
                    break
            elif g.rule[v] == "overlap":
                p = g.overlap_pair(v)
                if not p or not plain(p[0]) or not plain(p[1]):
                    continue
                a, b, dmax = p
                bi, bo = item_of[a], item_of[b]
                if bi is bo or bi.last != s or bo.first != s:
                    continue
                if any(item_of.get(t) is bi for t in op.inputs[1:]):
                    continue
                self.pairs.append((bo, bi, (dmax // align) * align, s))
                self.claims[b] = (a, "overlap", dmax)
        items = [it for it in items if it.id not in removed]
        for s, v in enumerate(order):
            if g.scratch[v] > 0:
                items.append(_Item(-1, g.scratch[v], s, s, (), v))
        for k, it in enumerate(items):
            it.id = k
        self.items = items
        self.item_of = item_of
        self._profile()

    def _profile(self):
        n, a = len(self.order), self.align
        steps = [[] for _ in range(n + 2)]          # step s at index s + 1
        raw = [0] * (n + 2)
        for it in self.items:
            if it.size:
                for s in range(it.first, it.last + 1):
                    steps[s + 1].append(it)
                    raw[s + 1] += it.size
        pair_at = {s: (bo, bi, dal) for bo, bi, dal, s in self.pairs}
        prof = []
        for k, live in enumerate(steps):
            s = k - 1
            sizes = [it.size for it in live]
            if s in pair_at:
                bo, bi, dal = pair_at[s]
                span = overlap_span(bi.size, bo.size, min(dal, 0))
                if span < bi.size + bo.size:
                    sizes = [it.size for it in live if it is not bo and it is not bi] + [span]
            if sizes:
                prof.append(sum(_ru(x, a) for x in sizes) - max(_ru(x, a) - x for x in sizes))
            else:
                prof.append(0)
        self.profile = prof                         # index s + 1 for steps -1..n
        self.raw_profile = raw
        self.bound = max(prof) if prof else 0
        self.peak_step = prof.index(self.bound) - 1 if prof else -1

    # ---- placement
    def conflicts(self):
        """Per item: [(other, lo, hi)]: forbidden (own offset - other offset) in [lo, hi]."""
        items = self.items
        pair = {}
        for bo, bi, dal, _ in self.pairs:
            pair[(bo.id, bi.id)] = ("out", dal)
            pair[(bi.id, bo.id)] = ("in", dal)
        nbrs = [[] for _ in items]
        ev = sorted((it for it in items if it.size), key=lambda it: it.first)
        active = []
        for it in ev:
            active = [o for o in active if o.last >= it.first]
            for o in active:
                for x, y in ((it, o), (o, it)):
                    lo, hi = -x.size + 1, y.size - 1
                    r = pair.get((x.id, y.id))
                    if r and r[0] == "out":
                        lo = max(lo, r[1] + 1)
                    elif r and r[0] == "in":
                        hi = min(hi, -r[1] - 1)
                    if lo <= hi:
                        nbrs[x.id].append((y.id, lo, hi))
            active.append(it)
        return nbrs


def _first_fit(perm, sizes, nbrs, align):
    off = [-1] * len(sizes)
    top = 0
    for i in perm:
        ivs = []
        for j, lo, hi in nbrs[i]:
            oj = off[j]
            if oj >= 0:
                ivs.append((oj + lo, oj + hi))
        c = 0
        if ivs:
            ivs.sort()
            for lo, hi in ivs:
                if hi < c:
                    continue
                if lo > c:
                    break
                c = -(-(hi + 1) // align) * align
        off[i] = c
        e = c + sizes[i]
        if e > top:
            top = e
    return off, top


def _greedy_orders(lay: _Layout, nbrs):
    items = lay.items
    ids = [it.id for it in items]
    conf_w = [sum(items[j].size for j, _, _ in nbrs[i]) for i in ids]
    breadth = [max(lay.raw_profile[it.first + 1:it.last + 2] or [0]) for it in items]
    big = max((it.size for it in items), default=0)
    return {
        "greedy-by-size": sorted(ids, key=lambda i: (-items[i].size,
                                                     -(items[i].last - items[i].first),
                                                     items[i].first, i)),
        "greedy-by-conflicts": sorted(ids, key=lambda i: (-conf_w[i], -items[i].size, i)),
        "greedy-by-breadth": sorted(ids, key=lambda i: (-breadth[i], -items[i].size,
                                                        items[i].first, i)),
        "time-forward": sorted(ids, key=lambda i: (items[i].first, -items[i].size, i)),
        "time-backward": sorted(ids, key=lambda i: (-items[i].last, -items[i].first,
                                                    -items[i].size, i)),
        # the big buffers step through time first, the small ones fill the gaps after
        "time-backward-large-first": sorted(ids, key=lambda i: (
            items[i].size * 4 < big, -items[i].last if items[i].size * 4 >= big
            else -items[i].size, -items[i].first, i)),
        # tensors backward in time (an in-place output lands below its input), then the
        # scratch buffers into the gaps: chains of in-place layers with scratch (kws)
        "time-backward-scratch-last": sorted(ids, key=lambda i: (
            items[i].scratch_op is not None, -items[i].last, -items[i].first,
            -items[i].size, i)),
    }


def _place_greedy(lay: _Layout):
    nbrs = lay.conflicts()
    sizes = [it.size for it in lay.items]
    results = {}
    best = None
    for name, perm in _greedy_orders(lay, nbrs).items():
        off, top = _first_fit(perm, sizes, nbrs, lay.align)
        results[name] = top
        if best is None or top < best[0]:
            best = (top, name, perm, off)
    if best is None:
        best = (0, "empty", [], [])
    return best, results, nbrs, sizes


def _place_search(lay: _Layout, best, results, nbrs, sizes):
    top, name, perm, off = best
    a = lay.align
    if top <= lay.bound:
        return best
    nz = [i for i in perm if sizes[i] > 0]
    if len(nz) <= _EXHAUSTIVE_MAX_ITEMS:
        zero = [i for i in perm if sizes[i] == 0]
        b = top
        for p in itertools.permutations(nz):
            o, t = _first_fit(list(p) + zero, sizes, nbrs, a)
            if t < b:
                b, best = t, (t, "exhaustive", list(p) + zero, o)
                if t <= lay.bound:
                    break
        results["exhaustive"] = b
        return best
    # deterministic hill climb: budget scales down with the problem size
    work = len(perm) + sum(len(x) for x in nbrs)
    iters = max(10, min(1500, 150000 // max(work, 1)))
    rng = random.Random(len(perm) * 7919 + top)
    cur, cur_top = list(perm), top
    for _ in range(iters):
        p = list(cur)
        i, j = rng.randrange(len(p)), rng.randrange(len(p))
        if i == j:
            continue
        if rng.random() < 0.5:
            p[i], p[j] = p[j], p[i]
        else:
            x = p.pop(max(i, j))
            p.insert(min(i, j), x)
        o, t = _first_fit(p, sizes, nbrs, a)
        if t <= cur_top:
            cur, cur_top = p, t
            if t < best[0]:
                best = (t, "hill-climb", p, o)
                if t <= lay.bound:
                    break
    results["hill-climb"] = best[0] if best[1] == "hill-climb" else cur_top
    return best


# ------------------------------------------------------------------------------ entry point

def _scratch_optional(op) -> bool:
    return bool(getattr(_room(op.type), "SCRATCH_OPTIONAL", False))


OPTIMIZE = ("speed", "ram", "flash")


def kernel_variants(op, model) -> list:
    """The op kernel's paths, fastest first: [{"name", "scratch", "instructions"}], from its
    room's `kernel_variants` (instructions: an estimate per invoke, None if unknown). A room
    with SCRATCH_OPTIONAL but no list gets "with scratch" / "without scratch"."""
    room = _room(op.type)
    f = getattr(room, "kernel_variants", None)
    if f is not None:
        return list(f(op, model))
    s = _scratch_of(op, model)
    if s and _scratch_optional(op):
        return [{"name": "with scratch", "scratch": s, "instructions": None},
                {"name": "without scratch", "scratch": 0, "instructions": None}]
    return [{"name": "kernel", "scratch": s, "instructions": None}]


def format_tradeoffs(plan: Plan) -> str:
    """One line per scratch trade-off of `plan`: kept (fast) or dropped (bytes saved,
    instructions added)."""
    budget = "no RAM budget" if plan.ram_budget is None else f"RAM budget {plan.ram_budget:,} B"
    if plan.ram_budget is not None and plan.ram_budget_source:
        budget += f" from {plan.ram_budget_source}"
    lines = [f"kernel variants (optimize {plan.optimize}, {budget}):"]
    if not plan.tradeoffs:
        lines.append("  no op has a choice: every kernel runs its only path")
    elif plan.arena_ceiling is not None:
        lines.append(f"  scratch kept within {plan.arena_ceiling:,} B, the tensors' arena "
                     f"without in-place reuse (TFLM's planner's)")
    for t in plan.tradeoffs:
        instr = "?" if t["instructions_added"] is None else f"{t['instructions_added']:,}"
        if t["taken"]:
            lines.append(f"  op #{t['op']} {t['type']}: {t['variant']} without its "
                         f"{t['scratch']:,} B scratch: arena -{t['arena_saved']:,} B, "
                         f"+{instr} instructions (est.) vs {t['alternative']}")
        else:
            lines.append(f"  op #{t['op']} {t['type']}: {t['variant']} with {t['scratch']:,} B "
                         f"scratch (dropping it: +{instr} instructions, {t['alternative']})")
    return "\n".join(lines)


def _tradeoff(op, model, variants, dropped: bool, saved: int) -> dict:
    fast, slow = variants[0], variants[-1]
    added = None
    if fast["instructions"] is not None and slow["instructions"] is not None:
        added = int(slow["instructions"] - fast["instructions"])
    return {"op": op.index, "type": op.type, "scratch": int(fast["scratch"]),
            "variant": (slow if dropped else fast)["name"],
            "alternative": (fast if dropped else slow)["name"],
            "taken": bool(dropped), "arena_saved": int(saved), "instructions_added": added}


def plan(model: Model, align: int = DEFAULT_ALIGN, inplace: bool = True,
         scratch: Optional[str] = None, optimize: str = "speed",
         ram_budget: Optional[int] = None) -> Plan:
    """Plan the arena of `model`: order, lifetimes, offsets, scratch, bound (see module doc).

    Kernels whose room declares SCRATCH_OPTIONAL also run, more slowly, without their scratch
    buffer (see `kernel_variants`). optimize="speed" (default): every op keeps its fastest
    variant unless the arena exceeds `ram_budget` (bytes, None: no limit); then the scratch
    that costs the fewest added instructions per arena byte saved goes first, until the arena
    fits. optimize="ram": the smallest arena, scratch dropped wherever that lowers the peak.
    optimize="flash": scratch as with "speed", but no kernel gets weights widened at
    generation time (a 16x8 CONV_2D without its scratch, or a 16x8 FULLY_CONNECTED with a
    weight zero point, then reads its int8 weights, more slowly, instead of an int16 copy
    twice their size): Plan.int8_weights; and the generator builds tables that kernels can
    derive in RAM (outside the arena) instead of storing them in flash.
    `Plan.tradeoffs` lists every such choice, taken or refused, with bytes and instructions.
    (scratch="always" / "fit": the older names of optimize="speed" / "ram".)"""
    if scratch is not None:
        if scratch not in ("fit", "always"):
            raise ValueError(f"scratch must be 'fit' or 'always', got {scratch!r}")
        optimize = "ram" if scratch == "fit" else "speed"
    if optimize not in OPTIMIZE:
        raise ValueError(f"optimize must be one of {', '.join(OPTIMIZE)}, got {optimize!r}")
    if ram_budget is not None and int(ram_budget) < 0:
        raise ValueError(f"ram_budget must be >= 0, got {ram_budget}")
    from .limits import check_tensor_sizes
    check_tensor_sizes(model)       # before any per-element work
    best = _plan_once(model, align, inplace, frozenset())
    optional = {op.index for op in model.operators
                if _scratch_optional(op) and _scratch_of(op, model) > 0}
    variants = {v: kernel_variants(model.operators[v], model) for v in optional}
    dropped: dict = {}                                   # op -> arena bytes saved
    if optimize == "ram":
        floor = _plan_once(model, align, inplace, frozenset(optional)).arena_bytes \
            if optional else best.arena_bytes
        tried: set = set()
        best_set: frozenset = frozenset()
        while best.arena_bytes > floor:
            # drop the scratch of the optional op at the peak; else of the largest still held
            cand = best.peak_op if best.peak_op in optional - tried else None
            if cand is None:
                rest = sorted(optional - tried, key=lambda v: -best.scratch.get(v, (0, 0))[1])
                if not rest:
                    break
                cand = rest[0]
            tried.add(cand)
            trial = _plan_once(model, align, inplace, frozenset(tried))
            if trial.arena_bytes < best.arena_bytes:
                for v in tried - best_set:
                    dropped[v] = 0
                dropped[cand] = best.arena_bytes - trial.arena_bytes
                best_set, best = frozenset(tried), trial
        # give back the scratch whose removal saved nothing by itself
        for v in sorted(v for v, saved in dropped.items() if saved == 0):
            trial = _plan_once(model, align, inplace, frozenset(set(dropped) - {v}))
            if trial.arena_bytes <= best.arena_bytes:
                del dropped[v]
                best = trial
    elif optional:
        # the fast kernels' scratch may not grow the arena past what the tensors alone take
        # without in-place reuse (TFLM's planner's arena for the same graph): beyond that,
        # as beyond a RAM budget, scratch goes, fewest added instructions per byte first
        ceiling = _plan_once(model, align, False, frozenset(optional)).arena_bytes
        best.arena_ceiling = ceiling
        limit = ceiling if ram_budget is None else min(int(ram_budget), ceiling)
        while best.arena_bytes > limit:
            pick = None
            for v in sorted(optional - set(dropped)):
                trial = _plan_once(model, align, inplace, frozenset({*dropped, v}))
                saved = best.arena_bytes - trial.arena_bytes
                if saved <= 0:
                    continue
                t = _tradeoff(model.operators[v], model, variants[v], True, saved)
                cost = t["instructions_added"]
                key = (cost / saved if cost is not None else float("inf"), -saved, v)
                if pick is None or key < pick[0]:
                    pick = (key, v, trial, saved)
            if pick is None:
                break
            _, v, best, saved = pick
            dropped[v] = saved
        best.arena_ceiling = ceiling
    best.optimize = optimize
    best.int8_weights = optimize == "flash"
    best.ram_budget = None if ram_budget is None else int(ram_budget)
    best.tradeoffs = [_tradeoff(model.operators[v], model, variants[v], v in dropped,
                                dropped.get(v, 0)) for v in sorted(optional)]
    return best


def _plan_once(model: Model, align: int, inplace: bool, drop_scratch) -> Plan:
    align = int(align)
    if align < 1 or align & (align - 1):
        raise ValueError(f"align must be a power of two >= 1, got {align}")
    g = _Graph(model, drop_scratch)

    # order candidates
    cands = []
    model_order = list(range(g.n))
    if not g.is_topological(model_order):
        model_order = g.kahn()
    else:
        g.kahn()  # cycle check
    cands.append(("model", model_order))
    if g.n > 1:
        oc = _OrderCost(g, inplace, align)
        dp = oc.min_peak_order()
        if dp is not None:
            cands.append(("min-peak", dp))
        cands.append(("greedy", oc.greedy_order()))
    seen, uniq = set(), []
    for src, o in cands:
        if tuple(o) not in seen:
            seen.add(tuple(o))
            uniq.append((src, o))

    best = None
    for src, order in uniq:
        lay = _Layout(g, order, inplace, align)
        placed = _place_greedy(lay)
        key = (placed[0][0], lay.bound)
        if best is None or key < best[0]:
            best = (key, src, lay, placed)
    _, src, lay, (greedy_best, results, nbrs, sizes) = best
    top, strategy, _, off = _place_search(lay, greedy_best, results, nbrs, sizes)

    order = lay.order
    offsets, scratch = {}, {}
    for it in lay.items:
        if it.scratch_op is not None:
            scratch[it.scratch_op] = (off[it.id], it.size)
        for t in it.tensors:
            offsets[t] = off[it.id] + lay.delta[t]
    claims = {}
    for out, (inp, rule, _) in lay.claims.items():
        d = offsets[out] - offsets[inp]
        if rule == "elementwise" or (d < g.size[inp] and d + g.size[out] > 0):
            claims[out] = (inp, rule, d)
    no_inplace = lay if not inplace else _Layout(g, order, False, align)
    n = len(order)
    peak = lay.peak_step
    naive = sum(_ru(g.size[t], align) for t in g.arena) + sum(_ru(s, align) for s in g.scratch)
    return Plan(
        order=list(order),
        offsets={t: offsets[t] for t in g.arena},
        sizes={t: g.size[t] for t in g.arena},
        lifetimes={t: (lay.first[t], lay.last[t]) for t in g.arena},
        scratch=scratch,
        arena_bytes=top,
        lower_bound_bytes=lay.bound,
        no_inplace_bound_bytes=no_inplace.bound,
        peak_step=peak,
        peak_op=order[peak] if 0 <= peak < n else None,
        align=align,
        aliases=dict(lay.aliases),
        inplace=claims,
        strategy=strategy,
        inplace_enabled=bool(inplace),
        naive_bytes=naive,
        live_bytes=lay.profile[1:n + 1],
        strategies=results,
        order_source=src,
    )
