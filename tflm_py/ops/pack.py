"""PACK and UNPACK rooms: stack equally shaped tensors along a new axis, and the reverse.

TFLM micro (pack.cc, unpack.cc): PACK on float32, int8, int16, int32, int64 outputs (int16
since the PyPI build we test against), UNPACK on float32, int32, int16, int8 inputs; a negative axis counts from the end of the output's (PACK)
or the input's (UNPACK) dims. Bytes are moved, quantization is not looked at. With `outer`
the product of the dims before the axis and `chunk` those after it, input i of PACK is
`outer` chunks landing `count` chunks apart in the output; output i of UNPACK is the same
gather read back (our strided byte gather kernel). With `outer` 1 (the dims before the axis
all 1) every part is one contiguous block of the packed tensor: the op is planned "view"
(ops/_views.py): UNPACK's outputs are read in place, PACK's inputs are written in place by
their producers, and a part planned so costs no copy.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._views import is_view
from ._datamove import c_array, require_nonempty, require_same_type, require_type

OPS = ("PACK", "UNPACK")
INPLACE = None

_PACK_TYPES = ("FLOAT32", "INT8", "INT16", "INT32", "INT64")
_UNPACK_TYPES = ("FLOAT32", "INT32", "INT16", "INT8")


def _layout(op, model):
    """(axis, count, outer, chunk elements) with the packed tensor's shape."""
    if op.type == "PACK":
        big, parts = model.tensors[op.outputs[0]], [model.tensors[t] for t in op.inputs]
    else:
        big, parts = model.tensors[op.inputs[0]], [model.tensors[t] for t in op.outputs]
    rank = len(big.shape)
    axis = int(getattr(op.options, "axis", 0) or 0)
    a = axis + rank if axis < 0 else axis
    if not 0 <= a < rank:
        raise UnsupportedError(f"axis {axis} is out of range for the {rank}-D packed tensor")
    count = len(parts)
    expected = tuple(big.shape[:a]) + tuple(big.shape[a + 1:])
    if big.shape[a] != count:
        raise UnsupportedError(f"packed dim {a} is {big.shape[a]}, there are {count} parts")
    for k, t in enumerate(parts):
        require_same_type(t, big, f"part {k}", "packed tensor")
        if tuple(t.shape) != expected:
            raise UnsupportedError(f"part {k} has shape {list(t.shape)}, expected "
                                   f"{list(expected)}")
    outer = int(np.prod(big.shape[:a], dtype=np.int64))
    chunk = int(np.prod(big.shape[a + 1:], dtype=np.int64))
    return a, count, outer, chunk


def views(op, model):
    """[(part, packed tensor, byte offset)] when every part is a contiguous block."""
    try:
        check(op, model)
        a, count, outer, chunk = _layout(op, model)
    except UnsupportedError:
        return []
    if outer != 1:
        return []
    big = op.outputs[0] if op.type == "PACK" else op.inputs[0]
    parts = op.inputs if op.type == "PACK" else op.outputs
    nbytes = chunk * model.tensors[big].dtype.itemsize
    return [(t, big, k * nbytes) for k, t in enumerate(parts)]


def inplace(op, model):
    return "view" if views(op, model) else None


def check(op, model) -> None:
    if op.type == "PACK":
        if not op.inputs or any(t < 0 for t in op.inputs) or len(op.outputs) != 1:
            raise UnsupportedError("expects inputs and exactly one output")
        big = model.tensors[op.outputs[0]]
        require_type(big, _PACK_TYPES, "output")
    else:
        if len(op.inputs) != 1 or op.inputs[0] < 0 or not op.outputs:
            raise UnsupportedError("expects one input and outputs")
        big = model.tensors[op.inputs[0]]
        require_type(big, _UNPACK_TYPES, "input")
    require_nonempty(big, "packed")
    _layout(op, model)


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    a, count, outer, chunk = _layout(op, model)
    big = model.tensors[op.outputs[0] if op.type == "PACK" else op.inputs[0]]
    return SimpleNamespace(axis=a, count=count, outer=outer, chunk=chunk,
                           elem=big.dtype.itemsize)


def simulate(op, model, params, inputs):
    if op.type == "PACK":
        return [np.stack([np.asarray(x) for x in inputs], axis=params.axis)]
    x = np.asarray(inputs[0])
    return [np.ascontiguousarray(np.take(x, k, axis=params.axis)) for k in range(params.count)]


def emit(op, model, params, cg) -> str:
    chunk_bytes = params.chunk * params.elem
    lines = []
    if op.type == "PACK":
        cg.use_kernel("pack")
        out = cg.ptr(op.outputs[0])
        for k, t in enumerate(op.inputs):
            if params.outer == 1 and is_view(cg, t, op.outputs[0], k * chunk_bytes):
                continue    # its producer wrote it in place
            lines.append(f"tflm_pack_bytes({cg.ptr(t)}, (uint8_t *)(void *){out} + "
                         f"{k * chunk_bytes}, {params.outer}, {chunk_bytes}, "
                         f"{params.count * chunk_bytes});")
        return "\n".join(lines)
    cg.use_kernel("gather_bytes")
    for k, t in enumerate(op.outputs):
        if params.outer == 1 and is_view(cg, t, op.inputs[0], k * chunk_bytes):
            continue    # planned as a view of the input
        name = cg.param_struct("tflm_gather_bytes_params_t",
                               {"num_dims": 2, "offset": k * chunk_bytes,
                                "out_dims": c_array([params.outer, chunk_bytes]),
                                "in_steps": c_array([params.count * chunk_bytes, 1])},
                               f"unpack_{op.index}_{k}")
        lines.append(f"tflm_gather_bytes(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(t)});")
    return "\n".join(lines)
