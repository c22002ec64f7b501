#!/usr/bin/env python3
"""Arena size per model: ours (the fast plan the generator uses by default, in-place on /
off; and --optimize ram's smallest arena), the liveness bound, and TFLM's arena as measured
live with PyPI tflite-micro (head = planned tensors and scratch, total = head + the
persistent tail of interpreter structures). The fast plan keeps every kernel's scratch: it
must still not grow the arena past TFLM's head.

    python scripts/bench_memory.py tests/data/models/*.tflite [--align 16] [--json]

Exit status 1 when our (fast) arena is above TFLM's head or above the no-in-place bound.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tflm_py.oracle import arena_allocations  # noqa: E402
from tflm_py import load_model  # noqa: E402
from tflm_py.plan_verify import verify_plan  # noqa: E402
from tflm_py.planner import plan  # noqa: E402


def tflm_arena(path: str) -> dict:
    """{'total', 'head', 'tail'} bytes from TFLM's RecordingMicroAllocator."""
    return arena_allocations(path)


def measure(path: str, align: int = 16) -> dict:
    model = load_model(path)
    on = plan(model, align=align, inplace=True)
    off = plan(model, align=align, inplace=False)
    small = plan(model, align=align, inplace=True, optimize="ram")
    verify_plan(model, on)
    verify_plan(model, off)
    verify_plan(model, small)
    tf = tflm_arena(path)
    return {"model": os.path.basename(path), "ours": on.arena_bytes,
            "ours_no_inplace": off.arena_bytes, "ours_ram": small.arena_bytes,
            "fast_extra": on.arena_bytes - small.arena_bytes, "bound": on.lower_bound_bytes,
            "no_inplace_bound": on.no_inplace_bound_bytes, "strategy": on.strategy,
            "gap": on.gap_bytes, "scratch": sum(b for _, b in on.scratch.values()),
            "tflm_head": tf["head"], "tflm_total": tf["total"], "tflm_tail": tf["tail"],
            "ok": on.arena_bytes <= tf["head"] and on.arena_bytes <= on.no_inplace_bound_bytes}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", metavar="MODEL")
    ap.add_argument("--align", type=int, default=16)
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    a = ap.parse_args(argv)
    rows = []
    for p in a.models:
        try:
            rows.append(measure(p, a.align))
        except RuntimeError as e:     # TFLM cannot allocate it (an op it lacks): no head
            print(f"skipped {os.path.basename(p)}: {e}", file=sys.stderr)
    if a.json:
        print(json.dumps(rows, indent=1))
    else:
        cols = ("model", "ours", "ours ram", "fast-ram", "no-inpl.", "bound", "gap", "no-inpl. bound", "scratch",
                "TFLM head", "TFLM total", "ours/head", "ours/total", "ok")
        table = []
        for r in rows:
            table.append((r["model"], f"{r['ours']:,}", f"{r['ours_ram']:,}",
                          f"{r['fast_extra']:,}", f"{r['ours_no_inplace']:,}",
                          f"{r['bound']:,}", f"{r['gap']:,}", f"{r['no_inplace_bound']:,}",
                          f"{r['scratch']:,}",
                          f"{r['tflm_head']:,}", f"{r['tflm_total']:,}",
                          f"{r['ours'] / max(r['tflm_head'], 1):.3f}",
                          f"{r['ours'] / max(r['tflm_total'], 1):.3f}",
                          "yes" if r["ok"] else "NO"))
        w = [max(len(c), *(len(t[i]) for t in table)) for i, c in enumerate(cols)]
        print("  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(cols)))
        print("  ".join("-" * x for x in w))
        for t in table:
            print("  ".join(v.rjust(w[i]) if i else v.ljust(w[i]) for i, v in enumerate(t)))
        print("\nours = tflm_py arena (fast plan: every kernel keeps its scratch, in-place on), "
              "ours ram = --optimize ram,\nfast-ram = what the fast kernels cost in arena; "
              "no-inpl. = in-place off; bound = liveness "
              "lower bound of our order, gap = ours - bound;\nscratch = bytes of scratch our "
              "rooms ask for (inside ours); TFLM head = TFLM's planned arena (reference\n"
              "kernels), total = head + persistent tail (64-bit host).")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
