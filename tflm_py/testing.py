"""Build small .tflite models with the FlatBuffers Builder, for tests and sweeps.

    b = ModelBuilder()
    x = b.activation((1, 8, 8, 3), scale=0.05, zero_point=-3)
    w = b.constant(np.int8 array, scales=[...], zero_points=[0, ...], quantized_dimension=0)
    bias = b.constant(np.int32 array, scales=[...])
    y = b.activation((1, 8, 8, 4), scale=0.1, zero_point=2)
    b.op("CONV_2D", [x, w, bias], [y], padding="SAME", stride_w=1, stride_h=1,
         fused_activation_function="RELU")
    data = b.build(inputs=[x], outputs=[y])   # bytes of a valid .tflite

Option keyword arguments are snake_case names of the op's builtin options table
(padding / fused_activation_function may be given by name).
"""
from __future__ import annotations

from typing import Optional, Sequence

import flatbuffers
import numpy as np

from . import tflite_schema as S
from .tflite_schema import (ActivationFunctionType, BuiltinOperator, BuiltinOptions, Padding,
                            TensorType)
from .tflite_schema.Buffer import BufferT
from .tflite_schema.Metadata import MetadataT
from .tflite_schema.Model import ModelT
from .tflite_schema.Operator import OperatorT
from .tflite_schema.OperatorCode import OperatorCodeT
from .tflite_schema.QuantizationParameters import QuantizationParametersT
from .tflite_schema.SubGraph import SubGraphT
from .tflite_schema.Tensor import TensorT

_TYPE_OF = {np.dtype(np.int8): "INT8", np.dtype(np.int16): "INT16", np.dtype(np.int32): "INT32",
            np.dtype(np.int64): "INT64", np.dtype(np.float32): "FLOAT32",
            np.dtype(np.uint8): "UINT8", np.dtype(np.bool_): "BOOL",
            np.dtype(np.uint32): "UINT32"}

# builtin op name -> options table name, where it is not simply <CamelCase>Options
_OPTIONS_OF = {
    "CONV_2D": "Conv2DOptions", "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "FULLY_CONNECTED": "FullyConnectedOptions", "AVERAGE_POOL_2D": "Pool2DOptions",
    "MAX_POOL_2D": "Pool2DOptions", "ADD": "AddOptions", "SUB": "SubOptions",
    "MUL": "MulOptions", "SOFTMAX": "SoftmaxOptions", "CONCATENATION": "ConcatenationOptions",
    "RESHAPE": "ReshapeOptions", "SQUEEZE": "SqueezeOptions", "PAD": "PadOptions",
    "PADV2": "PadV2Options", "MEAN": "ReducerOptions", "TRANSPOSE": "TransposeOptions",
    "STRIDED_SLICE": "StridedSliceOptions", "MAXIMUM": "MaximumMinimumOptions",
    "MINIMUM": "MaximumMinimumOptions", "LEAKY_RELU": "LeakyReluOptions",
    "HARD_SWISH": "HardSwishOptions", "EXPAND_DIMS": "ExpandDimsOptions",
    "QUANTIZE": "QuantizeOptions", "DEQUANTIZE": "DequantizeOptions",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "UnidirectionalSequenceLSTMOptions",
    "SVDF": "SVDFOptions",
    "DIV": "DivOptions", "L2_NORMALIZATION": "L2NormOptions",
    "RESIZE_BILINEAR": "ResizeBilinearOptions",
    "RESIZE_NEAREST_NEIGHBOR": "ResizeNearestNeighborOptions",
    "SQUARED_DIFFERENCE": "SquaredDifferenceOptions", "LOG_SOFTMAX": "LogSoftmaxOptions",
    "FLOOR_DIV": "FloorDivOptions", "FLOOR_MOD": "FloorModOptions", "EXP": "ExpOptions",
    "L2_POOL_2D": "Pool2DOptions",
    "SUM": "ReducerOptions", "REDUCE_MAX": "ReducerOptions", "REDUCE_MIN": "ReducerOptions",
    "ARG_MAX": "ArgMaxOptions", "ARG_MIN": "ArgMinOptions", "CUMSUM": "CumsumOptions",
    "SLICE": "SliceOptions", "SPLIT": "SplitOptions", "SPLIT_V": "SplitVOptions",
    "GATHER": "GatherOptions", "GATHER_ND": "GatherNdOptions",
    "DEPTH_TO_SPACE": "DepthToSpaceOptions", "SPACE_TO_DEPTH": "SpaceToDepthOptions",
    "BATCH_TO_SPACE_ND": "BatchToSpaceNDOptions", "SPACE_TO_BATCH_ND": "SpaceToBatchNDOptions",
    "REVERSE_V2": "ReverseV2Options", "MIRROR_PAD": "MirrorPadOptions",
    "BROADCAST_TO": "BroadcastToOptions", "ZEROS_LIKE": "ZerosLikeOptions",
    "TRANSPOSE_CONV": "TransposeConvOptions",
    "BATCH_MATMUL": "BatchMatMulOptions",
}
# shape and index ops (graph passes, converted models)
_OPTIONS_OF.update({
    "SHAPE": "ShapeOptions", "PACK": "PackOptions", "UNPACK": "UnpackOptions",
    "CAST": "CastOptions", "FILL": "FillOptions", "GATHER": "GatherOptions",
    "REDUCE_PROD": "ReducerOptions", "SUM": "ReducerOptions", "DIV": "DivOptions",
    "FLOOR_DIV": "FloorDivOptions", "FLOOR_MOD": "FloorModOptions",
    "SLICE": "SliceOptions", "SQUARED_DIFFERENCE": "SquaredDifferenceOptions",
    "EQUAL": "EqualOptions", "LESS": "LessOptions",
})
# resource variables (streaming models)
_OPTIONS_OF.update({"CALL_ONCE": "CallOnceOptions", "VAR_HANDLE": "VarHandleOptions"})


