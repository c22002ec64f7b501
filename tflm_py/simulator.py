"""The simulator: runs the graph with each op room's numpy simulation, bit-exact with TFLM.

It is the executable spec the C kernels and the board are held to. Persistent state
(variable tensors such as LSTM/SVDF state) carries across `run` calls, as in TFLM and on the
device; `reset()` clears it.
"""
from __future__ import annotations

import os
from typing import Optional, Sequence

import numpy as np

from . import ops
from .errors import ModelError
from .ir import Model


class Simulator:
    def __init__(self, model: Model, order: Optional[Sequence[int]] = None):
        ops.check_model(model)
        self.model = model
        self.order = list(order) if order is not None else [op.index for op in model.operators]
        self.params = {}
        for i in self.order:
            op = model.operators[i]
            self.params[i] = ops.room(op.type).prepare(op, model)
        self.state: dict[int, np.ndarray] = {}
        self.reset()

    def reset(self) -> None:
        """Clear persistent state: variable tensors back to their initial values."""
        self.state = {t.index: initial_state(t) for t in self.model.tensors if t.is_variable}

    def _coerce(self, i: int, x) -> np.ndarray:
        t = self.model.tensors[self.model.inputs[i]]
        x = np.asarray(x)
        if x.size != t.size:
            raise ModelError(f"input {i} ({t.name}) needs {t.size} elements of shape "
                             f"{list(t.shape)}, got {x.size} (shape {list(x.shape)})")
        if x.dtype != t.dtype:
            if np.issubdtype(t.dtype, np.integer):
                info = np.iinfo(t.dtype)
                if not np.issubdtype(x.dtype, np.integer) or x.size and (
                        x.min() < info.min or x.max() > info.max):
                    raise ModelError(f"input {i} ({t.name}) is {t.dtype}, got {x.dtype} values "
                                     "that do not fit")
            x = x.astype(t.dtype)
        return x.reshape(t.shape)

    def run(self, inputs: Sequence, dump: Optional[dict] = None) -> list[np.ndarray]:
        """Run one inference. `dump`, if given, receives every tensor value by index."""
        m = self.model
        if len(inputs) != len(m.inputs):
            raise ModelError(f"model has {len(m.inputs)} input(s), got {len(inputs)}")
        values: dict[int, np.ndarray] = dict(self.state)
        for i, x in zip(m.inputs, inputs):
            values[i] = self._coerce(m.inputs.index(i), x)
        for idx in self.order:
            op = m.operators[idx]
            args = []
            for t in op.inputs:
                if t < 0:
                    args.append(None)
                elif t in values:
                    args.append(values[t])
                elif m.tensors[t].data is not None:
                    args.append(m.tensors[t].data)
                else:
                    raise ModelError(f"op #{idx} {op.type} reads tensor {t} before it is written")
            outs = ops.room(op.type).simulate(op, m, self.params[idx], args)
            for t, y in zip(op.outputs, outs):
                tt = m.tensors[t]
                y = np.asarray(y)
                if y.dtype != tt.dtype or y.size != tt.size:
                    raise AssertionError(f"op #{idx} {op.type} produced {y.dtype}{list(y.shape)}, "
                                         f"tensor {t} is {tt.dtype}{list(tt.shape)}")
                if t in self.state:     # an op writing state (an ASSIGN folded into it)
                    self.state[t].reshape(-1)[...] = y.reshape(-1)
                    values[t] = self.state[t]
                    continue
                if self.state and any(np.may_share_memory(y, a) for a in self.state.values()):
                    y = y.copy()    # a view of state would follow a later ASSIGN_VARIABLE
                values[t] = y.reshape(tt.shape)
        if dump is not None:
            dump.update(values)
        outputs = []
        for t in m.outputs:
            if t in values:
                outputs.append(values[t])
            elif m.tensors[t].data is not None:
                outputs.append(np.array(m.tensors[t].data))
            else:
                raise ModelError(f"graph output tensor {t} is never written")
        return outputs


def initial_state(t) -> np.ndarray:
    """A variable tensor's value after reset: its `initial` value when it has one (a resource
    variable the init subgraph assigns, see passes/variables.py), else as TFLM sets it: int8
    state holds its zero point, other types zero (the tensor's buffer data, if any, is
    ignored)."""
    if t.initial is not None:
        return np.array(t.initial, dtype=t.dtype).reshape(t.shape)
    if t.dtype == np.int8 and t.quantization is not None:
        return np.full(t.shape, t.quantization.zero_point, dtype=np.int8)
    return np.zeros(t.shape, dtype=t.dtype)


def simulate(model: Model, inputs: Sequence) -> list[np.ndarray]:
    """One inference from a fresh state."""
    return Simulator(model).run(inputs)


def dump_tensors(model: Model, values: dict, out_dir: str) -> list[str]:
    """Write every tensor value as <index>_<name>.npy into out_dir (for layer-by-layer debugging)."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for idx in sorted(values):
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in model.tensors[idx].name)
        path = os.path.join(out_dir, f"{idx:04d}_{name[:80]}.npy")
        np.save(path, np.asarray(values[idx]))
        written.append(path)
    return written
