"""ADD (and the shared arithmetic of SUB): int8 / int16, broadcasting up to 6-D, fused activation;
int32 (unquantized index arithmetic, see ops/_arith_s32.py).

TFLM's quantised add/sub (kernels/add_common.cc, sub_common.cc, reference integer_ops/add.h):
both inputs are offset by their zero points, shifted left by `left_shift` (20 for int8,
15 for int16) and rescaled to a common scale of twice the larger input scale with
multipliers < 1; the sum (or difference) is rescaled to the output scale, offset by the output
zero point and clamped to the fused activation's range. The multipliers come from double
precision ratios of the float32 scales. Every rescale is MultiplyByQuantizedMultiplier with a
non-positive exponent (SRDHM then a rounding right shift).
"""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _arith_s32
from . import _eltwise as E

OPS = ("ADD",)
INPLACE = "elementwise"


def check_arith(op, model):
    if _arith_s32.is_int32(op, model):
        return _arith_s32.check(op, model)
    E.check_binary_arith(op, model)
    p = _arith_params(op, model, subtract=False)
    if p["output_shift"] > 0 or p["input1_shift"] > 0 or p["input2_shift"] > 0:
        raise UnsupportedError("output scale is too small for the input scales (TFLM requires "
                               "a rescale multiplier below 1)")


def _arith_params(op, model, subtract: bool) -> dict:
    t1, t2 = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    s1, z1 = E.scale_zp(t1)
    s2, z2 = E.scale_zp(t2)
    so, zo = E.scale_zp(out)
    left_shift = 15 if out.dtype == E.INT16 else 20
    twice_max = 2.0 * max(s1, s2)  # float32 scales widened to double, as TFLM
    m1, e1 = quant.quantize_multiplier(s1 / twice_max)
    m2, e2 = quant.quantize_multiplier(s2 / twice_max)
    mo, eo = quant.quantize_multiplier(twice_max / ((1 << left_shift) * so))
    act = getattr(op.options, "fused_activation_function", "NONE")
    act_min, act_max = quant.activation_range(act, so, zo, out.dtype)
    return {
        "dtype": out.dtype,
        "input1_offset": -z1, "input2_offset": -z2, "output_offset": zo,
        "left_shift": left_shift,
        "input1_multiplier": m1, "input1_shift": e1,
        "input2_multiplier": m2, "input2_shift": e2,
        "output_multiplier": mo, "output_shift": eo,
        "act_min": act_min, "act_max": act_max,
        "subtract": int(subtract),
    }


def prepare_arith(op, model, subtract: bool) -> dict:
    if _arith_s32.is_int32(op, model):
        return {"int32": _arith_s32.prepare(op, model)}
    p = _arith_params(op, model, subtract)
    t1, t2 = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    p["layout"] = E.broadcast_layout(t1.shape, t2.shape, out.shape)
    return p


def simulate_arith(op, model, p, inputs):
    if "int32" in p:
        return _arith_s32.simulate(op, model, p["int32"], inputs)
    out = model.tensor(op.outputs[0])
    a, b = E.broadcast_inputs(inputs[0], inputs[1], out.shape)
    sm = quant.multiply_by_quantized_multiplier_smaller_than_one
    a = sm((a + p["input1_offset"]) << p["left_shift"], p["input1_multiplier"], p["input1_shift"])
    b = sm((b + p["input2_offset"]) << p["left_shift"], p["input2_multiplier"], p["input2_shift"])
    raw = a - b if p["subtract"] else a + b
    y = sm(raw, p["output_multiplier"], p["output_shift"]) + p["output_offset"]
    return [np.clip(y, p["act_min"], p["act_max"]).astype(out.dtype)]


def emit_arith(op, model, p, cg) -> str:
    if "int32" in p:
        return _arith_s32.emit(op, model, p["int32"], cg)
    cg.use_kernel("add")
    suffix = "s16" if p["dtype"] == E.INT16 else "s8"
    fields = E.layout_fields(p["layout"])
    for k in ("input1_offset", "input2_offset", "output_offset", "left_shift",
              "input1_multiplier", "input1_shift", "input2_multiplier", "input2_shift",
              "output_multiplier", "output_shift", "act_min", "act_max", "subtract"):
        fields[k] = int(p[k])
    hint = "sub_params" if p["subtract"] else "add_params"
    name = cg.param_struct("tflm_add_params_t", fields, hint)
    return (f"tflm_add_{suffix}(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.inputs[1])}, "
            f"{cg.ptr(op.outputs[0])});")


# ---- the room interface

def check(op, model):
    check_arith(op, model)


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    return prepare_arith(op, model, subtract=False)


def simulate(op, model, params, inputs):
    return simulate_arith(op, model, params, inputs)


def emit(op, model, params, cg) -> str:
    return emit_arith(op, model, params, cg)
