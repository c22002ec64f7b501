"""Random single-op models for the comparison, logical, select, index and reduction rooms:
EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL, LOGICAL_AND, LOGICAL_OR,
LOGICAL_NOT, SELECT_V2, SUM, MEAN (int16), REDUCE_MAX, REDUCE_MIN, ARG_MAX, ARG_MIN,
ABS, CUMSUM, ADD_N.

Each generator returns the bytes of one small valid model that TFLM accepts, over every type
combination TFLM's kernel takes (int8 / int16 quantized, int32, int64, bool), with broadcasting
(within TFLM's rank limits), constant inputs and shared quantization (so equal values occur).
"""
from __future__ import annotations

import numpy as np

from ..testing import ModelBuilder
from .elementwise import _broadcast_from, _log_uniform, _out_shape, _pick, _q8, _q16

INT8, INT16, INT32, INT64, BOOL = np.int8, np.int16, np.int32, np.int64, np.bool_


def _data(rng, shape, dtype):
    if np.dtype(dtype) == np.bool_:
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if np.dtype(dtype).itemsize >= 4:  # small values so equal elements occur
        return rng.integers(-4, 5, size=shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, size=shape).astype(dtype)


def _tensor(b, rng, shape, dtype, q, const):
    if const:
        if q is None:
            return b.constant(_data(rng, shape, dtype))
        return b.constant(_data(rng, shape, dtype), scales=[q[0]], zero_points=[q[1]])
    return b.activation(shape, dtype, *q) if q is not None else b.activation(shape, dtype)


def _binary_shapes(rng, max_bcast_rank):
    """(s1, s2, out): equal shapes at any rank 0..6, or broadcasting within max_bcast_rank."""
    if rng.random() < 0.4:
        s = _out_shape(rng)
        return s, s, s
    while True:
        out = _out_shape(rng)
        if len(out) <= max_bcast_rank:
            break
    mode = _pick(rng, ("in1", "in2", "both", "scalar"))
    s1 = s2 = out
    if mode == "in1":
        s1 = _broadcast_from(rng, out)
    elif mode == "in2":
        s2 = _broadcast_from(rng, out)
    elif mode == "both":
        s1, s2 = list(out), list(out)
        for i in range(len(out)):
            if rng.random() < 0.5:
                s1[i] = 1
            else:
                s2[i] = 1
        s1, s2 = tuple(s1), tuple(s2)
    else:
        s2 = _pick(rng, ((), (1,)))
    return s1, s2, tuple(int(d) for d in np.broadcast_shapes(s1, s2))


# ------------------------------------------------------------------ comparisons

_CMP_TYPES = {
    "EQUAL": (INT8, INT32, INT64, BOOL), "NOT_EQUAL": (INT8, INT32, INT64, BOOL),
    "LESS": (INT8, INT32, INT64), "LESS_EQUAL": (INT8, INT32, INT64),
    "GREATER": (INT8, INT32, INT64), "GREATER_EQUAL": (INT8, INT32, INT64),
}


def _comparison(op_type, rng):
    dtypes = _CMP_TYPES[op_type]
    dtype = INT8 if rng.random() < 0.45 else _pick(rng, dtypes)
    s1, s2, so = _binary_shapes(rng, 4)
    q1 = q2 = None
    if dtype == INT8:
        q1 = _q8(rng, 0.005, 0.9)
        q2 = q1 if rng.random() < 0.4 else _q8(rng, 0.005, 0.9)
    elif dtype == INT16:
        q1 = _q16(rng, rng.random() < 0.5, 1e-5, 1e-2)
        q2 = q1 if rng.random() < 0.4 else _q16(rng, rng.random() < 0.5, 1e-5, 1e-2)
    b = ModelBuilder()
    r = rng.random()
    x1 = _tensor(b, rng, s1, dtype, q1, const=r < 0.1)
    x2 = _tensor(b, rng, s2, dtype, q2, const=0.1 <= r < 0.3)
    if s1 == s2 and q1 == q2 and r > 0.95:
        x2 = x1
    y = b.activation(so, BOOL)
    b.op(op_type, [x1, x2], [y])
    inputs = [t for t in dict.fromkeys([x1, x2]) if b.tensors[t].buffer == 0]
    return b.build(inputs=inputs, outputs=[y])


def gen_equal(rng):
    return _comparison("EQUAL", rng)


def gen_not_equal(rng):
    return _comparison("NOT_EQUAL", rng)


def gen_less(rng):
    return _comparison("LESS", rng)


def gen_less_equal(rng):
    return _comparison("LESS_EQUAL", rng)


def gen_greater(rng):
    return _comparison("GREATER", rng)


