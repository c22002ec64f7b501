"""16x8 models made by TensorFlow's converter (scripts/make_int16_models.py, committed under
tests/data/int16/): int16 inputs and outputs, CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED
(incl. a 3-D output) / ADD / pooling. TFLM == simulator == host C (ASan/UBSan), and one of
them end to end through `tflm-py run` on the QEMU board."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np

from conftest import ROOT
from tflm_py import load_model
from tflm_py.hostbuild import run_host_many
from tflm_py.oracle import run_oracle
from tflm_py.simulator import Simulator
from tflm_py.sweep import random_inputs

DATA = ROOT / "tests" / "data" / "int16"
NAMES = ["ds_cnn_like_16x8", "resnet8_like_16x8", "dense_regression_16x8",
         "sequence_dense_16x8"]


def _scaled_inputs(m, rng):
    """Inputs spread over a quarter of the int16 range (what real features look like)."""
    return [(x // 4).astype(x.dtype) for x in random_inputs(m, rng)]


def test_converted_16x8_models_tflm_simulator_host_c(tmp_path):
    models = [load_model(str(DATA / f"{n}.tflite")) for n in NAMES]
    samples = []
    for i, m in enumerate(models):
        assert m.tensors[m.inputs[0]].dtype == np.int16
        assert m.tensors[m.outputs[0]].dtype == np.int16
        rng = np.random.default_rng(40 + i)
        samples.append([_scaled_inputs(m, rng) for _ in range(3)])
    outs = run_host_many(models, samples, sanitize=True, work_dir=tmp_path)
    for name, m, smp, c_out in zip(NAMES, models, samples, outs):
        sim = Simulator(m)
        for x, ref, got_c in zip(smp, run_oracle(m.data, smp), c_out):
            got = sim.run(x)
            assert np.array_equal(got[0], ref[0]), f"{name}: simulator != TFLM"
            assert np.array_equal(got_c[0], ref[0]), f"{name}: host C != TFLM"


def test_plans_of_16x8_models_verify_and_use_overlap():
    """int16 tensors (2-byte elements) under the planner's in-place rules: every plan passes
    the independent verifier, and the conv/FC overlap rule still saves memory here."""
    from tflm_py.plan_verify import verify_plan
    from tflm_py.planner import plan
    overlapped = 0
    for n in NAMES:
        m = load_model(str(DATA / f"{n}.tflite"))
        p = plan(m)
        verify_plan(m, p)
        overlapped += sum(1 for _, rule, _ in p.inplace.values() if rule == "overlap")
    assert overlapped > 0


def test_int16_io_through_run_on_the_qemu_board(tmp_path):
    assert shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"), \
        "qemu-system-arm / arm-none-eabi-gcc not installed: run scripts/setup.sh"
    model = DATA / "resnet8_like_16x8.tflite"
    m = load_model(str(model))
    rng = np.random.default_rng(5)
    x = np.stack([_scaled_inputs(m, rng)[0][0] for _ in range(2)])
    np.save(tmp_path / "x.npy", x)
    r = subprocess.run([sys.executable, "-m", "tflm_py", "run", str(model), "--board",
                        "qemu-mps2-an386", "-o", str(tmp_path / "proj"), "--inputs",
                        str(tmp_path / "x.npy"), "--samples", "2"],
                       capture_output=True, text=True, timeout=900, cwd=tmp_path,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    # exit 0 only when every sample is bit-exact with the simulator
    assert r.returncode == 0, r.stderr[-2000:] + r.stdout[-2000:]
