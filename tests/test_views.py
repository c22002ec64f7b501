"""Zero-copy views (ops/_views.py, planner rule "view", plan_verify.py): SLICE, STRIDED_SLICE,
SPLIT, SPLIT_V, UNPACK, GATHER outputs that are contiguous blocks of their input are planned inside
it, and PACK / CONCATENATION inputs inside their output; no code runs for such an op and its
pieces take no arena of their own. Each model: the plan passes the independent verifier,
every declared view is taken, the arena is what the views allow, the generated C has no call
for the view op, and TFLM == simulator == generated C (under ASan/UBSan)."""
from __future__ import annotations

import numpy as np
import pytest

from tflm_py import load_model, ops
from tflm_py.codegen import bundle_files
from tflm_py.hostbuild import run_host_many
from tflm_py.oracle import run_oracle
from tflm_py.plan_verify import verify_plan
from tflm_py.planner import plan
from tflm_py.simulator import simulate
from tflm_py.sweep import random_inputs
from tflm_py.testing import ModelBuilder

Q = dict(scale=0.05, zero_point=-4)


def _i32(v):
    return np.asarray(v, dtype=np.int32)


def _requant(b, t, shape, k=0):
    """A QUANTIZE int8 -> int8 to another scale: an op that writes `shape`."""
    y = b.activation(shape, scale=0.04 + 0.01 * k, zero_point=3)
    b.op("QUANTIZE", [t], [y])
    return y


def _slice():
    b = ModelBuilder()
    x = b.activation((1, 8, 16), **Q)
    a = _requant(b, x, (1, 8, 16))
    s = b.activation((1, 4, 16), scale=0.05, zero_point=3)
    b.op("SLICE", [a, b.constant(_i32([0, 2, 0])), b.constant(_i32([1, 4, 16]))], [s])
    y = _requant(b, s, (1, 4, 16), 1)
    # x and a share 128 bytes (QUANTIZE in place), s is inside a; y: 64
    return b.build([x], [y]), "SLICE", 192


def _slice_unaligned():
    b = ModelBuilder()
    x = b.activation((1, 40), **Q)
    a = _requant(b, x, (1, 40))
    s = b.activation((1, 9), scale=0.05, zero_point=3)
    b.op("SLICE", [a, b.constant(_i32([0, 3])), b.constant(_i32([1, 9]))], [s])
    y = _requant(b, s, (1, 9), 1)
    return b.build([x], [y]), "SLICE", 16 + 40     # y first, then x/a with s inside


def _split():
    b = ModelBuilder()
    x = b.activation((1, 4, 16), **Q)
    a = _requant(b, x, (1, 4, 16))
    p0, p1 = (b.activation((1, 2, 16), scale=0.05, zero_point=3) for _ in range(2))
    b.op("SPLIT", [b.constant(_i32(1)), a], [p0, p1], num_splits=2)
    y = b.activation((1, 2, 16), scale=0.08, zero_point=1)
    b.op("ADD", [p0, p1], [y])
    return b.build([x], [y]), "SPLIT", 64 + 32


def _split_v():
    b = ModelBuilder()
    x = b.activation((1, 6, 8), **Q)
    a = _requant(b, x, (1, 6, 8))
    p0 = b.activation((1, 2, 8), scale=0.05, zero_point=3)
    p1 = b.activation((1, 4, 8), scale=0.05, zero_point=3)
    b.op("SPLIT_V", [a, b.constant(_i32([2, 4])), b.constant(_i32(1))], [p0, p1],
         num_splits=2)
    y0, y1 = _requant(b, p0, (1, 2, 8), 1), _requant(b, p1, (1, 4, 8), 2)
    return b.build([x], [y0, y1]), "SPLIT_V", 48 + 16 + 32


def _split_int32():
    b = ModelBuilder()
    x = b.activation((1, 12), np.int32)
    p = [b.activation((1, 4), np.int32) for _ in range(3)]
    b.op("SPLIT", [b.constant(_i32(1)), x], p, num_splits=3)
    y = b.activation((1, 4), np.int32)
    b.op("SUB", [p[2], p[0]], [y])
    return b.build([x], [y, p[1]]), "SPLIT", 48 + 16


def _unpack():
    b = ModelBuilder()
    x = b.activation((1, 3, 16), **Q)
    a = _requant(b, x, (1, 3, 16))
    u = [b.activation((1, 16), scale=0.05, zero_point=3) for _ in range(3)]
    b.op("UNPACK", [a], u, num=3, axis=1)
    v = b.activation((1, 16), scale=0.1, zero_point=0)
    b.op("ADD", [u[0], u[2]], [v])
    return b.build([x], [v, u[1]]), "UNPACK", 48 + 16


