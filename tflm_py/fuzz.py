"""Mutation fuzzing of the reader (used by tests/test_fuzz_reader.py and scripts/fuzz_reader.py).

`mutate(seeds, rng)` derives a malformed file from one of the seed models: bit flips, byte
changes, truncations, 4-byte words overwritten with interesting values or spliced from
elsewhere in the file, inserted or deleted bytes -- aimed mostly at the flatbuffer structure
rather than at the weight bytes, where any change still gives a valid model.

`run_case(data)` loads the bytes under a time limit and classifies the outcome:
    "valid"  a Model came back and all its invariants hold (tensor views inside the file,
             indices in range, quantization consistent); inspect works on it
    "error"  a ModelError with a one-line message
    "crash"  any other exception, or a Model breaking an invariant (detail says which)
    "hang"   the time limit passed
"""
from __future__ import annotations

import signal
import traceback
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .errors import ModelError
from .reader import _NUMPY_TYPES, MAX_TENSOR_BYTES, load_model

INTERESTING_U32 = (0, 1, 2, 3, 4, 8, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
                   0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF)


class Seed:
    """A valid model and the byte ranges of its structure (everything but tensor data)."""

    def __init__(self, data: bytes, name: str = ""):
        self.data = bytes(data)
        self.name = name
        model = load_model(self.data)
        mask = np.ones(len(self.data), dtype=bool)
        for t in model.tensors:
            if t.data is not None and t.data.nbytes > 16:
                mask[t.data_offset + 8:t.data_offset + t.data.nbytes - 8] = False
        self.structure = np.flatnonzero(mask)  # positions outside the bulk of tensor data


def _pos(seed: Seed, rng: np.random.Generator, n: int) -> int:
    """A position, 90 % of the time inside the structure."""
    if n == 0:
        return 0
    if rng.random() < 0.9 and len(seed.structure):
        p = int(seed.structure[rng.integers(len(seed.structure))])
        return min(p, n - 1)
    return int(rng.integers(n))


