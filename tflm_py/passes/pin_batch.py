"""Pin dynamic dimensions to the static shape the converter wrote.

Keras 3 models convert with a dynamic batch: `shape_signature` [-1, ...] beside `shape`
[1, ...]. TFLM allocates and runs the static `shape` (it never reads the signature), so batch
1 is what the model computes on a microcontroller; this pass makes that explicit (the
signature becomes the shape) and says so. SHAPE ops then fold to the static shape, as TFLM
computes them.
"""
from __future__ import annotations

from ..ir import Model


def run(model: Model) -> list[str]:
    batch, other = [], []
    for t in model.tensors:
        sig = t.shape_signature
        if sig is None or tuple(sig) == tuple(t.shape):
            continue
        if len(sig) == len(t.shape) and all(s == d or s == -1 for s, d in zip(sig, t.shape)):
            dyn = [k for k, s in enumerate(sig) if s == -1]
            (batch if dyn == [0] else other).append(t)
            t.dynamic_signature = tuple(sig)
        t.shape_signature = tuple(t.shape)
    notes = []
    if batch:
        sizes = sorted({t.shape[0] for t in batch})
        names = ", ".join(t.name or str(t.index) for t in batch if t.index in model.inputs)
        notes.append(f"dynamic batch dimension of {len(batch)} tensor(s) pinned to "
                     f"{'/'.join(map(str, sizes))}" + (f" (inputs: {names})" if names else ""))
    if other:
        notes.append(f"dynamic dimensions of {len(other)} tensor(s) pinned to their static "
                     f"shapes (first: tensor {other[0].index} {list(other[0].shape)})")
    return notes
