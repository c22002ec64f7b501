"""The fast CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED kernels (issue 7).

* x86 (the host builds of tests/test_models.py, test_sweep.py, ops/test_conv.py run the
  portable C, the x86 fast path): here only that gcc -O2 really vectorises it (PMADDWD).
* Cortex-M DSP path (SMLAD / SXTB16, chosen by -mcpu=cortex-m4, off with -DTFLM_PY_PORTABLE):
  bit-exact under QEMU (mps2-an386, Cortex-M4F) against TFLM (the oracle) and the simulator,
  on the shared models and a batch of sweep models, at -Os (the firmware's flags), -O0 (the
  C intrinsics instead of the written-out loops) and with the portable C on the same core;
  its requantisation against tflm_requantize on random values.
"""
from __future__ import annotations

import platform
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import MODELS, MODEL_NAMES
from tflm_py import load_model
from tflm_py.bench import build_bare_metal, run_on_qemu, run_qemu
from tflm_py.oracle import run_oracle
from tflm_py.simulator import Simulator
from tflm_py.sweep import all_generators, random_inputs
from tflm_py.testing import ModelBuilder

ROOT = Path(__file__).resolve().parents[1]
KERNELS = ROOT / "kernels_c"
FAST = ("conv_2d", "depthwise_conv_2d", "fully_connected")
ARM = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-std=c99",
       "-Wall", "-Wextra", "-Werror"]



def _need(*tools):
    for t in tools:
        assert shutil.which(t), f"{t} not installed: run scripts/setup.sh"


def _need_qemu():
    _need("qemu-system-arm", "arm-none-eabi-gcc")


# instructions only the DSP path uses (gcc makes SMLABB / SMLAL from plain C too)
_DSP_INSN = re.compile(r"\b(smlad|sxtb16|sxtab16|smmlar)\b")


def _disasm(obj: Path, objdump: str) -> str:
    return subprocess.run([objdump, "-d", str(obj)], capture_output=True, text=True,
                          check=True).stdout


