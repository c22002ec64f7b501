"""Comparison, logical, select, index and reduction rooms (tflm_py/testgen/index.py):

- simulate vs TFLM (the oracle) on seeded random single-op models per op: 0 differing elements
  (wide integer inputs are drawn from a small range so equal values occur);
- the rooms' emit() + C kernels vs simulate on the same models in one host program built with
  -Wall -Wextra -Werror under ASan/UBSan, every non-constant tensor in its own exactly sized
  array, plus runs with the output in an input's array where the room's in-place rule allows;
- what TFLM refuses (or computes from unprepared parameters) raises UnsupportedError;
- the kernels compile clean for gcc and arm-none-eabi-gcc with the project's flags.
The long random sweep is scripts/sweep_ops.py.
"""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from tflm_py import ops
from tflm_py.errors import UnsupportedError
from tflm_py.oracle import run_oracle
from tflm_py.reader import load_model
from tflm_py.testgen.index import GENERATORS
from tflm_py.testgen.opcase import KERNELS, OpCase, build_and_run, case_c, split_outputs
from tflm_py.testing import ModelBuilder

MODELS_PER_OP = 10
SAMPLES = 2
OP_NAMES = sorted(GENERATORS)


def _inputs(model, rng):
    xs = []
    for ti in model.inputs:
        t = model.tensors[ti]
        if t.dtype == np.bool_:
            xs.append(rng.integers(0, 2, size=t.shape).astype(np.bool_))
        elif t.dtype.itemsize >= 4:
            xs.append(rng.integers(-4, 5, size=t.shape).astype(t.dtype))
        else:
            info = np.iinfo(t.dtype)
            xs.append(rng.integers(info.min, info.max + 1, size=t.shape).astype(t.dtype))
    return xs


def _case(op_name: str, seed: int) -> OpCase:
    case = OpCase(op_name, seed, GENERATORS, samples=SAMPLES, inputs_of=_inputs,
                  seed_of=lambda n, k: 104729 * k + sum(map(ord, n)))
    assert case.op.type == op_name.replace("_INT16", "")
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
        for e, (g,) in zip(expected, case.simulate()):
            assert g.shape == e.shape and g.dtype == e.dtype, (op_name, case.seed)
            assert np.array_equal(g, e), (op_name, case.seed, int(np.sum(g != e)))
            compared += e.size
    assert compared > 0


def test_generators_cover_types(cases):
    def in_types(name):
        return {c.model.tensors[c.op.inputs[0]].dtype.name for c in cases[name]}
    assert {"int8", "int32", "int64", "bool"} <= set().union(
        in_types("EQUAL"), in_types("NOT_EQUAL"))
    for name in ("SELECT_V2", "SUM"):
        assert {"int8", "int16"} <= {c.model.tensors[c.op.outputs[0]].dtype.name
                                     for c in cases[name]}


# ------------------------------------------------------------------ emit + C kernels

def _inplace_input(case):
    """An input the output may share under the room's in-place rule, or None."""
    rule = getattr(case.room, "inplace", None)
    rule = rule(case.op, case.model) if callable(rule) else case.room.INPLACE
    if rule != "elementwise":
        return None
    out = case.model.tensors[case.op.outputs[0]]
    for ti in case.op.inputs:
        t = case.model.tensors[ti]
        if t.data is None and t.nbytes == out.nbytes:
            return ti
    return None


def test_c_kernels_match_simulate(cases, tmp_path):
    sources, kernels, calls, expected = [], set(), [], []
    k = in_place = 0
    for name in OP_NAMES:
        for case in cases[name]:
            outs = [o[0] for o in case.simulate()]
            for alias in dict.fromkeys([None, _inplace_input(case)]):
                src, ks = case_c(k, case, {case.op.outputs[0]: alias} if alias is not None
                                 else None)
                sources.append(src)
                kernels |= set(ks)
                calls.append(f"c{k}_run")
                expected.append((name, case.seed, alias, outs))
                in_place += alias is not None
                k += 1
    assert in_place >= 20
    blob = build_and_run(tmp_path, sources, kernels, calls)
    got = iter(split_outputs(blob, [o for *_, outs in expected for o in outs]))
    for name, seed, alias, outs in expected:
        for o in outs:
            assert np.array_equal(next(got), o), (name, seed, alias)



