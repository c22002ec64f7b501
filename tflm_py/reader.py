"""Reader: .tflite bytes -> graph IR (tflm_py.ir.Model).

Two passes. `_Verifier` walks every table, vector and string the reader will touch and
checks each offset and length against the buffer, so a malformed file fails with a
ModelError naming what is wrong, never an IndexError deep inside, a huge allocation or an
endless loop. Then the generated schema bindings (tflm_py.tflite_schema) read the verified
structure into plain dataclasses.
"""
from __future__ import annotations

import io
import os
import re
import struct
import zipfile
from types import SimpleNamespace
from typing import Union

import numpy as np

from .errors import ModelError, UnsupportedError
from .ir import Model, Operator, Quantization, Tensor
from .tflite_schema import ActivationFunctionType, BuiltinOperator, Padding, TensorType
from .tflite_schema.BuiltinOptions import BuiltinOptionsCreator
from .tflite_schema.Model import Model as FbModel

FILE_IDENTIFIER = b"TFL3"
MAX_MODEL_BYTES = 1 << 31  # flatbuffers' 2 GB limit

_OP_NAMES = {v: k for k, v in vars(BuiltinOperator.BuiltinOperator).items() if not k.startswith("_")}
_ACT_NAMES = {v: k for k, v in vars(ActivationFunctionType.ActivationFunctionType).items()
              if not k.startswith("_")}
_PAD_NAMES = {v: k for k, v in vars(Padding.Padding).items() if not k.startswith("_")}
_TYPE_NAMES = {v: k for k, v in vars(TensorType.TensorType).items() if not k.startswith("_")}
_NUMPY_TYPES = {
    "FLOAT32": np.float32, "FLOAT16": np.float16, "FLOAT64": np.float64,
    "INT8": np.int8, "UINT8": np.uint8, "INT16": np.int16, "UINT16": np.uint16,
    "INT32": np.int32, "UINT32": np.uint32, "INT64": np.int64, "UINT64": np.uint64,
    "BOOL": np.bool_, "COMPLEX64": np.complex64, "COMPLEX128": np.complex128,
}


# ---------------------------------------------------------------------------- verifier

# Field layout of the tables the reader reads: field id -> kind.
#   scalar sizes: "u8","i8","u32","i32","u64"; "str"; ("vec", elem_size); ("tvec", table);
#   ("table", table). Fields not listed are never read.
_SCHEMA = {
    "Model": {0: "u32", 1: ("tvec", "OperatorCode"), 2: ("tvec", "SubGraph"), 3: "str",
              4: ("tvec", "Buffer"), 5: ("vec", 4), 6: ("tvec", "Metadata")},
    "OperatorCode": {0: "i8", 1: "str", 2: "i32", 3: "i32"},
    "SubGraph": {0: ("tvec", "Tensor"), 1: ("vec", 4), 2: ("vec", 4), 3: ("tvec", "Operator"),
                 4: "str"},
    "Tensor": {0: ("vec", 4), 1: "i8", 2: "u32", 3: "str", 4: ("table", "Quantization"),
               5: "u8"},
    "Quantization": {0: ("vec", 4), 1: ("vec", 4), 2: ("vec", 4), 3: ("vec", 8), 6: "i32"},
    "Operator": {0: "u32", 1: ("vec", 4), 2: ("vec", 4), 3: "u8", 4: ("table", "Options"),
                 5: ("vec", 1), 8: ("vec", 4)},
    "Buffer": {0: ("vec", 1), 1: "u64", 2: "u64"},
    "Metadata": {0: "str", 1: "u32"},
    "Options": {},  # builtin options: checked generically (table + vtable bounds)
}
_SCALAR = {"u8": 1, "i8": 1, "u32": 4, "i32": 4, "u64": 8}


