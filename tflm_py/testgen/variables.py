"""Random small streaming models for the resource-variable rooms: READ_VARIABLE and
ASSIGN_VARIABLE (with VAR_HANDLE and CALL_ONCE, lowered by the graph pass `variables`).

One to three int8 variables of the input's shape, each read, combined with the input (ADD)
and assigned back, in a random order of reads and writes: a read after the write in the
same invoke, a second assignment, a variable written before it is read, a read copy that
is a graph output. Most models start with CALL_ONCE of an init subgraph assigning random
constants to some variables (by a handle with or without a container); the others start
from TFLM's default fill (the zero point of the tensor that allocates the variable). With
`int16`, an int16 delay line (the input of the previous invoke) is added. The sweep runs
three invokes in a row on one interpreter, one simulator and one C program.
"""
from __future__ import annotations

import numpy as np

from ..testing import ModelBuilder


def _q8(rng, lo=0.01, hi=0.1):
    return float(np.float32(np.exp(rng.uniform(np.log(lo), np.log(hi))))), \
        int(rng.integers(-128, 128))


def _shape(rng):
    rank = int(rng.integers(1, 4))
    while True:
        shape = tuple(int(d) for d in rng.integers(1, 5, size=rank))
        if int(np.prod(shape)) <= 24:
            return (1,) + shape if rank < 3 and rng.random() < 0.5 else shape


def streaming_model(rng: np.random.Generator, int16: bool = False,
                    extra_assign: bool = False) -> bytes:
    b = ModelBuilder()
    shape = _shape(rng)
    sx, zx = _q8(rng)
    x = b.activation(shape, scale=sx, zero_point=zx, name="x")
    inputs, outputs = [x], []
    with_init = rng.random() < 0.8
    if with_init:
        b.op("CALL_ONCE", [], [], init_subgraph_index=1)
        init = b.subgraph("init")
    n_vars = int(rng.integers(1, 4))
    for k in range(n_vars):
        name = f"v{k}"
        s, z = _q8(rng)
        h = b.resource(f"{name}_handle")
        b.op("VAR_HANDLE", [], [h], container="", shared_name=name)
        if rng.random() < 0.2:       # written first: this invoke reads what it writes
            b.op("ASSIGN_VARIABLE", [h, x], [])
        r = b.activation(shape, scale=s, zero_point=z, name=f"{name}_read")
        b.op("READ_VARIABLE", [h], [r])
        t = b.activation(shape, scale=s, zero_point=z, name=f"{name}_new")
        b.op("ADD", [r, x] if rng.random() < 0.5 else [x, r], [t])
        b.op("ASSIGN_VARIABLE", [h, t], [])
        if rng.random() < 0.5:
            outputs.append(t)
        else:                        # the new value is read on (so it may be the state)
            ts, tz = _q8(rng)
            y = b.activation(shape, scale=ts, zero_point=tz, name=f"{name}_out")
            b.op("ADD", [t, x], [y])
            outputs.append(y)
        if rng.random() < 0.3:       # the old value's copy is a graph output too
            outputs.append(r)
        if rng.random() < 0.3:       # read after the write, in the same invoke
            r2 = b.activation(shape, scale=s, zero_point=z, name=f"{name}_reread")
            b.op("READ_VARIABLE", [h], [r2])
            u = b.activation(shape, scale=s, zero_point=z, name=f"{name}_sum")
            b.op("ADD", [r2, t], [u])
            outputs.append(u)
        if extra_assign and rng.random() < 0.5:   # a second write wins
            b.op("ASSIGN_VARIABLE", [h, r], [])
        if with_init and rng.random() < 0.7:
            hi = init.resource(f"{name}_init_handle")
            if rng.random() < 0.5:
                init.op("VAR_HANDLE", [], [hi], shared_name=name)   # any container
            else:
                init.op("VAR_HANDLE", [], [hi], container="", shared_name=name)
            v = init.constant(rng.integers(-128, 128, size=shape).astype(np.int8),
                              scales=[s], zero_points=[z])
            init.op("ASSIGN_VARIABLE", [hi, v], [])
    if int16:
        x16 = b.activation(shape, np.int16, scale=float(sx) / 64, zero_point=0, name="x16")
        h = b.resource("delay_handle")
        r = b.activation(shape, np.int16, scale=float(sx) / 64, zero_point=0, name="delayed")
        b.op("VAR_HANDLE", [], [h], container="", shared_name="delay")
        b.op("READ_VARIABLE", [h], [r])
        b.op("ASSIGN_VARIABLE", [h, x16], [])
        inputs.append(x16)
        outputs.append(r)
        if with_init and rng.random() < 0.7:
            hi = init.resource("delay_init_handle")
            init.op("VAR_HANDLE", [], [hi], container="", shared_name="delay")
            v = init.constant(rng.integers(-32768, 32768, size=shape).astype(np.int16),
                              scales=[float(sx) / 64], zero_points=[0])
            init.op("ASSIGN_VARIABLE", [hi, v], [])
    return b.build(inputs=inputs, outputs=outputs)


GENERATORS = {
    "READ_VARIABLE": lambda rng: streaming_model(rng, int16=rng.random() < 0.3),
    "ASSIGN_VARIABLE": lambda rng: streaming_model(rng, int16=rng.random() < 0.5,
                                                   extra_assign=True),
}
