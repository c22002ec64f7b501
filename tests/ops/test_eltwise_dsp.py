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
    """input 1 along rows, input 2 along columns: all 65,536 int8 pairs per op"""
    b = ModelBuilder()
    ins, outs = [], []
    for _ in range(count):
        s1, s2 = np.exp(rng.uniform(np.log(0.004), np.log(0.3), 2))
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
    long row), SAME padding, 4 + 8 + 3 channels, a narrow activation range"""
    b = ModelBuilder()
    ins, outs = [], []
    for op_type in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        for shape, (fh, fw), pad, act in (((1, 20, 20, 15), (20, 20), "VALID", "NONE"),
                                          ((1, 2, 300, 12), (2, 290), "SAME", "RELU"),
                                          ((2, 17, 17, 9), (16, 17), "SAME", "RELU_N1_TO_1")):
            x = b.activation(shape, scale=0.05, zero_point=-3)
            oh = shape[1] - fh + 1 if pad == "VALID" else shape[1]
            ow = shape[2] - fw + 1 if pad == "VALID" else shape[2]
            y = b.activation((shape[0], oh, ow, shape[3]), scale=0.05, zero_point=-3)
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