def gen_greater_equal(rng):
    return _comparison("GREATER_EQUAL", rng)


# ------------------------------------------------------------------ logical

def _logical(op_type, rng):
    b = ModelBuilder()
    if op_type == "LOGICAL_NOT":
        s = _out_shape(rng)
        x = b.activation(s, BOOL)
        y = b.activation(s, BOOL)
        b.op(op_type, [x], [y])
        return b.build(inputs=[x], outputs=[y])
    s1, s2, so = _binary_shapes(rng, 4)
    r = rng.random()
    x1 = _tensor(b, rng, s1, BOOL, None, const=r < 0.15)
    x2 = _tensor(b, rng, s2, BOOL, None, const=0.15 <= r < 0.3)
    y = b.activation(so, BOOL)
    b.op(op_type, [x1, x2], [y])
    inputs = [t for t in (x1, x2) if b.tensors[t].buffer == 0]
    return b.build(inputs=inputs, outputs=[y])


def gen_logical_and(rng):
    return _logical("LOGICAL_AND", rng)


def gen_logical_or(rng):
    return _logical("LOGICAL_OR", rng)


def gen_logical_not(rng):
    return _logical("LOGICAL_NOT", rng)


# ------------------------------------------------------------------ select

def gen_select_v2(rng):
    dtype = INT8 if rng.random() < 0.6 else INT16
    if rng.random() < 0.35:
        out = _out_shape(rng)
        sc = sx = sy = out
    else:
        while True:
            out = _out_shape(rng, 512)
            if len(out) <= 5:
                break
        sc, sx, sy = (_broadcast_from(rng, out, 0.4) for _ in range(3))
        out = tuple(int(d) for d in np.broadcast_shapes(sc, sx, sy))
    q = _q8(rng) if dtype == INT8 else _q16(rng)
    b = ModelBuilder()
    r = rng.random()
    c = _tensor(b, rng, sc, BOOL, None, const=r < 0.15)
    x = _tensor(b, rng, sx, dtype, q, const=0.15 <= r < 0.3)
    y = _tensor(b, rng, sy, dtype, q, const=0.3 <= r < 0.4)
    o = b.activation(out, dtype, *q)
    b.op("SELECT_V2", [c, x, y], [o])
    inputs = [t for t in (c, x, y) if b.tensors[t].buffer == 0]
    return b.build(inputs=inputs, outputs=[o])


# ------------------------------------------------------------------ reductions, arg max / min

def _reduce_shape_axes(rng):
    rank = int(rng.integers(1, 6))
    while True:
        shape = tuple(int(d) for d in rng.integers(1, 8 if rank <= 3 else 5, size=rank))
        if int(np.prod(shape)) <= 1024:
            break
    k = int(rng.integers(1, rank + 1))
    axes = [int(a) for a in rng.choice(rank, size=k, replace=False)]
    axes = [a - rank if rng.random() < 0.3 else a for a in axes]
    if rng.random() < 0.15:
        axes.append(axes[0])
    return shape, axes


def _reduce(op_type, rng, dtype):
    shape, axes = _reduce_shape_axes(rng)
    rank = len(shape)
    resolved = sorted({a % rank for a in axes})
    keep = bool(rng.random() < 0.5)
    out_shape = tuple(1 if i in resolved else d for i, d in enumerate(shape)) if keep else \
        tuple(d for i, d in enumerate(shape) if i not in resolved)
    if dtype == INT8:
        qi = _q8(rng, 0.003, 0.3)
    else:
        qi = _q16(rng, rng.random() < 0.7, 1e-5, 1e-3)
    if op_type in ("REDUCE_MAX", "REDUCE_MIN") or rng.random() < 0.3:
        qo = qi
    else:
        n = int(np.prod([shape[i] for i in resolved]))
        grow = n ** 0.5 if op_type == "SUM" else 1.0   # a sum needs a wider output scale
        so = float(np.float32(qi[0] * grow * np.exp(rng.uniform(-1.0, 1.5))))
        qo = (so, int(rng.integers(-128, 128))) if dtype == INT8 else \
            (so, 0 if qi[1] == 0 or rng.random() < 0.5 else int(rng.integers(-3000, 3001)))
    b = ModelBuilder()
    x = b.activation(shape, dtype, *qi)
    a = b.constant(np.array(axes[0] if len(axes) == 1 and rng.random() < 0.3 else axes,
                            dtype=np.int32))
    y = b.activation(out_shape, dtype, *qo)
    b.op(op_type, [x, a], [y], keep_dims=keep)
    return b.build(inputs=[x], outputs=[y])


def gen_sum(rng):
    return _reduce("SUM", rng, INT8 if rng.random() < 0.5 else INT16)


