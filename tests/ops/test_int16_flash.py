"""The flash choice of 16x8 weights: optimize="speed" widens FULLY_CONNECTED's weights (and
CONV_2D's when it runs without its scratch) to int16 copies, recorded in the manifest and
reported by `generate --report`; optimize="flash" makes no copy (the two-pixel CONV_2D path
reads int8 weights either way) and the int8 loops it takes instead equal TFLM in the generated
C (host, ASan/UBSan) and on the QEMU Cortex-M4 board."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np

from tflm_py import load_model, planner
from tflm_py.codegen import generate
from tflm_py.hostbuild import run_host
from tflm_py.oracle import run_oracle
from tflm_py.sweep import all_generators, random_inputs

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DS_CNN = os.path.join(ROOT, "tests", "data", "converted2", "corpus1_ds_cnn_16x8.tflite")


def _fc_model():
    gen = all_generators()["FULLY_CONNECTED/int16"]
    for seed in range(40):
        data = gen(np.random.default_rng(9100 + seed))
        m = load_model(data)
        from tflm_py.ops import fully_connected
        op = next(o for o in m.operators if o.type == "FULLY_CONNECTED")
        if fully_connected.prepare(op, m).fits32:
            return data
    raise AssertionError("no fits32 FULLY_CONNECTED model")


def _scratchless_conv():
    """test_int16_conv_pairs' conv whose planner drops the scratch (one-pixel path)."""
    import importlib.util
    path = os.path.join(os.path.dirname(__file__), "test_int16_conv_pairs.py")
    spec = importlib.util.spec_from_file_location("int16_conv_pairs_cases", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod._scratchless()[1]


def _models():
    with open(DS_CNN, "rb") as f:
        return {"ds_cnn": f.read(), "fc": _fc_model(), "conv_no_scratch": _scratchless_conv()}


def test_speed_widens_and_flash_does_not(tmp_path):
    for name, data in _models().items():
        m = load_model(data)
        speed = generate(m, tmp_path / f"{name}_speed", plan=planner.plan(m))
        flash_plan = planner.plan(m, optimize="flash")
        assert flash_plan.int8_weights and flash_plan.scratch == planner.plan(m).scratch
        flash = generate(m, tmp_path / f"{name}_flash", plan=flash_plan)
        assert speed["widened_weights"], name
        assert all(w["bytes"] == 2 * w["int8_bytes"] for w in speed["widened_weights"])
        assert flash["widened_weights"] == [], name
        extra = sum(w["bytes"] - w["int8_bytes"] for w in speed["widened_weights"])
        assert speed["table_bytes"] - flash["table_bytes"] >= extra - 64 * len(m.operators)


def test_generate_report_names_the_choice(tmp_path):
    cmd = [sys.executable, "-m", "tflm_py", "generate", DS_CNN, "--report"]
    speed = subprocess.run(cmd + ["-o", str(tmp_path / "s")], capture_output=True, text=True)
    flash = subprocess.run(cmd + ["-o", str(tmp_path / "f"), "--optimize", "flash"],
                           capture_output=True, text=True)
    assert speed.returncode == 0 and flash.returncode == 0, speed.stderr + flash.stderr
    assert "weights: int16 copies for speed in op(s) #7: +192 B flash" in speed.stdout
    assert "weights: int8 as in the model (optimize flash" in flash.stdout


def _samples(m, seed):
    rng = np.random.default_rng(seed)
    return [random_inputs(m, rng) for _ in range(3)]


def test_flash_paths_equal_tflm_in_host_c(tmp_path):
    for i, (name, data) in enumerate(_models().items()):
        m = load_model(data)
        smp = _samples(m, 500 + i)
        got = run_host(m, smp, sanitize=True, work_dir=tmp_path / name,
                       plan=planner.plan(m, optimize="flash"))
        for x, ref, out in zip(smp, run_oracle(data, smp), got):
            assert np.array_equal(out[0], ref[0]), name


def test_flash_paths_on_qemu(tmp_path):
    assert shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"), \
        "qemu-system-arm / arm-none-eabi-gcc not installed: run scripts/setup.sh"
    from tflm_py.bench import build_qemu_elf, parse_qemu_output, run_qemu
    models = _models()
    entries = [(f"f{i}", load_model(d), _samples(load_model(d), 600 + i))
               for i, d in enumerate(models.values())]
    elf = build_qemu_elf(entries, tmp_path, plan=lambda mm: planner.plan(mm, optimize="flash"))
    res = parse_qemu_output(run_qemu(elf, icount=False), entries)
    for name, data, (_, _, smp), r in zip(models, models.values(), entries, res):
        for want, got in zip(run_oracle(data, smp), r["outputs"]):
            assert got is not None and np.array_equal(np.asarray(want[0]).ravel(),
                                                      np.asarray(got[0]).ravel()), name
