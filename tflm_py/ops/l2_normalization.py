"""L2_NORMALIZATION: int8 -> int8 over the last dimension, rank <= 4, no fused activation
(TFLM's kernel takes float32 and int8).

TFLM (reference_integer_ops::L2Normalization): per row, acc = sum (x - in_zp)^2 (int32);
(m, e) = GetInvSqrtQuantizedMultiplierExp(acc); out = MultiplyByQuantizedMultiplier(x - in_zp,
m, e + 7) clamped to int8. The output's quantization is not read: the kernel writes in steps
of 1/128 with zero point 0 (what converters declare).
"""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _eltwise as E
from . import _fixedpoint as F

OPS = ("L2_NORMALIZATION",)
INPLACE = None       # a row is read twice: its sum of squares, then each element
MAX_DEPTH = 33025    # 255^2 * depth must fit in int32


def check(op, model):
    E.require_inputs(op, 1)
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    for t, what in ((x, "input"), (y, "output")):
        if t.dtype != E.INT8:
            raise UnsupportedError(f"only int8 is supported (TFLM's L2_NORMALIZATION takes "
                                   f"float32 and int8), {what} is {E.type_name(t)}")
    E.require_per_tensor(x, "input")
    if not 1 <= len(x.shape) <= 4 or tuple(x.shape) != tuple(y.shape):
        raise UnsupportedError(f"input {x.shape} and output {y.shape} must be equal, rank 1..4")
    if x.shape[-1] > MAX_DEPTH:
        raise UnsupportedError(f"depth {x.shape[-1]} overflows TFLM's int32 sum of squares")
    act = getattr(op.options, "fused_activation_function", "NONE")
    if act != "NONE":
        raise UnsupportedError(f"fused activation {act}: TFLM supports none here")


def macs(op, model) -> int:
    return model.tensor(op.inputs[0]).size


def prepare(op, model):
    x = model.tensor(op.inputs[0])
    depth = int(x.shape[-1])
    return {"input_offset": -int(x.quantization.zero_point), "depth": depth,
            "outer": int(x.size) // depth}


def simulate(op, model, p, inputs):
    y = model.tensor(op.outputs[0])
    v = np.asarray(inputs[0], dtype=np.int64).reshape(p["outer"], p["depth"]) + p["input_offset"]
    acc = np.sum(v * v, axis=1)
    m, e = F.inv_sqrt_multiplier_exp(acc)
    out = quant.multiply_by_quantized_multiplier(v, m[:, None], e[:, None] + 7)
    return [np.clip(out, -128, 127).astype(np.int8).reshape(y.shape)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("l2_normalization")
    cg.use_kernel("fixedpoint_math")
    name = cg.param_struct("tflm_l2_normalization_params_t",
                           {k: int(p[k]) for k in ("outer", "depth", "input_offset")},
                           "l2norm_params")
    return (f"tflm_l2_normalization_s8(&{name}, {cg.ptr(op.inputs[0])}, "
            f"{cg.ptr(op.outputs[0])});")
