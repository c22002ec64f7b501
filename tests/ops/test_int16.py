"""16x8 (int16 activations, int8 weights): the int64 requantisation against an independent
big-integer computation, and the Cortex-M DSP path of the s16 CONV_2D / DEPTHWISE_CONV_2D /
FULLY_CONNECTED kernels bit-exact under QEMU against the simulator (which test_sweep.py holds
to TFLM on the same generators)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from tflm_py import load_model, quant
from tflm_py.oracle import run_oracle
from tflm_py.simulator import Simulator
from tflm_py.sweep import all_generators, random_inputs

OPS16 = ("CONV_2D/int16", "DEPTHWISE_CONV_2D/int16", "FULLY_CONNECTED/int16")


def test_int64_requantisation_against_big_integers():
    rng = np.random.default_rng(3)
    x = rng.integers(-(1 << 47), 1 << 47, 4000)
    m = rng.integers(1 << 30, (1 << 31) - 1, 4000)
    m[:50] = 0x7FFF0000 + rng.integers(0, 0xFFFF, 50)       # the saturated 16-bit multiplier
    s = rng.integers(-31, 15, 4000)
    got = quant.multiply_by_quantized_multiplier_int64(x, m, s)
    for xi, mi, si, g in zip(x.tolist(), m.tolist(), s.tolist(), got.tolist()):
        red = 0x7FFF if mi >= 0x7FFF0000 else (mi + (1 << 15)) >> 16
        t = 15 - si
        r = (xi * red + (1 << (t - 1))) >> t          # Python ints: exact, floor shift
        r = ((r + (1 << 31)) % (1 << 32)) - (1 << 31)
        assert g == r


def test_16x8_ops_match_tflm_with_spread_outputs():
    """The generators give outputs spread over the int16 range (not all saturated), and the
    simulator equals TFLM on them."""
    gens = all_generators()
    for op in OPS16:
        distinct = 0
        for seed in range(3):
            rng = np.random.default_rng(900 + seed)
            data = gens[op](rng)
            m = load_model(data)
            xs = [random_inputs(m, rng) for _ in range(2)]
            ref = run_oracle(data, xs)
            sim = Simulator(m)
            for x, r in zip(xs, ref):
                got = sim.run(x)[0]
                assert np.array_equal(got, r[0]), op
                distinct += len(np.unique(got))
        assert distinct > 20, op


@pytest.mark.parametrize("portable", [False, True], ids=["dsp", "portable"])
def test_16x8_dsp_kernels_bit_exact_on_qemu(portable, tmp_path):
    assert shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"), \
        "qemu-system-arm / arm-none-eabi-gcc not installed: run scripts/setup.sh"
    from tflm_py.bench import run_on_qemu
    gens = all_generators()
    entries = []
    for op in OPS16:
        for k in range(8):
            rng = np.random.default_rng(7100 + k)
            m = load_model(gens[op](rng))
            entries.append((f"{op.split('/')[0].lower()}_{k}", m,
                            [random_inputs(m, rng) for _ in range(2)]))
    res = run_on_qemu(entries, portable=portable, icount=False, work_dir=tmp_path)
    for (name, m, samples), r in zip(entries, res):
        sim = Simulator(m)
        for s, got in zip(samples, r["outputs"]):
            want = sim.run(s)
            for a, b in zip(want, got):
                assert b is not None and np.array_equal(np.asarray(a).ravel(),
                                                        np.asarray(b).ravel()), name


def test_leaky_relu_multipliers_in_double_match_tflm_on_ties():
    """int16 LEAKY_RELU, alpha 0.485...: with the alpha ratio rounded to float32 first, two
    outputs of this model land one step off TFLM (ties of the rounding); in double they match."""
    rng = np.random.default_rng(18)
    data = all_generators()["LEAKY_RELU/int16"](rng)
    m = load_model(data)
    xs = [random_inputs(m, rng) for _ in range(3)]
    sim = Simulator(m)
    for x, ref in zip(xs, run_oracle(data, xs)):
        assert np.array_equal(sim.run(x)[0], ref[0])


@pytest.mark.parametrize("op_type", ["CONV_2D", "FULLY_CONNECTED"])
def test_16x8_without_bias_follows_quantized_bias_type(op_type, tmp_path):
    """A 16x8 CONV_2D / FULLY_CONNECTED without a bias tensor: TFLM takes its int64 path,
    unless the options' quantized_bias_type is INT32 (the converter's int32-bias mode drops
    all-zero biases and writes it), when it accumulates and requantises in int32. Large
    accumulators make the two roundings differ; simulator == TFLM == host C on both."""
    from tflm_py.hostbuild import run_host_many
    from tflm_py.testing import ModelBuilder
    rng = np.random.default_rng(17)
    models, samples, kinds = [], [], []
    for qbt in (0, 2, 0, 2):
        b = ModelBuilder()
        if op_type == "CONV_2D":
            x = b.activation((1, 5, 6, 7), np.int16, float(rng.uniform(1e-4, 1e-3)), 0)
            wv = rng.integers(-127, 128, (4, 3, 3, 7)).astype(np.int8)
            ws = rng.uniform(0.002, 0.01, 4).astype(np.float32)
            y = b.activation((1, 5, 6, 4), np.int16, float(rng.uniform(5e-4, 2e-3)), 0)
            w = b.constant(wv, scales=ws, zero_points=[0] * 4, quantized_dimension=0)
            b.op("CONV_2D", [x, w], [y], version=4, padding="SAME", stride_h=1, stride_w=1,
                 quantized_bias_type=qbt)
        else:
            x = b.activation((2, 60), np.int16, float(rng.uniform(1e-4, 1e-3)), 0)
            wv = rng.integers(-127, 128, (5, 60)).astype(np.int8)
            y = b.activation((2, 5), np.int16, float(rng.uniform(5e-4, 2e-3)), 0)
            w = b.constant(wv, scales=[0.006], zero_points=[0])
            b.op("FULLY_CONNECTED", [x, w, -1], [y], version=7, quantized_bias_type=qbt)
        data = b.build(inputs=[x], outputs=[y])
        m = load_model(data)
        models.append(m)
        samples.append([random_inputs(m, rng) for _ in range(3)])
        kinds.append(qbt)
    differs = False
    for m, smp, c_out in zip(models, samples, run_host_many(models, samples, work_dir=tmp_path)):
        sim = Simulator(m)
        for x, r, c in zip(smp, run_oracle(m.data, smp), c_out):
            got = sim.run(x)[0]
            assert np.array_equal(got, r[0]) and np.array_equal(np.asarray(c[0]), r[0])
    # the option matters: the same model read the other way would differ somewhere
    for m, smp, qbt in zip(models, samples, kinds):
        op = m.operators[0]
        op.options.quantized_bias_type = 2 - qbt
        flipped = Simulator(m)
        ref = run_oracle(m.data, smp)
        differs |= any(not np.array_equal(flipped.run(x)[0], r[0]) for x, r in zip(smp, ref))
    assert differs
