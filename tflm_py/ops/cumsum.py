"""CUMSUM: int8 -> int8 along one constant int32 axis, exclusive and reverse options.

TFLM (kernels/cumsum.cc, reference cumsum.h), the ADD-style rescale with a left shift of 20:
each value y = x - input_zero_point becomes s(y) = rescale(y << 20) with the multiplier of
0.5 (input scale over twice the input scale); the running int32 sum starts at s(-input_zero_
point) (the reference's "zero", kept as it is), adds s(y) element by element, and each
output is clamp(rescale(sum, 2 * in_scale / (2^20 * out_scale)) + output_zero_point). The
sum wraps like int32. int16 and int32 are refused by TFLM's kernel (float32 is its other type).
"""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _eltwise as E

OPS = ("CUMSUM",)
# the kernel reads each element before writing it (even exclusive), so the output may take
# the input's buffer
INPLACE = "elementwise"
LEFT_SHIFT = 20


def _axis(op, model) -> int:
    x, a = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    v = int(np.asarray(a.data).ravel()[0])
    return v + len(x.shape) if v < 0 else v


def check(op, model):
    if len(op.inputs) != 2 or len(op.outputs) != 1 or min(op.inputs) < 0:
        raise UnsupportedError("expects inputs (input, axis) and one output")
    x, a, y = model.tensor(op.inputs[0]), model.tensor(op.inputs[1]), model.tensor(op.outputs[0])
    if x.dtype != E.INT8 or y.dtype != E.INT8:
        raise UnsupportedError(f"only int8 -> int8 is supported (TFLM's CUMSUM takes int8 and "
                               f"float32), got {E.type_name(x)} -> {E.type_name(y)}")
    E.require_per_tensor(x, "input")
    E.require_per_tensor(y, "output")
    if a.dtype != np.dtype(np.int32) or not a.is_constant or a.size != 1:
        raise UnsupportedError("axis must be one constant int32 value")
    rank = len(x.shape)
    if rank < 1 or tuple(x.shape) != tuple(y.shape) or any(d <= 0 for d in x.shape):
        raise UnsupportedError(f"input {x.shape} and output {y.shape} must share one "
                               "non-empty shape of rank >= 1")
    v = int(np.asarray(a.data).ravel()[0])
    if not -rank <= v < rank:
        raise UnsupportedError(f"axis {v} is out of range for rank {rank}")
    if _params(op, model)["output_shift"] > 0:
        raise UnsupportedError("output scale is too small for the input scale (TFLM requires "
                               "a rescale multiplier below 1)")


def macs(op, model) -> int:
    return 0


def _params(op, model):
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    si, zi = E.scale_zp(x)
    so, zo = E.scale_zp(y)
    twice = 2.0 * si
    mi, ei = quant.quantize_multiplier(si / twice)
    mo, eo = quant.quantize_multiplier(twice / ((1 << LEFT_SHIFT) * so))
    return {"input_offset": -zi, "output_offset": zo, "input_multiplier": mi,
            "input_shift": ei, "output_multiplier": mo, "output_shift": eo}


def prepare(op, model):
    x = model.tensor(op.inputs[0])
    ax = _axis(op, model)
    shape = [int(d) for d in x.shape]
    p = _params(op, model)
    p.update({"axis": ax, "outer": int(np.prod(shape[:ax], dtype=np.int64)),
              "depth": shape[ax], "inner": int(np.prod(shape[ax + 1:], dtype=np.int64)),
              "exclusive": int(bool(getattr(op.options, "exclusive", False))),
              "reverse": int(bool(getattr(op.options, "reverse", False)))})
    return p


def _scaled(y, p):
    v = quant.wrap_int32(np.asarray(y, dtype=np.int64) << LEFT_SHIFT)
    return quant.multiply_by_quantized_multiplier_smaller_than_one(
        v, p["input_multiplier"], p["input_shift"])


def simulate(op, model, p, inputs):
    out = model.tensor(op.outputs[0])
    x = np.asarray(inputs[0], dtype=np.int64).reshape(p["outer"], p["depth"], p["inner"])
    if p["reverse"]:
        x = x[:, ::-1, :]
    s = _scaled(x + p["input_offset"], p)
    start = _scaled(np.int64(p["input_offset"]), p)
    acc = quant.wrap_int32(np.cumsum(s, axis=1) + start)   # every partial sum is small
    if p["exclusive"]:
        acc = np.concatenate([np.full_like(acc[:, :1], start), acc[:, :-1]], axis=1)
    v = quant.multiply_by_quantized_multiplier_smaller_than_one(
        acc, p["output_multiplier"], p["output_shift"]) + p["output_offset"]
    v = np.clip(v, -128, 127)
    if p["reverse"]:
        v = v[:, ::-1, :]
    return [v.astype(np.int8).reshape(out.shape)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("cumsum")
    fields = {k: p[k] for k in ("outer", "depth", "inner", "exclusive", "reverse",
                                "input_offset", "input_multiplier", "input_shift",
                                "output_multiplier", "output_shift", "output_offset")}
    name = cg.param_struct("tflm_cumsum_params_t", fields, "cumsum_params")
    return f"tflm_cumsum_s8(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
