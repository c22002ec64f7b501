"""Data-movement rooms: RESHAPE, SQUEEZE, EXPAND_DIMS, CONCATENATION, PAD, PADV2, TRANSPOSE,
STRIDED_SLICE.

- simulate vs TFLM (the oracle) on 32 random models per op: 0 differing elements;
- the rooms' emit() + C kernels vs simulate on the same models, all in one host program built
  with -Wall -Wextra -Werror under ASan/UBSan, every non-constant tensor in its own exactly
  sized array (so any stray read or write is caught); RESHAPE-family cases also run planned
  in place (output aliasing the input: emit produces no code);
- one model per op through the whole generated bundle (hostbuild.run_host);
- what TFLM rejects (or would compute into unwritten memory) raises UnsupportedError;
- the kernels compile clean for gcc and arm-none-eabi-gcc with the project's flags.
"""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from tflm_py import ops
from tflm_py.errors import UnsupportedError
from tflm_py.oracle import run_oracle
from tflm_py.reader import load_model
from tflm_py.sweep import random_inputs
from tflm_py.testgen.opcase import (KERNELS, OpCase, OwnArrays, build_and_run, case_c,
                                     split_outputs)
from tflm_py.testgen.shape import GENERATORS
from tflm_py.testing import ModelBuilder

KERNEL_NAMES = ("reshape", "concatenation", "pad", "gather_bytes")
MODELS_PER_OP = 32
SAMPLES = 2
OP_NAMES = sorted(GENERATORS)
ALIAS_OPS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")


def _case(op_name: str, seed: int) -> OpCase:
    case = OpCase(op_name, seed, GENERATORS, samples=SAMPLES,
                  seed_of=lambda n, k: 7919 * k + len(n))
    assert case.op.type == op_name
    return case


@pytest.fixture(scope="module")
def cases():
    return {name: [_case(name, s) for s in range(MODELS_PER_OP)] for name in OP_NAMES}


# ------------------------------------------------------------------ simulate vs oracle

@pytest.mark.parametrize("op_name", OP_NAMES)
def test_simulate_matches_tflm(cases, op_name):
    compared = 0
    for case in cases[op_name]:
        expected = [outs[0] for outs in run_oracle(case.data, case.samples)]
        got = [o[0] for o in case.simulate()]
        for e, g in zip(expected, got):
            assert g.shape == e.shape, (op_name, case.seed)
            assert g.dtype == e.dtype, (op_name, case.seed)
            assert np.array_equal(g, e), (op_name, case.seed, g, e)
            compared += e.size
    assert compared > 0


def test_generators_cover_types_and_variants(cases):
    types = {c.model.tensors[c.op.outputs[0]].type_name for cs in cases.values() for c in cs}
    assert {"INT8", "INT16", "INT32", "FLOAT32"} <= types
    ss = cases["STRIDED_SLICE"]
    assert any(any(st < 0 for _, st, _, _ in c.room.prepare(c.op, c.model).axes) for c in ss)
    assert any(getattr(c.op.options, "shrink_axis_mask", 0) for c in ss)
    reshape_inputs = {len(c.op.inputs) for c in cases["RESHAPE"]}
    assert reshape_inputs == {1, 2}
    assert any(len(c.op.inputs) > 3 for c in cases["CONCATENATION"])


# ------------------------------------------------------------------ emit + C kernels

def _case_c(k: int, case: OpCase, alias: bool):
    src, kernels = case_c(k, case, {case.op.outputs[0]: case.op.inputs[0]} if alias else None)
    if alias:
        code = case.room.emit(case.op, case.model, case.room.prepare(case.op, case.model),
                              OwnArrays(case.model, "x", {case.op.outputs[0]: case.op.inputs[0]}))
        assert code.strip() == "", "an in-place RESHAPE-family op must emit no code"
    return src, kernels


