"""Float islands of an int8 model become one int8 lookup table.

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

An island is everything a QUANTIZE (float32 -> per-tensor int8 or int16) reads back to one
tensor, elementwise: DEQUANTIZEs of that tensor, float32 unary ops, binary ops (ADD, SUB, MUL,
DIV, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, with their fused activation) whose other input is
a one-value constant or computed from the same tensor, comparisons (in float, or in int8 on
the tensor itself as TFLM's quantized comparison), logical ops, SELECT_V2 and CAST; every
tensor of the same shape. The float tensors may have other readers (a DEQUANTIZE read by
FLOOR and CEIL gives two tables); ops left unread afterwards go in `dead_ops`. A QUANTIZE of a
float32 CONCATENATION becomes QUANTIZEs of its inputs and an int8 CONCATENATION first
(quantizing is elementwise).
An island whose float values are not all finite (a SQRT of negative inputs; LOG and RSQRT of
0), or whose quantized values leave int32 (an EXP of large inputs), stays and is refused as a
float op: TFLM's conversion of such values to int32 is undefined behaviour.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses

import numpy as np

from ..ir import Model, Operator, Tensor
from ._graph import describe, is_known, readers

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


def _per_tensor_int(t: Tensor, dtypes=(np.int8, np.int16)) -> bool:
    q = t.quantization
    return (t.dtype in dtypes and q is not None and len(q.scales) == 1
            and float(q.scales[0]) > 0 and np.isfinite(float(q.scales[0])))


def _per_tensor_int8(t: Tensor) -> bool:
    return _per_tensor_int(t, (np.int8,))


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


def _round_half_even(op, x):
    """reference_ops::Round: floor, plus 1 unless the rest is below a half (or a half above
    an even floor); so -0.3 rounds to +0.0 (floor -1, plus 1), as TFLM writes it."""
    fl = np.floor(x).astype(F32)
    diff = (x - fl).astype(F32)
    with np.errstate(invalid="ignore"):
        even = np.where(np.isfinite(fl), np.fmod(fl, 2) == 0, False)
    keep = (diff < F32(0.5)) | ((diff == F32(0.5)) & even)
    return np.where(keep, fl, (fl + F32(1)).astype(F32)).astype(F32)


def _logf(op, x):
    return _cfun("logf")(x)


def _rsqrt(op, x):
    return (F32(1) / np.sqrt(x).astype(F32)).astype(F32)


FLOAT_OPS.update({
    "FLOOR": lambda op, x: np.floor(x).astype(F32),
    "CEIL": lambda op, x: np.ceil(x).astype(F32),
    "ROUND": _round_half_even,
    "LOG": _logf,
    "RSQRT": _rsqrt,
})

_ACT_LIMITS = {"NONE": (-np.inf, np.inf), "RELU": (0, np.inf), "RELU6": (0, 6),
               "RELU_N1_TO_1": (-1, 1)}


def _fused(op, y):
    act = getattr(op.options, "fused_activation_function", "NONE") or "NONE"
    if act not in _ACT_LIMITS:
        raise ValueError(f"fused activation {act}")
    lo, hi = _ACT_LIMITS[act]
    return np.minimum(np.maximum(y, F32(lo)), F32(hi)).astype(F32)


# float32 binary ops (their reference kernels: the operation in float, then the fused
# activation's clamp)
FLOAT_BINARY = {
    "ADD": lambda a, b: a + b,
    "SUB": lambda a, b: a - b,
    "MUL": lambda a, b: a * b,
    "DIV": lambda a, b: a / b,
    "MAXIMUM": np.maximum,
    "MINIMUM": np.minimum,
    "SQUARED_DIFFERENCE": lambda a, b: (a - b) * (a - b),
}
COMPARISONS = {"EQUAL": np.equal, "NOT_EQUAL": np.not_equal, "LESS": np.less,
               "LESS_EQUAL": np.less_equal, "GREATER": np.greater,
               "GREATER_EQUAL": np.greater_equal}
LOGICAL = {"LOGICAL_AND": np.logical_and, "LOGICAL_OR": np.logical_or}
# every op an island may hold besides DEQUANTIZE and its closing QUANTIZE
ISLAND_OPS = (set(FLOAT_OPS) | set(FLOAT_BINARY) | set(COMPARISONS) | set(LOGICAL)
              | {"LOGICAL_NOT", "SELECT", "SELECT_V2", "CAST"})
_BOOL = np.dtype(np.bool_)


def _compare_int8(op, model, a, b):
    """TFLM's int8 comparison (both inputs rescaled to a common scale), as ops/comparisons."""
    from ..ops import comparisons
    p = comparisons.prepare(op, model)
    a = comparisons._scaled(a, p["offset1"], p["multiplier1"], p["shift1"])
    b = comparisons._scaled(b, p["offset2"], p["multiplier2"], p["shift2"])
    return COMPARISONS[op.type](a, b)


