#!/usr/bin/env python3
"""How fast the Python side is, per model in one run: the simulator's time per inference
beside TFLM's Python interpreter (PyPI tflite-micro) on the same inputs, and the planner's
time per plan.     usage: scripts/bench_tools.py [MODEL ...] (default: tests/data/models)"""
import argparse
import glob
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import numpy as np  # noqa: E402

from tflm_py import load_model  # noqa: E402
from tflm_py.oracle import Oracle  # noqa: E402
from tflm_py.planner import plan  # noqa: E402
from tflm_py.simulator import Simulator  # noqa: E402
from tflm_py.sweep import random_inputs  # noqa: E402


def best_of(fn, runs):
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    here = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "models")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", default=sorted(glob.glob(os.path.join(here, "*.tflite"))))
    ap.add_argument("--runs", type=int, default=10)
    a = ap.parse_args()
    print(f"{'model':<28}{'MACs':>11}{'simulate ms':>13}{'TFLM ms':>10}{'plan ms':>10}")
    for path in a.models:
        m = load_model(path)
        xs = random_inputs(m, np.random.default_rng(0))
        sim = Simulator(m)
        oracle = Oracle(m.data)
        from tflm_py import ops
        macs = sum(ops.room(op.type).macs(op, m) for op in m.operators)
        t_sim = best_of(lambda: sim.run(xs), a.runs)
        t_tflm = best_of(lambda: oracle.run(xs), a.runs)
        t_plan = best_of(lambda: plan(m), max(1, a.runs // 3))
        print(f"{os.path.basename(path):<28}{macs:>11,}{t_sim * 1e3:>13.2f}{t_tflm * 1e3:>10.2f}"
              f"{t_plan * 1e3:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