def test_c_kernels_match_simulate(cases, tmp_path):
    sources, kernels, calls, expected = [], set(), [], []
    k = 0
    for name in OP_NAMES:
        for case in cases[name]:
            modes = (False, True) if name in ALIAS_OPS else (False,)
            outs = [o[0] for o in case.simulate()]
            for alias in modes:
                src, ks = _case_c(k, case, alias)
                sources.append(src)
                kernels |= set(ks)
                calls.append(f"c{k}_run")
                expected.append((name, case.seed, alias, outs))
                k += 1
    assert kernels == set(KERNEL_NAMES)
    blob = build_and_run(tmp_path, sources, kernels, calls)
    got = iter(split_outputs(blob, [o for *_, outs in expected for o in outs]))
    checked = 0
    for name, seed, alias, outs in expected:
        for o in outs:
            assert np.array_equal(next(got), o), (name, seed, alias)
            checked += 1
    assert checked >= len(OP_NAMES) * MODELS_PER_OP * SAMPLES


def test_whole_bundle_per_op(cases):
    from tflm_py.hostbuild import run_host
    for i, name in enumerate(OP_NAMES):
        case = cases[name][1]
        got = run_host(case.model, case.samples, sanitize=(i % 2 == 0))
        for g, e in zip(got, case.simulate()):
            assert np.array_equal(g[0], e[0]), name


def test_chain_with_constant_input_and_in_place_views():
    """const -> RESHAPE (a copy out of the model data), CONCATENATION, RESHAPE and EXPAND_DIMS
    (planned in place), TRANSPOSE: oracle, simulator and generated C agree."""
    from tflm_py.hostbuild import run_host
    from tflm_py.simulator import Simulator
    b = ModelBuilder()
    q = dict(scale=0.1, zero_point=2)
    x = b.activation((2, 3), **q)
    c = b.constant(np.arange(6, dtype=np.int8).reshape(3, 2), scales=[0.1], zero_points=[2])
    r = b.activation((2, 3), **q)
    b.op("RESHAPE", [c, b.constant(np.array([2, 3], np.int32))], [r])
    cat = b.activation((2, 6), **q)
    b.op("CONCATENATION", [x, r], [cat], axis=1)
    r2 = b.activation((3, 4), **q)
    b.op("RESHAPE", [cat], [r2])
    t = b.activation((4, 3), **q)
    b.op("TRANSPOSE", [r2, b.constant(np.array([1, 0], np.int32))], [t])
    e = b.activation((4, 1, 3), **q)
    b.op("EXPAND_DIMS", [t, b.constant(np.array(1, np.int32))], [e])
    data = b.build(inputs=[x], outputs=[e])
    m = load_model(data)
    rng = np.random.default_rng(5)
    samples = [random_inputs(m, rng) for _ in range(3)]
    expected = run_oracle(data, samples)
    sim = [Simulator(m).run(s_) for s_ in samples]
    c_out = run_host(m, samples, sanitize=True)
    for e_, s_, c_ in zip(expected, sim, c_out):
        assert np.array_equal(e_[0], s_[0]) and np.array_equal(s_[0], c_[0])


# ------------------------------------------------------------------ what we reject

def _one_op(op_type, in_specs, out_spec, consts=(), **opts):
    """A model with one op: in_specs [(shape, dtype, q)], consts [(array, q)] appended."""
    b = ModelBuilder()
    ins = [b.activation(s, dtype=d, scale=q[0], zero_point=q[1]) if q else
           b.activation(s, dtype=d) for s, d, q in in_specs]
    cs = [b.constant(a, scales=q and [q[0]], zero_points=q and [q[1]]) if q else b.constant(a)
          for a, q in consts]
    s, d, q = out_spec
    y = b.activation(s, dtype=d, scale=q[0], zero_point=q[1]) if q else b.activation(s, dtype=d)
    b.op(op_type, ins + cs, [y], **opts)
    m = load_model(b.build(inputs=ins, outputs=[y]))
    return m, m.operators[0]


Q = (0.1, 3)
I8 = np.int8


def _rejects(m, op, fragment):
    with pytest.raises(UnsupportedError, match=fragment):
        ops.room(op.type).check(op, m)


