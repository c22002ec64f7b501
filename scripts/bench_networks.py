#!/usr/bin/env python3
"""The whole-network stand-ins (tflm_py/testgen/networks.py) side by side: size, work,
bit-exactness (TFLM == simulator == generated C) and arena (ours vs TFLM's).

    python scripts/bench_networks.py [NAME ...] [--seed 0] [--samples 5] [--no-c] [--json]

Columns: ops, MACs, weights (constant bytes), match (yes / no / error), our arena
(tflm_py.planner.plan(model).arena_bytes) and its liveness lower bound, TFLM's arena head
(planned tensors + scratch) and total (head + persistent interpreter structures), both read
from PyPI tflite-micro's print_allocations(). Exit status 1 if any network does not match.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from tflm_py import load_model, ops  # noqa: E402
from tflm_py.oracle import arena_allocations, run_oracle  # noqa: E402
from tflm_py.simulator import Simulator  # noqa: E402
from tflm_py.sweep import random_inputs  # noqa: E402
from tflm_py.testgen.networks import NETWORKS  # noqa: E402


def _same(a_list, b_list) -> bool:
    return all(np.array_equal(np.asarray(x), np.asarray(y))
               for a, b in zip(a_list, b_list) for x, y in zip(a, b))


def measure(name: str, seed: int = 0, n_samples: int = 5, with_c: bool = True) -> dict:
    t0 = time.time()
    data = NETWORKS[name](np.random.default_rng(seed))
    model = load_model(data)
    row = {"network": name, "ops": len(model.operators),
           "macs": sum(int(ops.room(op.type).macs(op, model)) for op in model.operators),
           "weights": sum(t.nbytes for t in model.tensors if t.data is not None),
           "model_bytes": len(data)}
    rng = np.random.default_rng(seed + 1)
    samples = [random_inputs(model, rng) for _ in range(n_samples)]
    try:
        expected = run_oracle(data, samples)
        sim = Simulator(model)
        got = [sim.run(s) for s in samples]
        ok = _same(expected, got)
        row["sim_eq_tflm"] = ok
        if with_c:
            from tflm_py.hostbuild import run_host
            c_out = run_host(model, samples)
            row["c_eq_sim"] = _same(got, c_out)
            ok = ok and row["c_eq_sim"]
        row["match"] = "yes" if ok else "no"
    except Exception as e:  # report and go on with the other networks
        row["match"] = "error"
        row["error"] = f"{type(e).__name__}: {e}"[:500]
    try:
        from tflm_py.planner import plan
        p = plan(model)
        row["our_arena"] = p.arena_bytes
        row["our_bound"] = p.lower_bound_bytes
    except ImportError:
        row["our_arena"] = row["our_bound"] = None
    except Exception as e:
        row["our_arena"] = row["our_bound"] = None
        row["plan_error"] = f"{type(e).__name__}: {e}"[:300]
    fd, path = tempfile.mkstemp(suffix=".tflite")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        tf = arena_allocations(path)
    finally:
        os.unlink(path)
    row["tflm_head"] = tf.get("head")
    row["tflm_total"] = tf.get("total")
    row["seconds"] = round(time.time() - t0, 2)
    return row


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, int) and v >= 10000:
        return f"{v:,}"
    return str(v)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", metavar="NAME", help=f"default: all of {list(NETWORKS)}")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--no-c", action="store_true", help="skip building and running the C")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    names = a.names or list(NETWORKS)
    unknown = [n for n in names if n not in NETWORKS]
    if unknown:
        ap.error(f"unknown network(s) {unknown}; known: {list(NETWORKS)}")
    rows = []
    cols = ["network", "ops", "macs", "weights", "match", "our_arena", "our_bound",
            "tflm_head", "tflm_total", "seconds"]
    heads = ["network", "ops", "MACs", "weights B", "TFLM==sim==C", "our arena B",
             "bound B", "TFLM head B", "TFLM total B", "s"]
    if not a.json:
        print("  ".join(f"{h:>{24 if i == 0 else 12}}" for i, h in enumerate(heads)), flush=True)
    for n in names:
        r = measure(n, a.seed, a.samples, not a.no_c)
        rows.append(r)
        if not a.json:
            print("  ".join(f"{_fmt(r.get(c)):>{24 if i == 0 else 12}}"
                            for i, c in enumerate(cols)), flush=True)
            for k in ("error", "plan_error"):
                if k in r:
                    print(f"    {k}: {r[k]}")
    if a.json:
        print(json.dumps(rows, indent=1))
    return 0 if all(r["match"] == "yes" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
