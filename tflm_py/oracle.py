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
    """One TFLM interpreter; state (variable tensors) carries across run() calls.

    reset() of a model with resource variables starts a new interpreter: TFLM's own Reset()
    refills the variables with their zero point and never runs CALL_ONCE's init subgraph
    again, while tflm_py's reset (simulator, firmware) returns to a fresh interpreter's state."""

    def __init__(self, model_bytes: bytes, arena_size: int = 8 * 1024 * 1024):
        self.model_bytes, self.arena_size = bytes(model_bytes), arena_size
        self.ip = _runtime().Interpreter.from_bytes(self.model_bytes, arena_size=arena_size)
        from .reader import load_model
        raw = load_model(self.model_bytes)
        self.n_out = len(raw.outputs)
        self.has_resource_variables = any(op.type == "VAR_HANDLE" for op in raw.operators)

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        for i, x in enumerate(inputs):
            d = self.ip.get_input_details(i)
            self.ip.set_input(np.asarray(x).astype(d["dtype"]).reshape(d["shape"]), i)
        self.ip.invoke()
        return [np.array(self.ip.get_output(i)) for i in range(self.n_out)]

    def reset(self):
        if self.has_resource_variables:
            self.ip = _runtime().Interpreter.from_bytes(self.model_bytes,
                                                        arena_size=self.arena_size)
        else:
            self.ip.reset()


def run_oracle(model_bytes: bytes, samples: Sequence[Sequence[np.ndarray]]) -> list[list[np.ndarray]]:
    """Run samples in sequence on one interpreter (state carries), return outputs per sample."""
    o = Oracle(model_bytes)
    return [o.run(s) for s in samples]


def arena_allocations(model_path: str, arena_size: int = 8 * 1024 * 1024) -> dict:
    """TFLM's arena figures {total, head, tail} in bytes, from print_allocations().

    print_allocations() writes from C++ (stderr in this build, stdout in others), bypassing
    Python's sys.stdout: fds 1 and 2 point at a temp file while it runs, and C stdio is
    flushed before they are restored."""
    import ctypes
    import re
    import sys
    ip = _runtime().Interpreter.from_file(str(model_path), arena_size=arena_size)
    libc = ctypes.CDLL(None)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    with tempfile.TemporaryFile() as f:
        for fd in saved:
            os.dup2(f.fileno(), fd)
        try:
            ip.print_allocations()
            libc.fflush(None)
        finally:
            for fd, keep in saved.items():
                os.dup2(keep, fd)
                os.close(keep)
        f.seek(0)
        text = f.read().decode("utf-8", "replace")
    found = {k: int(v) for k, v in
             re.findall(r"Arena allocation (total|head|tail) (\d+) bytes", text)}
    if set(found) != {"total", "head", "tail"}:
        raise RuntimeError(f"{model_path}: no arena figures in TFLM's output: {text[:300]!r}")
    return found
