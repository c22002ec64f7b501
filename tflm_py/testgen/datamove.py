"""Random single-op models for the index and data-movement ops: SLICE, SPLIT, SPLIT_V,
DEPTH_TO_SPACE, SPACE_TO_DEPTH, REVERSE_V2, BROADCAST_TO, GATHER, GATHER_ND,
EMBEDDING_LOOKUP, BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND, MIRROR_PAD, ZEROS_LIKE,
BROADCAST_ARGS.

Each generator returns the bytes of one small valid model TFLM accepts, with element types
drawn from those TFLM's kernel takes for the op (int8 about half the time). Output shapes
follow the op's TensorFlow meaning, derived here independently of the rooms.
"""
from __future__ import annotations

import numpy as np

from ..testing import ModelBuilder
from .shape import _act, _dtype, _pick, _quant, _shape

I8, I16, I32, I64 = np.int8, np.int16, np.int32, np.int64


# ------------------------------------------------------------------ SLICE

def gen_slice(rng) -> bytes:
    dt = _dtype(rng, [I8, I16, I32, np.bool_, np.float32])
    q = _quant(rng, dt)
    rank = int(rng.integers(1, 6))
    shape = _shape(rng, rank, 1, 6)
    begin, size, out = [], [], []
    for n in shape:
        bgn = int(rng.integers(0, n))
        s = int(rng.integers(1, n - bgn + 1))
        begin.append(bgn)
        out.append(s)
        size.append(-1 if s == n - bgn and rng.random() < 0.3 else s)
    idx_t = I64 if rng.random() < 0.2 else I32
    b = ModelBuilder()
    x = _act(b, shape, dt, q)
    y = _act(b, tuple(out), dt, q)
    b.op("SLICE", [x, b.constant(np.array(begin, idx_t)), b.constant(np.array(size, idx_t))],
         [y])
    return b.build(inputs=[x], outputs=[y])


# ------------------------------------------------------------------ SPLIT / SPLIT_V

def _gen_split(rng, v: bool) -> bytes:
    dt = _dtype(rng, [I8, I16, I32, np.float32])
    q = _quant(rng, dt)
    rank = int(rng.integers(1, 5))
    axis = int(rng.integers(rank))
    n_out = int(_pick(rng, [1, 2, 2, 3, 4]))
    while True:
        shape = list(_shape(rng, rank, 1, 5))
        if v:
            parts = [int(p) for p in rng.integers(1, 4, size=n_out)]
        else:
            parts = [int(rng.integers(1, 4))] * n_out
        shape[axis] = sum(parts)
        if int(np.prod(shape)) <= 1024:
            break
    b = ModelBuilder()
    x = _act(b, tuple(shape), dt, q)
    ys = []
    for p in parts:
        s = list(shape)
        s[axis] = p
        ys.append(_act(b, tuple(s), dt, q))
    ax = axis - rank if rng.random() < 0.4 else axis
    ax_t = b.constant(np.array(ax if rng.random() < 0.5 else [ax], np.int32))
    if v:
        sizes = list(parts)
        if n_out > 1 and rng.random() < 0.3:
            sizes[int(rng.integers(n_out))] = -1
        b.op("SPLIT_V", [x, b.constant(np.array(sizes, np.int32)), ax_t], ys, num_splits=n_out)
    else:
        b.op("SPLIT", [ax_t, x], ys, num_splits=n_out)
    return b.build(inputs=[x], outputs=ys)


def gen_split(rng) -> bytes:
    return _gen_split(rng, False)


def gen_split_v(rng) -> bytes:
    return _gen_split(rng, True)


# ------------------------------------------------------------------ DEPTH_TO_SPACE / SPACE_TO_DEPTH

