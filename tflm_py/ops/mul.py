"""MUL: int8 / int16 with broadcasting (up to 6-D) and fused activation;
int32 (see ops/_arith_s32.py).

TFLM (kernels/mul_common.cc, reference integer_ops/mul.h): the product of the two
zero-point-offset inputs is rescaled by one multiplier (in1_scale * in2_scale / out_scale,
computed in double from the float32 scales; it may exceed 1, then the exponent is a left
shift), offset by the output zero point and clamped to the fused activation's range.
int16 requires all zero points to be 0.
"""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _arith_s32
from . import _eltwise as E

OPS = ("MUL",)
INPLACE = "elementwise"


def check(op, model):
    if _arith_s32.is_int32(op, model):
        return _arith_s32.check(op, model)
    E.check_binary_arith(op, model)
    out = model.tensor(op.outputs[0])
    if out.dtype == E.INT16:
        for i, what in ((op.inputs[0], "input 1"), (op.inputs[1], "input 2"),
                        (op.outputs[0], "output")):
            zp = model.tensor(i).quantization.zero_point
            if zp != 0:
                raise UnsupportedError(f"int16 MUL needs zero points of 0 ({what} has {zp})")


def macs(op, model) -> int:
    if _arith_s32.is_int32(op, model):
        return 0
    return model.tensor(op.outputs[0]).size


def prepare(op, model):
    if _arith_s32.is_int32(op, model):
        return {"int32": _arith_s32.prepare(op, model)}
    t1, t2 = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    s1, z1 = E.scale_zp(t1)
    s2, z2 = E.scale_zp(t2)
    so, zo = E.scale_zp(out)
    m, e = quant.quantize_multiplier(s1 * s2 / so)
    act = getattr(op.options, "fused_activation_function", "NONE")
    act_min, act_max = quant.activation_range(act, so, zo, out.dtype)
    return {
        "dtype": out.dtype,
        "input1_offset": -z1, "input2_offset": -z2, "output_offset": zo,
        "output_multiplier": m, "output_shift": e,
        "act_min": act_min, "act_max": act_max,
        "layout": E.broadcast_layout(t1.shape, t2.shape, out.shape),
    }


def simulate(op, model, p, inputs):
    if "int32" in p:
        return _arith_s32.simulate(op, model, p["int32"], inputs)
    out = model.tensor(op.outputs[0])
    a, b = E.broadcast_inputs(inputs[0], inputs[1], out.shape)
    prod = quant.wrap_int32((a + p["input1_offset"]) * (b + p["input2_offset"]))
    y = quant.multiply_by_quantized_multiplier(prod, p["output_multiplier"], p["output_shift"])
    y = y + p["output_offset"]
    return [np.clip(y, p["act_min"], p["act_max"]).astype(out.dtype)]


def emit(op, model, p, cg) -> str:
    if "int32" in p:
        return _arith_s32.emit(op, model, p["int32"], cg)
    cg.use_kernel("mul")
    suffix = "s16" if p["dtype"] == E.INT16 else "s8"
    fields = E.layout_fields(p["layout"])
    for k in ("input1_offset", "input2_offset", "output_offset", "output_multiplier",
              "output_shift", "act_min", "act_max"):
        fields[k] = int(p[k])
    name = cg.param_struct("tflm_mul_params_t", fields, "mul_params")
    return (f"tflm_mul_{suffix}(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.inputs[1])}, "
            f"{cg.ptr(op.outputs[0])});")
