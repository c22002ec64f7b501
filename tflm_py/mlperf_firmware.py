"""What the MLPerf Tiny benchmark firmware (`--protocol mlperf-tiny`) is built with: the
model id it reports, how it turns the runner's `db` bytes into the model's input, and the
clock its `m-lap-us` timestamps count in. Project generation (tflm_py.boards) reads this
module; the host client that talks to the firmware is tflm_py.mlperf (the link side).

Input handling, as MLPerf Tiny's reference submissions and runner define it per benchmark:

| mode            | `db` bytes the runner sends            | model input                      |
|-----------------|----------------------------------------|----------------------------------|
| `int8`          | the int8 tensor's raw bytes (kws01,    | copied unchanged                 |
|                 | sww01's feature frames)                |                                  |
| `u8-minus-128`  | U8C3 image bytes 0..255 (vww01, ic01)  | each byte minus 128, as int8     |
| `uint8`         | U8C3 image bytes 0..255 (vww01, ic01)  | copied unchanged into a model's  |
|                 |                                        | uint8 input (converted with      |
|                 |                                        | inference_input_type uint8)      |
| `float32`       | float32 values (ad01's log-mel frames) | quantized with the input's scale |
|                 |                                        | and zero point (round half away) |
|                 |                                        | to int8, int16 (16x8 models) or  |
|                 |                                        | uint8 (uint8-input models)       |

A `float32` buffer is also accepted by the other modes when the model has one int8, int16 or
uint8 input of at most FLOAT_DB_LIMIT / 4 elements (the firmware tells them apart by the `db load`
size).

Timing: on a real board `m-lap-us` is microseconds of the port's timer (DWT cycles / core
clock on Cortex-M). On the QEMU virtual board there is no real time: the firmware counts
instructions (QEMU -icount) and converts them at VIRTUAL_CLOCK_HZ, one instruction per
cycle of the Nucleo-L4R5ZI's 120 MHz core, MLPerf Tiny's reference board; the firmware's
name line says so.
"""
from __future__ import annotations

import re
from typing import Optional, Sequence

import numpy as np

PROFILE = "ULPMark for tinyML Firmware V0.0.1"
VENDOR = "tflm-py"
MODEL_IDS = ("kws01", "vww01", "ad01", "ic01", "sww01")
INPUT_MODES = ("int8", "u8-minus-128", "uint8", "float32")
DB_CHUNK = 31               # bytes per `db` command (the official runner's value)
CMD_MAX = 80                # longest command the firmware takes
FLOAT_DB_LIMIT = 64 * 1024  # a float32 `db` buffer is offered only up to this size
VIRTUAL_CLOCK_HZ = 120_000_000
INT8 = 9                    # TFLite's type codes of int8, int16 and uint8
INT16 = 7
UINT8 = 3
# inputs a float32 `db` can feed
_QUANT_RANGE = {INT8: (-128, 127), INT16: (-32768, 32767), UINT8: (0, 255)}
_TYPE_CODES = {"float32": 0, "int32": 2, "uint8": 3, "int64": 4, "bool": 6, "int16": 7,
               "int8": 9}

_NAME_HINTS = (("kws", "kws01"), ("keyword", "kws01"), ("vww", "vww01"),
               ("visual_wake", "vww01"), ("person_det", "vww01"), ("ad01", "ad01"),
               ("anomaly", "ad01"), ("toycar", "ad01"), ("ic01", "ic01"), ("resnet", "ic01"),
               ("cifar", "ic01"), ("sww", "sww01"), ("str_ww", "sww01"),
               ("wakeword", "sww01"))
_SHAPE_HINTS = {(1, 49, 10, 1): "kws01", (1, 96, 96, 3): "vww01", (1, 32, 32, 3): "ic01",
                (1, 640): "ad01"}
# the benchmark's data set format, by model id
_DEFAULT_MODES = {"kws01": "int8", "sww01": "int8", "vww01": "u8-minus-128",
                  "ic01": "u8-minus-128", "ad01": "float32"}


def guess_model_id(name: str, input_shapes: Sequence, fallback: str = "") -> str:
    """MLPerf Tiny's model id (kws01, vww01, ad01, ic01, sww01) from the model's name or its
    input shape; `fallback` (e.g. the C prefix) when neither says."""
    low = (name or "").lower()
    for hint, mid in _NAME_HINTS:
        if hint in low:
            return mid
    if len(input_shapes) == 1:
        mid = _SHAPE_HINTS.get(tuple(int(d) for d in input_shapes[0]))
        if mid:
            return mid
    return fallback or "model"


def _elements(io) -> int:
    shape = io["shape"] if isinstance(io, dict) else io.shape
    return int(np.prod(shape)) if len(shape) else 1


def _type_code(io) -> int:
    if isinstance(io, dict):
        return _TYPE_CODES.get(io["dtype"], -1)
    return io.type


def _nbytes(io) -> int:
    return int(io["bytes"]) if isinstance(io, dict) else int(io.bytes)


def _single_input_of(inputs: Sequence, codes) -> bool:
    return len(inputs) == 1 and _type_code(inputs[0]) in codes


def default_input_mode(model_id: str, inputs: Sequence) -> str:
    """The benchmark's own input format for this model id; `int8` (bytes as sent) for an
    unknown id or where the model's input cannot take it. U8C3 images go unchanged into a
    model whose single input is uint8 (`uint8`)."""
    mode = _DEFAULT_MODES.get(model_id, "int8")
    if mode == "u8-minus-128" and _single_input_of(inputs, (UINT8,)):
        mode = "uint8"
    return mode if check_input_mode(mode, inputs) is None else "int8"


