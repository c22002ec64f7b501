"""SQUARED_DIFFERENCE: int8 and int16 (quantized, int16 with zero points 0) and int32 tensors,
with broadcasting up to 4-D (any rank up to 6 when the two shapes are equal).

TFLM (squared_difference.cc): both inputs are rescaled to twice the larger input scale after
a left shift (7 for int8, 0 for int16): s_i = RDBPOT(SRDHM((x_i - zp_i) << ls, m_i), -e_i)
with m_i = scale_i / (2 max scale); d = s1 - s2; out = MultiplyByQuantizedMultiplier(d * d,
(2 max scale)^2 / (2^(2 ls) out_scale)) + out_zp, saturated. int32: (a - b)^2, wrapping.
"""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _eltwise as E

OPS = ("SQUARED_DIFFERENCE",)
INPLACE = "elementwise"
INT32 = np.dtype(np.int32)
BROADCAST_RANK = 4


def check(op, model):
    E.require_inputs(op, 2)
    t1, t2 = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    if out.dtype not in (E.INT8, E.INT16, INT32):
        raise UnsupportedError(f"only int8, int16 and int32 tensors are supported, output is "
                               f"{E.type_name(out)}")
    for t, what in ((t1, "input 1"), (t2, "input 2")):
        if t.dtype != out.dtype:
            raise UnsupportedError(f"{what} is {E.type_name(t)} but the output is "
                                   f"{E.type_name(out)}; all tensors must share one type")
    if out.dtype != INT32:
        for t, what in ((t1, "input 1"), (t2, "input 2"), (out, "output")):
            E.require_per_tensor(t, what)
            if out.dtype == E.INT16 and t.quantization.zero_point != 0:
                raise UnsupportedError(f"int16 {what} has zero point "
                                       f"{t.quantization.zero_point}; TFLM requires zero points "
                                       "of 0 for int16")
    E.check_binary_shapes(op, model)
    if tuple(t1.shape) != tuple(t2.shape) and max(len(t1.shape), len(t2.shape),
                                                   len(out.shape)) > BROADCAST_RANK:
        raise UnsupportedError(f"broadcasting {t1.shape} with {t2.shape}: TFLM broadcasts at "
                               f"most {BROADCAST_RANK} dimensions here")


def macs(op, model) -> int:
    return model.tensor(op.outputs[0]).size


def prepare(op, model):
    t1, t2 = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    p = {"layout": E.broadcast_layout(t1.shape, t2.shape, out.shape), "dtype": out.dtype.name,
         "input1_offset": 0, "input2_offset": 0, "output_offset": 0, "left_shift": 0,
         "input1_multiplier": 0, "input1_shift": 0, "input2_multiplier": 0, "input2_shift": 0,
         "output_multiplier": 0, "output_shift": 0}
    if out.dtype == INT32:
        return p
    s1, z1 = E.scale_zp(t1)
    s2, z2 = E.scale_zp(t2)
    so, zo = E.scale_zp(out)
    ls = 7 if out.dtype == E.INT8 else 0
    twice_max = 2.0 * float(max(np.float32(s1), np.float32(s2)))
    p["input1_multiplier"], p["input1_shift"] = quant.quantize_multiplier(s1 / twice_max)
    p["input2_multiplier"], p["input2_shift"] = quant.quantize_multiplier(s2 / twice_max)
    # (1 << 2 ls) * out_scale is a float32 product in TFLM (exact: a power of two)
    denom = float(np.float32(1 << (2 * ls)) * np.float32(so))
    p["output_multiplier"], p["output_shift"] = quant.quantize_multiplier(
        twice_max * twice_max / denom)
    p.update(input1_offset=-z1, input2_offset=-z2, output_offset=zo, left_shift=ls)
    return p


def simulate(op, model, p, inputs):
    out = model.tensor(op.outputs[0])
    a, b = E.broadcast_inputs(inputs[0], inputs[1], out.shape)
    if out.dtype == INT32:
        d = (quant.wrap_int32(a - b) & 0xFFFFFFFF).astype(np.uint64)
        sq = ((d * d) & np.uint64(0xFFFFFFFF)).astype(np.int64)
        return [quant.wrap_int32(sq).astype(np.int32)]
    smaller = quant.multiply_by_quantized_multiplier_smaller_than_one
    x1 = (a + p["input1_offset"]) << p["left_shift"]
    x2 = (b + p["input2_offset"]) << p["left_shift"]
    d = (smaller(x1, p["input1_multiplier"], p["input1_shift"])
         - smaller(x2, p["input2_multiplier"], p["input2_shift"]))
    r = quant.multiply_by_quantized_multiplier(quant.wrap_int32(d * d), p["output_multiplier"],
                                               p["output_shift"]) + p["output_offset"]
    return [quant.saturate(r, out.dtype)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("squared_difference")
    fields = E.layout_fields(p["layout"])
    fields.update({k: int(p[k]) for k in (
        "input1_offset", "input2_offset", "output_offset", "left_shift", "input1_multiplier",
        "input1_shift", "input2_multiplier", "input2_shift", "output_multiplier",
        "output_shift")})
    name = cg.param_struct("tflm_squared_difference_params_t", fields, "sqdiff_params")
    suffix = {"int8": "s8", "int16": "s16", "int32": "s32"}[p["dtype"]]
    return (f"tflm_squared_difference_{suffix}(&{name}, {cg.ptr(op.inputs[0])}, "
            f"{cg.ptr(op.inputs[1])}, {cg.ptr(op.outputs[0])});")
