"""The 3x3 DEPTHWISE_CONV_2D kernel (row ring in scratch, SMLAD on tap pairs): the portable
C of tflm_depthwise_conv_2d_3x3_s8 against the simulator on random shapes, strides
(stride_w 1 / 2, any stride_h), paddings and channel counts, through ctypes; the simulator
against TFLM on a few; the planner's variants; the Cortex-M build (the written-out loops,
every ring rotation, both strides and tails) on QEMU against the simulator, at -Os and -O0.
(Longer: scripts/sweep_depthwise_qemu.py.)"""
from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import tflm_py
from tflm_py import ops
from tflm_py.oracle import run_oracle
from tflm_py.planner import plan
from tflm_py.testgen.depthwise3x3 import gen_depthwise_3x3

ROOT = Path(__file__).resolve().parents[2]
KERNELS = ROOT / "kernels_c"
room = ops.room("DEPTHWISE_CONV_2D")


class _DwP(ctypes.Structure):
    _fields_ = [(n, ctypes.c_int32) for n in (
        "batches", "input_h", "input_w", "input_c", "filter_h", "filter_w", "output_h",
        "output_w", "output_c", "depth_multiplier", "stride_h", "stride_w", "dilation_h",
        "dilation_w", "pad_h", "pad_w", "input_offset", "output_offset", "act_min", "act_max",
        "per_channel")] + [("multipliers", ctypes.POINTER(ctypes.c_int32)),
                           ("shifts", ctypes.POINTER(ctypes.c_int8)),
                           ("small_acc", ctypes.c_int32)]


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    d = tmp_path_factory.mktemp("dw3x3")
    so = d / "libdw.so"
    # TFLM_DW3X3_RING: the ring's portable C on this host (elsewhere only Cortex-M runs it)
    cmd = ["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-g", "-fPIC", "-shared",
           "-DTFLM_DW3X3_RING",
           "-fsanitize=undefined", "-fno-sanitize-recover=all",
           "-I", str(KERNELS), str(KERNELS / "depthwise_conv_2d.c"), "-o", str(so)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    try:
        return ctypes.CDLL(str(so))
    except OSError:     # the UBSan runtime cannot be preloaded here: a plain build
        cmd = [c for c in cmd if not c.startswith("-fsanitize") and c != "-fno-sanitize-recover=all"]
        subprocess.run(cmd, check=True)
        return ctypes.CDLL(str(so))


def _run(lib, model, x):
    op = model.operators[0]
    p = room.prepare(op, model)
    fields = {n: int(getattr(p, n)) for n, _ in _DwP._fields_
              if n not in ("multipliers", "shifts")}
    s = _DwP(**fields)
    mult = np.ascontiguousarray(p.multipliers, dtype=np.int32)
    shift = np.ascontiguousarray(p.shifts, dtype=np.int8)
    s.multipliers = mult.ctypes.data_as(ctypes.POINTER(ctypes.c_int32))
    s.shifts = shift.ctypes.data_as(ctypes.POINTER(ctypes.c_int8))
    from tflm_py.ops import _conv_common as cc
    rec = np.ascontiguousarray(room.channel_records(model.tensor(op.inputs[1]).data,
                                                    cc.bias_values(model, op), p))
    # the ring's size for any 3x3 layer (the room asks for it only where the Cortex-M loops
    # run, but the portable C runs every one)
    n = room.fast3x3_scratch_bytes(p.output_c, p.input_w, p.pad_w)
    # guard words after the scratch: the kernel must stay inside its bytes
    scratch = np.full(n // 4 + 16, 0x5A5A5A5A, dtype=np.uint32)
    y = np.full(model.tensors[op.outputs[0]].shape, 0x55, dtype=np.int8)
    xin = np.ascontiguousarray(x, dtype=np.int8)
    fn = lib.tflm_depthwise_conv_2d_3x3_s8
    fn.restype = None
    fn(ctypes.byref(s), xin.ctypes.data_as(ctypes.c_void_p), rec.ctypes.data_as(ctypes.c_void_p),
       y.ctypes.data_as(ctypes.c_void_p), scratch.ctypes.data_as(ctypes.c_void_p))
    assert np.all(scratch[-16:] == 0x5A5A5A5A), "scratch overrun"
    assert np.all(scratch[n // 4:] == 0x5A5A5A5A), "scratch overrun"
    return y, p


def _models(seed, count):
    rng = np.random.default_rng(seed)
    return [(tflm_py.load_model(gen_depthwise_3x3(rng)), rng) for _ in range(count)]


def test_3x3_kernel_matches_simulator(lib):
    cases = 0
    for k, (model, rng) in enumerate(_models(3300, 150)):
        op = model.operators[0]
        g = room._geometry(op, model)
        assert room._fast3x3(g)
        x = rng.integers(-128, 128, size=model.tensors[model.inputs[0]].shape).astype(np.int8)
        got, p = _run(lib, model, x)
        want = room.simulate(op, model, p, [x, *[model.tensor(i).data if i >= 0 else None
                                                  for i in op.inputs[1:]]])[0]
        assert np.array_equal(got, want), (
            f"model {k}: {int(np.sum(got != want))} of {want.size} differ; "
            f"{vars(op.options)} in {model.tensors[op.inputs[0]].shape}")
        cases += 1
    assert cases == 150


def test_3x3_models_simulator_matches_tflm():
    for model, rng in _models(3400, 12):
        xs = [[rng.integers(-128, 128, size=model.tensors[model.inputs[0]].shape)
               .astype(np.int8)]]
        ref = run_oracle(model.data, xs)[0][0]
        got = tflm_py.Simulator(model).run(xs[0])[0] if hasattr(tflm_py, "Simulator") else None
        if got is None:
            from tflm_py.simulator import Simulator
            got = Simulator(model).run(xs[0])[0]
        assert np.array_equal(ref, got)


def _mobilenet_like_layer():
    """A 16x16x8 3x3 depthwise layer: its ring (876 B) fits under the tensors' arena."""
    from tflm_py.testing import ModelBuilder
    rng = np.random.default_rng(5)
    b = ModelBuilder()
    x = b.activation((1, 16, 16, 8), scale=0.02, zero_point=-128)
    w = b.constant(rng.integers(-127, 128, size=(1, 3, 3, 8)).astype(np.int8),
                   scales=[0.01] * 8, zero_points=[0] * 8, quantized_dimension=3)
    y = b.activation((1, 16, 16, 8), scale=6.0 / 255.0, zero_point=-128)
    b.op("DEPTHWISE_CONV_2D", [x, w], [y], padding="SAME", stride_h=1, stride_w=1,
         depth_multiplier=1, fused_activation_function="RELU6")
    return tflm_py.load_model(b.build([x], [y]))


def test_planner_offers_the_ring_and_the_direct_loops():
    model = _mobilenet_like_layer()
    op = model.operators[0]
    v = room.kernel_variants(op, model)
    assert [x["scratch"] > 0 for x in v] == [True, False]
    assert v[0]["instructions"] < v[1]["instructions"]
    fast, small = plan(model), plan(model, optimize="ram")
    assert op.index in fast.scratch
    assert fast.scratch[op.index][1] >= room.scratch_bytes(op, model)
    assert small.arena_bytes <= fast.arena_bytes


def _fast_path_models(seed, count):
    """3x3 models the written-out loops take (small_acc, the full int8 output range): the
    generator's shapes with activation NONE and tame biases."""
    from tflm_py.sweep import random_inputs
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        model = tflm_py.load_model(gen_depthwise_3x3(rng))
        op = model.operators[0]
        p = room.prepare(op, model)
        k = -np.asarray(p.shifts, dtype=np.int64) - 1
        if p.small_acc and p.act_min == -128 and p.act_max == 127 and np.all(k <= 21):
            out.append((f"dw3_{len(out)}", model, [random_inputs(model, rng)]))
    return out


@pytest.mark.parametrize("opt", ["-Os", "-O0"])
def test_3x3_ring_on_qemu(opt, tmp_path):
    for tool in ("qemu-system-arm", "arm-none-eabi-gcc"):
        assert shutil.which(tool), f"{tool} not installed: run scripts/setup.sh"
    from tflm_py.simulator import Simulator
    from tflm_py.testgen.depthwise3x3 import run_on_qemu_with_ring
    entries = _fast_path_models(3600 if opt == "-Os" else 3700, 24)
    # a plain random batch too: narrow ranges and big accumulators keep the direct loops
    entries += [(f"dw3_any_{k}", m, [[r.integers(-128, 128, size=m.tensors[m.inputs[0]].shape)
                                      .astype(np.int8)]])
                for k, (m, r) in enumerate(_models(3800, 8))]
    res = run_on_qemu_with_ring(entries, opt=opt, icount=False, work_dir=tmp_path)
    for (name, model, samples), r in zip(entries, res):
        want = Simulator(model).run(samples[0])[0]
        got = np.asarray(r["outputs"][0][0]).reshape(want.shape)
        assert np.array_equal(got, want), f"{name}: {int(np.sum(got != want))} differ"
