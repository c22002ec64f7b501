"""LEAKY_RELU on int8 or int16 tensors, as TFLM computes it (kernels/leaky_relu_common.cc,
reference/leaky_relu.h).

With v = x - in_zp: y = out_zp + MultiplyByQuantizedMultiplier(v, M) where M is the identity
multiplier in_scale/out_scale for v >= 0 and the alpha multiplier in_scale*alpha/out_scale
for v < 0; both ratios are evaluated in double from the float32 scales and alpha (as the
oracle does; a float32 product differs on some int16 ties), the alpha one may be negative. The result saturates to the type (int16: the same arithmetic, TFLM's
QuantizeLeakyRelu<int16_t>).
"""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _eltwise as E

OPS = ("LEAKY_RELU",)
INPLACE = "elementwise"


def check(op, model):
    E.require_inputs(op, 1)
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    for t, what in ((x, "input"), (y, "output")):
        if t.dtype not in (E.INT8, E.INT16):
            raise UnsupportedError(f"only int8 and int16 are supported, {what} is "
                                   f"{E.type_name(t)}")
        E.require_per_tensor(t, what)
    if x.dtype != y.dtype:
        raise UnsupportedError(f"input ({E.type_name(x)}) and output ({E.type_name(y)}) "
                               "types differ")
    if x.size != y.size:
        raise UnsupportedError(f"input shape {x.shape} and output shape {y.shape} differ in size")
    alpha = float(getattr(op.options, "alpha", 0.0))
    if not np.isfinite(np.float32(alpha)):
        raise UnsupportedError(f"alpha {alpha} is not finite")
    p = prepare(op, model)
    for k in ("shift_identity", "shift_alpha"):
        if p[k] > 30:
            raise UnsupportedError("the rescale multiplier is too large (shift above 30)")


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    si, zi = E.scale_zp(x)
    so, zo = E.scale_zp(y)
    # in double from the float32 scales and alpha: the oracle's multipliers (a float32
    # product is one step off on ties, seen on int16 tensors: tests/ops/test_int16.py)
    alpha = float(np.float32(getattr(op.options, "alpha", 0.0)))
    real_alpha = float(np.float32(si)) * alpha / float(np.float32(so))
    real_identity = float(np.float32(si)) / float(np.float32(so))
    ma, ea = quant.quantize_multiplier(real_alpha)
    mi, ei = quant.quantize_multiplier(real_identity)
    return {"size": x.size, "input_offset": zi, "output_offset": zo,
            "multiplier_identity": mi, "shift_identity": ei,
            "multiplier_alpha": ma, "shift_alpha": ea}


def simulate(op, model, p, inputs):
    y = model.tensor(op.outputs[0])
    v = np.asarray(inputs[0], dtype=np.int64).reshape(y.shape) - p["input_offset"]
    pos = quant.multiply_by_quantized_multiplier(v, p["multiplier_identity"], p["shift_identity"])
    neg = quant.multiply_by_quantized_multiplier(v, p["multiplier_alpha"], p["shift_alpha"])
    r = np.where(v >= 0, pos, neg) + p["output_offset"]
    info = np.iinfo(y.dtype)
    return [np.clip(r, info.min, info.max).astype(y.dtype)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("leaky_relu")
    fields = {k: int(p[k]) for k in ("size", "input_offset", "output_offset", "multiplier_identity",
                                     "shift_identity", "multiplier_alpha", "shift_alpha")}
    name = cg.param_struct("tflm_leaky_relu_params_t", fields, "leaky_relu_params")
    suffix = "s16" if model.tensor(op.inputs[0]).dtype == E.INT16 else "s8"
    return (f"tflm_leaky_relu_{suffix}(&{name}, {cg.ptr(op.inputs[0])}, "
            f"{cg.ptr(op.outputs[0])});")
