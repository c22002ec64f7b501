"""HARD_SWISH on int8 tensors with TFLM's int16 fixed-point path
(kernels/hard_swish_common.cc, reference/hard_swish.h).

The input (minus its zero point) is moved to a 'high resolution' int16 scale (x128). One
branch rescales it to the output scale (int16 multiplier, exponent <= 0 applied last); the
other maps [-3, 3] onto a [0, 1] int16 fixed-point 'relu-ish' factor (saturating shifts,
int16 multiplier). Their product (non-rounding doubling high multiply) is shifted right,
offset by the output zero point and clamped to int8. The int16 multipliers are the int32
QuantizeMultiplier results rounded to 16 bits; the scale ratios are evaluated in float32.
"""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _eltwise as E

OPS = ("HARD_SWISH",)
INPLACE = "elementwise"

_I16_MIN, _I16_MAX = -(1 << 15), (1 << 15) - 1


def check(op, model):
    E.require_inputs(op, 1)
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    for t, what in ((x, "input"), (y, "output")):
        if t.dtype != E.INT8:
            raise UnsupportedError(f"only int8 is supported, {what} is {E.type_name(t)} "
                                   "(TFLM's HARD_SWISH kernel runs int8 only; it fails on "
                                   "int16 with 'Unsupported type INT16')")
        E.require_per_tensor(t, what)
    if x.size != y.size:
        raise UnsupportedError(f"input shape {x.shape} and output shape {y.shape} differ in size")
    p = prepare(op, model)
    if p["output_exponent"] > 0:
        raise UnsupportedError("output scale must exceed input scale / 128 (TFLM requires a "
                               "non-positive output exponent)")
    if p["output_exponent"] < -14:
        raise UnsupportedError("output scale is too large for the input scale (int16 "
                               "fixed-point shift beyond 14 bits)")
    if not -14 <= p["reluish_exponent"] <= 30:
        raise UnsupportedError(f"input scale {x.quantization.scale} is outside the supported "
                               "range of the int16 fixed-point path")


def macs(op, model) -> int:
    return 0


def _to_int16_multiplier(m32: int) -> int:
    """TFLM DownScaleInt32ToInt16Multiplier: round a Q31 multiplier to Q15."""
    if m32 >= (1 << 31) - 1 - (1 << 15):
        return _I16_MAX
    return (m32 + (1 << 15)) >> 16


def prepare(op, model):
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    si, zi = E.scale_zp(x)
    so, zo = E.scale_zp(y)
    f32 = np.float32
    hires_scale = f32(1.0 / 128.0) * f32(si)
    reluish_scale = f32(3.0 / 32768.0)
    m_out, e_out = quant.quantize_multiplier(float(hires_scale / f32(so)))
    m_rel, e_rel = quant.quantize_multiplier(float(hires_scale / reluish_scale))
    return {"size": x.size, "input_offset": zi, "output_offset": zo,
            "output_multiplier": _to_int16_multiplier(m_out), "output_exponent": e_out,
            "reluish_multiplier": _to_int16_multiplier(m_rel), "reluish_exponent": e_rel}


# ---- int16 fixed-point helpers (gemmlowp on int16), element-wise on int64 arrays

def _srdhm16(a, b):
    """SaturatingRoundingDoublingHighMul on int16 values."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    s = ab + np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    r = np.where(s >= 0, s >> 15, -((-s) >> 15))  # C division truncates toward zero
    return np.where((a == _I16_MIN) & (b == _I16_MIN), _I16_MAX, _wrap16(r))


def _sdhm16(a, b):
    """SaturatingDoublingHighMul (truncating, no rounding nudge) on int16 values."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    r = np.where(ab >= 0, ab >> 15, -((-ab) >> 15))
    return np.where((a == _I16_MIN) & (b == _I16_MIN), _I16_MAX, _wrap16(r))


def _sat_shl16(v, amount):
    return np.clip(np.asarray(v, dtype=np.int64) << amount, _I16_MIN, _I16_MAX)


def _wrap16(v):
    return ((np.asarray(v, dtype=np.int64) + (1 << 15)) & 0xFFFF) - (1 << 15)


def simulate(op, model, p, inputs):
    y = model.tensor(op.outputs[0])
    v = np.asarray(inputs[0], dtype=np.int64).reshape(y.shape) - p["input_offset"]
    hires = v * 128
    pre_out = _srdhm16(hires, p["output_multiplier"])
    e = p["reluish_exponent"]
    r = hires
    if e > 0:
        r = _sat_shl16(r, e - 1)
    r = _srdhm16(r, p["reluish_multiplier"])
    if e > 0:
        r = _sat_shl16(r, 1)
    elif e < 0:
        r = quant.rounding_divide_by_pot(r, -e)
    r = (r + (1 << 15)) >> 1
    out = _sdhm16(r, pre_out)
    out = quant.rounding_divide_by_pot(out, -p["output_exponent"])
    out = _wrap16(out + p["output_offset"])
    return [np.clip(out, -128, 127).astype(np.int8)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("hard_swish")
    fields = {k: int(p[k]) for k in ("size", "input_offset", "output_offset", "output_multiplier",
                                     "output_exponent", "reluish_multiplier", "reluish_exponent")}
    name = cg.param_struct("tflm_hard_swish_params_t", fields, "hard_swish_params")
    return f"tflm_hard_swish_s8(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
