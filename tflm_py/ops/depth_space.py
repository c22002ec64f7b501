"""DEPTH_TO_SPACE, SPACE_TO_DEPTH rooms: move b x b blocks between the channels and the
spatial dims of an NHWC tensor (bytes moved, no arithmetic).

TFLM micro (depth_to_space.cc, space_to_depth.cc + reference kernels): 4-D input, float32 or
int8, block_size > 0; Prepare sets the output shape itself:
- DEPTH_TO_SPACE: [N, H*b, W*b, C/(b*b)] with C divisible by b*b;
  out[n, h*b+i, w*b+j, c] = in[n, h, w, (i*b + j)*C/(b*b) + c];
- SPACE_TO_DEPTH: [N, H/b, W/b, C*b*b] with H and W divisible by b;
  out[n, h, w, (i*b + j)*C + c] = in[n, h*b+i, w*b+j, c].
We require the model's output shape to be that shape. Both are one strided byte view of the
input (kernels_c/gather_bytes.c) with six dims before collapsing; planned "overlap".
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._datamove import (byte_strides, collapse_view, emit_view, input_tensor, one_output,
                        require_nonempty, require_same_type, require_type, view_overlap_reads)

OPS = ("DEPTH_TO_SPACE", "SPACE_TO_DEPTH")
INPLACE = "overlap"

_TYPES = ("FLOAT32", "INT8")


def _expected(op, x) -> tuple:
    b = int(getattr(op.options, "block_size", 0) or 0)
    if b <= 0:
        raise UnsupportedError(f"block_size {b} must be positive")
    n, h, w, c = (int(d) for d in x.shape)
    if op.type == "DEPTH_TO_SPACE":
        if c % (b * b):
            raise UnsupportedError(f"input depth {c} is not divisible by block_size^2 = "
                                   f"{b * b}")
        return b, (n, h * b, w * b, c // (b * b))
    if h % b or w % b:
        raise UnsupportedError(f"input height {h} and width {w} must be divisible by "
                               f"block_size {b}")
    return b, (n, h // b, w // b, c * b * b)


def check(op, model) -> None:
    if len(op.inputs) != 1:
        raise UnsupportedError(f"expects 1 input, got {len(op.inputs)}")
    y = one_output(op, model)
    x = input_tensor(op, model, 0)
    require_type(x, _TYPES, "input")
    require_same_type(x, y)
    require_nonempty(x, "input")
    if len(x.shape) != 4:
        raise UnsupportedError(f"{len(x.shape)}-D input; TFLM {op.type} takes 4-D (NHWC)")
    _, expected = _expected(op, x)
    if tuple(y.shape) != expected:
        raise UnsupportedError(f"output shape {list(y.shape)} differs from the shape TFLM "
                               f"computes, {list(expected)}")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x = model.tensors[op.inputs[0]]
    y = model.tensors[op.outputs[0]]
    b, _ = _expected(op, x)
    es = x.dtype.itemsize
    n, h, w, c = (int(d) for d in x.shape)
    sn, sh, sw, sc = byte_strides(x.shape, es)
    if op.type == "DEPTH_TO_SPACE":
        oc = c // (b * b)
        runs = [(n, sn), (h, sh), (b, b * oc * sc), (w, sw), (b, oc * sc), (oc, sc)]
    else:
        runs = [(n, sn), (h // b, b * sh), (w // b, b * sw), (b, sh), (b, sw), (c, sc)]
    dims, steps = collapse_view(runs, es)
    return SimpleNamespace(block=b, out_dims=dims, in_steps=steps, out_shape=tuple(y.shape),
                           dtype=y.dtype)


def overlap_reads(op, model):
    p = prepare(op, model)
    return view_overlap_reads(0, p.out_dims, p.in_steps)


def simulate(op, model, params, inputs):
    # numpy's reshape/transpose of the op's meaning (independent of the gather description)
    x = np.asarray(inputs[0])
    n, h, w, c = x.shape
    b = params.block
    if op.type == "DEPTH_TO_SPACE":
        t = x.reshape(n, h, w, b, b, c // (b * b)).transpose(0, 1, 3, 2, 4, 5)
    else:
        t = x.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5)
    return [np.ascontiguousarray(t).reshape(params.out_shape)]


def emit(op, model, params, cg) -> str:
    return emit_view(cg, f"{op.type.lower()}_{op.index}", 0, params.out_dims, params.in_steps,
                     cg.ptr(op.inputs[0]), cg.ptr(op.outputs[0]))
