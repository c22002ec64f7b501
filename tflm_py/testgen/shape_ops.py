"""Random single-op models for SHAPE, PACK, UNPACK, FILL and CAST (the int32 / index ops
Keras' converted graphs run on the device when they cannot be folded)."""
from __future__ import annotations

import numpy as np

from ..testing import ModelBuilder

_PACK_TYPES = (np.int8, np.int32, np.int64)
_UNPACK_TYPES = (np.int8, np.int16, np.int32)
_CAST_IN = (np.int8, np.int16, np.int32, np.uint32, np.bool_)
_CAST_OUT = (np.int8, np.int16, np.int32, np.uint32)


def _shape(rng, lo=1, hi=4):
    return tuple(int(d) for d in rng.integers(1, 5, int(rng.integers(lo, hi + 1))))


def _act(b, shape, dtype):
    if dtype == np.int8:
        return b.activation(shape, dtype, scale=0.1, zero_point=0)
    return b.activation(shape, dtype)


def gen_shape(rng) -> bytes:
    b = ModelBuilder()
    s = _shape(rng)
    x = _act(b, s, np.int8)
    y = b.activation((len(s),), np.int32)
    b.op("SHAPE", [x], [y])
    return b.build([x], [y])


def gen_pack(rng, dtype=None) -> bytes:
    b = ModelBuilder()
    if dtype is None:
        dtype = _PACK_TYPES[int(rng.integers(len(_PACK_TYPES)))]
    s = _shape(rng, 0, 3)
    n = int(rng.integers(1, 5))
    axis = int(rng.integers(-(len(s) + 1), len(s) + 1))
    a = axis + len(s) + 1 if axis < 0 else axis
    xs = [_act(b, s, dtype) for _ in range(n)]
    y = _act(b, s[:a] + (n,) + s[a:], dtype)
    b.op("PACK", xs, [y], values_count=n, axis=axis)
    return b.build(xs, [y])


def gen_unpack(rng) -> bytes:
    b = ModelBuilder()
    dtype = _UNPACK_TYPES[int(rng.integers(len(_UNPACK_TYPES)))]
    s = _shape(rng, 1, 4)
    axis = int(rng.integers(-len(s), len(s)))
    a = axis + len(s) if axis < 0 else axis
    x = _act(b, s, dtype)
    ys = [_act(b, s[:a] + s[a + 1:], dtype) for _ in range(s[a])]
    b.op("UNPACK", [x], ys, num=s[a], axis=axis)
    return b.build([x], ys)


def gen_fill(rng) -> bytes:
    b = ModelBuilder()
    dtype = (np.int8, np.int32)[int(rng.integers(2))]
    s = _shape(rng, 1, 4)
    dims = b.constant(np.asarray(s, np.int32))
    v = _act(b, (), dtype)
    y = _act(b, s, dtype)
    b.op("FILL", [dims, v], [y])
    return b.build([v], [y])


def gen_cast(rng) -> bytes:
    b = ModelBuilder()
    src = _CAST_IN[int(rng.integers(len(_CAST_IN)))]
    dst = _CAST_OUT[int(rng.integers(len(_CAST_OUT)))]
    s = _shape(rng, 1, 3)
    x = b.activation(s, src)
    y = b.activation(s, dst)
    b.op("CAST", [x], [y])
    return b.build([x], [y])


GENERATORS = {"SHAPE": gen_shape, "PACK": gen_pack, "UNPACK": gen_unpack, "FILL": gen_fill,
              "CAST": gen_cast}
