"""Check converter-made models against TFLM: for each .tflite, does TFLM run it, does tflm_py
accept it, simulator == TFLM on random inputs, host C == simulator (plans verified).

    PYTHONPATH=. python scripts/check_converted.py tests/data/converted2 [--no-c] [NAME...]

Prints one line per model: RUN-OK, REFUSED-OK (both refuse), or a problem."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from tflm_py import load_model
from tflm_py.errors import ModelError, UnsupportedError
from tflm_py.oracle import run_oracle
from tflm_py.ops import check_model
from tflm_py.simulator import Simulator


def _inputs(model, rng):
    xs = []
    for t_idx in model.inputs:
        t = model.tensors[t_idx]
        if t.dtype == np.int32:   # token ids
            xs.append(rng.integers(0, 50, t.shape).astype(np.int32))
        elif t.dtype == np.float32:
            xs.append(rng.normal(0, 1, t.shape).astype(np.float32))
        else:
            info = np.iinfo(t.dtype)
            xs.append(rng.integers(info.min, info.max + 1, t.shape, dtype=np.int64)
                      .astype(t.dtype))
    return xs


def check(path: Path, with_c: bool, n: int = 4) -> str:
    data = path.read_bytes()
    try:
        model = load_model(data)
    except (ModelError, UnsupportedError) as e:
        model, ours = None, f"load: {e}"
    else:
        try:
            check_model(model)
            ours = None
        except UnsupportedError as e:
            ours = str(e)
    rng = np.random.default_rng(7)
    samples = None
    try:
        if model is None:
            from tflm_py.reader import read_model
            raw = read_model(data)
            samples = [_inputs(raw, rng) for _ in range(n)]
        else:
            samples = [_inputs(model, rng) for _ in range(n)]
        want = run_oracle(data, samples)
        tflm = None
    except Exception as e:  # noqa: BLE001 - TFLM's refusals come as RuntimeError
        tflm = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:200]
    if tflm and ours:
        return f"REFUSED-OK  ours: {ours} | tflm: {tflm}"
    if tflm:
        return f"PROBLEM accepted but TFLM refuses: {tflm}"
    if ours:
        return f"PROBLEM refused but TFLM runs: {ours}"
    try:
        sim = Simulator(model)
        got = [sim.run(s) for s in samples]
    except Exception as e:  # noqa: BLE001
        return f"PROBLEM simulator crashed: {type(e).__name__}: {e}"[:300]
    bad = 0
    for w, g in zip(want, got):
        for a, b in zip(w, g):
            a = np.asarray(a).reshape(-1).astype(np.int64)
            b = np.asarray(b).reshape(-1).astype(np.int64)
            if a.shape != b.shape or not np.array_equal(a, b):
                bad += 1
                first = (np.abs(a - b).max() if a.shape == b.shape else "shape")
    if bad:
        return f"PROBLEM simulator != TFLM in {bad} outputs (max diff {first})"
    if with_c:
        from tflm_py.hostbuild import run_host
        from tflm_py.plan_verify import verify_plan
        from tflm_py.planner import plan
        try:
            verify_plan(model, plan(model))
            host = run_host(model, samples[:2], sanitize=True)
        except Exception as e:  # noqa: BLE001
            return f"PROBLEM host C: {type(e).__name__}: {str(e)[-300:]}"
        for g, h in zip(got, host):
            for a, b in zip(g, h):
                if not np.array_equal(a, b):
                    return "PROBLEM host C != simulator"
    return "RUN-OK"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--no-c", action="store_true")
    ap.add_argument("names", nargs="*")
    a = ap.parse_intermixed_args(argv)
    paths = sorted(Path(a.dir).glob("*.tflite"))
    if a.names:
        paths = [p for p in paths if p.stem in a.names]
    problems = 0
    for p in paths:
        r = check(p, not a.no_c)
        problems += r.startswith("PROBLEM")
        print(f"{p.stem:32s} {r}", flush=True)
    print(f"{len(paths)} models, {problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
