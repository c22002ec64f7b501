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


MAX_SECONDS = 86_400.0      # a day: any wait longer than that is a typo, not a slow link
MAX_SEED = (1 << 32) - 1    # seeds beyond 32 bits would repeat the samples of smaller ones


def positive_seconds(text: str) -> float:
    v = _number(text, float)
    if not math.isfinite(v) or v <= 0 or v > MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds > 0 and at most {MAX_SECONDS:.0f}, got {text}")
    return v


def seed_value(text: str) -> int:
    """argparse type: a random seed, a whole number from 0 to 2^32 - 1."""
    v = _number(text, int)
    if not 0 <= v <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {MAX_SEED}, "
                                         f"got {text}")
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
    p.add_argument("--optimize", choices=("speed", "ram", "flash"), default="speed",
                   help="speed (default): every kernel's fastest variant within --ram-budget; "
                        "ram: the smallest arena (kernels drop optional scratch); flash: as "
                        "speed, but no weights widened to int16 at generation time (a 16x8 "
                        "CONV_2D without its scratch reads int8 weights, more slowly) and "
                        "tables a kernel can derive from the model's constants (3x3 "
                        "depthwise channel records) built in RAM at the first invoke "
                        "instead of stored in flash")
    p.add_argument("--ram-budget", type=byte_count, metavar="BYTES",
                   help="largest arena for --optimize speed: slower scratch-free variants "
                        "are chosen, fewest added instructions per byte first, until it fits "
                        "(default with --board: the board's RAM less stack, firmware "
                        "statics, framework and state)")


def add_quantize(p):
    """--quantize: float input files quantized with each input's scale and zero point."""
    p.add_argument("--quantize", action="store_true",
                   help="input files hold real (float) values: quantize them with each "
                        "input's scale and zero point (without it, float data is refused "
                        "for a quantized input)")


def add_force(p):
    """--force: regeneration may overwrite generated files edited since."""
    p.add_argument("--force", action="store_true",
                   help="regenerating over an earlier output: overwrite generated files edited "
                        "since (without it tflm-py stops and names them); files tflm-py did not "
                        "write are never touched")


def add_seed(p):
    """--seed: the random inputs' seed (simulate, bench, validate, run)."""
    p.add_argument("--seed", type=seed_value, default=0,
                   help="seed of the random inputs (0 to 4294967295)")


def add_link_options(p):
    """The options of every command that validates on a board (validate, run)."""
    p.add_argument("--port", metavar="URL",
                   help="serial port or pyserial URL (/dev/ttyACM0, socket://HOST:PORT)")
    p.add_argument("--samples", type=sample_count, default=10, metavar="N",
                   help="number of samples (default 10): sample 0 random, 1-3 every input at "
                        "its minimum, maximum and zero point, the rest random; made one at a "
                        "time")
    p.add_argument("--inputs", metavar="X.npy",
                   help="inputs: .npy (N, *shape) for one input, .npz one array per input; "
                        "random if omitted")
    add_seed(p)
    p.add_argument("--timeout", type=positive_seconds, default=1.0, metavar="S",
                   help="reply timeout for a slow or laggy link, seconds: the most a first "
                        "attempt waits for a reply beyond its expected transfer time and the "
                        "inference time estimated from the model and the board's clock "
                        "(default 1; the wait is learned from the link's round trips, and "
                        "every attempt that times out waits twice as long)")
    p.add_argument("--baud", type=baud_rate, help="serial baud rate (default: the board's)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--labels", metavar="FILE",
                   help="class names, one per line: print the board's top-1 class per sample "
                        "(default: the model's TFLite Metadata labels, if any)")
    add_quantize(p)
