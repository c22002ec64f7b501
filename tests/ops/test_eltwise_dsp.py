"""The Cortex-M4 DSP paths of ADD/SUB, MUL, SOFTMAX and the pooling kernels, run on the QEMU
board (one firmware) against the simulator and TFLM: random generator models (int8, int16,
broadcasts), every pair of int8 inputs for ADD/SUB/MUL, and the anchor's layer shapes
(scripts/bench_eltwise.py). The long version is scripts/sweep_eltwise_dsp.py."""
import os
import shutil
import sys

import numpy as np

from tflm_py.bench import run_on_qemu
from tflm_py.oracle import run_oracle
from tflm_py.reader import load_model
from tflm_py.simulator import Simulator
from tflm_py.sweep import random_inputs
from tflm_py.testing import ModelBuilder

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
import bench_eltwise  # noqa: E402
import sweep_eltwise_dsp  # noqa: E402

CASES_PER_OP = 5


def _every_pair_model(op_type, rng, count=3):
    """input 1 along rows, input 2 along columns: all 65,536 int8 pairs per op (the first
    with equal input scales)"""
    b = ModelBuilder()
    ins, outs = [], []
    for k in range(count):
        s1, s2 = np.exp(rng.uniform(np.log(0.004), np.log(0.3), 2))
        if k == 0:
            s2 = s1   # equal scales: both ADD/SUB terms are exact shifts
        if k == 2 and op_type != "MUL":
            so = max(s1, s2) * 60   # output rescale shift above 24: zp * 2^e leaves int8 range
        z1, z2, zo = (int(z) for z in rng.integers(-128, 128, 3))
        so = s1 * s2 * 128 * rng.uniform(0.5, 2) if op_type == "MUL" else \
            max(s1, s2) * rng.uniform(0.8, 2.5)
        x1 = b.activation((256, 1), scale=s1, zero_point=z1)
        x2 = b.activation((1, 256), scale=s2, zero_point=z2)
        y = b.activation((256, 256), scale=so, zero_point=zo)
        b.op(op_type, [x1, x2], [y], fused_activation_function=str(
            rng.choice(["NONE", "RELU", "RELU6", "RELU_N1_TO_1"])))
        ins += [x1, x2]
        outs.append(y)
    return load_model(b.build(ins, outs))


def _int16_pairs_model():
    """int16 ADD (zero points 0: the DSP path) on a 256 x 256 grid of values with the
    extremes, equal and unequal scales, and int16 SUB (the reference path)"""
    b = ModelBuilder()
    ins, outs = [], []
    for op_type, s1, s2, so, zo in (("ADD", 3e-4, 3e-4, 5e-4, 0), ("ADD", 2e-4, 7e-4, 9e-4, 0),
                                    ("ADD", 1e-3, 1e-3, 1.2e-4, 0), ("SUB", 4e-4, 3e-4, 6e-4, 0),
                                    ("ADD", 3e-4, 2e-4, 5e-4, 1000),     # zp * 2^e fits
                                    ("ADD", 3e-4, 2e-4, 3e-3, 30000)):   # it does not
        x1 = b.activation((256, 1), dtype=np.int16, scale=s1, zero_point=0)
        x2 = b.activation((1, 256), dtype=np.int16, scale=s2, zero_point=0)
        y = b.activation((256, 256), dtype=np.int16, scale=so, zero_point=zo)
        b.op(op_type, [x1, x2], [y], fused_activation_function="NONE")
        ins += [x1, x2]
        outs.append(y)
    return load_model(b.build(ins, outs))


def _long_softmax_model():
    """rows long enough for the Q12.19 sum to reach 2^30 and to wrap (the kernel's general
    output path), with int8 and int16 outputs"""
    b = ModelBuilder()
    ins, outs = [], []
    for depth, scale, out16 in ((2048, 0.05, False), (4100, 0.01, True), (3000, 0.3, False)):
        x = b.activation((1, depth), scale=scale, zero_point=0)
        y = b.activation((1, depth), dtype=np.int16 if out16 else np.int8,
                         scale=1 / 65536 if out16 else 1 / 256, zero_point=-32768 if out16 else -128)
        b.op("SOFTMAX", [x], [y], beta=1.0)
        ins.append(x)
        outs.append(y)
    return load_model(b.build(ins, outs))


def _big_window_pool_model():
    """windows of more than 256 taps (int16 lanes are flushed in chunks of rows, or of one
    long row), SAME padding, 4 + 8 + 3 channels, a narrow activation range; int8 and int16"""
    b = ModelBuilder()
    ins, outs = [], []
    for op_type, dtype in (("AVERAGE_POOL_2D", np.int8), ("MAX_POOL_2D", np.int8),
                           ("AVERAGE_POOL_2D", np.int16), ("MAX_POOL_2D", np.int16)):
        for shape, (fh, fw), pad, act in (((1, 20, 20, 15), (20, 20), "VALID", "NONE"),
                                          ((1, 2, 300, 12), (2, 290), "SAME", "RELU"),
                                          ((2, 17, 17, 9), (16, 17), "SAME", "RELU_N1_TO_1")):
            zp = -3 if dtype == np.int8 else 0
            x = b.activation(shape, dtype=dtype, scale=0.05, zero_point=zp)
            oh = shape[1] - fh + 1 if pad == "VALID" else shape[1]
            ow = shape[2] - fw + 1 if pad == "VALID" else shape[2]
            y = b.activation((shape[0], oh, ow, shape[3]), dtype=dtype, scale=0.05,
                             zero_point=zp)
            b.op(op_type, [x], [y], padding=pad, stride_h=1, stride_w=1, filter_height=fh,
                 filter_width=fw, fused_activation_function=act)
            ins.append(x)
            outs.append(y)
    return load_model(b.build(ins, outs))


