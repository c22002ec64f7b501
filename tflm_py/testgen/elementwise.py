"""Random single-op models for the element-wise rooms: ADD, SUB, MUL, MAXIMUM, MINIMUM, RELU,
RELU6, LEAKY_RELU, HARD_SWISH, QUANTIZE, DEQUANTIZE.

Each generator returns the bytes of one small valid model that TFLM accepts. Binary ops cover
ranks 0..6 with no broadcast, one input broadcast (dims set to 1 or dropped), both inputs
broadcast and scalars, a constant second (or first) input, all fused activations, int8 and
(ADD/SUB/MUL) int16. Quantization parameters are drawn so TFLM's prepare succeeds.
"""
from __future__ import annotations

import numpy as np

from ..testing import ModelBuilder

MAX_ELEMS = 1024       # output elements of a binary op (int16: half of the bytes budget)
MAX_UNARY_BYTES = 2048  # per tensor (float32 tensors get a quarter of the elements)
_ACTS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def _log_uniform(rng, lo, hi) -> float:
    return float(np.float32(np.exp(rng.uniform(np.log(lo), np.log(hi)))))


def _q8(rng, lo=0.005, hi=0.2):
    return _log_uniform(rng, lo, hi), int(rng.integers(-128, 128))


def _q16(rng, zero_zp=True, lo=1e-4, hi=2e-3):
    return _log_uniform(rng, lo, hi), 0 if zero_zp else int(rng.integers(-3000, 3001))


def _random_data(rng, shape, dtype):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, size=shape).astype(dtype)


def _out_shape(rng, max_elems=MAX_ELEMS):
    """A random output shape of rank 0..6 (rank 4 most often)."""
    rank = int(_pick(rng, (0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 4, 5, 5, 6, 6)))
    while True:
        hi = 8 if rank <= 2 else (6 if rank <= 4 else 4)
        s = tuple(int(d) for d in rng.integers(1, hi + 1, size=rank))
        if int(np.prod(s)) <= max_elems:
            return s


def _broadcast_from(rng, shape, p_one=0.5):
    """An input shape that broadcasts to `shape`: some dims set to 1, maybe leading ones dropped."""
    s = [d if rng.random() >= p_one else 1 for d in shape]
    if s and rng.random() < 0.35:
        s = s[int(rng.integers(0, len(s) + 1)):]
    return tuple(s)


def _binary_shapes(rng):
    out = _out_shape(rng)
    mode = _pick(rng, ("same", "same", "in2", "in1", "both", "scalar2", "scalar1"))
    s1 = s2 = out
    if mode == "in2":
        s2 = _broadcast_from(rng, out)
    elif mode == "in1":
        s1 = _broadcast_from(rng, out)
    elif mode == "both":
        # dims split between the two inputs (each 1 where the other has the full extent)
        s1 = list(out)
        s2 = list(out)
        for i, d in enumerate(out):
            r = rng.random()
            if r < 0.35:
                s1[i] = 1
            elif r < 0.7:
                s2[i] = 1
        s1, s2 = tuple(s1), tuple(s2)
        if rng.random() < 0.3 and s2:
            s2 = s2[int(rng.integers(0, len(s2) + 1)):]
    elif mode == "scalar2":
        s2 = _pick(rng, ((), (1,), (1,) * max(len(out), 1)))
    elif mode == "scalar1":
        s1 = _pick(rng, ((), (1,), (1,) * max(len(out), 1)))
    # TFLM needs the output shape to be the broadcast shape of the inputs
    return s1, s2, tuple(int(d) for d in np.broadcast_shapes(s1, s2))


