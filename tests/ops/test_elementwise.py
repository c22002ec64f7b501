"""Element-wise rooms (ADD, SUB, MUL, MAXIMUM, MINIMUM, RELU, RELU6, LEAKY_RELU, HARD_SWISH,
QUANTIZE, DEQUANTIZE): simulate vs TFLM (the oracle) on seeded random single-op models from
tflm_py/testgen/elementwise.py; the C kernels vs simulate through one batch harness built
from the rooms' emit() (every tensor its own malloc'd buffer, under ASan/UBSan, plus runs with
the output aliasing an input as INPLACE allows); a chained multi-op model through the real
code generator; cross-compilation for Cortex-M4; and what check() rejects."""
from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tflm_py import load_model, ops
from tflm_py.codegen import c_literal, c_type
from tflm_py.errors import UnsupportedError
from tflm_py.oracle import run_oracle
from tflm_py.testgen.elementwise import GENERATORS
from tflm_py.testing import ModelBuilder

ROOT = Path(__file__).resolve().parents[2]
KERNELS = ROOT / "kernels_c"
KERNEL_NAMES = ("add", "mul", "maximum_minimum", "relu", "leaky_relu", "hard_swish",
                "quantize", "dequantize")
OPS = tuple(GENERATORS)
N_RANDOM = 36
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror"]


# ------------------------------------------------------------------------ helpers

def _random_inputs(model, rng):
    """int8/int16 uniform over the full range; float32 ~ normal*4 plus exact .5 ties."""
    xs = []
    for i in model.inputs:
        t = model.tensors[i]
        if t.dtype == np.float32:
            x = rng.standard_normal(t.shape) * 4
            x = np.where(rng.random(t.shape) < 0.2, (rng.integers(-300, 300, t.shape) + 0.5)
                         * (2.0 ** -rng.integers(1, 8, t.shape)), x)
            xs.append(np.asarray(x, dtype=np.float32))
        else:
            info = np.iinfo(t.dtype)
            xs.append(rng.integers(info.min, info.max + 1, size=t.shape).astype(t.dtype))
    return xs


def _op_inputs(model, op, graph_inputs):
    by_tensor = dict(zip(model.inputs, graph_inputs))
    return [model.tensors[i].data if model.tensors[i].is_constant else by_tensor[i]
            for i in op.inputs]


class Case:
    def __init__(self, data: bytes, rng):
        self.data = data
        self.model = load_model(data)
        self.op = self.model.operators[0]
        self.room = ops.room(self.op.type)
        self.inputs = _random_inputs(self.model, rng)

    def simulate(self):
        self.room.check(self.op, self.model)
        p = self.room.prepare(self.op, self.model)
        return self.room.simulate(self.op, self.model, p, _op_inputs(self.model, self.op, self.inputs))[0]


@functools.lru_cache(maxsize=None)
def _cases(op_name: str) -> tuple:
    rng = np.random.default_rng(sum(map(ord, op_name)) * 7919)
    return tuple(Case(GENERATORS[op_name](rng), rng) for _ in range(N_RANDOM))


# ------------------------------------------------------------------------ simulate vs oracle

@pytest.mark.parametrize("op_name", OPS)
def test_random_models_simulate_vs_oracle(op_name):
    mismatches = []
    for k, c in enumerate(_cases(op_name)):
        expected = run_oracle(c.data, [c.inputs])[0][0]
        got = c.simulate()
        assert got.dtype == expected.dtype and got.shape == expected.shape, (k, got.shape, expected.shape)
        if not np.array_equal(got, expected):
            mismatches.append((k, int(np.sum(got != expected))))
    assert mismatches == [], f"{op_name}: (model, differing elements) {mismatches}"


# ------------------------------------------------------------------------ C kernels vs simulate

