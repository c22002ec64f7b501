"""Reader: .tflite bytes -> graph IR (tflm_py.ir.Model).

Two passes. `_Verifier` walks every table, vector and string the reader will touch and
checks each offset and length against the buffer (field by field, from the schema layout
in tflm_py/schema_layout.py), so a malformed file fails with a ModelError naming what is
wrong, never an IndexError deep inside, a huge allocation or an endless loop: the total
work of the walk is bounded by a budget proportional to the file size. Then the generated
schema bindings (tflm_py.tflite_schema) read the verified structure into plain dataclasses,
and `_parse` checks the meaning (indices in range, data sizes agree with shapes,
quantization consistent with the shape, ...).

Metadata: `min_runtime_version` and `OfflineMemoryAllocation` are checked and decoded by
`min_runtime_version(model)` / `offline_memory_plan(model)`; a TFLite Metadata entry
(`TFLITE_METADATA`) naming a label file found in the zip of associated files appended to
the flatbuffer gives `Model.labels`.
"""
from __future__ import annotations

import functools
import io
import math
import os
import re
import stat
import struct
import zipfile
import zlib
from types import SimpleNamespace
from typing import Optional, Union

import numpy as np

from .errors import ModelError, UnsupportedError
from .ir import Model, Operator, Quantization, Subgraph, Tensor
from .schema_layout import TABLES
from .tflite_schema import ActivationFunctionType, BuiltinOperator, Padding, TensorType
from .tflite_schema.BuiltinOptions import BuiltinOptions, BuiltinOptionsCreator
from .tflite_schema.Model import Model as FbModel

FILE_IDENTIFIER = b"TFL3"
MAX_MODEL_BYTES = 1 << 31          # flatbuffers' 2 GB limit
MAX_STREAM_BYTES = 1 << 26        # from a pipe or a device: read at most 64 MB
MAX_TENSOR_BYTES = (1 << 31) - 1   # larger tensors cannot exist on a microcontroller (int32 sizes)
METADATA_IDENTIFIER = b"M001"      # TFLite Metadata (tflite-support metadata_schema.fbs)

_OP_NAMES = {v: k for k, v in vars(BuiltinOperator.BuiltinOperator).items() if not k.startswith("_")}
_ACT_NAMES = {v: k for k, v in vars(ActivationFunctionType.ActivationFunctionType).items()
              if not k.startswith("_")}
_PAD_NAMES = {v: k for k, v in vars(Padding.Padding).items() if not k.startswith("_")}
_TYPE_NAMES = {v: k for k, v in vars(TensorType.TensorType).items() if not k.startswith("_")}
_OPTIONS_NAMES = {v: k for k, v in vars(BuiltinOptions).items()
                  if not k.startswith("_") and k != "NONE"}
_NUMPY_TYPES = {
    "FLOAT32": np.float32, "FLOAT16": np.float16, "FLOAT64": np.float64,
    "INT8": np.int8, "UINT8": np.uint8, "INT16": np.int16, "UINT16": np.uint16,
    "INT32": np.int32, "UINT32": np.uint32, "INT64": np.int64, "UINT64": np.uint64,
    "BOOL": np.bool_, "COMPLEX64": np.complex64, "COMPLEX128": np.complex128,
}
_ZERO_POINT_RANGE = {"INT8": (-128, 127), "UINT8": (0, 255), "INT16": (-32768, 32767)}

