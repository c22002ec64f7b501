"""RSQRT: int8 -> int8 (a 256-entry table) and int16 -> int16 (zero points 0), as TFLM's
elementwise.cc RsqrtEvalQuantized.

TFLM: v = x - in_zp; v == 0 gives the type's maximum; otherwise (m, e) =
GetInvSqrtQuantizedMultiplierExp(v), data = MultiplyByQuantizedMultiplier(1, m, e + 20) and
out = MultiplyByQuantizedMultiplier(data, M, E - 20) + out_zp, saturated, where (M, E) quantizes
1 / (sqrt(in_scale) * out_scale). TFLM fails the invoke for an input below its zero point
(v < 0); tflm_py gives the type's maximum there too.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _eltwise as E
from . import _fixedpoint as F
from . import _lut

OPS = ("RSQRT",)
INPLACE = "elementwise"
_SHIFT = 20


def check(op, model):
    E.require_inputs(op, 1)
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    if x.dtype not in (E.INT8, E.INT16):
        raise UnsupportedError(f"only int8 and int16 are supported (TFLM's RSQRT takes float32, "
                               f"int8 and int16), input is {E.type_name(x)}")
    if y.dtype != x.dtype:
        raise UnsupportedError(f"output is {E.type_name(y)} but the input is {E.type_name(x)}")
    for t, what in ((x, "input"), (y, "output")):
        E.require_per_tensor(t, what)
        if t.dtype == E.INT16 and t.quantization.zero_point != 0:
            raise UnsupportedError(f"int16 {what} has zero point {t.quantization.zero_point}; "
                                   "TFLM requires 0")
    if x.size != y.size:
        raise UnsupportedError(f"input shape {x.shape} and output shape {y.shape} differ in size")


def macs(op, model) -> int:
    return 0


def rsqrt_values(v, mult: int, shift: int, out_zp: int, dtype) -> np.ndarray:
    """The output for input offsets v = x - in_zp."""
    v = np.asarray(v, dtype=np.int64)
    m, e = F.inv_sqrt_multiplier_exp(np.maximum(v, 0))
    data = quant.multiply_by_quantized_multiplier(1, m, e + _SHIFT)
    out = quant.multiply_by_quantized_multiplier(data, mult, shift - _SHIFT) + out_zp
    info = np.iinfo(dtype)
    out = np.where(v <= 0, info.max, out)
    return quant.saturate(out, dtype)


def prepare(op, model):
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    si, zi = E.scale_zp(x)
    so, zo = E.scale_zp(y)
    mult, shift = quant.quantize_multiplier(1.0 / (np.sqrt(float(si)) * float(so)))
    p = SimpleNamespace(size=int(x.size), dtype=x.dtype.name, multiplier=mult, shift=shift,
                        input_zp=zi, output_zp=zo)
    if x.dtype == E.INT8:
        p.lut = rsqrt_values(np.arange(-128, 128) - zi, mult, shift, zo, np.int8)
    return p


def simulate(op, model, p, inputs):
    if p.dtype == "int8":
        return _lut.simulate(op, model, p, inputs)
    y = model.tensor(op.outputs[0])
    v = np.asarray(inputs[0], dtype=np.int64).reshape(y.shape) - p.input_zp
    return [rsqrt_values(v, p.multiplier, p.shift, p.output_zp, np.int16)]


def emit(op, model, p, cg) -> str:
    if p.dtype == "int8":
        return _lut.emit(op, model, p, cg)
    cg.use_kernel("rsqrt")
    cg.use_kernel("fixedpoint_math")
    name = cg.param_struct("tflm_rsqrt_params_t",
                           {"size": p.size, "multiplier": p.multiplier, "shift": p.shift},
                           "rsqrt_params")
    return f"tflm_rsqrt_s16(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
