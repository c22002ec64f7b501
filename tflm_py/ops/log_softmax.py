"""LOG_SOFTMAX: int8 -> int8 over the last dimension; the output scale is 16/256 and its zero
point 127, as TFLM requires (its kernel takes float32 and int8).

TFLM (log_softmax.cc, reference_ops::LogSoftmaxQuantized, gemmlowp fixed point): with
(M, s) = PreprocessSoftmaxScaling(1.0, in_scale, 5) and diff_min = -CalculateInputRadius(5, s),
per row: diff = x - max; the sum over diff >= diff_min of exp_on_negative_values(
MultiplyByQuantizedMultiplier(diff, M, s)) rescaled to Q12.19; L = log(sum) in Q5.26
(log_x_for_x_greater_than_or_equal_to_1); a threshold max(diff_min - 1,
MultiplyByQuantizedMultiplier(L + INT32_MIN, reverse divisor)); above it
out = RDBPOT(MBQM(diff, M, s) - L, 22) + 127 clamped, otherwise -128.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _eltwise as E
from . import _fixedpoint as F

OPS = ("LOG_SOFTMAX",)
INPLACE = None     # a row is read three times
_IN_BITS = 5
_ACC_BITS = 12
_OUT_BITS = 4


def _scaling(scale: float):
    real = min(float(scale) * float(1 << (31 - _IN_BITS)), (1 << 31) - 1.0)
    return quant.quantize_multiplier(real)


def check(op, model):
    E.require_inputs(op, 1)
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    for t, what in ((x, "input"), (y, "output")):
        if t.dtype != E.INT8:
            raise UnsupportedError(f"only int8 is supported (TFLM's LOG_SOFTMAX takes float32 "
                                   f"and int8), {what} is {E.type_name(t)}")
        E.require_per_tensor(t, what)
    if len(x.shape) < 1 or tuple(x.shape) != tuple(y.shape):
        raise UnsupportedError(f"input {x.shape} and output {y.shape} must be equal, rank >= 1")
    q = y.quantization
    if np.float32(q.scale) != np.float32(16.0 / 256) or q.zero_point != 127:
        raise UnsupportedError("int8 output must have scale 16/256 and zero point 127 (TFLM "
                               "requires it)")
    _, shift = _scaling(x.quantization.scale)
    if shift < 1:
        raise UnsupportedError(f"input scale {x.quantization.scale:g} is too small for TFLM's "
                               "log-softmax scaling")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x = model.tensor(op.inputs[0])
    mult, shift = _scaling(x.quantization.scale)
    rev_div, rev_shift = quant.quantize_multiplier((1 << (31 - shift)) / float(mult))
    radius = math.floor(((1 << _IN_BITS) - 1) * float(1 << (31 - _IN_BITS)) / float(1 << shift))
    depth = int(x.shape[-1])
    return SimpleNamespace(outer=int(x.size) // depth, depth=depth, input_multiplier=mult,
                           input_left_shift=shift, reverse_divisor=rev_div,
                           reverse_shift=rev_shift, diff_min=-radius)


def simulate(op, model, p, inputs):
    y = model.tensor(op.outputs[0])
    x = np.asarray(inputs[0], dtype=np.int64).reshape(p.outer, p.depth)
    diff = x - x.max(axis=1, keepdims=True)
    d5 = quant.multiply_by_quantized_multiplier(diff, p.input_multiplier, p.input_left_shift)
    e = quant.saturating_rounding_multiply_by_pot(
        quant.exp_on_negative_values(d5, _IN_BITS), -_ACC_BITS)
    total = quant.wrap_int32(np.where(diff >= p.diff_min, e, 0).sum(axis=1, keepdims=True))
    log_sum = F.log_x_ge_1(total, _IN_BITS, _ACC_BITS)
    limit = np.maximum(p.diff_min - 1, quant.multiply_by_quantized_multiplier(
        quant.wrap_int32(log_sum + quant.INT32_MIN), p.reverse_divisor, p.reverse_shift))
    out = quant.rounding_divide_by_pot(quant.wrap_int32(d5 - log_sum),
                                       31 - _IN_BITS - _OUT_BITS) + 127
    out = np.where(diff > limit, np.clip(out, -128, 127), -128)
    return [out.astype(np.int8).reshape(y.shape)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("log_softmax")
    cg.use_kernel("fixedpoint_math")
    fields = {k: int(getattr(p, k)) for k in ("outer", "depth", "input_multiplier",
                                              "input_left_shift", "reverse_divisor",
                                              "reverse_shift", "diff_min")}
    name = cg.param_struct("tflm_log_softmax_params_t", fields, "log_softmax_params")
    return f"tflm_log_softmax_s8(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
