"""Refused: EXP, LOG, SQRT, SIN, COS, SQUARE, NEG, FLOOR_DIV, FLOOR_MOD, L2_POOL_2D — TFLM's
kernels for these take float32 tensors only, so no integer model can use them.

Each op is checked against what TFLM's kernel (tensorflow/lite/micro/kernels/exp.cc,
elementwise.cc, neg.cc, floor_div.cc, floor_mod.cc, pooling.cc) accepts, as measured on the
oracle: int8, int16 and int32 tensors fail its prepare or invoke. The room exists so that the
refusal names that reason instead of "no room for this op".
"""
from __future__ import annotations

from ..errors import UnsupportedError

OPS = ("EXP", "LOG", "SQRT", "SIN", "COS", "SQUARE", "NEG", "FLOOR_DIV", "FLOOR_MOD",
       "L2_POOL_2D")
REFUSED = True
INPLACE = None

_KERNEL_FILE = {"EXP": "exp.cc", "NEG": "neg.cc", "FLOOR_DIV": "floor_div.cc",
                "FLOOR_MOD": "floor_mod.cc", "L2_POOL_2D": "pooling.cc"}


def reason(op_type: str, model=None, op=None) -> str:
    types = ""
    if model is not None and op is not None:
        names = sorted({model.tensor(i).type_name.lower() for i in op.inputs if i >= 0})
        types = f" (this op has {', '.join(names)} inputs)"
    src = _KERNEL_FILE.get(op_type, "elementwise.cc")
    return (f"TFLM's {op_type} kernel ({src}) takes float32 tensors only{types}; tflm_py runs "
            "integer models, and a full-integer conversion cannot keep this op in float")


def check(op, model):
    raise UnsupportedError(reason(op.type, model, op))


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    check(op, model)


def simulate(op, model, params, inputs):
    check(op, model)


def emit(op, model, params, cg) -> str:
    check(op, model)
    return ""
