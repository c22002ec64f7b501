"""SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND rooms: blocks of pixels move between the spatial dims
and the batch (bytes moved, no arithmetic).

TFLM micro (space_to_batch_nd.cc, batch_to_space_nd.cc + reference kernels): 3 inputs
(data, block_shape INT32, paddings / crops INT32 [M, 2]), 3-D (NHC, run as W = 1) or 4-D
NHWC input and output of the same type, float32 or int8. Output batch index
b_out = (shift_h * block_w + shift_w) * N_in + b_in (space to batch) and the inverse
(batch to space). SPACE_TO_BATCH_ND fills the padding with 0 bytes. TFLM's pad value is
params.output_offset, a field of a persistent buffer its Prepare never sets: 0 in a fresh
arena, otherwise whatever the arena held (not reproducible; we write 0 bytes).
We need block_shape and paddings/crops constant, non-negative, and the output shape to be
the one TensorFlow defines. kernels_c/batch_space.c copies whole pixels.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._datamove import (const_int32, input_tensor, one_output, placeholder_hint,
                        require_nonempty, require_same_type, require_type)

OPS = ("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND")
INPLACE = None

_TYPES = ("FLOAT32", "INT8")


def _geometry(op, model):
    """(block (bh, bw), edges ((top, bottom), (left, right)), NHWC in, NHWC out expected)."""
    x = model.tensors[op.inputs[0]]
    m = len(x.shape) - 2
    block = const_int32(op, model, 1, "block_shape").reshape(-1)
    what = "paddings" if op.type == "SPACE_TO_BATCH_ND" else "crops"
    edges = const_int32(op, model, 2, what)
    if block.size != m or edges.size != 2 * m:
        raise UnsupportedError(f"block_shape needs {m} entries and {what} {m}x2 for a "
                               f"{len(x.shape)}-D input")
    edges = edges.reshape(m, 2)
    if (block < 1).any():
        raise UnsupportedError(f"block_shape {block.tolist()} must be positive")
    if (edges < 0).any():
        raise UnsupportedError(f"negative {what} {edges.tolist()}")
    bh, bw = int(block[0]), int(block[1]) if m == 2 else 1
    (t, bo) = (int(edges[0, 0]), int(edges[0, 1]))
    (le, ri) = (int(edges[1, 0]), int(edges[1, 1])) if m == 2 else (0, 0)
    n, h = int(x.shape[0]), int(x.shape[1])
    w = int(x.shape[2]) if m == 2 else 1
    c = int(x.shape[-1])
    if op.type == "SPACE_TO_BATCH_ND":
        ph, pw = h + t + bo, w + le + ri
        if ph % bh or pw % bw:
            raise UnsupportedError(f"padded spatial dims {ph}x{pw} are not divisible by the "
                                   f"block {bh}x{bw}")
        out = (n * bh * bw, ph // bh, pw // bw, c)
    else:
        if n % (bh * bw):
            raise UnsupportedError(f"batch {n} is not divisible by the block {bh}x{bw}")
        oh, ow = h * bh - t - bo, w * bw - le - ri
        if oh <= 0 or ow <= 0:
            raise UnsupportedError(f"crops {edges.tolist()} leave nothing")
        out = (n // (bh * bw), oh, ow, c)
    return (bh, bw), (t, le), (n, h, w, c), out


def check(op, model) -> None:
    if len(op.inputs) != 3:
        raise UnsupportedError(f"expects 3 inputs, got {len(op.inputs)}")
    y = one_output(op, model)
    x = input_tensor(op, model, 0)
    require_type(x, _TYPES, "input")
    require_same_type(x, y)
    require_nonempty(x, "input")
    if len(x.shape) not in (3, 4) or len(y.shape) != len(x.shape):
        raise UnsupportedError(f"input {list(x.shape)} / output {list(y.shape)}: TFLM takes "
                               f"3-D or 4-D tensors of equal rank")
    _, _, _, out = _geometry(op, model)
    want = out if len(x.shape) == 4 else (out[0], out[1], out[3])
    if tuple(y.shape) != want:
        wrong = [d for d, (a, b) in enumerate(zip(y.shape, want)) if a != b]
        raise UnsupportedError(f"output shape {list(y.shape)} differs from {list(want)}"
                               f"{placeholder_hint(y, wrong)}")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x = model.tensors[op.inputs[0]]
    y = model.tensors[op.outputs[0]]
    (bh, bw), (top, left), (n, h, w, c), out = _geometry(op, model)
    return SimpleNamespace(block=(bh, bw), top=top, left=left, in_nhwc=(n, h, w, c),
                           out_nhwc=out, depth_bytes=c * x.dtype.itemsize,
                           out_shape=tuple(y.shape), dtype=x.dtype)


def simulate(op, model, params, inputs):
    # TensorFlow's definition: pad/crop, split the spatial dims into blocks, move the block
    # offsets to the batch (numpy reshape/transpose, independent of the C loops)
    p = params
    bh, bw = p.block
    n, h, w, c = p.in_nhwc
    on, oh, ow, _ = p.out_nhwc
    x = np.asarray(inputs[0]).reshape(n, h, w, c)
    if op.type == "SPACE_TO_BATCH_ND":
        padded = np.zeros((n, oh * bh, ow * bw, c), dtype=p.dtype)
        padded[:, p.top:p.top + h, p.left:p.left + w] = x
        t = padded.reshape(n, oh, bh, ow, bw, c).transpose(2, 4, 0, 1, 3, 5)
        out = t.reshape(on, oh, ow, c)
    else:
        t = x.reshape(bh, bw, on, h, w, c).transpose(2, 3, 0, 4, 1, 5)
        full = t.reshape(on, h * bh, w * bw, c)
        out = full[:, p.top:p.top + oh, p.left:p.left + ow]
    return [np.ascontiguousarray(out).reshape(p.out_shape)]


def emit(op, model, params, cg) -> str:
    cg.use_kernel("batch_space")
    p = params
    n, h, w, _ = p.in_nhwc
    on, oh, ow, _ = p.out_nhwc
    name = cg.param_struct("tflm_batch_space_params_t",
                           {"in_batch": n, "in_h": h, "in_w": w, "out_batch": on, "out_h": oh,
                            "out_w": ow, "depth_bytes": p.depth_bytes, "block_h": p.block[0],
                            "block_w": p.block[1], "top": p.top, "left": p.left},
                           f"{op.type.lower()}_{op.index}")
    fn = "tflm_space_to_batch_nd" if op.type == "SPACE_TO_BATCH_ND" else "tflm_batch_to_space_nd"
    return f"{fn}(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
