#!/usr/bin/env python3
"""The Cortex-M4 DSP paths of ADD, SUB, MUL, SOFTMAX, AVERAGE_POOL_2D and MAX_POOL_2D (int8 and
int16) on the QEMU board against the simulator and TFLM: random single-op models from the
sweep generators, in batches of one firmware each.

    python scripts/sweep_eltwise_dsp.py [-n 600] [--seed 90000] [--portable] [--opt -Os]

Prints op x models x elements x mismatches; exit 1 on any mismatch.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from tflm_py.bench import run_on_qemu  # noqa: E402
from tflm_py.oracle import run_oracle  # noqa: E402
from tflm_py.reader import load_model  # noqa: E402
from tflm_py.simulator import Simulator  # noqa: E402
from tflm_py.sweep import all_generators, random_inputs  # noqa: E402

OPS = ("ADD", "SUB", "MUL", "SOFTMAX", "AVERAGE_POOL_2D", "AVERAGE_POOL_2D/int16",
       "MAX_POOL_2D", "MAX_POOL_2D/int16")


def samples_for(model, rng, k: int) -> list:
    """random inputs; every third sample squeezed into a narrow band (softmax terms near the
    maximum, pooling sums near the rounding ties), one sample at the type's extremes"""
    out = []
    for j in range(k):
        xs = random_inputs(model, rng)
        if j % 3 == 1:
            xs = [(x // int(rng.integers(2, 40)) + int(rng.integers(-60, 60))).astype(x.dtype)
                  if np.issubdtype(x.dtype, np.integer) else x for x in xs]
        elif j % 3 == 2:
            xs = [np.where(rng.random(x.shape) < 0.5, np.iinfo(x.dtype).min,
                           np.iinfo(x.dtype).max).astype(x.dtype) for x in xs]
        out.append(xs)
    return out


def run_batch(cases, portable=False, opt="-Os", oracle=True) -> list[dict]:
    """cases: [(op, seed)] -> per case {op, seed, elements, mismatches, oracle_mismatches}"""
    gens = all_generators()
    entries = []
    for op, seed in cases:
        rng = np.random.default_rng(seed)
        model = load_model(gens[op](rng))
        entries.append((f"c{len(entries)}", model, samples_for(model, rng, 3)))
    results = run_on_qemu(entries, portable=portable, opt=opt, icount=False)
    rows = []
    for (op, seed), (_, model, samples), res in zip(cases, entries, results):
        sim = Simulator(model)
        expected = [sim.run(s) for s in samples]
        ref = run_oracle(model.data, samples) if oracle else expected
        elements = bad = bad_ref = 0
        for e, r, got in zip(expected, ref, res["outputs"]):
            for eo, ro, go in zip(e, r, got):
                eo = np.asarray(eo).ravel()
                elements += eo.size
                bad += int(np.sum(np.asarray(go).ravel() != eo))
                bad_ref += int(np.sum(np.asarray(ro).ravel() != eo))
        rows.append({"op": op, "seed": seed, "elements": elements, "mismatches": bad,
                     "oracle_mismatches": bad_ref})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-n", type=int, default=600, help="models in all")
    ap.add_argument("--seed", type=int, default=90000)
    ap.add_argument("--batch", type=int, default=60, help="models per firmware")
    ap.add_argument("--portable", action="store_true", help="-DTFLM_PY_PORTABLE build")
    ap.add_argument("--opt", default="-Os")
    ap.add_argument("--ops", nargs="*", default=list(OPS))
    a = ap.parse_args()
    cases = [(a.ops[k % len(a.ops)], a.seed + k) for k in range(a.n)]
    rows = []
    t0 = time.time()
    for i in range(0, len(cases), a.batch):
        rows += run_batch(cases[i:i + a.batch], a.portable, a.opt)
        print(f"\r{len(rows)}/{len(cases)} models, {time.time() - t0:.0f} s", end="",
              file=sys.stderr)
    print(file=sys.stderr)
    print(f"{'op':<24}{'models':>8}{'elements':>11}{'QEMU≠sim':>10}{'sim≠TFLM':>10}")
    total = [0, 0, 0, 0]
    for op in a.ops:
        mine = [r for r in rows if r["op"] == op]
        s = [len(mine), sum(r["elements"] for r in mine), sum(r["mismatches"] for r in mine),
             sum(r["oracle_mismatches"] for r in mine)]
        total = [x + y for x, y in zip(total, s)]
        print(f"{op:<24}{s[0]:>8}{s[1]:>11}{s[2]:>10}{s[3]:>10}")
    print(f"{'total':<24}{total[0]:>8}{total[1]:>11}{total[2]:>10}{total[3]:>10}")
    for r in rows:
        if r["mismatches"] or r["oracle_mismatches"]:
            print(f"  mismatch: {r['op']} seed {r['seed']}: {r['mismatches']} vs simulator, "
                  f"{r['oracle_mismatches']} simulator vs TFLM")
    return 0 if total[2] == total[3] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
