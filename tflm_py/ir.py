"""The graph IR: plain dataclasses, no FlatBuffers types.

A Model is subgraph 0 of a .tflite file. Constant tensor data are read-only numpy
views into the model bytes (`Model.data`); `Tensor.data_offset` is where those bytes
start in the file, so generated C can use them in place. The other subgraphs a CALL_ONCE
of subgraph 0 runs (a streaming model's variable initialisation) are in `Model.subgraphs`,
each with its own tensors; the `variables` graph pass turns them into initial state.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Optional

import numpy as np


@dataclass(frozen=True)
class Quantization:
    scales: np.ndarray          # float32, one per channel (or one)
    zero_points: np.ndarray     # int64, same length as scales
    quantized_dimension: int = 0

    @property
    def per_channel(self) -> bool:
        return len(self.scales) > 1

    @property
    def scale(self) -> float:
        """The per-tensor scale (first one when per-channel)."""
        return float(self.scales[0])

    @property
    def zero_point(self) -> int:
        return int(self.zero_points[0])


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: np.dtype                      # numpy dtype, e.g. np.dtype('int8')
    quantization: Optional[Quantization]
    data: Optional[np.ndarray] = field(default=None, repr=False)  # constant data (read-only view)
    data_offset: Optional[int] = None    # byte offset of `data` in the model file
    is_variable: bool = False            # persistent state (e.g. LSTM/SVDF state)
    buffer: int = 0
    type_name: str = "INT8"              # TFLite TensorType name (INT8, INT32, FLOAT32, ...)
    shape_signature: Optional[tuple[int, ...]] = None  # the file's signature (-1: dynamic dim)
    # a variable tensor's value at reset when it is not TFLM's default (the zero point):
    # resource variables the init subgraph assigns (passes/variables.py)
    initial: Optional[np.ndarray] = field(default=None, repr=False)
    # the file's shape_signature when passes/pin_batch pinned a dynamic (-1) dim of it
    dynamic_signature: Optional[tuple[int, ...]] = None

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize


@dataclass
class Operator:
    index: int
    type: str                            # builtin op name, e.g. "CONV_2D"; "CUSTOM" for custom ops
    inputs: tuple[int, ...]              # tensor indices, -1 for an absent optional input
    outputs: tuple[int, ...]
    options: SimpleNamespace = field(default_factory=SimpleNamespace)  # snake_case fields
    intermediates: tuple[int, ...] = ()
    custom_code: Optional[str] = None
    version: int = 1
    source_index: Optional[int] = None   # the op's index in the file (graph passes renumber ops)


@dataclass
class Subgraph:
    """A subgraph other than 0, as a CALL_ONCE names it: operators over its own tensors."""
    index: int                           # its index in the file
    name: str
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: tuple[int, ...] = ()
    outputs: tuple[int, ...] = ()


@dataclass
class Model:
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    metadata: dict[str, bytes] = field(default_factory=dict)
    labels: Optional[list[str]] = None   # from TFLite Metadata's associated label file
    description: str = ""
    version: int = 3
    data: bytes = b""                    # the whole .tflite file
    name: str = "model"
    notes: list[str] = field(default_factory=list)  # what the graph passes changed
    subgraphs: dict[int, Subgraph] = field(default_factory=dict)  # CALL_ONCE's, by file index

    def tensor(self, index: int) -> Optional[Tensor]:
        return None if index < 0 else self.tensors[index]

    def input_tensors(self, op: Operator) -> list[Optional[Tensor]]:
        return [self.tensor(i) for i in op.inputs]

    def output_tensors(self, op: Operator) -> list[Tensor]:
        return [self.tensors[i] for i in op.outputs]
