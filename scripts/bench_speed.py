#!/usr/bin/env python3
"""Speed, side by side, per model: TFLM's reference kernels against the generated code.

    python scripts/bench_speed.py tests/data/models/kws_ref_model.tflite ... [--json] [--runs N]

Per model, on one random input (seed 0):
* TFLM x86: instructions per MicroInterpreter::Invoke of PyPI tflite-micro, counted by
  valgrind callgrind (--toggle-collect='*MicroInterpreter::Invoke*') over N invokes.
* ours x86: instructions per <prefix>_invoke of the host build (gcc -O2: the portable C, the
  x86 fast path), callgrind as well; the ratio TFLM / ours; instructions per MAC of both.
* ours on qemu-mps2-an386 (Cortex-M4F, -Os as the firmware): the portable C
  (-DTFLM_PY_PORTABLE) and the DSP kernels, "instructions (QEMU icount)".
* flash of both Cortex-M4 -Os builds (tflm_py.report.size_report: model data + kernels +
  the rest) and of the kernels alone.
Every run's outputs are checked against the simulator (bit-exact column).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from tflm_py import load_model  # noqa: E402
from tflm_py.bench import QEMU_BOARD, bench, layer_macs, tflm_instructions  # noqa: E402
from tflm_py.codegen import generate  # noqa: E402
from tflm_py.report import size_report  # noqa: E402
from tflm_py.sweep import random_inputs  # noqa: E402


def measure(path: str, runs: int) -> dict:
    model = load_model(path)
    sample = random_inputs(model, np.random.default_rng(0))
    macs = sum(layer_macs(model).values())
    row = {"model": os.path.basename(path), "macs": macs}
    row["tflm_x86"] = tflm_instructions(model.data, sample, runs=runs)
    host = bench(model, board="host", sample=sample, runs=runs, profile=False)
    row["ours_x86"] = host["instructions"]
    dsp = bench(model, board=QEMU_BOARD, sample=sample, profile=False)
    port = bench(model, board=QEMU_BOARD, sample=sample, portable=True, profile=False)
    row["qemu_dsp"] = dsp["instructions"]
    row["qemu_portable"] = port["instructions"]
    row["bit_exact"] = bool(host["bit_exact"] and dsp["bit_exact"] and port["bit_exact"])
    tmp = tempfile.mkdtemp(prefix="tflm_py_speed_")
    try:
        man = generate(model, os.path.join(tmp, "b"), prefix="m")
        d = size_report(os.path.join(tmp, "b"), man["prefix"])
        p = size_report(os.path.join(tmp, "b"), man["prefix"], extra_flags=["-DTFLM_PY_PORTABLE"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    row["flash_dsp"], row["flash_portable"] = d["total"]["flash"], p["total"]["flash"]
    row["kernels_dsp"], row["kernels_portable"] = d["kernels"]["flash"], p["kernels"]["flash"]
    row["model_bytes"] = len(model.data)
    return row


def table(rows) -> str:
    def per_mac(n, r):
        return f"{n / r['macs']:.2f}" if r["macs"] else "-"
    head = ("| model | MACs | TFLM x86 instr | ours x86 instr | TFLM / ours | instr/MAC TFLM | "
            "instr/MAC ours x86 | M4 portable instr/MAC | M4 DSP instr/MAC | flash portable | "
            "flash DSP (x) | kernels portable / DSP | bit-exact |")
    lines = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['macs']:,} | {r['tflm_x86']:,} | {r['ours_x86']:,} | "
            f"{r['tflm_x86'] / r['ours_x86']:.1f}x | {per_mac(r['tflm_x86'], r)} | "
            f"{per_mac(r['ours_x86'], r)} | {per_mac(r['qemu_portable'], r)} "
            f"({r['qemu_portable']:,}) | {per_mac(r['qemu_dsp'], r)} ({r['qemu_dsp']:,}) | "
            f"{r['flash_portable']:,} | {r['flash_dsp']:,} "
            f"({r['flash_dsp'] / r['flash_portable']:.3f}) | "
            f"{r['kernels_portable']:,} / {r['kernels_dsp']:,} | "
            f"{'yes' if r['bit_exact'] else 'NO'} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help=".tflite files")
    ap.add_argument("--runs", type=int, default=3, help="invokes counted per model (default 3)")
    ap.add_argument("--json", action="store_true", help="print JSON rows instead of a table")
    args = ap.parse_args(argv)
    rows = []
    for path in args.models:
        print(f"measuring {path} ...", file=sys.stderr)
        rows.append(measure(path, args.runs))
    print(json.dumps(rows, indent=2) if args.json else table(rows))
    return 0 if all(r["bit_exact"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
