"""ELU: int8 -> int8 (TFLM's kernel takes float32 and int8 only), as a 256-entry table.

TFLM (elu.cc, PopulateLookupTable) fills the table in float32: for each int8 value v,
d = in_scale * (v - in_zp); t = d < 0 ? expf(d) - 1 : d; q = (int)(roundf(t * (1 / out_scale))
+ out_zp), clamped to int8. The simulator evaluates the same float32 steps (expf from the C
library, as TFLM calls it) for the 256 inputs; the C kernel is the lookup (kernels_c/lut_s8.c).
"""
from __future__ import annotations

import ctypes
import ctypes.util
from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from . import _eltwise as E
from . import _lut

OPS = ("ELU",)
INPLACE = "elementwise"


def _c_expf():
    try:
        libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        f = libm.expf
    except (OSError, AttributeError):  # pragma: no cover - every libc has expf
        return None
    f.restype = ctypes.c_float
    f.argtypes = [ctypes.c_float]
    return f


_EXPF = _c_expf()


def expf(values) -> np.ndarray:
    """float32 exp of float32 values, by the C library's expf (TFLM's std::exp(float))."""
    v = np.asarray(values, dtype=np.float32)
    if _EXPF is None:  # pragma: no cover
        return np.exp(v.astype(np.float64)).astype(np.float32)
    return np.array([_EXPF(float(x)) for x in v.ravel()], dtype=np.float32).reshape(v.shape)


def check(op, model):
    E.require_inputs(op, 1)
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    for t, what in ((x, "input"), (y, "output")):
        if t.dtype != E.INT8:
            raise UnsupportedError(f"only int8 is supported (TFLM's ELU takes float32 and int8), "
                                   f"{what} is {E.type_name(t)}")
        E.require_per_tensor(t, what)
    if x.size != y.size:
        raise UnsupportedError(f"input shape {x.shape} and output shape {y.shape} differ in size")
    ratio = float(x.quantization.scale) / float(y.quantization.scale)
    if not ratio * 256 < 2 ** 24:
        raise UnsupportedError(f"input/output scale ratio {ratio:g} is too large")


def macs(op, model) -> int:
    return 0


def lut_for(in_scale: float, in_zp: int, out_scale: float, out_zp: int) -> np.ndarray:
    v = np.arange(-128, 128, dtype=np.int64)
    d = np.float32(in_scale) * (v - in_zp).astype(np.float32)
    t = np.where(d < 0, expf(np.minimum(d, 0)) - np.float32(1.0), d).astype(np.float32)
    inv = np.float32(1.0) / np.float32(out_scale)
    r = E.round_half_away((t * inv).astype(np.float32)).astype(np.float32)
    q = np.trunc(r + np.float32(out_zp)).astype(np.int64)
    return np.clip(q, -128, 127).astype(np.int8)


def prepare(op, model):
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    si, zi = E.scale_zp(x)
    so, zo = E.scale_zp(y)
    return SimpleNamespace(size=int(x.size), lut=lut_for(si, zi, so, zo))


simulate = _lut.simulate
emit = _lut.emit
