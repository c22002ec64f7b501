"""PAD, PADV2 room: surrounds the input with a constant value.

TFLM micro (pad.cc / pad_common.cc + reference Pad): input up to 5 dims; paddings a constant
INT32 tensor of 2 * rank values (before, after per dim), output dim = input dim + before +
after; types float32, int8, int16, int32. The pad value is the optional third input (same
type, one element; for int8 its scale and zero point must equal the output's), otherwise the
output zero point for int8 and 0 for the other types. The reference loop walks the output in
order and copies the input sequentially, so only non-negative paddings make sense (negative
ones are rejected here). The int8 data are copied as they are (no requantization).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from ._datamove import (C_TYPES, c_array, const_int32, input_tensor, one_output, quant_params,
                        require_nonempty, require_same_type, require_type)

OPS = ("PAD", "PADV2")
INPLACE = None

_TYPES = ("FLOAT32", "INT8", "INT16", "INT32")
_MAX_DIMS = 5
_C_MAX_DIMS = 6  # TFLM_PAD_MAX_DIMS


def _has_value_input(op) -> bool:
    return len(op.inputs) == 3


def _paddings(op, model) -> np.ndarray:
    y = model.tensors[op.outputs[0]]
    p = const_int32(op, model, 1, "paddings")
    if p.size != 2 * len(y.shape):
        raise UnsupportedError(f"paddings has {p.size} values, expected {2 * len(y.shape)} "
                               f"(two per output dim)")
    return p.reshape(len(y.shape), 2)


def check(op, model) -> None:
    if len(op.inputs) not in (2, 3):
        raise UnsupportedError(f"expects 2 or 3 inputs, got {len(op.inputs)}")
    y = one_output(op, model)
    x = input_tensor(op, model, 0)
    require_type(x, _TYPES, "input")
    require_same_type(x, y)
    require_nonempty(x, "input")
    require_nonempty(y, "output")
    if len(x.shape) > _MAX_DIMS:
        raise UnsupportedError(f"{len(x.shape)}-D input; TFLM PAD supports at most {_MAX_DIMS}")
    if len(x.shape) != len(y.shape):
        raise UnsupportedError(f"input {list(x.shape)} and output {list(y.shape)} differ in rank")
    if _has_value_input(op):
        v = input_tensor(op, model, 2, "constant value")
        require_same_type(v, x, "constant value", "input")
        if v.size != 1:
            raise UnsupportedError(f"constant value must be a single element, has {v.size}")
        if x.type_name == "INT8" and quant_params(v) != quant_params(y):
            raise UnsupportedError("int8 constant value must have the output's scale and "
                                   "zero point (TFLM requires it)")
    pads = _paddings(op, model)
    if (pads < 0).any():
        raise UnsupportedError(f"negative paddings {pads.tolist()} are not supported")
    for d in range(len(y.shape)):
        if y.shape[d] != x.shape[d] + pads[d, 0] + pads[d, 1]:
            raise UnsupportedError(f"output dim {d} is {y.shape[d]}, expected input "
                                   f"{x.shape[d]} + paddings {pads[d].tolist()}")
    if y.type_name == "INT8" and not _has_value_input(op):
        zp = quant_params(y)[1]
        if not -128 <= zp <= 127:
            raise UnsupportedError(f"output zero point {zp} is outside the int8 range")


def macs(op, model) -> int:
    return 0


def _collapse(out_shape, pads, elem_size):
    """Merge dims whose inner neighbour is unpadded and drop unpadded unit dims; the innermost
    dim counts bytes. Returns (out_dims, before, after)."""
    dims = [[int(o), int(b), int(a)] for o, (b, a) in zip(out_shape, pads)]
    dims.append([elem_size, 0, 0])
    dims = [d for d in dims[:-1] if not (d[0] == 1 and d[1] == 0 and d[2] == 0)] + [dims[-1]]
    merged = [dims[-1]]
    for d in reversed(dims[:-1]):
        inner = merged[0]
        if inner[1] == 0 and inner[2] == 0:
            merged[0] = [d[0] * inner[0], d[1] * inner[0], d[2] * inner[0]]
        else:
            merged.insert(0, d)
    return ([m[0] for m in merged], [m[1] for m in merged], [m[2] for m in merged])


def prepare(op, model):
    y = model.tensors[op.outputs[0]]
    pads = _paddings(op, model)
    es = y.dtype.itemsize
    out_dims, before, after = _collapse(y.shape, pads, es)
    if len(out_dims) > _C_MAX_DIMS:
        raise UnsupportedError("too many padded dims")  # cannot happen with <= 5 dims
    value = None
    if not _has_value_input(op):
        value = quant_params(y)[1] if y.type_name == "INT8" else 0
    else:
        v = model.tensors[op.inputs[2]]
        if v.is_constant:
            value = np.asarray(v.data).reshape(-1)[0]
    return SimpleNamespace(pads=[(int(b), int(a)) for b, a in pads], out_dims=out_dims,
                           before=before, after=after, elem_size=es, value=value,
                           dtype=y.dtype, type_name=y.type_name)


def simulate(op, model, params, inputs):
    x = np.asarray(inputs[0])
    if _has_value_input(op):
        value = np.asarray(inputs[2]).reshape(-1)[0]
    else:
        value = params.value
    value = np.asarray(value).astype(params.dtype)
    return [np.pad(x, params.pads, mode="constant", constant_values=value).astype(params.dtype)]


def emit(op, model, params, cg) -> str:
    cg.use_kernel("pad")
    name = cg.param_struct("tflm_pad_params_t",
                           {"num_dims": len(params.out_dims),
                            "out_dims": c_array(params.out_dims),
                            "before": c_array(params.before),
                            "after": c_array(params.after),
                            "elem_size": params.elem_size}, f"pad_{op.index}")
    if _has_value_input(op):
        value = cg.ptr(op.inputs[2])
    else:
        ctype = C_TYPES[params.type_name]
        v = float(params.value) if params.type_name == "FLOAT32" else int(params.value)
        value = cg.const_array(ctype, [v], f"pad_{op.index}_value")
    return (f"tflm_pad(&{name}, {cg.ptr(op.inputs[0])}, {value}, "
            f"{cg.ptr(op.outputs[0])});")
