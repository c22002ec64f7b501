"""RESIZE_BILINEAR: int8 (TFLM's kernel takes float32 and int8), 4-D NHWC, constant size,
align_corners and half_pixel_centers.

TFLM (reference_ops::ResizeBilinearInteger): scales in 1/1024 steps,
scale = ((in << 10) + out / 2) / out (align_corners: (in - 1) and (out - 1)); per output
index i: s = i * scale (+ scale / 2 - 512 with half_pixel_centers), i0 = max(s / 1024, 0),
i1 = min((s + 1023) / 1024, in - 1) (C division), weight w = s - 1024 * i0; the four
neighbours are summed with weights (1024 - wy)(1024 - wx), ... in 64 bits and divided by
2^20 rounding half away from zero. The generator computes the row and column tables.
"""
from __future__ import annotations

import numpy as np

from . import _eltwise as E
from ._resize import check_resize

OPS = ("RESIZE_BILINEAR",)
INPLACE = None


def check(op, model):
    check_resize(op, model, (E.INT8,))


def macs(op, model) -> int:
    return 4 * model.tensor(op.outputs[0]).size


def _cdiv(a, b):
    """C integer division (truncates toward zero)."""
    q = np.abs(a) // b
    return np.where(a < 0, -q, q)


def taps(out_size: int, in_size: int, align: bool, half: bool):
    """(i0, i1, weight of i1 in 1/1024) per output index."""
    if align and out_size > 1:
        scale = ((1 << 10) * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
    else:
        scale = ((1 << 10) * in_size + out_size // 2) // out_size
    i = np.arange(out_size, dtype=np.int64)
    s = i * scale + (scale // 2 - (1 << 9) if half else 0)
    i0 = np.maximum(_cdiv(s, 1 << 10), 0)
    i1 = np.minimum(_cdiv(s + (1 << 10) - 1, 1 << 10), in_size - 1)
    return i0, i1, s - (1 << 10) * i0


def prepare(op, model):
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    align = bool(getattr(op.options, "align_corners", False))
    half = bool(getattr(op.options, "half_pixel_centers", False))
    y0, y1, wy = taps(y.shape[1], x.shape[1], align, half)
    x0, x1, wx = taps(y.shape[2], x.shape[2], align, half)
    return {"rows": np.stack([y0, y1, wy], axis=1), "cols": np.stack([x0, x1, wx], axis=1)}


def simulate(op, model, p, inputs):
    y = model.tensor(op.outputs[0])
    x = np.asarray(inputs[0], dtype=np.int64)
    y0, y1, wy = (p["rows"][:, k] for k in range(3))
    x0, x1, wx = (p["cols"][:, k] for k in range(3))
    wy = wy[None, :, None, None]
    wx = wx[None, None, :, None]
    one = 1 << 10
    acc = (x[:, y0][:, :, x0] * (one - wy) * (one - wx) + x[:, y1][:, :, x0] * wy * (one - wx)
           + x[:, y0][:, :, x1] * (one - wy) * wx + x[:, y1][:, :, x1] * wy * wx)
    rnd = np.where(acc > 0, 1 << 19, -(1 << 19))
    v = _cdiv(acc + rnd, 1 << 20)
    return [(((v + 128) & 0xFF) - 128).astype(y.dtype)]   # static_cast<int8_t>: low byte


def emit(op, model, p, cg) -> str:
    cg.use_kernel("resize_bilinear")
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    hint = f"resize_bilinear_{op.index}"
    rows = cg.const_array("int32_t", p["rows"], f"{hint}_rows")
    cols = cg.const_array("int32_t", p["cols"], f"{hint}_cols")
    fields = {"batches": int(x.shape[0]), "input_height": int(x.shape[1]),
              "input_width": int(x.shape[2]), "output_height": int(y.shape[1]),
              "output_width": int(y.shape[2]), "depth": int(x.shape[3]),
              "rows": rows, "cols": cols}
    name = cg.param_struct("tflm_resize_bilinear_params_t", fields, hint)
    return f"tflm_resize_bilinear_s8(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
