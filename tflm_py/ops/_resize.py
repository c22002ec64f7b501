"""Shared checks of RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR. Not a room (declares no OPS)."""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from . import _eltwise as E


def check_resize(op, model, dtypes) -> None:
    E.require_inputs(op, 2)
    x, size = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    y = model.tensor(op.outputs[0])
    names = " and ".join(np.dtype(d).name for d in dtypes)
    if x.dtype not in dtypes:
        raise UnsupportedError(f"only {names} inputs are supported (TFLM's kernel), input is "
                               f"{E.type_name(x)}")
    if y.dtype != x.dtype:
        raise UnsupportedError(f"output is {E.type_name(y)} but the input is {E.type_name(x)}")
    if len(x.shape) != 4 or len(y.shape) != 4:
        raise UnsupportedError(f"input and output must be 4-D, got {x.shape} -> {y.shape}")
    if size.dtype != np.dtype(np.int32) or tuple(size.shape) != (2,):
        raise UnsupportedError("size must be an int32 tensor of shape (2,)")
    if not size.is_constant:
        raise UnsupportedError("size must be a constant tensor (TFLM requires it)")
    oh, ow = (int(v) for v in size.data)
    if oh <= 0 or ow <= 0 or any(d <= 0 for d in x.shape):
        raise UnsupportedError(f"empty resize: input {x.shape}, size {(oh, ow)}")
    want = (x.shape[0], oh, ow, x.shape[3])
    if tuple(y.shape) != want:
        raise UnsupportedError(f"output shape {tuple(y.shape)} is not {want}")
    if getattr(op.options, "align_corners", False) and \
            getattr(op.options, "half_pixel_centers", False):
        raise UnsupportedError("align_corners and half_pixel_centers cannot both be set "
                               "(TFLM refuses it)")