def test_rejects_concatenation_variants():
    m, op = _one_op("CONCATENATION", [((2, 1), I8, Q), ((2, 2), I8, Q)], ((2, 3), I8, Q),
                    axis=1, fused_activation_function="RELU")
    _rejects(m, op, "fused activation RELU")
    m, op = _one_op("CONCATENATION", [((2, 1), I8, Q), ((2, 2), I8, (0.2, 3))], ((2, 3), I8, Q),
                    axis=1)
    _rejects(m, op, "does not requantize")
    m, op = _one_op("CONCATENATION", [((2, 1), I8, Q)] * 11, ((2, 11), I8, Q), axis=1)
    _rejects(m, op, "11 inputs")
    m, op = _one_op("CONCATENATION", [((1,) * 7, I8, Q)] * 2, ((1,) * 6 + (2,), I8, Q), axis=6)
    _rejects(m, op, "7-D")
    m, op = _one_op("CONCATENATION", [((2, 1), I8, Q), ((3, 2), I8, Q)], ((2, 3), I8, Q), axis=1)
    _rejects(m, op, "does not match")
    m, op = _one_op("CONCATENATION", [((2, 1), np.uint8, Q), ((2, 2), np.uint8, Q)],
                    ((2, 3), np.uint8, Q), axis=1)
    _rejects(m, op, "UINT8")


def test_rejects_pad_variants():
    m, op = _one_op("PAD", [((2, 2), I8, Q)], ((3, 3), I8, Q),
                    consts=[(np.array([[1, 0], [0, 1]], np.int64), None)])
    _rejects(m, op, "INT32")
    m, op = _one_op("PAD", [((1,) * 5 + (2,), I8, Q)], ((1,) * 5 + (4,), I8, Q),
                    consts=[(np.array([[0, 0]] * 5 + [[1, 1]], np.int32), None)])
    _rejects(m, op, "at most 5")
    m, op = _one_op("PADV2", [((2, 2), I8, Q)], ((3, 3), I8, Q),
                    consts=[(np.array([[1, 0], [0, 1]], np.int32), None),
                            (np.array([5], np.int8), (0.1, 4))])
    _rejects(m, op, "scale and zero point")
    m, op = _one_op("PAD", [((2, 3), I8, Q)], ((3, 2), I8, Q),
                    consts=[(np.array([[1, 0], [0, -1]], np.int32), None)])
    _rejects(m, op, "negative paddings")
    m, op = _one_op("PAD", [((2, 2), I8, Q)], ((3, 4), I8, Q),
                    consts=[(np.array([[1, 0], [0, 1]], np.int32), None)])
    _rejects(m, op, "output dim 1")
    m, op = _one_op("PAD", [((2, 2), np.int64, None)], ((3, 3), np.int64, None),
                    consts=[(np.array([[1, 0], [0, 1]], np.int32), None)])
    _rejects(m, op, "INT64")


def test_rejects_transpose_variants():
    perm = [(np.array([1, 0], np.int32), None)]
    m, op = _one_op("TRANSPOSE", [((2, 3), np.int32, None)], ((3, 2), np.int32, None), perm)
    _rejects(m, op, "INT32")
    m, op = _one_op("TRANSPOSE", [((1, 2, 1, 1, 1, 3), I8, Q)], ((3, 1, 1, 1, 2, 1), I8, Q),
                    [(np.arange(6)[::-1].astype(np.int32), None)])
    _rejects(m, op, "6-D")
    m, op = _one_op("TRANSPOSE", [((2, 3), I8, Q)], ((3, 2), I8, Q),
                    [(np.array([0, 0], np.int32), None)])
    _rejects(m, op, "not a permutation")
    m, op = _one_op("TRANSPOSE", [((2, 3), I8, Q)], ((2, 3), I8, Q), perm)
    _rejects(m, op, "permuted")
    m, op = _one_op("TRANSPOSE", [((2, 3), I8, Q)], ((3, 2), I8, Q),
                    [(np.array([1, 0], np.int64), None)])
    _rejects(m, op, "INT32")


def _ss(shape, begin, end, strides, out, dt=I8, **opts):
    q = Q if dt == I8 else None
    return _one_op("STRIDED_SLICE", [(shape, dt, q)], (out, dt, q),
                   [(np.array(begin, np.int32), None), (np.array(end, np.int32), None),
                    (np.array(strides, np.int32), None)], **opts)