def gen_mean_int16(rng):
    return _reduce("MEAN", rng, INT16)


def gen_reduce_max(rng):
    return _reduce("REDUCE_MAX", rng, INT8)


def gen_reduce_min(rng):
    return _reduce("REDUCE_MIN", rng, INT8)


def _arg(op_type, rng):
    shape, axes = _reduce_shape_axes(rng)
    ax = axes[0]
    out_shape = tuple(d for i, d in enumerate(shape) if i != ax % len(shape))
    b = ModelBuilder()
    x = b.activation(shape, INT8, *_q8(rng))
    a = b.constant(np.array([ax] if rng.random() < 0.7 else ax, dtype=np.int32))
    y = b.activation(out_shape, INT32)
    b.op(op_type, [x, a], [y], output_type=2)   # TensorType INT32
    return b.build(inputs=[x], outputs=[y])


def gen_arg_max(rng):
    return _arg("ARG_MAX", rng)


def gen_arg_min(rng):
    return _arg("ARG_MIN", rng)


# ------------------------------------------------------------------ ABS, CUMSUM, ADD_N

def gen_abs(rng):
    shape = _out_shape(rng, 512)
    kind = _pick(rng, ("s8", "s8", "s16", "s16", "s16_raw"))
    b = ModelBuilder()
    if kind == "s16_raw":
        x = b.activation(shape, INT16)
        y = b.activation(shape, INT16)
    else:
        dtype = INT8 if kind == "s8" else INT16
        qi = _q8(rng) if dtype == INT8 else _q16(rng, True, 1e-5, 1e-3)
        if rng.random() < 0.3:
            qo = qi
        elif dtype == INT8:
            qo = (float(np.float32(qi[0] * np.exp(rng.uniform(-1.0, 1.5)))),
                  int(rng.integers(-128, 128)))
        else:
            qo = (float(np.float32(qi[0] * np.exp(rng.uniform(-1.0, 1.5)))), 0)
        x = b.activation(shape, dtype, *qi)
        y = b.activation(shape, dtype, *qo)
    b.op("ABS", [x], [y])
    return b.build(inputs=[x], outputs=[y])


def gen_cumsum(rng):
    shape = _out_shape(rng, 512)
    if not shape:
        shape = (int(rng.integers(1, 9)),)
    ax = int(rng.integers(0, len(shape)))
    if rng.random() < 0.3:
        ax -= len(shape)
    qi = _q8(rng)
    qo = (float(np.float32(qi[0] * np.exp(rng.uniform(0.0, 2.0)))), int(rng.integers(-128, 128)))
    b = ModelBuilder()
    x = b.activation(shape, INT8, *qi)
    a = b.constant(np.array([ax] if rng.random() < 0.7 else ax, dtype=np.int32))
    y = b.activation(shape, INT8, *qo)
    b.op("CUMSUM", [x, a], [y], exclusive=bool(rng.random() < 0.4),
         reverse=bool(rng.random() < 0.4))
    return b.build(inputs=[x], outputs=[y])


def gen_add_n(rng):
    shape = _out_shape(rng, 512)
    n = int(rng.integers(2, 6))
    q = _q8(rng)
    qo = (float(np.float32(q[0] * np.exp(rng.uniform(-0.5, 1.5)))), int(rng.integers(-128, 128)))
    b = ModelBuilder()
    xs = [_tensor(b, rng, shape, INT8, q, const=k > 0 and rng.random() < 0.2) for k in range(n)]
    y = b.activation(shape, INT8, *qo)
    b.op("ADD_N", xs, [y])
    return b.build(inputs=[t for t in xs if b.tensors[t].buffer == 0], outputs=[y])


GENERATORS = {
    "EQUAL": gen_equal,
    "NOT_EQUAL": gen_not_equal,
    "LESS": gen_less,
    "LESS_EQUAL": gen_less_equal,
    "GREATER": gen_greater,
    "GREATER_EQUAL": gen_greater_equal,
    "LOGICAL_AND": gen_logical_and,
    "LOGICAL_OR": gen_logical_or,
    "LOGICAL_NOT": gen_logical_not,
    "SELECT_V2": gen_select_v2,
    "SUM": gen_sum,
    "MEAN_INT16": gen_mean_int16,   # int8 MEAN: tflm_py/testgen/pool_softmax.py
    "REDUCE_MAX": gen_reduce_max,
    "REDUCE_MIN": gen_reduce_min,
    "ARG_MAX": gen_arg_max,
    "ARG_MIN": gen_arg_min,
    "ABS": gen_abs,
    "CUMSUM": gen_cumsum,
    "ADD_N": gen_add_n,
}
