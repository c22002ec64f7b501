"""Random single-op models for the math rooms: PRELU, SQUARED_DIFFERENCE, ELU, RSQRT, DIV,
RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, L2_NORMALIZATION, LOG_SOFTMAX.

Each generator returns the bytes of one small valid model that TFLM accepts, for every type
TFLM's kernel takes (int8; int16 where TFLM takes it; int32 for SQUARED_DIFFERENCE and DIV),
with quantization drawn so TFLM's prepare succeeds. Inputs of any value in the type's range
must be valid: int8 RSQRT draws its input zero point at the type's minimum (TFLM fails the
invoke below it), int16 RSQRT reads a QUANTIZE of such an int8 input, int32 DIV divides by a
constant without zeros.
"""
from __future__ import annotations

import numpy as np

from ..testing import ModelBuilder
from .elementwise import _binary_shapes, _log_uniform, _pick, _q8, _random_data, _unary_shape

_ACTS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def _shapes_rank4(rng, max_elems=512):
    """(input 1, input 2, output) shapes broadcasting within 4 dimensions."""
    while True:
        s1, s2, so = _binary_shapes(rng)
        if max(len(s1), len(s2), len(so)) <= 4 and int(np.prod(so)) <= max_elems:
            return s1, s2, so


def _two_inputs(b, rng, s1, s2, dt1, dt2, q1, q2, const2=0.25, const2_data=None):
    """Input 1 an activation; input 2 an activation or (sometimes) a constant."""
    x1 = b.activation(s1, dt1, *q1) if q1 else b.activation(s1, dt1)
    if const2_data is not None or rng.random() < const2:
        data = const2_data if const2_data is not None else _random_data(rng, s2, dt2)
        kw = {"scales": [q2[0]], "zero_points": [q2[1]]} if q2 else {}
        x2 = b.constant(np.asarray(data, dtype=dt2).reshape(s2), **kw)
        return x1, x2, [x1]
    x2 = b.activation(s2, dt2, *q2) if q2 else b.activation(s2, dt2)
    return x1, x2, [x1, x2]


def gen_prelu(rng: np.random.Generator) -> bytes:
    int16 = rng.random() < 0.3
    out = _shapes_rank4(rng)[2]
    # alpha broadcasts to the input (typically per channel: shape (C,) or (1, 1, C))
    alpha_shape = tuple(d if rng.random() < 0.5 else 1 for d in out)
    if alpha_shape and rng.random() < 0.4:
        alpha_shape = alpha_shape[int(rng.integers(0, len(alpha_shape) + 1)):]
    if int16:
        qx = (_log_uniform(rng, 1e-4, 2e-3), 0 if rng.random() < 0.7 else int(rng.integers(-500, 500)))
        qy = (_log_uniform(rng, 1e-4, 2e-3), 0 if rng.random() < 0.7 else int(rng.integers(-500, 500)))
        dt = np.int16
    else:
        qx, qy, dt = _q8(rng), _q8(rng), np.int8
    qa = (_log_uniform(rng, 0.001, 0.02), int(rng.integers(-128, 128)))
    b = ModelBuilder()
    x, a, inputs = _two_inputs(b, rng, out, alpha_shape, dt, np.int8, qx, qa, const2=0.7)
    y = b.activation(out, dt, *qy)
    b.op("PRELU", [x, a], [y])
    return b.build(inputs=inputs, outputs=[y])


def gen_squared_difference(rng: np.random.Generator) -> bytes:
    kind = _pick(rng, ("int8", "int8", "int8", "int16", "int32"))
    if rng.random() < 0.2:  # equal shapes may go beyond 4-D
        so = tuple(int(d) for d in rng.integers(1, 4, size=int(rng.integers(5, 7))))
        s1 = s2 = so
    else:
        s1, s2, so = _shapes_rank4(rng)
    if kind == "int8":
        dt, q1, q2 = np.int8, _q8(rng), _q8(rng)
        m = max(q1[0], q2[0]) * 255
        qo = (_log_uniform(rng, 0.2, 3.0) * m * m / 255, int(rng.integers(-128, 128)))
    elif kind == "int16":
        dt = np.int16
        q1, q2 = (_log_uniform(rng, 1e-4, 1e-3), 0), (_log_uniform(rng, 1e-4, 1e-3), 0)
        m = max(q1[0], q2[0]) * 32768
        qo = (_log_uniform(rng, 0.2, 3.0) * m * m / 32768, 0)
    else:
        dt, q1, q2, qo = np.int32, None, None, None
    b = ModelBuilder()
    x1, x2, inputs = _two_inputs(b, rng, s1, s2, dt, dt, q1, q2)
    y = b.activation(so, dt, *qo) if qo else b.activation(so, dt)
    b.op("SQUARED_DIFFERENCE", [x1, x2], [y])
    return b.build(inputs=inputs, outputs=[y])