class _Verifier:
    def __init__(self, buf: bytes):
        self.buf = buf
        self.n = len(buf)
        self.budget = 4 * self.n + 4096  # total elements visited: bounds work on any input

    def fail(self, what: str):
        raise ModelError(f"malformed model: {what}")

    def u32(self, pos: int) -> int:
        if pos < 0 or pos + 4 > self.n:
            self.fail(f"offset {pos} is outside the {self.n}-byte file")
        return struct.unpack_from("<I", self.buf, pos)[0]

    def table(self, pos: int, kind: str, depth: int = 0):
        if depth > 8:
            self.fail("tables nested too deep")
        self.budget -= 1
        if self.budget < 0:
            self.fail("structure larger than the file")
        if pos < 0 or pos + 4 > self.n or pos % 4:
            self.fail(f"{kind} table at {pos} is outside the file or misaligned")
        vt = pos - struct.unpack_from("<i", self.buf, pos)[0]
        if vt < 0 or vt + 4 > self.n or vt % 2:
            self.fail(f"{kind} vtable at {vt} is outside the file")
        vt_size, tbl_size = struct.unpack_from("<HH", self.buf, vt)
        if vt_size < 4 or vt_size % 2 or vt + vt_size > self.n or pos + tbl_size > self.n:
            self.fail(f"{kind} vtable at {vt} has impossible sizes")
        nfields = (vt_size - 4) // 2
        for fid in range(nfields):
            off = struct.unpack_from("<H", self.buf, vt + 4 + 2 * fid)[0]
            if off == 0:
                continue
            if off + 1 > tbl_size:
                self.fail(f"{kind} field {fid} lies outside its table")
            spec = _SCHEMA[kind].get(fid)
            fpos = pos + off
            if spec is None:
                # unknown to us: at least keep it inside the table
                continue
            if isinstance(spec, str) and spec in _SCALAR:
                if fpos + _SCALAR[spec] > self.n:
                    self.fail(f"{kind} field {fid} is outside the file")
                continue
            target = fpos + self.u32(fpos)
            if spec == "str":
                self.vector(target, 1, kind, extra=1)
            elif spec[0] == "vec":
                self.vector(target, spec[1], kind)
            elif spec[0] == "tvec":
                count = self.vector(target, 4, kind)
                for i in range(count):
                    epos = target + 4 + 4 * i
                    self.table(epos + self.u32(epos), spec[1], depth + 1)
            elif spec[0] == "table":
                self.table(target, spec[1], depth + 1)

    def vector(self, pos: int, elem: int, kind: str, extra: int = 0) -> int:
        count = self.u32(pos)
        if pos + 4 + count * elem + extra > self.n:
            self.fail(f"a vector in {kind} claims {count} elements, beyond the end of the file")
        self.budget -= count
        if self.budget < 0:
            self.fail("structure larger than the file")
        return count


# ---------------------------------------------------------------------------- reader

def load_model(source: Union[str, os.PathLike, bytes, bytearray, memoryview]) -> Model:
    """Read a .tflite model (a path or its bytes) into the graph IR. Raises ModelError."""
    name = "model"
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        path = os.fspath(source)
        name = re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0]) or "model"
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_MODEL_BYTES + 1)
        except FileNotFoundError:
            raise ModelError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise ModelError(f"{path}: is a directory, not a .tflite file") from None
        except OSError as e:
            raise ModelError(f"{path}: cannot read ({e.strerror})") from None
    if len(data) == 0:
        raise ModelError("empty file, not a TFLite model")
    if len(data) < 16:
        raise ModelError(f"file of {len(data)} bytes is too short for a TFLite model")
    if len(data) > MAX_MODEL_BYTES:
        raise ModelError("file larger than 2 GB, not a TFLite flatbuffer")
    if data[4:8] != FILE_IDENTIFIER:
        raise ModelError(f"not a TFLite model (file identifier {data[4:8]!r}, expected b'TFL3')")
    v = _Verifier(data)
    root = v.u32(0)
    v.table(root, "Model")
    try:
        model = _parse(data)
    except ModelError:
        raise
    except (IndexError, struct.error, ValueError, TypeError, OverflowError, UnicodeDecodeError,
            AttributeError, RecursionError, MemoryError) as e:
        raise ModelError(f"malformed model: {type(e).__name__} while reading ({e})") from None
    model.name = name
    return model


def _s(b) -> str:
    if b is None:
        return ""
    return b.decode("utf-8", errors="replace") if isinstance(b, bytes) else str(b)


def _snake(name: str) -> str:
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def _options(fb_op) -> SimpleNamespace:
    t = fb_op.BuiltinOptionsType()
    if t == 0:
        return SimpleNamespace()
    obj = BuiltinOptionsCreator(t, fb_op.BuiltinOptions())
    if obj is None:
        return SimpleNamespace()
    out = {}
    for k, val in vars(obj).items():
        key = _snake(k)
        if key == "fused_activation_function":
            val = _ACT_NAMES.get(val, f"UNKNOWN({val})")
        elif key == "padding":
            val = _PAD_NAMES.get(val, f"UNKNOWN({val})")
        elif isinstance(val, np.ndarray):
            val = tuple(int(x) for x in val)
        elif isinstance(val, list):
            val = tuple(val)
        out[key] = val
    return SimpleNamespace(**out)


def _vec(obj, name: str) -> tuple[int, ...]:
    if getattr(obj, name + "IsNone")():
        return ()
    return tuple(int(x) for x in getattr(obj, name + "AsNumpy")())


