"""Random single-op models for the data-movement ops: RESHAPE, SQUEEZE, EXPAND_DIMS,
CONCATENATION, PAD, PADV2, TRANSPOSE, STRIDED_SLICE.

Each generator returns the bytes of one small valid model TFLM accepts. Element types are
drawn from those TFLM supports for the op (int8 most often); shapes, axes, paddings,
permutations, slice begin/end/strides/masks vary. Output shapes are derived here from the
op's TensorFlow meaning, independently of the rooms' code.
"""
from __future__ import annotations

import numpy as np

from ..testing import ModelBuilder

MAX_ELEMS = 1024


def _pick(rng, seq, p=None):
    return seq[int(rng.choice(len(seq), p=p))]


def _dtype(rng, allowed):
    """int8 about half the time, else one of the other allowed types."""
    if np.int8 in allowed and rng.random() < 0.5:
        return np.int8
    return _pick(rng, list(allowed))


def _quant(rng, dtype):
    """(scale, zero point) for a tensor of `dtype`; (None, 0) when unquantized."""
    if dtype == np.int8:
        return float(np.float32(rng.uniform(0.005, 0.2))), int(rng.integers(-128, 128))
    if dtype == np.int16:
        return float(np.float32(rng.uniform(1e-4, 1e-2))), 0
    return None, 0


def _act(b, shape, dtype, q):
    return b.activation(shape, dtype=dtype, scale=q[0], zero_point=q[1])


def _random_data(rng, shape, dtype):
    if dtype == np.float32:
        return (rng.standard_normal(shape) * 4).astype(np.float32)
    info = np.iinfo(dtype)
    lo, hi = max(info.min, -(1 << 15)), min(info.max, (1 << 15) - 1)
    return rng.integers(lo, hi + 1, size=shape).astype(dtype)


def _shape(rng, rank, lo=1, hi=5, max_elems=MAX_ELEMS):
    while True:
        s = tuple(int(d) for d in rng.integers(lo, hi + 1, size=rank))
        if int(np.prod(s)) <= max_elems:
            return s


def _factor_shape(rng, total, rank):
    """A random shape of `rank` dims with product `total`."""
    primes, n, p = [], total, 2
    while n > 1:
        while n % p == 0:
            primes.append(p)
            n //= p
        p += 1
    dims = [1] * rank
    for f in primes:
        dims[int(rng.integers(rank))] *= f
    return tuple(dims)


# ------------------------------------------------------------------ RESHAPE family

def gen_reshape(rng) -> bytes:
    dt = _dtype(rng, [np.int8, np.int16, np.int32, np.float32])
    q = _quant(rng, dt)
    in_shape = _shape(rng, int(rng.integers(1, 6)), 1, 6, 512)
    total = int(np.prod(in_shape))
    out_shape = _factor_shape(rng, total, int(rng.integers(1, 6)))
    b = ModelBuilder()
    x = _act(b, in_shape, dt, q)
    y = _act(b, out_shape, dt, q)
    shape_vals = list(out_shape)
    if rng.random() < 0.4:
        shape_vals[int(rng.integers(len(shape_vals)))] = -1
    variant = _pick(rng, ["const", "const_opts", "none", "none_opts", "absent"],
                    p=[0.4, 0.15, 0.15, 0.15, 0.15])
    opts = {}
    if variant.endswith("opts"):
        opts["new_shape"] = [int(v) for v in shape_vals]
    if variant.startswith("const"):
        shp = b.constant(np.array(shape_vals, dtype=np.int32))
        inputs = [x, shp]
    elif variant == "absent":
        inputs = [x, -1]
    else:
        inputs = [x]
    b.op("RESHAPE", inputs, [y], **opts)
    return b.build(inputs=[x], outputs=[y])


