"""The shared harness of the op-family tests: one random single-op model per (op, seed), and one
host C program that runs many of them through their rooms' emit() and C kernels.

In the C program every non-constant tensor lives in its own exactly sized array, so ASan sees
each tensor's bounds; an output may be mapped onto an input's array to test in-place plans.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from .. import ops
from ..codegen import Emitter, c_type
from ..reader import load_model
from ..sweep import random_inputs

KERNELS = Path(__file__).resolve().parents[2] / "kernels_c"


class OpCase:
    """The model `generators[op_name](rng)` builds, its op, its room and `samples` inputs.
    `seed_of(op_name, seed)` seeds the rng; `inputs_of(model, rng)` draws one sample."""

    def __init__(self, op_name: str, seed: int, generators, *, samples: int, seed_of,
                 inputs_of=random_inputs):
        rng = np.random.default_rng(seed_of(op_name, seed))
        self.op_name, self.seed = op_name, seed
        self.data = generators[op_name](rng)
        self.model = load_model(self.data)
        self.op = self.model.operators[0]
        self.room = ops.room(self.op.type)
        self.samples = [inputs_of(self.model, rng) for _ in range(samples)]

    def op_inputs(self, sample):
        by_tensor = dict(zip(self.model.inputs, sample))
        out = []
        for i in self.op.inputs:
            if i < 0:
                out.append(None)
            elif i in by_tensor:
                out.append(by_tensor[i])
            else:
                t = self.model.tensors[i]
                out.append(np.asarray(t.data).reshape(t.shape))
        return out

    def simulate(self):
        """Per sample, the list of the op's outputs."""
        self.room.check(self.op, self.model)
        params = self.room.prepare(self.op, self.model)
        return [self.room.simulate(self.op, self.model, params, self.op_inputs(s))
                for s in self.samples]


class OwnArrays(Emitter):
    """Every non-constant tensor in its own array `<prefix>_t<index>`; `alias` maps a tensor to
    the array of another (planned in place)."""

    def __init__(self, model, prefix, alias=None):
        super().__init__(model, plan=None, prefix=prefix, state_offsets={})
        self.alias = alias or {}

    def array_of(self, ti):
        return f"{self.prefix}_t{self.alias.get(ti, ti)}"

    def ptr(self, ti):
        if ti is None or ti < 0:
            return "NULL"
        t = self.model.tensors[ti]
        if t.data is not None:
            return super().ptr(ti)
        return f"(({c_type(t.dtype)} *)(void *){self.array_of(ti)})"


def _hex(data: bytes) -> str:
    return ", ".join(f"0x{b:02x}" for b in data) or "0"


def case_c(k: int, case: OpCase, alias=None):
    """(C text of function `c<k>_run` that runs every sample of `case` and writes each output's
    bytes to stdout, the kernels it calls). `alias` maps tensors onto other tensors' arrays."""
    m, op = case.model, case.op
    prefix = f"c{k}"
    alias = alias or {}
    em = OwnArrays(m, prefix, alias)
    code = case.room.emit(op, m, case.room.prepare(op, m), em)
    lines = []
    if f"{prefix}_model_data" in code + "".join(em.declarations):
        lines.append(f"static const unsigned char {prefix}_model_data[{len(m.data)}] "
                     f"__attribute__((aligned(16))) = {{{_hex(m.data)}}};")
    used = {i for i in (*op.inputs, *op.outputs, *m.inputs)
            if i >= 0 and m.tensors[i].data is None}
    for ti in sorted(used - set(alias)):
        lines.append(f"static unsigned char {prefix}_t{ti}[{m.tensors[ti].nbytes}] "
                     f"__attribute__((aligned(16)));")
    lines += em.declarations
    body = []
    for s, sample in enumerate(case.samples):
        for ti, x in zip(m.inputs, sample):
            raw = np.ascontiguousarray(np.asarray(x).astype(m.tensors[ti].dtype)).tobytes()
            lines.append(f"static const unsigned char {prefix}_in{s}_{ti}[{len(raw)}] = "
                         f"{{{_hex(raw)}}};")
            body.append(f"    memcpy({em.array_of(ti)}, {prefix}_in{s}_{ti}, {len(raw)});")
        body.append("    " + code.replace("\n", "\n    "))
        for out in op.outputs:
            body.append(f"    fwrite({em.array_of(out)}, 1, {m.tensors[out].nbytes}, stdout);")
    lines.append(f"static int {prefix}_run(void)\n{{\n" + "\n".join(body) + "\n    return 0;\n}")
    return "\n".join(lines), em.kernels


def build_and_run(workdir: Path, sources: list[str], kernels: set[str], calls: list[str]) -> bytes:
    """Build the cases into one program with -Wall -Wextra -Werror under ASan/UBSan, run it and
    return what it wrote. Asserts (a test helper) that it builds and runs clean."""
    main = Path(workdir) / "harness.c"
    includes = "".join(f'#include "{k}.h"\n' for k in sorted(kernels))
    main.write_text("#include <stdio.h>\n#include <string.h>\n#include <stdint.h>\n"
                    + includes + "\n".join(sources) + "\nint main(void)\n{\n"
                    + "".join(f"    if ({c}() != 0) {{ return 1; }}\n" for c in calls)
                    + "    return 0;\n}\n")
    exe = Path(workdir) / "harness"
    cmd = ["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-Wno-unused-function", "-O1",
           "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g",
           "-I", str(KERNELS), str(main), *[str(KERNELS / f"{k}.c") for k in sorted(kernels)],
           "-o", str(exe)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-4000:]
    r = subprocess.run([str(exe)], capture_output=True, timeout=120,
                       env={"ASAN_OPTIONS": "detect_leaks=0"})
    assert r.returncode == 0, r.stderr.decode(errors="replace")[-4000:]
    return r.stdout


def split_outputs(blob: bytes, expected):
    """Cut `blob` into arrays shaped like `expected` (a flat list of arrays, in write order);
    asserts nothing is left over."""
    got, pos = [], 0
    for o in expected:
        a = np.frombuffer(blob, dtype=np.uint8, count=o.nbytes, offset=pos)
        got.append(a.view(o.dtype).reshape(o.shape))
        pos += o.nbytes
    assert pos == len(blob), (pos, len(blob))
    return got
