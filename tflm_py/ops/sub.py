"""SUB: int8 / int16 with broadcasting and fused activation;
int32 (unquantized, see ops/_arith_s32.py).

Same arithmetic as ADD (see ops/add.py) except that the rescaled second input is subtracted;
the C kernel is ADD's (kernels_c/add.c) with its `subtract` flag set. Negating the input
instead would not be bit-exact: the rounding of the rescale is not symmetric around zero.
"""
from __future__ import annotations

from . import add as _add

OPS = ("SUB",)
INPLACE = "elementwise"


def check(op, model):
    _add.check_arith(op, model)


def macs(op, model) -> int:
    return 0


def prepare(op, model):
    return _add.prepare_arith(op, model, subtract=True)


def simulate(op, model, params, inputs):
    return _add.simulate_arith(op, model, params, inputs)


def emit(op, model, params, cg) -> str:
    return _add.emit_arith(op, model, params, cg)
