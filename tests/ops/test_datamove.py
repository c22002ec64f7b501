"""Index and data-movement rooms: SLICE, SPLIT, SPLIT_V, DEPTH_TO_SPACE, SPACE_TO_DEPTH,
REVERSE_V2, BROADCAST_TO (all one strided byte gather, kernels_c/gather_bytes.c).

- simulate vs TFLM (the oracle) on a few random models per op: 0 differing elements;
- the rooms' emit() + C kernel vs simulate on the same models, in one host program built with
  -Wall -Wextra -Werror under ASan/UBSan, every non-constant tensor in its own exactly sized
  array (multi-output ops included);
- what TFLM rejects raises UnsupportedError;
- a multi-op model through the planner (in place "overlap" pairs, checked by the plan
  verifier) and the generated C equals TFLM and the simulator.
"""
from __future__ import annotations


import numpy as np
import pytest

from tflm_py import ops
from tflm_py.errors import UnsupportedError
from tflm_py.oracle import run_oracle
from tflm_py.reader import load_model
from tflm_py.sweep import random_inputs
from tflm_py.testgen.datamove import GENERATORS
from tflm_py.testgen.opcase import OpCase, build_and_run, case_c, split_outputs
from tflm_py.testing import ModelBuilder

MODELS_PER_OP = 6
SAMPLES = 2
OP_NAMES = sorted(GENERATORS)


def _case(op_name: str, seed: int) -> OpCase:
    case = OpCase(op_name, seed, GENERATORS, samples=SAMPLES,
                  seed_of=lambda n, k: 104729 * k + len(n))
    assert case.op.type == op_name
    return case


@pytest.fixture(scope="module")
def cases():
    return {name: [_case(name, s) for s in range(MODELS_PER_OP)] for name in OP_NAMES}


@pytest.mark.parametrize("op_name", OP_NAMES)
def test_simulate_matches_tflm(cases, op_name):
    compared = 0
    for case in cases[op_name]:
        expected = run_oracle(case.data, case.samples)
        outs = case.model.outputs
        for exp, got in zip(expected, case.simulate()):
            exp = [exp[outs.index(t)] for t in case.op.outputs]
            for e, g in zip(exp, got):
                assert g.dtype == e.dtype and g.shape == e.shape, (op_name, case.seed)
                assert np.array_equal(g, e), (op_name, case.seed)
                compared += e.size
    assert compared > 0


def test_generators_cover_types(cases):
    types = {c.model.tensors[c.op.outputs[0]].type_name for cs in cases.values() for c in cs}
    assert {"INT8", "INT16", "INT32"} <= types


# ------------------------------------------------------------------ emit + C kernels

def test_c_kernels_match_simulate(cases, tmp_path):
    sources, kernels, calls, expected = [], set(), [], []
    k = 0
    for name in OP_NAMES:
        for case in cases[name]:
            src, ks = case_c(k, case)
            sources.append(src)
            kernels |= set(ks)
            calls.append(f"c{k}_run")
            expected.append((name, case.seed, case.simulate()))
            k += 1
    blob = build_and_run(tmp_path, sources, kernels, calls)
    flat = [o for *_, per_sample in expected for outs in per_sample for o in outs]
    got = iter(split_outputs(blob, flat))
    checked = 0
    for name, seed, per_sample in expected:
        for outs in per_sample:
            for o in outs:
                assert np.array_equal(next(got), o), (name, seed)
                checked += 1
    assert checked >= len(OP_NAMES) * MODELS_PER_OP * SAMPLES


# ------------------------------------------------------------------ what we reject

Q = (0.1, 3)
I8 = np.int8


def _one_op(op_type, in_specs, out_specs, consts=(), const_first=False, **opts):
    """A model with one op: in_specs / out_specs [(shape, dtype)], consts appended (or
    prepended with const_first) to the inputs."""
    b = ModelBuilder()

    def act(s, d):
        return b.activation(s, dtype=d, scale=Q[0], zero_point=Q[1]) if d in (I8, np.int16) \
            else b.activation(s, dtype=d)
    ins = [act(s, d) for s, d in in_specs]
    cs = [b.constant(a) for a in consts]
    ys = [act(s, d) for s, d in out_specs]
    b.op(op_type, cs + ins if const_first else ins + cs, ys, **opts)
    m = load_model(b.build(inputs=ins, outputs=ys))
    return m, m.operators[0]


