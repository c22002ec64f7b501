"""LOGISTIC room: int8 -> int8 (output zero point -128, as TFLM requires; the kernel assumes
the output scale 1/256), and int16 -> int16 (zero points 0, output scale 2^-15: TFLM's
table-interpolation path, see _lut16.py).

TFLM micro (logistic_common.cc + reference_integer_ops::Logistic), gemmlowp fixed point:
- input_multiplier / input_left_shift = frexp(double(input_scale) * 2^27), mantissa rounded
  to Q31 (std::round); input_range_radius = floor(15 * 2^27 / 2^input_left_shift).
- d = x - input_zp; d <= -radius -> -128; d >= radius -> 127; otherwise
  q4 = MultiplyByQuantizedMultiplier(d, multiplier, left_shift) (a Q4.27 value),
  out = clamp(RDBPOT(gemmlowp::logistic(q4), 23) - 128).
The simulator evaluates that arithmetic for the 256 possible inputs; the C kernel is a lookup
in that generated 256-entry table (exact, and it reads element i before writing element i).
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from .. import quant
from . import _lut, _lut16

OPS = ("LOGISTIC",)
INPLACE = "elementwise"

_INPUT_INTEGER_BITS = 4


def check_int8_unary(op, model) -> None:
    """Shared by LOGISTIC and TANH: one int8 input, one int8 output of the same shape."""
    if len(op.inputs) != 1 or len(op.outputs) != 1:
        raise UnsupportedError("expects one input and one output")
    x = model.tensor(op.inputs[0])
    y = model.tensor(op.outputs[0])
    if x is None or y is None:
        raise UnsupportedError("input or output tensor is missing")
    if x.dtype != np.dtype(np.int8) or y.dtype != np.dtype(np.int8):
        raise UnsupportedError(f"only int8 -> int8 is supported, got {x.type_name} -> "
                               f"{y.type_name}")
    for t, what in ((x, "input"), (y, "output")):
        if t.quantization is None or len(t.quantization.scales) == 0:
            raise UnsupportedError(f"{what} tensor has no quantization parameters")
    if x.size != y.size:
        raise UnsupportedError("input and output must have the same number of elements")
    _, shift = input_scaling(float(x.quantization.scale))
    if shift < 0:
        raise UnsupportedError(f"input scale {x.quantization.scale:g} is too small")


def input_scaling(scale: float) -> tuple[int, int]:
    """(input_multiplier, input_left_shift): frexp of input_scale * 2^(31 - 4), Q31 mantissa."""
    real = float(np.float32(scale)) * float(1 << (31 - _INPUT_INTEGER_BITS))
    q, shift = math.frexp(real)
    mult = int(math.floor(abs(q) * (1 << 31) + 0.5)) * (1 if q >= 0 else -1)
    return mult, shift


def input_radius(left_shift: int) -> int:
    """CalculateInputRadius(4, left_shift, 31)."""
    return math.floor(((1 << _INPUT_INTEGER_BITS) - 1) * float(1 << (31 - _INPUT_INTEGER_BITS))
                      / float(1 << left_shift))


def is_int16(op, model) -> bool:
    x = model.tensor(op.inputs[0]) if len(op.inputs) == 1 else None
    return x is not None and x.dtype == np.dtype(np.int16)


def check(op, model) -> None:
    if is_int16(op, model) and len(op.outputs) == 1:
        _lut16.check_sigmoid_s16(op, model, tanh=False)
        return
    check_int8_unary(op, model)
    y = model.tensor(op.outputs[0])
    if y.quantization.zero_point != -128:
        raise UnsupportedError("int8 output must have zero point -128 (TFLM requires it)")


def macs(op, model) -> int:
    return 0


def lut_for(x_zp: int, mult: int, shift: int, radius: int) -> np.ndarray:
    """The int8 output for every int8 input -128..127, by TFLM's fixed-point arithmetic."""
    d = np.arange(-128, 128, dtype=np.int64) - x_zp
    q4 = quant.multiply_by_quantized_multiplier(d, mult, shift)
    raw = quant.fixedpoint_logistic(q4, _INPUT_INTEGER_BITS)
    out = np.clip(quant.rounding_divide_by_pot(raw, 31 - 8) - 128, -128, 127)
    out = np.where(d <= -radius, -128, np.where(d >= radius, 127, out))
    return out.astype(np.int8)


def prepare(op, model):
    if is_int16(op, model):
        return _lut16.prepare_sigmoid_s16(op, model, tanh=False)
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