def gen_depth_to_space(rng) -> bytes:
    dt = _dtype(rng, [I8, np.float32])
    q = _quant(rng, dt)
    bs = int(_pick(rng, [1, 2, 2, 3]))
    n, h, w, oc = (int(rng.integers(1, 3)), int(rng.integers(1, 5)), int(rng.integers(1, 5)),
                   int(rng.integers(1, 5)))
    b = ModelBuilder()
    x = _act(b, (n, h, w, oc * bs * bs), dt, q)
    y = _act(b, (n, h * bs, w * bs, oc), dt, q)
    b.op("DEPTH_TO_SPACE", [x], [y], block_size=bs)
    return b.build(inputs=[x], outputs=[y])


def gen_space_to_depth(rng) -> bytes:
    dt = _dtype(rng, [I8, np.float32])
    q = _quant(rng, dt)
    bs = int(_pick(rng, [1, 2, 2, 3]))
    n, h, w, c = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(1, 4)),
                  int(rng.integers(1, 5)))
    b = ModelBuilder()
    x = _act(b, (n, h * bs, w * bs, c), dt, q)
    y = _act(b, (n, h, w, c * bs * bs), dt, q)
    b.op("SPACE_TO_DEPTH", [x], [y], block_size=bs)
    return b.build(inputs=[x], outputs=[y])


# ------------------------------------------------------------------ REVERSE_V2

def gen_reverse_v2(rng) -> bytes:
    dt = _dtype(rng, [I8, I16, I32, I64, np.bool_, np.float32])
    q = _quant(rng, dt)
    rank = int(rng.integers(1, 7))
    shape = _shape(rng, rank, 1, 5)
    k = int(rng.integers(1, rank + 1))
    first = int(rng.integers(0, rank - k + 1))
    axes = [a - rank if rng.random() < 0.3 else a for a in range(first, first + k)]
    axes = [int(a) for a in rng.permutation(axes)]
    b = ModelBuilder()
    x = _act(b, shape, dt, q)
    y = _act(b, shape, dt, q)
    b.op("REVERSE_V2", [x, b.constant(np.array(axes, np.int32))], [y])
    return b.build(inputs=[x], outputs=[y])


# ------------------------------------------------------------------ BROADCAST_TO

def gen_broadcast_to(rng) -> bytes:
    dt = _dtype(rng, [I8, I16, I32, I64, np.bool_, np.float32])
    q = _quant(rng, dt)
    out_rank = int(rng.integers(1, 6))
    while True:
        out = _shape(rng, out_rank, 1, 5)
        if int(np.prod(out)) <= 1024:
            break
    in_rank = int(rng.integers(0, out_rank + 1)) or 1
    ins = [1 if rng.random() < 0.5 else d for d in out[out_rank - in_rank:]]
    b = ModelBuilder()
    x = _act(b, tuple(ins), dt, q)
    y = _act(b, out, dt, q)
    shp_t = I64 if rng.random() < 0.3 else I32
    b.op("BROADCAST_TO", [x, b.constant(np.array(out, shp_t))], [y])
    return b.build(inputs=[x], outputs=[y])


# ------------------------------------------------------------------ GATHER / EMBEDDING_LOOKUP
# Positions are constants here: the sweep feeds graph inputs random values over the whole
# int32 range, which TFLM refuses at run time (tests/ops/test_datamove.py feeds run-time
# positions of its own).

def gen_gather(rng) -> bytes:
    dt = _dtype(rng, [I8, np.float32])
    q = _quant(rng, dt)
    rank = int(rng.integers(1, 5))
    shape = _shape(rng, rank, 1, 5, 256)
    axis = int(rng.integers(rank))
    prank = int(rng.integers(1, 3))
    bd = int(rng.integers(0, min(axis, prank) + 1)) if rng.random() < 0.3 else 0
    pshape = tuple(shape[:bd]) + _shape(rng, prank - bd, 1, 4) if prank > bd else tuple(shape[:bd])
    if not pshape:
        pshape = (1,)
        bd = 0
    pos = rng.integers(0, shape[axis], size=pshape).astype(np.int32)
    out = tuple(shape[:axis]) + tuple(pshape[bd:]) + tuple(shape[axis + 1:])
    b = ModelBuilder()
    x = _act(b, shape, dt, q)
    y = _act(b, out, dt, q)
    ax = axis - rank if rng.random() < 0.3 else axis
    b.op("GATHER", [x, b.constant(pos)], [y], axis=ax, batch_dims=bd)
    return b.build(inputs=[x], outputs=[y])


