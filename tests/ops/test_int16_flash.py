"""The flash choice of 16x8 weights: the two-pixel CONV_2D path and FULLY_CONNECTED read int8
weights (groups of four reordered for SXTB16); only CONV_2D without its scratch runs from an
int16 copy (optimize="speed"), recorded in the manifest and reported by `generate --report`;
optimize="flash" makes no copy. FULLY_CONNECTED's int8 path (depths that are not multiples of
four, odd output counts, several batches, accumulators at the int32 bound) and the int8 loops
optimize="flash" takes equal TFLM in the generated C (host, ASan/UBSan) and on the QEMU
Cortex-M4 board."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

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


def _fc(batches, depth, outputs, seed, bound=False):
    """A 16x8 FULLY_CONNECTED; bound: |bias| + 2^15 sum |w| = 2^31 - 1 per output."""
    from tflm_py.testing import ModelBuilder
    rng = np.random.default_rng(seed)
    if bound:
        wv = np.where(rng.random((outputs, depth)) < 0.5, -127, 127).astype(np.int8)
        left = (2**31 - 1) - 32768 * np.abs(wv.astype(np.int64)).sum(axis=1)
        bias = np.where(np.arange(outputs) % 2 == 0, left, -left).astype(np.int64)
        span = 2.0**31 / 30000.0
    else:
        wv = rng.integers(-127, 128, size=(outputs, depth)).astype(np.int8)
        bias = rng.integers(-50000, 50001, size=outputs).astype(np.int64)
        span = 32768.0 * 127 * np.sqrt(depth) / 50000.0
    ws = rng.uniform(0.002, 0.02, outputs).astype(np.float32)
    in_s = np.float32(1e-4)
    b = ModelBuilder()
    x = b.activation((batches, depth), dtype=np.int16, scale=float(in_s))
    w = b.constant(wv, scales=ws, zero_points=[0] * outputs, quantized_dimension=0)
    bt = b.constant(bias, scales=(in_s * ws).astype(np.float32), zero_points=[0] * outputs)
    y = b.activation((batches, outputs), dtype=np.int16,
                     scale=float(np.float32(in_s * float(np.max(ws)) * span)))
    b.op("FULLY_CONNECTED", [x, w, bt], [y])
    return b.build(inputs=[x], outputs=[y])


def _models():
    with open(DS_CNN, "rb") as f:
        return {"ds_cnn": f.read(), "fc": _fc_model(), "conv_no_scratch": _scratchless_conv(),
                "fc_250x33": _fc(1, 250, 33, 1), "fc_b2_7x5": _fc(2, 7, 5, 2),
                "fc_b3_1x2": _fc(3, 1, 2, 3), "fc_bound_13x3": _fc(1, 13, 3, 4, bound=True)}


def test_only_scratchless_conv_widens_and_flash_never(tmp_path):
    for name, data in _models().items():
        m = load_model(data)
        speed = generate(m, tmp_path / f"{name}_speed", plan=planner.plan(m))
        flash_plan = planner.plan(m, optimize="flash")
        assert flash_plan.int8_weights and flash_plan.scratch == planner.plan(m).scratch
        flash = generate(m, tmp_path / f"{name}_flash", plan=flash_plan)
        assert bool(speed["widened_weights"]) == (name == "conv_no_scratch"), name
        assert all(w["bytes"] == 2 * w["int8_bytes"] for w in speed["widened_weights"])
        assert flash["widened_weights"] == [], name


def test_generate_report_names_the_choice(tmp_path):
    conv = tmp_path / "conv_no_scratch.tflite"
    conv.write_bytes(_scratchless_conv())
    runs = {}
    for model in (DS_CNN, str(conv)):
        for opt in ("speed", "flash"):
            out = tmp_path / f"{os.path.basename(model)}_{opt}"
            r = subprocess.run([sys.executable, "-m", "tflm_py", "generate", model, "--report",
                                "-o", str(out), "--optimize", opt],
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
            runs[(model, opt)] = r.stdout
    assert "weights: no int16 copies" in runs[(DS_CNN, "speed")]
    assert "weights: int16 copies for speed in op(s) #0: +1,152 B flash" in \
        runs[(str(conv), "speed")]
    for model in (DS_CNN, str(conv)):
        assert "weights: int8 as in the model (optimize flash" in runs[(model, "flash")]


def _samples(m, seed):
    """Random inputs; for a FULLY_CONNECTED model also the int16 extremes with the signs of
    output 0's weights and their opposite (that output's accumulator at its bound)."""
    rng = np.random.default_rng(seed)
    out = [random_inputs(m, rng) for _ in range(3)]
    op = m.operators[0]
    if op.type == "FULLY_CONNECTED":
        t = m.tensors[m.inputs[0]]
        sign = np.sign(m.tensors[op.inputs[1]].data[0].astype(np.int64))
        for hi in (32767, -32768):
            v = np.where(sign >= 0, hi, -1 - hi)
            reps = int(np.prod(t.shape)) // v.size
            out.append([np.tile(v, reps).reshape(t.shape).astype(np.int16)])
    return out


def test_paths_equal_tflm_in_host_c(tmp_path):
    for i, (name, data) in enumerate(_models().items()):
        m = load_model(data)
        smp = _samples(m, 500 + i)
        for opt in ("speed", "flash"):
            got = run_host(m, smp, sanitize=True, work_dir=tmp_path / f"{name}_{opt}",
                           plan=planner.plan(m, optimize=opt))
            for x, ref, out in zip(smp, run_oracle(data, smp), got):
                assert np.array_equal(out[0], ref[0]), (name, opt)


@pytest.mark.parametrize("opt", ["speed", "flash"])
def test_paths_on_qemu(tmp_path, opt):
    assert shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"), \
        "qemu-system-arm / arm-none-eabi-gcc not installed: run scripts/setup.sh"
    from tflm_py.bench import build_qemu_elf, parse_qemu_output, run_qemu
    models = _models()
    entries = [(f"f{i}", load_model(d), _samples(load_model(d), 600 + i))
               for i, d in enumerate(models.values())]
    elf = build_qemu_elf(entries, tmp_path, plan=lambda mm: planner.plan(mm, optimize=opt))
    res = parse_qemu_output(run_qemu(elf, icount=False), entries)
    for name, data, (_, _, smp), r in zip(models, models.values(), entries, res):
        for want, got in zip(run_oracle(data, smp), r["outputs"]):
            assert got is not None and np.array_equal(np.asarray(want[0]).ravel(),
                                                      np.asarray(got[0]).ravel()), name
