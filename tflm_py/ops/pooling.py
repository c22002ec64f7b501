"""AVERAGE_POOL_2D and MAX_POOL_2D rooms: int8 or int16 NHWC, SAME/VALID padding, strides, any filter
size, fused NONE/RELU/RELU6/RELU_N1_TO_1.

TFLM (micro pooling_common.cc + reference_integer_ops pooling.h):
- the output size and the leading padding come from ComputePaddingHeightWidth (dilation 1);
  the window of an output pixel is clipped to the image: padded taps are simply skipped.
- the input and output must share scale (within 1e-6) and zero point; no requantisation.
- average: int32 sum of the valid taps, divided by their count with rounding half away from
  zero ((sum +/- count/2) / count, C truncating division), then clamped to the activation
  range. A window without any valid tap is an error in TFLM; we reject such geometries.
- max: the largest valid tap (starting from the type's minimum), clamped to the activation
  range.
int16 (TFLM's int16 AveragePool / MaxPool): the same arithmetic on int16 values.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from .. import quant
from . import _window as window

OPS = ("AVERAGE_POOL_2D", "MAX_POOL_2D")
# The kernels walk output pixels in ascending NHWC order, finishing each pixel's channels
# before the next pixel, and read only their window: the output may overlap the input.
INPLACE = "overlap"
ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def _geometry(op, model) -> SimpleNamespace:
    o = op.options
    g = window.window_geometry(op, model.tensor(op.inputs[0]).shape,
                               int(getattr(o, "filter_height", 1)),
                               int(getattr(o, "filter_width", 1)), dilated=False)
    g.depth = g.input_c
    return g


def _windows(in_size: int, out_size: int, stride: int, pad: int, filt: int):
    """Per output position: first and one-past-last input index of the clipped window."""
    origin = np.arange(out_size) * stride - pad
    start = np.maximum(origin, 0)
    end = np.minimum(origin + filt, in_size)
    return start, end


def check(op, model) -> None:
    if len(op.inputs) != 1 or len(op.outputs) != 1:
        raise UnsupportedError("expects one input and one output")
    x = model.tensor(op.inputs[0])
    y = model.tensor(op.outputs[0])
    for t, what in ((x, "input"), (y, "output")):
        if t is None:
            raise UnsupportedError(f"{what} tensor is missing")
        if t.dtype not in (np.int8, np.int16):
            raise UnsupportedError(f"only int8 and int16 are supported; {what} is "
                                   f"{t.type_name}")
        if t.quantization is None or len(t.quantization.scales) == 0:
            raise UnsupportedError(f"{what} tensor has no quantization parameters")
        if len(t.shape) != 4:
            raise UnsupportedError(f"{what} must be 4-D NHWC, got shape {tuple(t.shape)}")
    if x.dtype != y.dtype:
        raise UnsupportedError(f"input ({x.type_name}) and output ({y.type_name}) types differ")
    if (abs(float(x.quantization.scale) - float(y.quantization.scale)) > 1e-6
            or x.quantization.zero_point != y.quantization.zero_point):
        raise UnsupportedError("input and output must have the same scale and zero point "
                               "(TFLM requires it)")
    act = getattr(op.options, "fused_activation_function", "NONE")
    if act not in ACTIVATIONS:
        raise UnsupportedError(f"fused activation {act} is not supported")
    pad = getattr(op.options, "padding", "SAME")
    if pad not in ("SAME", "VALID"):
        raise UnsupportedError(f"padding {pad} is not supported")
    for name in ("stride_h", "stride_w", "filter_height", "filter_width"):
        if int(getattr(op.options, name, 1)) < 1:
            raise UnsupportedError(f"{name} must be >= 1")
    g = _geometry(op, model)
    want = (g.batches, g.output_h, g.output_w, g.depth)
    if g.output_h < 1 or g.output_w < 1 or tuple(y.shape) != want:
        raise UnsupportedError(f"output shape {tuple(y.shape)} does not match the computed {want}")
    hs, he = _windows(g.input_h, g.output_h, g.stride_h, g.pad_h, g.filter_h)
    ws, we = _windows(g.input_w, g.output_w, g.stride_w, g.pad_w, g.filter_w)
    if np.any(he <= hs) or np.any(we <= ws):
        raise UnsupportedError("a pooling window lies entirely in the padding")


def macs(op, model) -> int:
    """Pooling adds or compares; it multiplies nothing, so it counts no MACs (as TFLM's
    and MLPerf Tiny's figures do)."""
    return 0


def prepare(op, model):
    g = _geometry(op, model)
    y = model.tensor(op.outputs[0])
    act = getattr(op.options, "fused_activation_function", "NONE")
    g.dtype = y.dtype
    g.act_min, g.act_max = quant.activation_range(act, y.quantization.scale,
                                                  y.quantization.zero_point, y.dtype)
    g.average = op.type == "AVERAGE_POOL_2D"
    return g


def simulate(op, model, params, inputs):
    p = params
    x = np.asarray(inputs[0]).astype(np.int64)
    hs, he = _windows(p.input_h, p.output_h, p.stride_h, p.pad_h, p.filter_h)
    ws, we = _windows(p.input_w, p.output_w, p.stride_w, p.pad_w, p.filter_w)
    shape = (p.batches, p.output_h, p.output_w, p.depth)
    if p.average:
        acc = np.zeros(shape, dtype=np.int64)
    else:
        acc = np.full(shape, np.iinfo(p.dtype).min, dtype=np.int64)
    # loop over the filter taps; each tap is valid for a rectangle of output positions
    for ky in range(p.filter_h):
        iy = np.arange(p.output_h) * p.stride_h - p.pad_h + ky
        vy = (iy >= 0) & (iy < p.input_h)
        for kx in range(p.filter_w):
            ix = np.arange(p.output_w) * p.stride_w - p.pad_w + kx
            vx = (ix >= 0) & (ix < p.input_w)
            if not vy.any() or not vx.any():
                continue
            oy, ox = np.nonzero(vy)[0], np.nonzero(vx)[0]
            tap = x[:, iy[oy]][:, :, ix[ox]]
            sub = acc[:, oy[0]:oy[-1] + 1, ox[0]:ox[-1] + 1]   # valid outputs are contiguous
            if p.average:
                sub += tap
            else:
                np.maximum(sub, tap, out=sub)
    if p.average:
        count = ((he - hs)[:, None] * (we - ws)[None, :]).astype(np.int64)[None, :, :, None]
        half = count // 2
        num = np.where(acc > 0, acc + half, acc - half)
        # C division truncates toward zero
        acc = np.sign(num) * (np.abs(num) // count)
    out = np.clip(acc, p.act_min, p.act_max).astype(p.dtype)
    return [out]


def emit(op, model, params, cg) -> str:
    p = params
    kernel = "avg_pool" if p.average else "max_pool"
    cg.use_kernel(kernel)
    fields = {k: int(getattr(p, k)) for k in (
        "batches", "input_h", "input_w", "depth", "output_h", "output_w", "stride_h",
        "stride_w", "filter_h", "filter_w", "pad_h", "pad_w", "act_min", "act_max")}
    name = cg.param_struct(f"tflm_{kernel}_params_t", fields, f"{kernel}_{op.index}")
    suffix = "s16" if p.dtype == np.int16 else "s8"
    return (f"tflm_{kernel}_{suffix}(&{name}, {cg.ptr(op.inputs[0])}, "
            f"{cg.ptr(op.outputs[0])});")


def overlap_reads(op, model):
    """(unit_bytes, min_read) for the planner's "overlap" rule: one unit = one output pixel."""
    return window.overlap_reads(op, model, _geometry(op, model))
