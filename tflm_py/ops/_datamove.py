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


def placeholder_hint(t, dims) -> str:
    """A refusal's explanation when a shape mismatch sits in a dimension the file declared
    dynamic (-1): the converter wrote a placeholder there (Keras' dynamic batch), not the
    shape the op computes; '' otherwise."""
    sig = getattr(t, "dynamic_signature", None)
    if not sig or not any(d < len(sig) and sig[d] == -1 for d in dims):
        return ""
    return (f": the file's shape is a placeholder for a dynamic dimension (signature "
            f"{list(sig)}), so TFLM cannot compute it correctly either; convert with a fixed "
            f"batch (keras.Input(..., batch_size=1))")


def quant_params(t) -> tuple[float, int]:
    """(scale, zero point) as TFLM sees them (0.0, 0 when the tensor has none)."""
    q = t.quantization
    if q is None or len(q.scales) == 0:
        return 0.0, 0
    return float(np.float32(q.scales[0])), int(q.zero_points[0]) if len(q.zero_points) else 0


def c_array(values) -> str:
    """A C brace initializer of integers."""
    return "{" + ", ".join(str(int(v)) for v in values) + "}"


# ------------------------------------------------------------------ strided byte views
# Many data-movement ops (SLICE, SPLIT, SPLIT_V, DEPTH_TO_SPACE, SPACE_TO_DEPTH, REVERSE_V2,
# BROADCAST_TO, TRANSPOSE, STRIDED_SLICE) read their output as a strided view of the input:
# output dim d walks `extent` positions, each `step` input bytes apart, from a first byte
# `offset`. kernels_c/gather_bytes.c runs every such view; Python only describes it.

GATHER_MAX_DIMS = 6  # TFLM_GATHER_MAX_DIMS of kernels_c/gather_bytes.h


def byte_strides(shape, elem_size: int) -> list[int]:
    """Row-major byte stride of every dim of `shape`."""
    strides = [0] * len(shape)
    acc = int(elem_size)
    for d in range(len(shape) - 1, -1, -1):
        strides[d] = acc
        acc *= int(shape[d])
    return strides


def collapse_view(runs, elem_size: int) -> tuple[list[int], list[int]]:
    """(out_dims, in_steps) of the byte gather for output dims `runs` = [(extent, byte step)]
    in output order: the element's bytes become the innermost dim, unit dims are dropped and
    a dim merges into its outer neighbour when the two walk the input as one run."""
    runs = [(int(e), int(s)) for e, s in runs] + [(int(elem_size), 1)]
    runs = [r for r in runs if r[0] != 1] or [(1, 1)]
    dims, steps = [], []
    for extent, step in runs:
        if dims and steps[-1] == step * extent:
            dims[-1] *= extent
            steps[-1] = step
        else:
            dims.append(extent)
            steps.append(step)
    if len(dims) > GATHER_MAX_DIMS:
        raise UnsupportedError(f"the copy needs {len(dims)} strided dims after collapsing; "
                               f"the gather kernel takes at most {GATHER_MAX_DIMS}")
    return dims, steps


def view_numpy(x: np.ndarray, offset: int, dims, steps) -> np.ndarray:
    """The bytes the gather kernel writes, computed with numpy (the simulator's copy)."""
    raw = np.ascontiguousarray(x).reshape(-1).view(np.uint8)
    idx = np.full((), int(offset), dtype=np.int64)
    for extent, step in zip(dims, steps):
        idx = idx[..., None] + np.arange(int(extent), dtype=np.int64) * int(step)
    return raw[idx.reshape(-1)]


def view_overlap_reads(offset: int, dims, steps):
    """(unit_bytes, min_read) of one gather (see ops/_overlap.py): the kernel writes output
    bytes in order, each right after reading its one input byte, and copies contiguous runs
    with memmove, so a unit is one byte and it reads exactly the byte the view names."""
    addr = np.full((), int(offset), dtype=np.int64)
    for extent, step in zip(dims, steps):
        addr = addr[..., None] + np.arange(int(extent), dtype=np.int64) * int(step)
    addr = addr.reshape(-1)
    return 1, np.minimum.accumulate(addr[::-1])[::-1].copy()


def emit_view(cg, hint: str, offset: int, dims, steps, src: str, dst: str) -> str:
    """The C call of one strided byte gather."""
    cg.use_kernel("gather_bytes")
    name = cg.param_struct("tflm_gather_bytes_params_t",
                           {"num_dims": len(dims), "offset": int(offset),
                            "out_dims": c_array(dims), "in_steps": c_array(steps)}, hint)
    return f"tflm_gather_bytes(&{name}, {src}, {dst});"
