"""A small numpy evaluator of the integer (non-quantized) ops that compute shapes and indices,
for `fold_constants`, where no op room takes the op. Semantics are TensorFlow Lite's
reference kernels' for int32/int64/bool tensors (C++ integer arithmetic: DIV truncates,
FLOOR_DIV / FLOOR_MOD round toward minus infinity, int32 results wrap).

`evaluate(op, model, args) -> list of arrays`, or raises CannotFold when the op, its options
or its types are outside what is evaluated here (the op is then left in the graph).
"""
from __future__ import annotations

import numpy as np

from ..ir import Model, Operator


class CannotFold(Exception):
    pass


_INT_TYPES = ("INT32", "INT64", "BOOL", "INT16", "INT8", "UINT8")
_ARITH_TYPES = ("INT32", "INT64")


def _opt(op: Operator, name: str, default=None):
    v = getattr(op.options, name, default)
    return default if v is None else v


def _axis(axis: int, rank: int) -> int:
    a = axis + rank if axis < 0 else axis
    if not 0 <= a < max(rank, 1):
        raise CannotFold(f"axis {axis} out of range")
    return a


def _activation(op, y):
    act = _opt(op, "fused_activation_function", "NONE")
    if act == "NONE":
        return y
    if act == "RELU":
        return np.maximum(y, 0)
    if act == "RELU6":
        return np.clip(y, 0, 6)
    if act == "RELU_N1_TO_1":
        return np.clip(y, -1, 1)
    raise CannotFold(f"fused activation {act}")


def _wrap(y, dtype):
    """C++ integer results of `dtype` (two's complement wrap)."""
    return np.asarray(y).astype(np.int64).astype(dtype)


def _binary(op, a, b, dtype):
    a64, b64 = a.astype(np.int64), b.astype(np.int64)
    t = op.type
    if t == "ADD":
        y = a64 + b64
    elif t == "SUB":
        y = a64 - b64
    elif t == "MUL":
        y = a64 * b64
    elif t in ("DIV", "FLOOR_DIV", "FLOOR_MOD"):
        if np.any(np.broadcast_to(b64, np.broadcast_shapes(a64.shape, b64.shape)) == 0):
            raise CannotFold("division by zero")
        lowest = np.iinfo(dtype).min
        if np.any((a64 == lowest) & (b64 == -1)):
            # C++'s lowest / -1 overflows: TFLM's kernel traps (SIGFPE on x86), keep the op
            raise CannotFold(f"{lowest} / -1 overflows")
        if t == "DIV":
            q = np.abs(a64) // np.abs(b64)
            y = np.where((a64 < 0) != (b64 < 0), -q, q)
        elif t == "FLOOR_DIV":
            y = np.floor_divide(a64, b64)
        else:
            y = np.mod(a64, b64)
    elif t == "MAXIMUM":
        y = np.maximum(a64, b64)
    elif t == "MINIMUM":
        y = np.minimum(a64, b64)
    elif t == "SQUARED_DIFFERENCE":
        y = (a64 - b64) ** 2
    else:
        raise CannotFold(t)
    if t == "ADD":      # TFLM's integer ADD (add.cc) clamps to the type's range only
        return _wrap(y, dtype)
    return _wrap(_activation(op, _wrap(y, dtype)), dtype)


_COMPARE = {"EQUAL": np.equal, "NOT_EQUAL": np.not_equal, "LESS": np.less,
            "LESS_EQUAL": np.less_equal, "GREATER": np.greater,
            "GREATER_EQUAL": np.greater_equal}
_LOGICAL = {"LOGICAL_AND": np.logical_and, "LOGICAL_OR": np.logical_or}
_REDUCE = {"SUM": np.sum, "REDUCE_PROD": np.prod, "REDUCE_MAX": np.max,
           "REDUCE_MIN": np.min, "REDUCE_ANY": np.any, "REDUCE_ALL": np.all}


def _strided_slice(op, x, begin, end, strides):
    if _opt(op, "ellipsis_mask", 0) or _opt(op, "new_axis_mask", 0) or _opt(op, "offset", False):
        raise CannotFold("ellipsis / new axis / offset strided slice")
    bm, em, sm = (int(_opt(op, k, 0)) for k in ("begin_mask", "end_mask", "shrink_axis_mask"))
    if not (len(begin) == len(end) == len(strides) == x.ndim):
        raise CannotFold("begin/end/strides do not match the input rank")
    index = []
    for a in range(x.ndim):
        n, s = x.shape[a], int(strides[a])
        if s == 0:
            raise CannotFold("zero stride")
        if sm >> a & 1:
            b = int(begin[a]) + (n if begin[a] < 0 else 0)
            if not 0 <= b < n:
                raise CannotFold("shrunk index out of range")
            index.append(b)
            continue
        b = None if bm >> a & 1 else int(begin[a])
        e = None if em >> a & 1 else int(end[a])
        index.append(slice(b, e, s))
    return x[tuple(index)]