def check_input_mode(mode: str, inputs: Sequence) -> Optional[str]:
    """None if `mode` can feed these inputs, else why not."""
    if mode not in INPUT_MODES:
        return f"unknown MLPerf Tiny input mode {mode!r} (choose from {', '.join(INPUT_MODES)})"
    if mode == "u8-minus-128" and not _single_input_of(inputs, (INT8,)):
        return f"input mode {mode} needs a model with a single int8 input"
    if mode == "uint8" and not _single_input_of(inputs, (UINT8,)):
        return f"input mode {mode} needs a model with a single uint8 input"
    if mode == "float32" and not _single_input_of(inputs, _QUANT_RANGE):
        return f"input mode {mode} needs a model with a single int8, int16 or uint8 input"
    if mode == "float32" and 4 * _elements(inputs[0]) > FLOAT_DB_LIMIT:
        return (f"input mode float32 needs a float32 buffer of at most {FLOAT_DB_LIMIT} "
                "bytes on the board; this input is larger")
    return None


def firmware_spec(inputs: Sequence, outputs: Sequence, model_id: str,
                  input_mode: Optional[str] = None,
                  virtual_clock_hz: int = VIRTUAL_CLOCK_HZ) -> dict:
    """The firmware's choices for these inputs/outputs (manifest dicts or IOInfo):
    input_mode (see the module's table), in_bytes (all inputs), float_input (a float32 `db`
    is quantized on the device, to int8, int16 or uint8: in_elem_bytes, in_uint8), db_bytes
    (the `db` buffer), ad01 (results = the anomaly score) and virtual_clock_hz (what a virtual
    board's instruction count is timed at)."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", model_id or ""):
        raise ValueError(f"MLPerf Tiny model id {model_id!r} must be 1 to 32 letters, digits, "
                         "'_', '.' or '-' (it is printed in m-model-[...])")
    mode = input_mode or default_input_mode(model_id, inputs)
    why = check_input_mode(mode, inputs)
    if why:
        raise ValueError(why)
    in_bytes = sum(_nbytes(io) for io in inputs)
    float_input = check_input_mode("float32", inputs) is None
    elem_bytes = 2 if float_input and _type_code(inputs[0]) == INT16 else 1
    in_uint8 = float_input and _type_code(inputs[0]) == UINT8
    ad01 = (model_id == "ad01" and len(inputs) == 1 and len(outputs) == 1
            and _elements(inputs[0]) == _elements(outputs[0]))
    db_bytes = max(in_bytes, 4 * _elements(inputs[0])) if float_input else in_bytes
    return {"model_id": model_id, "input_mode": mode, "in_bytes": in_bytes,
            "float_input": float_input, "in_elem_bytes": elem_bytes, "in_uint8": in_uint8,
            "db_bytes": db_bytes,
            "ad01": ad01, "virtual_clock_hz": int(virtual_clock_hz)}


def template_vars(prefix: str, board, spec: dict, version: str) -> dict:
    """The variables of codegen/firmware/mlperf_main.c.j2."""
    return dict(prefix=prefix, PREFIX=prefix.upper(), board=board.name, version=version,
                virtual=bool(board.virtual), model_id=spec["model_id"],
                input_mode=spec.get("input_mode", "int8"), in_bytes=spec["in_bytes"],
                db_bytes=spec["db_bytes"], float_input=spec["float_input"], ad01=spec["ad01"],
                in_elem_bytes=int(spec.get("in_elem_bytes", 1)),
                in_uint8=bool(spec.get("in_uint8", False)),
                virtual_clock_hz=int(spec.get("virtual_clock_hz", VIRTUAL_CLOCK_HZ)))


def dut_name(board_name: str, virtual: bool,
             virtual_clock_hz: int = VIRTUAL_CLOCK_HZ) -> str:
    """What the firmware answers to `name` (inside m-name-dut-[...])."""
    if virtual:
        mhz = virtual_clock_hz / 1e6
        return f"{VENDOR} {board_name} virtual {mhz:g}MHz"
    return f"{VENDOR} {board_name}"


# -------------------------------------------------------------- the firmware's arithmetic

def quantize_like_firmware(x, scale: float, zero_point: int, dtype=np.int8) -> np.ndarray:
    """int8 (int16, uint8) of float32 values as the firmware quantizes a float32 `db`:
    round(x / scale) + zero point in float32, halves away from zero, saturated."""
    y = np.asarray(x, dtype=np.float32) / np.float32(scale)
    y = np.where(np.isnan(y), np.float32(0), np.clip(y, np.float32(-1e6), np.float32(1e6)))
    q = np.trunc(y)
    frac = y - q
    q = q.astype(np.int64) + (frac >= 0.5) - (frac <= -0.5)
    info = np.iinfo(dtype)
    return np.clip(q + int(zero_point), info.min, info.max).astype(dtype)


def u8_to_model_input(data) -> np.ndarray:
    """A U8C3 image's bytes (0..255) as the int8 model input: each byte minus 128."""
    return (np.frombuffer(bytes(data), dtype=np.uint8).astype(np.int16) - 128).astype(np.int8)


def model_input_to_u8(x) -> bytes:
    """The U8C3 bytes a runner sends for int8 model input `x` (the inverse of
    u8_to_model_input)."""
    return (np.asarray(x, dtype=np.int8).astype(np.int16) + 128).astype(np.uint8).tobytes()
