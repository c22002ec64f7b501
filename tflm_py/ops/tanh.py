"""TANH room: int8 -> int8 (the kernel assumes output scale 1/128, zero point 0; TFLM does
not check the output quantization and neither do we: we compute exactly what it computes),
and int16 -> int16 (zero points 0, output scale 2^-15: TFLM's table-interpolation path, see
_lut16.py).

TFLM micro (tanh.cc + reference_integer_ops::Tanh), gemmlowp fixed point:
- input_multiplier / input_left_shift / input_range_radius exactly as LOGISTIC's.
- d = x - input_zp; d <= -radius -> -128; d >= radius -> 127; otherwise
  q4 = MultiplyByQuantizedMultiplier(d, multiplier, left_shift) (a Q4.27 value),
  out = clamp(RDBPOT(gemmlowp::tanh(q4), 24)) (no output zero point added).
The simulator evaluates that arithmetic for the 256 possible inputs; the C kernel is a lookup
in that generated 256-entry table (exact, and it reads element i before writing element i).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from .. import quant
from . import _lut, _lut16
from .logistic import check_int8_unary, input_radius, input_scaling, is_int16

OPS = ("TANH",)
INPLACE = "elementwise"

_INPUT_INTEGER_BITS = 4
_OUTPUT_FRACTIONAL_BITS = 7


def check(op, model) -> None:
    if is_int16(op, model) and len(op.outputs) == 1:
        _lut16.check_sigmoid_s16(op, model, tanh=True)
        return
    check_int8_unary(op, model)


def macs(op, model) -> int:
    return 0


def lut_for(x_zp: int, mult: int, shift: int, radius: int) -> np.ndarray:
    """The int8 output for every int8 input -128..127, by TFLM's fixed-point arithmetic."""
    d = np.arange(-128, 128, dtype=np.int64) - x_zp
    q4 = quant.multiply_by_quantized_multiplier(d, mult, shift)
    raw = quant.fixedpoint_tanh(q4, _INPUT_INTEGER_BITS)
    out = np.clip(quant.rounding_divide_by_pot(raw, 31 - _OUTPUT_FRACTIONAL_BITS), -128, 127)
    out = np.where(d <= -radius, -128, np.where(d >= radius, 127, out))
    return out.astype(np.int8)


def prepare(op, model):
    if is_int16(op, model):
        return _lut16.prepare_sigmoid_s16(op, model, tanh=True)
    x = model.tensor(op.inputs[0])
    mult, shift = input_scaling(float(x.quantization.scale))
    radius = input_radius(shift)
    zp = x.quantization.zero_point
    return SimpleNamespace(input_zero_point=zp, input_multiplier=mult, input_left_shift=shift,
                           input_range_radius=radius, size=int(x.size),
                           lut=lut_for(zp, mult, shift, radius))


def simulate(op, model, params, inputs):
    if getattr(params, "int16", False):
        return _lut16.simulate_sigmoid_s16(op, model, params, inputs)
    return _lut.simulate(op, model, params, inputs)     # int8: the prepared table


def emit(op, model, params, cg) -> str:
    if getattr(params, "int16", False):
        return _lut16.emit_sigmoid_s16(op, model, params, cg)
    return _lut.emit(op, model, params, cg)
