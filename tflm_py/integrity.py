"""What the validation firmware checksums, and the values it must report.

Two checks prove that a board computes what the simulator computes and holds what the
generator wrote:

- **Layer CRCs.** Right after each op runs, the validation firmware takes a CRC-32 of every
  output tensor of that op (before a later op may reuse its bytes) and reports the list after
  the INVOKE; the harness compares it with the simulator's tensors, so a wrong layer is
  caught on the first sample whatever the final output does. The firmware lists its layer
  outputs (op index, output slot, bytes) in execution order.
- **Data CRCs.** On request the firmware computes one CRC-32 over the model constants array
  and one per op over everything the op's call reads that the generator produced: its params
  struct fields (each as a little-endian int64, or a float32 for floats), its const tables
  and the model bytes of its constant tensors. The generator records the expected list in
  the manifest (`data_check`); the harness refuses a firmware whose list differs.

CRC-32 is zlib's (the same as the frame CRC). A stage-neutral module: codegen writes the C
side, the harness checks the values; neither imports the other for this.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np


def crc32(data: bytes, crc: int = 0) -> int:
    return zlib.crc32(data, crc) & 0xFFFFFFFF


def tensor_crc(a: np.ndarray) -> int:
    """The CRC the firmware takes of a tensor's bytes (little-endian, row-major)."""
    return crc32(np.ascontiguousarray(a).tobytes())


@dataclass(frozen=True)
class LayerOutput:
    """One checksummed tensor: output `slot` of op `op` (model op index), `bytes` long."""
    op: int
    slot: int
    bytes: int


def layer_outputs(model, order: Sequence[int]) -> list[tuple[LayerOutput, int]]:
    """(LayerOutput, tensor index) for every non-constant output of every op, in execution
    order `order`."""
    out = []
    for i in order:
        op = model.operators[i]
        for slot, t in enumerate(op.outputs):
            if t < 0:
                continue
            tt = model.tensors[t]
            if tt.data is not None:
                continue
            out.append((LayerOutput(i, slot, int(tt.nbytes)), t))
    return out


# ------------------------------------------------------------------ data check items

def field_item(value):
    """(C checksum function suffix, bytes hashed) for a numeric params field; None for a
    field given as a C expression (a pointer or a table name: its target is hashed on its
    own)."""
    if isinstance(value, (bool, np.bool_)):
        return "i64", struct.pack("<q", int(value))
    if isinstance(value, (int, np.integer)):
        v = int(value)
        if -(1 << 63) <= v < (1 << 63):
            return "i64", struct.pack("<q", v)
        return None
    if isinstance(value, (float, np.floating)):
        f = np.float32(value)
        if np.isnan(f):
            return None          # NaN bit patterns differ between compilers
        return "f32", struct.pack("<f", f)
    return None


def array_bytes(ctype: str, values) -> bytes:
    dt = {"int8_t": np.int8, "uint8_t": np.uint8, "int16_t": np.int16, "uint16_t": np.uint16,
          "int32_t": np.int32, "uint32_t": np.uint32, "int64_t": np.int64,
          "uint64_t": np.uint64, "float": np.float32, "double": np.float64}.get(ctype)
    if dt is None:
        return b""
    a = np.asarray(values, dtype=np.float64 if dt in (np.float32, np.float64) else object)
    return np.asarray(a, dtype=dt).astype(np.dtype(dt).newbyteorder("<")).tobytes()


def data_crcs(model_data: bytes, op_items: dict, op_count: int) -> list[int]:
    """[CRC of the model constants array, then one CRC per op (by op index) of its items]:
    what the firmware's NAME_data_crcs() must give."""
    out = [crc32(bytes(model_data))]
    for i in range(op_count):
        c = 0
        for item in op_items.get(i, []):
            c = crc32(item, c)
        out.append(c)
    return out


def describe_data_entry(k: int, model) -> str:
    """Entry k of the data CRC list, in words."""
    if k == 0:
        return "the model constants array"
    i = k - 1
    if model is not None and i < len(model.operators):
        return f"op #{i} {model.operators[i].type}'s parameters, tables or weights"
    return f"op #{i}'s parameters, tables or weights"