def gen_embedding_lookup(rng) -> bytes:
    dt = _dtype(rng, [I8, np.float32])
    q = _quant(rng, dt)
    shape = _shape(rng, int(rng.integers(2, 4)), 1, 6, 256)
    n = int(rng.integers(1, 6))
    look = rng.integers(0, shape[0], size=(n,)).astype(np.int32)
    b = ModelBuilder()
    x = _act(b, shape, dt, q)
    y = _act(b, (n,) + tuple(shape[1:]), dt, q)
    b.op("EMBEDDING_LOOKUP", [b.constant(look), x], [y])
    return b.build(inputs=[x], outputs=[y])


# ------------------------------------------------------------------ ZEROS_LIKE

def gen_zeros_like(rng) -> bytes:
    dt = _dtype(rng, [I8, I32, I64, np.float32])
    q = _quant(rng, dt)
    shape = _shape(rng, int(rng.integers(1, 5)), 1, 6)
    b = ModelBuilder()
    x = _act(b, shape, dt, q)
    y = _act(b, shape, dt, q)
    b.op("ZEROS_LIKE", [x], [y])
    return b.build(inputs=[x], outputs=[y])


# ------------------------------------------------------------------ SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND

def _batch_space_geometry(rng):
    rank = int(_pick(rng, [3, 4, 4]))
    m = rank - 2
    block = [int(rng.integers(1, 4)) for _ in range(m)]
    return rank, m, block


