"""Flash holds what the firmware reads: the generated bundle calls the one kernel entry each
layer needs (the variant chosen at generation time), so the linker's --gc-sections drops the
rest; --optimize flash builds the 3x3 depthwise records in RAM, bit-exact; the production
firmware of kws_ref_model stays within its constants + 16 KB (sizes from the linked
Cortex-M4 firmware, as scripts/bench_flash.py measures them)."""
from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

from conftest import MODELS
from tflm_py import load_model
from tflm_py.codegen import generate
from tflm_py.hostbuild import run_host
from tflm_py.ops import conv_2d as conv_room
from tflm_py.ops import depthwise_conv_2d as dw_room
from tflm_py.planner import plan
from tflm_py.simulator import Simulator
from tflm_py.sweep import random_inputs

ROOT = Path(__file__).resolve().parents[1]
_CALL = re.compile(r"\b(tflm_\w+)\(")


def _need(*tools):
    for t in tools:
        assert shutil.which(t), f"{t} not installed: run scripts/setup.sh"


def _bench_flash():
    spec = importlib.util.spec_from_file_location("bench_flash",
                                                  ROOT / "scripts" / "bench_flash.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _calls(bundle: Path, prefix: str) -> list:
    """The kernel entries the schedule calls, in order (tflm_ functions in NAME_invoke)."""
    text = (bundle / f"{prefix}.c").read_text()
    body = text[text.index(f"int {prefix}_invoke(void)"):]
    body = body[:body.index("\n}\n")]
    return [n for n in _CALL.findall(body) if not n.startswith("tflm_py_")]


def _expected_entries(model, p) -> list:
    """What each layer needs, from its own geometry and the plan (independent of emit)."""
    out = []
    for op in model.operators:
        granted = op.index in p.scratch
        if op.type == "CONV_2D":
            g = conv_room.prepare(op, model)
            fast = g.filter_c == g.input_c and granted
            out.append("tflm_conv_2d_fast_s8" if fast else "tflm_conv_2d_s8")
        elif op.type == "DEPTHWISE_CONV_2D":
            g = dw_room.prepare(op, model)
            if granted and dw_room._fast3x3(g):
                if p.optimize == "flash":
                    out.append("tflm_depthwise_conv_2d_3x3_records")
                out.append(f"tflm_depthwise_conv_2d_3x3_s{g.stride_w}_s8")
            else:
                out.append("tflm_depthwise_conv_2d_s8")
        elif op.type == "FULLY_CONNECTED":
            out.append("tflm_fully_connected_fast_s8")
    return out


def op_out_c(model, op):
    return model.tensors[op.outputs[0]].shape[-1]


def _kernel_calls(calls):
    keep = ("tflm_conv_2d", "tflm_depthwise_conv_2d", "tflm_fully_connected")
    return [c for c in calls if c.startswith(keep)]


def test_kws_bundle_calls_only_the_entries_its_layers_need(tmp_path):
    kws = load_model(MODELS["kws_ref_model"].read_bytes())
    for optimize in ("speed", "ram", "flash"):
        p = plan(kws, optimize=optimize)
        d = tmp_path / optimize
        man = generate(kws, d, prefix="kws", plan=p)
        calls = _kernel_calls(_calls(d, man["prefix"]))
        want = _expected_entries(kws, p)
        # the builders run once, before the schedule's first layer
        if optimize == "flash":
            built = [c for c in want if c.endswith("_records")]
            assert calls[:len(built)] == built, calls
            assert sorted(calls) == sorted(want), (optimize, calls, want)
        else:
            assert calls == want, (optimize, calls, want)
        text = (d / f"{man['prefix']}.c").read_text()
        if optimize == "speed":
            # the speed plan grants every scratch: no generic entry, no dw mult/shift arrays
            assert "tflm_conv_2d_s8(" not in text and "tflm_depthwise_conv_2d_s8(" not in text
            assert not re.search(r"kws_depthwise_conv_2d_\d+_(mult|shift)\b", text)
            assert re.search(r"static const int32_t kws_depthwise_conv_2d_\d+_records\[", text)
            # the FC reads its folded bias: the model's bias is not passed (nor packed)
            fc = re.search(r"tflm_fully_connected_fast_s8\(\s*&\w+,\s*[^,]+,\s*[^,]+,\s*(\w+),",
                           text)
            assert fc is not None and fc.group(1) == "NULL", fc
            fc_op = next(op for op in kws.operators if op.type == "FULLY_CONNECTED")
            assert fc_op.inputs[2] not in {c["tensor"] for c in man["constants"]}
        if optimize == "flash":
            # records in RAM (not const), the filters they are built from in the model data
            assert not re.search(r"static const int32_t kws_depthwise_conv_2d_\d+_records", text)
            assert re.search(r"static int32_t kws_depthwise_conv_2d_\d+_records\[576\];", text)
            # the manifest counts them (the board fit check adds them to RAM)
            assert man["ram_table_bytes"] == sum(4 * 9 * op_out_c(kws, op) for op in
                                                 kws.operators
                                                 if op.type == "DEPTHWISE_CONV_2D")
            assert man["table_bytes"] < stored_tables
        else:
            assert man["ram_table_bytes"] == 0
        if optimize == "speed":
            stored_tables = man["table_bytes"]
        if optimize == "ram":
            assert "tflm_depthwise_conv_2d_3x3" not in text


def test_linked_kws_firmware_holds_only_the_paths_its_layers_take(tmp_path):
    """On the Cortex-M4 every kws layer runs a fast path known when generating: the linked
    production firmware has no reference loop, no portable conv, no stride-2 or
    checked-condition 3x3 code; its flash is at most the constants + 16 KB, and with
    --optimize flash it is at most 40.8 KB."""
    _need("arm-none-eabi-gcc", "arm-none-eabi-nm")
    bf = _bench_flash()
    kws = load_model(MODELS["kws_ref_model"].read_bytes())
    speed = bf.production_firmware(kws, "nucleo_l4r5zi", tmp_path / "speed")
    syms = {name for _, name in bf.largest_symbols(str(speed["elf"]), 100000)}
    for gone in ("conv_reference", "fc_reference_row", "tflm_conv_2d_s8",
                 "tflm_fully_connected_s8", "tflm_depthwise_conv_2d_s8", "dw3_s2_r0",
                 "dw3_tail_r0", "dw3_out_row_c", "dw3_fast_ok"):
        assert not any(s == gone or s.startswith(gone + ".") for s in syms), gone
    for kept in ("tflm_conv_2d_fast_s8", "tflm_depthwise_conv_2d_3x3_s1_s8", "dw3_s1_r0",
                 "tflm_fully_connected_fast_s8"):
        assert kept in syms, kept
    assert speed["flash"] <= speed["constants"] + 16384, speed
    small = bf.production_firmware(kws, "nucleo_l4r5zi", tmp_path / "flash", "flash")
    assert small["flash"] <= 40800, small
    # the records moved to RAM: flash shrinks by about what RAM grows by, less the sources
    assert small["flash"] < speed["flash"] and small["ram"] > speed["ram"], (small, speed)
    assert small["ram"] - speed["ram"] <= 4 * 64 * 9 * 4 + 64, (small, speed)


def _dw_stride_models():
    """3x3 depthwise layers the ring takes, stride 1 and 2, odd widths (the tails), with and
    without bias, SAME and VALID."""
    from tflm_py.testing import ModelBuilder
    rng = np.random.default_rng(14)
    out = []
    # tall inputs: the ring (a few rows) fits under the tensors' own arena, so it is granted
    for (h, w, c, s, pad, bias) in ((40, 9, 16, 2, "SAME", True), (40, 7, 8, 1, "VALID", False),
                                    (41, 6, 12, 2, "VALID", True), (30, 5, 64, 1, "SAME", True)):
        b = ModelBuilder()
        x = b.activation((1, h, w, c), scale=0.02, zero_point=-3)
        wv = rng.integers(-127, 128, size=(1, 3, 3, c)).astype(np.int8)
        ws = rng.uniform(0.002, 0.01, c)
        wq = b.constant(wv, scales=ws, zero_points=[0] * c, quantized_dimension=3)
        ins = [x, wq]
        if bias:
            ins.append(b.constant(rng.integers(-3000, 3000, c).astype(np.int32),
                                  scales=ws * 0.02, zero_points=[0] * c))
        oh = -(-h // s) if pad == "SAME" else (h - 3) // s + 1
        ow = -(-w // s) if pad == "SAME" else (w - 3) // s + 1
        y = b.activation((1, oh, ow, c), scale=0.03, zero_point=2)
        b.op("DEPTHWISE_CONV_2D", ins, [y], version=3, padding=pad, stride_h=s, stride_w=s,
             depth_multiplier=1, fused_activation_function="NONE")
        out.append(load_model(b.build([x], [y])))
    return out


def test_optimize_flash_is_bit_exact_on_the_host(tmp_path):
    """The records built in RAM give the outputs the stored ones give: kws and stride-1/2
    layers, on the host's direct loops and on the ring's portable C (-DTFLM_DW3X3_RING),
    under ASan/UBSan; the same samples twice (the tables are built once)."""
    models = [load_model(MODELS["kws_ref_model"].read_bytes()), *_dw_stride_models()]
    for k, model in enumerate(models):
        p = plan(model, optimize="flash")
        assert any(op.type == "DEPTHWISE_CONV_2D" and op.index in p.scratch
                   for op in model.operators)
        rng = np.random.default_rng(300 + k)
        samples = [random_inputs(model, rng) for _ in range(3)]
        samples = samples + samples
        sim = Simulator(model)
        want = [sim.run(s) for s in samples]
        for flags in ((), ("-DTFLM_DW3X3_RING",)):
            got = run_host(model, samples, sanitize=True, plan=p, extra_flags=flags,
                           work_dir=str(tmp_path / f"m{k}{len(flags)}"))
            for s, (a, b) in enumerate(zip(want, got)):
                assert np.array_equal(a[0], b[0]), (k, flags, s)


def test_optimize_flash_is_bit_exact_on_qemu(tmp_path):
    """The Cortex-M4's written-out 3x3 loops read the records built in RAM: kws and the
    stride-1/2 layers against the simulator."""
    _need("qemu-system-arm", "arm-none-eabi-gcc")
    from tflm_py.bench import build_qemu_elf, parse_qemu_output, run_qemu
    models = [load_model(MODELS["kws_ref_model"].read_bytes()), *_dw_stride_models()]
    for k, model in enumerate(models):
        rng = np.random.default_rng(400 + k)
        samples = [random_inputs(model, rng) for _ in range(2)]
        entries = [(f"f{k}", model, samples)]
        wd = tmp_path / f"q{k}"
        elf = build_qemu_elf(entries, wd, plan=plan(model, optimize="flash"))
        res = parse_qemu_output(run_qemu(elf, icount=False, timeout=600), entries)
        sim = Simulator(model)
        for s, sample in enumerate(samples):
            want = sim.run(sample)[0]
            got = np.asarray(res[0]["outputs"][s][0]).reshape(want.shape)
            assert np.array_equal(got, want), (k, s, int(np.sum(got != want)))


def test_generate_report_shows_linked_constants_kernels_and_glue(tmp_path):
    """generate --report: the bundle linked with --gc-sections, constants + kernels + glue =
    total; the kernels' linked bytes are the functions its layers call, fewer than the
    objects hold."""
    _need("arm-none-eabi-gcc")
    from tflm_py.report import _sizes, size_report
    kws = load_model(MODELS["kws_ref_model"].read_bytes())
    man = generate(kws, tmp_path / "b", prefix="kws")
    rep = size_report(tmp_path / "b", man["prefix"])
    assert rep["linked"]
    assert rep["constants"]["flash"] == man["model_bytes"] + man["table_bytes"]
    assert rep["total"]["flash"] == (rep["constants"]["flash"] + rep["kernels"]["flash"]
                                     + rep["rest"]["flash"])
    objects = 0
    for src in sorted((tmp_path / "b" / "kernels").glob("*.c")):
        obj = tmp_path / (src.stem + ".o")
        subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
                        "-mfpu=fpv4-sp-d16", "-Os", "-std=c99", "-ffunction-sections",
                        "-fdata-sections", "-I", str(tmp_path / "b" / "kernels"), "-c",
                        str(src), "-o", str(obj)], check=True)
        objects += _sizes(obj)["flash"]
    assert 0 < rep["kernels"]["flash"] < objects, (rep["kernels"], objects)
    assert rep["total"]["ram"] == man["arena_bytes"] + man["state_bytes"], rep
    from tflm_py.commands.generate import format_report
    text = format_report(rep)
    for word in ("constants", "kernels", "glue", "linked"):
        assert word in text


def test_optimize_flash_on_a_board_counts_its_ram_tables(tmp_path, capsys):
    """generate --board --optimize flash: the project records the choice, the manifest the
    tables built in RAM, and the fit check adds them to the RAM needed (a board whose RAM
    leaves room for the speed project but not for those tables is refused, exit 2)."""
    import dataclasses
    import json
    from tflm_py import boards
    from tflm_py.cli import main as cli
    kws_path = MODELS["kws_ref_model"]
    kws = load_model(kws_path.read_bytes())
    assert cli(["generate", str(kws_path), "--board", "nucleo_l4r5zi", "--optimize", "flash",
                "-o", str(tmp_path / "f")]) == 0
    capsys.readouterr()
    info = boards.load_project(tmp_path / "f")
    man = json.loads((tmp_path / "f" / "lib" / info["prefix"] / "manifest.json").read_text())
    assert info["optimize"] == "flash"
    assert man["ram_table_bytes"] == 4 * 9 * 64 * 4
    fit = info["fit"]["ram"]
    assert fit["ram_tables"] == man["ram_table_bytes"]
    assert fit["needed"] == (fit["arena"] + fit["state"] + fit["ram_tables"] + fit["stack"]
                             + fit["firmware"] + fit["framework_estimate"])
    # a board with just the RAM the speed project needs
    speed = boards.make_project(kws, "nucleo_l4r5zi", tmp_path / "s")
    need = boards.load_project(speed)["fit"]["ram"]["needed"]
    tight = dataclasses.replace(boards.get_board("nucleo_l4r5zi"), ram_bytes=need)
    assert boards.fit_report(tight, man)["ram"]["fits"] is False
    sp = boards.load_project(speed)["prefix"]
    man_speed = json.loads((speed / "lib" / sp / "manifest.json").read_text())
    assert boards.fit_report(tight, man_speed)["ram"]["fits"] is True