def gen_squeeze(rng) -> bytes:
    dt = _dtype(rng, [np.int8, np.int16, np.int32, np.float32])
    q = _quant(rng, dt)
    base = list(_shape(rng, int(rng.integers(1, 4)), 2, 5, 256))
    n_unit = int(rng.integers(1, 4))
    shape = list(base)
    for _ in range(n_unit):
        shape.insert(int(rng.integers(len(shape) + 1)), 1)
    units = [i for i, d in enumerate(shape) if d == 1]
    if rng.random() < 0.3:
        dims = []
        squeezed = set(units)
    else:
        k = int(rng.integers(1, len(units) + 1))
        chosen = sorted(int(u) for u in rng.choice(units, size=k, replace=False))
        squeezed = set(chosen)
        dims = [u - len(shape) if rng.random() < 0.4 else u for u in chosen]
    out_shape = tuple(d for i, d in enumerate(shape) if i not in squeezed)
    b = ModelBuilder()
    x = _act(b, tuple(shape), dt, q)
    y = _act(b, out_shape, dt, q)
    if dims or rng.random() < 0.5:
        b.op("SQUEEZE", [x], [y], squeeze_dims=dims)
    else:
        b.op("SQUEEZE", [x], [y])
    return b.build(inputs=[x], outputs=[y])


def gen_expand_dims(rng) -> bytes:
    dt = _dtype(rng, [np.int8, np.int16, np.float32])
    q = _quant(rng, dt)
    shape = _shape(rng, int(rng.integers(1, 5)), 1, 6, 512)
    r = len(shape)
    axis = int(rng.integers(-(r + 1), r + 1))
    a = axis + r + 1 if axis < 0 else axis
    out_shape = shape[:a] + (1,) + shape[a:]
    b = ModelBuilder()
    x = _act(b, shape, dt, q)
    ax = b.constant(np.array(axis if rng.random() < 0.5 else [axis], dtype=np.int32))
    y = _act(b, out_shape, dt, q)
    b.op("EXPAND_DIMS", [x, ax], [y])
    return b.build(inputs=[x], outputs=[y])


# ------------------------------------------------------------------ CONCATENATION

def gen_concatenation(rng) -> bytes:
    dt = _dtype(rng, [np.int8, np.int16, np.int32, np.float32, np.int64])
    q = _quant(rng, dt)
    rank = int(_pick(rng, [1, 2, 3, 4, 4, 5, 6]))
    axis = int(rng.integers(rank))
    n = int(_pick(rng, [1, 2, 2, 3, 3, 4, 5, 10], p=[0.05, 0.3, 0.1, 0.25, 0.1, 0.1, 0.05, 0.05]))
    while True:
        base = list(_shape(rng, rank, 1, 4))
        parts = [int(v) for v in rng.integers(1, 5, size=n)]
        total = int(np.prod(base)) // base[axis] * sum(parts)
        if total <= MAX_ELEMS:
            break
    b = ModelBuilder()
    ins, graph_ins = [], []
    const_at = int(rng.integers(n)) if n > 1 and rng.random() < 0.2 else -1
    for k, p in enumerate(parts):
        s = list(base)
        s[axis] = p
        if k == const_at:
            ins.append(b.constant(_random_data(rng, tuple(s), dt), scales=q[0] and [q[0]],
                                  zero_points=[q[1]], dtype=dt))
        else:
            t = _act(b, tuple(s), dt, q)
            ins.append(t)
            graph_ins.append(t)
    out = list(base)
    out[axis] = sum(parts)
    y = _act(b, tuple(out), dt, q)
    ax = axis - rank if rng.random() < 0.4 else axis
    b.op("CONCATENATION", ins, [y], axis=ax, fused_activation_function="NONE")
    return b.build(inputs=graph_ins, outputs=[y])


# ------------------------------------------------------------------ PAD / PADV2

def _gen_pad(rng, v2: bool) -> bytes:
    dt = _dtype(rng, [np.int8, np.int16, np.int32, np.float32])
    q = _quant(rng, dt)
    rank = int(rng.integers(1, 6))
    while True:
        shape = _shape(rng, rank, 1, 5, 512)
        pads = rng.integers(0, 4, size=(rank, 2))
        pads[rng.random(rank) < 0.4] = 0
        out = tuple(int(s + p0 + p1) for s, (p0, p1) in zip(shape, pads))
        if int(np.prod(out)) <= 2048:
            break
    yq = q
    if dt == np.int8 and not v2 and rng.random() < 0.25:
        yq = (float(np.float32(rng.uniform(0.005, 0.2))), int(rng.integers(-128, 128)))
    b = ModelBuilder()
    x = _act(b, shape, dt, q)
    pd = b.constant(pads.astype(np.int32))
    y = _act(b, out, dt, yq)
    graph_ins = [x]
    inputs = [x, pd]
    if v2:
        vshape = () if rng.random() < 0.5 else (1,)
        if rng.random() < 0.15:  # pad value fed at run time
            v = _act(b, vshape, dt, yq)
            graph_ins.append(v)
        else:
            v = b.constant(_random_data(rng, vshape, dt), scales=yq[0] and [yq[0]],
                           zero_points=[yq[1]], dtype=dt)
        inputs.append(v)
    b.op("PADV2" if v2 else "PAD", inputs, [y])
    return b.build(inputs=graph_ins, outputs=[y])


