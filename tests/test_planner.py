"""The static memory planner, its independent verifier, the overlap geometry, the CLI."""
from __future__ import annotations

import copy
import importlib.util
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import tflm_py
from tflm_py import ops as ops_pkg
from tflm_py.errors import UnsupportedError
from tflm_py.ir import Model, Operator, Tensor
from tflm_py.ops._overlap import (fc_overlap_reads, overlap_d_max, overlap_span,
                                  window_overlap_reads)
from tflm_py.plan_svg import plan_svg
from tflm_py.plan_verify import PlanError, verify_plan
from tflm_py.planner import plan

ROOT = Path(__file__).resolve().parent.parent
MODEL_FILES = sorted((ROOT / "tests" / "data" / "models").glob("*.tflite"))


def checked_plan(model, **kw):
    """Every plan in these tests goes through the independent verifier."""
    p = plan(model, **kw)
    verify_plan(model, p)
    assert p.arena_bytes >= p.lower_bound_bytes
    assert p.lower_bound_bytes <= p.no_inplace_bound_bytes or not p.inplace_enabled
    for t, off in p.offsets.items():
        assert off % p.align == 0
    return p


# ----------------------------------------------------------------------------- tiny graphs

class G:
    """Build ir.Model graphs directly (any op type name, e.g. fake ones)."""

    def __init__(self):
        self.tensors, self.ops = [], []

    def t(self, shape, dtype=np.int8, const=False, var=False, name=None):
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        i = len(self.tensors)
        data = np.zeros(shape, dtype) if const else None
        self.tensors.append(Tensor(i, name or f"t{i}", shape, np.dtype(dtype), None,
                                   data=data, is_variable=var))
        return i

    def op(self, typ, ins, outs, **options):
        self.ops.append(Operator(len(self.ops), typ, tuple(ins), tuple(outs),
                                 SimpleNamespace(**options)))
        return len(self.ops) - 1

    def model(self, ins, outs):
        return Model(self.tensors, self.ops, tuple(ins), tuple(outs), name="g")


def _same_pad(n_in, n_out, k, s, d):
    return max((n_out - 1) * s + (k - 1) * d + 1 - n_in, 0) // 2


def _window_reads(op, model):
    x, y = model.tensors[op.inputs[0]], model.tensors[op.outputs[0]]
    o = op.options
    return window_overlap_reads(x.shape, y.shape, o.k, o.s, o.d, o.pad,
                                x.dtype.itemsize, y.dtype.itemsize)


def _fc_reads(op, model):
    x, y = model.tensors[op.inputs[0]], model.tensors[op.outputs[0]]
    return fc_overlap_reads(y.shape[0], x.size // y.shape[0], y.shape[-1],
                            x.dtype.itemsize, y.dtype.itemsize)


def _rand_reads(op, model):
    """A made-up but legal overlap_reads for random graphs (deterministic per op)."""
    x, y = model.tensors[op.inputs[0]], model.tensors[op.outputs[0]]
    r = np.random.default_rng(op.index + 17 * y.nbytes)
    units = [u for u in range(1, y.nbytes + 1) if y.nbytes % u == 0]
    unit = int(r.choice(units)) if units else 1
    n = y.nbytes // unit if y.nbytes else 0
    lowest = r.integers(0, x.nbytes + 1, size=n)
    return unit, np.minimum.accumulate(lowest[::-1])[::-1]


FAKE_ROOMS = {
    "FAKE_PLAIN": SimpleNamespace(INPLACE=None),
    "FAKE_ALIAS": SimpleNamespace(INPLACE="alias"),
    "FAKE_EW": SimpleNamespace(INPLACE="elementwise"),
    "FAKE_WIN": SimpleNamespace(INPLACE="overlap", overlap_reads=_window_reads),
    "FAKE_FC": SimpleNamespace(INPLACE="overlap", overlap_reads=_fc_reads),
    "FAKE_OV": SimpleNamespace(INPLACE="overlap", overlap_reads=_rand_reads),
    "FAKE_SCR": SimpleNamespace(INPLACE=None,
                                scratch_bytes=lambda op, m: 8 + 5 * op.index),
    "FAKE_NOREAD": SimpleNamespace(INPLACE="overlap"),   # declares overlap, offers no geometry
}


@pytest.fixture
def fake_rooms(monkeypatch):
    """Rooms for FAKE_* op types; anything else is 'not written yet' (UnsupportedError)."""
    def room(op_type):
        if op_type in FAKE_ROOMS:
            return FAKE_ROOMS[op_type]
        raise UnsupportedError(f"op {op_type} is not supported")
    monkeypatch.setattr(ops_pkg, "room", room)
    return room


# ----------------------------------------------------------------------------- geometry

def _taps(in_shape, out_shape, k, s, d, pad):
    """For each output pixel (NHWC order): flat input pixel indices its window reads."""
    n, h, w, _ = in_shape
    _, oh, ow, _ = out_shape
    res = []
    for b in range(n):
        for oy in range(oh):
            for ox in range(ow):
                pix = []
                for ky in range(k[0]):
                    iy = oy * s[0] - pad[0] + ky * d[0]
                    if not 0 <= iy < h:
                        continue
                    for kx in range(k[1]):
                        ix = ox * s[1] - pad[1] + kx * d[1]
                        if 0 <= ix < w:
                            pix.append((b * h + iy) * w + ix)
                res.append(pix)
    return res


