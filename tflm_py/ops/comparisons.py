"""EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL: int8 (rescaled), int32, int64
and (EQUAL / NOT_EQUAL) bool inputs; bool output, broadcasting up to 4-D.

TFLM (kernels/comparisons.cc, reference comparisons.h): int8 / int16 inputs are compared after
rescaling each to a common real scale: v = MultiplyByQuantizedMultiplierSmallerThanOneExp(
(x - zero_point) * 256, multiplier, shift) with (multiplier, shift) from the input's own scale
(QuantizeMultiplierSmallerThanOneExp(scale), so scales must be below 1); other types compare
the raw values. Inputs of different shapes take the 4-D broadcast path (rank <= 4); equal
shapes run flat at any rank. TFLM accepts only these type combinations (the PyPI interpreter
refuses int16, and bool for the ordering comparisons). GREATER's Eval takes int16 but its
Prepare computes no rescale for it, so TFLM answers False everywhere: refused here.
"""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _eltwise as E

OPS = ("EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL")
INPLACE = None

INT32, INT64, BOOL = np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.bool_)
# input types TFLM's Eval accepts per op (float32 aside)
TYPES = {
    "EQUAL": (E.INT8, INT32, INT64, BOOL),
    "NOT_EQUAL": (E.INT8, INT32, INT64, BOOL),
    "LESS": (E.INT8, INT32, INT64),
    "LESS_EQUAL": (E.INT8, INT32, INT64),
    "GREATER": (E.INT8, INT32, INT64),
    "GREATER_EQUAL": (E.INT8, INT32, INT64),
}
OP_CODES = {name: i for i, name in enumerate(OPS)}   # tflm_compare_op_t in comparisons.h
KIND_OF = {E.INT8: "s8", E.INT16: "s16", INT32: "s32", INT64: "s64", BOOL: "bool"}
MAX_BROADCAST_RANK = 4   # TFLM's Broadcast4DSlow comparisons
LEFT_SHIFT = 8


def _name(t) -> str:
    return t.dtype.name if t.dtype != BOOL else "bool"


def check(op, model):
    E.require_inputs(op, 2)
    t1, t2 = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    ok = TYPES[op.type]
    if op.type == "GREATER" and t1.dtype == E.INT16:
        raise UnsupportedError("int16 GREATER is not supported: TFLM's kernel accepts it but "
                               "prepares no rescale for int16, so its result is always False")
    if t1.dtype not in ok:
        extra = " (TFLM's kernel takes float32 too; float models are not supported)" \
            if t1.dtype == E.FLOAT32 else ""
        raise UnsupportedError(f"input type {_name(t1)} is not supported: TFLM's {op.type} "
                               f"takes {', '.join(_name_of(d) for d in ok)}{extra}")
    if t2.dtype != t1.dtype:
        raise UnsupportedError(f"input 2 is {_name(t2)} but input 1 is {_name(t1)}")
    if out.dtype != BOOL:
        raise UnsupportedError(f"output must be bool, got {_name(out)}")
    if t1.dtype in (E.INT8, E.INT16):
        for t, what in ((t1, "input 1"), (t2, "input 2")):
            E.require_per_tensor(t, what)
            if not float(t.quantization.scale) < 1.0:
                raise UnsupportedError(f"{what} scale {t.quantization.scale} is not below 1 "
                                       "(TFLM rescales with a multiplier smaller than one)")
    E.check_binary_shapes(op, model)
    if tuple(t1.shape) != tuple(t2.shape) and max(len(t1.shape), len(t2.shape),
                                                  len(out.shape)) > MAX_BROADCAST_RANK:
        raise UnsupportedError(f"broadcasting {tuple(t1.shape)} with {tuple(t2.shape)}: TFLM "
                               f"broadcasts comparisons over at most {MAX_BROADCAST_RANK} "
                               "dimensions")


def _name_of(d) -> str:
    return "bool" if d == BOOL else np.dtype(d).name


def inplace(op, model):
    """The bool output may reuse a 1-byte input (equal byte size then means equal element
    count, so that input is not broadcast); wider inputs would map elements differently."""
    return "elementwise" if model.tensor(op.inputs[0]).dtype.itemsize == 1 else None


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    t1, t2 = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    p = {"op": OP_CODES[op.type], "kind": KIND_OF[t1.dtype],
         "layout": E.broadcast_layout(t1.shape, t2.shape, out.shape),
         "offset1": 0, "multiplier1": 0, "shift1": 0,
         "offset2": 0, "multiplier2": 0, "shift2": 0}
    if t1.dtype in (E.INT8, E.INT16):
        for k, t in ((1, t1), (2, t2)):
            m, s = quant.quantize_multiplier(float(np.float32(t.quantization.scale)))
            p[f"offset{k}"] = -int(t.quantization.zero_point)
            p[f"multiplier{k}"], p[f"shift{k}"] = m, s
    return p


def _scaled(x, offset, multiplier, shift):
    v = (np.asarray(x, dtype=np.int64) + offset) * (1 << LEFT_SHIFT)
    return quant.multiply_by_quantized_multiplier_smaller_than_one(v, multiplier, shift)


_FNS = {"EQUAL": np.equal, "NOT_EQUAL": np.not_equal, "LESS": np.less,
        "LESS_EQUAL": np.less_equal, "GREATER": np.greater, "GREATER_EQUAL": np.greater_equal}


def simulate(op, model, p, inputs):
    out = model.tensor(op.outputs[0])
    a, b = inputs[0], inputs[1]
    if p["kind"] in ("s8", "s16"):
        a = _scaled(a, p["offset1"], p["multiplier1"], p["shift1"])
        b = _scaled(b, p["offset2"], p["multiplier2"], p["shift2"])
    bs = np.broadcast_shapes(np.shape(a), np.shape(b))
    a = np.broadcast_to(np.asarray(a), bs)
    b = np.broadcast_to(np.asarray(b), bs)
    return [_FNS[op.type](a, b).reshape(out.shape)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("comparisons")
    fields = {"op": p["op"], **E.layout_fields(p["layout"])}
    if p["kind"] in ("s8", "s16"):
        fields.update({k: p[k] for k in ("offset1", "multiplier1", "shift1",
                                         "offset2", "multiplier2", "shift2")})
    name = cg.param_struct("tflm_compare_params_t", fields, f"{op.type.lower()}_params")
    return (f"tflm_compare_{p['kind']}(&{name}, {cg.ptr(op.inputs[0])}, "
            f"{cg.ptr(op.inputs[1])}, {cg.ptr(op.outputs[0])});")