def mutate(seeds: Sequence[Seed], rng: np.random.Generator) -> tuple[bytes, str]:
    """One mutated file and a short description of what was done."""
    seed = seeds[int(rng.integers(len(seeds)))]
    buf = bytearray(seed.data)
    done = []
    for _ in range(int(rng.choice([1, 1, 1, 2, 3, 5]))):
        n = len(buf)
        if n == 0:
            break
        kind = int(rng.integers(9))
        if kind == 0:    # bit flips
            for _ in range(int(rng.integers(1, 5))):
                p = _pos(seed, rng, n)
                buf[p] ^= 1 << int(rng.integers(8))
            done.append("bitflip")
        elif kind == 1:  # random byte values
            for _ in range(int(rng.integers(1, 5))):
                buf[_pos(seed, rng, n)] = int(rng.integers(256))
            done.append("byte")
        elif kind == 2:  # truncation
            cut = int(rng.integers(0, n)) if rng.random() < 0.5 else _pos(seed, rng, n)
            del buf[cut:]
            done.append(f"truncate@{cut}")
        elif kind in (3, 4):  # overwrite an aligned 4-byte word (offsets, lengths, counts)
            p = _pos(seed, rng, n) & ~3
            if p + 4 > n:
                continue
            r = rng.random()
            if r < 0.5:
                v = int(rng.choice(INTERESTING_U32))
            elif r < 0.75:
                v = int(rng.integers(0, max(n, 1) + 64))  # a plausible offset
            else:
                old = int.from_bytes(buf[p:p + 4], "little")
                v = (old + int(rng.integers(-64, 65))) & 0xFFFFFFFF
            buf[p:p + 4] = v.to_bytes(4, "little")
            done.append(f"word@{p}={v:#x}")
        elif kind == 5:  # splice: copy a word from elsewhere
            p, q = _pos(seed, rng, n) & ~3, _pos(seed, rng, n) & ~3
            if p + 4 <= n and q + 4 <= n:
                buf[p:p + 4] = buf[q:q + 4]
            done.append(f"splice@{p}<-{q}")
        elif kind == 6:  # insert bytes
            p = _pos(seed, rng, n)
            k = int(rng.choice([1, 2, 4, 8, 16]))
            buf[p:p] = bytes(rng.integers(0, 256, k, dtype=np.uint8))
            done.append(f"insert{k}@{p}")
        elif kind == 7:  # delete bytes
            p = _pos(seed, rng, n)
            k = int(rng.choice([1, 2, 4, 8, 16]))
            del buf[p:p + k]
            done.append(f"delete{k}@{p}")
        else:            # 16-bit vtable-sized values
            p = _pos(seed, rng, n) & ~1
            if p + 2 <= n:
                v = int(rng.choice([0, 2, 4, 6, 0xFFFE, 0xFFFF, int(rng.integers(0, 256))]))
                buf[p:p + 2] = v.to_bytes(2, "little")
            done.append(f"u16@{p}")
    return bytes(buf), f"{seed.name}: " + ", ".join(done)


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so that no `except Exception` swallows it."""


def _on_alarm(signum, frame):
    raise _Timeout()


def check_model(model, data: bytes) -> Optional[str]:
    """The invariants of a Model the reader accepted; None when they hold, else what failed."""
    n = len(data)
    if model.data is not data and model.data != data:
        return "Model.data is not the file"
    base = np.frombuffer(model.data, dtype=np.uint8).ctypes.data if n else 0
    n_t = len(model.tensors)
    for t in model.tensors:
        if any((not isinstance(d, int)) or d < 0 for d in t.shape):
            return f"tensor {t.index} shape {t.shape}"
        if t.nbytes > MAX_TENSOR_BYTES:
            return f"tensor {t.index} of {t.nbytes} bytes"
        if t.data is not None:
            off = t.data_offset
            if off is None or off < 0 or off + t.data.nbytes > n:
                return f"tensor {t.index} data [{off}, +{t.data.nbytes}) outside the {n}-byte file"
            if t.data.ctypes.data != base + off:
                return f"tensor {t.index} data is not a view of the file at {off}"
            if t.data.flags.writeable:
                return f"tensor {t.index} data is writeable"
            if t.type_name in _NUMPY_TYPES and t.data.shape != t.shape:
                return f"tensor {t.index} data shape {t.data.shape} != {t.shape}"
        q = t.quantization
        if q is not None:
            if len(q.scales) != len(q.zero_points) or len(q.scales) == 0:
                return f"tensor {t.index} quantization lengths"
            if not np.all(np.isfinite(q.scales)):
                return f"tensor {t.index} scale not finite"
            if q.per_channel and not (0 <= q.quantized_dimension < len(t.shape)
                                      and t.shape[q.quantized_dimension] == len(q.scales)):
                return f"tensor {t.index} per-channel quantization does not fit the shape"
    for op in model.operators:
        if any(not -1 <= i < n_t for i in op.inputs + op.intermediates):
            return f"op {op.index} input index out of range"
        if any(not 0 <= i < n_t for i in op.outputs):
            return f"op {op.index} output index out of range"
    if any(not 0 <= i < n_t for i in model.inputs + model.outputs):
        return "graph input/output index out of range"
    return None


@dataclass
class Outcome:
    kind: str            # "valid", "error", "crash", "hang"
    detail: str = ""     # error message, or the exception / broken invariant
    room_problems: tuple = ()  # valid models: op rooms whose check/macs raised a non-ModelError


def run_case(data: bytes, time_limit: float = 2.0, inspect: bool = True) -> Outcome:
    """Load `data` (and inspect the model when valid) under a time limit (main thread only)."""
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, time_limit)
    stage = "load_model"
    try:
        try:
            model = load_model(data)
        except ModelError as e:
            msg = str(e)
            if not msg or "\n" in msg:
                return Outcome("crash", f"ModelError message not one line: {msg!r}")
            return Outcome("error", msg)
        stage = "check"
        bad = check_model(model, data)
        if bad:
            return Outcome("crash", f"accepted model breaks an invariant: {bad}")
        if inspect:
            stage = "inspect"
            from .inspect import format_text, inspect_model
            info = inspect_model(model)
            format_text(info)
            return Outcome("valid", room_problems=tuple(info["room_problems"]))
        return Outcome("valid")
    except _Timeout:
        return Outcome("hang", f"{stage} took more than {time_limit} s")
    except Exception as e:  # noqa: BLE001 - classifying every failure is the point
        tb = traceback.extract_tb(e.__traceback__)
        where = f"{tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else "?"
        return Outcome("crash", f"{stage}: {type(e).__name__} at {where}: {e}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
