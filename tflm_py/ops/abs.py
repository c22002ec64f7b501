"""ABS: int8 -> int8 and int16 -> int16 (quantized with zero points 0, or unquantized).

TFLM (kernels/elementwise.cc, AbsEvalQuantized): v = |x - input_zero_point| (in int); when the
float32 scales are equal the output is clamp(v + output_zero_point), else
clamp(MultiplyByQuantizedMultiplier(v, M, s) + output_zero_point) with (M, s) from
double(in_scale) / double(out_scale). Unquantized int16 is std::abs narrowed back to int16
(|-32768| stays -32768).
"""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _eltwise as E

OPS = ("ABS",)
INPLACE = "elementwise"


def _quantized(t) -> bool:
    return t.quantization is not None and len(t.quantization.scales) > 0


def check(op, model):
    E.require_inputs(op, 1)
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    if x.dtype not in (E.INT8, E.INT16):
        raise UnsupportedError(f"input type {E.type_name(x)} is not supported: TFLM's ABS "
                               "takes int8, int16 (and float32, not supported here)")
    if y.dtype != x.dtype:
        raise UnsupportedError(f"output is {E.type_name(y)}, input is {E.type_name(x)}")
    if tuple(x.shape) != tuple(y.shape):
        raise UnsupportedError(f"output shape {y.shape} differs from the input's {x.shape}")
    if x.dtype == E.INT16 and not _quantized(x):
        return
    for t, what in ((x, "input"), (y, "output")):
        E.require_per_tensor(t, what)
        if x.dtype == E.INT16 and t.quantization.zero_point != 0:
            raise UnsupportedError(f"int16 {what} zero point must be 0 (TFLM requires it)")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    p = {"quantized": 1, "rescale": 0, "input_offset": 0, "output_offset": 0,
         "multiplier": 0, "shift": 0, "size": x.size}
    if x.dtype == E.INT16 and not _quantized(x):
        p["quantized"] = 0
        return p
    si, so = np.float32(x.quantization.scale), np.float32(y.quantization.scale)
    p["input_offset"] = int(x.quantization.zero_point)
    p["output_offset"] = int(y.quantization.zero_point)
    if si != so:
        p["rescale"] = 1
        p["multiplier"], p["shift"] = quant.quantize_multiplier(float(si) / float(so))
    return p


def simulate(op, model, p, inputs):
    y = model.tensor(op.outputs[0])
    x = np.asarray(inputs[0], dtype=np.int64)
    if not p["quantized"]:
        return [np.abs(x).astype(np.int64).astype(y.dtype).reshape(y.shape)]  # wraps -32768
    v = np.abs(x - p["input_offset"])
    if p["rescale"]:
        v = quant.multiply_by_quantized_multiplier(v, p["multiplier"], p["shift"])
    return [quant.saturate(v + p["output_offset"], y.dtype).reshape(y.shape)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("abs")
    fields = {k: p[k] for k in ("size", "quantized", "rescale", "input_offset",
                                "output_offset", "multiplier", "shift")}
    name = cg.param_struct("tflm_abs_params_t", fields, "abs_params")
    fn = "tflm_abs_s8" if model.tensor(op.inputs[0]).dtype == E.INT8 else "tflm_abs_s16"
    return f"{fn}(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
