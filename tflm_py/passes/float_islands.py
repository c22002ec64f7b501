"""Float islands of an int8 (or 16x8) model become one lookup table.

The converter sometimes leaves an op it cannot quantize in float32 between a DEQUANTIZE and a
QUANTIZE (Keras' ELU is the usual one): int8 -> DEQUANTIZE -> float op(s) -> QUANTIZE -> int8.
TFLM runs the island in float32. Its input has only 256 possible values, so the whole island
is an int8 -> int8 function: this pass evaluates TFLM's float32 steps for those 256 values
(dequantize: scale * (x - zp) in float32; the float ops below, each as TFLM's reference
kernel computes it, with the C library's float functions as TFLM calls them; quantize:
round(y / scale) + zp, clamped) and replaces the island by one LOOKUP_TABLE op (ops/
lookup_table.py) reading the table as a 256-byte constant. No float code runs on the device.
The same holds for int16 islands (a 16x8 model converted with float fallback, TFLITE_BUILTINS
beside the 16x8 ops set, leaves PRELU, HARD_SWISH, ELU... in float32 between int16
DEQUANTIZE and QUANTIZE): their table has 65536 int16 entries (128 KB of flash).

Only chains are folded: every float tensor has exactly one reader, is neither a graph output
nor state; the island's ends are per-tensor int8 (or both int16). An island whose float values are not all
finite (a SQRT of negative inputs; LOG and RSQRT reach 0 for every int8 zero point), or
whose quantized values leave int32 (an EXP of large inputs), stays and is refused as a float
op: TFLM's conversion of such values to int32 is undefined behaviour.
"""
from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np

from ..ir import Model, Operator, Tensor
from ._graph import describe, readers

TABLE_OP = "LOOKUP_TABLE"


