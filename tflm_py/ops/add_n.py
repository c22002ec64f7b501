"""ADD_N: the element-wise sum of two or more int8 tensors of one shape and one quantization.

TFLM (kernels/add_n.cc, reference add_n.h), the ADD-style rescale with a left shift of 20:
each value y = x - zero_point becomes s(y) = rescale(y << 20) with the multiplier of 0.5; the
int32 sum starts at s(-zero_point) (the reference's "zero", kept as it is) and adds s(y) of
every input; the output is clamp(rescale(sum, 2 * in_scale / (2^20 * out_scale)) +
output_zero_point). TFLM takes int8 (and float32) only, all inputs sharing scale and zero point.
"""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _eltwise as E

OPS = ("ADD_N",)
# the kernel reads every input at an element before writing it
INPLACE = "elementwise"
LEFT_SHIFT = 20


def check(op, model):
    if len(op.inputs) < 2 or len(op.outputs) != 1 or min(op.inputs) < 0:
        raise UnsupportedError("expects two or more inputs and one output")
    ts = [model.tensor(i) for i in op.inputs]
    y = model.tensor(op.outputs[0])
    for t in ts + [y]:
        if t.dtype != E.INT8:
            raise UnsupportedError(f"only int8 is supported (TFLM's ADD_N takes int8 and "
                                   f"float32), tensor '{t.name}' is {E.type_name(t)}")
        E.require_per_tensor(t, f"tensor '{t.name}'")
        if tuple(t.shape) != tuple(ts[0].shape) or any(d <= 0 for d in t.shape):
            raise UnsupportedError("all inputs and the output must share one non-empty shape")
    q0 = ts[0].quantization
    for t in ts[1:]:
        if np.float32(t.quantization.scale) != np.float32(q0.scale) or \
                t.quantization.zero_point != q0.zero_point:
            raise UnsupportedError("inputs differ in quantization; TFLM requires one scale "
                                   "and zero point for all inputs")
    if prepare(op, model)["output_shift"] > 0:
        raise UnsupportedError("output scale is too small for the input scale (TFLM requires "
                               "a rescale multiplier below 1)")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    si, zi = E.scale_zp(x)
    so, zo = E.scale_zp(y)
    twice = 2.0 * si
    mi, ei = quant.quantize_multiplier(si / twice)
    mo, eo = quant.quantize_multiplier(twice / ((1 << LEFT_SHIFT) * so))
    return {"size": y.size, "count": len(op.inputs), "input_offset": -zi, "output_offset": zo,
            "input_multiplier": mi, "input_shift": ei,
            "output_multiplier": mo, "output_shift": eo}


def _scaled(y, p):
    v = quant.wrap_int32(np.asarray(y, dtype=np.int64) << LEFT_SHIFT)
    return quant.multiply_by_quantized_multiplier_smaller_than_one(
        v, p["input_multiplier"], p["input_shift"])


def simulate(op, model, p, inputs):
    out = model.tensor(op.outputs[0])
    acc = _scaled(np.int64(p["input_offset"]), p) + np.zeros(out.shape, dtype=np.int64)
    for x in inputs:
        acc = quant.wrap_int32(acc + _scaled(np.asarray(x, dtype=np.int64) + p["input_offset"], p))
    v = quant.multiply_by_quantized_multiplier_smaller_than_one(
        acc, p["output_multiplier"], p["output_shift"]) + p["output_offset"]
    return [np.clip(v, -128, 127).astype(np.int8).reshape(out.shape)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("add_n")
    fields = {k: p[k] for k in ("size", "count", "input_offset", "input_multiplier",
                                "input_shift", "output_multiplier", "output_shift",
                                "output_offset")}
    name = cg.param_struct("tflm_add_n_params_t", fields, "add_n_params")
    ptrs = ",\n    ".join(f"(const int8_t *){cg.ptr(i)}" for i in op.inputs)
    arr = f"{name}_inputs"
    return (f"{{\n    const int8_t *const {arr}[{len(op.inputs)}] = {{\n    {ptrs},\n    }};\n"
            f"    tflm_add_n_s8(&{name}, {arr}, {cg.ptr(op.outputs[0])});\n}}")
