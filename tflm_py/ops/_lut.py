"""Shared simulate/emit of rooms whose int8 -> int8 function is a 256-entry table computed in
prepare() with TFLM's exact arithmetic (LOGISTIC, TANH). Not a room (declares no OPS)."""
from __future__ import annotations

import numpy as np


def simulate(op, model, params, inputs):
    x = np.asarray(inputs[0])
    y = model.tensor(op.outputs[0])
    return [params.lut[x.astype(np.int64) + 128].reshape(y.shape)]


def emit(op, model, params, cg) -> str:
    cg.use_kernel("lut_s8")
    hint = f"{op.type.lower()}_{op.index}"
    lut = cg.const_array("int8_t", [int(v) for v in params.lut], f"{hint}_lut")
    name = cg.param_struct("tflm_lut_s8_params_t", {"lut": lut, "size": params.size}, hint)
    return f"tflm_lut_s8(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
