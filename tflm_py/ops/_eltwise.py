"""Shared helpers of the element-wise rooms (ADD, SUB, MUL, MAXIMUM/MINIMUM, activations,
QUANTIZE/DEQUANTIZE): tensor checks, the broadcast layout handed to the C kernels, and
small C-emission helpers. Not a room (it declares no OPS and is not in the registry).
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError

# TFLM's binary element-wise kernels walk at most 6 dimensions
MAX_BROADCAST_RANK = 6
# the C kernels' params structs hold this many (collapsed) dimensions
KERNEL_DIMS = 6

INT8 = np.dtype(np.int8)
INT16 = np.dtype(np.int16)
FLOAT32 = np.dtype(np.float32)

TYPE_NAMES = {INT8: "int8", INT16: "int16", FLOAT32: "float32"}


def type_name(t) -> str:
    return TYPE_NAMES.get(t.dtype, t.type_name.lower())


def require_inputs(op, n_inputs: int, n_outputs: int = 1):
    ins = [i for i in op.inputs]
    if len(ins) < n_inputs or any(i < 0 for i in ins[:n_inputs]):
        raise UnsupportedError(f"expects {n_inputs} input(s), got {len(ins)}")
    if len(op.outputs) != n_outputs:
        raise UnsupportedError(f"expects {n_outputs} output(s), got {len(op.outputs)}")


def require_per_tensor(t, what: str, dtype=None):
    """An activation tensor quantised per tensor with a zero point inside the dtype's range."""
    q = t.quantization
    if q is None or len(q.scales) == 0:
        raise UnsupportedError(f"{what} tensor '{t.name}' has no quantization parameters")
    if q.per_channel:
        raise UnsupportedError(f"{what} tensor '{t.name}' is quantized per channel; "
                               "only per-tensor quantization is supported here")
    if not (q.scale > 0.0 and np.isfinite(q.scale)):
        raise UnsupportedError(f"{what} tensor '{t.name}' has a non-positive scale {q.scale}")
    info = np.iinfo(dtype or t.dtype)
    if not info.min <= q.zero_point <= info.max:
        raise UnsupportedError(f"{what} tensor '{t.name}' zero point {q.zero_point} is outside "
                               f"the {info.dtype} range")


def scale_zp(t) -> tuple[float, int]:
    return float(t.quantization.scale), int(t.quantization.zero_point)


def broadcast_shape(shape1, shape2):
    try:
        return tuple(int(d) for d in np.broadcast_shapes(tuple(shape1), tuple(shape2)))
    except ValueError:
        return None


def check_binary_shapes(op, model):
    """The two inputs broadcast to the output's shape, within TFLM's 6 dimensions."""
    t1, t2 = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    for t in (t1, t2, out):
        if len(t.shape) > MAX_BROADCAST_RANK:
            raise UnsupportedError(f"tensor '{t.name}' has rank {len(t.shape)}; at most "
                                   f"{MAX_BROADCAST_RANK} dimensions are supported")
        if any(d <= 0 for d in t.shape):
            raise UnsupportedError(f"tensor '{t.name}' has an empty or dynamic shape {t.shape}")
    bs = broadcast_shape(t1.shape, t2.shape)
    if bs is None:
        raise UnsupportedError(f"input shapes {t1.shape} and {t2.shape} do not broadcast")
    if int(np.prod(bs)) != out.size or _extend(bs, len(out.shape)) != _extend(out.shape, len(bs)):
        raise UnsupportedError(f"output shape {out.shape} is not the broadcast shape {bs} of "
                               f"the inputs {t1.shape} and {t2.shape}")


FUSED_ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def check_binary_arith(op, model):
    """The common checks of ADD/SUB/MUL: two int8 (or int16) inputs of the output's type,
    per-tensor quantization, a supported fused activation, broadcastable shapes."""
    require_inputs(op, 2)
    t1, t2 = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    if out.dtype not in (INT8, INT16):
        raise UnsupportedError(f"only int8 and int16 tensors are supported, output is "
                               f"{type_name(out)}")
    for t, what in ((t1, "input 1"), (t2, "input 2")):
        if t.dtype != out.dtype:
            raise UnsupportedError(f"{what} is {type_name(t)} but the output is "
                                   f"{type_name(out)}; all tensors must share one type")
    for t, what in ((t1, "input 1"), (t2, "input 2"), (out, "output")):
        require_per_tensor(t, what)
    act = getattr(op.options, "fused_activation_function", "NONE")
    if act not in FUSED_ACTIVATIONS:
        raise UnsupportedError(f"fused activation {act} is not supported")
    check_binary_shapes(op, model)


