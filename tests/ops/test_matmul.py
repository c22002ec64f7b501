"""TRANSPOSE_CONV and BATCH_MATMUL (int8 and 16x8 / int16): the simulator against TFLM (the
oracle) exactly on seeded random single-op models, the generated C (host, -Wall -Wextra
-Werror, some under ASan/UBSan) against the simulator, the Cortex-M4 DSP build on the QEMU
board, and what check() refuses."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from tflm_py import load_model, ops
from tflm_py.errors import UnsupportedError
from tflm_py.sweep import all_generators, random_inputs, run_case
from tflm_py.testgen.matmul import GENERATORS
from tflm_py.testing import ModelBuilder

SEEDS = range(7000, 7012)


@pytest.mark.parametrize("op_name", sorted(GENERATORS))
def test_random_models_sim_vs_oracle_and_host_c(op_name):
    for seed in SEEDS:
        res = run_case(op_name, seed, with_c=True, sanitize=seed % 3 == 0, samples=2)
        assert res["elements"] > 0
        assert res["sim_mismatch"] == 0, f"seed {seed}: {res['first']}"
        assert res["c_mismatch"] == 0, f"seed {seed}: {res['first']}"


def _tconv(in_dtype=np.int8, w_dtype=np.int8, bias_dtype=np.int32, act="NONE", pad="SAME"):
    b = ModelBuilder()
    shape = b.constant(np.array([1, 4, 4, 3], dtype=np.int32))
    w = b.constant(np.ones((3, 3, 3, 2), dtype=w_dtype), scales=[0.01], zero_points=[0])
    x = b.activation((1, 2, 2, 2), dtype=in_dtype, scale=0.05, zero_point=0)
    y = b.activation((1, 4, 4, 3), dtype=in_dtype, scale=0.1, zero_point=0)
    bias = b.constant(np.zeros(3, dtype=bias_dtype), scales=[0.0005], zero_points=[0])
    b.op("TRANSPOSE_CONV", [shape, w, x, bias], [y], padding=pad, stride_h=2, stride_w=2,
         fused_activation_function=act)
    return load_model(b.build([x], [y]))


@pytest.mark.parametrize("kwargs,needle", [
    (dict(in_dtype=np.float32, w_dtype=np.float32, bias_dtype=np.float32), "float32"),
    (dict(in_dtype=np.int16, bias_dtype=np.int32), "bias must be int64 or int16"),
    (dict(bias_dtype=np.int64), "bias must be int32"),
    (dict(act="TANH"), "fused activation"),
])
def test_transpose_conv_refusals(kwargs, needle):
    m = _tconv(**kwargs)
    with pytest.raises(UnsupportedError, match=needle):
        ops.check_model(m)


def test_transpose_conv_macs():
    m = _tconv()
    op = m.operators[0]
    assert ops.room(op.type).macs(op, m) == 1 * 2 * 2 * 2 * 3 * 3 * 3


def test_dsp_build_bit_exact_on_qemu(tmp_path):
    """The Cortex-M4 build (SMLAD / SMLALD paths) on the virtual board against the
    simulator and TFLM, int8 and 16x8 cases of every generator."""
    from tflm_py.bench import run_on_qemu
    from tflm_py.oracle import run_oracle
    from tflm_py.simulator import Simulator
    assert shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"), \
        "qemu-system-arm / arm-none-eabi-gcc missing: run scripts/setup.sh"
    gens = all_generators()
    entries = []
    for op_name in sorted(GENERATORS):
        for k in range(6):
            rng = np.random.default_rng(7100 + k)
            m = load_model(gens[op_name](rng))
            entries.append((f"{op_name.lower()}_{k}", m, [random_inputs(m, rng) for _ in range(2)]))
    results = run_on_qemu(entries, icount=False, work_dir=tmp_path)
    for (prefix, model, samples), res in zip(entries, results):
        sim = Simulator(model)
        expected = [sim.run(s) for s in samples]
        ref = run_oracle(model.data, samples)
        for e, r, got in zip(expected, ref, res["outputs"]):
            assert np.array_equal(e[0], r[0]), f"{prefix}: simulator differs from TFLM"
            assert np.array_equal(np.asarray(got[0]).ravel(), e[0].ravel()), \
                f"{prefix}: QEMU differs from the simulator"


def _bmm(dtype=np.int8, l_shape=(2, 3, 4), r_shape=(2, 4, 5), out_shape=(2, 3, 5), zp=0,
         per_channel=False, **opts):
    b = ModelBuilder()
    x = b.activation(l_shape, dtype=dtype, scale=0.05, zero_point=zp)
    if per_channel:
        r = b.constant(np.ones(r_shape, dtype=dtype), scales=[0.1] * r_shape[-1],
                       zero_points=[0] * r_shape[-1], quantized_dimension=len(r_shape) - 1)
    else:
        r = b.activation(r_shape, dtype=dtype, scale=0.05, zero_point=0)
    y = b.activation(out_shape, dtype=dtype, scale=0.1, zero_point=0)
    b.op("BATCH_MATMUL", [x, r], [y], **opts)
    return load_model(b.build([x] if per_channel else [x, r], [y]))


@pytest.mark.parametrize("kwargs,needle", [
    (dict(dtype=np.float32), "float32"),
    (dict(dtype=np.int16, zp=3), "zero point must be 0"),
    (dict(r_shape=(3, 4, 5)), "do not broadcast"),
    (dict(r_shape=(2, 6, 5)), "depths differ"),
    (dict(out_shape=(2, 5, 3)), "is not the computed"),
    (dict(l_shape=(1, 1, 1, 2, 3, 4), r_shape=(2, 4, 5), out_shape=(1, 1, 2, 2, 3, 5)),
     "rank 6"),
    (dict(per_channel=True), "per tensor"),
])
def test_batch_matmul_refusals(kwargs, needle):
    m = _bmm(**kwargs)
    with pytest.raises(UnsupportedError, match=needle):
        ops.check_model(m)


def test_batch_matmul_macs_and_adjoints():
    m = _bmm(l_shape=(2, 4, 3), r_shape=(5, 4), out_shape=(2, 3, 5), adj_x=True, adj_y=True)
    ops.check_model(m)
    op = m.operators[0]
    assert ops.room(op.type).macs(op, m) == 2 * 3 * 5 * 4


def test_batch_matmul_multiplier_takes_the_scale_product_in_float32():
    """TFLM's GetQuantizedConvolutionMultipler (4-argument form, the one BATCH_MATMUL calls)
    multiplies the two float scales in float32 before widening: for scales where that differs
    from a double product, prepare() must pick the float32 one."""
    from tflm_py import quant
    rng = np.random.default_rng(5)
    while True:
        a, b, c = (np.float32(rng.uniform(0.001, 0.2)) for _ in range(3))
        f = quant.quantize_multiplier(float(np.float32(a * b)) / float(c))
        d = quant.quantize_multiplier(float(a) * float(b) / float(c))
        if f != d:
            break
    bld = ModelBuilder()
    x = bld.activation((2, 3), scale=float(a), zero_point=0)
    r = bld.activation((3, 4), scale=float(b), zero_point=0)
    y = bld.activation((2, 4), scale=float(c), zero_point=0)
    bld.op("BATCH_MATMUL", [x, r], [y])
    m = load_model(bld.build([x, r], [y]))
    p = ops.room("BATCH_MATMUL").prepare(m.operators[0], m)
    assert (p.multiplier, p.shift) == f


def test_batch_matmul_without_scratch_reads_in_place_bit_exact():
    """The planner's RAM variant (no scratch: strided dot products) equals the simulator,
    under ASan/UBSan, for int8 and int16, every adjoint combination the seeds draw."""
    from tflm_py.hostbuild import run_host
    from tflm_py.planner import plan
    from tflm_py.simulator import Simulator
    dropped = 0
    for seed in range(7100, 7110):
        rng = np.random.default_rng(seed)
        model = load_model(all_generators()["BATCH_MATMUL"](rng))
        p = plan(model, optimize="ram")
        dropped += sum(t["taken"] for t in p.tradeoffs)
        assert not p.scratch
        batch = [random_inputs(model, rng) for _ in range(2)]
        sim = Simulator(model)
        want = [sim.run(s) for s in batch]
        got = run_host(model, batch, plan=p, sanitize=seed % 2 == 0)
        for w, g in zip(want, got):
            for a, b in zip(w, g):
                assert np.array_equal(np.asarray(a), np.asarray(b)), f"seed {seed}"
    assert dropped >= 3      # the seeds reach the strided path, not only scratch-free shapes