# builtin op -> the options table it carries (an op carrying another table is malformed; an op
# without its table gets the table's schema defaults). Ops not listed are not checked.
_OPTIONS_OF_OP = {
    "CONV_2D": "Conv2DOptions", "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "FULLY_CONNECTED": "FullyConnectedOptions", "AVERAGE_POOL_2D": "Pool2DOptions",
    "MAX_POOL_2D": "Pool2DOptions", "L2_POOL_2D": "Pool2DOptions", "ADD": "AddOptions",
    "SUB": "SubOptions", "MUL": "MulOptions", "DIV": "DivOptions", "SOFTMAX": "SoftmaxOptions",
    "CONCATENATION": "ConcatenationOptions", "RESHAPE": "ReshapeOptions",
    "SQUEEZE": "SqueezeOptions", "PAD": "PadOptions", "PADV2": "PadV2Options",
    "MEAN": "ReducerOptions", "SUM": "ReducerOptions", "REDUCE_MAX": "ReducerOptions",
    "REDUCE_MIN": "ReducerOptions", "REDUCE_PROD": "ReducerOptions",
    "TRANSPOSE": "TransposeOptions", "STRIDED_SLICE": "StridedSliceOptions",
    "MAXIMUM": "MaximumMinimumOptions", "MINIMUM": "MaximumMinimumOptions",
    "LEAKY_RELU": "LeakyReluOptions", "HARD_SWISH": "HardSwishOptions",
    "EXPAND_DIMS": "ExpandDimsOptions", "QUANTIZE": "QuantizeOptions",
    "DEQUANTIZE": "DequantizeOptions",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "UnidirectionalSequenceLSTMOptions",
    "LSTM": "LSTMOptions", "SVDF": "SVDFOptions", "L2_NORMALIZATION": "L2NormOptions",
    "SPLIT": "SplitOptions", "SPLIT_V": "SplitVOptions", "GATHER": "GatherOptions",
    "RESIZE_BILINEAR": "ResizeBilinearOptions",
    "RESIZE_NEAREST_NEIGHBOR": "ResizeNearestNeighborOptions",
    "TRANSPOSE_CONV": "TransposeConvOptions", "ARG_MAX": "ArgMaxOptions",
    "ARG_MIN": "ArgMinOptions", "PACK": "PackOptions", "UNPACK": "UnpackOptions",
    "BATCH_MATMUL": "BatchMatMulOptions", "DEPTH_TO_SPACE": "DepthToSpaceOptions",
    "SPACE_TO_DEPTH": "SpaceToDepthOptions", "SPACE_TO_BATCH_ND": "SpaceToBatchNDOptions",
    "BATCH_TO_SPACE_ND": "BatchToSpaceNDOptions", "SHAPE": "ShapeOptions",
    "CAST": "CastOptions", "CALL_ONCE": "CallOnceOptions", "VAR_HANDLE": "VarHandleOptions",
}


# ---------------------------------------------------------------------------- verifier

# Fields of the core tables that the reader reads (all other fields are never touched, so
# they are not checked). Tables reached through a union (the builtin options) are checked
# field by field in full, because the bindings' object API reads every field.
_READ_FIELDS = {
    "Model": (0, 1, 2, 3, 4, 6),            # version, operator_codes, subgraphs, description,
                                            # buffers, metadata
    "OperatorCode": (0, 1, 2, 3),           # deprecated_builtin_code, custom_code, version,
                                            # builtin_code
    "SubGraph": (0, 1, 2, 3, 4),            # tensors, inputs, outputs, operators, name
    "Tensor": (0, 1, 2, 3, 4, 5, 7),        # shape, type, buffer, name, quantization, is_variable,
                                            # shape_signature
    "QuantizationParameters": (2, 3, 6),    # scale, zero_point, quantized_dimension
    "Operator": (0, 1, 2, 3, 4, 8),         # opcode_index, inputs, outputs, builtin_options
                                            # (type + table), intermediates
    "Buffer": (0, 1, 2),                    # data, offset, size
    "Metadata": (0, 1),                     # name, buffer
}
_UNIONS = {"BuiltinOptions": _OPTIONS_NAMES}

# TFLite Metadata (tflite-support's metadata_schema.fbs), only the path to the label files.
_METADATA_TABLES = {
    "ModelMetadata": {3: ("tvec", "SubGraphMetadata"), 6: ("tvec", "AssociatedFile")},
    "SubGraphMetadata": {2: ("tvec", "TensorMetadata"), 3: ("tvec", "TensorMetadata"),
                         4: ("tvec", "AssociatedFile")},
    "TensorMetadata": {6: ("tvec", "AssociatedFile")},
    "AssociatedFile": {0: "str", 2: 1},
}
_TENSOR_AXIS_LABELS, _TENSOR_VALUE_LABELS = 2, 3


def _plan(tables: dict, read: dict) -> dict:
    """kind -> tuple of (vtable slot, field id, spec) for the fields to check."""
    out = {}
    for kind, layout in tables.items():
        fids = read.get(kind, sorted(layout))
        out[kind] = tuple((4 + 2 * f, f, layout[f]) for f in fids)
    return out


