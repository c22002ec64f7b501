"""REDUCE_MAX and REDUCE_MIN: int8 -> int8 over constant int32 axes (negative / repeated axes
allowed), keep_dims true or false, input rank 1..5.

TFLM (kernels/reduce_common.cc, reference ReduceGeneric): the raw int8 values are compared
(no rescale); the kernel requires input and output to share scale and zero point. int16 and
int32 are refused by TFLM's kernel (float32 is its only other type).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from .mean import _axes, _merge, check_axes_and_shape

OPS = ("REDUCE_MAX", "REDUCE_MIN")
INPLACE = None

MAX_DIMS = 5


def check(op, model) -> None:
    if len(op.inputs) != 2 or len(op.outputs) != 1:
        raise UnsupportedError("expects inputs (input, axis) and one output")
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    if x.dtype != np.dtype(np.int8) or y.dtype != np.dtype(np.int8):
        raise UnsupportedError(f"only int8 -> int8 is supported (TFLM's {op.type} takes int8 "
                               f"and float32), got {x.type_name} -> {y.type_name}")
    qx, qy = x.quantization, y.quantization
    if qx is None or qy is None or len(qx.scales) == 0 or len(qy.scales) == 0:
        raise UnsupportedError("input and output need quantization parameters")
    if np.float32(qx.scale) != np.float32(qy.scale) or qx.zero_point != qy.zero_point:
        raise UnsupportedError("input and output quantization differ; TFLM requires equal "
                               "scale and zero point")
    check_axes_and_shape(op, model)


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x = model.tensor(op.inputs[0])
    axes = _axes(op, model)
    shape = [int(d) for d in x.shape]
    strides = [int(np.prod(shape[i + 1:], dtype=np.int64)) for i in range(len(shape))]
    kept_d, kept_s = _merge([d for i, d in enumerate(shape) if i not in axes],
                            [s for i, s in enumerate(strides) if i not in axes])
    red_d, red_s = _merge([d for i, d in enumerate(shape) if i in axes],
                          [s for i, s in enumerate(strides) if i in axes])
    return SimpleNamespace(axes=tuple(axes), is_min=op.type == "REDUCE_MIN",
                           kept_dims=kept_d, kept_strides=kept_s,
                           reduced_dims=red_d, reduced_strides=red_s)


def simulate(op, model, p, inputs):
    x = np.asarray(inputs[0])
    y = model.tensor(op.outputs[0])
    if p.axes:
        x = x.min(axis=p.axes) if p.is_min else x.max(axis=p.axes)
    return [np.asarray(x, dtype=np.int8).reshape(y.shape)]


def _c_list(values, n=MAX_DIMS) -> str:
    vals = list(values) + [0] * (n - len(values))
    return "{" + ", ".join(str(int(v)) for v in vals) + "}"


def emit(op, model, p, cg) -> str:
    cg.use_kernel("reduce_max_min")
    fields = {
        "is_min": int(p.is_min),
        "kept_n": len(p.kept_dims), "kept_dims": _c_list(p.kept_dims),
        "kept_strides": _c_list(p.kept_strides),
        "reduced_n": len(p.reduced_dims), "reduced_dims": _c_list(p.reduced_dims),
        "reduced_strides": _c_list(p.reduced_strides),
    }
    name = cg.param_struct("tflm_reduce_max_min_params_t", fields, f"{op.type.lower()}_{op.index}")
    return f"tflm_reduce_max_min_s8(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
