"""fold_constants against TFLM, one case per foldable op family: a model whose op reads only
constants, its output a graph output; the pass folds the op, and the folded constant must
equal what TFLM (the oracle) computes running the unfolded file. Seeded random values include
int32 overflow, negative division and broadcasting. Folds TFLM itself cannot run (its kernel
refuses the int32 form) are listed apart: the test asserts TFLM does refuse them (so a TFLM
that learns them moves them to the oracle list) and checks the fold against numpy written
from TensorFlow Lite's semantics."""
from __future__ import annotations

import numpy as np
import pytest

from tflm_py import read_model
from tflm_py.oracle import run_oracle
from tflm_py.passes import optimize
from tflm_py.testing import ModelBuilder

I32 = np.int32


def _i32(v):
    return np.asarray(v, dtype=I32)


def _data(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(-2 ** 31, 2 ** 31, (2, 3)).astype(I32)
    a[0, :2] = (-7, 7)
    b = rng.integers(-20, 21, (2, 3)).astype(I32)
    b[b == 0] = 3
    b[0, :2] = (2, -2)
    row = rng.integers(-5, 6, (1, 3)).astype(I32)
    row[row == 0] = 1
    x = rng.integers(-100, 100, (2, 3, 4)).astype(I32)
    q8 = rng.integers(-128, 128, (2, 3)).astype(np.int8)
    r8 = rng.integers(-128, 128, (2, 3)).astype(np.int8)
    return a, b, row, x, q8, r8


def _cases(seed):
    """name -> (op, constant inputs, [(output shape, dtype, quantization)], options)."""
    a, b, row, x, q8, r8 = _data(seed)
    i32 = [((2, 3), I32, None)]
    boo = [((2, 3), np.bool_, None)]
    q = (0.05, -3)
    return {
        "ADD": ("ADD", [a, row], i32, {"fused_activation_function": "RELU"}),
        "SUB": ("SUB", [a, b], i32, {"fused_activation_function": "RELU"}),
        "MUL": ("MUL", [a, row], i32, {"fused_activation_function": "RELU6"}),
        "DIV": ("DIV", [a, b], i32, {}),
        "MAXIMUM": ("MAXIMUM", [a, b], i32, {}),
        "MINIMUM": ("MINIMUM", [a, row], i32, {}),
        "SQUARED_DIFFERENCE": ("SQUARED_DIFFERENCE", [b, row], i32, {}),
        "EQUAL": ("EQUAL", [a % 3, b % 3], boo, {}),
        "NOT_EQUAL": ("NOT_EQUAL", [a % 3, row % 3], boo, {}),
        "LESS": ("LESS", [a, b], boo, {}),
        "LESS_EQUAL": ("LESS_EQUAL", [b, row], boo, {}),
        "GREATER": ("GREATER", [b, row], boo, {}),
        "GREATER_EQUAL": ("GREATER_EQUAL", [a, b], boo, {}),
        "LOGICAL_AND": ("LOGICAL_AND", [a > 0, b > 0], boo, {}),
        "LOGICAL_OR": ("LOGICAL_OR", [a > 0, b > 0], boo, {}),
        "LOGICAL_NOT": ("LOGICAL_NOT", [a > 0], boo, {}),
        "CAST": ("CAST", [a], [((2, 3), np.int8, None)], {}),
        "CAST_BOOL": ("CAST", [b % 2], boo, {}),
        "FILL": ("FILL", [_i32([2, 3]), _i32(int(a[1, 1]))], i32, {}),
        "ZEROS_LIKE": ("ZEROS_LIKE", [a], i32, {}),
        "BROADCAST_TO": ("BROADCAST_TO", [row, _i32([2, 3])], i32, {}),
        "BROADCAST_ARGS": ("BROADCAST_ARGS", [_i32([2, 1]), _i32([1, 3])],
                           [((2,), I32, None)], {}),
        "PACK": ("PACK", [a[0], b[0]], [((3, 2), I32, None)], {"values_count": 2, "axis": 1}),
        "UNPACK": ("UNPACK", [x], [((3, 4), I32, None)] * 2, {"num": 2, "axis": 0}),
        "CONCATENATION": ("CONCATENATION", [a, b], [((2, 6), I32, None)], {"axis": 1}),
        "STRIDED_SLICE": ("STRIDED_SLICE", [x, _i32([0, 1, 0]), _i32([2, 3, 4]),
                                            _i32([1, 1, 2])], [((2, 2, 2), I32, None)], {}),
        "SLICE": ("SLICE", [x, _i32([0, 1, 1]), _i32([2, -1, 2])],
                  [((2, 2, 2), I32, None)], {}),
        "SPLIT": ("SPLIT", [_i32(2), x], [((2, 3, 2), I32, None)] * 2, {"num_splits": 2}),
        "RESHAPE": ("RESHAPE", [x, _i32([6, 4])], [((6, 4), I32, None)], {}),
        "SQUEEZE": ("SQUEEZE", [a[:1]], [((3,), I32, None)], {}),
        # quantized int8 constants: folded by the op's room (its simulate)
        "ADD_INT8": ("ADD", [q8, r8], [((2, 3), np.int8, (0.09, 5))], {}, [q, (0.04, 7)]),
        "MUL_INT8": ("MUL", [q8, r8], [((2, 3), np.int8, (0.03, -1))], {}, [q, (0.04, 7)]),
        "QUANTIZE_INT8": ("QUANTIZE", [q8], [((2, 3), np.int8, (0.02, 1))], {}, [q]),
        "TRANSPOSE_INT8": ("TRANSPOSE", [q8, _i32([1, 0])], [((3, 2), np.int8, q)], {},
                           [q, None]),
        "MEAN_INT8": ("MEAN", [q8, _i32([1])], [((2, 1), np.int8, (0.03, 2))],
                      {"keep_dims": True}, [q, None]),
    }


# folded by the pass although TFLM's kernel refuses the int32 form (measured on the oracle):
# name -> (op, inputs, output shape, options, TensorFlow Lite's value computed here)
def _refused(seed):
    a, b, _, x, _, _ = _data(seed)
    a64, b64 = a.astype(np.int64), b.astype(np.int64)
    return {
        "FLOOR_DIV": ("FLOOR_DIV", [a, b], (2, 3), {}, np.floor_divide(a64, b64)),
        "FLOOR_MOD": ("FLOOR_MOD", [a, b], (2, 3), {}, np.mod(a64, b64)),
        "NEG": ("NEG", [a], (2, 3), {}, -a64),
        "ABS": ("ABS", [b], (2, 3), {}, np.abs(b64)),
        "SQUARE": ("SQUARE", [b], (2, 3), {}, b64 * b64),
        "SUM": ("SUM", [x, _i32([1])], (2, 4), {}, x.sum(axis=1)),
        "REDUCE_PROD": ("REDUCE_PROD", [b, _i32([0])], (3,), {}, b64.prod(axis=0)),
        "REDUCE_MAX": ("REDUCE_MAX", [x, _i32([1, 2])], (2, 1, 1), {"keep_dims": True},
                       x.max(axis=(1, 2), keepdims=True)),
        "REDUCE_MIN": ("REDUCE_MIN", [x, _i32([-1])], (2, 3), {}, x.min(axis=2)),
        "ARG_MAX": ("ARG_MAX", [x, _i32([1])], (2, 4), {"output_type": 2}, x.argmax(axis=1)),
        "ARG_MIN": ("ARG_MIN", [x, _i32([2])], (2, 3), {"output_type": 2}, x.argmin(axis=2)),
        "GATHER": ("GATHER", [x, _i32([2, 0])], (2, 2, 4), {"axis": 1}, x[:, [2, 0]]),
        "TRANSPOSE": ("TRANSPOSE", [x, _i32([2, 0, 1])], (4, 2, 3), {},
                      x.transpose(2, 0, 1)),
        "TILE": ("TILE", [b, _i32([2, 1])], (4, 3), {}, np.tile(b, (2, 1))),
        "EXPAND_DIMS": ("EXPAND_DIMS", [a, _i32(0)], (1, 2, 3), {}, a[None]),
        "RANGE": ("RANGE", [_i32(2), _i32(11), _i32(3)], (3,), {}, np.arange(2, 11, 3)),
        "SELECT_V2": ("SELECT_V2", [a > 0, a, b], (2, 3), {}, np.where(a > 0, a, b)),
    }


def _model(op_type, inputs, outputs, options, in_quant=None):
    """The op on constants (outputs are graph outputs), beside a pass-through RESHAPE so that
    the model keeps a graph input and one op after folding."""
    b = ModelBuilder()
    x = b.activation((1,), I32)
    passthrough = b.activation((1,), I32)
    consts = []
    for k, v in enumerate(inputs):
        qk = in_quant[k] if in_quant else None
        consts.append(b.constant(v) if qk is None else
                      b.constant(v, scales=[qk[0]], zero_points=[qk[1]]))
    ys = []
    for shape, dtype, qo in outputs:
        ys.append(b.activation(shape, dtype) if qo is None else
                  b.activation(shape, dtype, scale=qo[0], zero_point=qo[1]))
    b.op(op_type, consts, ys, **options)
    b.op("RESHAPE", [x], [passthrough])
    return b.build([x], ys + [passthrough]), ys


@pytest.mark.parametrize("name", sorted(_cases(0)))
def test_folded_equals_tflm(name):
    for seed in (0, 1):
        case = _cases(seed)[name]
        op_type, inputs, outputs, options = case[:4]
        data, ys = _model(op_type, inputs, outputs, options, case[4] if len(case) > 4 else None)
        m = optimize(read_model(data))
        assert [op.type for op in m.operators] == ["RESHAPE"], (name, m.notes)
        want = run_oracle(data, [[np.zeros(1, I32)]])[0]
        for w, y in zip(want, ys):
            assert np.array_equal(np.asarray(w).reshape(-1), m.tensors[y].data.reshape(-1)), \
                (name, seed)


@pytest.mark.parametrize("name", sorted(_refused(0)))
def test_folds_tflm_cannot_run(name):
    op_type, inputs, shape, options, expected = _refused(0)[name]
    dtype = np.bool_ if expected.dtype == np.bool_ else I32
    data, (y,) = _model(op_type, inputs, [(shape, dtype, None)], options)
    m = optimize(read_model(data))
    assert [op.type for op in m.operators] == ["RESHAPE"], (name, m.notes)
    want = expected.astype(np.int64).astype(dtype) if dtype != np.bool_ else expected
    assert np.array_equal(m.tensors[y].data.reshape(-1), np.asarray(want).reshape(-1)), name
    with pytest.raises(Exception):
        run_oracle(data, [[np.zeros(1, I32)]])


@pytest.mark.parametrize("op_type", ["DIV", "FLOOR_DIV", "FLOOR_MOD"])
def test_division_overflow_and_by_zero_stay(op_type):
    """lowest / -1 traps in TFLM's kernel and / 0 fails: the op is kept, never folded."""
    for num, den in (([-2 ** 31, 5], [-1, 1]), ([4, 5], [2, 0])):
        data, _ = _model(op_type, [_i32(num), _i32(den)], [((2,), I32, None)], {})
        m = optimize(read_model(data))
        assert op_type in [op.type for op in m.operators]