def gen_pad(rng) -> bytes:
    return _gen_pad(rng, False)


def gen_padv2(rng) -> bytes:
    return _gen_pad(rng, True)


# ------------------------------------------------------------------ TRANSPOSE

def gen_transpose(rng) -> bytes:
    dt = _dtype(rng, [np.int8, np.int16, np.float32])
    q = _quant(rng, dt)
    rank = int(rng.integers(1, 6))
    shape = _shape(rng, rank, 1, 6)
    perm = [int(p) for p in rng.permutation(rank)]
    b = ModelBuilder()
    x = _act(b, shape, dt, q)
    pm = b.constant(np.array(perm, dtype=np.int32))
    y = _act(b, tuple(shape[p] for p in perm), dt, q)
    b.op("TRANSPOSE", [x, pm], [y])
    return b.build(inputs=[x], outputs=[y])


# ------------------------------------------------------------------ STRIDED_SLICE

def _slice_extent(n, begin, end, stride, bm, em):
    """Python / TensorFlow slice length along one axis."""
    b = None if bm else begin
    e = None if em else end
    return len(range(n)[slice(b, e, stride)])


def gen_strided_slice(rng) -> bytes:
    dt = _dtype(rng, [np.int8, np.int16, np.int32, np.float32])
    q = _quant(rng, dt)
    rank = int(rng.integers(1, 5))
    while True:
        shape = _shape(rng, rank, 1, 7)
        begin, end, strides = [], [], []
        bm = em = sm = 0
        out = []
        ok = True
        for a, n in enumerate(shape):
            s = int(_pick(rng, [1, 1, 1, 2, 3, -1, -1, -2, -3]))
            bgn = int(rng.integers(-n - 2, n + 3))
            e = int(rng.integers(-n - 2, n + 3))
            use_bm = rng.random() < 0.25
            use_em = rng.random() < 0.25
            shrink = s > 0 and rng.random() < 0.2
            if shrink:
                idx = bgn + n if bgn < 0 else bgn
                if use_bm:
                    idx = 0
                if not 0 <= idx < n:
                    bgn = int(rng.integers(-n, n))
                    use_bm = False
                sm |= 1 << a
            else:
                ext = _slice_extent(n, bgn, e, s, use_bm, use_em)
                if ext == 0:
                    ok = False
                    break
                out.append(ext)
            bm |= (1 << a) if use_bm else 0
            em |= (1 << a) if use_em else 0
            begin.append(bgn)
            end.append(e)
            strides.append(s)
        if ok and not (sm == (1 << rank) - 1 and rng.random() < 0.7):
            break
    b = ModelBuilder()
    x = _act(b, shape, dt, q)
    tb = b.constant(np.array(begin, dtype=np.int32))
    te = b.constant(np.array(end, dtype=np.int32))
    ts = b.constant(np.array(strides, dtype=np.int32))
    y = _act(b, tuple(out), dt, q)
    b.op("STRIDED_SLICE", [x, tb, te, ts], [y], begin_mask=bm, end_mask=em,
         shrink_axis_mask=sm)
    return b.build(inputs=[x], outputs=[y])


GENERATORS = {
    "RESHAPE": gen_reshape,
    "SQUEEZE": gen_squeeze,
    "EXPAND_DIMS": gen_expand_dims,
    "CONCATENATION": gen_concatenation,
    "PAD": gen_pad,
    "PADV2": gen_padv2,
    "TRANSPOSE": gen_transpose,
    "STRIDED_SLICE": gen_strided_slice,
}
