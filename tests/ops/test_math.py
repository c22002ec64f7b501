"""Math rooms (PRELU, SQUARED_DIFFERENCE, ELU, RSQRT, RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR,
DIV, L2_NORMALIZATION, LOG_SOFTMAX) and the float-only refusals: seeded random
models from tflm_py/testgen/math.py through TFLM (the oracle), the simulator and the generated
C (host, ASan/UBSan, -Wall -Wextra -Werror); the kernels cross-compiled for Cortex-M4; and what
check() refuses."""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from tflm_py import load_model, ops
from tflm_py.errors import UnsupportedError
from tflm_py.oracle import run_oracle
from tflm_py.sweep import run_case
from tflm_py.testgen.math import GENERATORS
from tflm_py.testing import ModelBuilder

ROOT = Path(__file__).resolve().parents[2]
KERNELS = ROOT / "kernels_c"
KERNEL_NAMES = ("prelu", "squared_difference", "rsqrt", "fixedpoint_math", "resize_bilinear",
                "resize_nearest_neighbor", "div", "l2_normalization",
                "log_softmax")
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror"]
SIM_SEEDS = range(200, 212)


@pytest.mark.parametrize("op_name", sorted(GENERATORS))
def test_random_models_simulate_vs_oracle(op_name):
    bad = []
    for seed in SIM_SEEDS:
        r = run_case(op_name, seed, with_c=False)
        assert r["elements"] > 0
        if r["sim_mismatch"]:
            bad.append((seed, r["sim_mismatch"], r["first"]))
    assert bad == []


@pytest.mark.parametrize("op_name", sorted(GENERATORS))
def test_generated_c_vs_simulate_sanitized(op_name):
    r = run_case(op_name, 300, with_c=True, sanitize=True)
    assert r["sim_mismatch"] == 0 and r["c_mismatch"] == 0, r["first"]


@pytest.mark.parametrize("kernel", KERNEL_NAMES)
def test_kernels_compile_for_cortex_m4(kernel, tmp_path):
    cmd = ["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-Os", *CFLAGS, "-I", str(KERNELS),
           "-c", str(KERNELS / f"{kernel}.c"), "-o", str(tmp_path / f"{kernel}.o")]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def _unary_model(op_type, dtype=np.int8, qi=(0.05, 0), qo=(0.05, 0), shape=(2, 3)):
    b = ModelBuilder()
    x = b.activation(shape, dtype, *qi) if qi else b.activation(shape, dtype)
    y = b.activation(shape, dtype, *qo) if qo else b.activation(shape, dtype)
    b.op(op_type, [x], [y])
    return b.build(inputs=[x], outputs=[y])


def _binary_model(op_type, dtypes=(np.int8, np.int8, np.int8), q=(0.05, 0), s2=(2, 3)):
    b = ModelBuilder()
    x = b.activation((2, 3), dtypes[0], *q) if q else b.activation((2, 3), dtypes[0])
    a = b.activation(s2, dtypes[1], *q) if q else b.activation(s2, dtypes[1])
    y = b.activation((2, 3), dtypes[2], *q) if q else b.activation((2, 3), dtypes[2])
    b.op(op_type, [x, a], [y])
    return b.build(inputs=[x, a], outputs=[y])


def _resize_model(op_type, dtype=np.int8, size=(4, 6), out=(1, 4, 6, 2), const=True, **opts):
    b = ModelBuilder()
    x = b.activation((1, 2, 3, 2), dtype, 0.05, 0)
    s = (b.constant(np.array(size, np.int32)) if const else b.activation((2,), np.int32))
    y = b.activation(out, dtype, 0.05, 0)
    b.op(op_type, [x, s], [y], **opts)
    return b.build(inputs=[x] if const else [x, s], outputs=[y])