def run_window_kernel(mem, in_off, out_off, kind, in_shape, out_shape, k, s, d, pad,
                      ie=1, oe=1, prewrite=False):
    """Run a conv / depthwise / max-pool kernel on the byte array `mem`, in the loop order
    of TFLM's reference kernels (output pixel, then output channel, then taps), reading
    input elements from `in_off` and writing output elements at `out_off` as it goes.
    prewrite: first fill the whole unit (output pixel) with a marker, then compute it -- the
    most hostile write pattern the overlap contract allows ("writes only bytes of units <=
    u"). Returns the number of reads that found a byte this kernel had already written."""
    c_in, c_out = in_shape[3], out_shape[3]
    mult = max(c_out // c_in, 1)
    written = np.zeros(len(mem), bool)
    hazards = 0
    for u, pix in enumerate(_taps(in_shape, out_shape, k, s, d, pad)):
        pix = np.asarray(pix, dtype=np.int64)
        if prewrite:
            ub = out_off + u * c_out * oe
            mem[ub:ub + c_out * oe] = 0xA5
            written[ub:ub + c_out * oe] = True
        for oc in range(c_out):
            if kind == "conv":
                elems = (pix[:, None] * c_in + np.arange(c_in)[None, :]).ravel()
            else:
                elems = pix * c_in + oc // mult
            addr = in_off + elems[:, None] * ie + np.arange(ie)[None, :]
            hazards += int(written[addr].any())
            raw = mem[addr].astype(np.int64)
            vals = (raw * (256 ** np.arange(ie))).sum(axis=1)
            vals = np.where(vals >= 2 ** (8 * ie - 1), vals - 2 ** (8 * ie), vals)
            if kind == "pool":
                acc = int(vals.max()) if vals.size else -1
            else:
                wts = (np.arange(vals.size) * 3 + oc * 7) % 5 - 2
                acc = int((vals * wts).sum()) + oc
            b = out_off + (u * c_out + oc) * oe
            mem[b:b + oe] = np.frombuffer((acc % 256 ** oe).to_bytes(oe, "little"), np.uint8)
            written[b:b + oe] = True
    return hazards


def run_fc_kernel(mem, in_off, out_off, batches, n_in, n_out, ie=1, oe=1, prewrite=False):
    written = np.zeros(len(mem), bool)
    hazards = 0
    for b in range(batches):
        if prewrite:
            ub = out_off + b * n_out * oe
            mem[ub:ub + n_out * oe] = 0xA5
            written[ub:ub + n_out * oe] = True
        for o in range(n_out):
            addr = in_off + (b * n_in + np.arange(n_in))[:, None] * ie + np.arange(ie)
            hazards += int(written[addr].any())
            vals = (mem[addr].astype(np.int64) * (256 ** np.arange(ie))).sum(axis=1)
            acc = int((vals * ((np.arange(n_in) + o) % 3 - 1)).sum()) + o
            p = out_off + (b * n_out + o) * oe
            mem[p:p + oe] = np.frombuffer((acc % 256 ** oe).to_bytes(oe, "little"), np.uint8)
            written[p:p + oe] = True
    return hazards


def _run_at(d, in_bytes, out_bytes, run, rng_seed):
    """Place the input at `base` and the output at base + d in a byte array, run, return
    (output bytes, hazards)."""
    base = out_bytes + 64
    mem = np.zeros(base + in_bytes + out_bytes + 128, np.uint8)
    mem[base:base + in_bytes] = np.random.default_rng(rng_seed).integers(
        0, 256, in_bytes, dtype=np.uint8)
    hz = run(mem, base, base + d)
    return mem[base + d:base + d + out_bytes].copy(), hz


def _random_window_case(rng):
    kind = str(rng.choice(["conv", "depthwise", "pool"]))
    n = int(rng.integers(1, 3))
    h, w = int(rng.integers(1, 7)), int(rng.integers(1, 7))
    c_in = int(rng.integers(1, 4))
    c_out = {"conv": int(rng.integers(1, 5)), "depthwise": c_in * int(rng.integers(1, 3)),
             "pool": c_in}[kind]
    k = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    s = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    d = (1, 1) if kind == "pool" else (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    pad = (int(rng.integers(0, k[0])), int(rng.integers(0, k[1])))
    ek = ((k[0] - 1) * d[0] + 1, (k[1] - 1) * d[1] + 1)
    extra = (int(rng.integers(0, 2)), int(rng.integers(0, 2)))
    oh = (h + pad[0] + extra[0] - ek[0]) // s[0] + 1
    ow = (w + pad[1] + extra[1] - ek[1]) // s[1] + 1
    if oh < 1 or ow < 1:
        return None
    ie = 1 if kind == "pool" else int(rng.choice([1, 1, 2]))
    oe = ie if kind == "pool" else int(rng.choice([1, 1, 2]))
    return kind, (n, h, w, c_in), (n, oh, ow, c_out), k, s, d, pad, ie, oe


def test_window_geometry_known_cases():
    # 3x3 stride-1 SAME depthwise: output may start C*(W+2) bytes below the input
    u, m = window_overlap_reads((1, 25, 5, 64), (1, 25, 5, 64), (3, 3), (1, 1), (1, 1), (1, 1))
    assert u == 64 and overlap_d_max(u, m) == -64 * 7
    assert overlap_span(8000, 8000, -448) == 8000 + 64 * 7
    # 1x1 conv doubling channels: out + C bytes instead of in + out
    u, m = window_overlap_reads((1, 10, 10, 8), (1, 10, 10, 16), (1, 1), (1, 1), (1, 1), (0, 0))
    d = overlap_d_max(u, m)
    assert overlap_span(800, 1600, d) == 1600 + 8
    # global average pool: the output goes right below the input
    u, m = window_overlap_reads((1, 25, 5, 64), (1, 1, 1, 64), (25, 5), (1, 1), (1, 1), (0, 0))
    assert overlap_d_max(u, m) == -64
    # fully connected, batch 1: no saving possible (the one unit reads the whole input)
    u, m = fc_overlap_reads(1, 640, 128)
    assert overlap_span(640, 128, overlap_d_max(u, m)) == 768
    u, m = fc_overlap_reads(4, 10, 10)
    assert overlap_d_max(u, m) == -10


def test_window_overlap_bruteforce():
    """Simulate the kernels on a byte array with the output at d_max: no read ever sees an
    overwritten byte and the output equals the separate-buffer result, for the reference
    loop order and for the most hostile legal write order; at d_max + 1 the hostile order
    corrupts (the bound is tight for the contract)."""
    rng = np.random.default_rng(2024)
    cases = tight = 0
    while cases < 90:
        case = _random_window_case(rng)
        if case is None:
            continue
        kind, ish, osh, k, s, d, pad, ie, oe = case
        cases += 1
        unit, min_read = window_overlap_reads(ish, osh, k, s, d, pad, ie, oe)
        in_b, out_b = int(np.prod(ish)) * ie, int(np.prod(osh)) * oe
        assert unit * len(min_read) == out_b
        dmax = overlap_d_max(unit, min_read)

        def run(mem, i, o, pw=False):
            return run_window_kernel(mem, i, o, kind, ish, osh, k, s, d, pad, ie, oe, pw)

        def hostile(mem, i, o):
            return run(mem, i, o, True)
        ref, hz = _run_at(in_b + 8, in_b, out_b, run, cases)      # disjoint: the reference
        assert hz == 0
        for dd in {dmax, dmax - 1, dmax - unit, -out_b}:
            for kernel in (run, hostile):
                got, hz = _run_at(dd, in_b, out_b, kernel, cases)
                assert hz == 0, (case, dd)
                assert np.array_equal(got, ref), (case, dd)
        got, hz = _run_at(dmax + 1, in_b, out_b, hostile, cases)
        if hz and not np.array_equal(got, ref):
            tight += 1
    assert tight >= cases * 3 // 4, f"only {tight} of {cases} cases break at d_max + 1"


def test_fc_overlap_bruteforce():
    rng = np.random.default_rng(7)
    tight = 0
    for case in range(40):
        b, ni, no = int(rng.integers(1, 5)), int(rng.integers(1, 12)), int(rng.integers(1, 12))
        ie, oe = int(rng.choice([1, 2])), int(rng.choice([1, 2, 4]))
        unit, min_read = fc_overlap_reads(b, ni, no, ie, oe)
        dmax = overlap_d_max(unit, min_read)
        in_b, out_b = b * ni * ie, b * no * oe

        def run(mem, i, o, pw=False):
            return run_fc_kernel(mem, i, o, b, ni, no, ie, oe, pw)

        def hostile(mem, i, o):
            return run(mem, i, o, True)
        ref, _ = _run_at(in_b + 8, in_b, out_b, run, case)
        for dd in (dmax, dmax - 3):
            for kernel in (run, hostile):
                got, hz = _run_at(dd, in_b, out_b, kernel, case)
                assert hz == 0 and np.array_equal(got, ref), (b, ni, no, ie, oe, dd)
        got, hz = _run_at(dmax + 1, in_b, out_b, hostile, case)
        tight += bool(hz) and not np.array_equal(got, ref)
    assert tight >= 30


# ----------------------------------------------------------------------------- rules

def _dw_chain(g, x, shape, n_layers, ch_double_every=0):
    """A chain of 3x3 stride-1 SAME window ops and 1x1 ops on NHWC `shape`."""
    n, h, w, c = shape
    for i in range(n_layers):
        if i % 2 == 0:
            y = g.t((n, h, w, c))
            g.op("FAKE_WIN", [x], [y], k=(3, 3), s=(1, 1), d=(1, 1), pad=(1, 1))
        else:
            c2 = c * 2 if ch_double_every and i % ch_double_every == 1 else c
            y = g.t((n, h, w, c2))
            g.op("FAKE_WIN", [x], [y], k=(1, 1), s=(1, 1), d=(1, 1), pad=(0, 0))
            c = c2
        x = y
    return x


def test_overlap_chain_beats_no_inplace_and_runs(fake_rooms):
    """A kws-like chain: the planned overlaps are safe when the kernels really run there."""
    g = G()
    x0 = g.t((1, 9, 5, 8))
    y = _dw_chain(g, x0, (1, 9, 5, 8), 6)
    m = g.model([x0], [y])
    p = checked_plan(m)
    off = checked_plan(m, inplace=False)
    assert p.arena_bytes < off.arena_bytes
    assert p.arena_bytes < p.no_inplace_bound_bytes
    assert p.lower_bound_bytes == 360 + _ru(8 * 7, 16)   # in + C*(W+2), aligned
    assert all(r == "overlap" for _, r, _ in p.inplace.values()) and p.inplace

    # execute the chain at the plan's offsets and on separate arrays
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, m.tensors[x0].nbytes, dtype=np.uint8)
    arena = np.zeros(p.arena_bytes, np.uint8)
    arena[p.offsets[x0]:p.offsets[x0] + x.size] = x
    sep = {x0: x.copy()}
    for v in p.order:
        op = m.operators[v]
        a, b = op.inputs[0], op.outputs[0]
        ta, tb = m.tensors[a], m.tensors[b]
        o = op.options
        hz = run_window_kernel(arena, p.offsets[a], p.offsets[b], "conv", ta.shape, tb.shape,
                               o.k, o.s, o.d, o.pad)
        assert hz == 0
        mem = np.zeros(ta.nbytes + tb.nbytes, np.uint8)
        mem[:ta.nbytes] = sep[a]
        run_window_kernel(mem, 0, ta.nbytes, "conv", ta.shape, tb.shape, o.k, o.s, o.d, o.pad)
        sep[b] = mem[ta.nbytes:].copy()
    assert np.array_equal(arena[p.offsets[y]:p.offsets[y] + m.tensors[y].nbytes], sep[y])


def _ru(x, a):
    return -(-x // a) * a


def test_overlap_channel_doubling(fake_rooms):
    g = G()
    x = g.t((1, 10, 10, 8))
    y = g.t((1, 10, 10, 16))
    g.op("FAKE_WIN", [x], [y], k=(1, 1), s=(1, 1), d=(1, 1), pad=(0, 0))
    m = g.model([x], [y])
    p = checked_plan(m, align=1)
    assert p.arena_bytes == p.lower_bound_bytes == 1600 + 8        # out + C, not in + out
    assert p.offsets[y] - p.offsets[x] == -808
    assert checked_plan(m, align=1, inplace=False).arena_bytes == 2400


@pytest.mark.parametrize("n_in,n_out", [(32, 8), (8, 32)])
def test_overlap_fully_connected_rows(fake_rooms, n_in, n_out):
    g = G()
    x = g.t((4, n_in))
    y = g.t((4, n_out))
    g.op("FAKE_FC", [x], [y])
    m = g.model([x], [y])
    p = checked_plan(m, align=1)
    assert p.inplace[y][:2] == (x, "overlap")
    assert p.arena_bytes == p.lower_bound_bytes == 136 < 4 * (n_in + n_out)
    assert p.peak_step == 0 and p.peak_op == 0


def test_overlap_needs_dying_input_and_geometry(fake_rooms):
    g = G()
    x = g.t((1, 6, 6, 4))
    y = g.t((1, 6, 6, 4))
    z = g.t((1, 6, 6, 4))
    g.op("FAKE_WIN", [x], [y], k=(3, 3), s=(1, 1), d=(1, 1), pad=(1, 1))
    g.op("FAKE_PLAIN", [x, y], [z])              # x is still needed: no overlap at op 0
    m = g.model([x], [z])
    p = checked_plan(m)
    assert not p.inplace and p.arena_bytes == 3 * 144
    g2 = G()
    x = g2.t(100)
    y = g2.t(100)
    g2.op("FAKE_NOREAD", [x], [y])               # rule without overlap_reads: nothing shared
    p = checked_plan(g2.model([x], [y]))
    assert p.arena_bytes == 2 * 112 - 12 and not p.inplace


def test_elementwise_and_alias(fake_rooms):
    g = G()
    x = g.t((1, 64))
    a = g.t((1, 64))
    b = g.t((64,))
    c = g.t((1, 64))
    d = g.t((1, 32))
    g.op("FAKE_EW", [x], [a])                    # a takes x's place
    g.op("FAKE_ALIAS", [a], [b])                 # b is a's bytes
    g.op("FAKE_EW", [b, b], [c])                 # same input twice: still in place
    g.op("FAKE_EW", [c], [d])                    # size differs: not in place
    m = g.model([x], [d])
    p = checked_plan(m, align=1)
    assert p.offsets[x] == p.offsets[a] == p.offsets[b] == p.offsets[c]
    assert p.aliases == {b: a}
    assert p.inplace[a] == (x, "elementwise", 0) and p.inplace[c] == (b, "elementwise", 0)
    assert d not in p.inplace
    assert p.arena_bytes == p.lower_bound_bytes == 96
    q = checked_plan(m, align=1, inplace=False)
    assert not q.aliases and not q.inplace and q.arena_bytes == 128


def test_elementwise_input_still_needed(fake_rooms):
    g = G()
    x = g.t(50)
    a = g.t(50)
    b = g.t(50)
    y = g.t(50)
    g.op("FAKE_ALIAS", [x], [a])
    g.op("FAKE_EW", [x], [b])                    # x's alias group lives on (a read later)
    g.op("FAKE_PLAIN", [a, b], [y])
    m = g.model([x], [y])
    p = checked_plan(m, align=1)
    assert b not in p.inplace
    assert p.offsets[a] == p.offsets[x] and p.offsets[b] != p.offsets[x]


def test_alias_of_graph_input_and_constant(fake_rooms):
    g = G()
    x = g.t((2, 8))
    k = g.t((2, 8), const=True)
    y = g.t((16,))
    z = g.t((16,))
    g.op("FAKE_ALIAS", [x], [y])
    g.op("FAKE_ALIAS", [k], [z])                 # constant input: a copy into the arena
    m = g.model([x], [y, z])
    p = checked_plan(m)
    assert p.aliases == {y: x} and k not in p.offsets and z in p.offsets
    assert p.offsets[z] != p.offsets[y]


def test_dag_order_lowers_peak(fake_rooms):
    g = G()
    x = g.t(100)
    a1, b1, a2, b2, y = g.t(1000), g.t(1000), g.t(10), g.t(10), g.t(10)
    g.op("FAKE_PLAIN", [x], [a1])
    g.op("FAKE_PLAIN", [x], [b1])                # the model's order keeps a1 and b1 together
    g.op("FAKE_PLAIN", [a1], [a2])
    g.op("FAKE_PLAIN", [b1], [b2])
    g.op("FAKE_EW", [a2, b2], [y])
    m = g.model([x], [y])
    p = checked_plan(m, align=1)
    assert p.order in ([0, 2, 1, 3, 4], [1, 3, 0, 2, 4])
    assert p.arena_bytes == p.lower_bound_bytes == 1110
    assert p.order_source == "min-peak"


def test_resnet_like_branch_order(fake_rooms):
    """A residual block whose shortcut is a projection: running the cheap branch first
    lowers the peak."""
    g = G()
    x = g.t(400)
    h1 = g.t(1600)
    h2 = g.t(100)
    s = g.t(400)
    y = g.t(400)
    g.op("FAKE_PLAIN", [x], [s])                 # projection shortcut, listed first
    g.op("FAKE_PLAIN", [x], [h1])
    g.op("FAKE_PLAIN", [h1], [h2])
    g.op("FAKE_PLAIN", [s, h2], [y])
    m = g.model([x], [y])
    p = checked_plan(m, align=1)
    assert plan(m, align=1).order == p.order     # deterministic
    # shortcut first: x + s + h1 = 2400 live at op 1; main branch first: x + h1 + h2 = 2100
    assert p.order == [1, 2, 0, 3]
    assert p.arena_bytes == p.lower_bound_bytes == 2100


def test_variables_and_scratch(fake_rooms):
    g = G()
    x = g.t(40)
    st = g.t(20, var=True)
    w = g.t(40, const=True)
    a = g.t(40)
    y = g.t(40)
    g.op("FAKE_SCR", [x, w, st], [a])
    g.op("FAKE_SCR", [a, st], [y])
    m = g.model([x], [y])
    p = checked_plan(m)
    assert st not in p.offsets and w not in p.offsets
    assert set(p.scratch) == {0, 1} and p.scratch[0][1] == 8 and p.scratch[1][1] == 13
    assert p.lower_bound_bytes == 48 + 48 + 8


def test_unsupported_room_counts_as_no_rule(monkeypatch):
    def room(op_type):
        raise UnsupportedError(op_type)
    monkeypatch.setattr(ops_pkg, "room", room)
    g = G()
    x, a, y = g.t(64), g.t(64), g.t(64)
    g.op("RESHAPE", [x], [a])
    g.op("RELU", [a], [y])
    p = checked_plan(g.model([x], [y]))
    assert not p.aliases and not p.inplace and p.arena_bytes == 128


def test_alignment_options(fake_rooms):
    g = G()
    x = g.t(13)
    a = g.t(7)
    b = g.t(29)
    y = g.t(3)
    g.op("FAKE_PLAIN", [x], [a])
    g.op("FAKE_PLAIN", [x, a], [b])
    g.op("FAKE_PLAIN", [b], [y])
    m = g.model([x], [y])
    for align in (1, 2, 4, 8, 16, 64):
        p = checked_plan(m, align=align)
        assert p.align == align
    assert checked_plan(m, align=1).arena_bytes == 13 + 7 + 29
    with pytest.raises(ValueError):
        plan(m, align=3)


def test_lifetime_conventions(fake_rooms):
    g = G()
    x = g.t(10)
    a = g.t(10)
    dead = g.t(10)
    y = g.t(10)
    g.op("FAKE_PLAIN", [x], [a, dead])
    g.op("FAKE_PLAIN", [a], [y])
    m = g.model([x], [y, a])
    p = checked_plan(m)
    assert p.lifetimes[x] == (-1, 0)
    assert p.lifetimes[dead] == (0, 0)
    assert p.lifetimes[a] == (0, 2)              # also a graph output: until after step 1
    assert p.lifetimes[y] == (1, 2)
    rows = {r["index"]: r for r in p.tensor_rows()}
    assert rows[x]["first_op"] is None and rows[x]["last_op"] == 0
    assert rows[y]["last_op"] is None


def _random_graph(rng):
    g = G()
    kinds = ["FAKE_PLAIN", "FAKE_ALIAS", "FAKE_EW", "FAKE_OV", "FAKE_SCR", "FAKE_EW",
             "FAKE_OV", "FAKE_ALIAS"]
    ins = [g.t(int(rng.integers(1, 200))) for _ in range(int(rng.integers(1, 3)))]
    avail = list(ins)
    var = g.t(16, var=True) if rng.random() < 0.3 else None
    outs_extra = []
    for _ in range(int(rng.integers(1, 14))):
        kind = str(rng.choice(kinds))
        k = int(rng.integers(1, 3))
        src = [avail[int(rng.integers(max(0, len(avail) - 5), len(avail)))] for _ in range(k)]
        if rng.random() < 0.2:
            src.append(g.t(8, const=True))
        if var is not None and rng.random() < 0.3:
            src.append(var)
        if kind in ("FAKE_ALIAS", "FAKE_EW") and rng.random() < 0.85:
            size = g.tensors[src[0]].nbytes
        else:
            size = int(rng.integers(0, 300)) if rng.random() < 0.95 else 0
        outs = [g.t(size)]
        if kind == "FAKE_PLAIN" and rng.random() < 0.2:
            outs.append(g.t(int(rng.integers(1, 50))))
        g.op(kind, src, outs)
        avail += outs
        if rng.random() < 0.1:
            outs_extra.append(outs[0])
    outputs = [avail[-1]] + [t for t in outs_extra if t != avail[-1]]
    if rng.random() < 0.1:
        outputs.append(ins[0])
    return g.model(ins, outputs)


def test_random_graphs_verify(fake_rooms):
    rng = np.random.default_rng(11)
    for i in range(100):
        m = _random_graph(rng)
        for align in (1, 16):
            for inplace in (True, False):
                p = checked_plan(m, align=align, inplace=inplace)
                if not inplace:
                    assert not p.aliases and not p.inplace


def _conflicting_pair(m, p, rng):
    """Two nonempty tensors live together, not in/out of one op, not aliases."""
    io = set()
    for op in m.operators:
        for a in op.inputs:
            for b in op.outputs:
                io.add((a, b))
                io.add((b, a))
    root = lambda t: p.aliases.get(t, t)  # noqa: E731
    ts = [t for t in p.offsets if p.sizes[t] > 0]
    pairs = [(a, b) for a in ts for b in ts if a < b and (a, b) not in io
             and root(a) != root(b)
             and p.lifetimes[a][0] <= p.lifetimes[b][1]
             and p.lifetimes[b][0] <= p.lifetimes[a][1]]
    return pairs[int(rng.integers(len(pairs)))] if pairs else None


def test_verifier_rejects_random_corruptions(fake_rooms):
    rng = np.random.default_rng(5)
    rejected = 0
    for _ in range(120):
        m = _random_graph(rng)
        p = checked_plan(m, align=4)
        pair = _conflicting_pair(m, p, rng)
        if pair is None:
            continue
        a, b = pair
        bad = copy.deepcopy(p)
        bad.offsets[a] = bad.offsets[b]
        for t, r in p.aliases.items():          # move a's alias group with it
            if r == a:
                bad.offsets[t] = bad.offsets[b]
        bad.arena_bytes = max(bad.arena_bytes, max(bad.offsets[t] + bad.sizes[t]
                                                   for t in bad.offsets))
        with pytest.raises(PlanError):
            verify_plan(m, bad)
        rejected += 1
    assert rejected > 50


# ----------------------------------------------------------------------------- verifier

def _kws_like(fake):
    g = G()
    x = g.t((1, 9, 5, 8))
    y = _dw_chain(g, x, (1, 9, 5, 8), 4)
    r = g.t((360,))
    g.op("FAKE_ALIAS", [y], [r])
    s = g.t((360,))
    g.op("FAKE_EW", [r], [s])
    return g.model([x], [s])


def test_verifier_rejects_corrupted_plans(fake_rooms):
    m = _kws_like(fake_rooms)
    p = checked_plan(m)
    assert p.inplace and p.aliases

    def bad(mutate):
        q = copy.deepcopy(p)
        mutate(q)
        with pytest.raises(PlanError) as e:
            verify_plan(m, q)
        return str(e.value)

    # shifted offsets: the output of an overlap op one alignment step above what d_max allows
    out, (inp, rule, d) = next(iter(p.inplace.items()))
    assert rule == "overlap"

    assert d <= -56                              # 3x3 SAME on W=5, C=8: d_max = -8 * 7

    def shift(q):                                # d = -48 > d_max, all else in the arena
        if q.offsets[inp] >= 48:
            q.offsets[out] = q.offsets[inp] - 48
        else:
            q.offsets[inp] = q.offsets[out] + 48
        q.arena_bytes = max(q.offsets[t] + q.sizes[t] for t in q.offsets)
    assert "offset difference" in bad(shift)     # the claim no longer matches

    def shift_unclaimed(q):                      # the verifier recomputes d_max itself
        shift(q)
        q.inplace = {}
    msg = bad(shift_unclaimed)
    assert "overlaps input" in msg and "'overlap' rule" in msg, msg
    # too-small arena
    assert "does not fit" in bad(lambda q: setattr(q, "arena_bytes", q.arena_bytes - 1))
    # swapped order
    assert "topological" in bad(lambda q: q.order.__setitem__(slice(0, 2), q.order[1::-1]))
    # misaligned offset
    t0 = next(iter(p.offsets))
    assert "aligned" in bad(lambda q: q.offsets.__setitem__(t0, q.offsets[t0] + 1))
    # fake alias: claim the first chain tensor aliases the last one
    first, last = m.operators[0].outputs[0], m.outputs[0]

    def fake_alias(q):
        q.aliases[first] = last
        q.offsets[first] = q.offsets[last]
    assert "alias" in bad(fake_alias)
    # wrong size, missing tensor, wrong lifetime, fake in-place claim
    assert "bytes" in bad(lambda q: q.sizes.__setitem__(t0, q.sizes[t0] + 1))
    assert "missing" in bad(lambda q: q.offsets.pop(t0))
    assert "lives" in bad(lambda q: q.lifetimes.__setitem__(t0, (5, 9)))
    x = m.inputs[0]
    assert "no op produces" in bad(lambda q: q.inplace.__setitem__(x, (x, "elementwise", 0)))
    d1 = p.offsets[first] - p.offsets[x]
    assert "no such rule" in bad(lambda q: q.inplace.__setitem__(first, (x, "elementwise", d1)))


def test_verifier_scratch_checks(fake_rooms):
    g = G()
    x, a, y = g.t(40), g.t(40), g.t(40)
    g.op("FAKE_SCR", [x], [a])
    g.op("FAKE_PLAIN", [a], [y])
    m = g.model([x], [y])
    p = checked_plan(m)

    q = copy.deepcopy(p)
    q.scratch[0] = (q.offsets[x], q.scratch[0][1])    # scratch over the op's live input
    with pytest.raises(PlanError, match="scratch"):
        verify_plan(m, q)
    q = copy.deepcopy(p)
    del q.scratch[0]
    with pytest.raises(PlanError, match="scratch"):
        verify_plan(m, q)
    q = copy.deepcopy(p)
    q.scratch[0] = (q.scratch[0][0], 2)                # too small
    with pytest.raises(PlanError, match="scratch"):
        verify_plan(m, q)


def test_verifier_elementwise_needs_same_offset(fake_rooms):
    g = G()
    x, y = g.t(64), g.t(64)
    g.op("FAKE_EW", [x], [y])
    m = g.model([x], [y])
    p = checked_plan(m)
    assert p.offsets[x] == p.offsets[y]
    q = copy.deepcopy(p)
    q.offsets[y] += 16
    q.arena_bytes += 16
    q.inplace = {}
    with pytest.raises(PlanError, match="overlaps input"):
        verify_plan(m, q)


def test_verifier_uses_rooms_not_claims(fake_rooms, monkeypatch):
    """A plan made under an in-place rule fails once the room no longer declares it."""
    g = G()
    x, y = g.t(64), g.t(64)
    g.op("FAKE_EW", [x], [y])
    m = g.model([x], [y])
    p = checked_plan(m)
    monkeypatch.setitem(FAKE_ROOMS, "FAKE_EW", SimpleNamespace(INPLACE=None))
    with pytest.raises(PlanError):
        verify_plan(m, p)


# ----------------------------------------------------------------------------- real models

@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.stem)
def test_real_models(path):
    m = tflm_py.load_model(str(path))
    p = checked_plan(m)
    q = checked_plan(m, inplace=False)
    assert p.arena_bytes <= p.no_inplace_bound_bytes
    assert p.arena_bytes <= q.arena_bytes
    assert p.gap_bytes == p.arena_bytes - p.lower_bound_bytes
    # corrupted copies are rejected
    big = max(p.offsets, key=lambda t: p.sizes[t])
    for mutate in (lambda q: setattr(q, "arena_bytes", q.arena_bytes - 1),
                   lambda q: q.offsets.__setitem__(big, q.offsets[big] + q.align)):
        c = copy.deepcopy(p)
        mutate(c)
        with pytest.raises(PlanError):
            verify_plan(m, c)
    if len(p.order) > 1:
        c = copy.deepcopy(p)
        c.order = c.order[::-1]
        with pytest.raises(PlanError, match="topological"):
            verify_plan(m, c)


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_memory",
                                                  ROOT / "scripts" / "bench_memory.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.stem)
def test_real_models_vs_tflm(path):
    row = _bench_module().measure(str(path))
    m = tflm_py.load_model(str(path))
    scratch = sum(b for _, b in plan(m).scratch.values())
    assert row["ours"] <= row["tflm_head"], (
        f"{row}; our rooms ask for {scratch} bytes of scratch that TFLM's reference kernels "
        f"do not need")
    assert row["ours"] <= row["no_inplace_bound"], row
    assert row["ok"]


def test_kws_in_place_beats_the_bound_and_half_of_tflm():
    """kws_ref_model's peak is a depthwise convolution: with in-place on, the arena is strictly
    below the no-in-place bound, and arena + state is at most half of TFLM's arena total."""
    kws = tflm_py.load_model(str(_model("kws_ref_model")))
    p = checked_plan(kws)
    assert p.arena_bytes < p.no_inplace_bound_bytes
    state = sum(t.nbytes for t in kws.tensors if t.is_variable)
    tflm_total = _bench_module().tflm_arena(str(_model("kws_ref_model")))["total"]
    assert p.arena_bytes + state <= 0.5 * tflm_total, (p.arena_bytes, state, tflm_total)


@pytest.mark.parametrize("name", ["vww_mobilenet_v1_025_64", "person_detect_like"])
def test_mobilenet_style_overlap_below_bound(name):
    """Depthwise-separable MobileNets peak at a 1x1 conv that doubles the channels: only the
    overlap rule gets below the bound, to at most 0.9x of it."""
    import numpy as np
    from tflm_py.testgen.networks import NETWORKS
    m = tflm_py.load_model(NETWORKS[name](np.random.default_rng(0)))
    p = checked_plan(m)
    assert p.arena_bytes <= 0.9 * p.no_inplace_bound_bytes, (p.arena_bytes,
                                                              p.no_inplace_bound_bytes)


def _model(stem):
    return next(p for p in MODEL_FILES if p.stem == stem)


def test_synthetic_speed(fake_rooms):
    """A few hundred tensors plan in well under a second."""
    g = G()
    x = g.t((1, 8, 8, 16))
    x0 = x
    for blk in range(60):                       # residual blocks: ~300 tensors
        a = g.t((1, 8, 8, 32))
        g.op("FAKE_WIN", [x], [a], k=(1, 1), s=(1, 1), d=(1, 1), pad=(0, 0))
        b = g.t((1, 8, 8, 32))
        g.op("FAKE_WIN", [a], [b], k=(3, 3), s=(1, 1), d=(1, 1), pad=(1, 1))
        c = g.t((1, 8, 8, 16))
        g.op("FAKE_SCR", [b], [c])
        y = g.t((1, 8, 8, 16))
        g.op("FAKE_EW", [x, c], [y])
        x = y
    m = g.model([x0], [x])
    assert len(m.tensors) > 240
    p = plan(m)                                   # speed: scripts/bench_tools.py
    verify_plan(m, p)

    rng = np.random.default_rng(3)                # a wide, irregular DAG
    g = G()
    ins = [g.t(int(rng.integers(16, 400)))]
    avail = list(ins)
    for i in range(150):
        src = [avail[int(rng.integers(max(0, len(avail) - 12), len(avail)))]
               for _ in range(int(rng.integers(1, 3)))]
        out = g.t(int(rng.integers(16, 600)))
        g.op(str(rng.choice(["FAKE_PLAIN", "FAKE_EW", "FAKE_SCR"])), src, [out])
        avail.append(out)
    m = g.model(ins, [avail[-1]])
    p = plan(m)                                   # speed: scripts/bench_tools.py
    verify_plan(m, p)


# ----------------------------------------------------------------------------- CLI, SVG

def _cli(*args):
    """Run `tflm-py plan ...` in-process; returns (exit code, stdout, stderr)."""
    import contextlib
    import io

    from tflm_py.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(["plan", *map(str, args)])
    return SimpleNamespace(returncode=rc, stdout=out.getvalue(), stderr=err.getvalue())


def test_cli_table_json_svg(tmp_path):
    path = _model("kws_ref_model")
    r = _cli(path)
    assert r.returncode == 0, r.stderr
    assert "lower bound" in r.stdout and "naive sum" in r.stdout and "offset" in r.stdout
    svg = tmp_path / "plan.svg"
    r = _cli(path, "--json", "--svg", svg, "--align", 4)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert {"arena_bytes", "lower_bound_bytes", "order", "tensors"} <= set(d)
    assert d["align"] == 4
    assert all({"index", "offset", "bytes", "first_op", "last_op"} <= set(t)
               for t in d["tensors"])
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    rects = [e for e in root.iter() if e.tag.endswith("rect")]
    assert len(rects) >= len(d["tensors"])
    assert "peak" in svg.read_text()
    r = _cli(path, "--no-inplace", "--json")
    assert json.loads(r.stdout)["aliases"] == {}


def test_cli_errors(tmp_path):
    r = _cli(_model("hello_world_int8"), "--align", "12")
    assert r.returncode == 2 and r.stderr.startswith("error:")
    r = _cli(tmp_path / "missing.tflite")
    assert r.returncode == 2 and r.stderr.startswith("error:")


def test_svg_marks_every_tensor(fake_rooms):
    m = _kws_like(fake_rooms)
    p = checked_plan(m)
    root = ET.fromstring(plan_svg(m, p))
    titles = [e.text for e in root.iter() if e.tag.endswith("title")]
    assert sum(1 for t in titles if t.startswith("tensor ")) == len(p.offsets)
