"""Graph passes (tflm_py/passes): each pass on small built models, the folded graph against
TFLM (which runs the unfolded file) and through the generated C, and the integer evaluator
against values computed here by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest

from tflm_py import load_model, read_model
from tflm_py.cli import main as cli_main
from tflm_py.hostbuild import run_host
from tflm_py.oracle import run_oracle
from tflm_py.passes import collapse, dead_ops, fold_constants, optimize, pin_batch
from tflm_py.passes._evaluate import CannotFold, evaluate
from tflm_py.simulator import simulate
from tflm_py.testing import ModelBuilder


def _i32(v):
    return np.asarray(v, dtype=np.int32)


def _flatten_model(batch_signature=True, out_fc=False):
    """Keras 3's Flatten with a dynamic batch: SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE."""
    b = ModelBuilder()
    x = b.activation((1, 4, 4, 3), scale=0.1, zero_point=3, name="x")
    if batch_signature:
        b.tensors[x].shapeSignature = [-1, 4, 4, 3]
    shp = b.activation((4,), dtype=np.int32)
    bs = b.activation((), dtype=np.int32)
    b.op("SHAPE", [x], [shp])
    b.op("STRIDED_SLICE", [shp, b.constant(_i32([0])), b.constant(_i32([1])),
                           b.constant(_i32([1]))], [bs], shrink_axis_mask=1)
    new_shape = b.activation((2,), dtype=np.int32)
    b.op("PACK", [bs, b.constant(_i32(48))], [new_shape], values_count=2, axis=0)
    y = b.activation((1, 48), scale=0.1, zero_point=3, name="y")
    b.op("RESHAPE", [x, new_shape], [y])
    return b.build([x], [y])


