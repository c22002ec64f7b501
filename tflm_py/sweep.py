"""The per-op sweep: random single-op models from tflm_py/testgen/*, run through TFLM (the
oracle), the simulator and (optionally) the generated C; every element must agree."""
from __future__ import annotations

import importlib
import pkgutil
from typing import Callable

import numpy as np

from . import testgen
from .passes import load_model
from .simulator import Simulator

SAMPLES_PER_MODEL = 3


def all_generators() -> dict[str, Callable[[np.random.Generator], bytes]]:
    gens: dict[str, Callable] = {}
    for info in sorted(pkgutil.iter_modules(testgen.__path__), key=lambda i: i.name):
        mod = importlib.import_module(f"{testgen.__name__}.{info.name}")
        gens.update(getattr(mod, "GENERATORS", {}))
    return dict(sorted(gens.items()))


def random_inputs(model, rng: np.random.Generator) -> list[np.ndarray]:
    xs = []
    for t_idx in model.inputs:
        t = model.tensors[t_idx]
        if np.issubdtype(t.dtype, np.integer):
            info = np.iinfo(t.dtype)
            lo, hi = max(info.min, -(1 << 15)), min(info.max, (1 << 15) - 1)
            xs.append(rng.integers(lo, hi + 1, size=t.shape, dtype=np.int64).astype(t.dtype))
        elif t.dtype == np.bool_:
            xs.append(rng.integers(0, 2, size=t.shape).astype(np.bool_))
        else:
            xs.append((rng.standard_normal(t.shape) * 4).astype(t.dtype))
    return xs


def run_case(op_name: str, seed: int, with_c: bool = True, sanitize: bool = False,
             samples: int = SAMPLES_PER_MODEL) -> dict:
    """One random model of `op_name`: returns counts of differing elements per comparison."""
    from .oracle import run_oracle
    rng = np.random.default_rng(seed)
    data = all_generators()[op_name](rng)
    model = load_model(data)        # through the graph passes, as users' models
    batch = [random_inputs(model, rng) for _ in range(samples)]
    expected = run_oracle(data, batch)
    sim = Simulator(model)
    got = [sim.run(s) for s in batch]
    res = {"op": op_name, "seed": seed, "elements": 0, "sim_mismatch": 0, "c_mismatch": 0,
           "first": None}

    def diff(a_list, b_list, key):
        for si, (a, b) in enumerate(zip(a_list, b_list)):
            for oi, (x, y) in enumerate(zip(a, b)):
                x = np.asarray(x).reshape(-1)
                y = np.asarray(y).reshape(-1)
                if key == "sim_mismatch":
                    res["elements"] += x.size
                if x.shape != y.shape:
                    res[key] += max(x.size, y.size)
                    continue
                bad = ~((x == y) | (np.isnan(x.astype(np.float64)) & np.isnan(y.astype(np.float64))))
                n = int(bad.sum())
                if n and res["first"] is None:
                    j = int(np.argmax(bad))
                    res["first"] = f"{key} sample {si} output {oi} element {j}: {x[j]} vs {y[j]}"
                res[key] += n

    diff(expected, got, "sim_mismatch")
    if with_c:
        from .hostbuild import run_host
        c_out = run_host(model, batch, sanitize=sanitize)
        diff(got, c_out, "c_mismatch")
    return res
