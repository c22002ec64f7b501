"""Checked option types shared by the commands: a bad value is one line `error: ...`, exit 2,
before anything runs (argparse `type=` functions)."""
from __future__ import annotations

import argparse
import math

from .inputs import MAX_SAMPLES


def _number(text: str, kind):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a {'whole ' if kind is int else ''}number") from None


def positive_int(text: str) -> int:
    v = _number(text, int)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


def sample_count(text: str) -> int:
    v = positive_int(text)
    if v > MAX_SAMPLES:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_SAMPLES}, got {v}")
    return v


def positive_seconds(text: str) -> float:
    v = _number(text, float)
    if not math.isfinite(v) or v <= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text}")
    return v


def baud_rate(text: str) -> int:
    v = _number(text, int)
    if not 1 <= v <= 100_000_000:
        raise argparse.ArgumentTypeError(f"must be a baud rate from 1 to 100000000, got {v}")
    return v


def byte_count(text: str) -> int:
    """argparse type: a number of bytes >= 0."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of bytes, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {v}")
    return v


def add_optimize_options(p) -> None:
    """--optimize / --ram-budget: how the planner trades kernel speed for arena bytes."""
    p.add_argument("--optimize", choices=("speed", "ram"), default="speed",
                   help="speed (default): every kernel's fastest variant within --ram-budget; "
                        "ram: the smallest arena (kernels drop optional scratch)")
    p.add_argument("--ram-budget", type=byte_count, metavar="BYTES",
                   help="largest arena for --optimize speed: slower scratch-free variants "
                        "are chosen, fewest added instructions per byte first, until it fits "
                        "(default with --board: the board's RAM less stack, firmware "
                        "statics, framework and state)")
