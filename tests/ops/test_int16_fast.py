"""16x8 CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED: the int32 fast path (taken when the
accumulator bound |bias| + 2^15 * sum |w| fits int32, checked per layer at generation time)
and the exact int64 fallback both equal TFLM, in the generated C (host, ASan/UBSan) and on
the QEMU Cortex-M4 board. The generators' layers all fit; the fallback layers are the same
models with one channel's bias raised beyond the bound (in the file's bytes, so TFLM reads it
too), the other channels keeping outputs spread over the int16 range."""
from __future__ import annotations

import shutil

import numpy as np

from tflm_py import load_model
from tflm_py.hostbuild import run_host_many
from tflm_py.oracle import run_oracle
from tflm_py.ops import conv_2d, depthwise_conv_2d, fully_connected
from tflm_py.simulator import Simulator
from tflm_py.sweep import all_generators, random_inputs

ROOMS = {"CONV_2D": conv_2d, "DEPTHWISE_CONV_2D": depthwise_conv_2d,
         "FULLY_CONNECTED": fully_connected}


def _layer(m):
    return next(o for o in m.operators if o.type in ROOMS)


def _with_big_bias(data: bytes):
    """The model with channel 0's bias beyond the int32 bound, or None (no bias in the file)."""
    m = load_model(data)
    op = _layer(m)
    if len(op.inputs) < 3 or op.inputs[2] < 0:
        return None
    b = m.tensors[op.inputs[2]]
    if b.data_offset is None:
        return None
    big = np.array([(1 << 40) if b.dtype == np.int64 else (1 << 31) - 1], dtype=b.dtype)
    raw = bytearray(data)
    raw[b.data_offset:b.data_offset + b.dtype.itemsize] = big.tobytes()
    return bytes(raw)


def _cases():
    """Per op, two generated models with their fast twin and the fallback twin."""
    gens = all_generators()
    out = []
    for op in ROOMS:
        found = 0
        for seed in range(40):
            data = gens[f"{op}/int16"](np.random.default_rng(8300 + seed))
            big = _with_big_bias(data)
            if big is None:
                continue
            for d, fits in ((data, 1), (big, 0)):
                m = load_model(d)
                p = ROOMS[op].prepare(_layer(m), m)
                assert p.fits32 == fits, (op, seed)
                out.append((f"{op.lower()}_{seed}_{'fast' if fits else 'int64'}", d, m, seed))
            found += 1
            if found == 2:
                break
        assert found == 2, op
    return out


def test_fast_and_int64_paths_equal_tflm_in_host_c(tmp_path):
    cases = _cases()
    samples = [[random_inputs(m, np.random.default_rng(seed + k)) for k in range(2)]
               for _, _, m, seed in cases]
    outs = run_host_many([m for _, _, m, _ in cases], samples, sanitize=True,
                         work_dir=tmp_path)
    spread = 0
    for (name, data, m, _), smp, c_out in zip(cases, samples, outs):
        sim = Simulator(m)
        for x, ref, got_c in zip(smp, run_oracle(data, smp), c_out):
            assert np.array_equal(sim.run(x)[0], ref[0]), f"{name}: simulator != TFLM"
            assert np.array_equal(got_c[0], ref[0]), f"{name}: host C != TFLM"
            spread += len(np.unique(ref[0]))
    assert spread > 10 * len(cases)


def test_fast_and_int64_paths_on_qemu(tmp_path):
    assert shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"), \
        "qemu-system-arm / arm-none-eabi-gcc not installed: run scripts/setup.sh"
    from tflm_py.bench import run_on_qemu
    cases = _cases()
    entries = [(name, m, [random_inputs(m, np.random.default_rng(seed))])
               for name, _, m, seed in cases]
    res = run_on_qemu(entries, portable=False, icount=False, work_dir=tmp_path)
    for (name, data, m, _), (_, _, smp), r in zip(cases, entries, res):
        ref = run_oracle(data, smp)
        for want, got in zip(ref, r["outputs"]):
            assert got is not None and np.array_equal(np.asarray(want[0]).ravel(),
                                                      np.asarray(got[0]).ravel()), name


def test_high_word_requantisation_is_exact():
    """The identity behind tflm_rq16_t.mhi / post (kernels_c/tflm_common.h), on big integers:
    for every total shift t in [16, 46], reduced multipliers up to 0x7FFF and int32 sums
    (extremes included), the high word of one product gives (acc * reduced + 2^(t-1)) >> t."""
    rng = np.random.default_rng(12)
    accs = [-(1 << 31), (1 << 31) - 1, -1, 0, 1] + rng.integers(-(1 << 31), 1 << 31,
                                                                 300).tolist()
    for t in range(16, 47):
        for red in [0, 1, 0x7FFF] + rng.integers(0, 0x8000, 6).tolist():
            mhi = red << (32 - t) if t <= 32 else red
            post = max(t - 32, 0)
            assert mhi < (1 << 31)
            for acc in accs:
                want = (acc * red + (1 << (t - 1))) >> t
                hi = (acc * mhi + ((1 << 31) if post == 0 else 0)) >> 32
                got = (hi + (1 << (post - 1))) >> post if post else hi
                assert got == want, (acc, red, t)
