"""16x8 models with int16 SOFTMAX, LOGISTIC and TANH made by TensorFlow's converter
(scripts/make_int16_act_models.py, committed under tests/data/int16/*_act_16x8.tflite): a conv
classifier ending in softmax, a tanh * sigmoid gate with a sigmoid score, a softmax over the
rows of a sequence, a squeeze-and-excitation block with swish, and a WaveNet-style gated conv. TFLM == simulator == host C (ASan/UBSan), and the Cortex-M build under
QEMU equal to the simulator (with random single-op int16 LOGISTIC / TANH / SOFTMAX / 16x8
LSTM models beside them)."""
from __future__ import annotations

import shutil

import numpy as np

from conftest import ROOT
from tflm_py import load_model
from tflm_py.hostbuild import run_host_many
from tflm_py.oracle import run_oracle
from tflm_py.simulator import Simulator
from tflm_py.sweep import all_generators, random_inputs

DATA = ROOT / "tests" / "data" / "int16"
NAMES = ["softmax_classifier_act_16x8", "gated_sigmoid_tanh_act_16x8",
         "sequence_softmax_act_16x8", "se_block_act_16x8", "wavenet_gate_act_16x8"]
ACT_OPS = {"SOFTMAX", "LOGISTIC", "TANH"}


def _models():
    return [load_model(str(DATA / f"{n}.tflite")) for n in NAMES]


def _inputs(m, rng):
    """Inputs over a quarter of the int16 range (what calibrated features look like)."""
    return [(x // 4).astype(x.dtype) for x in random_inputs(m, rng)]


def test_converted_int16_activation_models_tflm_simulator_host_c(tmp_path):
    models = _models()
    samples = []
    for i, m in enumerate(models):
        assert m.tensors[m.inputs[0]].dtype == np.int16
        acts = [op for op in m.operators if op.type in ACT_OPS]
        assert acts and all(m.tensors[op.inputs[0]].dtype == np.int16 for op in acts)
        rng = np.random.default_rng(60 + i)
        samples.append([_inputs(m, rng) for _ in range(4)])
    outs = run_host_many(models, samples, sanitize=True, work_dir=tmp_path)
    for name, m, smp, c_out in zip(NAMES, models, samples, outs):
        sim = Simulator(m)
        distinct = set()
        for x, ref, got_c in zip(smp, run_oracle(m.data, smp), c_out):
            got = sim.run(x)
            assert np.array_equal(got[0], ref[0]), f"{name}: simulator != TFLM"
            assert np.array_equal(np.asarray(got_c[0]).reshape(ref[0].shape), ref[0]), \
                f"{name}: host C != TFLM"
            distinct.update(np.asarray(ref[0]).ravel().tolist())
        assert len(distinct) > 8, name


def test_int16_activation_kernels_on_qemu(tmp_path):
    assert shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"), \
        "qemu-system-arm / arm-none-eabi-gcc not installed: run scripts/setup.sh"
    from tflm_py.bench import run_on_qemu
    entries = []
    for i, (name, m) in enumerate(zip(NAMES, _models())):
        rng = np.random.default_rng(80 + i)
        entries.append((name.replace("_act_16x8", ""), m, [_inputs(m, rng) for _ in range(2)]))
    # and random single-op models of each int16 kernel, LSTM state carried across samples
    gens = all_generators()
    for k, op in enumerate(("LOGISTIC/int16", "TANH/int16", "SOFTMAX/int16",
                            "UNIDIRECTIONAL_SEQUENCE_LSTM/int16")):
        rng = np.random.default_rng(90 + k)
        m = load_model(gens[op](rng))
        entries.append((op.split("/")[0].lower()[:12], m,
                        [random_inputs(m, rng) for _ in range(3)]))
    res = run_on_qemu(entries, portable=False, icount=False, work_dir=tmp_path)
    for (name, m, samples), r in zip(entries, res):
        sim = Simulator(m)
        for s, got in zip(samples, r["outputs"]):
            for a, b in zip(sim.run(s), got):
                assert b is not None and np.array_equal(np.asarray(a).ravel(),
                                                        np.asarray(b).ravel()), name