def _binary(op_type, rng, dtypes=(np.int8,)):
    dtype = dtypes[0] if len(dtypes) == 1 or rng.random() < 0.75 else _pick(rng, dtypes[1:])
    s1, s2, so = _binary_shapes(rng)
    if dtype == np.int16:
        zero = op_type == "MUL" or rng.random() < 0.5
        q1, q2 = _q16(rng, zero), _q16(rng, zero)
        if op_type == "MUL":
            qo = (_log_uniform(rng, 0.3, 3.0) * q1[0] * q2[0] * 32768, 0)
        else:
            qo = _q16(rng, zero, 1e-4, 4e-3)
    else:
        q1, q2 = _q8(rng), _q8(rng)
        if op_type == "MUL":
            # rescale ~1/128 maps the product range onto int8; sometimes above 1 (left shift)
            if rng.random() < 0.9:
                f = _log_uniform(rng, 0.3, 3.0) * 128
            else:
                f = _log_uniform(rng, 0.25, 1.0)
            qo = (f * q1[0] * q2[0], int(rng.integers(-128, 128)))
        else:
            qo = _q8(rng, 0.005, 0.4)
    if op_type in ("MAXIMUM", "MINIMUM") and rng.random() < 0.7:
        q2 = q1   # converters give MAXIMUM/MINIMUM tensors one quantization
        qo = q1
    b = ModelBuilder()
    const = rng.random()
    same_tensor = s1 == s2 and rng.random() < 0.05
    if const < 0.2:
        x1 = b.activation(s1, dtype, *q1)
        x2 = b.constant(_random_data(rng, s2, dtype), scales=[q2[0]], zero_points=[q2[1]])
        inputs = [x1]
    elif const < 0.3:
        x1 = b.constant(_random_data(rng, s1, dtype), scales=[q1[0]], zero_points=[q1[1]])
        x2 = b.activation(s2, dtype, *q2)
        inputs = [x2]
    elif same_tensor:
        x1 = x2 = b.activation(s1, dtype, *q1)
        inputs = [x1]
    else:
        x1 = b.activation(s1, dtype, *q1)
        x2 = b.activation(s2, dtype, *q2)
        inputs = [x1, x2]
    y = b.activation(so, dtype, *qo)
    if op_type in ("MAXIMUM", "MINIMUM"):
        b.op(op_type, [x1, x2], [y])
    else:
        b.op(op_type, [x1, x2], [y], fused_activation_function=_pick(rng, _ACTS))
    return b.build(inputs=inputs, outputs=[y])


def gen_add(rng: np.random.Generator) -> bytes:
    return _binary("ADD", rng, (np.int8, np.int16))


def gen_sub(rng: np.random.Generator) -> bytes:
    return _binary("SUB", rng, (np.int8, np.int16))


def gen_mul(rng: np.random.Generator) -> bytes:
    return _binary("MUL", rng, (np.int8, np.int16))


def gen_maximum(rng: np.random.Generator) -> bytes:
    return _binary("MAXIMUM", rng)


def gen_minimum(rng: np.random.Generator) -> bytes:
    return _binary("MINIMUM", rng)


# ------------------------------------------------------------------ unary

def _unary_shape(rng, max_elems):
    rank = int(_pick(rng, (1, 2, 2, 3, 4, 4, 4)))
    while True:
        s = tuple(int(d) for d in rng.integers(1, 12 if rank <= 2 else 8, size=rank))
        if int(np.prod(s)) <= max_elems:
            return s