def _samples(model, n=3, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        s = []
        for i in model.inputs:
            t = model.tensors[i]
            s.append(rng.integers(-128, 128, t.shape).astype(t.dtype))
        out.append(s)
    return out


def _same_everywhere(data, model, samples, host=True):
    want = run_oracle(data, samples)
    got = [simulate(model, s) for s in samples]
    for w, g in zip(want, got):
        for a, b in zip(w, g):
            assert np.array_equal(np.asarray(a).reshape(-1), b.reshape(-1))
    if host:
        h = run_host(model, samples)
        for a, b in zip(got, h):
            for x, y in zip(a, b):
                assert np.array_equal(x, y)


# ------------------------------------------------------------------ fold_constants

def test_flatten_chain_folds_to_one_reshape():
    data = _flatten_model()
    raw = read_model(data)
    m = load_model(data)
    assert [op.type for op in raw.operators] == ["SHAPE", "STRIDED_SLICE", "PACK", "RESHAPE"]
    assert [op.type for op in m.operators] == ["RESHAPE"]
    assert m.operators[0].index == 0 and m.operators[0].source_index == 3
    shape_in = m.tensors[m.operators[0].inputs[1]]
    assert shape_in.data is not None and shape_in.data_offset is None
    assert shape_in.data.tolist() == [1, 48]
    # the raw model is untouched
    assert all(raw.tensors[t].data is None for op in raw.operators for t in op.outputs)
    assert len(raw.notes) == 0 and any("pin_batch" in n for n in m.notes)
    _same_everywhere(data, m, _samples(m))


def test_load_model_without_passes_is_the_file():
    data = _flatten_model()
    m = load_model(data, optimize=False)
    assert [op.type for op in m.operators] == ["SHAPE", "STRIDED_SLICE", "PACK", "RESHAPE"]


def test_folded_int8_constant_feeds_a_c_kernel():
    """QUANTIZE of a constant is computed by its room at generation time; the ADD's C kernel
    then reads the folded constant from a generated const array."""
    rng = np.random.default_rng(3)
    b = ModelBuilder()
    x = b.activation((1, 6), scale=0.05, zero_point=-2)
    c = b.constant(rng.integers(-128, 128, (1, 6)).astype(np.int8), scales=[0.02],
                   zero_points=[5])
    cq = b.activation((1, 6), scale=0.05, zero_point=-2)
    b.op("QUANTIZE", [c], [cq])
    y = b.activation((1, 6), scale=0.1, zero_point=1)
    b.op("ADD", [x, cq], [y])
    data = b.build([x], [y])
    m = load_model(data)
    assert [op.type for op in m.operators] == ["ADD"]
    _same_everywhere(data, m, _samples(m, seed=4))


def test_shape_arithmetic_chain():
    """SHAPE -> GATHER -> REDUCE_PROD -> MUL -> PACK -> RESHAPE, folded (TFLM has no
    REDUCE_PROD, so the check is the reshape done here)."""
    b = ModelBuilder()
    x = b.activation((1, 2, 3, 4), scale=0.1, zero_point=0)
    shp = b.activation((4,), dtype=np.int32)
    b.op("SHAPE", [x], [shp])
    hw = b.activation((2,), dtype=np.int32)
    b.op("GATHER", [shp, b.constant(_i32([1, 2]))], [hw], axis=0)
    prod = b.activation((), dtype=np.int32)
    b.op("REDUCE_PROD", [hw, b.constant(_i32([0]))], [prod], keep_dims=False)
    c = b.activation((), dtype=np.int32)
    b.op("MUL", [prod, b.constant(_i32(4))], [c])
    new_shape = b.activation((2,), dtype=np.int32)
    b.op("PACK", [b.constant(_i32(1)), c], [new_shape], values_count=2, axis=0)
    y = b.activation((1, 24), scale=0.1, zero_point=0)
    b.op("RESHAPE", [x, new_shape], [y])
    m = load_model(b.build([x], [y]))
    assert [op.type for op in m.operators] == ["RESHAPE"]
    assert m.tensors[new_shape].data.tolist() == [1, 24]
    s = _samples(m)[0]
    assert np.array_equal(simulate(m, s)[0], s[0].reshape(1, 24))


def test_big_folds_stay_on_the_device():
    b = ModelBuilder()
    x = b.activation((1, 64, 64, 8), scale=0.1, zero_point=0)
    f = b.activation((1, 64, 64, 8), scale=0.1, zero_point=0)
    b.op("FILL", [b.constant(_i32([1, 64, 64, 8])), b.constant(np.array(3, np.int8),
                                                               scales=[0.1], zero_points=[0])],
         [f])
    y = b.activation((1, 64, 64, 8), scale=0.1, zero_point=0)
    b.op("ADD", [x, f], [y])
    m = optimize(read_model(b.build([x], [y])))
    assert [op.type for op in m.operators] == ["FILL", "ADD"]


# the integer evaluator against values computed by hand (C++ / TFLite semantics)
def _trunc_div(a, b):
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


_BINARY_CASES = [
    ("ADD", lambda a, b: a + b), ("SUB", lambda a, b: a - b), ("MUL", lambda a, b: a * b),
    ("DIV", _trunc_div), ("FLOOR_DIV", lambda a, b: math.floor(a / b) if b else None),
    ("FLOOR_MOD", lambda a, b: a - b * math.floor(a / b)),
    ("MAXIMUM", max), ("MINIMUM", min),
]


@pytest.mark.parametrize("op_type,fn", _BINARY_CASES, ids=[c[0] for c in _BINARY_CASES])
def test_evaluator_int32_arithmetic(op_type, fn):
    a_vals = [7, -7, 12, -13, 0, 100]
    b_vals = [2, 2, -5, -4, 3, 7]
    b = ModelBuilder()
    ta = b.constant(_i32(a_vals))
    tb = b.constant(_i32(b_vals))
    y = b.activation((6,), dtype=np.int32)
    b.op(op_type, [ta, tb], [y])
    m = read_model(b.build([], [y]))
    got = evaluate(m.operators[0], m, [_i32(a_vals), _i32(b_vals)])[0]
    assert got.tolist() == [fn(p, q) for p, q in zip(a_vals, b_vals)]


def test_evaluator_misc_ops():
    b = ModelBuilder()
    dims = b.constant(_i32([2, 3]))
    val = b.constant(np.array(-4, np.int32))
    filled = b.activation((2, 3), dtype=np.int32)
    b.op("FILL", [dims, val], [filled])
    cast = b.activation((2, 3), dtype=np.int8)
    b.op("CAST", [filled], [cast])
    s = b.activation((3,), dtype=np.int32)
    b.op("SUM", [filled, b.constant(_i32([0]))], [s], keep_dims=False)
    parts = [b.activation((3,), dtype=np.int32) for _ in range(2)]
    b.op("UNPACK", [filled], parts, num=2, axis=0)
    cat = b.activation((6,), dtype=np.int32)
    b.op("CONCATENATION", [parts[0], s], [cat], axis=0)
    m = optimize(read_model(b.build([], [cast, cat])))
    assert m.operators == []
    assert m.tensors[cast].data.tolist() == [[-4] * 3] * 2
    assert m.tensors[cat].data.tolist() == [-4, -4, -4, -8, -8, -8]
    # the model runs with every output constant
    assert simulate(m, [])[1].tolist() == [-4, -4, -4, -8, -8, -8]


def test_evaluator_refuses_division_by_zero():
    b = ModelBuilder()
    y = b.activation((1,), dtype=np.int32)
    b.op("DIV", [b.constant(_i32([4])), b.constant(_i32([0]))], [y])
    m = read_model(b.build([], [y]))
    with pytest.raises(CannotFold):
        evaluate(m.operators[0], m, [_i32([4]), _i32([0])])
    assert fold_constants.run(m) == [] and len(m.operators) == 1


# ------------------------------------------------------------------ pin_batch

def test_pin_batch_notes_dynamic_batch():
    m = read_model(_flatten_model())
    assert m.tensors[m.inputs[0]].shape_signature == (-1, 4, 4, 3)
    notes = pin_batch.run(m)
    assert len(notes) == 1 and "pinned to 1" in notes[0]
    assert m.tensors[m.inputs[0]].shape_signature == (1, 4, 4, 3)
    assert pin_batch.run(m) == []
    assert pin_batch.run(read_model(_flatten_model(batch_signature=False))) == []


# ------------------------------------------------------------------ dead_ops

def test_dead_ops_drops_unread_chains():
    b = ModelBuilder()
    x = b.activation((1, 8), scale=0.1, zero_point=0)
    unused1 = b.activation((1, 8), scale=0.2, zero_point=0)
    b.op("QUANTIZE", [x], [unused1])
    unused2 = b.activation((8,), scale=0.2, zero_point=0)
    b.op("RESHAPE", [unused1], [unused2])
    y = b.activation((1, 8), scale=0.05, zero_point=1)
    b.op("QUANTIZE", [x], [y])
    data = b.build([x], [y])
    m = read_model(data)
    notes = dead_ops.run(m)
    assert len(notes) == 2 and [op.type for op in m.operators] == ["QUANTIZE"]
    assert m.operators[0].outputs == (y,)
    m = load_model(data)
    _same_everywhere(data, m, _samples(m), host=False)


def test_dead_ops_keeps_state_updates():
    b = ModelBuilder()
    x = b.activation((1, 8), scale=0.1, zero_point=0)
    state = b.variable((1, 8), scale=0.1, zero_point=0)
    unused = b.activation((1, 8), scale=0.1, zero_point=0)
    b.op("ADD", [x, state], [unused])
    y = b.activation((1, 8), scale=0.1, zero_point=0)
    b.op("RESHAPE", [x], [y])
    m = read_model(b.build([x], [y]))
    assert dead_ops.run(m) == [] and len(m.operators) == 2


# ------------------------------------------------------------------ collapse

def test_collapse_reshape_chain_and_identity_quantize():
    b = ModelBuilder()
    x = b.activation((1, 4, 6), scale=0.1, zero_point=2)
    r1 = b.activation((24,), scale=0.1, zero_point=2)
    b.op("RESHAPE", [x], [r1])
    q = b.activation((24,), scale=0.1, zero_point=2)
    b.op("QUANTIZE", [r1], [q])
    r2 = b.activation((2, 12), scale=0.1, zero_point=2)
    b.op("RESHAPE", [q], [r2])
    r3 = b.activation((6, 4), scale=0.1, zero_point=2)
    b.op("RESHAPE", [r2], [r3])
    y = b.activation((6, 4), scale=0.07, zero_point=-1)
    b.op("QUANTIZE", [r3], [y])
    data = b.build([x], [y])
    m = read_model(data)
    notes = collapse.run(m)
    assert any("removed" in n for n in notes) and any("reshape of a reshape" in n for n in notes)
    m = load_model(data)
    assert [op.type for op in m.operators] == ["RESHAPE", "QUANTIZE"]
    assert m.operators[0].inputs[0] == x
    _same_everywhere(data, m, _samples(m))


def test_identity_quantize_of_graph_output_is_kept():
    b = ModelBuilder()
    x = b.activation((4,), scale=0.1, zero_point=2)
    y = b.activation((4,), scale=0.1, zero_point=2)
    b.op("QUANTIZE", [x], [y])
    m = load_model(b.build([x], [y]))
    assert [op.type for op in m.operators] == ["QUANTIZE"]


# ------------------------------------------------------------------ inspect

def test_inspect_shows_before_and_after(tmp_path, capsys):
    path = tmp_path / "flatten.tflite"
    path.write_bytes(_flatten_model())
    assert cli_main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "graph passes: 4 ops in the file, 1 after (3 folded into constants" in out
    assert "op #1 STRIDED_SLICE folded" in out


# folded constants against TFLM computing the same op at run time on the same constants
_A = np.array([[7, -7, 12], [-13, 0, 100]], np.int32)
_B = np.array([[2, 2, -5], [-4, 3, 7]], np.int32)
_TFLM_CASES = {
    "ADD": ((_A, _B), (2, 3), np.int32, {}), "SUB": ((_A, _B), (2, 3), np.int32, {}),
    "MUL": ((_A, _B), (2, 3), np.int32, {}), "DIV": ((_A, _B), (2, 3), np.int32, {}),
    "MAXIMUM": ((_A, _B), (2, 3), np.int32, {}), "MINIMUM": ((_A, _B), (2, 3), np.int32, {}),
    "SQUARED_DIFFERENCE": ((_A, _B), (2, 3), np.int32, {}),
    "CONCATENATION": ((_A, _B), (2, 6), np.int32, {"axis": 1}),
    "SLICE": ((_A, _i32([0, 1]), _i32([2, -1])), (2, 2), np.int32, {}),
    "EQUAL": ((_A, _B * 0 + 7), (2, 3), np.bool_, {}),
    "LESS": ((_A, _B), (2, 3), np.bool_, {}),
}


@pytest.mark.parametrize("op_type", sorted(_TFLM_CASES))
def test_folded_constant_equals_tflm(op_type):
    args, shape, dtype, options = _TFLM_CASES[op_type]
    b = ModelBuilder()
    x = b.activation((1,), np.int32)
    passthrough = b.activation((1,), np.int32)
    y = b.activation(shape, dtype)
    b.op(op_type, [b.constant(a) for a in args], [y], **options)
    b.op("RESHAPE", [x], [passthrough])
    data = b.build([x], [y, passthrough])
    m = optimize(read_model(data))
    assert [op.type for op in m.operators] == ["RESHAPE"]
    want = run_oracle(data, [[np.zeros(1, np.int32)]])[0][0]
    assert np.array_equal(np.asarray(want).reshape(-1), m.tensors[y].data.reshape(-1))


def test_folded_graph_output_through_the_generated_c():
    b = ModelBuilder()
    x = b.activation((1, 4), scale=0.1, zero_point=0)
    shp = b.activation((2,), dtype=np.int32)
    b.op("SHAPE", [x], [shp])
    y = b.activation((1, 4), scale=0.1, zero_point=0)
    b.op("RESHAPE", [x], [y])
    data = b.build([x], [y, shp])
    m = load_model(data)
    assert [op.type for op in m.operators] == ["RESHAPE"]
    _same_everywhere(data, m, _samples(m, n=2))