def _libm(name: str):
    try:
        f = getattr(ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6"), name)
    except (OSError, AttributeError):  # pragma: no cover - every libm has these
        return None
    f.restype = ctypes.c_float
    f.argtypes = [ctypes.c_float]
    return f


def _cfun(name: str):
    """float32 -> float32 by the C library's `name` (expf, expm1f...), element by element."""
    f = _libm(name)

    def apply(x):
        x = np.asarray(x, dtype=np.float32)
        if f is None:  # pragma: no cover
            raise ValueError(f"no {name} in the C library")
        return np.array([f(float(v)) for v in x.ravel()], dtype=np.float32).reshape(x.shape)
    return apply


_expm1f, _expf, _tanhf = _cfun("expm1f"), _cfun("expf"), _cfun("tanhf")
_sinf, _cosf = _cfun("sinf"), _cfun("cosf")
F32 = np.float32


def _elu(op, x):
    return np.where(x < 0, _expm1f(np.minimum(x, 0)), x).astype(F32)


def _logistic(op, x):
    # reference_ops::Logistic (float): 1 above the upper cutoff, exp(x) below the lower one
    upper, lower = F32(16.619047164916992188), F32(-9.0)
    mid = (F32(1) / (F32(1) + _expf(-x))).astype(F32)
    return np.where(x > upper, F32(1), np.where(x < lower, _expf(x), mid)).astype(F32)


def _hard_swish(op, x):
    return ((x * np.minimum(F32(6), np.maximum(F32(0), x + F32(3)))) / F32(6)).astype(F32)


def _leaky_relu(op, x):
    alpha = F32(getattr(op.options, "alpha", 0.0) or 0.0)
    return np.where(x > 0, x, (x * alpha).astype(F32)).astype(F32)


# float32 ops TFLM's reference kernels compute element by element, as computed there
FLOAT_OPS = {
    "ELU": _elu,
    "LOGISTIC": _logistic,
    "TANH": lambda op, x: _tanhf(x),
    "HARD_SWISH": _hard_swish,
    "LEAKY_RELU": _leaky_relu,
    "RELU": lambda op, x: np.maximum(x, F32(0)).astype(F32),
    "RELU6": lambda op, x: np.minimum(np.maximum(x, F32(0)), F32(6)).astype(F32),
    "ABS": lambda op, x: np.abs(x).astype(F32),
    "NEG": lambda op, x: (-x).astype(F32),
    "SQUARE": lambda op, x: (x * x).astype(F32),
    "EXP": lambda op, x: _expf(x),
    "SIN": lambda op, x: _sinf(x),
    "COS": lambda op, x: _cosf(x),
    "SQRT": lambda op, x: np.sqrt(x).astype(F32),            # correctly rounded, as sqrtf
}


def _per_tensor_int(t: Tensor) -> bool:
    q = t.quantization
    return (t.dtype in (np.int8, np.int16) and q is not None and len(q.scales) == 1
            and float(q.scales[0]) > 0 and np.isfinite(float(q.scales[0])))


def dequantize_f32(values: np.ndarray, t: Tensor) -> np.ndarray:
    """TFLM's DEQUANTIZE: float32(scale) * float32(x - zp)."""
    q = t.quantization
    return (F32(q.scale) * (values.astype(np.int64) - q.zero_point).astype(F32)).astype(F32)


def quantize_s8(values: np.ndarray, t: Tensor):
    """TFLM's QUANTIZE float32 -> int8 (or int16, t's type): round(x / scale) (half away from
    zero) + zp, clamped; None when a rounded value is outside int32 (TFLM's conversion to
    int32 is undefined)."""
    from ..ops._eltwise import round_half_away
    q = t.quantization
    with np.errstate(all="ignore"):
        r = round_half_away((values / F32(q.scale)).astype(F32))
    if not np.all(np.abs(r) < 2.0 ** 31 - 256):
        return None
    info = np.iinfo(t.dtype)
    return np.clip(r.astype(np.int64) + q.zero_point, info.min, info.max).astype(t.dtype)


def _island(start: Operator, model: Model, reads, outputs):
    """[DEQUANTIZE, float ops..., QUANTIZE] starting at `start`, or None."""
    x = model.tensors[start.inputs[0]] if start.inputs and start.inputs[0] >= 0 else None
    if x is None or not _per_tensor_int(x) or len(start.outputs) != 1:
        return None
    chain, t = [start], start.outputs[0]
    while True:
        tt = model.tensors[t]
        if (tt.dtype != np.float32 or t in outputs or tt.is_variable or tt.data is not None
                or len(reads.get(t, [])) != 1):
            return None
        op = reads[t][0]
        if len([i for i in op.inputs if i >= 0]) != 1 or op.inputs[0] != t \
                or len(op.outputs) != 1 or op.intermediates:
            return None
        chain.append(op)
        if op.type == "QUANTIZE":
            y = model.tensors[op.outputs[0]]
            return chain if _per_tensor_int(y) and y.dtype == x.dtype else None
        if op.type not in FLOAT_OPS:
            return None
        if getattr(op.options, "fused_activation_function", "NONE") not in (None, "NONE"):
            return None
        t = op.outputs[0]


def table_of(chain, model: Model):
    """The island's int8 -> int8 table (input -128..127; int16 -> int16: -32768..32767), or
    None where TFLM's result is undefined (a value not finite, or beyond int32 once
    quantized)."""
    x = model.tensors[chain[0].inputs[0]]
    info = np.iinfo(x.dtype)
    v = dequantize_f32(np.arange(info.min, info.max + 1), x)
    with np.errstate(all="ignore"):
        for op in chain[1:-1]:
            v = FLOAT_OPS[op.type](op, v)
    if not np.all(np.isfinite(v)):
        return None
    return quantize_s8(v, model.tensors[chain[-1].outputs[0]])


def run(model: Model) -> list[str]:
    notes = []
    outputs = set(model.outputs)
    while True:
        reads = readers(model)
        for op in model.operators:
            if op.type != "DEQUANTIZE":
                continue
            chain = _island(op, model, reads, outputs)
            try:
                table = None if chain is None else table_of(chain, model)
            except ValueError:      # a C library without the float function: keep the island
                table = None
            if table is not None:
                break
        else:
            return notes
        table.setflags(write=False)
        tt = Tensor(index=len(model.tensors), name=f"float_island_table_{len(model.tensors)}",
                    shape=(table.size,), dtype=table.dtype, quantization=None, data=table,
                    type_name="INT8" if table.dtype == np.int8 else "INT16")
        model.tensors.append(tt)
        lut = Operator(index=chain[0].index, type=TABLE_OP,
                       inputs=(chain[0].inputs[0], tt.index), outputs=(chain[-1].outputs[0],),
                       source_index=chain[-1].source_index)
        drop = {id(o) for o in chain}
        ops = []
        for o in model.operators:
            if o is chain[-1]:
                ops.append(lut)
            elif id(o) not in drop:
                ops.append(o)
        model.operators = ops
        notes.append(" -> ".join(describe(o) for o in chain)
                     + f" (float32 in TFLM) became {TABLE_OP} with a {table.size}-entry "
                       f"{table.dtype.name} table")