def _compile(cc, flags, src, out):
    r = subprocess.run([cc, *flags, "-I", str(KERNELS), "-c", str(src), "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


# ------------------------------------------------------------------ what the compilers make

@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 hosts only")
def test_x86_portable_c_vectorises_with_pmaddwd(tmp_path):
    _need("gcc", "objdump")
    for name in FAST:
        obj = _compile("gcc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2"],
                       KERNELS / f"{name}.c", tmp_path / f"{name}.o")
        asm = _disasm(obj, "objdump")
        simd = [ins for ins in ("pmaddwd", "pmullw", "pmulhw") if ins in asm]
        assert simd, f"{name}.c: no SIMD multiply in the -O2 build"
        if name != "depthwise_conv_2d":   # dot products: int16 x int16 pairs summed in int32
            assert "pmaddwd" in asm, f"{name}.c: the GEMM loop did not become PMADDWD"


def test_dsp_path_follows_the_board_flags(tmp_path):
    """cortex-m4 gets SMLAD/SXTB16, -DTFLM_PY_PORTABLE and cortex-m0plus the portable C; every
    variant compiles warning-free at every optimisation level (the written-out loops need
    13 free registers, which -O0 does not leave: it takes the intrinsics)."""
    _need("arm-none-eabi-gcc", "arm-none-eabi-objdump")
    for name in FAST:
        src = KERNELS / f"{name}.c"
        dsp = _disasm(_compile("arm-none-eabi-gcc", [*ARM, "-Os"], src, tmp_path / "a.o"),
                      "arm-none-eabi-objdump")
        assert {"smlad", "sxtb16"} <= set(_DSP_INSN.findall(dsp)) or \
            {"smlabb", "sxtb16"} <= set(re.findall(r"\b(smlabb|sxtb16)\b", dsp)), name
        port = _disasm(_compile("arm-none-eabi-gcc", [*ARM, "-Os", "-DTFLM_PY_PORTABLE"], src,
                                tmp_path / "b.o"), "arm-none-eabi-objdump")
        assert not _DSP_INSN.search(port), name
        m0 = _disasm(_compile("arm-none-eabi-gcc", ["-mcpu=cortex-m0plus", "-mthumb", "-Os",
                                                    "-std=c99", "-Wall", "-Wextra", "-Werror"],
                              src, tmp_path / "c.o"), "arm-none-eabi-objdump")
        assert not _DSP_INSN.search(m0), name
        for opt in ("-O0", "-O1", "-O2", "-O3", "-Og"):
            _compile("arm-none-eabi-gcc", [*ARM, opt], src, tmp_path / "d.o")


# ------------------------------------------------------------------ QEMU: requantisation

_REQUANT_TEST = r"""
#include <stdint.h>
#include <string.h>
#include "tflm_py_port.h"
#include "tflm_common.h"

static uint32_t state = 0x9E3779B9u;
static uint32_t rnd(void)
{
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

static void put(const char *s) { tflm_port_write((const uint8_t *)s, strlen(s)); }

static void put_int(int32_t v)
{
    char b[16];
    int n = 0;
    uint32_t u = v < 0 ? (uint32_t)(-(int64_t)v) : (uint32_t)v;
    do { b[n++] = (char)('0' + u % 10u); u /= 10u; } while (u);
    if (v < 0) b[n++] = '-';
    while (n) { char c = b[--n]; tflm_port_write((const uint8_t *)&c, 1); }
}

static void finish(int code)
{
    volatile uint32_t block[2] = {0x20026u, (uint32_t)code};
    register uint32_t r0 __asm__("r0") = 0x20u;
    register volatile uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
}

static int32_t pick_x(int small)
{
    int32_t x = (int32_t)rnd();
    switch (rnd() & 3u) {
    case 0: x >>= rnd() % 31u; break;          /* every magnitude */
    case 1: x = (int32_t)(rnd() % 2001u) - 1000; break;
    case 2: x = (x & 1) ? (int32_t)0x3FFFFFFF - (int32_t)(rnd() & 255u)
                        : -(int32_t)0x40000000 + (int32_t)(rnd() & 255u); break;
    default: break;
    }
    if (small && (x < -(int32_t)0x40000000 || x >= (int32_t)0x40000000)) x >>= 2;
    return x;
}

void tflm_py_fw_init(void)
{
    tflm_port_init();
    enum { N = 64 };
    int32_t acc[N], mult[N];
    int8_t shift[N];
    int8_t out[N];
    long checked = 0;
    for (int round = 0; round < 6000; ++round) {
        const int small = round & 1;
        const int per_channel = (round >> 1) & 1;
        for (int i = 0; i < N; ++i) {
            acc[i] = pick_x(small);
            mult[i] = (rnd() & 7u) == 0 ? 0x40000000
                                        : (int32_t)((rnd() & 0x3FFFFFFFu) | 0x40000000u);
            shift[i] = (int8_t)(small ? -(int32_t)(1u + rnd() % 31u) : (int32_t)(rnd() % 62u) - 31);
            /* tflm_requantize_dsp alone, any x and shift */
            const int32_t x = pick_x(0), s = (int32_t)(rnd() % 62u) - 31;
            const int32_t want = tflm_requantize(x, mult[i], s);
            const int32_t got = tflm_requantize_dsp(x, mult[i], s, tflm_requantize_half(s));
            if (got != want) {
                put("FAIL dsp x="); put_int(x); put(" m="); put_int(mult[i]);
                put(" s="); put_int(s); put(" want="); put_int(want); put(" got="); put_int(got);
                put("\n");
                finish(1);
            }
        }
        tflm_rq_dsp_t r;
        r.multipliers = mult;
        r.shifts = shift;
        r.per_channel = per_channel;
        r.output_offset = (int32_t)(rnd() % 256u) - 128;
        r.act_min = (rnd() & 1u) ? -128 : (int32_t)(rnd() % 200u) - 128;
        r.act_max = (rnd() & 1u) ? 127 : r.act_min + (int32_t)(rnd() % (uint32_t)(128 - r.act_min));
        r.small_acc = small;
        const int32_t oc0 = (int32_t)(rnd() % 4u);
        tflm_requantize_run_dsp(&r, acc, oc0, N - 4, out);
        for (int i = 0; i < N - 4; ++i) {
            const int32_t q = per_channel ? oc0 + i : 0;
            int32_t v = tflm_requantize(acc[i], mult[q], shift[q]) + r.output_offset;
            v = v < r.act_min ? r.act_min : v > r.act_max ? r.act_max : v;
            if (out[i] != (int8_t)v) {
                put("FAIL run small="); put_int(small); put(" x="); put_int(acc[i]);
                put(" m="); put_int(mult[q]); put(" s="); put_int(shift[q]);
                put(" want="); put_int(v); put(" got="); put_int(out[i]); put("\n");
                finish(1);
            }
            ++checked;
        }
    }
    put("REQUANT OK ");
    put_int((int32_t)checked);
    put("\nDONE\n");
    finish(0);
}

void tflm_py_fw_poll(void) {}
"""


def test_dsp_requantisation_matches_tflm_on_random_values(tmp_path):
    _need_qemu()
    src = tmp_path / "requant_test.c"
    src.write_text(_REQUANT_TEST)
    elf = build_bare_metal([src], tmp_path, [KERNELS])
    out = run_qemu(elf, icount=False, timeout=300)
    assert "REQUANT OK" in out, out


# ------------------------------------------------------------------ QEMU: whole bundles

def _assert_bit_exact(entries, results, oracle=True):
    for (prefix, model, samples), res in zip(entries, results):
        sim = Simulator(model)
        expected = [sim.run(s) for s in samples]
        if oracle:
            ref = run_oracle(model.data, samples)
            for e, r in zip(expected, ref):
                for a, b in zip(e, r):
                    assert np.array_equal(a, b), f"{prefix}: simulator differs from TFLM"
        for k, (e, got) in enumerate(zip(expected, res["outputs"])):
            for o, (a, b) in enumerate(zip(e, got)):
                assert b is not None, f"{prefix}: sample {k} output {o} missing"
                bad = np.flatnonzero(np.asarray(a).ravel() != np.asarray(b).ravel())
                what = model.operators[0].type if len(model.operators) == 1 else "model"
                assert bad.size == 0, (
                    f"{prefix} ({what}): sample {k} output {o}: {bad.size} of {a.size} differ, "
                    f"first #{bad[0]}: "
                    f"{a.ravel()[bad[0]]} expected, {b.ravel()[bad[0]]} on QEMU")


def _shared_entries(n_samples=3):
    entries = []
    for i, name in enumerate(MODEL_NAMES):
        model = load_model(MODELS[name].read_bytes())
        rng = np.random.default_rng(100 + i)
        entries.append((f"shared{i}", model, [random_inputs(model, rng)
                                              for _ in range(n_samples)]))
    return entries


def _sweep_entries(per_op, base_seed, samples=2):
    gens = all_generators()
    entries = []
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        for k in range(per_op):
            rng = np.random.default_rng(base_seed + k)
            model = load_model(gens[op](rng))
            entries.append((f"{op.lower()}_{k}", model,
                            [random_inputs(model, rng) for _ in range(samples)]))
    return entries


def _edge_entries():
    """Single ops aimed at the paths random models reach rarely: accumulators beyond 2^30
    (no small_acc; the checked requantisation), multipliers above one (positive shifts),
    a per-tensor FC weight zero point, odd pixel / channel counts around the blocks."""
    rng = np.random.default_rng(77)
    out = []

    def conv(shape, oc, k, big_bias=False, out_scale=0.5, op="CONV_2D", **kw):
        b = ModelBuilder()
        n, h, w, c = shape
        x = b.activation(shape, scale=0.02, zero_point=5)
        if op == "CONV_2D":
            wv = rng.integers(-127, 128, size=(oc, k, k, c)).astype(np.int8)
            wq = b.constant(wv, scales=np.full(oc, 0.01), zero_points=[0] * oc,
                            quantized_dimension=0)
        else:
            wv = rng.integers(-127, 128, size=(1, k, k, oc)).astype(np.int8)
            wq = b.constant(wv, scales=np.full(oc, 0.01), zero_points=[0] * oc,
                            quantized_dimension=3)
        bias = rng.integers(-3000, 3000, size=oc).astype(np.int64)
        if big_bias:
            bias = bias + np.where(np.arange(oc) % 2 == 0, (1 << 30) + 12345, -(1 << 30) - 999)
        bq = b.constant(bias.astype(np.int32), scales=np.full(oc, 0.0002), zero_points=[0] * oc)
        oh = -(-h // kw.get("stride_h", 1))
        ow = -(-w // kw.get("stride_w", 1))
        y = b.activation((n, oh, ow, oc), scale=out_scale, zero_point=-3)
        opts = dict(padding="SAME", stride_h=1, stride_w=1, fused_activation_function="NONE")
        opts.update(kw)
        if op == "DEPTHWISE_CONV_2D":
            opts["depth_multiplier"] = oc // c
        b.op(op, [x, wq, bq], [y], **opts)
        return load_model(b.build([x], [y]))

    out.append(conv((1, 5, 3, 8), 6, 3, big_bias=True, out_scale=2e5))
    out.append(conv((1, 4, 4, 8), 8, 3, big_bias=True, out_scale=2e5, op="DEPTHWISE_CONV_2D"))
    out.append(conv((1, 3, 3, 5), 7, 1, out_scale=1e-4))        # multipliers > 1
    out.append(conv((1, 3, 5, 6), 6, 3, out_scale=1e-4, op="DEPTHWISE_CONV_2D"))
    out.append(conv((1, 3, 3, 17), 67, 1, stride_h=2, stride_w=2))   # odd pixels, 67 channels
    out.append(conv((1, 7, 6, 68), 68, 3, op="DEPTHWISE_CONV_2D",
                    fused_activation_function="RELU6"))
    # per-tensor FC with a weight zero point (the reference row), and a plain one
    for w_zp in (-7, 0):
        b = ModelBuilder()
        x = b.activation((2, 37), scale=0.03, zero_point=-9)
        wv = rng.integers(-120, 121, size=(9, 37)).astype(np.int8)
        wq = b.constant(wv, scales=[0.004], zero_points=[w_zp])
        bq = b.constant(rng.integers(-500, 500, 9).astype(np.int32), scales=[0.00012])
        y = b.activation((2, 9), scale=0.05, zero_point=3)
        b.op("FULLY_CONNECTED", [x, wq, bq], [y], fused_activation_function="RELU")
        out.append(load_model(b.build([x], [y])))
    entries = []
    for i, m in enumerate(out):
        r = np.random.default_rng(200 + i)
        entries.append((f"edge{i}", m, [random_inputs(m, r) for _ in range(2)]))
    return entries


def test_dsp_shared_models_bit_exact_on_qemu(tmp_path):
    _need_qemu()
    entries = _shared_entries()
    _assert_bit_exact(entries, run_on_qemu(entries, icount=False, work_dir=tmp_path))


def test_dsp_sweep_and_edge_models_bit_exact_on_qemu(tmp_path):
    _need_qemu()
    entries = _sweep_entries(50, 31000) + _edge_entries()
    _assert_bit_exact(entries, run_on_qemu(entries, icount=False, work_dir=tmp_path))


@pytest.mark.parametrize("variant", ["O0-intrinsics", "O2", "portable"])
def test_other_arm_builds_bit_exact_on_qemu(variant, tmp_path):
    """-O0 runs the ACLE-intrinsics loops instead of the written-out ones; -O2 another
    register allocation; -DTFLM_PY_PORTABLE the portable C on the Cortex-M4."""
    _need_qemu()
    entries = _shared_entries(2)[:3] + _sweep_entries(15, 41000 + len(variant)) + _edge_entries()
    opt = {"O0-intrinsics": "-O0", "O2": "-O2", "portable": "-Os"}[variant]
    res = run_on_qemu(entries, portable=variant == "portable", opt=opt, icount=False,
                      work_dir=tmp_path)
    _assert_bit_exact(entries, res, oracle=False)


# ------------------------------------------------------------------ tflm-py bench

@pytest.mark.parametrize("board", ["qemu-mps2-an386", "host"])
def test_bench_command_counts_layers_and_names_the_class(board, tmp_path, capsys):
    import json
    from tflm_py.cli import main
    _need_qemu() if board != "host" else _need("gcc", "valgrind")
    labels = tmp_path / "labels.txt"
    labels.write_text("silence\nunknown\nyes\nno\n")
    path = str(MODELS["micro_speech_quantized"] if board != "host" else MODELS["hello_world_int8"])
    args = ["bench", path, "--board", board, "--json"]
    if board != "host":
        args += ["--labels", str(labels)]
    assert main(args) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["bit_exact"] and r["instructions"] > 0 and r["macs"] > 0
    assert r["unit"].startswith("instructions")
    layers = [ly for ly in r["layers"] if ly["macs"]]
    assert layers and all(ly["instructions"] > 0 for ly in layers)
    if board != "host":
        assert r["instructions_per_mac"] < 6       # the DSP kernels, not the reference loops
        assert r["top1"]["label"] in ("silence", "unknown", "yes", "no")
    # text mode, the portable kernels
    assert main(["bench", path, "--board", board, "--portable", "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "instructions per inference" in out and "top layers" in out
    assert "portable kernels" in out
