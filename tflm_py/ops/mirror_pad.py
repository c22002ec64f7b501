"""MIRROR_PAD room: pads with the input mirrored at its edges (bytes moved, no arithmetic).

TFLM micro (mirror_pad.cc): 2 inputs (data, paddings [rank, 2] INT32 or INT64); float32 or
int8; mode REFLECT (edge not repeated, offset 1) or SYMMETRIC (edge repeated, offset 0). Per
dim, output position i < left reads input left + offset - 1 - min(i, left - 1); past the
input, position n + k reads n - 1 - offset - min(k, n - 1 - offset); otherwise i - left.
We need the paddings constant, within TensorFlow's limits (REFLECT: at most n - 1 per side,
SYMMETRIC: at most n) and the output shape = input + paddings (TFLM copies the output's
element count without checking). kernels_c/mirror_pad.c gathers by per-dim offset tables.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._datamove import (byte_strides, input_tensor, one_output, require_nonempty,
                        require_same_type, require_type)

OPS = ("MIRROR_PAD",)
INPLACE = None

_TYPES = ("FLOAT32", "INT8")
_MAX_DIMS = 5


def _offset(op) -> int:
    mode = getattr(op.options, "mode", 0)
    return 1 if mode in (0, "REFLECT") else 0


def _paddings(op, model) -> np.ndarray:
    x = model.tensors[op.inputs[0]]
    t = input_tensor(op, model, 1, "paddings")
    if t.type_name not in ("INT32", "INT64"):
        raise UnsupportedError(f"paddings must be INT32 or INT64, got {t.type_name}")
    if not t.is_constant:
        raise UnsupportedError("non-constant paddings are not supported (the output shape is "
                               "fixed at generation time)")
    if len(t.shape) != 2 or tuple(t.shape) != (len(x.shape), 2):
        raise UnsupportedError(f"paddings must have shape [{len(x.shape)}, 2], has "
                               f"{list(t.shape)}")
    return np.asarray(t.data, dtype=np.int64).reshape(len(x.shape), 2)


def _source_index(i: int, n: int, left: int, offset: int) -> int:
    if i < left:
        orig = left + offset - 1
        return orig - min(i, orig - offset)
    i -= left
    if i >= n:
        i -= n
        orig = n - (1 + offset)
        return orig - min(i, orig)
    return i


def check(op, model) -> None:
    if len(op.inputs) != 2:
        raise UnsupportedError(f"expects 2 inputs (data, paddings), got {len(op.inputs)}")
    y = one_output(op, model)
    x = input_tensor(op, model, 0)
    require_type(x, _TYPES, "input")
    require_same_type(x, y)
    require_nonempty(x, "input")
    if not 1 <= len(x.shape) <= _MAX_DIMS:
        raise UnsupportedError(f"{len(x.shape)}-D input; supported 1-D to {_MAX_DIMS}-D")
    pads = _paddings(op, model)
    off = _offset(op)
    for d, (n, (a, b)) in enumerate(zip(x.shape, pads)):
        if a < 0 or b < 0 or max(a, b) > n - off:
            raise UnsupportedError(f"paddings {[int(a), int(b)]} of dim {d} (size {n}) are "
                                   f"outside [0, {n - off}] for mode "
                                   f"{'REFLECT' if off else 'SYMMETRIC'}")
    want = tuple(int(n + a + b) for n, (a, b) in zip(x.shape, pads))
    if tuple(y.shape) != want:
        raise UnsupportedError(f"output shape {list(y.shape)} differs from {list(want)}")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x = model.tensors[op.inputs[0]]
    y = model.tensors[op.outputs[0]]
    pads = _paddings(op, model)
    off = _offset(op)
    strides = byte_strides(x.shape, x.dtype.itemsize)
    maps = [[_source_index(i, int(n), int(a), off) for i in range(int(o))]
            for n, (a, _), o in zip(x.shape, pads, y.shape)]
    offsets = [m * st for mp, st in zip(maps, strides) for m in mp]
    return SimpleNamespace(pads=[(int(a), int(b)) for a, b in pads], offsets=offsets, out_dims=[int(d) for d in y.shape],
                           elem_bytes=x.dtype.itemsize, mode_offset=off)


def simulate(op, model, params, inputs):
    # numpy's own mirror modes (the TensorFlow meaning), independent of the offset tables
    mode = "reflect" if params.mode_offset else "symmetric"
    return [np.pad(np.asarray(inputs[0]), params.pads, mode=mode)]


def emit(op, model, params, cg) -> str:
    cg.use_kernel("mirror_pad")
    table = cg.const_array("int32_t", params.offsets, f"mirror_pad_{op.index}_offsets")
    dims = params.out_dims + [1] * (5 - len(params.out_dims))
    name = cg.param_struct("tflm_mirror_pad_params_t",
                           {"num_dims": len(params.out_dims),
                            "out_dims": "{" + ", ".join(str(d) for d in dims) + "}",
                            "elem_bytes": params.elem_bytes, "offsets": table},
                           f"mirror_pad_{op.index}")
    return f"tflm_mirror_pad(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