def _rejects(m, op, fragment):
    with pytest.raises(UnsupportedError, match=fragment):
        ops.room(op.type).check(op, m)


def _i32(v):
    return np.array(v, np.int32)


def test_rejects_slice_variants():
    _rejects(*_one_op("SLICE", [((4, 5), I8)], [((2, 2), I8)], [_i32([3, 0]), _i32([2, 2])]),
             "does not fit")
    _rejects(*_one_op("SLICE", [((4, 5), I8)], [((2, 2), I8)], [_i32([5, 0]), _i32([0, 2])]),
             "outside")
    _rejects(*_one_op("SLICE", [((4, 5), I8)], [((2, 3), I8)], [_i32([0, 0]), _i32([2, 2])]),
             "elements")
    _rejects(*_one_op("SLICE", [((4, 5), np.int64)], [((2, 2), np.int64)],
                      [_i32([0, 0]), _i32([2, 2])]), "INT64")
    _rejects(*_one_op("SLICE", [((4, 5), I8)], [((2, 2), I8)],
                      [_i32([0, 0]), np.array([2, 2], np.int64)]), "differs from size type")


def test_rejects_split_variants():
    _rejects(*_one_op("SPLIT", [((4, 6), I8)], [((4, 2), I8), ((4, 4), I8)], [_i32(1)],
                      const_first=True, num_splits=2), "output 0's extent")
    _rejects(*_one_op("SPLIT", [((4, 6), I8)], [((4, 3), I8), ((4, 3), I8)], [_i32(2)],
                      const_first=True, num_splits=2), "out of range")
    _rejects(*_one_op("SPLIT", [((4, 6), np.int64)], [((4, 3), np.int64)] * 2, [_i32(1)],
                      const_first=True, num_splits=2), "INT64")
    _rejects(*_one_op("SPLIT_V", [((4, 6), I8)], [((4, 2), I8), ((4, 3), I8)],
                      [_i32([2, 3]), _i32(1)], num_splits=2), "add up to 5")
    _rejects(*_one_op("SPLIT_V", [((4, 6), I8)], [((4, 2), I8), ((3, 4), I8)],
                      [_i32([2, 4]), _i32(1)], num_splits=2), "does not match")


def test_rejects_depth_space_reverse_broadcast_variants():
    _rejects(*_one_op("DEPTH_TO_SPACE", [((1, 2, 2, 6), I8)], [((1, 4, 4, 1), I8)],
                      block_size=2), "divisible")
    _rejects(*_one_op("DEPTH_TO_SPACE", [((1, 2, 2, 4), np.int16)], [((1, 4, 4, 1), np.int16)],
                      block_size=2), "INT16")
    _rejects(*_one_op("SPACE_TO_DEPTH", [((1, 3, 4, 1), I8)], [((1, 1, 2, 4), I8)],
                      block_size=2), "divisible")
    _rejects(*_one_op("SPACE_TO_DEPTH", [((1, 4, 4, 1), I8)], [((1, 2, 2, 2), I8)],
                      block_size=2), "differs from the shape")
    _rejects(*_one_op("REVERSE_V2", [((2, 3, 4), I8)], [((2, 3, 4), I8)], [_i32([0, 2])]),
             "not consecutive")
    _rejects(*_one_op("REVERSE_V2", [((2, 3, 4), I8)], [((2, 3, 4), I8)], [_i32([3])]),
             "out of range")
    _rejects(*_one_op("BROADCAST_TO", [((2, 3), I8)], [((4, 3), I8)], [_i32([4, 3])]),
             "does not broadcast")
    _rejects(*_one_op("BROADCAST_TO", [((1, 3), I8)], [((1, 1, 1, 1, 2, 3), I8)],
                      [_i32([1, 1, 1, 1, 2, 3])]), "at most 5")


# ------------------------------------------------------------------ planned through codegen

