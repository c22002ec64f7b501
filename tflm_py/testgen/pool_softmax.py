"""Random single-op models for AVERAGE_POOL_2D, MAX_POOL_2D, SOFTMAX, LOGISTIC, TANH and MEAN.

Each `add_<op>(builder, rng)` adds one random valid op (with its own graph input and output)
to a ModelBuilder and returns (inputs, outputs); GENERATORS wraps each into a one-op model.
`multi_op_model` packs many independent random ops into one graph (one C build for all).
Everything stays small (<= ~20k MACs, inputs <= 4 KB) and within what TFLM accepts.
"""
from __future__ import annotations

import numpy as np

from ..testing import ModelBuilder

ACTS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
MAX_MACS = 20000
MAX_INPUT = 4096


def _act(rng) -> str:
    return ACTS[int(rng.integers(len(ACTS)))] if rng.random() < 0.6 else "NONE"


def _log_uniform(rng, lo: float, hi: float) -> float:
    return float(np.float32(np.exp(rng.uniform(np.log(lo), np.log(hi)))))


def _zp(rng) -> int:
    return int(rng.integers(-128, 128))


def _shape(rng, rank: int, max_dim: int, max_size: int = MAX_INPUT) -> tuple[int, ...]:
    while True:
        s = tuple(int(v) for v in rng.integers(1, max_dim + 1, size=rank))
        if int(np.prod(s)) <= max_size:
            return s


def _pool_out(pad: str, size: int, f: int, stride: int) -> int:
    if pad == "SAME":
        return (size + stride - 1) // stride
    return (size + stride - f) // stride


def _add_pool(b: ModelBuilder, rng, op_type: str):
    while True:
        n = int(rng.choice([1, 1, 1, 2]))
        h, w = int(rng.integers(1, 13)), int(rng.integers(1, 13))
        c = int(rng.integers(1, 17))
        if n * h * w * c > MAX_INPUT:
            continue
        r = rng.random()
        if r < 0.15:    # global pooling, as at the end of classifiers
            pad, fh, fw = "VALID", h, w
            sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        else:
            pad = "SAME" if rng.random() < 0.5 else "VALID"
            fh, fw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
            sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
            if pad == "VALID" and (fh > h or fw > w):
                continue
        oh, ow = _pool_out(pad, h, fh, sh), _pool_out(pad, w, fw, sw)
        if oh < 1 or ow < 1 or n * oh * ow * c * fh * fw > MAX_MACS:
            continue
        break
    scale, zp = _log_uniform(rng, 0.003, 0.5), _zp(rng)
    x = b.activation((n, h, w, c), scale=scale, zero_point=zp)
    y = b.activation((n, oh, ow, c), scale=scale, zero_point=zp)
    b.op(op_type, [x], [y], padding=pad, stride_h=sh, stride_w=sw, filter_height=fh,
         filter_width=fw, fused_activation_function=_act(rng))
    return [x], [y]


def add_average_pool_2d(b: ModelBuilder, rng):
    return _add_pool(b, rng, "AVERAGE_POOL_2D")


def add_max_pool_2d(b: ModelBuilder, rng):
    return _add_pool(b, rng, "MAX_POOL_2D")


def add_softmax(b: ModelBuilder, rng, scale=None, zero_point=None, shape=None, beta=None,
                int16_out=None):
    if shape is None:
        rank = int(rng.integers(1, 5))
        shape = _shape(rng, rank - 1, 4) + (int(rng.choice([1, 2, 3, 4, 10, 12, 17, 32, 64])),)
        while int(np.prod(shape)) > MAX_INPUT:
            shape = shape[1:]
    if scale is None:
        scale = _log_uniform(rng, 0.002, 1.0)
    if zero_point is None:
        zero_point = _zp(rng)
    if beta is None:
        beta = 1.0 if rng.random() < 0.6 else float(np.float32(rng.uniform(0.05, 4.0)))
    if int16_out is None:
        int16_out = rng.random() < 0.25
    x = b.activation(shape, scale=scale, zero_point=zero_point)
    if int16_out:
        y = b.activation(shape, dtype=np.int16, scale=1.0 / 65536, zero_point=-32768)
    else:
        y = b.activation(shape, scale=1.0 / 256, zero_point=-128)
    b.op("SOFTMAX", [x], [y], beta=beta)
    return [x], [y]


