"""ARG_MAX / ARG_MIN of a DEQUANTIZE read the integers directly.

The converter leaves `int8 -> DEQUANTIZE -> float32 -> ARG_MAX` when a model ends in
tf.argmax. TFLM dequantizes (float(scale * (x - zp))) and compares floats. For a per-tensor
scale in float32's normal range, dequantization is strictly increasing on the 256 int8 values
(neighbours differ by at least 1/255 relative, far above float32's rounding), so the index of
the first maximum (minimum) is the same on the int8 values: the ARG op reads the DEQUANTIZE's
input instead and no float code runs on the device. The DEQUANTIZE stays only if something
else reads its output (dead_ops drops it otherwise).
"""
from __future__ import annotations

import numpy as np

from ..ir import Model
from ._graph import describe

_ARG_OPS = ("ARG_MAX", "ARG_MIN")


def _monotone_int8(t) -> bool:
    q = t.quantization
    if t.dtype != np.dtype(np.int8) or q is None or len(q.scales) != 1:
        return False
    s = float(q.scales[0])
    return 1e-30 < s < 1e30


def run(model: Model) -> list[str]:
    producer = {o: op for op in model.operators for o in op.outputs if o >= 0}
    notes = []
    for op in model.operators:
        if op.type not in _ARG_OPS or not op.inputs:
            continue
        src = op.inputs[0]
        deq = producer.get(src)
        if (deq is None or deq.type != "DEQUANTIZE" or len(deq.inputs) != 1
                or model.tensors[src].dtype != np.dtype(np.float32)):
            continue
        x = model.tensors[deq.inputs[0]]
        if not _monotone_int8(x) or x.is_variable:
            continue
        op.inputs = (deq.inputs[0], *op.inputs[1:])
        notes.append(f"{describe(op)} reads {describe(deq)}'s int8 input (dequantization "
                     f"keeps the order)")
    return notes