def test_chain_planned_in_place_matches_tflm():
    """SLICE -> REVERSE_V2 -> SPLIT_V -> DEPTH_TO_SPACE / SPACE_TO_DEPTH -> BROADCAST_TO in
    one model: the planner pairs "overlap" ops (the plan verifier checks every byte), the
    arena is smaller than without in-place rules, and TFLM == simulator == generated C."""
    from tflm_py.hostbuild import run_host
    from tflm_py.plan_verify import verify_plan
    from tflm_py.planner import plan
    from tflm_py.simulator import Simulator
    b = ModelBuilder()
    q = dict(scale=0.05, zero_point=-4)
    x = b.activation((1, 4, 6, 16), **q)     # a strided box (not a contiguous view)
    s = b.activation((1, 4, 4, 16), **q)
    b.op("SLICE", [x, b.constant(_i32([0, 0, 2, 0])), b.constant(_i32([1, 4, 4, 16]))], [s])
    r = b.activation((1, 4, 4, 16), **q)
    b.op("REVERSE_V2", [s, b.constant(_i32([1]))], [r])
    p0 = b.activation((1, 4, 4, 12), **q)
    p1 = b.activation((1, 4, 4, 4), **q)
    b.op("SPLIT_V", [r, b.constant(_i32([12, 4])), b.constant(_i32(3))], [p0, p1],
         num_splits=2)
    d = b.activation((1, 8, 8, 1), **q)
    b.op("DEPTH_TO_SPACE", [p1], [d], block_size=2)
    e = b.activation((1, 4, 4, 4), **q)
    b.op("SPACE_TO_DEPTH", [d], [e], block_size=2)
    f = b.activation((2, 4, 4, 4), **q)
    b.op("BROADCAST_TO", [e, b.constant(_i32([2, 4, 4, 4]))], [f])
    data = b.build(inputs=[x], outputs=[p0, f])
    m = load_model(data)
    pl = plan(m)
    verify_plan(m, pl)
    assert any(rule == "overlap" for _, rule, _ in pl.inplace.values())
    assert pl.arena_bytes < plan(m, inplace=False).arena_bytes
    rng = np.random.default_rng(3)
    samples = [random_inputs(m, rng) for _ in range(2)]
    expected = run_oracle(data, samples)
    sim = [Simulator(m).run(s_) for s_ in samples]
    c_out = run_host(m, samples, sanitize=True)
    for e_, s_, c_ in zip(expected, sim, c_out):
        for k in range(2):
            assert np.array_equal(e_[k], s_[k]) and np.array_equal(s_[k], c_[k])


def test_gather_and_embedding_lookup_with_run_time_positions():
    """Positions fed at run time: TFLM == simulator == generated C (ASan/UBSan); a position
    out of range fails in TFLM and in the simulator."""
    from tflm_py.errors import ModelError
    from tflm_py.hostbuild import run_host
    from tflm_py.simulator import Simulator
    b = ModelBuilder()
    x = b.activation((4, 5, 3), scale=0.1, zero_point=1)
    pos = b.activation((2, 3), dtype=np.int32)
    g = b.activation((4, 2, 3, 3), scale=0.1, zero_point=1)
    b.op("GATHER", [x, pos], [g], axis=1)
    look = b.activation((3,), dtype=np.int32)
    e = b.activation((3, 5, 3), scale=0.1, zero_point=1)
    b.op("EMBEDDING_LOOKUP", [look, x], [e])
    data = b.build(inputs=[x, pos, look], outputs=[g, e])
    m = load_model(data)
    rng = np.random.default_rng(11)
    samples = [[rng.integers(-128, 128, size=(4, 5, 3)).astype(np.int8),
                rng.integers(0, 5, size=(2, 3)).astype(np.int32),
                rng.integers(0, 4, size=(3,)).astype(np.int32)] for _ in range(3)]
    expected = run_oracle(data, samples)
    sim = [Simulator(m).run(s_) for s_ in samples]
    c_out = run_host(m, samples, sanitize=True)
    for e_, s_, c_ in zip(expected, sim, c_out):
        for k in range(2):
            assert np.array_equal(e_[k], s_[k]) and np.array_equal(s_[k], c_[k])
    bad = [samples[0][0], np.array([[0, 1, 5], [0, 0, 0]], np.int32), samples[0][2]]
    with pytest.raises(Exception):
        run_oracle(data, [bad])
    with pytest.raises(ModelError, match="out"):
        Simulator(m).run(bad)