def _evaluate(op, model, args):
    """One island op on 1-D value arrays (the source's 256 values, or scalars)."""
    t = op.type
    types = [model.tensors[i].dtype for i in op.inputs]
    if t == "DEQUANTIZE":
        return dequantize_f32(args[0], model.tensors[op.inputs[0]])
    if t == "CAST":
        out = model.tensors[op.outputs[0]].dtype
        if out not in (np.dtype(np.float32), _BOOL) or types[0] not in (
                np.dtype(np.float32), _BOOL, np.dtype(np.int8)):
            raise ValueError("cast")
        return args[0].astype(F32) if out == np.float32 else args[0] != 0
    if t in COMPARISONS:
        if types[0] != types[1]:
            raise ValueError("mixed comparison")
        if types[0] == np.int8:
            if not all(_per_tensor_int8(model.tensors[i]) for i in op.inputs[:2]):
                raise ValueError("int8 comparison needs per-tensor quantization")
            return _compare_int8(op, model, args[0], args[1])
        if types[0] not in (np.dtype(np.float32), _BOOL):
            raise ValueError("comparison type")
        return COMPARISONS[t](args[0], args[1])
    if t in LOGICAL:
        return LOGICAL[t](args[0], args[1])
    if t == "LOGICAL_NOT":
        return np.logical_not(args[0])
    if t in ("SELECT", "SELECT_V2"):
        if types[1] != np.float32 or types[2] != np.float32:
            raise ValueError("select type")
        return np.where(args[0], args[1], args[2]).astype(F32)
    if any(d != np.float32 for d in types):
        raise ValueError(f"{t} on {types}")
    if t in FLOAT_BINARY:
        return _fused(op, FLOAT_BINARY[t](args[0], args[1]).astype(F32))
    if getattr(op.options, "fused_activation_function", "NONE") not in (None, "NONE"):
        raise ValueError("fused activation")
    return FLOAT_OPS[t](op, args[0])


def _cone(end: int, out_shape, model: Model, producer):
    """The ops computing the float32 tensor `end` from one int8 (or int16) tensor, elementwise:
    (source tensor, ops in graph order), or None."""
    source, ops, todo, seen = None, {}, [end], set()
    while todo:
        t = todo.pop()
        if t in seen:
            continue
        seen.add(t)
        tt = model.tensors[t]
        if is_known(model, t):
            if tt.data.size != 1:
                return None
            continue
        if tt.is_variable or tuple(tt.shape) != tuple(out_shape):
            return None
        if tt.dtype in (np.int8, np.int16):
            if source is not None or not _per_tensor_int(tt):
                return None
            source = t
            continue
        op = producer.get(t)
        if (op is None or tt.dtype not in (np.dtype(np.float32), _BOOL)
                or op.type not in ISLAND_OPS | {"DEQUANTIZE"} or len(op.outputs) != 1
                or op.intermediates or any(i < 0 for i in op.inputs)):
            return None
        ops[id(op)] = op
        todo.extend(op.inputs)
    if source is None or len(ops) > 64:
        return None
    order = {id(o): k for k, o in enumerate(model.operators)}
    return source, sorted(ops.values(), key=lambda o: order[id(o)])


def table_of(source: int, ops, quant, model: Model):
    """The island's int8 -> int8 table (source value -128..127; int16 -> int16: -32768..32767),
    or None where TFLM's result is undefined (a value not finite, or beyond int32 once
    quantized). With `quant` a tensor index (a float32 graph output; int8 sources only)
    instead of the QUANTIZE op: its float32 table."""
    info = np.iinfo(model.tensors[source].dtype)
    n = info.max - info.min + 1
    values = {source: np.arange(info.min, info.max + 1).astype(model.tensors[source].dtype)}

    def arg(i):
        if i in values:
            return values[i]
        return np.asarray(model.tensors[i].data).reshape(())
    with np.errstate(all="ignore"):
        for op in ops:
            v = np.asarray(_evaluate(op, model, [arg(i) for i in op.inputs]))
            v = np.broadcast_to(v, (n,))
            if v.dtype == np.float32 and not np.all(np.isfinite(v)):
                return None
            values[op.outputs[0]] = v
    v = values[quant if isinstance(quant, int) else quant.inputs[0]]
    if v.dtype != np.float32:
        return None
    if isinstance(quant, int):
        return np.array(v, dtype=F32) if n == 256 else None
    if model.tensors[quant.outputs[0]].dtype != model.tensors[source].dtype:
        return None
    return quantize_s8(v, model.tensors[quant.outputs[0]])