_MODEL_PLAN = _plan(TABLES, _READ_FIELDS)
_METADATA_PLAN = _plan(_METADATA_TABLES, {})
_H = struct.Struct("<H").unpack_from
_HH = struct.Struct("<HH").unpack_from
_I = struct.Struct("<I").unpack_from
_i = struct.Struct("<i").unpack_from


class _Verifier:
    """Checks a flatbuffer against a table layout before anything reads it.

    Every check compares an offset or a length with the buffer size. The work is bounded by
    `budget`: each table visit costs 1 + its checked fields, each vector its element count;
    shared (DAG) structures are re-checked and re-paid at every reference, so the reader's
    own per-reference work is bounded by the same budget."""

    def __init__(self, buf: bytes, plan: dict = _MODEL_PLAN, what: str = "malformed model"):
        self.buf = buf
        self.n = len(buf)
        self.plan = plan
        self.what = what
        self.budget = 4 * self.n + 4096

    def fail(self, msg: str):
        raise ModelError(f"{self.what}: {msg}")

    def spend(self, cost: int):
        self.budget -= cost
        if self.budget < 0:
            self.fail("its tables and vectors are larger than the file (shared or looping offsets)")

    def u32(self, pos: int) -> int:
        if pos < 0 or pos + 4 > self.n:
            self.fail(f"an offset leads to byte {pos}, beyond the end of the {self.n}-byte file "
                      "(truncated?)")
        return _I(self.buf, pos)[0]

    def root(self, kind: str) -> int:
        pos = self.u32(0)
        self.table(pos, kind)
        return pos

    def table(self, pos: int, kind: str, depth: int = 0):
        fields = self.plan[kind]
        self.spend(1 + len(fields))
        if depth > 16:
            self.fail("tables nested too deep")
        buf, n = self.buf, self.n
        if pos % 4 or pos + 4 > n:
            self.fail(f"{kind} table at byte {pos} is outside the {n}-byte file or misaligned")
        vt = pos - _i(buf, pos)[0]
        if vt < 0 or vt % 2 or vt + 4 > n:
            self.fail(f"{kind} table at byte {pos}: its vtable at byte {vt} is outside the file")
        vt_size, tbl_size = _HH(buf, vt)
        if vt_size < 4 or vt_size % 2 or vt + vt_size > n or tbl_size < 4 or pos + tbl_size > n:
            self.fail(f"{kind} table at byte {pos}: impossible vtable sizes "
                      f"({vt_size}, {tbl_size})")
        for slot, fid, spec in fields:
            if slot + 2 > vt_size:
                continue  # field beyond this vtable: absent, reads give the default
            off = _H(buf, vt + slot)[0]
            if off == 0:
                continue
            size = spec if isinstance(spec, int) else 4
            if off < 4 or off + size > tbl_size:
                self.fail(f"{kind} table at byte {pos}: field {fid} lies outside the table")
            if isinstance(spec, int):
                continue
            fpos = pos + off
            target = fpos + _I(buf, fpos)[0]
            if spec == "str":
                self.string(target, kind)
                continue
            tag, arg = spec
            if tag == "vec":
                self.vector(target, arg, kind)
            elif tag == "tvec":
                count = self.vector(target, 4, kind)
                for i in range(count):
                    epos = target + 4 + 4 * i
                    self.table(epos + _I(buf, epos)[0], arg, depth + 1)
            elif tag == "table":
                self.table(target, arg, depth + 1)
            elif tag == "union":
                utype = self.byte_field(pos, vt, vt_size, tbl_size, fid - 1)
                member = _UNIONS[arg].get(utype)
                if member is not None:  # unknown union types are never read
                    self.table(target, member, depth + 1)

    def byte_field(self, pos: int, vt: int, vt_size: int, tbl_size: int, fid: int) -> int:
        """The value of a 1-byte field of a checked table (0 when absent)."""
        slot = 4 + 2 * fid
        if slot + 2 > vt_size:
            return 0
        off = _H(self.buf, vt + slot)[0]
        if off == 0:
            return 0
        if off < 4 or off + 1 > tbl_size:
            self.fail(f"table at byte {pos}: field {fid} lies outside the table")
        return self.buf[pos + off]

    def vector(self, pos: int, elem: int, kind: str) -> int:
        count = self.u32(pos)
        if pos % 4:
            self.fail(f"a vector in {kind} at byte {pos} is misaligned")
        if pos + 4 + count * elem > self.n:
            self.fail(f"a vector in {kind} at byte {pos} claims {count} elements, "
                      f"beyond the end of the {self.n}-byte file")
        self.spend(count)
        return count

    def string(self, pos: int, kind: str) -> int:
        count = self.u32(pos)
        if pos % 4:
            self.fail(f"a string in {kind} at byte {pos} is misaligned")
        end = pos + 4 + count
        if end + 1 > self.n:
            self.fail(f"a string in {kind} at byte {pos} claims {count} bytes, "
                      f"beyond the end of the {self.n}-byte file")
        if self.buf[end] != 0:
            self.fail(f"a string in {kind} at byte {pos} is not terminated")
        self.spend(count // 16 + 1)
        return count


# ---------------------------------------------------------------------------- reader

def read_model(source: Union[str, os.PathLike, bytes, bytearray, memoryview]) -> Model:
    """Read a .tflite model (a path or its bytes) into the graph IR, exactly as the file has
    it (`tflm_py.load_model` also runs the graph passes). Raises ModelError."""
    name = "model"
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        try:
            path = os.fspath(source)
        except TypeError:
            raise ModelError(f"cannot read a model from a {type(source).__name__}") from None
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        name = re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0]) or "model"
        data = _read_file(path)
    if len(data) == 0:
        raise ModelError("empty file, not a TFLite model")
    if len(data) < 16:
        raise ModelError(f"file of {len(data)} bytes is too short for a TFLite model")
    if len(data) > MAX_MODEL_BYTES:
        raise ModelError("file larger than 2 GB, not a TFLite flatbuffer")
    if data[4:8] != FILE_IDENTIFIER:
        raise ModelError(f"not a TFLite model (file identifier {data[4:8]!r}, expected b'TFL3')")
    _Verifier(data).root("Model")
    try:
        model = _parse(data)
    except ModelError:
        raise
    except (IndexError, struct.error, ValueError, TypeError, OverflowError, UnicodeDecodeError,
            AttributeError, KeyError, RecursionError, MemoryError) as e:
        # not expected after the verifier; kept so that a reader bug still ends cleanly
        raise ModelError(f"malformed model: {type(e).__name__} while reading "
                         f"({_one_line(str(e), 120)})") from None
    model.name = name
    return model