def test_rejects_gather_and_zeros_like_variants():
    _rejects(*_one_op("GATHER", [((3, 4), np.int16)], [((2, 4), np.int16)], [_i32([0, 1])],
                      axis=0), "INT16")
    _rejects(*_one_op("GATHER", [((3, 4), I8)], [((2, 4), I8)], [_i32([0, 3])], axis=0),
             "outside")
    _rejects(*_one_op("GATHER", [((3, 4), I8)], [((3, 2), I8)], [_i32([0, 1])], axis=0),
             "differs from the shape")
    _rejects(*_one_op("GATHER", [((3, 4), I8)], [((2, 4), I8)], [np.array([0, 1], np.int64)],
                      axis=0), "INT32")
    _rejects(*_one_op("EMBEDDING_LOOKUP", [((3, 4), I8)], [((2, 4), np.float32)],
                      [_i32([0, 1])], const_first=True), "hybrid")
    _rejects(*_one_op("ZEROS_LIKE", [((3, 4), np.int16)], [((3, 4), np.int16)]), "INT16")


def test_rejects_batch_space_variants():
    blk, zero = _i32([2, 2]), _i32([[0, 0], [0, 0]])
    _rejects(*_one_op("SPACE_TO_BATCH_ND", [((1, 3, 4, 1), I8)], [((4, 1, 2, 1), I8)],
                      [blk, zero]), "divisible")
    _rejects(*_one_op("SPACE_TO_BATCH_ND", [((1, 4, 4, 1), np.int16)],
                      [((4, 2, 2, 1), np.int16)], [blk, zero]), "INT16")
    _rejects(*_one_op("BATCH_TO_SPACE_ND", [((3, 2, 2, 1), I8)], [((1, 4, 4, 1), I8)],
                      [blk, zero]), "divisible")
    _rejects(*_one_op("BATCH_TO_SPACE_ND", [((4, 2, 2, 1), I8)], [((1, 4, 4, 1), I8)],
                      [blk, _i32([[0, -1], [0, 0]])]), "negative")
    _rejects(*_one_op("BATCH_TO_SPACE_ND", [((4, 2, 2, 1), I8)], [((1, 4, 3, 1), I8)],
                      [blk, zero]), "differs")


def test_space_to_batch_padding_in_c_matches_simulator():
    """Padded SPACE_TO_BATCH_ND (3-D and 4-D): TFLM's pad value is not reproducible (an
    unset field), so the generated C is compared with the simulator's numpy definition:
    pad pixels are 0 bytes."""
    from tflm_py.hostbuild import run_host
    from tflm_py.simulator import Simulator
    b = ModelBuilder()
    x = b.activation((2, 3, 5, 2), scale=0.1, zero_point=-9)
    y = b.activation((12, 2, 2, 2), scale=0.1, zero_point=-9)
    b.op("SPACE_TO_BATCH_ND", [x, b.constant(_i32([2, 3])), b.constant(_i32([[1, 0], [0, 1]]))],
         [y])
    x3 = b.activation((1, 3, 4), scale=0.1, zero_point=-9)
    y3 = b.activation((2, 3, 4), scale=0.1, zero_point=-9)
    b.op("SPACE_TO_BATCH_ND", [x3, b.constant(_i32([2])), b.constant(_i32([[2, 1]]))], [y3])
    m = load_model(b.build(inputs=[x, x3], outputs=[y, y3]))
    rng = np.random.default_rng(2)
    samples = [random_inputs(m, rng) for _ in range(2)]
    sim = [Simulator(m).run(s_) for s_ in samples]
    c_out = run_host(m, samples, sanitize=True)
    for s_, c_, inp in zip(sim, c_out, samples):
        assert np.array_equal(s_[0], c_[0]) and np.array_equal(s_[1], c_[1])
        padded = np.zeros((2, 4, 6, 2), np.int8)
        padded[:, 1:4, 0:5] = inp[0]
        want = padded.reshape(2, 2, 2, 2, 3, 2).transpose(2, 4, 0, 1, 3, 5).reshape(12, 2, 2, 2)
        assert np.array_equal(s_[0], want)