KERNEL_NAMES = ("comparisons", "logical", "select_v2", "mean", "reduce_max_min", "arg_min_max",
                "abs", "cumsum", "add_n")


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


# ------------------------------------------------------------------ what we refuse

def _model(op_type, in_specs, out_spec, consts=(), **opts):
    """One op: in_specs [(shape, dtype, q or None)], consts [(array, q or None)] appended."""
    b = ModelBuilder()
    ins = [b.activation(s, d, *q) if q else b.activation(s, d) for s, d, q in in_specs]
    cs = [b.constant(a, scales=[q[0]], zero_points=[q[1]]) if q else b.constant(a)
          for a, q in consts]
    s, d, q = out_spec
    y = b.activation(s, d, *q) if q else b.activation(s, d)
    b.op(op_type, ins + cs, [y], **opts)
    return b.build(inputs=ins, outputs=[y])


Q8 = (0.05, 3)
Q16 = (0.001, 0)
I8, I16, I32, I64, B, F32 = np.int8, np.int16, np.int32, np.int64, np.bool_, np.float32

REFUSED = [
    ("GREATER int16", lambda: _model("GREATER", [((4,), I16, Q16)] * 2, ((4,), B, None)),
     "always False"),
    ("EQUAL int16", lambda: _model("EQUAL", [((4,), I16, Q16)] * 2, ((4,), B, None)),
     "input type int16"),
    ("LESS bool", lambda: _model("LESS", [((4,), B, None)] * 2, ((4,), B, None)),
     "input type bool"),
    ("EQUAL float", lambda: _model("EQUAL", [((4,), F32, None)] * 2, ((4,), B, None)),
     "float"),
    ("EQUAL mixed types", lambda: _model("EQUAL", [((4,), I32, None), ((4,), I64, None)],
                                         ((4,), B, None)), "input 2 is int64"),
    ("LESS int8 output", lambda: _model("LESS", [((4,), I8, Q8)] * 2, ((4,), I8, Q8)),
     "output must be bool"),
    ("EQUAL scale 1", lambda: _model("EQUAL", [((4,), I8, (1.5, 0))] * 2, ((4,), B, None)),
     "not below 1"),
    ("LESS 5-D broadcast", lambda: _model("LESS", [((2, 1, 2, 2, 2), I32, None),
                                                   ((2, 2, 2, 2, 2), I32, None)],
                                          ((2, 2, 2, 2, 2), B, None)), "at most 4"),
    ("LOGICAL_AND int8", lambda: _model("LOGICAL_AND", [((4,), I8, Q8)] * 2, ((4,), B, None)),
     "bool tensors only"),
    ("LOGICAL_OR 5-D broadcast", lambda: _model(
        "LOGICAL_OR", [((2, 1, 2, 2, 2), B, None), ((2, 2, 2, 2, 2), B, None)],
        ((2, 2, 2, 2, 2), B, None)), "at most 4"),
    ("SELECT_V2 int32", lambda: _model("SELECT_V2", [((4,), B, None), ((4,), I32, None),
                                                     ((4,), I32, None)], ((4,), I32, None)),
     "x type int32"),
    ("SELECT_V2 int8 condition", lambda: _model("SELECT_V2", [((4,), I8, Q8), ((4,), I8, Q8),
                                                              ((4,), I8, Q8)], ((4,), I8, Q8)),
     "condition must be bool"),
    ("SELECT_V2 6-D broadcast", lambda: _model(
        "SELECT_V2", [((2, 1, 1, 1, 1, 2), B, None), ((2, 2, 1, 1, 1, 2), I8, Q8),
                      ((2, 2, 1, 1, 1, 2), I8, Q8)], ((2, 2, 1, 1, 1, 2), I8, Q8)), "at most 5"),
    ("SUM int32", lambda: _model("SUM", [((2, 3), I32, None)], ((2,), I32, None),
                                 [(np.array([1], I32), None)]), "int16 -> int16"),
    ("MEAN int8 to int16", lambda: _model("MEAN", [((2, 3), I8, Q8)], ((2,), I16, Q16),
                                          [(np.array([1], I32), None)]), "int16 -> int16"),
    ("SUM bad output shape", lambda: _model("SUM", [((2, 3), I8, Q8)], ((3,), I8, Q8),
                                            [(np.array([1], I32), None)]), "does not match"),
    ("REDUCE_MAX int16", lambda: _model("REDUCE_MAX", [((2, 3), I16, Q16)], ((2,), I16, Q16),
                                        [(np.array([1], I32), None)]), "only int8"),
    ("REDUCE_MIN requantizes", lambda: _model("REDUCE_MIN", [((2, 3), I8, Q8)],
                                              ((2,), I8, (0.1, 3)),
                                              [(np.array([1], I32), None)]), "equal scale"),
    ("REDUCE_MAX axis out of range", lambda: _model("REDUCE_MAX", [((2, 3), I8, Q8)],
                                                    ((2,), I8, Q8),
                                                    [(np.array([2], I32), None)]), "out of range"),
    ("ARG_MAX int64 output", lambda: _model("ARG_MAX", [((2, 3), I8, Q8)], ((2,), I64, None),
                                            [(np.array([1], I32), None)], output_type=4),
     "int32 only"),
    ("ARG_MIN int16", lambda: _model("ARG_MIN", [((2, 3), I16, Q16)], ((2,), I32, None),
                                     [(np.array([1], I32), None)]), "input type int16"),
    ("ARG_MAX wrong shape", lambda: _model("ARG_MAX", [((2, 3), I8, Q8)], ((3,), I32, None),
                                           [(np.array([1], I32), None)]), "without axis"),
    ("ABS int32", lambda: _model("ABS", [((4,), I32, None)], ((4,), I32, None)),
     "input type int32"),
    ("ABS int16 zero point", lambda: _model("ABS", [((4,), I16, (0.001, 5))], ((4,), I16, Q16)),
     "zero point must be 0"),
    ("ABS type change", lambda: _model("ABS", [((4,), I8, Q8)], ((4,), I16, Q16)),
     "output is int16"),
    ("CUMSUM int16", lambda: _model("CUMSUM", [((2, 3), I16, Q16)], ((2, 3), I16, Q16),
                                    [(np.array([1], I32), None)]), "only int8"),
    ("CUMSUM axis input", lambda: _model("CUMSUM", [((2, 3), I8, Q8), ((1,), I32, None)],
                                         ((2, 3), I8, Q8)), "constant int32"),
    ("ADD_N mixed quantization", lambda: _model("ADD_N", [((4,), I8, Q8), ((4,), I8, (0.1, 3))],
                                                ((4,), I8, Q8)), "differ in quantization"),
    ("ADD_N int16", lambda: _model("ADD_N", [((4,), I16, Q16)] * 2, ((4,), I16, Q16)),
     "only int8"),
    ("ADD_N one input", lambda: _model("ADD_N", [((4,), I8, Q8)], ((4,), I8, Q8)),
     "two or more"),
]