class _HarnessEmitter:
    """The slice of codegen.Emitter that rooms use, mapping each tensor to a harness slot:
    slot k is `t[k]`, a buffer malloc'd with the tensor's exact size."""

    def __init__(self, model, prefix: str, slot_of: dict):
        self.model, self.prefix, self.slot_of = model, prefix, slot_of
        self.declarations: list[str] = []
        self.kernels: set[str] = set()
        self._n = 0

    def _name(self, hint):
        self._n += 1
        return f"{self.prefix}_{hint}_{self._n}"

    def ptr(self, ti):
        if ti < 0:
            return "NULL"
        t = self.model.tensors[ti]
        const = "const " if t.is_constant else ""
        return f"(({const}{c_type(t.dtype)} *)t[{self.slot_of[ti]}])"

    def const_array(self, ctype, values, hint):
        name = self._name(hint)
        vals = ", ".join(c_literal(v) for v in np.asarray(values).ravel().tolist()) or "0"
        self.declarations.append(f"static const {ctype} {name}[] = {{{vals}}};")
        return name

    def param_struct(self, ctype, fields, hint):
        name = self._name(hint)
        body = ", ".join(f".{k} = {v if isinstance(v, str) else c_literal(v)}" for k, v in fields.items())
        self.declarations.append(f"static const {ctype} {name} = {{{body}}};")
        return name

    def use_kernel(self, name):
        assert (KERNELS / f"{name}.c").is_file(), name
        self.kernels.add(name)

    def scratch(self, op):  # pragma: no cover - no element-wise room uses scratch
        raise AssertionError("unexpected scratch request")


def _inplace_rule(room, op, model):
    rule = getattr(room, "inplace", None)
    return rule(op, model) if callable(rule) else room.INPLACE


def _harness_entries(cases):
    """(case, alias) pairs: every case plain, plus with the output in an input's buffer when
    the room allows it (or, for QUANTIZE, whatever its kernels promise: any dtype pair)."""
    out = []
    for c in cases:
        out.append((c, None))
        out_t = c.model.tensors[c.op.outputs[0]]
        for j, ti in enumerate(c.op.inputs):
            t = c.model.tensors[ti]
            if t.is_constant or t.size != out_t.size:
                continue
            rule = _inplace_rule(c.room, c.op, c.model)
            if rule == "elementwise" and t.dtype == out_t.dtype or c.op.type == "QUANTIZE":
                out.append((c, ti))
                break
    return out