def evaluate(op: Operator, model: Model, args: list) -> list[np.ndarray]:
    outs = [model.tensors[t] for t in op.outputs]
    ins = [None if t < 0 else model.tensors[t] for t in op.inputs]
    for t in [*ins, *outs]:
        if t is not None and t.type_name not in _INT_TYPES:
            raise CannotFold(f"{t.type_name} tensor")
    # quantized int8/int16 values are only moved, never computed with
    moves_only = op.type in ("SHAPE", "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "PACK", "UNPACK",
                             "GATHER", "STRIDED_SLICE", "SLICE", "TRANSPOSE", "TILE",
                             "BROADCAST_TO", "CONCATENATION", "ZEROS_LIKE", "FILL", "CAST")
    if not moves_only:
        for t in [*ins, *outs]:
            if t is not None and t.quantization is not None and t.type_name != "BOOL":
                raise CannotFold("quantized arithmetic")
    y = outs[0]
    x = args[0] if args else None
    t = op.type
    if t == "SHAPE":
        return [np.asarray(ins[0].shape, dtype=y.dtype)]
    if t in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS"):
        return [np.asarray(x).reshape(y.shape)]
    if t == "PACK":
        axis = _axis(int(_opt(op, "axis", 0)), args[0].ndim + 1)
        return [np.stack(args, axis=axis)]
    if t == "UNPACK":
        axis = _axis(int(_opt(op, "axis", 0)), x.ndim)
        return [np.take(x, k, axis=axis) for k in range(x.shape[axis])]
    if t == "CONCATENATION":
        if any(i.quantization is not None and not _same_q(i, y) for i in ins):
            raise CannotFold("requantizing concatenation")
        return [_activation(op, np.concatenate(args, axis=_axis(int(_opt(op, "axis", 0)),
                                                                  x.ndim)))]
    if t == "GATHER":
        if int(_opt(op, "batch_dims", 0)) != 0:
            raise CannotFold("batch_dims")
        axis = _axis(int(_opt(op, "axis", 0)), x.ndim)
        idx = args[1].astype(np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= x.shape[axis]):
            raise CannotFold("gather index out of range")
        return [np.take(x, idx, axis=axis)]
    if t == "STRIDED_SLICE":
        return [_strided_slice(op, x, *(a.reshape(-1).astype(np.int64) for a in args[1:4]))]
    if t == "SLICE":
        begin, size = (a.reshape(-1).astype(np.int64) for a in args[1:3])
        idx = tuple(slice(int(b), None if int(s) == -1 else int(b) + int(s))
                    for b, s in zip(begin, size))
        return [x[idx]]
    if t == "TRANSPOSE":
        return [np.transpose(x, args[1].reshape(-1).astype(np.int64))]
    if t == "TILE":
        return [np.tile(x, args[1].reshape(-1).astype(np.int64))]
    if t == "BROADCAST_TO":
        return [np.broadcast_to(x, tuple(args[1].reshape(-1).tolist()))]
    if t == "BROADCAST_ARGS":
        return [np.asarray(np.broadcast_shapes(tuple(args[0].reshape(-1).tolist()),
                                               tuple(args[1].reshape(-1).tolist())),
                           dtype=y.dtype)]
    if t == "FILL":
        return [np.full(tuple(args[0].reshape(-1).tolist()), args[1].reshape(-1)[0],
                        dtype=y.dtype)]
    if t == "ZEROS_LIKE":
        return [np.zeros_like(x)]
    if t == "ONES_LIKE":
        return [np.ones_like(x)]
    if t == "RANGE":
        start, limit, delta = (int(a.reshape(-1)[0]) for a in args[:3])
        if delta == 0:
            raise CannotFold("zero delta")
        return [np.arange(start, limit, delta)]
    if t == "CAST":
        if y.type_name == "BOOL":
            return [x != 0]
        return [x.astype(np.int64).astype(y.dtype)]
    if t in ("ADD", "SUB", "MUL", "DIV", "FLOOR_DIV", "FLOOR_MOD", "MAXIMUM", "MINIMUM",
             "SQUARED_DIFFERENCE"):
        if y.type_name not in _ARITH_TYPES:
            raise CannotFold(f"{y.type_name} arithmetic")
        return [_binary(op, args[0], args[1], y.dtype)]
    if t in ("NEG", "ABS", "SQUARE"):
        if y.type_name not in _ARITH_TYPES:
            raise CannotFold(f"{y.type_name} arithmetic")
        x64 = x.astype(np.int64)
        return [_wrap(-x64 if t == "NEG" else np.abs(x64) if t == "ABS" else x64 * x64, y.dtype)]
    if t in _COMPARE:
        return [_COMPARE[t](args[0].astype(np.int64), args[1].astype(np.int64))]
    if t in _LOGICAL:
        return [_LOGICAL[t](args[0], args[1])]
    if t == "LOGICAL_NOT":
        return [np.logical_not(x)]
    if t in ("SELECT", "SELECT_V2"):
        return [np.where(args[0], args[1], args[2])]
    if t in _REDUCE:
        axes = sorted({_axis(int(a), x.ndim) for a in args[1].reshape(-1)})
        keep = bool(_opt(op, "keep_dims", False))
        if t in ("REDUCE_MAX", "REDUCE_MIN") and any(x.shape[a] == 0 for a in axes):
            raise CannotFold("empty reduction")
        r = _REDUCE[t](x.astype(np.int64) if y.type_name != "BOOL" else x, axis=tuple(axes),
                       keepdims=keep)
        return [_wrap(r, y.dtype) if y.type_name != "BOOL" else np.asarray(r)]
    if t in ("ARG_MAX", "ARG_MIN"):
        axis = _axis(int(args[1].reshape(-1)[0]), x.ndim)
        f = np.argmax if t == "ARG_MAX" else np.argmin
        return [f(x, axis=axis)]
    raise CannotFold(f"{t} is not evaluated at generation time")


def _same_q(a, b) -> bool:
    from ._graph import same_quantization
    return same_quantization(a, b)