def _unary(op_type, rng, dt, qi, qo, **options):
    shape = _unary_shape(rng, 1024 // np.dtype(dt).itemsize)
    b = ModelBuilder()
    x = b.activation(shape, dt, *qi)
    y = b.activation(shape, dt, *qo)
    b.op(op_type, [x], [y], **options)
    return b.build(inputs=[x], outputs=[y])


def gen_elu(rng: np.random.Generator) -> bytes:
    qi = (_log_uniform(rng, 0.005, 0.2), int(rng.integers(-128, 128)))
    qo = qi if rng.random() < 0.3 else (_log_uniform(rng, 0.005, 0.2), int(rng.integers(-128, 128)))
    return _unary("ELU", rng, np.int8, qi, qo)


def gen_rsqrt(rng: np.random.Generator) -> bytes:
    if rng.random() < 0.7:
        # input zero point at the minimum: TFLM fails the invoke on inputs below it
        qi = (_log_uniform(rng, 0.001, 0.5), -128)
        qo = (_log_uniform(rng, 0.01, 1.0), int(rng.integers(-128, 128)))
        return _unary("RSQRT", rng, np.int8, qi, qo)
    # int16 (zero points 0): an int8 input with zero point -128 widened by QUANTIZE keeps
    # every RSQRT input non-negative, whatever the sweep feeds in
    shape = _unary_shape(rng, 512)
    s8 = _log_uniform(rng, 0.002, 0.2)
    s16 = s8 * _log_uniform(rng, 1 / 120, 1 / 2)
    b = ModelBuilder()
    x = b.activation(shape, np.int8, s8, -128)
    w = b.activation(shape, np.int16, s16, 0)
    b.op("QUANTIZE", [x], [w])
    y = b.activation(shape, np.int16, _log_uniform(rng, 1e-3, 0.05), 0)
    b.op("RSQRT", [w], [y])
    return b.build(inputs=[x], outputs=[y])


def _resize(op_type, rng, dtypes):
    dt = dtypes[0] if len(dtypes) == 1 or rng.random() < 0.7 else dtypes[1]
    n, h, w = int(rng.integers(1, 3)), int(rng.integers(1, 9)), int(rng.integers(1, 9))
    c = int(rng.integers(1, 6))
    oh, ow = int(rng.integers(1, 17)), int(rng.integers(1, 17))
    mode = _pick(rng, ("plain", "align", "half", "half"))
    q = _q8(rng) if dt == np.int8 else (_log_uniform(rng, 1e-4, 1e-2), 0)
    b = ModelBuilder()
    x = b.activation((n, h, w, c), dt, *q)
    size = b.constant(np.array([oh, ow], np.int32))
    y = b.activation((n, oh, ow, c), dt, *q)
    b.op(op_type, [x, size], [y], align_corners=mode == "align",
         half_pixel_centers=mode == "half")
    return b.build(inputs=[x], outputs=[y])


def gen_resize_bilinear(rng: np.random.Generator) -> bytes:
    return _resize("RESIZE_BILINEAR", rng, (np.int8,))


def gen_resize_nearest_neighbor(rng: np.random.Generator) -> bytes:
    return _resize("RESIZE_NEAREST_NEIGHBOR", rng, (np.int8, np.int16))


def gen_div(rng: np.random.Generator) -> bytes:
    act = _pick(rng, _ACTS)
    if rng.random() < 0.7:
        s1, s2, so = _binary_shapes(rng)
        if max(len(s1), len(s2), len(so)) > 5:
            s1, s2, so = _shapes_rank4(rng)
        q1, q2 = _q8(rng), _q8(rng)
        qo = (_log_uniform(rng, 0.05, 2.0) * q1[0] / q2[0] / 16, int(rng.integers(-128, 128)))
        b = ModelBuilder()
        x1, x2, inputs = _two_inputs(b, rng, s1, s2, np.int8, np.int8, q1, q2)
        y = b.activation(so, np.int8, *qo)
    else:
        # int32: the divisor is a constant without zeros (TFLM faults on a zero divisor)
        s1, s2, so = _shapes_rank4(rng)
        d = rng.integers(1, 300, size=s2) * rng.choice([-1, 1], size=s2)
        if rng.random() < 0.3:
            d = rng.integers(1, 1 << 20, size=s2) * rng.choice([-1, 1], size=s2)
        b = ModelBuilder()
        x1, x2, inputs = _two_inputs(b, rng, s1, s2, np.int32, np.int32, None, None,
                                     const2_data=d.astype(np.int32))
        y = b.activation(so, np.int32)
    b.op("DIV", [x1, x2], [y], fused_activation_function=act)
    return b.build(inputs=inputs, outputs=[y])


def gen_l2_normalization(rng: np.random.Generator) -> bytes:
    rank = int(_pick(rng, (1, 2, 2, 3, 4, 4)))
    shape = tuple(int(d) for d in rng.integers(1, 6, size=rank - 1)) + (int(rng.integers(1, 65)),)
    b = ModelBuilder()
    x = b.activation(shape, np.int8, *_q8(rng))
    y = b.activation(shape, np.int8, 1 / 128, 0)
    b.op("L2_NORMALIZATION", [x], [y])
    return b.build(inputs=[x], outputs=[y])


def gen_log_softmax(rng: np.random.Generator) -> bytes:
    rank = int(_pick(rng, (1, 2, 2, 3, 4)))
    shape = tuple(int(d) for d in rng.integers(1, 5, size=rank - 1)) + (int(rng.integers(1, 40)),)
    b = ModelBuilder()
    x = b.activation(shape, np.int8, _log_uniform(rng, 0.005, 0.5), int(rng.integers(-128, 128)))
    y = b.activation(shape, np.int8, 16 / 256, 127)
    b.op("LOG_SOFTMAX", [x], [y])
    return b.build(inputs=[x], outputs=[y])


GENERATORS = {
    "LOG_SOFTMAX": gen_log_softmax,
    "L2_NORMALIZATION": gen_l2_normalization,
    "DIV": gen_div,
    "RESIZE_BILINEAR": gen_resize_bilinear,
    "RESIZE_NEAREST_NEIGHBOR": gen_resize_nearest_neighbor,
    "PRELU": gen_prelu,
    "SQUARED_DIFFERENCE": gen_squared_difference,
    "ELU": gen_elu,
    "RSQRT": gen_rsqrt,
}
