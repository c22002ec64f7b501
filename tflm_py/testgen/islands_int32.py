"""Random models for the sweeps: float islands (DEQUANTIZE -> float32 op(s) -> QUANTIZE,
which the float_islands pass turns into one LOOKUP_TABLE) and int32 ADD / SUB / MUL."""
from __future__ import annotations

import numpy as np

from ..passes.float_islands import FLOAT_OPS
from ..testing import ModelBuilder

_ACTS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
_SHAPES = [((2, 3), (2, 3)), ((2, 3), (1, 3)), ((4,), ()), ((3, 1, 5), (1,)),
           ((2, 1, 3, 4), (1, 5, 1, 4)), ((1, 2, 2, 2, 3), (1, 2, 2, 2, 3))]


def gen_lookup_table(rng: np.random.Generator) -> bytes:
    """An island of one to three float ops with inputs that keep every value finite."""
    names = sorted(set(FLOAT_OPS) - {"SQRT", "EXP", "LOG", "RSQRT"})  # these reach 0 or NaN
    chain = [names[int(rng.integers(len(names)))] for _ in range(int(rng.integers(1, 4)))]
    shape = [(1, 8, 8, 4), (1, 16), (3, 5)][int(rng.integers(3))]
    b = ModelBuilder()
    x = b.activation(shape, np.int8, float(rng.uniform(0.005, 0.06)), int(rng.integers(-128, 128)))
    t = b.activation(shape, np.float32)
    b.op("DEQUANTIZE", [x], [t])
    for name in chain:
        g = b.activation(shape, np.float32)
        b.op(name, [t], [g], **({"alpha": float(rng.uniform(0.05, 0.5))}
                                 if name == "LEAKY_RELU" else {}))
        t = g
    y = b.activation(shape, np.int8, float(rng.uniform(0.005, 0.05)), int(rng.integers(-128, 128)))
    b.op("QUANTIZE", [t], [y])
    return b.build([x], [y])


def gen_arith_int32(rng: np.random.Generator) -> bytes:
    op = ("ADD", "SUB", "MUL")[int(rng.integers(3))]
    s1, s2 = _SHAPES[int(rng.integers(len(_SHAPES)))]
    if rng.random() < 0.5:
        s1, s2 = s2, s1
    b = ModelBuilder()
    x = b.activation(s1, np.int32)
    if rng.random() < 0.2:
        y = b.constant(rng.integers(-1000, 1000, s2).astype(np.int32))
        ins = [x]
    else:
        y = b.activation(s2, np.int32)
        ins = [x, y]
    o = b.activation(tuple(np.broadcast_shapes(s1, s2)), np.int32)
    b.op(op, [x, y], [o], fused_activation_function=_ACTS[int(rng.integers(len(_ACTS)))])
    return b.build(ins, [o])


GENERATORS = {"LOOKUP_TABLE": gen_lookup_table, "ARITH_INT32": gen_arith_int32}