def _extend(shape, rank):
    shape = tuple(int(d) for d in shape)
    return (1,) * (rank - len(shape)) + shape


def broadcast_layout(shape1, shape2, out_shape) -> dict:
    """How the C kernels walk a (possibly broadcasting) binary op, computed once here.

    Returns {"broadcast": bool, "size": int, "dims": [6], "strides1": [6], "strides2": [6]}:
    the output's dimensions after dropping unit dimensions and merging neighbours that both
    inputs walk contiguously, left-padded with 1 to KERNEL_DIMS; strides are in elements of
    each input, 0 where that input is broadcast. "broadcast" is False when both inputs have
    the output's element layout (the kernels then run one flat loop).
    """
    rank = max(len(shape1), len(shape2), len(out_shape))
    a, b, o = _extend(shape1, rank), _extend(shape2, rank), _extend(out_shape, rank)
    size = int(np.prod(o, dtype=np.int64)) if rank else 1
    broadcast = a != b  # TFLM: extended shapes equal -> no broadcast

    def strides(s):
        st, acc = [0] * rank, 1
        for i in range(rank - 1, -1, -1):
            st[i] = acc if s[i] != 1 else 0
            acc *= s[i]
        return st

    sa, sb = strides(a), strides(b)
    dims = []  # list of [dim, stride_a, stride_b], outermost first
    for i in range(rank):
        if o[i] == 1:
            continue
        dims.append([o[i], sa[i], sb[i]])
    merged: list[list[int]] = []
    for d in reversed(dims):  # innermost first
        if merged:
            inner = merged[-1]
            if d[1] == inner[1] * inner[0] and d[2] == inner[2] * inner[0]:
                inner[0] *= d[0]
                continue
        merged.append(list(d))
    merged.reverse()
    if not merged:
        merged = [[1, 0, 0]]
    if len(merged) > KERNEL_DIMS:  # cannot happen for rank <= 6
        raise UnsupportedError(f"broadcast of {shape1} and {shape2} needs more than "
                               f"{KERNEL_DIMS} dimensions")
    pad = KERNEL_DIMS - len(merged)
    return {
        "broadcast": bool(broadcast),
        "size": size,
        "dims": [1] * pad + [m[0] for m in merged],
        "strides1": [0] * pad + [m[1] for m in merged],
        "strides2": [0] * pad + [m[2] for m in merged],
    }


def c_list(values) -> str:
    """A brace initializer: `{1, 2, 3}`."""
    return "{" + ", ".join(str(int(v)) for v in values) + "}"


def c_float(x: float) -> str:
    """A float32 constant as a C expression that reproduces the exact value."""
    f = np.float32(x)
    if not np.isfinite(f):
        raise UnsupportedError(f"non-finite float constant {x}")
    # 9 significant digits round-trip any float32; the 'f' suffix keeps it single precision
    text = f"{float(f):.9g}"
    if not any(ch in text for ch in ".en"):
        text += ".0"
    return text + "f"


def layout_fields(layout: dict) -> dict:
    return {
        "size": layout["size"],
        "broadcast": int(layout["broadcast"]),
        "dims": c_list(layout["dims"]),
        "strides1": c_list(layout["strides1"]),
        "strides2": c_list(layout["strides2"]),
    }


def broadcast_inputs(x1: np.ndarray, x2: np.ndarray, out_shape):
    """Both inputs as int64 arrays of the output's shape (numpy broadcasting = TFLM's)."""
    bs = np.broadcast_shapes(x1.shape, x2.shape)
    a = np.broadcast_to(np.asarray(x1, dtype=np.int64), bs)
    b = np.broadcast_to(np.asarray(x2, dtype=np.int64), bs)
    return a.reshape(out_shape), b.reshape(out_shape)


def round_half_away(x):
    """TfLiteRound / std::round (half away from zero) of float values, exactly: the
    fractional part of a float is exact, so no float addition can round it away."""
    x = np.asarray(x, dtype=np.float64)
    t = np.trunc(x)
    frac = x - t
    return t + (frac >= 0.5) - (frac <= -0.5)