def _parse(data: bytes) -> Model:
    fb = FbModel.GetRootAs(data, 0)
    n_sub = fb.SubgraphsLength()
    if n_sub == 0:
        raise ModelError("model has no subgraph")

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
                raise ModelError(f"malformed model: buffer {i} lies outside the file")
            buffers.append((off, size))
        elif not b.DataIsNone() and b.DataLength() > 0:
            tab = b._tab
            vec_start = tab.Vector(tab.Offset(4))
            buffers.append((vec_start, b.DataLength()))
        else:
            buffers.append((0, 0))

    sg = fb.Subgraphs(0)
    ops_raw = [sg.Operators(i) for i in range(sg.OperatorsLength())]
    tensors: list[Tensor] = []
    n_t = sg.TensorsLength()
    for i in range(n_t):
        t = sg.Tensors(i)
        shape = _vec(t, "Shape")
        if any(d < 0 for d in shape):
            raise UnsupportedError(f"tensor {i} has a dynamic shape {list(shape)}")
        tname = _TYPE_NAMES.get(t.Type(), f"UNKNOWN({t.Type()})")
        dtype = np.dtype(_NUMPY_TYPES.get(tname, np.uint8))
        q = t.Quantization()
        quant = None
        if q is not None and not q.ScaleIsNone() and q.ScaleLength() > 0:
            scales = q.ScaleAsNumpy().astype(np.float32)
            zps = (q.ZeroPointAsNumpy().astype(np.int64) if not q.ZeroPointIsNone()
                   else np.zeros(len(scales), np.int64))
            if len(zps) == 0:
                zps = np.zeros(len(scales), np.int64)
            qdim = int(q.QuantizedDimension())
            if len(scales) > 1 and not (0 <= qdim < max(len(shape), 1)):
                raise ModelError(f"malformed model: tensor {i} quantized_dimension {qdim} "
                                 f"outside its shape {list(shape)}")
            quant = Quantization(scales, zps, qdim)
        bidx = int(t.Buffer())
        if bidx >= len(buffers):
            raise ModelError(f"malformed model: tensor {i} uses buffer {bidx}, "
                             f"the model has {len(buffers)}")
        arr, arr_off = None, None
        boff, bsize = buffers[bidx]
        if bsize > 0:
            count = 1
            for d in shape:
                count *= d
            if tname in _NUMPY_TYPES and count * dtype.itemsize == bsize:
                arr = np.frombuffer(data, dtype=dtype, count=count, offset=boff).reshape(shape)
            elif tname in _NUMPY_TYPES and tname != "BOOL":
                raise ModelError(f"malformed model: tensor {i} ({_s(t.Name())}) has {bsize} bytes "
                                 f"of data, its shape {list(shape)} of {tname.lower()} needs "
                                 f"{count * dtype.itemsize}")
            else:
                arr = np.frombuffer(data, dtype=np.uint8, count=bsize, offset=boff)
            arr_off = boff
        tensors.append(Tensor(index=i, name=_s(t.Name()), shape=shape, dtype=dtype,
                              quantization=quant, data=arr, data_offset=arr_off,
                              is_variable=bool(t.IsVariable()), buffer=bidx, type_name=tname))

    def idx_list(vals, what):
        for x in vals:
            if x < -1 or x >= n_t:
                raise ModelError(f"malformed model: {what} refers to tensor {x}, "
                                 f"the model has {n_t}")
        return vals

    operators = []
    for i, o in enumerate(ops_raw):
        oci = int(o.OpcodeIndex())
        if oci >= len(opcodes):
            raise ModelError(f"malformed model: op {i} uses opcode {oci}, "
                             f"the model has {len(opcodes)}")
        op_type, custom, version = opcodes[oci]
        if op_type in ("WHILE", "IF", "CALL_ONCE", "CALL") or (n_sub > 1 and op_type in
                                                              ("STABLEHLO_WHILE", "STABLEHLO_CASE")):
            raise UnsupportedError(f"op #{i} {op_type} needs control flow across subgraphs, "
                                   "which is not supported")
        operators.append(Operator(
            index=i, type=op_type,
            inputs=idx_list(_vec(o, "Inputs"), f"op {i} input"),
            outputs=idx_list(_vec(o, "Outputs"), f"op {i} output"),
            options=_options(o),
            intermediates=idx_list(_vec(o, "Intermediates"), f"op {i} intermediate"),
            custom_code=custom, version=version))

    metadata = {}
    for i in range(fb.MetadataLength()):
        m = fb.Metadata(i)
        b = int(m.Buffer())
        if b < len(buffers):
            off, size = buffers[b]
            metadata[_s(m.Name())] = data[off:off + size]

    return Model(
        tensors=tensors, operators=operators,
        inputs=idx_list(_vec(sg, "Inputs"), "graph input"),
        outputs=idx_list(_vec(sg, "Outputs"), "graph output"),
        metadata=metadata, labels=_labels(data), description=_s(fb.Description()),
        version=int(fb.Version()), data=data)


def _labels(data: bytes):
    """Label file from TFLite Metadata: associated files are a zip appended to the model."""
    if b"PK\x05\x06" not in data[-65536 - 22:]:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = [n for n in z.namelist() if n.lower().endswith(".txt")]
            names.sort(key=lambda n: ("label" not in n.lower(), n))
            if not names or z.getinfo(names[0]).file_size > 1 << 20:
                return None
            text = z.read(names[0]).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError):
        return None
    labels = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return labels or None
