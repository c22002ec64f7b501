#!/usr/bin/env python3
"""Flash per model: the packed constants the firmware reads vs the whole .tflite it used to
carry, and the linked firmware for a board (stub port, -Os), constants + kernels + glue.

    python scripts/bench_flash.py [--board nucleo_l4r5zi] [--mlperf] [--symbols N] [MODEL ...]

Three firmwares: "production" (the tflm-py firmware as a user builds it: no profiling, no
validation checks; the issue's goal, <= constants + 16 KB), "validation" (what `tflm-py run`
flashes: -DTFLM_PY_PROFILE -DTFLM_PY_VALIDATION, per-layer CRCs and ticks) and, with
--mlperf, the MLPerf Tiny benchmark firmware (--protocol mlperf-tiny). "prod --optimize
flash": the production firmware generated with --optimize flash (tables a kernel can derive
built in RAM at the first invoke; "+RAM" is what those tables add to RAM).
Without models: the shared real models (../shared/models). "whole .tflite" is what the same
validation firmware weighed when NAME_model_data held the file: flash - packed + tflite bytes.
Constants = the packed model data + the tables beside it (the manifest's `tables`: weights
re-laid out for a kernel, per-channel requantization, lookup tables); kernels and glue (the
rest of NAME.c: schedule, parameter structs, API) as linked with --gc-sections
(tflm_py.report.size_report), so only the kernel entries the layers call count.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tflm_py import boards, load_model  # noqa: E402
from tflm_py.report import size_report  # noqa: E402


def _firmware(model, board, work: Path, protocol: str, checks=None) -> int:
    proj = boards.make_project(model, board, work / "p", check_fit=False, protocol=protocol)
    return boards.compile_check(proj, board, work / "build", checks=checks)["size"]["flash"]


def production_firmware(model, board, work: Path, optimize: str = "speed") -> dict:
    """The production firmware (no profiling, no validation checks) generated with
    `optimize`: {"flash", "ram", "constants", "elf"} in bytes (constants: the packed model
    data + the manifest's tables)."""
    proj = boards.make_project(model, board, work / "p", check_fit=False, optimize=optimize)
    prefix = boards.load_project(proj)["prefix"]
    man = json.loads((proj / "lib" / prefix / "manifest.json").read_text())
    built = boards.compile_check(proj, board, work / "build", checks=False)
    tables = sum(t["bytes"] for t in man.get("tables", []))
    return {"flash": built["size"]["flash"], "ram": built["size"]["ram"],
            "constants": man["model_bytes"] + tables, "elf": built["elf"]}


def largest_symbols(elf: str, n: int) -> list:
    """The n largest flash symbols (code and read-only data) of a linked firmware:
    [(bytes, name)], where the bytes go."""
    nm = "arm-none-eabi-nm"
    if n <= 0 or shutil.which(nm) is None:
        return []
    r = subprocess.run([nm, "-S", "--size-sort", "-t", "d", elf], capture_output=True,
                       text=True, timeout=60)
    rows = []
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tTrRwW":
            rows.append((int(parts[1]), parts[3]))
    return sorted(rows, reverse=True)[:n]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*")
    ap.add_argument("--board", default="nucleo_l4r5zi")
    ap.add_argument("--mlperf", action="store_true",
                    help="also the MLPerf Tiny benchmark firmware")
    ap.add_argument("--symbols", type=int, default=0, metavar="N",
                    help="also the N largest flash symbols of each production firmware")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    paths = [Path(m) for m in args.models] or sorted(
        p for p in (ROOT.parent / "shared" / "models").glob("*.tflite"))
    rows = []
    for path in paths:
        model = load_model(path)
        with tempfile.TemporaryDirectory() as tmp:
            proj = boards.make_project(model, args.board, Path(tmp) / "p", check_fit=False)
            prefix = boards.load_project(proj)["prefix"]
            man = json.loads((proj / "lib" / prefix / "manifest.json").read_text())
            fw = boards.compile_check(proj, args.board, Path(tmp) / "build")["size"]["flash"]
            built = boards.compile_check(proj, args.board, Path(tmp) / "build-prod",
                                         checks=False)
            prod = built["size"]["flash"]
            symbols = largest_symbols(built["elf"], args.symbols) if built["elf"] else []
            parts = size_report(proj / "lib" / prefix, prefix)
            mlperf = _firmware(model, args.board, Path(tmp) / "mlperf", "mlperf-tiny") \
                if args.mlperf else None
            speed = production_firmware(model, args.board, Path(tmp) / "speed")
            small = production_firmware(model, args.board, Path(tmp) / "flash", "flash")
        tables = parts["tables"]["flash"]
        const = man["model_bytes"] + tables
        rows.append({"model": path.stem, "tflite": man["tflite_bytes"],
                     "model_data": man["model_bytes"], "tables": tables, "constants": const,
                     "kernels": parts["kernels"]["flash"],
                     "glue": parts["rest"]["flash"], "firmware": fw,
                     "firmware_production": prod, "firmware_mlperf": mlperf,
                     "firmware_whole_tflite": fw - man["model_bytes"] + man["tflite_bytes"],
                     "over_constants": fw - const,
                     "production_over_constants": prod - const,
                     "goal_met": prod - const <= 16384,
                     "firmware_production_optimize_flash": small["flash"],
                     "optimize_flash_constants": small["constants"],
                     "optimize_flash_ram_added": small["ram"] - speed["ram"],
                     "largest_symbols": symbols})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"board {args.board}; bytes; goal: production firmware <= constants + 16384")
    hdr = ["model", "tflite", "model data", "tables", "constants", "kernels", "glue",
           "validation fw before",
           "validation fw now", "now-const", "production fw", "prod-const",
           "prod --optimize flash", "+RAM"]
    if args.mlperf:
        hdr.append("mlperf fw")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for r in rows:
        cells = [r["model"], r["tflite"], r["model_data"], r["tables"], r["constants"],
                 r["kernels"], r["glue"],
                 r["firmware_whole_tflite"], r["firmware"], r["over_constants"],
                 r["firmware_production"],
                 f"{r['production_over_constants']}{'' if r['goal_met'] else ' (over)'}",
                 r["firmware_production_optimize_flash"], r["optimize_flash_ram_added"]]
        if args.mlperf:
            cells.append(r["firmware_mlperf"])
        print("| " + " | ".join(str(c) for c in cells) + " |")
    for r in rows:
        if r["largest_symbols"]:
            print(f"\n{r['model']}: largest flash symbols of the production firmware")
            for size, name in r["largest_symbols"]:
                print(f"  {size:>7}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
