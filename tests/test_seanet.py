"""TFLM's SEANet integration suite (tests/data/seanet/, 127 single-layer 16x8 models with CSV
inputs and goldens; see its README): the simulator on the CSV input equals TFLM and the
golden exactly; the generated C (host, ASan/UBSan, all models in one build) equals them; one
model per op family runs on the QEMU board through `tflm-py run --inputs`, the others of the
sample in one bare-metal firmware."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from tflm_py import load_model
from tflm_py.oracle import run_oracle
from tflm_py.simulator import Simulator

SEANET = ROOT / "tests" / "data" / "seanet"
# models not run here, with the reason (nothing is skipped silently)
EXCLUDED: dict = {}     # every model of the suite runs; keep reasons here if one cannot
# TFLM itself is 1 off the golden (TFLite's kernel) on a few elements of these; TFLM's own test
# allows +-1. We match TFLM exactly here, and the golden within 1.
TFLM_OFF_GOLDEN = {"leaky_relu3", "leaky_relu11", "leaky_relu18", "leaky_relu19"}


def _csv(path: Path, dtype) -> np.ndarray:
    return np.array(path.read_text().strip().split(","), dtype=np.int64).astype(dtype)


def _all_models():
    return sorted(SEANET.glob("*/*.tflite"), key=lambda p: (p.parent.name, len(p.stem), p.stem))


def _case(path: Path):
    m = load_model(str(path))
    ins = []
    for k, t in enumerate(m.inputs):
        (f,) = path.parent.glob(f"{path.stem}_input{k}_*.csv")
        tt = m.tensors[t]
        ins.append(_csv(f, tt.dtype).reshape(tt.shape))
    (g,) = path.parent.glob(f"{path.stem}_golden_*.csv")
    gold = _csv(g, m.tensors[m.outputs[0]].dtype)
    return m, ins, gold


MODELS = [p for p in _all_models() if p.stem not in EXCLUDED]


def test_suite_is_complete():
    assert len(_all_models()) == 127
    assert len(MODELS) == 127 - len(EXCLUDED)
    families = {p.parent.name for p in MODELS}
    assert families == {"add", "sub", "conv", "leaky_relu", "pad", "strided_slice", "quantize",
                        "transpose_conv"}


def test_simulator_equals_tflm_and_golden():
    for path in MODELS:
        m, ins, gold = _case(path)
        got = Simulator(m).run(ins)[0].ravel()
        ref = run_oracle(m.data, [ins])[0][0].ravel()
        assert np.array_equal(got, ref), f"{path.stem}: simulator != TFLM"
        diff = np.abs(got.astype(np.int64) - gold)
        if path.stem in TFLM_OFF_GOLDEN:
            assert diff.max() <= 1, path.stem
        else:
            assert diff.max() == 0, f"{path.stem}: != golden"


def test_generated_c_equals_them_under_sanitizers(tmp_path):
    from tflm_py.hostbuild import run_host_many
    cases = [_case(p) for p in MODELS]
    outs = run_host_many([c[0] for c in cases], [[c[1]] for c in cases], sanitize=True,
                         work_dir=tmp_path)
    for path, (m, ins, gold), out in zip(MODELS, cases, outs):
        want = Simulator(m).run(ins)[0]
        assert np.array_equal(out[0][0], want), f"{path.stem}: host C != simulator"


def _one_per_family():
    seen, out = set(), []
    for p in MODELS:
        if p.parent.name not in seen:
            seen.add(p.parent.name)
            out.append(p)
    return out


def test_one_model_per_family_on_the_qemu_board(tmp_path):
    assert shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"), \
        "qemu-system-arm / arm-none-eabi-gcc not installed: run scripts/setup.sh"
    sample = _one_per_family()
    # all families in one bare-metal firmware on the virtual Cortex-M4 (DSP kernels)
    from tflm_py.bench import run_on_qemu
    entries = [(p.stem, *_case(p)[:2]) for p in sample]
    entries = [(n, m, [ins]) for n, m, ins in entries]
    res = run_on_qemu(entries, icount=False, work_dir=tmp_path / "fw")
    for (name, m, smp), r in zip(entries, res):
        want = Simulator(m).run(smp[0])
        assert all(np.array_equal(np.asarray(a).ravel(), np.asarray(b).ravel())
                   for a, b in zip(want, r["outputs"][0])), name
    # and the CLI path, CSV input in an .npy, on the conv and leaky_relu models
    for p in [q for q in sample if q.parent.name in ("conv", "leaky_relu")]:
        m, ins, gold = _case(p)
        npy = tmp_path / f"{p.stem}.npy"
        np.save(npy, ins[0][None])
        r = subprocess.run([sys.executable, "-m", "tflm_py", "run", str(p), "--board",
                            "qemu-mps2-an386", "-o", str(tmp_path / p.stem), "--inputs",
                            str(npy), "--samples", "1", "--json"],
                           capture_output=True, text=True, timeout=900, cwd=tmp_path,
                           env=dict(os.environ, PYTHONPATH=str(ROOT)))
        # exit 0 only when every sample is bit-exact with the simulator
        assert r.returncode == 0, r.stderr[-2000:]
        assert json.loads(r.stdout), r.stdout
