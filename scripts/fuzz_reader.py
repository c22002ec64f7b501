#!/usr/bin/env python3
"""Fuzz the .tflite reader: mutate the shared models and count the outcomes.

    python scripts/fuzz_reader.py [-n 100000] [--jobs 2] [--seed 0] [--time-limit 2]

Every mutated file must end as a valid Model (whose invariants hold and which `inspect`
handles) or as a clean ModelError; anything else is a crash, and a case running past the
time limit is a hang. Prints progress, then the counts and the first distinct crashes/hangs.
Exit code 1 when there was any crash or hang.
"""
from __future__ import annotations

import argparse
import glob
import multiprocessing as mp
import os
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from tflm_py.fuzz import Seed, mutate, run_case  # noqa: E402

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.environ.get("TFLM_PY_MODELS") or os.path.join(_HERE, "tests", "data", "models")
_seeds = None
_args = None


def _init(paths, args):
    global _seeds, _args
    _seeds = [Seed(open(p, "rb").read(), os.path.basename(p)) for p in paths]
    _args = args


def _chunk(bounds):
    start, stop = bounds
    counts = Counter()
    bad = []
    errors = Counter()
    rooms = Counter()
    for i in range(start, stop):
        rng = np.random.default_rng([_args.seed, i])
        data, what = mutate(_seeds, rng)
        out = run_case(data, _args.time_limit, inspect=not _args.no_inspect)
        counts[out.kind] += 1
        if out.kind == "error":
            errors[_shape_of(out.detail)] += 1
        elif out.kind in ("crash", "hang"):
            bad.append((i, out.kind, out.detail, what))
        for prob in out.room_problems:
            rooms[_shape_of(prob)] += 1
    return counts, bad, errors, rooms


def _shape_of(msg: str) -> str:
    """An error message with its numbers removed, to count kinds of errors."""
    import re
    return re.sub(r"\b\d+\b", "N", re.sub(r"b'[^']*'|\"[^\"]*\"|\([^)]*\)", "", msg))[:90]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=100_000, help="number of mutated files (default 100000)")
    p.add_argument("--jobs", "-j", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--time-limit", type=float, default=2.0, help="seconds per case (default 2)")
    p.add_argument("--no-inspect", action="store_true", help="do not run inspect on valid models")
    p.add_argument("--models", default=MODELS, help="folder of seed .tflite models")
    args = p.parse_args(argv)
    paths = sorted(glob.glob(os.path.join(args.models, "*.tflite")))
    if not paths:
        print(f"error: no .tflite models in {args.models}", file=sys.stderr)
        return 2
    step = 500
    chunks = [(a, min(a + step, args.n)) for a in range(0, args.n, step)]
    counts, bad, errors, rooms = Counter(), [], Counter(), Counter()
    t0 = time.time()
    print(f"fuzzing the reader: {args.n} cases from {len(paths)} models, {args.jobs} jobs",
          flush=True)
    with mp.Pool(args.jobs, initializer=_init, initargs=(paths, args)) as pool:
        done = 0
        for c, b, e, r in pool.imap_unordered(_chunk, chunks):
            counts.update(c)
            errors.update(e)
            rooms.update(r)
            bad += b
            done += sum(c.values())
            if done % 10_000 < step or done == args.n:
                rate = done / max(time.time() - t0, 1e-9)
                print(f"  {done:>8} cases  {rate:7.0f}/s  valid {counts['valid']}  errors "
                      f"{counts['error']}  crashes {counts['crash']}  hangs {counts['hang']}",
                      flush=True)
    dt = time.time() - t0
    print(f"\n{args.n} cases in {dt:.0f} s ({args.n / dt:.0f}/s)")
    print(f"  accepted valid: {counts['valid']}")
    print(f"  clean errors:   {counts['error']}")
    print(f"  crashes:        {counts['crash']}")
    print(f"  hangs:          {counts['hang']}")
    print("\nmost frequent error messages (numbers as N):")
    for msg, k in errors.most_common(12):
        print(f"  {k:>7}  {msg}")
    if rooms:
        print("\nop rooms failing on accepted (mutated) models with something else than "
              "ModelError\n(inspect survives these; they are the rooms' to fix):")
        for msg, k in rooms.most_common(12):
            print(f"  {k:>7}  {msg}")
    if bad:
        print("\nfirst distinct crashes/hangs (case, kind, detail, mutation):")
        seen = set()
        for i, kind, detail, what in sorted(bad):
            key = detail.split(":")[0:2].__str__()
            if key in seen:
                continue
            seen.add(key)
            print(f"  #{i} {kind}: {detail}\n      ({what})")
            if len(seen) >= 10:
                break
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