def _pack():
    b = ModelBuilder()
    x = b.activation((1, 32), **Q)
    a, c = _requant(b, x, (1, 32), 0), _requant(b, x, (1, 32), 1)
    z = b.activation((2, 1, 32), scale=0.05, zero_point=3)
    b.op("PACK", [a, c], [z], values_count=2, axis=0)
    y = b.activation((1, 1, 32), scale=0.05, zero_point=3)
    b.op("REDUCE_MAX", [z, b.constant(_i32([0]))], [y], keep_dims=True)
    # a and c are written straight into z (64); x (32) lives until both are written
    return b.build([x], [y]), "PACK", 32 + 64


def _concat_with_constant():
    """The graph input is a piece written in place by the caller; the constant is copied."""
    b = ModelBuilder()
    x = b.activation((1, 2, 16), scale=0.05, zero_point=3)
    c = b.constant(np.arange(32, dtype=np.int8).reshape(1, 2, 16), scales=[0.05],
                   zero_points=[3])
    z = b.activation((1, 4, 16), scale=0.05, zero_point=3)
    b.op("CONCATENATION", [x, c], [z], axis=1)
    y = _requant(b, z, (1, 4, 16), 1)
    return b.build([x], [y]), "CONCATENATION", 64     # y is written over z in place


def _gather():
    b = ModelBuilder()
    x = b.activation((6, 8), **Q)
    a = _requant(b, x, (6, 8))
    g = b.activation((3, 8), scale=0.05, zero_point=3)
    b.op("GATHER", [a, b.constant(_i32([2, 3, 4]))], [g], axis=0)
    y = _requant(b, g, (3, 8), 1)
    return b.build([x], [y]), "GATHER", 48 + 24


def _strided_slice_shrink():
    """Keras' x[:, 2]: one row of the input, the sliced axis shrunk away."""
    b = ModelBuilder()
    x = b.activation((1, 4, 16), **Q)
    a = _requant(b, x, (1, 4, 16))
    s = b.activation((1, 16), scale=0.05, zero_point=3)
    b.op("STRIDED_SLICE", [a, b.constant(_i32([0, 2, 0])), b.constant(_i32([1, 3, 16])),
                           b.constant(_i32([1, 1, 1]))], [s], shrink_axis_mask=2)
    y = _requant(b, s, (1, 16), 1)
    return b.build([x], [y]), "STRIDED_SLICE", 64 + 16


CASES = {f.__name__[1:]: f for f in (_slice, _slice_unaligned, _split, _split_v, _split_int32,
                                     _unpack, _pack, _concat_with_constant, _gather,
                                     _strided_slice_shrink)}