def _build_and_run(entries, tmp_path, name, extra_flags):
    decls, bodies, slot_tables, blob, outs = [], [], [], bytearray(), []
    kernels = set()
    for n, (c, alias) in enumerate(entries):
        m, op = c.model, c.op
        tensors = list(dict.fromkeys([*op.inputs, *op.outputs]))
        out_ti = op.outputs[0]
        slots, slot_of = [], {}
        for ti in tensors:
            if ti == out_ti and alias is not None:
                slot_of[ti] = slot_of[alias]
                k = slot_of[alias]
                slots[k] = max(slots[k], m.tensors[ti].nbytes)
                continue
            slot_of[ti] = len(slots)
            slots.append(m.tensors[ti].nbytes)
        em = _HarnessEmitter(m, f"c{n}", slot_of)
        room = c.room
        p = room.prepare(op, m)
        code = room.emit(op, m, p, em)
        kernels |= em.kernels
        decls += em.declarations
        bodies.append(f"static void case_{n}(void **t)\n{{\n    {code}\n}}")
        init = {}
        by_tensor = dict(zip(m.inputs, c.inputs))
        for ti in tensors:
            t = m.tensors[ti]
            if t.is_constant:
                init[slot_of[ti]] = np.ascontiguousarray(t.data).tobytes()
            elif ti in by_tensor:
                init[slot_of[ti]] = np.ascontiguousarray(by_tensor[ti]).tobytes()
        starts = []
        for k, size in enumerate(slots):
            b = init.get(k, b"")
            starts.append(len(blob))
            blob += b + bytes(size - len(b))
        outs.append((starts[slot_of[out_ti]], m.tensors[out_ti], c.simulate()))
        slot_tables.append(slots)
    n_cases = len(entries)
    src = ["#include <stdio.h>", "#include <stdlib.h>", "#include <string.h>"]
    src += [f'#include "{k}.h"' for k in sorted(kernels)]
    src += decls + bodies
    src.append("typedef void (*case_fn)(void **);")
    src.append("static const case_fn CASES[] = {" + ", ".join(f"case_{i}" for i in range(n_cases)) + "};")
    src.append("static const long NSLOTS[] = {" + ", ".join(str(len(s)) for s in slot_tables) + "};")
    src.append("static const long SIZES[] = {" + ", ".join(str(v) for s in slot_tables for v in s) + "};")
    src.append(r"""
int main(int argc, char **argv)
{
    if (argc != 3) return 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f) return 3;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *blob = malloc((size_t)n + 1);
    if (!blob || fread(blob, 1, (size_t)n, f) != (size_t)n) return 4;
    fclose(f);
    long pos = 0, si = 0;
    for (size_t c = 0; c < sizeof(CASES) / sizeof(CASES[0]); ++c) {
        void *t[8];
        long start = pos;
        for (long k = 0; k < NSLOTS[c]; ++k) {
            t[k] = malloc((size_t)SIZES[si + k] + (SIZES[si + k] == 0));
            memcpy(t[k], blob + pos, (size_t)SIZES[si + k]);
            pos += SIZES[si + k];
        }
        CASES[c](t);
        pos = start;
        for (long k = 0; k < NSLOTS[c]; ++k) {
            memcpy(blob + pos, t[k], (size_t)SIZES[si + k]);
            pos += SIZES[si + k];
            free(t[k]);
        }
        si += NSLOTS[c];
    }
    f = fopen(argv[2], "wb");
    if (!f || fwrite(blob, 1, (size_t)n, f) != (size_t)n) return 5;
    fclose(f);
    free(blob);
    return 0;
}
""")
    c_file = tmp_path / f"{name}.c"
    c_file.write_text("\n".join(src))
    exe = tmp_path / name
    cmd = ["gcc", *CFLAGS, *extra_flags, "-I", str(KERNELS), str(c_file),
           *[str(KERNELS / f"{k}.c") for k in sorted(kernels)], "-o", str(exe)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-4000:]
    (tmp_path / "in.bin").write_bytes(bytes(blob))
    r = subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-4000:]
    result = (tmp_path / "out.bin").read_bytes()
    bad = []
    for n, (start, t, expected) in enumerate(outs):
        got = np.frombuffer(result, dtype=t.dtype, count=t.size, offset=start).reshape(expected.shape)
        if not np.array_equal(got, expected):
            c, alias = entries[n]
            bad.append((c.op.type, n, "inplace" if alias is not None else "plain",
                        int(np.sum(got != expected))))
    return bad, len(entries)


def test_c_kernels_vs_simulate_sanitized(tmp_path):
    entries = _harness_entries([c for name in OPS for c in _cases(name)])
    assert sum(a is not None for _, a in entries) >= 100  # in-place runs are exercised
    bad, n = _build_and_run(entries, tmp_path, "h_san",
                            ["-O1", "-g", "-fsanitize=address,undefined",
                             "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"])
    assert bad == [], f"{len(bad)} of {n} cases differ: {bad[:10]}"


def test_c_kernels_vs_simulate_optimized(tmp_path):
    entries = _harness_entries([c for name in OPS for c in _cases(name)[:12]])
    bad, n = _build_and_run(entries, tmp_path, "h_o2", ["-O2"])
    assert bad == [], f"{len(bad)} of {n} cases differ: {bad[:10]}"


@pytest.mark.parametrize("kernel", KERNEL_NAMES)
def test_kernels_compile_for_cortex_m4(kernel, tmp_path):
    cmd = ["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-Os", *CFLAGS, "-I", str(KERNELS),
           "-c", str(KERNELS / f"{kernel}.c"), "-o", str(tmp_path / f"{kernel}.o")]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


# ------------------------------------------------------------------------ a chain through codegen

