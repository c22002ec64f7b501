"""TFLM's own interpreter (PyPI tflite-micro, reference kernels) as the test oracle.

Only tests, sweeps and benchmarks use it; the product never needs it."""
from __future__ import annotations

import os
import tempfile
from typing import Sequence

import numpy as np

from .errors import ModelError


def _runtime():
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ModelError("the oracle needs tflite-micro: pip install 'tflm_py[test]'") from e
    return runtime


class Oracle:
    """One TFLM interpreter; state (variable tensors) carries across run() calls."""

    def __init__(self, model_bytes: bytes, arena_size: int = 8 * 1024 * 1024):
        self.ip = _runtime().Interpreter.from_bytes(bytes(model_bytes), arena_size=arena_size)
        from .reader import load_model
        self.n_out = len(load_model(bytes(model_bytes)).outputs)

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        for i, x in enumerate(inputs):
            d = self.ip.get_input_details(i)
            self.ip.set_input(np.asarray(x).astype(d["dtype"]).reshape(d["shape"]), i)
        self.ip.invoke()
        return [np.array(self.ip.get_output(i)) for i in range(self.n_out)]

    def reset(self):
        self.ip.reset()


def run_oracle(model_bytes: bytes, samples: Sequence[Sequence[np.ndarray]]) -> list[list[np.ndarray]]:
    """Run samples in sequence on one interpreter (state carries), return outputs per sample."""
    o = Oracle(model_bytes)
    return [o.run(s) for s in samples]


def arena_allocations(model_path: str, arena_size: int = 8 * 1024 * 1024) -> dict:
    """TFLM's arena figures {total, head, tail} in bytes, read from print_allocations()."""
    import re
    import ctypes
    import sys
    ip = _runtime().Interpreter.from_file(model_path, arena_size=arena_size)
    fd, path = tempfile.mkstemp()
    # TFLM prints from C++ through C stdio, to stderr in this build (stdout in others):
    # capture both descriptors and flush C's buffers before restoring them
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {k: os.dup(k) for k in (1, 2)}
    try:
        for k in saved:
            os.dup2(fd, k)
        ip.print_allocations()
        ctypes.CDLL(None).fflush(None)
    finally:
        for k, keep in saved.items():
            os.dup2(keep, k)
            os.close(keep)
        os.close(fd)
    text = open(path).read()
    os.unlink(path)
    out = {}
    for key in ("total", "head", "tail"):
        m = re.search(rf"Arena allocation {key} (\d+) bytes", text)
        if m:
            out[key] = int(m.group(1))
    return out
