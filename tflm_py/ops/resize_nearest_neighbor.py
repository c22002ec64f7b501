"""RESIZE_NEAREST_NEIGHBOR: int8 and int16, 4-D NHWC, constant size, align_corners and
half_pixel_centers.

TFLM (reference_ops::ResizeNearestNeighbor, GetNearestNeighbor) picks the source row/column
in float32: scale = (align_corners && out > 1) ? (in - 1) / (out - 1) : in / out;
v = (i + (half_pixel_centers ? 0.5 : 0)) * scale; align_corners rounds v (half away from
zero), otherwise floors it; min(v, in - 1), and max(0, .) with half_pixel_centers. The
generator computes both index tables; the C kernel copies channel runs.
"""
from __future__ import annotations

import numpy as np

from . import _eltwise as E
from ._resize import check_resize

OPS = ("RESIZE_NEAREST_NEIGHBOR",)
INPLACE = None


def check(op, model):
    check_resize(op, model, (E.INT8, E.INT16))


def macs(op, model) -> int:
    return 0


def source_index(out_size: int, in_size: int, align: bool, half: bool) -> np.ndarray:
    f32 = np.float32
    if align and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    offset = f32(0.5) if half else f32(0.0)
    v = (np.arange(out_size).astype(np.float32) + offset) * scale
    v = v.astype(np.float32)
    idx = E.round_half_away(v) if align else np.floor(v)
    idx = np.minimum(idx.astype(np.int64), in_size - 1)
    if half:
        idx = np.maximum(idx, 0)
    return idx


def prepare(op, model):
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    align = bool(getattr(op.options, "align_corners", False))
    half = bool(getattr(op.options, "half_pixel_centers", False))
    return {"ys": source_index(y.shape[1], x.shape[1], align, half),
            "xs": source_index(y.shape[2], x.shape[2], align, half)}


def simulate(op, model, p, inputs):
    x = np.asarray(inputs[0])
    return [x[:, p["ys"]][:, :, p["xs"]].copy()]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("resize_nearest_neighbor")
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    hint = f"resize_nn_{op.index}"
    ys = cg.const_array("int32_t", p["ys"], f"{hint}_rows")
    xs = cg.const_array("int32_t", p["xs"], f"{hint}_cols")
    fields = {"batches": int(x.shape[0]), "input_height": int(x.shape[1]),
              "input_width": int(x.shape[2]), "output_height": int(y.shape[1]),
              "output_width": int(y.shape[2]),
              "depth_bytes": int(x.shape[3]) * x.dtype.itemsize, "rows": ys, "cols": xs}
    name = cg.param_struct("tflm_resize_nearest_neighbor_params_t", fields, hint)
    return (f"tflm_resize_nearest_neighbor(&{name}, {cg.ptr(op.inputs[0])}, "
            f"{cg.ptr(op.outputs[0])});")