# the raw reader under its historical name (tests and the fuzzer read files as they are)
load_model = read_model


def _read_file(path: str) -> bytes:
    """The bytes of a file. Opened non-blocking so that a FIFO without a writer cannot hang;
    pipes and devices are read up to MAX_STREAM_BYTES (so /dev/zero cannot exhaust memory)."""
    shown = _one_line(path, 200)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ModelError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise ModelError(f"{shown}: is a directory, not a .tflite file") from None
    except PermissionError:
        raise ModelError(f"{shown}: permission denied") from None
    except OSError as e:
        raise ModelError(f"{shown}: cannot open ({e.strerror or e})") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ModelError(f"{shown}: is a directory, not a .tflite file")
        regular = stat.S_ISREG(st.st_mode)
        if regular and st.st_size > MAX_MODEL_BYTES:
            raise ModelError(f"{shown}: file of {st.st_size} bytes is larger than 2 GB, "
                             "not a TFLite flatbuffer")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        limit = MAX_MODEL_BYTES if regular else MAX_STREAM_BYTES
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 24, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise ModelError(f"{shown}: more than {limit} bytes, not a TFLite flatbuffer")
        return b"".join(chunks)
    except IsADirectoryError:
        raise ModelError(f"{shown}: is a directory, not a .tflite file") from None
    except OSError as e:
        raise ModelError(f"{shown}: cannot read ({e.strerror or e})") from None
    finally:
        os.close(fd)