UNSUPPORTED = [
    ("LOG_SOFTMAX output scale", lambda: _unary_model("LOG_SOFTMAX", qo=(0.05, 127)),
     "16/256"),
    ("LOG_SOFTMAX int16", lambda: _unary_model("LOG_SOFTMAX", np.int16, qo=(16 / 256, 127)),
     "only int8"),
    ("L2_NORMALIZATION int16", lambda: _unary_model("L2_NORMALIZATION", np.int16), "only int8"),
    ("L2_NORMALIZATION rank 5",
     lambda: _unary_model("L2_NORMALIZATION", shape=(1, 1, 1, 2, 3)), "rank 1..4"),
    ("DIV int16", lambda: _binary_model("DIV", (np.int16,) * 3, (0.001, 0)), "int8 and int32"),
    ("DIV quantized int32", lambda: _binary_model("DIV", (np.int32,) * 3, (0.5, 0)),
     "unquantized"),
    ("RESIZE_BILINEAR int16", lambda: _resize_model("RESIZE_BILINEAR", np.int16), "only int8"),
    ("RESIZE_BILINEAR both options", lambda: _resize_model(
        "RESIZE_BILINEAR", align_corners=True, half_pixel_centers=True), "cannot both"),
    ("RESIZE_NEAREST_NEIGHBOR dynamic size",
     lambda: _resize_model("RESIZE_NEAREST_NEIGHBOR", const=False), "constant"),
    ("RESIZE_NEAREST_NEIGHBOR wrong output",
     lambda: _resize_model("RESIZE_NEAREST_NEIGHBOR", out=(1, 4, 5, 2)), "is not"),
    ("EXP int8", lambda: _unary_model("EXP"), "float32 tensors only"),
    ("LOG int8", lambda: _unary_model("LOG"), "float32 tensors only"),
    ("SQRT int16", lambda: _unary_model("SQRT", np.int16), "float32 tensors only"),
    ("SIN int8", lambda: _unary_model("SIN"), "float32 tensors only"),
    ("COS int8", lambda: _unary_model("COS"), "float32 tensors only"),
    ("SQUARE int8", lambda: _unary_model("SQUARE"), "float32 tensors only"),
    ("NEG int32", lambda: _unary_model("NEG", np.int32, None, None), "float32 tensors only"),
    ("FLOOR_DIV int32", lambda: _binary_model("FLOOR_DIV", (np.int32,) * 3, None),
     "float32 tensors only"),
    ("FLOOR_MOD int8", lambda: _binary_model("FLOOR_MOD"), "float32 tensors only"),
    ("PRELU int16 alpha", lambda: _binary_model("PRELU", (np.int16, np.int16, np.int16)),
     "alpha must be int8"),
    ("PRELU int32", lambda: _binary_model("PRELU", (np.int32, np.int8, np.int32)),
     "int8 and int16"),
    ("SQUARED_DIFFERENCE int16 zero point",
     lambda: _binary_model("SQUARED_DIFFERENCE", (np.int16,) * 3, (0.001, 3)), "zero point"),
    ("SQUARED_DIFFERENCE mixed", lambda: _binary_model("SQUARED_DIFFERENCE",
                                                       (np.int8, np.int16, np.int8)), "share one"),
    ("ELU int16", lambda: _unary_model("ELU", np.int16), "only int8"),
    ("RSQRT int16 zero point", lambda: _unary_model("RSQRT", np.int16, (0.01, 5)), "zero point"),
    ("RSQRT int32", lambda: _unary_model("RSQRT", np.int32, None, None), "int8 and int16"),
]


@pytest.mark.parametrize("what,build,needle", UNSUPPORTED, ids=[u[0] for u in UNSUPPORTED])
def test_unsupported_variants_raise(what, build, needle):
    model = load_model(build())
    op = model.operators[0]
    with pytest.raises(UnsupportedError, match=needle):
        ops.room(op.type).check(op, model)
    with pytest.raises(UnsupportedError, match=f"op #0 {op.type}"):
        ops.check_model(model)


def test_float_only_ops_are_refused_by_tflm_too():
    """The refusal is TFLM's own: its kernel rejects the int8 model as well."""
    for op_type in ("EXP", "SQRT", "FLOOR_DIV"):
        data = (_binary_model(op_type) if op_type == "FLOOR_DIV" else _unary_model(op_type))
        n = 2 if op_type == "FLOOR_DIV" else 1
        with pytest.raises(Exception):
            run_oracle(data, [[np.ones((2, 3), np.int8)] * n])
    assert "EXP" not in ops.supported_ops() and "EXP" in ops.registry()


def test_prelu_int16_and_rsqrt_int16_vs_oracle():
    """int16 paths with chosen inputs (RSQRT: non-negative, as TFLM requires)."""
    rng = np.random.default_rng(3)
    b = ModelBuilder()
    x = b.activation((1, 4, 5, 3), np.int16, 0.0007, 0)
    a = b.constant(rng.integers(-128, 128, (3,)).astype(np.int8), scales=[0.004], zero_points=[7])
    y = b.activation((1, 4, 5, 3), np.int16, 0.0005, 0)
    b.op("PRELU", [x, a], [y])
    data = b.build(inputs=[x], outputs=[y])
    xs = rng.integers(-32768, 32768, (1, 4, 5, 3)).astype(np.int16)
    _check_model(data, [xs])
    data = _unary_model("RSQRT", np.int16, (0.002, 0), (0.01, 0), shape=(300,))
    xs = np.concatenate([np.arange(0, 100), rng.integers(0, 32768, 200)]).astype(np.int16)
    _check_model(data, [xs])


def _check_model(data, inputs):
    from tflm_py.simulator import Simulator
    model = load_model(data)
    expected = run_oracle(data, [inputs])[0][0]
    got = Simulator(model).run(inputs)[0]
    assert np.array_equal(expected, got)


def test_inplace_rules():
    for name in ("PRELU", "SQUARED_DIFFERENCE", "ELU", "RSQRT", "DIV"):
        assert ops.room(name).INPLACE == "elementwise"
    for name in ("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"):
        assert ops.room(name).INPLACE is None


def test_div_int8_zero_numerator_matches_tflm():
    """A numerator at its zero point drives TFLM's rounding shift past 31 bits: both the
    simulator and TFLM then give the same (x86-64) result."""
    b = ModelBuilder()
    x = b.activation((256,), np.int8, 0.05, 3)
    d = b.activation((256,), np.int8, 0.02, -5)
    y = b.activation((256,), np.int8, 0.1, 2)
    b.op("DIV", [x, d], [y])
    data = b.build(inputs=[x, d], outputs=[y])
    xs = np.full(256, 3, np.int8)
    xs[::3] = 2   # offset -1
    ds = np.arange(-128, 128).astype(np.int8)
    _check_model(data, [xs, ds])