def test_rejects_strided_slice_variants():
    _rejects(*_ss((4, 5), [1, 0], [3, 5], [1, 2], (2, 3), ellipsis_mask=1), "ellipsis_mask")
    _rejects(*_ss((4, 5), [1, 0], [3, 5], [1, 2], (2, 3), new_axis_mask=2), "new_axis_mask")
    _rejects(*_ss((4, 5), [1, 0], [2, 5], [1, 2], (1, 3), offset=True), "offset")
    _rejects(*_ss((1, 1, 1, 4, 5), [0] * 5, [1, 1, 1, 4, 5], [1] * 5, (1, 1, 1, 4, 5)), "5-D")
    _rejects(*_ss((4, 5), [1, 0], [3, 5], [0, 1], (2, 5)), "stride of axis 0 is 0")
    # shrinking with a negative stride or past the end: TFLM writes nothing
    _rejects(*_ss((4, 5), [1, 0], [3, 5], [-1, 2], (3,), shrink_axis_mask=1), "selects no")
    _rejects(*_ss((4, 5), [7, 0], [3, 5], [1, 2], (3,), shrink_axis_mask=1), "selects no")
    _rejects(*_ss((4, 5), [1, 0], [3, 5], [1, 2], (2, 2)), "differs from the slice shape")
    _rejects(*_ss((4, 5), [1, 0], [3, 5], [1, 2], (2, 3), dt=np.int64), "INT64")
    # accepted: negative indices, clamping, negative strides
    m, op = _ss((4, 5), [7, -1], [-9, -7], [-1, -2], (4, 3))
    ops.room(op.type).check(op, m)


def test_rejects_reshape_family_variants():
    m, op = _one_op("RESHAPE", [((2, 3), I8, Q)], ((4, 2), I8, Q),
                    [(np.array([4, 2], np.int32), None)])
    _rejects(m, op, "element counts")
    m, op = _one_op("RESHAPE", [((2, 3), I8, Q)], ((6,), np.int16, None),
                    [(np.array([6], np.int32), None)])
    _rejects(m, op, "differs from output type")
    m, op = _one_op("SQUEEZE", [((1, 3, 1, 2), I8, Q)], ((3, 1, 2), I8, Q), squeeze_dims=[-2])
    _rejects(m, op, "does not fit")
    m, op = _one_op("SQUEEZE", [((1, 3, 1, 2), I8, Q)], ((1, 3, 2), I8, Q), squeeze_dims=[1])
    _rejects(m, op, "not a unit dim")
    ax = [(np.array(2, np.int32), None)]
    m, op = _one_op("EXPAND_DIMS", [((2, 3), np.int32, None)], ((2, 3, 1), np.int32, None), ax)
    _rejects(m, op, "INT32")
    m, op = _one_op("EXPAND_DIMS", [((2, 3), I8, Q)], ((2, 3, 1), I8, Q),
                    [(np.array(2, np.int64), None)])
    _rejects(m, op, "INT32")
    m, op = _one_op("EXPAND_DIMS", [((2, 3), I8, Q)], ((2, 1, 3), I8, Q), ax)
    _rejects(m, op, "inserted at axis 2")
    m, op = _one_op("EXPAND_DIMS", [((2, 3), I8, Q)], ((2, 3, 1), I8, Q),
                    [(np.array(4, np.int32), None)])
    _rejects(m, op, "out of range")


def test_real_model_reshapes_are_supported():
    from conftest import MODELS
    seen = 0
    for path in MODELS.values():
        m = load_model(path)
        for op in m.operators:
            if op.type in GENERATORS:
                ops.room(op.type).check(op, m)
                seen += 1
    assert seen >= 3


# ------------------------------------------------------------------ kernels compile clean

@pytest.mark.parametrize("compiler", [
    ["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2"],
    ["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-Os", "-std=c99", "-Wall", "-Wextra",
     "-Werror"],
], ids=["gcc", "arm-none-eabi-gcc"])
def test_kernels_compile_clean(compiler, tmp_path):
    for k in KERNEL_NAMES:
        r = subprocess.run([*compiler, "-I", str(KERNELS), "-c", str(KERNELS / f"{k}.c"),
                            "-o", str(tmp_path / f"{k}.o")], capture_output=True, text=True)
        assert r.returncode == 0, (k, r.stderr)