@pytest.fixture(scope="module")
def built():
    return {name: f() for name, f in CASES.items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_views_planned_and_no_code(built, name):
    data, op_type, arena = built[name]
    m = load_model(data)
    p = plan(m)
    verify_plan(m, p)
    op = next(o for o in m.operators if o.type == op_type)
    links = ops.room(op.type).views(op, m)
    assert links
    arena_t = set(p.offsets)
    for member, container, off in links:
        if member in arena_t and container in arena_t:
            assert p.offsets[member] == p.offsets[container] + off, (member, container)
    assert p.arena_bytes == arena, (p.arena_bytes, arena)
    _, files = bundle_files(m, plan=p)
    src = "\n".join(v for k, v in files.items() if k.endswith(".c") and "kernels" not in k)
    section = src[src.index(f"{op_type} "):]
    section = section[:section.index("\n\n")] if "\n\n" in section else section
    if name == "concat_with_constant":
        assert "tflm_reshape(" in section and "tflm_concatenation" not in section
    else:
        assert "no code: planned in place" in section, section[:400]


def test_views_bit_exact_tflm_simulator_host_c(built):
    models, samples, expected = [], [], []
    rng = np.random.default_rng(5)
    for name in sorted(CASES):
        data = built[name][0]
        m = load_model(data)
        s = [random_inputs(m, rng) for _ in range(2)]
        want = run_oracle(data, s)
        sim = [simulate(m, x) for x in s]
        for w, g in zip(want, sim):
            for a, b_ in zip(w, g):
                assert np.array_equal(np.asarray(a).reshape(-1), b_.reshape(-1)), name
        models.append(m)
        samples.append(s)
        expected.append(sim)
    got = run_host_many(models, samples, sanitize=True)
    for name, sim, c in zip(sorted(CASES), expected, got):
        for g, h in zip(sim, c):
            for a, b_ in zip(g, h):
                assert np.array_equal(a, b_), name


def test_no_view_where_the_piece_is_strided():
    b = ModelBuilder()
    x = b.activation((2, 4, 8), **Q)
    p0, p1 = (b.activation((2, 2, 8), **Q) for _ in range(2))
    b.op("SPLIT", [b.constant(_i32(1)), x], [p0, p1], num_splits=2)
    m = load_model(b.build([x], [p0, p1]))
    op = m.operators[0]
    assert ops.room("SPLIT").views(op, m) == []
    p = plan(m)
    verify_plan(m, p)
    assert p.arena_bytes == 64 + 32 + 32


def test_a_tensor_packed_twice_is_copied_once():
    b = ModelBuilder()
    x = b.activation((1, 16), **Q)
    a = _requant(b, x, (1, 16))
    z = b.activation((2, 1, 16), scale=0.05, zero_point=3)
    b.op("PACK", [a, a], [z], values_count=2, axis=0)
    data = b.build([x], [z])
    m = load_model(data)
    p = plan(m)
    verify_plan(m, p)
    s = [random_inputs(m, np.random.default_rng(1))]
    want = run_oracle(data, s)[0][0]
    assert np.array_equal(simulate(m, s[0])[0], np.asarray(want).reshape(2, 1, 16))
    assert np.array_equal(run_host_many([m], [s], sanitize=True)[0][0][0],
                          simulate(m, s[0])[0])


def _random_graph(seed):
    """Random compositions of view ops (SLICE, SPLIT, CONCATENATION, PACK + RESHAPE) and
    writers (ADD, MAXIMUM) on [1, n] int8 tensors of one quantization: groups that nest,
    chain and compete for the same bytes."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    x = b.activation((1, 24), **Q)
    pool = [(x, 24)]
    used = set()

    def new(n):
        return b.activation((1, n), **Q)
    for _ in range(int(rng.integers(6, 12))):
        kind = rng.choice(["slice", "split", "concat", "pack", "add", "max"])
        t, n = pool[int(rng.integers(len(pool)))]
        if kind == "slice" and n > 1:
            size = int(rng.integers(1, n))
            begin = int(rng.integers(0, n - size + 1))
            y = new(size)
            b.op("SLICE", [t, b.constant(_i32([0, begin])), b.constant(_i32([1, size]))], [y])
            pool.append((y, size))
        elif kind == "split" and n % 2 == 0:
            ys = [new(n // 2) for _ in range(2)]
            b.op("SPLIT", [b.constant(_i32(1)), t], ys, num_splits=2)
            pool += [(y, n // 2) for y in ys]
        elif kind == "concat":
            u, m = pool[int(rng.integers(len(pool)))]
            y = new(n + m)
            b.op("CONCATENATION", [t, u], [y], axis=1)
            pool.append((y, n + m))
        elif kind == "pack":
            same = [p for p in pool if p[1] == n]
            u = same[int(rng.integers(len(same)))][0]
            z = b.activation((2, 1, n), **Q)
            b.op("PACK", [t, u], [z], values_count=2, axis=0)
            y = new(2 * n)
            b.op("RESHAPE", [z, b.constant(_i32([1, 2 * n]))], [y])
            pool.append((y, 2 * n))
        elif kind in ("add", "max"):
            same = [p for p in pool if p[1] == n]
            u = same[int(rng.integers(len(same)))][0]
            y = new(n)
            b.op("ADD" if kind == "add" else "MAXIMUM", [t, u], [y])
            pool.append((y, n))
        else:
            continue
        used.add(t)
    outs = [p[0] for p in pool[1:] if p[0] not in used][-3:] or [pool[-1][0]]
    return b.build([x], outs)


def test_random_view_graphs_verified_and_bit_exact():
    models, samples, sims = [], [], []
    taken = 0
    for seed in range(6):    # scripts: any number of seeds; these 6 nest, chain and compete
        data = _random_graph(seed)
        m = load_model(data)
        p = plan(m)
        verify_plan(m, p)
        taken += sum(p.offsets[t] != p.offsets[r] or p.sizes[t] != p.sizes[r]
                     for t, r in p.aliases.items())
        s = [random_inputs(m, np.random.default_rng(seed)) for _ in range(2)]
        want = run_oracle(data, s)
        sim = [simulate(m, x) for x in s]
        for w, g in zip(want, sim):
            for a, b_ in zip(w, g):
                assert np.array_equal(np.asarray(a).reshape(-1), b_.reshape(-1)), seed
        models.append(m)
        samples.append(s)
        sims.append(sim)
    assert taken >= 6       # views were placed, not only declared
    for seed, (sim, c) in enumerate(zip(sims, run_host_many(models, samples, sanitize=True))):
        for g, h in zip(sim, c):
            for a, b_ in zip(g, h):
                assert np.array_equal(a, b_), seed
