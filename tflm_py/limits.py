"""Size limits, checked before anything is allocated: the planner, the simulator and the code
generator refuse a model beyond them with a message (microcontrollers have kilobytes to a
few megabytes of RAM; a model declaring a 2^30-element tensor is a broken or wrong file,
not something to allocate 8 GiB of host memory for)."""
from __future__ import annotations

from .errors import UnsupportedError

MAX_TENSOR_BYTES = 16 << 20     # one tensor (activation or constant)
MAX_ARENA_BYTES = 64 << 20      # the planned tensor arena of a generated bundle


def _mib(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MiB"


def check_tensor_sizes(model) -> None:
    """Raise UnsupportedError naming the first tensor larger than MAX_TENSOR_BYTES."""
    for t in model.tensors:
        n = 1
        for d in t.shape:
            n *= max(int(d), 0)
        nbytes = n * t.dtype.itemsize
        if nbytes > MAX_TENSOR_BYTES:
            raise UnsupportedError(
                f"tensor {t.index} {t.name!r} {list(t.shape)} has {n:,} elements "
                f"({nbytes:,} bytes); tflm_py's limit is {_mib(MAX_TENSOR_BYTES)} a tensor")


def check_arena(arena_bytes: int) -> None:
    if arena_bytes > MAX_ARENA_BYTES:
        raise UnsupportedError(
            f"the planned arena is {arena_bytes:,} bytes; tflm_py's limit is "
            f"{_mib(MAX_ARENA_BYTES)} (no microcontroller has that much RAM)")
