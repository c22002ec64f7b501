"""Class names for the top-1 line of simulate, validate, run and bench."""
from __future__ import annotations

from .errors import UsageError


def read_labels(path):
    """Class names from a text file, one per line (blank lines skipped); None for no path."""
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return [ln.strip() for ln in f if ln.strip()]
    except OSError as e:
        raise UsageError(f"{path}: cannot read labels ({e.strerror})") from None


def resolve_labels(path, model):
    labels = read_labels(path) if path else None
    return labels or (model.labels if model is not None else None)


def top1(sample, info, labels):
    """(class name, dequantized score) of the board's first output, or None when the labels
    do not fit that output."""
    if not labels or not sample.outputs:
        return None
    import numpy as np
    y = np.asarray(sample.outputs[0]).ravel()
    if y.size != len(labels):
        return None
    k = int(np.argmax(y))
    score = float(y[k])
    if info is not None and info.outputs and info.outputs[0].scale and y.dtype.kind in "iu":
        io = info.outputs[0]
        score = (score - io.zero_point) * io.scale
    return labels[k], score