def _unary_quant(rng):
    r = rng.random()
    if r < 0.1:
        return _log_uniform(rng, 0.2, 20.0), _zp(rng)        # saturating most of the range
    if r < 0.2:
        return _log_uniform(rng, 1e-4, 2e-3), _zp(rng)       # nearly linear
    return _log_uniform(rng, 2e-3, 0.2), _zp(rng)


def add_logistic(b: ModelBuilder, rng, shape=None):
    shape = shape or _shape(rng, int(rng.integers(1, 5)), 16)
    scale, zp = _unary_quant(rng)
    x = b.activation(shape, scale=scale, zero_point=zp)
    y = b.activation(shape, scale=1.0 / 256, zero_point=-128)
    b.op("LOGISTIC", [x], [y])
    return [x], [y]


def add_tanh(b: ModelBuilder, rng, shape=None):
    shape = shape or _shape(rng, int(rng.integers(1, 5)), 16)
    scale, zp = _unary_quant(rng)
    x = b.activation(shape, scale=scale, zero_point=zp)
    y = b.activation(shape, scale=1.0 / 128, zero_point=0)
    b.op("TANH", [x], [y])
    return [x], [y]


def add_mean(b: ModelBuilder, rng):
    rank = int(rng.integers(1, 6))
    if rank == 4 and rng.random() < 0.5:       # the common spatial mean of NHWC maps
        shape = (int(rng.integers(1, 3)),) + _shape(rng, 3, 10, MAX_INPUT // 2)
        axes = [1, 2] if rng.random() < 0.7 else [2, 1]
    else:
        shape = _shape(rng, rank, 7)
        k = int(rng.integers(1, rank + 1))
        axes = [int(a) for a in rng.choice(rank, size=k, replace=False)]
        axes = [a - rank if rng.random() < 0.3 else a for a in axes]
        if rng.random() < 0.15:
            axes.append(axes[0])                # repeated axis
    resolved = sorted({a % rank for a in axes})
    keep = bool(rng.random() < 0.5)
    if keep:
        out_shape = tuple(1 if i in resolved else d for i, d in enumerate(shape))
    else:
        out_shape = tuple(d for i, d in enumerate(shape) if i not in resolved)
    scale, zp = _log_uniform(rng, 0.003, 0.3), _zp(rng)
    r = rng.random()
    if r < 0.4:
        out_scale, out_zp = scale, zp           # the usual converter output
    elif r < 0.9:
        out_scale, out_zp = float(np.float32(scale * np.exp(rng.uniform(-1.5, 1.5)))), _zp(rng)
    else:
        out_scale, out_zp = float(np.float32(scale * np.exp(rng.uniform(-5.0, 3.0)))), _zp(rng)
    x = b.activation(shape, scale=scale, zero_point=zp)
    if len(axes) == 1 and rng.random() < 0.3:
        a = b.constant(np.array(axes[0], dtype=np.int32))      # scalar axis
    else:
        a = b.constant(np.array(axes, dtype=np.int32))
    y = b.activation(out_shape, scale=out_scale, zero_point=out_zp)
    b.op("MEAN", [x, a], [y], keep_dims=keep)
    return [x], [y]


ADDERS = {
    "AVERAGE_POOL_2D": add_average_pool_2d,
    "MAX_POOL_2D": add_max_pool_2d,
    "SOFTMAX": add_softmax,
    "LOGISTIC": add_logistic,
    "TANH": add_tanh,
    "MEAN": add_mean,
}


def _single(add):
    def gen(rng: np.random.Generator) -> bytes:
        b = ModelBuilder()
        ins, outs = add(b, rng)
        return b.build(inputs=ins, outputs=outs)
    gen.__name__ = f"gen_{add.__name__[4:]}"
    return gen


GENERATORS = {name: _single(add) for name, add in ADDERS.items()}


def multi_op_model(rng: np.random.Generator, op_names, count: int) -> bytes:
    """`count` independent random ops (cycling over op_names) in one graph."""
    b = ModelBuilder()
    ins, outs = [], []
    for k in range(count):
        i, o = ADDERS[op_names[k % len(op_names)]](b, rng)
        ins += i
        outs += o
    return b.build(inputs=ins, outputs=outs)
