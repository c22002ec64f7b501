#!/usr/bin/env python3
"""Long per-op sweep: random single-op models through TFLM, the simulator and the generated C.
Prints a table op x cases x mismatches.   usage: scripts/sweep_ops.py [-n 2000] [--no-c] [-j 2]"""
import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from tflm_py.sweep import all_generators, run_case  # noqa: E402


def _one(args):
    op, seed, with_c = args
    try:
        return run_case(op, seed, with_c=with_c)
    except Exception as e:  # a crash is a finding: count it, keep sweeping
        return {"op": op, "seed": seed, "elements": 0, "sim_mismatch": 0, "c_mismatch": 0,
                "first": None, "error": f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-n", type=int, default=2000, help="total number of models")
    ap.add_argument("--no-c", action="store_true", help="oracle vs simulator only")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--seed", type=int, default=50000)
    ap.add_argument("--ops", nargs="*", help="only these ops")
    a = ap.parse_args()
    gens = [g for g in all_generators() if not a.ops or g in a.ops]
    per = -(-a.n // len(gens))
    jobs = [(op, a.seed + k, not a.no_c) for k in range(per) for op in gens]
    stats = {op: dict(cases=0, elements=0, sim=0, c=0, errors=0) for op in gens}
    firsts = []
    t0 = time.time()
    with ProcessPoolExecutor(a.j) as ex:
        futs = [ex.submit(_one, j) for j in jobs]
        for done, f in enumerate(as_completed(futs), 1):
            r = f.result()
            s = stats[r["op"]]
            s["cases"] += 1
            s["elements"] += r["elements"]
            s["sim"] += r["sim_mismatch"]
            s["c"] += r["c_mismatch"]
            if r.get("error"):
                s["errors"] += 1
                firsts.append(f"{r['op']} seed {r['seed']}: {r['error']}")
            elif r["first"]:
                firsts.append(f"{r['op']} seed {r['seed']}: {r['first']}")
            if done % 20 == 0 or done == len(jobs):
                print(f"\r{done}/{len(jobs)} models, {time.time() - t0:.0f} s", end="", file=sys.stderr)
    print(file=sys.stderr)
    print(f"{'op':<32}{'cases':>7}{'elements':>11}{'sim≠TFLM':>10}{'C≠sim':>8}{'errors':>8}")
    tot = dict(cases=0, elements=0, sim=0, c=0, errors=0)
    for op in gens:
        s = stats[op]
        for k in tot:
            tot[k] += s[k]
        print(f"{op:<32}{s['cases']:>7}{s['elements']:>11}{s['sim']:>10}"
              f"{'-' if a.no_c else s['c']:>8}{s['errors']:>8}")
    print(f"{'total':<32}{tot['cases']:>7}{tot['elements']:>11}{tot['sim']:>10}"
          f"{'-' if a.no_c else tot['c']:>8}{tot['errors']:>8}")
    for line in firsts[:20]:
        print("  first mismatch:", line)
    return 0 if tot["sim"] == tot["c"] == tot["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