def _unary(op_type, rng, qi, qo, in_dtype=np.int8, out_dtype=np.int8, **options):
    widest = max(np.dtype(in_dtype).itemsize, np.dtype(out_dtype).itemsize)
    shape = _unary_shape(rng, MAX_UNARY_BYTES // widest)
    b = ModelBuilder()
    x = b.activation(shape, in_dtype, *qi) if qi else b.activation(shape, in_dtype)
    y = b.activation(shape, out_dtype, *qo) if qo else b.activation(shape, out_dtype)
    b.op(op_type, [x], [y], **options)
    return b.build(inputs=[x], outputs=[y])


def gen_relu(rng: np.random.Generator) -> bytes:
    qi = _q8(rng)
    qo = qi if rng.random() < 0.3 else _q8(rng)
    return _unary("RELU", rng, qi, qo)


def gen_relu6(rng: np.random.Generator) -> bytes:
    qi = _q8(rng, 0.005, 0.1)
    qo = qi if rng.random() < 0.7 else _q8(rng)
    return _unary("RELU6", rng, qi, qo)


def gen_leaky_relu(rng: np.random.Generator) -> bytes:
    qi = _q8(rng)
    qo = qi if rng.random() < 0.3 else _q8(rng)
    r = rng.random()
    if r < 0.7:
        alpha = float(rng.uniform(0.01, 0.5))
    elif r < 0.8:
        alpha = 0.0
    elif r < 0.9:
        alpha = float(rng.uniform(0.5, 3.0))
    else:
        alpha = float(rng.uniform(-1.0, -0.01))
    return _unary("LEAKY_RELU", rng, qi, qo, alpha=alpha)


def gen_hard_swish(rng: np.random.Generator) -> bytes:
    si = _log_uniform(rng, 0.003, 0.3)
    # the output must satisfy in_scale / 128 < out_scale (TFLM's exponent check)
    so = _log_uniform(rng, max(si / 64, 0.002), 0.3)
    return _unary("HARD_SWISH", rng, (si, int(rng.integers(-128, 128))),
                  (so, int(rng.integers(-128, 128))))


def gen_quantize(rng: np.random.Generator) -> bytes:
    kind = _pick(rng, ("f8", "f8", "f8", "f16", "88", "88", "816", "168", "1616"))
    if kind[0] == "f":
        if rng.random() < 0.25:  # power-of-two scales make exact .5 ties reachable
            qo = (float(2.0 ** -int(rng.integers(1, 8))), int(rng.integers(-128, 128)))
        else:
            qo = _q8(rng, 0.005, 0.3)
        if kind == "f16":
            qo = (qo[0] / 64, 0 if rng.random() < 0.7 else int(rng.integers(-3000, 3001)))
        return _unary("QUANTIZE", rng, None, qo, np.float32, np.int8 if kind == "f8" else np.int16)
    in_dt = np.int8 if kind in ("88", "816") else np.int16
    out_dt = np.int8 if kind in ("88", "168") else np.int16
    qi = _q8(rng) if in_dt == np.int8 else _q16(rng, rng.random() < 0.7, 1e-4, 1e-2)
    if out_dt == np.int8:
        # int16 -> int8 narrows: an output scale about 256x the input's keeps values in range
        qo = _q8(rng) if in_dt == np.int8 else (_log_uniform(rng, 30, 1000) * qi[0],
                                                 int(rng.integers(-128, 128)))
    else:
        qo = (_log_uniform(rng, 1 / 300, 1 / 30) * qi[0], 0) if in_dt == np.int8 else \
            _q16(rng, rng.random() < 0.7, 1e-4, 1e-2)
    return _unary("QUANTIZE", rng, qi, qo, in_dt, out_dt)


def gen_dequantize(rng: np.random.Generator) -> bytes:
    if rng.random() < 0.8:
        return _unary("DEQUANTIZE", rng, _q8(rng, 0.001, 1.0), None, np.int8, np.float32)
    return _unary("DEQUANTIZE", rng, _q16(rng, rng.random() < 0.7, 1e-5, 1e-2), None,
                  np.int16, np.float32)


GENERATORS = {
    "ADD": gen_add,
    "SUB": gen_sub,
    "MUL": gen_mul,
    "MAXIMUM": gen_maximum,
    "MINIMUM": gen_minimum,
    "RELU": gen_relu,
    "RELU6": gen_relu6,
    "LEAKY_RELU": gen_leaky_relu,
    "HARD_SWISH": gen_hard_swish,
    "QUANTIZE": gen_quantize,
    "DEQUANTIZE": gen_dequantize,
}
