#!/usr/bin/env python3
"""Flash per model: the packed constants the firmware reads vs the whole .tflite it used to
carry, and the linked validation firmware for a board (stub port, -Os), constants + kernels +
glue.

    python scripts/bench_flash.py [--board nucleo_l4r5zi] [MODEL.tflite ...]

Without models: the shared real models (../shared/models). "whole .tflite" is what the same
firmware weighed when NAME_model_data held the file: flash - packed + tflite bytes.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tflm_py import boards, load_model  # noqa: E402
from tflm_py.report import size_report  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*")
    ap.add_argument("--board", default="nucleo_l4r5zi")
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
            parts = size_report(proj / "lib" / prefix, prefix)
        rows.append({"model": path.stem, "tflite": man["tflite_bytes"],
                     "constants": man["model_bytes"], "kernels": parts["kernels"]["flash"],
                     "glue": parts["rest"]["flash"], "firmware": fw,
                     "firmware_whole_tflite": fw - man["model_bytes"] + man["tflite_bytes"],
                     "over_constants": fw - man["model_bytes"]})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"board {args.board}; bytes; goal: firmware <= constants + 16384")
    hdr = ("model", "tflite", "constants", "kernels", "glue", "fw before", "fw now",
           "now-const")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for r in rows:
        print(f"| {r['model']} | {r['tflite']} | {r['constants']} | {r['kernels']} | "
              f"{r['glue']} | {r['firmware_whole_tflite']} | {r['firmware']} | "
              f"{r['over_constants']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
