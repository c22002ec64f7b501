"""The int32 paths of ADD, SUB and MUL (shared by their rooms; not a room itself).

TFLM runs these on unquantized int32 tensors, the index and shape arithmetic the converter
leaves in a model (e.g. token positions added to an offset before an embedding GATHER):
- results wrap like two's complement int32 (add.cc, sub.cc, mul.cc reference paths);
- ADD ignores its fused activation (add.cc clamps to the whole int32 range); SUB and MUL
  clamp to the activation's range (RELU: [0, 2^31-1], RELU6: [0, 6], RELU_N1_TO_1: [-1, 1]);
- ADD and SUB refuse quantized int32 tensors (add_common.cc / sub_common.cc require no
  quantization); MUL ignores quantization parameters;
- a broadcast walks at most 4 dimensions (BroadcastAdd4DSlow and friends): a broadcast of
  higher rank is refused (measured on the oracle: TFLM computes a wrong result there).
The C kernel is kernels_c/arith_s32.c.
"""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import UnsupportedError
from . import _eltwise as E

INT32 = np.dtype(np.int32)
_CODES = {"ADD": 0, "SUB": 1, "MUL": 2}
MAX_BROADCAST_RANK = 4


def is_int32(op, model) -> bool:
    return len(op.outputs) == 1 and model.tensor(op.outputs[0]).dtype == INT32


def check(op, model):
    E.require_inputs(op, 2)
    t1, t2 = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    for t, what in ((t1, "input 1"), (t2, "input 2")):
        if t.dtype != INT32:
            raise UnsupportedError(f"{what} is {E.type_name(t)} but the output is int32; all "
                                   "tensors must share one type")
    if op.type in ("ADD", "SUB"):
        for t, what in ((t1, "input 1"), (t2, "input 2"), (out, "output")):
            if t.quantization is not None and len(t.quantization.scales):
                raise UnsupportedError(f"int32 {op.type} takes unquantized tensors only "
                                       f"(TFLM's {op.type.lower()}_common.cc), {what} is "
                                       "quantized")
    act = getattr(op.options, "fused_activation_function", "NONE")
    if act not in E.FUSED_ACTIVATIONS:
        raise UnsupportedError(f"fused activation {act} is not supported")
    E.check_binary_shapes(op, model)
    if tuple(t1.shape) != tuple(t2.shape) and max(len(t1.shape), len(t2.shape),
                                                  len(out.shape)) > MAX_BROADCAST_RANK:
        raise UnsupportedError(f"int32 broadcast of {t1.shape} and {t2.shape}: TFLM's int32 "
                               f"path broadcasts within {MAX_BROADCAST_RANK} dimensions only")


def prepare(op, model) -> dict:
    t1, t2 = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    act = getattr(op.options, "fused_activation_function", "NONE")
    if op.type == "ADD":
        act = "NONE"
    act_min, act_max = quant.activation_range(act, 1.0, 0, INT32)
    return {"op": _CODES[op.type], "act_min": act_min, "act_max": act_max,
            "layout": E.broadcast_layout(t1.shape, t2.shape, out.shape)}


def simulate(op, model, p, inputs):
    out = model.tensor(op.outputs[0])
    a, b = E.broadcast_inputs(inputs[0], inputs[1], out.shape)
    y = (a + b, a - b, a * b)[p["op"]]
    y = quant.wrap_int32(y)
    return [np.clip(y, p["act_min"], p["act_max"]).astype(INT32)]


def emit(op, model, p, cg) -> str:
    cg.use_kernel("arith_s32")
    fields = E.layout_fields(p["layout"])
    for k in ("op", "act_min", "act_max"):
        fields[k] = int(p[k])
    name = cg.param_struct("tflm_arith_s32_params_t", fields, f"{op.type.lower()}_s32_params")
    return (f"tflm_arith_s32(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.inputs[1])}, "
            f"{cg.ptr(op.outputs[0])});")