def _camel(snake: str) -> str:
    parts = snake.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


class ModelBuilder:
    def __init__(self):
        self.tensors: list[TensorT] = []
        self.buffers: list[BufferT] = [BufferT()]  # buffer 0: the empty sentinel
        self.opcodes: list[tuple[str, int]] = []
        self.operators: list[OperatorT] = []
        self.metadata: list[tuple[str, bytes]] = []
        self.subgraphs: list["ModelBuilder"] = []   # subgraphs 1, 2, ... (see subgraph())
        self.name = "main"
        self.io: tuple[list, list] = ([], [])

    def subgraph(self, name: str = "", inputs: Sequence[int] = (),
                 outputs: Sequence[int] = ()) -> "ModelBuilder":
        """Another subgraph of this model (index 1, 2, ... in the order made; e.g. the init
        subgraph of a CALL_ONCE): a builder of its own tensors and ops, sharing this model's
        buffers and op codes, written by this model's build()."""
        sub = ModelBuilder()
        sub.buffers, sub.opcodes = self.buffers, self.opcodes
        sub.name = name or f"subgraph{len(self.subgraphs) + 1}"
        sub.io = (list(inputs), list(outputs))
        self.subgraphs.append(sub)
        return sub

    def resource(self, name: str = "") -> int:
        """A RESOURCE tensor (the handle a VAR_HANDLE makes)."""
        t = TensorT()
        t.shape = []
        t.type = TensorType.TensorType.RESOURCE
        t.name = name or f"t{len(self.tensors)}"
        t.buffer = 0
        self.tensors.append(t)
        return len(self.tensors) - 1

    # ---- tensors
    def _tensor(self, shape, dtype, scales, zero_points, quantized_dimension, name, data=None,
                is_variable=False) -> int:
        t = TensorT()
        t.shape = [int(d) for d in shape]
        t.type = getattr(TensorType.TensorType, _TYPE_OF[np.dtype(dtype)])
        t.name = name or f"t{len(self.tensors)}"
        t.isVariable = is_variable
        if scales is not None:
            q = QuantizationParametersT()
            q.scale = [float(s) for s in np.atleast_1d(scales)]
            zps = np.atleast_1d(zero_points if zero_points is not None else 0)
            if len(zps) == 1 and len(q.scale) > 1:
                zps = np.repeat(zps, len(q.scale))
            q.zeroPoint = [int(z) for z in zps]
            q.quantizedDimension = int(quantized_dimension)
            t.quantization = q
        if data is not None:
            b = BufferT()
            b.data = np.ascontiguousarray(data).astype(np.dtype(dtype).newbyteorder("<")).view(np.uint8).ravel()
            self.buffers.append(b)
            t.buffer = len(self.buffers) - 1
        else:
            t.buffer = 0
        self.tensors.append(t)
        return len(self.tensors) - 1

    def activation(self, shape, dtype=np.int8, scale: Optional[float] = None,
                   zero_point: int = 0, name: str = "", is_variable: bool = False) -> int:
        """A non-constant tensor (graph input/output or intermediate)."""
        return self._tensor(shape, dtype, None if scale is None else [scale],
                            None if scale is None else [zero_point], 0, name,
                            is_variable=is_variable)

    def variable(self, shape, dtype=np.int8, scale=None, zero_point=0, name="") -> int:
        """A variable (state) tensor, zero-initialised by the runtime."""
        return self.activation(shape, dtype, scale, zero_point, name, is_variable=True)

    def constant(self, data, scales=None, zero_points=None, quantized_dimension: int = 0,
                 name: str = "", dtype=None) -> int:
        data = np.asarray(data)
        dtype = np.dtype(dtype or data.dtype)
        return self._tensor(data.shape, dtype, scales, zero_points, quantized_dimension, name,
                            data=data.astype(dtype))

    # ---- ops
    def _opcode(self, op_type: str, version: int) -> int:
        key = (op_type, version)
        if key not in self.opcodes:
            self.opcodes.append(key)
        return self.opcodes.index(key)

    def op(self, op_type: str, inputs: Sequence[int], outputs: Sequence[int], version: int = 1,
           intermediates: Optional[Sequence[int]] = None, **options) -> int:
        o = OperatorT()
        o.opcodeIndex = self._opcode(op_type, version)
        o.inputs = [int(i) for i in inputs]
        o.outputs = [int(i) for i in outputs]
        if intermediates:
            o.intermediates = [int(i) for i in intermediates]
        table = _OPTIONS_OF.get(op_type)
        if table is None and options:
            raise ValueError(f"no options table known for {op_type}")
        if table is not None:
            mod = __import__(f"{S.__name__}.{table}", fromlist=[table])
            obj = getattr(mod, table + "T")()
            for k, v in options.items():
                attr = _camel(k)
                if not hasattr(obj, attr):
                    raise ValueError(f"{table} has no field {k}")
                if k == "fused_activation_function" and isinstance(v, str):
                    v = getattr(ActivationFunctionType.ActivationFunctionType, v)
                if k == "padding" and isinstance(v, str):
                    v = getattr(Padding.Padding, v)
                setattr(obj, attr, v)
            o.builtinOptionsType = getattr(BuiltinOptions.BuiltinOptions, table)
            o.builtinOptions = obj
        self.operators.append(o)
        return len(self.operators) - 1

    def add_metadata(self, name: str, data: bytes):
        self.metadata.append((name, data))

    def build(self, inputs: Sequence[int], outputs: Sequence[int]) -> bytes:
        m = ModelT()
        m.version = 3
        m.description = "tflm_py test model"
        for op_type, version in self.opcodes:
            oc = OperatorCodeT()
            code = getattr(BuiltinOperator.BuiltinOperator, op_type)
            oc.builtinCode = code
            oc.deprecatedBuiltinCode = min(code, 127)
            oc.version = version
            m.operatorCodes = (m.operatorCodes or []) + [oc]
        m.subgraphs = [self._subgraph_t(inputs, outputs)]
        m.subgraphs += [sub._subgraph_t(*sub.io) for sub in self.subgraphs]
        m.buffers = list(self.buffers)
        mds = []
        for name, data in self.metadata:
            b = BufferT()
            b.data = np.frombuffer(data, dtype=np.uint8)
            m.buffers.append(b)
            md = MetadataT()
            md.name = name
            md.buffer = len(m.buffers) - 1
            mds.append(md)
        m.metadata = mds or None
        builder = flatbuffers.Builder(1024)
        builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())

    def _subgraph_t(self, inputs: Sequence[int], outputs: Sequence[int]) -> SubGraphT:
        sg = SubGraphT()
        sg.tensors = self.tensors
        sg.inputs = [int(i) for i in inputs]
        sg.outputs = [int(i) for i in outputs]
        sg.operators = self.operators
        sg.name = self.name
        return sg


def random_quant_int8(rng: np.random.Generator, lo=0.005, hi=0.2) -> tuple[float, int]:
    """A random int8 activation quantisation (scale, zero point)."""
    return float(rng.uniform(lo, hi)), int(rng.integers(-128, 128))