@pytest.mark.parametrize("what,build,needle", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused(what, build, needle):
    model = load_model(build())
    op = model.operators[0]
    with pytest.raises(UnsupportedError, match=needle):
        ops.room(op.type).check(op, model)
    with pytest.raises(UnsupportedError, match=f"op #0 {op.type}"):
        ops.check_model(model)


@pytest.mark.parametrize("op_type", ["NEG", "SQUARE"])
def test_float_only_ops_refused_with_reason(op_type):
    """TFLM's NEG and SQUARE kernels compute float32 only (the oracle refuses int8 / int16)."""
    model = load_model(_model(op_type, [((4,), I8, Q8)], ((4,), I8, Q8)))
    with pytest.raises(UnsupportedError, match=f"op #0 {op_type}.*TFLM's "
                                                f"{op_type} kernel.* takes float32"):
        ops.check_model(model)
    assert op_type not in ops.supported_ops()


def _chain_model() -> bytes:
    """int8 x, y -> GREATER -> LOGICAL_NOT -> SELECT_V2(x, y) -> ABS -> CUMSUM -> ADD_N(.., x)
    -> REDUCE_MAX / SUM / ARG_MAX, plus EQUAL on int32 and LOGICAL_OR: one planned arena."""
    b = ModelBuilder()
    q = (0.05, 3)
    shape = (2, 5, 6)
    x = b.activation(shape, I8, *q)
    y = b.activation(shape, I8, 0.07, -4)
    g = b.activation(shape, B)
    b.op("GREATER", [x, y], [g])
    ng = b.activation(shape, B)
    b.op("LOGICAL_NOT", [g], [ng])
    ids = b.activation((6,), I32)
    eq = b.activation((6,), B)
    b.op("EQUAL", [ids, b.constant(np.array([0, 1, 2, 2, 1, 0], I32))], [eq])
    m = b.activation(shape, B)
    b.op("LOGICAL_OR", [ng, eq], [m])
    s = b.activation(shape, I8, *q)
    b.op("SELECT_V2", [m, x, b.constant(np.full((1, 6), 7, I8), scales=[q[0]],
                                        zero_points=[q[1]])], [s])
    a = b.activation(shape, I8, 0.04, -10)
    b.op("ABS", [s], [a])
    c = b.activation(shape, I8, 0.2, 0)
    b.op("CUMSUM", [a, b.constant(np.array([1], I32))], [c], reverse=True)
    n = b.activation(shape, I8, 0.3, 1)
    b.op("ADD_N", [c, c, b.constant(np.arange(60, dtype=I8).reshape(shape), scales=[0.2],
                                    zero_points=[0])], [n])
    mx = b.activation((2, 6), I8, 0.3, 1)
    b.op("REDUCE_MAX", [n, b.constant(np.array([1], I32))], [mx], keep_dims=False)
    sm = b.activation((2, 1, 1), I8, 1.0, 0)
    b.op("SUM", [n, b.constant(np.array([1, 2], I32))], [sm], keep_dims=True)
    am = b.activation((2, 5), I32)
    b.op("ARG_MAX", [n, b.constant(np.array([2], I32))], [am], output_type=2)
    return b.build(inputs=[x, y, ids], outputs=[mx, sm, am])


def test_chain_through_generated_code():
    from tflm_py.hostbuild import run_host
    from tflm_py.simulator import Simulator
    data = _chain_model()
    m = load_model(data)
    rng = np.random.default_rng(11)
    samples = [_inputs(m, rng) for _ in range(3)]
    expected = run_oracle(data, samples)
    sim = [Simulator(m).run(s) for s in samples]
    c_out = run_host(m, samples, sanitize=True)
    for e, s, c in zip(expected, sim, c_out):
        for k in range(3):
            assert np.array_equal(e[k], s[k]) and np.array_equal(s[k], c[k]), k


def test_inplace_rules():
    """What the planner may share: a bool output only a 1-byte input's buffer (a wider input of
    equal byte size would be a broadcast one); value-preserving element-wise ops their input's."""
    from tflm_py.planner import room_rule

    def rule(data):
        m = load_model(data)
        op = m.operators[0]
        return room_rule(ops.room(op.type), op, m)
    assert rule(_model("LESS", [((4,), I8, Q8)] * 2, ((4,), B, None))) == "elementwise"
    assert rule(_model("LESS", [((4,), I32, None)] * 2, ((4,), B, None))) is None
    assert rule(_model("EQUAL", [((4,), I64, None)] * 2, ((4,), B, None))) is None
    assert rule(_model("LOGICAL_NOT", [((4,), B, None)], ((4,), B, None))) == "elementwise"
    assert rule(_model("ABS", [((4,), I16, Q16)], ((4,), I16, Q16))) == "elementwise"
    assert rule(_model("ADD_N", [((4,), I8, Q8)] * 2, ((4,), I8, Q8))) == "elementwise"
    assert rule(_model("ARG_MAX", [((2, 3), I8, Q8)], ((2,), I32, None),
                       [(np.array([1], I32), None)])) is None
    assert rule(_model("SUM", [((2, 3), I8, Q8)], ((2,), I8, Q8),
                       [(np.array([1], I32), None)])) is None
    for name in ("SELECT_V2", "CUMSUM"):
        assert ops.room(name).INPLACE == "elementwise"
