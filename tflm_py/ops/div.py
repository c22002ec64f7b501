"""DIV: int8 (quantized) and int32 (unquantized) tensors with broadcasting up to 5-D and fused
activations (TFLM's kernel takes float32, int32 and int8).

TFLM int8 (reference_ops::DivElementwise): a = x1 - zp1, d = x2 - zp2 (both negated when
d < 0); (r, k) = GetReciprocal(d, 31); h = CountLeadingSignBits(a);
q = SRDHM(a << h, r); out = zp_out + RDBPOT(SRDHM(q, M), -(E - k - h)) with (M, E) quantizing
float32(s1 / (s2 * s_out)), clamped to the activation range. For a = 0 or -1 that exponent
reaches 32 and more, where the x86-64 build's mask and shift wrap (see
_fixedpoint.rounding_divide_by_pot_any); the C kernel reproduces it. int32: C division
(truncating), clamped to the activation range. TFLM faults on an int32 division by zero (and
INT32_MIN / -1); tflm_py gives 0 (and INT32_MIN) there.
"""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _eltwise as E
from . import _fixedpoint as F

OPS = ("DIV",)
INPLACE = "elementwise"
INT32 = np.dtype(np.int32)
MAX_RANK = 5


def check(op, model):
    E.require_inputs(op, 2)
    t1, t2 = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    if out.dtype not in (E.INT8, INT32):
        raise UnsupportedError(f"only int8 and int32 tensors are supported (TFLM's DIV takes "
                               f"float32, int32 and int8), output is {E.type_name(out)}")
    for t, what in ((t1, "input 1"), (t2, "input 2")):
        if t.dtype != out.dtype:
            raise UnsupportedError(f"{what} is {E.type_name(t)} but the output is "
                                   f"{E.type_name(out)}; all tensors must share one type")
    for t in (t1, t2, out):
        if len(t.shape) > MAX_RANK:
            raise UnsupportedError(f"tensor '{t.name}' has rank {len(t.shape)}; TFLM's DIV "
                                   f"handles at most {MAX_RANK} dimensions")
    act = getattr(op.options, "fused_activation_function", "NONE")
    if act not in E.FUSED_ACTIVATIONS:
        raise UnsupportedError(f"fused activation {act} is not supported")
    if out.dtype == E.INT8:
        for t, what in ((t1, "input 1"), (t2, "input 2"), (out, "output")):
            E.require_per_tensor(t, what)
        _, shift = _multiplier(t1, t2, out)
        if shift > 22:
            raise UnsupportedError(f"output multiplier 2^{shift} is too large")
    else:
        for t, what in ((t1, "input 1"), (t2, "input 2")):
            q = t.quantization
            if q is not None and len(q.scales):
                raise UnsupportedError(f"int32 {what} is quantized; TFLM divides only "
                                       "unquantized int32 tensors")
    E.check_binary_shapes(op, model)


def _multiplier(t1, t2, out):
    f32 = np.float32
    real = f32(t1.quantization.scale) / (f32(t2.quantization.scale) * f32(out.quantization.scale))
    return quant.quantize_multiplier(float(real))


def macs(op, model) -> int:
    return 0


_INT32_ACT = {"NONE": (quant.INT32_MIN, quant.INT32_MAX), "RELU": (0, quant.INT32_MAX),
              "RELU6": (0, 6), "RELU_N1_TO_1": (-1, 1)}


def prepare(op, model):
    t1, t2 = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    act = getattr(op.options, "fused_activation_function", "NONE")
    p = {"layout": E.broadcast_layout(t1.shape, t2.shape, out.shape), "dtype": out.dtype.name,
         "input1_offset": 0, "input2_offset": 0, "output_offset": 0,
         "output_multiplier": 0, "output_shift": 0}
    if out.dtype == INT32:
        p["act_min"], p["act_max"] = _INT32_ACT[act]
        return p
    _, z1 = E.scale_zp(t1)
    _, z2 = E.scale_zp(t2)
    so, zo = E.scale_zp(out)
    p["output_multiplier"], p["output_shift"] = _multiplier(t1, t2, out)
    p["act_min"], p["act_max"] = quant.activation_range(act, so, zo)
    p.update(input1_offset=-z1, input2_offset=-z2, output_offset=zo)
    return p


def div_s8(a, d, p):
    """The int8 quotient of offsets a = x1 - zp1, d = x2 - zp2."""
    neg = d < 0
    a = np.where(neg, -a, a)
    d = np.where(neg, -d, d)
    recip, bits = quant.get_reciprocal(d, 31)
    h = F.count_leading_sign_bits(a)
    q = F.srdhm(quant.wrap_int32(a << h), recip)
    exponent = -(p["output_shift"] - bits - h)
    r = F.rounding_divide_by_pot_any(F.srdhm(q, p["output_multiplier"]), exponent)
    return np.clip(r + p["output_offset"], p["act_min"], p["act_max"])


def simulate(op, model, p, inputs):
    out = model.tensor(op.outputs[0])
    a, b = E.broadcast_inputs(inputs[0], inputs[1], out.shape)
    if p["dtype"] == "int32":
        safe = np.where(b == 0, 1, b)
        q = np.abs(a) // np.abs(safe) * np.sign(a) * np.sign(safe)
        q = np.where(b == 0, 0, quant.wrap_int32(q))
        return [np.clip(q, p["act_min"], p["act_max"]).astype(np.int32)]
    r = div_s8(a + p["input1_offset"], b + p["input2_offset"], p)
    return [r.astype(np.int8)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("div")
    fields = E.layout_fields(p["layout"])
    fields.update({k: int(p[k]) for k in ("input1_offset", "input2_offset", "output_offset",
                                          "output_multiplier", "output_shift", "act_min",
                                          "act_max")})
    name = cg.param_struct("tflm_div_params_t", fields, "div_params")
    cg.use_kernel("fixedpoint_math")
    fn = "tflm_div_s32" if p["dtype"] == "int32" else "tflm_div_s8"
    return (f"{fn}(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.inputs[1])}, "
            f"{cg.ptr(op.outputs[0])});")
