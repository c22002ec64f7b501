"""SELECT_V2: out = condition ? x : y, int8 or int16 x / y / output, bool condition,
broadcasting the three inputs up to 5-D.

TFLM (kernels/select.cc, reference select.h) copies raw values (quantization parameters are
not looked at): equal shapes run flat at any rank, others take the 5-D broadcast path.
TFLM registers SELECT_V2 only (no SELECT) and takes int8, int16 and float32 values.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from . import _eltwise as E

OPS = ("SELECT_V2",)
# the output may reuse x or y when that input is not broadcast (equal byte size): the kernel
# reads all three inputs at an element before writing it
INPLACE = "elementwise"

BOOL = np.dtype(np.bool_)
RANK = 5


def check(op, model):
    E.require_inputs(op, 3)
    c, x, y = (model.tensor(i) for i in op.inputs[:3])
    out = model.tensor(op.outputs[0])
    if c.dtype != BOOL:
        raise UnsupportedError(f"condition must be bool, got {c.type_name.lower()}")
    if x.dtype not in (E.INT8, E.INT16):
        raise UnsupportedError(f"x type {x.type_name.lower()} is not supported: TFLM's "
                               "SELECT_V2 takes int8, int16 (and float32, not supported here)")
    if y.dtype != x.dtype or out.dtype != x.dtype:
        raise UnsupportedError(f"x, y and output must share one type, got {x.type_name}, "
                               f"{y.type_name}, {out.type_name}")
    for t in (c, x, y, out):
        if any(d <= 0 for d in t.shape):
            raise UnsupportedError(f"tensor '{t.name}' has an empty or dynamic shape {t.shape}")
    try:
        bs = tuple(int(d) for d in np.broadcast_shapes(tuple(c.shape), tuple(x.shape),
                                                       tuple(y.shape)))
    except ValueError:
        raise UnsupportedError(f"shapes {c.shape}, {x.shape}, {y.shape} do not broadcast") \
            from None
    if c.size == x.size == y.size == out.size == 1:
        return
    if tuple(out.shape) != bs:
        raise UnsupportedError(f"output shape {tuple(out.shape)} is not the broadcast shape {bs}")
    same = tuple(c.shape) == tuple(x.shape) == tuple(y.shape)
    if not same and len(bs) > RANK:
        raise UnsupportedError(f"broadcast of rank {len(bs)}: TFLM's SELECT_V2 broadcasts at "
                               f"most {RANK} dimensions")


def macs(op, model) -> int:
    return 0


def _strides(shape, out_dims):
    shape = (1,) * (RANK - len(shape)) + tuple(int(d) for d in shape)
    st, acc = [0] * RANK, 1
    for i in range(RANK - 1, -1, -1):
        st[i] = acc if shape[i] != 1 or out_dims[i] == 1 else 0
        acc *= shape[i]
    return [s if out_dims[i] != 1 else 0 for i, s in enumerate(st)]


def prepare(op, model):
    c, x, y = (model.tensor(i) for i in op.inputs[:3])
    out = model.tensor(op.outputs[0])
    flat = tuple(c.shape) == tuple(x.shape) == tuple(y.shape) or out.size == 1
    if flat or len(out.shape) > RANK:
        dims = [1] * (RANK - 1) + [out.size]
        return {"dims": dims, "cond_strides": [0] * (RANK - 1) + [1],
                "x_strides": [0] * (RANK - 1) + [1], "y_strides": [0] * (RANK - 1) + [1],
                "size": out.size}
    dims = [1] * (RANK - len(out.shape)) + [int(d) for d in out.shape]
    return {"dims": dims, "cond_strides": _strides(c.shape, dims),
            "x_strides": _strides(x.shape, dims), "y_strides": _strides(y.shape, dims),
            "size": out.size}


def simulate(op, model, p, inputs):
    out = model.tensor(op.outputs[0])
    c, x, y = (np.asarray(v) for v in inputs[:3])
    if out.size == 1:
        return [np.where(c.reshape(-1), x.reshape(-1), y.reshape(-1)).reshape(out.shape)]
    return [np.where(c, x, y).astype(out.dtype).reshape(out.shape)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("select_v2")
    fields = {"dims": E.c_list(p["dims"]), "cond_strides": E.c_list(p["cond_strides"]),
              "x_strides": E.c_list(p["x_strides"]), "y_strides": E.c_list(p["y_strides"])}
    name = cg.param_struct("tflm_select_v2_params_t", fields, "select_v2_params")
    fn = "tflm_select_v2_s8" if model.tensor(op.outputs[0]).dtype == E.INT8 else \
        "tflm_select_v2_s16"
    return (f"{fn}(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.inputs[1])}, "
            f"{cg.ptr(op.inputs[2])}, {cg.ptr(op.outputs[0])});")