def _one_line(text: str, limit: int = 60) -> str:
    """Text from the file (a name) made safe for a one-line message."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _s(b) -> str:
    if b is None:
        return ""
    return b.decode("utf-8", errors="replace") if isinstance(b, bytes) else str(b)


@functools.lru_cache(maxsize=None)
def _snake(name: str) -> str:
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


@functools.lru_cache(maxsize=None)
def _options_class(table: str):
    mod = __import__(f"{__package__}.tflite_schema.{table}", fromlist=[table])
    return getattr(mod, table + "T")


def _options(fb_op, op_index: int, op_type: str) -> SimpleNamespace:
    t = fb_op.BuiltinOptionsType()
    expected = _OPTIONS_OF_OP.get(op_type)
    got = _OPTIONS_NAMES.get(t)
    obj = None
    if got is not None:
        if expected is not None and got != expected:
            raise ModelError(f"malformed model: op {op_index} {op_type} carries {got}, "
                             f"expected {expected}")
        obj = BuiltinOptionsCreator(t, fb_op.BuiltinOptions())
    if obj is None:
        if expected is None:
            return SimpleNamespace()
        obj = _options_class(expected)()  # absent: the schema defaults
    out = {}
    for k, val in vars(obj).items():
        key = _snake(k)
        if key == "fused_activation_function":
            val = _ACT_NAMES.get(val, f"UNKNOWN({val})")
        elif key == "padding" and isinstance(val, int):
            val = _PAD_NAMES.get(val, f"UNKNOWN({val})")
        elif isinstance(val, np.ndarray):
            val = tuple(val.tolist())
        elif isinstance(val, list):
            val = tuple(val)
        elif isinstance(val, bytes):
            val = _s(val)
        out[key] = val
    return SimpleNamespace(**out)


def _vec(obj, name: str) -> tuple[int, ...]:
    if getattr(obj, name + "IsNone")():
        return ()
    return tuple(getattr(obj, name + "AsNumpy")().tolist())


def _shape_bytes(i: int, shape, itemsize: int) -> int:
    count = 1
    for d in shape:
        count *= d
    if count * itemsize > MAX_TENSOR_BYTES:
        raise ModelError(f"malformed model: tensor {i} shape {list(shape)} is too large "
                         f"({count * itemsize} bytes)")
    return count


def _quantization(i: int, t, shape, tname: str) -> Optional[Quantization]:
    q = t.Quantization()
    if q is None or q.ScaleIsNone() or q.ScaleLength() == 0:
        return None
    scales = q.ScaleAsNumpy().astype(np.float32)
    for s in scales.tolist():
        if not (s >= 0.0 and math.isfinite(s)):
            raise ModelError(f"malformed model: tensor {i} has quantization scale {s}")
    zps = (q.ZeroPointAsNumpy().astype(np.int64) if not q.ZeroPointIsNone()
           else np.zeros(0, np.int64))
    if len(zps) == 0:
        zps = np.zeros(len(scales), np.int64)
    elif len(zps) != len(scales):
        raise ModelError(f"malformed model: tensor {i} has {len(scales)} quantization scales "
                         f"but {len(zps)} zero points")
    lim = _ZERO_POINT_RANGE.get(tname)
    if lim is not None:
        for z in zps.tolist():
            if not lim[0] <= z <= lim[1]:
                raise ModelError(f"malformed model: tensor {i} zero point {z} is outside "
                                 f"the {tname.lower()} range")
    qdim = int(q.QuantizedDimension())
    if len(scales) > 1:
        if not 0 <= qdim < len(shape) and len(shape) == 1 and shape[0] == len(scales):
            # person_detect.tflite's biases: 1-D, one scale per element, quantized_dimension
            # copied from the 4-D filter; TFLM reads the values in order, so do we
            qdim = 0
        if not 0 <= qdim < len(shape):
            raise ModelError(f"malformed model: tensor {i} quantized_dimension {qdim} "
                             f"outside its shape {list(shape)}")
        if shape[qdim] != len(scales):
            raise ModelError(f"malformed model: tensor {i} has {len(scales)} quantization "
                             f"scales for dimension {qdim} of size {shape[qdim]}")
    return Quantization(scales, zps, qdim)


# ops that run other subgraphs: refused, except CALL_ONCE (variable initialisation)
_CONTROL_FLOW = ("WHILE", "IF", "CALL")
_STABLEHLO_FLOW = ("STABLEHLO_WHILE", "STABLEHLO_CASE")


def _read_tensors(data: bytes, sg, buffers, where: str = "") -> list[Tensor]:
    """The tensors of one subgraph (`where`: " of subgraph k" in messages, "" for 0)."""
    tensors: list[Tensor] = []
    for i in range(sg.TensorsLength()):
        t = sg.Tensors(i)
        ti = f"{i}{where}"
        shape = _vec(t, "Shape")
        for d in shape:
            if d < 0:
                if d == -1:
                    raise UnsupportedError(f"tensor {ti} has a dynamic shape {list(shape)}")
                raise ModelError(f"malformed model: tensor {ti} has a negative dimension "
                                 f"in its shape {list(shape)}")
        ttype = t.Type()
        tname = _TYPE_NAMES.get(ttype, f"UNKNOWN({ttype})")
        dtype = np.dtype(_NUMPY_TYPES.get(tname, np.uint8))
        count = _shape_bytes(ti, shape, dtype.itemsize)
        quant = _quantization(ti, t, shape, tname)
        bidx = int(t.Buffer())
        if bidx >= len(buffers):
            raise ModelError(f"malformed model: tensor {ti} uses buffer {bidx}, "
                             f"the model has {len(buffers)}")
        arr, arr_off = None, None
        boff, bsize = buffers[bidx]
        if bsize > 0:
            if tname in _NUMPY_TYPES:
                if count * dtype.itemsize != bsize:
                    raise ModelError(f"malformed model: tensor {ti} ({_one_line(_s(t.Name()))}) "
                                     f"has {bsize} bytes of data, its shape {list(shape)} of "
                                     f"{tname.lower()} needs {count * dtype.itemsize}")
                arr = np.frombuffer(data, dtype=dtype.newbyteorder("<"), count=count,
                                    offset=boff).reshape(shape)
            else:  # packed or variable-size types (INT4, STRING, ...): raw bytes
                arr = np.frombuffer(data, dtype=np.uint8, count=bsize, offset=boff)
            arr_off = boff
        tensors.append(Tensor(index=i, name=_s(t.Name()), shape=shape, dtype=dtype,
                              quantization=quant, data=arr, data_offset=arr_off,
                              is_variable=bool(t.IsVariable()), buffer=bidx, type_name=tname,
                              shape_signature=_vec(t, "ShapeSignature") or None))
    return tensors


def _index_list(vals, what: str, n_t: int, optional: bool = True):
    lo = -1 if optional else 0
    for x in vals:
        if x < lo or x >= n_t:
            raise ModelError(f"malformed model: {what} refers to tensor {x}, "
                             f"the model has {n_t}")
    return vals


def _read_operators(sg, opcodes, n_t: int, where: str = "") -> list[Operator]:
    operators = []
    for i in range(sg.OperatorsLength()):
        o = sg.Operators(i)
        oci = int(o.OpcodeIndex())
        if oci >= len(opcodes):
            raise ModelError(f"malformed model: op {i}{where} uses opcode {oci}, "
                             f"the model has {len(opcodes)}")
        op_type, custom, version = opcodes[oci]
        operators.append(Operator(
            index=i, type=op_type,
            inputs=_index_list(_vec(o, "Inputs"), f"op {i}{where} input", n_t),
            outputs=_index_list(_vec(o, "Outputs"), f"op {i}{where} output", n_t,
                                optional=False),
            options=_options(o, i, op_type),
            intermediates=_index_list(_vec(o, "Intermediates"), f"op {i}{where} intermediate",
                                      n_t),
            custom_code=custom, version=version, source_index=i))
    return operators


def _read_init_subgraph(data: bytes, fb, k: int, buffers, opcodes) -> Subgraph:
    """Subgraph k, which a CALL_ONCE of subgraph 0 runs on the first invoke. It may not run
    other subgraphs itself."""
    sg = fb.Subgraphs(k)
    where = f" of subgraph {k}"
    tensors = _read_tensors(data, sg, buffers, where)
    n_t = len(tensors)
    operators = _read_operators(sg, opcodes, n_t, where)
    for op in operators:
        if op.type in _CONTROL_FLOW + _STABLEHLO_FLOW + ("CALL_ONCE",):
            raise UnsupportedError(f"op #{op.index}{where} {op.type}: a subgraph run by "
                                   "CALL_ONCE that runs other subgraphs is not supported")
    return Subgraph(index=k, name=_s(sg.Name()), tensors=tensors, operators=operators,
                    inputs=_index_list(_vec(sg, "Inputs"), f"input{where}", n_t),
                    outputs=_index_list(_vec(sg, "Outputs"), f"output{where}", n_t))


def _parse(data: bytes) -> Model:
    fb = FbModel.GetRootAs(data, 0)
    n_sub = fb.SubgraphsLength()
    if n_sub == 0:
        raise ModelError("malformed model: it has no subgraph")

    opcodes = []
    for i in range(fb.OperatorCodesLength()):
        oc = fb.OperatorCodes(i)
        code = max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode()))
        opcodes.append((_OP_NAMES.get(code, f"UNKNOWN_{code}"), _s(oc.CustomCode()) or None,
                        int(oc.Version())))

    # buffers: (offset of data in file, length)
    buffers = []
    for i in range(fb.BuffersLength()):
        b = fb.Buffers(i)
        off, size = int(b.Offset()), int(b.Size())
        if off > 1:
            if off + size > len(data):
                raise ModelError(f"malformed model: buffer {i} (bytes {off}..{off + size}) "
                                 f"lies outside the {len(data)}-byte file")
            buffers.append((off, size))
        elif not b.DataIsNone() and b.DataLength() > 0:
            tab = b._tab
            buffers.append((tab.Vector(tab.Offset(4)), b.DataLength()))
        else:
            buffers.append((0, 0))

    tensors = _read_tensors(data, fb.Subgraphs(0), buffers)
    operators = _read_operators(fb.Subgraphs(0), opcodes, len(tensors))
    n_t = len(tensors)
    subgraphs = {}
    for op in operators:
        if op.type in _CONTROL_FLOW or (n_sub > 1 and op.type in _STABLEHLO_FLOW):
            raise UnsupportedError(f"op #{op.index} {op.type} needs control flow across "
                                   "subgraphs, which is not supported (only CALL_ONCE of a "
                                   "subgraph that initialises variables is)")
        if op.type == "CALL_ONCE":
            k = int(getattr(op.options, "init_subgraph_index", 0))
            if op.inputs or op.outputs:
                raise ModelError(f"malformed model: op {op.index} CALL_ONCE has inputs or "
                                 "outputs")
            if not 0 < k < n_sub:
                raise ModelError(f"malformed model: op {op.index} CALL_ONCE runs subgraph {k}, "
                                 f"the model has {n_sub} (and subgraph 0 cannot call itself)")
            if k not in subgraphs:
                subgraphs[k] = _read_init_subgraph(data, fb, k, buffers, opcodes)
    metadata = {}
    for i in range(fb.MetadataLength()):
        m = fb.Metadata(i)
        b = int(m.Buffer())
        if b >= len(buffers):
            raise ModelError(f"malformed model: metadata entry {i} ({_one_line(_s(m.Name()))}) "
                             f"uses buffer {b}, the model has {len(buffers)}")
        off, size = buffers[b]
        metadata[_s(m.Name())] = data[off:off + size]

    sg = fb.Subgraphs(0)
    model = Model(
        tensors=tensors, operators=operators,
        inputs=_index_list(_vec(sg, "Inputs"), "graph input", n_t, optional=False),
        outputs=_index_list(_vec(sg, "Outputs"), "graph output", n_t, optional=False),
        metadata=metadata, labels=None, description=_s(fb.Description()),
        version=int(fb.Version()), data=data, subgraphs=subgraphs)
    total_tensors = sum(fb.Subgraphs(k).TensorsLength() for k in range(n_sub))
    offline_memory_plan(model, total_tensors)  # raises when malformed
    model.labels = _labels(data, metadata.get("TFLITE_METADATA"))
    return model


# ---------------------------------------------------------------------------- metadata

def min_runtime_version(model: Model) -> Optional[str]:
    """The `min_runtime_version` metadata entry (e.g. "1.14.0"), or None."""
    raw = model.metadata.get("min_runtime_version")
    if raw is None:
        return None
    return raw.split(b"\0", 1)[0].decode("ascii", errors="replace")


def offline_memory_plan(model: Model, total_tensors: Optional[int] = None
                        ) -> Optional[tuple[int, ...]]:
    """The `OfflineMemoryAllocation` metadata entry: per tensor of subgraph 0 its planned byte
    offset in the arena's head, or -1 for "plan at run time"; None when absent.

    Format (TFLM docs/memory_management.md): int32 version, int32 number of subgraphs, int32 n,
    then n offsets, one per tensor of all subgraphs in order (the reader checks n against the
    tensors of all subgraphs, given as `total_tensors`). Raises ModelError when malformed.
    """
    raw = model.metadata.get("OfflineMemoryAllocation")
    if raw is None:
        return None
    n_t = len(model.tensors) if total_tensors is None else total_tensors
    if len(raw) % 4 or len(raw) < 12:
        raise ModelError(f"malformed model: OfflineMemoryAllocation metadata of {len(raw)} bytes "
                         "is not a list of int32 (version, subgraphs, count, offsets...)")
    vals = np.frombuffer(raw, dtype="<i4")
    count = int(vals[2])
    if count != len(vals) - 3:
        raise ModelError(f"malformed model: OfflineMemoryAllocation metadata announces {count} "
                         f"offsets and holds {len(vals) - 3}")
    if (count != n_t) if total_tensors is not None else (count < n_t):
        raise ModelError(f"malformed model: OfflineMemoryAllocation metadata has {count} offsets "
                         f"for {n_t} tensors")
    offsets = vals[3:3 + len(model.tensors)]
    if len(offsets) and int(offsets.min()) < -1:
        raise ModelError(f"malformed model: OfflineMemoryAllocation metadata has offset "
                         f"{int(offsets.min())}")
    return tuple(offsets.tolist())


def _metadata_label_files(meta: Optional[bytes]) -> list[str]:
    """Names of the label files TFLite Metadata associates with the model, best first:
    the first output's axis labels, then other outputs', then subgraph/model-level ones."""
    if not meta or len(meta) < 16 or meta[4:8] != METADATA_IDENTIFIER:
        return []
    try:
        v = _Verifier(meta, _METADATA_PLAN, "malformed TFLite metadata")
        root = v.root("ModelMetadata")
    except ModelError:
        return []

    def field(pos, fid):  # absolute position of a present field, or None (all verified)
        vt = pos - _i(meta, pos)[0]
        slot = 4 + 2 * fid
        if slot + 2 > _H(meta, vt)[0]:
            return None
        off = _H(meta, vt + slot)[0]
        return pos + off if off else None

    def tables(pos, fid):
        f = field(pos, fid)
        if f is None:
            return []
        vec = f + _I(meta, f)[0]
        return [vec + 4 + 4 * k + _I(meta, vec + 4 + 4 * k)[0] for k in range(_I(meta, vec)[0])]

    def files(pos, fid):
        out = []
        for af in tables(pos, fid):
            tpos = field(af, 2)
            npos = field(af, 0)
            if npos is None:
                continue
            s = npos + _I(meta, npos)[0]
            fname = meta[s + 4:s + 4 + _I(meta, s)[0]].decode("utf-8", errors="replace")
            out.append((meta[tpos] if tpos is not None else 0, fname))
        return out

    found = []
    subgraphs = tables(root, 3)
    if subgraphs:
        for tm in tables(subgraphs[0], 3):          # output tensor metadata
            found += files(tm, 6)
        found += files(subgraphs[0], 4)
    found += files(root, 6)
    ranked = [n for t, n in found if t == _TENSOR_AXIS_LABELS]
    ranked += [n for t, n in found if t == _TENSOR_VALUE_LABELS]
    return list(dict.fromkeys(ranked))


def _labels(data: bytes, meta: Optional[bytes] = None) -> Optional[list[str]]:
    """Labels from the label file of TFLite Metadata: the metadata names it, the file itself
    is in the zip of associated files appended to the flatbuffer. Without metadata naming
    one, a .txt file with "label" in its name in that zip is taken. None when there is none
    (a broken zip or label file is ignored: labels are a convenience, not needed to run)."""
    if b"PK\x05\x06" not in data[-65536 - 22:]:
        return None
    wanted = _metadata_label_files(meta)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            pick = next((n for n in wanted if n in names), None)
            if pick is None:
                cands = sorted(n for n in names
                               if n.lower().endswith(".txt") and "label" in n.lower())
                pick = cands[0] if cands else None
            if pick is None or z.getinfo(pick).file_size > 1 << 20:
                return None
            text = z.read(pick).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, KeyError, EOFError,
            NotImplementedError, RuntimeError, zlib.error, struct.error, IndexError,
            OverflowError, MemoryError):
        return None
    labels = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return labels or None
