"""Random single-op models for the uint8 edges of converter-made models (inference input /
output type uint8): QUANTIZE uint8 -> int8 and int8 -> uint8, DEQUANTIZE uint8 -> float32.

A third of the QUANTIZE cases use the converter's usual pair (equal scales, zero points 128
apart), which TFLM runs through its bit-flip shortcut; the rest draw both quantizations."""
from __future__ import annotations

import numpy as np

from .elementwise import _log_uniform, _q8, _unary


def _qu8(rng, lo=0.005, hi=0.2):
    return _log_uniform(rng, lo, hi), int(rng.integers(0, 256))


def gen_quantize_uint8(rng: np.random.Generator) -> bytes:
    to_uint8 = bool(rng.random() < 0.5)
    if rng.random() < 1 / 3:
        scale, zp8 = _log_uniform(rng, 0.003, 0.1), int(rng.integers(-128, 128))
        q8, qu8 = (scale, zp8), (scale, zp8 + 128)
    else:
        q8, qu8 = _q8(rng), _qu8(rng)
    if to_uint8:
        return _unary("QUANTIZE", rng, q8, qu8, np.int8, np.uint8)
    return _unary("QUANTIZE", rng, qu8, q8, np.uint8, np.int8)


def gen_dequantize_uint8(rng: np.random.Generator) -> bytes:
    return _unary("DEQUANTIZE", rng, _qu8(rng, 0.001, 1.0), None, np.uint8, np.float32)


GENERATORS = {
    "QUANTIZE/uint8": gen_quantize_uint8,
    "DEQUANTIZE/uint8": gen_dequantize_uint8,
}
