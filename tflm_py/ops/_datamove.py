"""Shared helpers of the pure data-movement rooms (reshape, concatenation, pad, transpose,
strided_slice): type checks and the C type of an element. These ops move bytes only, so any
element type TFLM allows for the op works the same way."""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError

# TFLite type name -> C element type (for small constant arrays such as a pad value)
C_TYPES = {"INT8": "int8_t", "UINT8": "uint8_t", "INT16": "int16_t", "INT32": "int32_t",
           "INT64": "int64_t", "FLOAT32": "float", "BOOL": "uint8_t"}


def one_output(op, model):
    if len(op.outputs) != 1 or op.outputs[0] < 0:
        raise UnsupportedError("expects exactly one output")
    return model.tensors[op.outputs[0]]


def input_tensor(op, model, k: int, what: str = "input"):
    if k >= len(op.inputs) or op.inputs[k] < 0:
        raise UnsupportedError(f"{what} tensor is missing")
    return model.tensors[op.inputs[k]]


def require_type(t, allowed, what: str) -> None:
    if t.type_name not in allowed:
        raise UnsupportedError(f"{what} type {t.type_name} is not supported "
                               f"(TFLM supports {', '.join(allowed)})")


def require_same_type(a, b, what_a: str = "input", what_b: str = "output") -> None:
    if a.type_name != b.type_name:
        raise UnsupportedError(f"{what_a} type {a.type_name} differs from {what_b} type "
                               f"{b.type_name}")


def require_nonempty(t, what: str) -> None:
    if t.size == 0:
        raise UnsupportedError(f"{what} tensor has no elements (shape {list(t.shape)})")


def const_int32(op, model, k: int, what: str) -> np.ndarray:
    """The data of a constant INT32 input tensor (TFLM micro reads these as int32 only)."""
    t = input_tensor(op, model, k, what)
    if not t.is_constant:
        raise UnsupportedError(f"non-constant {what} tensor is not supported (TFLM requires "
                               f"a constant)")
    if t.type_name != "INT32":
        raise UnsupportedError(f"{what} tensor must be INT32 (TFLM micro reads it as int32), "
                               f"got {t.type_name}")
    return np.asarray(t.data, dtype=np.int64).reshape(t.shape)


def quant_params(t) -> tuple[float, int]:
    """(scale, zero point) as TFLM sees them (0.0, 0 when the tensor has none)."""
    q = t.quantization
    if q is None or len(q.scales) == 0:
        return 0.0, 0
    return float(np.float32(q.scales[0])), int(q.zero_points[0]) if len(q.zero_points) else 0


def c_array(values) -> str:
    """A C brace initializer of integers."""
    return "{" + ", ".join(str(int(v)) for v in values) + "}"