def gen_space_to_batch_nd(rng) -> bytes:
    dt = _dtype(rng, [I8, np.float32])
    q = _quant(rng, dt)
    rank, m, block = _batch_space_geometry(rng)
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    spatial, pads, out_sp = [], [], []
    for bk in block:
        # no padding: TFLM fills it from a field its kernel never sets (whatever the arena
        # held), so only unpadded cases compare with it (padding: tests/ops/test_datamove.py)
        s = bk * int(rng.integers(1, 4))
        p0 = p1 = 0
        spatial.append(s)
        pads.append([p0, p1])
        out_sp.append((s + p0 + p1) // bk)
    b = ModelBuilder()
    x = _act(b, (n, *spatial, c), dt, q)
    y = _act(b, (n * int(np.prod(block)), *out_sp, c), dt, q)
    b.op("SPACE_TO_BATCH_ND", [x, b.constant(np.array(block, np.int32)),
                               b.constant(np.array(pads, np.int32))], [y])
    return b.build(inputs=[x], outputs=[y])


def gen_batch_to_space_nd(rng) -> bytes:
    dt = _dtype(rng, [I8, np.float32])
    q = _quant(rng, dt)
    rank, m, block = _batch_space_geometry(rng)
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    spatial, crops, out_sp = [], [], []
    for bk in block:
        s = int(rng.integers(1, 5))
        full = s * bk
        c0 = int(rng.integers(0, min(2, full - 1) + 1)) if full > 1 else 0
        c1 = int(rng.integers(0, min(2, full - c0 - 1) + 1)) if full - c0 > 1 else 0
        spatial.append(s)
        crops.append([c0, c1])
        out_sp.append(full - c0 - c1)
    b = ModelBuilder()
    x = _act(b, (n * int(np.prod(block)), *spatial, c), dt, q)
    y = _act(b, (n, *out_sp, c), dt, q)
    b.op("BATCH_TO_SPACE_ND", [x, b.constant(np.array(block, np.int32)),
                               b.constant(np.array(crops, np.int32))], [y])
    return b.build(inputs=[x], outputs=[y])


# ------------------------------------------------------------------ MIRROR_PAD

def gen_mirror_pad(rng) -> bytes:
    dt = _dtype(rng, [I8, np.float32])
    q = _quant(rng, dt)
    mode = int(rng.integers(0, 2))           # 0 REFLECT, 1 SYMMETRIC
    rank = int(rng.integers(1, 6))
    while True:
        shape = _shape(rng, rank, 1, 5, 256)
        lim = [n - (1 - mode) for n in shape]
        pads = [[int(rng.integers(0, m + 1)), int(rng.integers(0, m + 1))] for m in lim]
        out = tuple(n + a + b for n, (a, b) in zip(shape, pads))
        if int(np.prod(out)) <= 2048:
            break
    b = ModelBuilder()
    x = _act(b, shape, dt, q)
    y = _act(b, out, dt, q)
    pt = I64 if rng.random() < 0.2 else I32
    b.op("MIRROR_PAD", [x, b.constant(np.array(pads, pt))], [y], mode=mode)
    return b.build(inputs=[x], outputs=[y])


# ------------------------------------------------------------------ GATHER_ND

def gen_gather_nd(rng) -> bytes:
    dt = _dtype(rng, [I8, np.float32])
    q = _quant(rng, dt)
    rank = int(rng.integers(1, 5))
    shape = _shape(rng, rank, 1, 5, 256)
    depth = int(rng.integers(1, rank + 1))
    lead = _shape(rng, int(rng.integers(0, 3)), 1, 4)
    idx = np.stack([rng.integers(0, shape[j], size=lead) for j in range(depth)], axis=-1)
    b = ModelBuilder()
    x = _act(b, shape, dt, q)
    y = _act(b, tuple(lead) + tuple(shape[depth:]), dt, q)
    b.op("GATHER_ND", [x, b.constant(idx.astype(np.int32))], [y])
    return b.build(inputs=[x], outputs=[y])


# ------------------------------------------------------------------ BROADCAST_ARGS

def gen_broadcast_args(rng) -> bytes:
    """Constant shapes (run-time random shapes would not broadcast: TFLM aborts), beside a
    ZEROS_LIKE on the graph input so the model has one."""
    dt = I64 if rng.random() < 0.4 else I32
    n = int(rng.integers(1, 6))
    full = [int(v) for v in rng.integers(1, 9, size=n)]
    na, nb = int(rng.integers(1, n + 1)), int(rng.integers(1, n + 1))
    na, nb = (n, nb) if rng.random() < 0.5 else (na, n)
    a = [d if rng.random() < 0.6 else 1 for d in full[n - na:]]
    b_ = [d if rng.random() < 0.6 else 1 for d in full[n - nb:]]
    b = ModelBuilder()
    x = b.activation((2, 3), dtype=np.int32)
    z = b.activation((2, 3), dtype=np.int32)
    y = b.activation((n,), dtype=dt)
    b.op("BROADCAST_ARGS", [b.constant(np.array(a, dt).reshape(-1)),
                            b.constant(np.array(b_, dt).reshape(-1))], [y])
    b.op("ZEROS_LIKE", [x], [z])
    return b.build(inputs=[x], outputs=[z, y])


GENERATORS = {
    "BROADCAST_ARGS": gen_broadcast_args,
    "GATHER_ND": gen_gather_nd,
    "MIRROR_PAD": gen_mirror_pad,
    "SPACE_TO_BATCH_ND": gen_space_to_batch_nd,
    "BATCH_TO_SPACE_ND": gen_batch_to_space_nd,
    "GATHER": gen_gather,
    "EMBEDDING_LOOKUP": gen_embedding_lookup,
    "ZEROS_LIKE": gen_zeros_like,
    "SLICE": gen_slice,
    "SPLIT": gen_split,
    "SPLIT_V": gen_split_v,
    "DEPTH_TO_SPACE": gen_depth_to_space,
    "SPACE_TO_DEPTH": gen_space_to_depth,
    "REVERSE_V2": gen_reverse_v2,
    "BROADCAST_TO": gen_broadcast_to,
}