def test_dsp_kernels_bit_exact_on_qemu(tmp_path):
    assert shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"), \
        "qemu-system-arm / arm-none-eabi-gcc missing: run scripts/setup.sh"
    cases = [(op, 91000 + k) for op in sweep_eltwise_dsp.OPS for k in range(CASES_PER_OP)]
    rows = sweep_eltwise_dsp.run_batch(cases)
    bad = [r for r in rows if r["mismatches"] or r["oracle_mismatches"]]
    assert not bad, f"mismatches: {bad}"

    rng = np.random.default_rng(5)
    entries = []
    every = np.arange(-128, 128, dtype=np.int8)
    for op_type in ("ADD", "SUB", "MUL"):
        m = _every_pair_model(op_type, rng)
        sample = [every.reshape(256, 1) if k % 2 == 0 else every.reshape(1, 256)
                  for k in range(len(m.inputs))]
        entries.append(("pairs_" + op_type.lower(), m, [sample]))
    grid = np.concatenate([[-32768, -32767, -1, 0, 1, 32766, 32767],
                           np.linspace(-32768, 32767, 249).astype(np.int64)]).astype(np.int16)
    pairs16 = _int16_pairs_model()
    entries.append(("pairs_int16", pairs16,
                    [[grid.reshape(256, 1) if k % 2 == 0 else grid.reshape(1, 256)
                      for k in range(len(pairs16.inputs))]]))
    long_rows = _long_softmax_model()
    entries.append(("long_softmax", long_rows, [random_inputs(long_rows, rng)]))
    # equal values: the largest sums (2^30 and a wrapped one); TFLM's reference aborts on
    # rows like these (from 512 equal values), so this one is checked against the simulator
    entries.append(("long_softmax_equal", long_rows,
                    [[np.full(long_rows.tensor(i).shape, 7, np.int8) for i in long_rows.inputs]]))
    pools = _big_window_pool_model()
    entries.append(("big_pools", pools, sweep_eltwise_dsp.samples_for(pools, rng, 3)))
    anchor = load_model(bench_eltwise.build_model())
    entries.append(("anchor", anchor, sweep_eltwise_dsp.samples_for(anchor, rng, 3)))
    results = run_on_qemu(entries, icount=False, work_dir=tmp_path)
    for (name, model, samples), res in zip(entries, results):
        sim = Simulator(model)
        ref = [sim.run(s) for s in samples] if name == "long_softmax_equal" else \
            run_oracle(model.data, samples)
        for s, r, got in zip(samples, ref, res["outputs"]):
            expected = sim.run(s)
            for k, (e, ro, g) in enumerate(zip(expected, r, got)):
                assert np.array_equal(e, ro), f"{name} output {k}: simulator differs from TFLM"
                assert np.array_equal(np.asarray(g).ravel(), e.ravel()), \
                    f"{name} output {k}: QEMU differs from the simulator " \
                    f"({int(np.sum(np.asarray(g).ravel() != e.ravel()))} elements)"


def test_every_pair_host_build():
    """The same every-pair ADD/SUB/MUL models through the host build (the int64 twin of the
    fast path, ASan/UBSan) against TFLM."""
    from tflm_py.hostbuild import run_host
    rng = np.random.default_rng(6)
    every = np.arange(-128, 128, dtype=np.int8)
    for op_type in ("ADD", "SUB", "MUL"):
        m = _every_pair_model(op_type, rng, count=2)
        sample = [every.reshape(256, 1) if k % 2 == 0 else every.reshape(1, 256)
                  for k in range(len(m.inputs))]
        ref = run_oracle(m.data, [sample])[0]
        got = run_host(m, [sample], sanitize=True)[0]
        for k, (r, g) in enumerate(zip(ref, got)):
            assert np.array_equal(np.asarray(g).ravel(), np.asarray(r).ravel()), \
                f"{op_type} output {k}: host build differs from TFLM"


def test_big_windows_and_long_rows_host_build():
    """The big-window pooling and long-row softmax models through the host build (the
    portable kernels, ASan/UBSan) against TFLM."""
    from tflm_py.hostbuild import run_host
    rng = np.random.default_rng(8)
    for model in (_big_window_pool_model(), _long_softmax_model()):
        samples = [random_inputs(model, rng) for _ in range(2)]
        ref = run_oracle(model.data, samples)
        got = run_host(model, samples, sanitize=True)
        for r_list, g_list in zip(ref, got):
            for k, (r, g) in enumerate(zip(r_list, g_list)):
                assert np.array_equal(np.asarray(g).ravel(), np.asarray(r).ravel()), \
                    f"output {k}: host build differs from TFLM"