def _split_concat(model: Model, reads, producer) -> list[str]:
    """QUANTIZE of a float32 CONCATENATION (read only there) becomes QUANTIZEs of its inputs
    and an int8 CONCATENATION (quantizing is elementwise: the same values, exactly), so each
    input can become its own table."""
    for q in model.operators:
        if q.type != "QUANTIZE" or not _per_tensor_int8(model.tensors[q.outputs[0]]):
            continue
        c = producer.get(q.inputs[0])
        if (c is None or c.type != "CONCATENATION" or q.inputs[0] in model.outputs
                or len(reads.get(q.inputs[0], [])) != 1
                or getattr(c.options, "fused_activation_function", "NONE") not in (None, "NONE")
                or any(i < 0 or model.tensors[i].dtype != np.float32 or is_known(model, i)
                       for i in c.inputs)):
            continue
        qt = model.tensors[q.outputs[0]]
        new_ops, ins = [], []
        for i in c.inputs:
            t = dataclasses.replace(qt, index=len(model.tensors), name=f"{qt.name}_part{len(ins)}",
                                    shape=tuple(model.tensors[i].shape), shape_signature=None,
                                    dynamic_signature=None)
            model.tensors.append(t)
            ins.append(t.index)
            new_ops.append(Operator(index=c.index, type="QUANTIZE", inputs=(i,),
                                    outputs=(t.index,), source_index=q.source_index))
        cat = dataclasses.replace(c, inputs=tuple(ins), outputs=tuple(q.outputs))
        ops = []
        for o in model.operators:
            if o is c:
                ops += new_ops + [cat]
            elif o is not q:
                ops.append(o)
        model.operators = ops
        return [f"{describe(q)} of float32 {describe(c)} became {len(new_ops)} QUANTIZE ops "
                f"and an int8 CONCATENATION (+{len(new_ops) - 1} ops)"]
    return []


def run(model: Model) -> list[str]:
    notes = []
    while True:
        reads = readers(model)
        producer = {t: op for op in model.operators for t in op.outputs}
        split = _split_concat(model, reads, producer)
        if split:
            notes += split
            continue
        for q, end, out in _ends(model, producer):
            cone = _cone(end, model.tensors[out].shape, model, producer)
            if cone is None:
                continue
            try:
                table = table_of(cone[0], cone[1], q if q.type == "QUANTIZE" else out, model)
            except ValueError:      # an op or type not evaluated here: keep the island
                table = None
            if table is not None:
                break
        else:
            return notes
        source, island = cone
        table.setflags(write=False)
        kind = {np.dtype(np.int8): "int8", np.dtype(np.int16): "int16"}.get(table.dtype,
                                                                          "float32")
        tt = Tensor(index=len(model.tensors), name=f"float_island_table_{len(model.tensors)}",
                    shape=(table.size,), dtype=table.dtype, quantization=None, data=table,
                    type_name=kind.upper())
        model.tensors.append(tt)
        lut = Operator(index=q.index, type=TABLE_OP, inputs=(source, tt.index),
                       outputs=(out,), source_index=q.source_index)
        model.operators = [lut if o is q else o for o in model.operators]
        head = f"{describe(q)} of " if q.type == "QUANTIZE" else "graph output of "
        notes.append(head + ", ".join(describe(o) for o in island)
                     + f" (float32 in TFLM) became {TABLE_OP} with a {table.size}-entry {kind} table")


def _ends(model: Model, producer):
    """(op replaced, float32 tensor the island computes, tensor the table writes): every
    QUANTIZE float32 -> per-tensor int8, and every float32 graph output an island op (not a
    DEQUANTIZE, which runs as it is) writes."""
    for q in model.operators:
        if q.type == "QUANTIZE" and _per_tensor_int(model.tensors[q.outputs[0]]) \
                and model.tensors[q.inputs[0]].dtype == np.float32:
            yield q, q.inputs[0], q.outputs[0]
    for t in model.outputs:
        op = producer.get(t)
        if (op is not None and op.type in ISLAND_OPS and len(op.outputs) == 1
                and model.tensors[t].dtype == np.float32):
            yield op, t, t