def _chain_model() -> bytes:
    """float -> QUANTIZE -> RELU -> ADD(const) -> SUB -> MUL(broadcast) -> MAXIMUM -> MINIMUM ->
    LEAKY_RELU -> HARD_SWISH -> RELU6 -> QUANTIZE(8->8) -> QUANTIZE(8->16) -> ADD(int16) ->
    MUL(int16) -> QUANTIZE(16->8) -> DEQUANTIZE -> float."""
    rng = np.random.default_rng(5)
    b = ModelBuilder()
    shape = (1, 5, 4, 6)
    x = b.activation(shape, np.float32)
    q = b.activation(shape, np.int8, 0.05, -3)
    b.op("QUANTIZE", [x], [q])
    r = b.activation(shape, np.int8, 0.04, -128)
    b.op("RELU", [q], [r])
    cst = b.constant(rng.integers(-128, 128, (6,)).astype(np.int8), scales=[0.02], zero_points=[5])
    a = b.activation(shape, np.int8, 0.06, -20)
    b.op("ADD", [r, cst], [a], fused_activation_function="RELU6")
    s = b.activation(shape, np.int8, 0.07, 3)
    b.op("SUB", [a, q], [s])
    row = b.constant(rng.integers(-128, 128, (1, 5, 1, 1)).astype(np.int8), scales=[0.01], zero_points=[0])
    mu = b.activation(shape, np.int8, 0.004, 1)
    b.op("MUL", [s, row], [mu], fused_activation_function="NONE")
    lim = b.constant(np.array([-40], dtype=np.int8), scales=[0.004], zero_points=[1])
    mx = b.activation(shape, np.int8, 0.004, 1)
    b.op("MAXIMUM", [mu, lim], [mx])
    mn = b.activation(shape, np.int8, 0.004, 1)
    b.op("MINIMUM", [mx, a], [mn])
    lr = b.activation(shape, np.int8, 0.003, 10)
    b.op("LEAKY_RELU", [mn], [lr], alpha=0.2)
    hs = b.activation(shape, np.int8, 0.002, -5)
    b.op("HARD_SWISH", [lr], [hs])
    r6 = b.activation(shape, np.int8, 0.002, -5)
    b.op("RELU6", [hs], [r6])
    q2 = b.activation(shape, np.int8, 0.003, 7)
    b.op("QUANTIZE", [r6], [q2])
    w = b.activation(shape, np.int16, 0.0001, 0)
    b.op("QUANTIZE", [q2], [w])
    w2 = b.activation((6,), np.int16, 0.0002, 0)
    b.op("QUANTIZE", [cst], [w2])
    a16 = b.activation(shape, np.int16, 0.0003, 0)
    b.op("ADD", [w, w2], [a16], fused_activation_function="NONE")
    m16 = b.activation(shape, np.int16, 0.0002, 0)
    b.op("MUL", [a16, w], [m16])
    q8 = b.activation(shape, np.int8, 0.0005, 2)
    b.op("QUANTIZE", [m16], [q8])
    y = b.activation(shape, np.float32)
    b.op("DEQUANTIZE", [q8], [y])
    return b.build(inputs=[x], outputs=[y])


def test_chain_through_codegen_and_host_build():
    from tflm_py.hostbuild import run_host
    from tflm_py.simulator import Simulator
    data = _chain_model()
    model = load_model(data)
    rng = np.random.default_rng(11)
    samples = [[(rng.standard_normal((1, 5, 4, 6)) * 2).astype(np.float32)] for _ in range(3)]
    expected = run_oracle(data, samples)
    sim = Simulator(model)
    got = [sim.run(s) for s in samples]
    c_out = run_host(model, samples, sanitize=True)
    for e, g, c in zip(expected, got, c_out):
        assert np.array_equal(e[0], g[0])
        assert np.array_equal(g[0], c[0])
    assert np.any(expected[0][0] != 0)  # the chain carries signal to the end


# ------------------------------------------------------------------------ check() rejects

def _binary_model(op_type, s1=(2, 3), s2=(2, 3), so=(2, 3), dtype=np.int8, q=(0.1, 0), qo=None,
                  **opts):
    b = ModelBuilder()
    x1 = b.activation(s1, dtype, *q) if q else b.activation(s1, dtype)
    x2 = b.activation(s2, dtype, *q) if q else b.activation(s2, dtype)
    qo = qo or q
    y = b.activation(so, dtype, *qo) if qo else b.activation(so, dtype)
    b.op(op_type, [x1, x2], [y], **opts)
    return b.build([x1, x2], [y])