def test_rejects_mirror_pad_variants():
    _rejects(*_one_op("MIRROR_PAD", [((2, 3), I8)], [((4, 5), I8)],
                      [_i32([[2, 0], [1, 1]])], mode=0), "outside")
    _rejects(*_one_op("MIRROR_PAD", [((2, 3), I8)], [((4, 5), I8)],
                      [_i32([[1, 1], [1, 0]])], mode=1), "differs")
    _rejects(*_one_op("MIRROR_PAD", [((2, 3), np.int16)], [((4, 5), np.int16)],
                      [_i32([[1, 1], [1, 1]])], mode=1), "INT16")


def test_gather_nd_with_run_time_indices():
    """Run-time indices: TFLM == simulator == generated C; a flat start past the end fails in
    TFLM and in the simulator, a negative single index with an in-range start does not."""
    from tflm_py.errors import ModelError
    from tflm_py.hostbuild import run_host
    from tflm_py.simulator import Simulator
    b = ModelBuilder()
    x = b.activation((3, 4, 2), scale=0.1, zero_point=1)
    idx = b.activation((2, 2), dtype=np.int32)
    y = b.activation((2, 2), scale=0.1, zero_point=1)
    b.op("GATHER_ND", [x, idx], [y])
    data = b.build(inputs=[x, idx], outputs=[y])
    m = load_model(data)
    rng = np.random.default_rng(5)
    xs = rng.integers(-128, 128, size=(3, 4, 2)).astype(np.int8)
    samples = [[xs, np.array([[2, 3], [0, 1]], np.int32)],
               [xs, np.array([[1, -2], [0, 0]], np.int32)]]
    expected = run_oracle(data, samples)
    sim = [Simulator(m).run(s_) for s_ in samples]
    c_out = run_host(m, samples, sanitize=True)
    for e_, s_, c_ in zip(expected, sim, c_out):
        assert np.array_equal(e_[0], s_[0]) and np.array_equal(s_[0], c_[0])
    bad = [xs, np.array([[2, 4], [0, 0]], np.int32)]
    with pytest.raises(Exception):
        run_oracle(data, [bad])
    with pytest.raises(ModelError, match="out of bounds"):
        Simulator(m).run(bad)


def test_broadcast_args_with_run_time_shapes():
    """Run-time int32 and int64 shapes (broadcastable ones: others abort TFLM): TFLM ==
    simulator == generated C."""
    from tflm_py.hostbuild import run_host
    from tflm_py.simulator import Simulator
    b = ModelBuilder()
    a32, b32 = b.activation((3,), dtype=np.int32), b.activation((1,), dtype=np.int32)
    y32 = b.activation((3,), dtype=np.int32)
    b.op("BROADCAST_ARGS", [a32, b32], [y32])
    a64, b64 = b.activation((2,), dtype=np.int64), b.activation((4,), dtype=np.int64)
    y64 = b.activation((4,), dtype=np.int64)
    b.op("BROADCAST_ARGS", [a64, b64], [y64])
    data = b.build(inputs=[a32, b32, a64, b64], outputs=[y32, y64])
    m = load_model(data)
    samples = [[np.array([4, 1, 3], np.int32), np.array([3], np.int32),
                np.array([1, 5], np.int64), np.array([2, 3, 9, 1], np.int64)],
               [np.array([1, 1, 1], np.int32), np.array([1], np.int32),
                np.array([6, 1], np.int64), np.array([1, 1, 1, 8], np.int64)]]
    expected = run_oracle(data, samples)
    sim = [Simulator(m).run(s_) for s_ in samples]
    c_out = run_host(m, samples, sanitize=True)
    for e_, s_, c_ in zip(expected, sim, c_out):
        for k in range(2):
            assert np.array_equal(e_[k], s_[k]) and np.array_equal(s_[k], c_[k])
