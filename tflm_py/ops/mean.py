"""MEAN room: int8 -> int8 or int16 -> int16 over constant int32 axes (negative / repeated axes allowed),
keep_dims true or false, input rank 1..5 (TFLM micro's limit), any number of reduced axes.

TFLM micro (reduce_common.cc + reference_ops::QuantizedMeanOrSum in reduce.h), as the
PyPI tflite-micro oracle computes it - for equal input/output quantization too (the source's
same-scale shortcut, a plain truncating sum / n, is NOT what the oracle does):
- sum = int32 sum of the raw int8 values over the reduced axes; n = number of summed values.
- (multiplier, shift) = QuantizeMultiplier(double(in_scale) / double(out_scale)); the 1/n
  factor is folded in: s = min(floor(log2 n), 32, 31 + shift),
  multiplier = (multiplier << s) / n (int64, truncating), shift -= s;
  out = clamp(MultiplyByQuantizedMultiplier(sum - in_zp * n, multiplier, shift) + out_zp)
  (the int32 double-rounding MultiplyByQuantizedMultiplier).
int16 takes the same arithmetic (QuantizedMeanOrSum<int16_t>), clamped to int16.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from .. import quant

OPS = ("MEAN",)
INPLACE = None

MAX_DIMS = 5


def _axes(op, model) -> list[int]:
    x = model.tensor(op.inputs[0])
    a = model.tensor(op.inputs[1])
    rank = len(x.shape)
    out: list[int] = []
    if a.size == 0:
        return out
    for v in np.asarray(a.data).ravel():
        v = int(v)
        v = v + rank if v < 0 else v
        if v not in out:
            out.append(v)
    return out


def check(op, model) -> None:
    if len(op.inputs) != 2 or len(op.outputs) != 1:
        raise UnsupportedError("expects inputs (input, axis) and one output")
    x = model.tensor(op.inputs[0])
    a = model.tensor(op.inputs[1])
    y = model.tensor(op.outputs[0])
    if x is None or a is None or y is None:
        raise UnsupportedError("input, axis or output tensor is missing")
    if x.dtype != y.dtype or x.dtype not in (np.int8, np.int16):
        raise UnsupportedError(f"only int8 -> int8 and int16 -> int16 are supported, got "
                               f"{x.type_name} -> {y.type_name}")
    for t, what in ((x, "input"), (y, "output")):
        if t.quantization is None or len(t.quantization.scales) == 0:
            raise UnsupportedError(f"{what} tensor has no quantization parameters")
    if a.dtype != np.dtype(np.int32):
        raise UnsupportedError(f"axis must be int32, got {a.type_name}")
    if not a.is_constant and a.size != 0:
        raise UnsupportedError("axis must be a constant tensor")
    rank = len(x.shape)
    if rank < 1 or rank > MAX_DIMS:
        raise UnsupportedError(f"input rank must be 1..{MAX_DIMS}, got {rank}")
    for v in (np.asarray(a.data).ravel() if a.size else ()):
        if not -rank <= int(v) < rank:
            raise UnsupportedError(f"axis {int(v)} is out of range for rank {rank}")
    axes = _axes(op, model)
    if x.size == 0:
        raise UnsupportedError("empty input")
    kept = [d for i, d in enumerate(x.shape) if i not in axes]
    if int(np.prod(kept, dtype=np.int64)) != y.size:
        raise UnsupportedError(f"output shape {tuple(y.shape)} does not match the reduction of "
                               f"{tuple(x.shape)} over axes {axes}")


def macs(op, model) -> int:
    return 0


def _merge(dims: list[int], strides: list[int]) -> tuple[list[int], list[int]]:
    """Drop unit dims and merge neighbours that are contiguous in memory."""
    out_d: list[int] = []
    out_s: list[int] = []
    for d, s in zip(dims, strides):
        if d == 1:
            continue
        if out_d and out_s[-1] == d * s:
            out_d[-1] *= d
            out_s[-1] = s
        else:
            out_d.append(d)
            out_s.append(s)
    return out_d, out_s


def prepare(op, model):
    x = model.tensor(op.inputs[0])
    y = model.tensor(op.outputs[0])
    axes = _axes(op, model)
    shape = [int(d) for d in x.shape]
    strides = [int(np.prod(shape[i + 1:], dtype=np.int64)) for i in range(len(shape))]
    kept_d, kept_s = _merge([d for i, d in enumerate(shape) if i not in axes],
                            [s for i, s in enumerate(strides) if i not in axes])
    red_d, red_s = _merge([d for i, d in enumerate(shape) if i in axes],
                          [s for i, s in enumerate(strides) if i in axes])
    count = int(np.prod([shape[i] for i in axes], dtype=np.int64))
    xq, yq = x.quantization, y.quantization
    mult, shift = quant.quantize_multiplier(float(np.float32(xq.scale))
                                            / float(np.float32(yq.scale)))
    s = min(count.bit_length() - 1, 32, 31 + shift)
    mult = (mult << s) // count
    shift -= s
    return SimpleNamespace(axes=tuple(axes), count=count,
                           input_zero_point=xq.zero_point, output_zero_point=yq.zero_point,
                           multiplier=int(mult), shift=int(shift),
                           kept_dims=kept_d, kept_strides=kept_s,
                           reduced_dims=red_d, reduced_strides=red_s)


def simulate(op, model, params, inputs):
    p = params
    x = np.asarray(inputs[0]).astype(np.int64)
    y = model.tensor(op.outputs[0])
    total = quant.wrap_int32(x.sum(axis=p.axes)) if p.axes else x
    shifted = quant.wrap_int32(total - p.input_zero_point * p.count)
    out = quant.multiply_by_quantized_multiplier(shifted, p.multiplier, p.shift)
    info = np.iinfo(y.dtype)
    out = np.clip(out + p.output_zero_point, info.min, info.max)
    return [out.astype(y.dtype).reshape(y.shape)]


def _c_list(values, n=MAX_DIMS) -> str:
    vals = list(values) + [0] * (n - len(values))
    return "{" + ", ".join(str(int(v)) for v in vals) + "}"


def emit(op, model, params, cg) -> str:
    p = params
    cg.use_kernel("mean")
    fields = {
        "kept_n": len(p.kept_dims), "kept_dims": _c_list(p.kept_dims),
        "kept_strides": _c_list(p.kept_strides),
        "reduced_n": len(p.reduced_dims), "reduced_dims": _c_list(p.reduced_dims),
        "reduced_strides": _c_list(p.reduced_strides),
        "count": p.count,
        "input_zero_point": p.input_zero_point, "output_zero_point": p.output_zero_point,
        "multiplier": p.multiplier, "shift": p.shift,
    }
    name = cg.param_struct("tflm_mean_params_t", fields, f"mean_{op.index}")
    suffix = "s16" if model.tensor(op.inputs[0]).dtype == np.int16 else "s8"
    return f"tflm_mean_{suffix}(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
