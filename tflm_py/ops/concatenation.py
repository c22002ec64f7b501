"""CONCATENATION room: joins inputs along one axis by copying bytes.

TFLM micro (concatenation.cc + reference Concatenation): fused activation must be NONE; types
float32, int8, int16, int32, int64, bool; at most 10 inputs of at most 6 dims; a negative axis
counts from the end of the output's dims. int8 is NOT requantized: every int8 input must carry
the output's scale and zero point (Prepare rejects anything else), so the op is a plain copy:
for each of the `outer` positions before the axis, input i contributes a contiguous slice of
(its dims from the axis on) elements. With `outer` 1 (unit dims before the axis) each input
is one contiguous block of the output: the op is planned "view" (ops/_views.py), producers
write their inputs straight into the output, and the pieces planned so cost no copy.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._views import is_view
from ._datamove import (input_tensor, one_output, quant_params, require_nonempty,
                        require_same_type, require_type)

OPS = ("CONCATENATION",)
INPLACE = None

_TYPES = ("FLOAT32", "INT8", "INT16", "INT32", "INT64", "BOOL")
_MAX_INPUTS = 10
_MAX_DIMS = 6


def _axis(op, rank: int) -> int:
    axis = int(getattr(op.options, "axis", 0))
    return axis + rank if axis < 0 else axis


def check(op, model) -> None:
    y = one_output(op, model)
    act = getattr(op.options, "fused_activation_function", "NONE")
    if act not in ("NONE", None):
        raise UnsupportedError(f"fused activation {act} is not supported (TFLM requires NONE)")
    n = len(op.inputs)
    if not 1 <= n <= _MAX_INPUTS:
        raise UnsupportedError(f"{n} inputs; TFLM supports 1 to {_MAX_INPUTS}")
    require_type(y, _TYPES, "output")
    require_nonempty(y, "output")
    rank = len(y.shape)
    if rank == 0 or rank > _MAX_DIMS:
        raise UnsupportedError(f"{rank}-D tensors are not supported (TFLM: 1 to {_MAX_DIMS})")
    axis = _axis(op, rank)
    if not 0 <= axis < rank:
        raise UnsupportedError(f"axis {getattr(op.options, 'axis', 0)} is out of range for "
                               f"{rank}-D tensors")
    total = 0
    yq = quant_params(y)
    for k in range(n):
        x = input_tensor(op, model, k)
        require_same_type(x, y, f"input {k}")
        if len(x.shape) != rank:
            raise UnsupportedError(f"input {k} has {len(x.shape)} dims, output has {rank}")
        for d in range(rank):
            if d != axis and x.shape[d] != y.shape[d]:
                raise UnsupportedError(f"input {k} shape {list(x.shape)} does not match output "
                                       f"{list(y.shape)} outside axis {axis}")
        total += x.shape[axis]
        if y.type_name == "INT8" and quant_params(x) != yq:
            raise UnsupportedError(
                f"int8 input {k} quantization (scale {quant_params(x)[0]:g}, zero point "
                f"{quant_params(x)[1]}) differs from the output's (scale {yq[0]:g}, zero point "
                f"{yq[1]}); TFLM does not requantize concatenation inputs")
    if total != y.shape[axis]:
        raise UnsupportedError(f"inputs add up to {total} along axis {axis}, output has "
                               f"{y.shape[axis]}")


def views(op, model):
    """[(input k, output, byte offset)] when every input is a contiguous block."""
    try:
        check(op, model)
    except UnsupportedError:
        return []
    p = prepare(op, model)
    if p.outer != 1:
        return []
    out, off = [], 0
    for t, nbytes in zip(op.inputs, p.copy_bytes):
        out.append((t, op.outputs[0], off))
        off += nbytes
    return out


def inplace(op, model):
    return "view" if views(op, model) else None


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    y = model.tensors[op.outputs[0]]
    rank = len(y.shape)
    axis = _axis(op, rank)
    es = y.dtype.itemsize
    outer = int(np.prod(y.shape[:axis], dtype=np.int64))
    inner = int(np.prod(y.shape[axis + 1:], dtype=np.int64))
    copy_bytes = [int(model.tensors[i].shape[axis]) * inner * es for i in op.inputs]
    return SimpleNamespace(axis=axis, outer=outer, copy_bytes=copy_bytes,
                           out_shape=tuple(y.shape))


def simulate(op, model, params, inputs):
    arrs = [np.asarray(a) for a in inputs]
    return [np.concatenate(arrs, axis=params.axis).reshape(params.out_shape)]


def emit(op, model, params, cg) -> str:
    placed = [is_view(cg, m, c, off) for m, c, off in views(op, model)]
    if any(placed):
        # one contiguous piece per input: copy only the pieces not written in place
        cg.use_kernel("reshape")
        out, lines, off = cg.ptr(op.outputs[0]), [], 0
        for t, nbytes, done in zip(op.inputs, params.copy_bytes, placed):
            if not done:
                lines.append(f"tflm_reshape({cg.ptr(t)}, (uint8_t *)(void *){out} + {off}, "
                             f"{nbytes}u);")
            off += nbytes
        return "\n".join(lines)
    cg.use_kernel("concatenation")
    sizes = cg.const_array("int32_t", params.copy_bytes, f"concatenation_{op.index}_bytes")
    name = cg.param_struct("tflm_concatenation_params_t",
                           {"num_inputs": len(op.inputs), "outer": params.outer,
                            "copy_bytes": sizes}, f"concatenation_{op.index}")
    ins = ", ".join(f"(const void *){cg.ptr(i)}" for i in op.inputs)
    return (f"{{\n    const void *const concat_in[{len(op.inputs)}] = {{{ins}}};\n"
            f"    tflm_concatenation(&{name}, concat_in, {cg.ptr(op.outputs[0])});\n}}")