def _unary_model(op_type, in_dtype=np.int8, out_dtype=np.int8, qi=(0.1, 0), qo=(0.1, 0),
                 shape=(2, 3), out_shape=None, **opts):
    b = ModelBuilder()
    x = b.activation(shape, in_dtype, *qi) if qi else b.activation(shape, in_dtype)
    y = b.activation(out_shape or shape, out_dtype, *qo) if qo else b.activation(out_shape or shape, out_dtype)
    b.op(op_type, [x], [y], **opts)
    return b.build([x], [y])


def _per_channel_output_add():
    b = ModelBuilder()
    x1 = b.activation((2, 3), np.int8, 0.1, 0)
    x2 = b.activation((2, 3), np.int8, 0.1, 0)
    y = b._tensor((2, 3), np.int8, [0.1, 0.2, 0.3], [0, 0, 0], 1, "y")
    b.op("ADD", [x1, x2], [y])
    return b.build([x1, x2], [y])


UNSUPPORTED = [
    ("float ADD", lambda: _binary_model("ADD", dtype=np.float32, q=None), "int8 and int16"),
    ("int64 MUL", lambda: _binary_model("MUL", dtype=np.int64, q=None), "int8 and int16"),
    ("int16 MUL zero point", lambda: _binary_model("MUL", dtype=np.int16, q=(0.001, 3)),
     "zero points of 0"),
    ("ADD no quantization", lambda: _binary_model("ADD", q=None), "no quantization"),
    ("ADD per-channel output", _per_channel_output_add, "per channel"),
    ("ADD bad broadcast", lambda: _binary_model("ADD", s2=(3, 2)), "do not broadcast"),
    ("ADD wrong output shape", lambda: _binary_model("ADD", s2=(1, 3), so=(4, 3)),
     "not the broadcast shape"),
    ("SUB rank 7", lambda: _binary_model("SUB", s1=(1,) * 7, s2=(1,) * 7, so=(1,) * 7), "rank 7"),
    ("ADD tiny output scale", lambda: _binary_model("ADD", q=(1.0, 0), qo=(1e-7, 0)),
     "output scale is too small"),
    ("ADD TANH activation", lambda: _binary_model("ADD", fused_activation_function="TANH"),
     "fused activation TANH"),
    ("MAXIMUM float", lambda: _binary_model("MAXIMUM", dtype=np.float32, q=None), "only int8"),
    ("RELU float", lambda: _unary_model("RELU", np.float32, np.float32, None, None), "only int8"),
    ("RELU int16 zero point", lambda: _unary_model("RELU", np.int16, np.int16, (0.001, 3),
                                                   (0.001, 0)), "zero points 0"),
    ("LEAKY_RELU float", lambda: _unary_model("LEAKY_RELU", np.float32, np.float32, None, None,
                                              alpha=0.1), "only int8"),
    ("HARD_SWISH output scale", lambda: _unary_model("HARD_SWISH", qi=(0.5, 0), qo=(0.001, 0)),
     "output scale must exceed"),
    ("HARD_SWISH float", lambda: _unary_model("HARD_SWISH", np.float32, np.float32, None, None),
     "only int8"),
    ("QUANTIZE to float", lambda: _unary_model("QUANTIZE", np.int8, np.float32, qo=None),
     "int8 -> float32 is not a conversion"),
    ("QUANTIZE int32 to int32", lambda: _unary_model("QUANTIZE", np.int32, np.int32, (0.1, 0)),
     "int32 -> int32 is not a conversion"),
    ("QUANTIZE size mismatch", lambda: _unary_model("QUANTIZE", np.float32, np.int8, None,
                                                    out_shape=(2, 4)), "differ in size"),
    ("DEQUANTIZE to int8", lambda: _unary_model("DEQUANTIZE", np.int8, np.int8), "output type int8"),
    ("DEQUANTIZE from int32", lambda: _unary_model("DEQUANTIZE", np.int32, np.float32, (0.1, 0),
                                                   None), "input type"),
]


