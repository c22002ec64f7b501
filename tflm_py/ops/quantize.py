"""QUANTIZE, as TFLM's reference kernel (kernels/quantize_common.cc) computes it:

- float32 -> int8 / int16: y = clamp(round(x / scale) + zp), the division in float32 and
  round() half away from zero (AffineQuantize).
- integer -> integer (requantize, reference/requantize.h), for the pairs TFLM's Eval runs:
  int8 -> int8 / int16 / int32 / uint8, int16 -> int8 / int16 / int32, int32 -> int8 / int16,
  uint8 -> int8 (the converter's uint8 model inputs and outputs):
  y = clamp(zp_out + MultiplyByQuantizedMultiplier(x - zp_in, in_scale / out_scale)), the
  ratio in double from the float32 scales; the int32 subtraction and addition wrap as in
  TFLM's int32 arithmetic. TFLM's shortcut for int8 <-> uint8 with equal scales and zero
  points 128 apart (flip the top bit) gives the same values as the general formula (the
  multiplier of a ratio of 1 is exact and no clamp can bite), so it needs no case here.
  TFLM refuses uint8 with any other partner (uint8 -> uint8 / int16 / int32, float32 / int16 /
  int32 -> uint8) at Eval; so does this room.

The output must be quantized per tensor. The C kernels are safe when the output buffer is the
input buffer (narrowing and same-size conversions run forward, widening ones backward), but
the planner rule INPLACE stays None for the room because float -> int8 changes the element
size; `inplace(op, model)` names the per-op rule ("elementwise" for int8 -> int8 and
int16 -> int16).
"""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _eltwise as E

OPS = ("QUANTIZE",)
INPLACE = None

INT32 = np.dtype(np.int32)
UINT8 = np.dtype(np.uint8)
_SUFFIX = {E.FLOAT32: "f32", E.INT8: "s8", E.INT16: "s16", INT32: "s32", UINT8: "u8"}
# (input, output) pairs of TFLM's reference QUANTIZE (quantize_common.cc, EvalQuantizeReference)
PAIRS = {(E.FLOAT32, E.INT8), (E.FLOAT32, E.INT16),
         (E.INT8, E.INT8), (E.INT8, E.INT16), (E.INT8, INT32), (E.INT8, UINT8), (UINT8, E.INT8),
         (E.INT16, E.INT8), (E.INT16, E.INT16), (E.INT16, INT32),
         (INT32, E.INT8), (INT32, E.INT16)}
# |round(x / scale)| is saturated here before the zero point is added (then clamped to the
# output type): far outside int16, and keeps NaN/inf away from undefined int conversions
_ROUND_LIMIT = 1 << 16


def inplace(op, model):
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    # same element size, forward loop: int8 -> int8, int16 -> int16, int8 <-> uint8
    same = x.dtype.itemsize == y.dtype.itemsize and E.FLOAT32 not in (x.dtype, y.dtype)
    return "elementwise" if same else None


def check(op, model):
    E.require_inputs(op, 1)
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    if (x.dtype, y.dtype) not in PAIRS:
        pairs = ", ".join(sorted(f"{a.name}->{b.name}" for a, b in PAIRS))
        raise UnsupportedError(f"{E.type_name(x)} -> {E.type_name(y)} is not a conversion "
                               f"TFLM's QUANTIZE runs (TFLM: 'Input {E.type_name(x).upper()}, "
                               f"output {E.type_name(y).upper()} not supported'; it runs "
                               f"{pairs})")
    E.require_per_tensor(y, "output")
    if x.dtype != E.FLOAT32:
        E.require_per_tensor(x, "input")
    if x.size != y.size:
        raise UnsupportedError(f"input shape {x.shape} and output shape {y.shape} differ in size")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    so, zo = E.scale_zp(y)
    info = np.iinfo(y.dtype)
    p = {"size": x.size, "in_dtype": x.dtype, "out_dtype": y.dtype, "scale": so,
         "input_offset": 0, "output_offset": zo, "multiplier": 0, "shift": 0,
         "out_min": int(info.min), "out_max": int(info.max)}
    if x.dtype != E.FLOAT32:
        si, zi = E.scale_zp(x)
        p["input_offset"] = zi
        p["multiplier"], p["shift"] = quant.quantize_multiplier(si / so)
    return p


def simulate(op, model, p, inputs):
    y = model.tensor(op.outputs[0])
    if p["in_dtype"] == E.FLOAT32:
        x = np.asarray(inputs[0], dtype=np.float32).reshape(y.shape)
        with np.errstate(all="ignore"):
            q = x / np.float32(p["scale"])
        r = E.round_half_away(q)
        r = np.where(np.isnan(r), -_ROUND_LIMIT, np.clip(r, -_ROUND_LIMIT, _ROUND_LIMIT))
        r = r.astype(np.int64) + p["output_offset"]
    else:
        x = np.asarray(inputs[0], dtype=np.int64).reshape(y.shape)
        r = quant.multiply_by_quantized_multiplier(quant.wrap_int32(x - p["input_offset"]),
                                                   p["multiplier"], p["shift"])
        r = quant.wrap_int32(r + p["output_offset"])
    return [np.clip(r, p["out_min"], p["out_max"]).astype(y.dtype)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("quantize")
    fields = {"size": int(p["size"]), "scale": E.c_float(p["scale"])}
    for k in ("input_offset", "output_offset", "multiplier", "shift"):
        fields[k] = int(p[k])
    name = cg.param_struct("tflm_quantize_params_t", fields, "quantize_params")
    fn = f"tflm_quantize_{_SUFFIX[p['in_dtype']]}_{_SUFFIX[p['out_dtype']]}"
    return f"{fn}(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