@pytest.mark.parametrize("what,build,needle", UNSUPPORTED, ids=[u[0] for u in UNSUPPORTED])
def test_unsupported_variants_raise(what, build, needle):
    model = load_model(build())
    op = model.operators[0]
    with pytest.raises(UnsupportedError, match=needle):
        ops.room(op.type).check(op, model)
    with pytest.raises(UnsupportedError, match=f"op #0 {op.type}"):
        ops.check_model(model)


# ------------------------------------------------------------------------ details

def test_broadcast_layout_collapses_dims():
    from tflm_py.ops._eltwise import broadcast_layout
    lay = broadcast_layout((2, 3, 4, 5), (1, 3, 1, 5), (2, 3, 4, 5))
    assert lay["broadcast"] and lay["size"] == 120
    assert lay["dims"] == [1, 1, 2, 3, 4, 5]
    assert lay["strides1"] == [0, 0, 60, 20, 5, 1] and lay["strides2"] == [0, 0, 0, 5, 0, 1]
    # contiguous runs merge; a scalar broadcasts with stride 0
    lay = broadcast_layout((4, 6, 8), (), (4, 6, 8))
    assert lay["dims"][-1] == 192 and lay["strides1"][-1] == 1 and lay["strides2"][-1] == 0
    lay = broadcast_layout((3, 1, 5), (1, 4, 1), (3, 4, 5))
    assert lay["dims"][-3:] == [3, 4, 5]
    assert lay["strides1"][-3:] == [5, 0, 1] and lay["strides2"][-3:] == [0, 1, 0]
    assert not broadcast_layout((1, 7), (7,), (1, 7))["broadcast"]


def test_sub_is_not_add_of_negated_input():
    """SUB subtracts after rescaling: negating the input first would round differently."""
    data = _binary_model("SUB", q=(0.0625, 0), qo=(0.0625, 0))
    model = load_model(data)
    x1 = np.arange(-128, 128, dtype=np.int8)[:6].reshape(2, 3)
    x2 = np.array([[-128, -1, 1], [127, 64, -64]], dtype=np.int8)
    op = model.operators[0]
    room = ops.room("SUB")
    y = room.simulate(op, model, room.prepare(op, model), [x1, x2])[0]
    assert np.array_equal(y, run_oracle(data, [[x1, x2]])[0][0])


def test_quantize_rounds_half_away_from_zero():
    data = _unary_model("QUANTIZE", np.float32, np.int8, None, (0.5, 0), shape=(8,))
    x = np.array([0.25, -0.25, 0.75, -0.75, 0.2499999, -0.2499999, 63.75, -64.25], np.float32)
    model = load_model(data)
    op = model.operators[0]
    room = ops.room("QUANTIZE")
    y = room.simulate(op, model, room.prepare(op, model), [x])[0]
    assert y.tolist() == [1, -1, 2, -2, 0, 0, 127, -128]
    assert np.array_equal(y, run_oracle(data, [[x]])[0][0])


def test_inplace_rules():
    assert ops.room("ADD").INPLACE == "elementwise"
    assert ops.room("HARD_SWISH").INPLACE == "elementwise"
    assert ops.room("DEQUANTIZE").INPLACE is None
    q = ops.room("QUANTIZE")
    assert q.INPLACE is None
    for in_dt, out_dt, rule in ((np.int8, np.int8, "elementwise"), (np.float32, np.int8, None),
                                (np.int8, np.int16, None)):
        m = load_model(_unary_model("QUANTIZE", in_dt, out_dt, None if in_dt == np.float32 else (0.1, 0)))
        assert q.inplace(m.operators[0], m) == rule


def test_macs():
    m = load_model(_binary_model("MUL", s1=(4, 1, 3), s2=(5, 1), so=(4, 5, 3)))
    assert ops.room("MUL").macs(m.operators[0], m) == 60
    m = load_model(_binary_model("ADD"))
    assert ops.room("ADD").macs(m.operators[0], m) == 0
