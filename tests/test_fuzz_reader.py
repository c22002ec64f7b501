"""Fuzzing the reader in CI: mutated real models end as a valid Model (all tensor views inside
the file, indices in range, inspect works) or a one-line ModelError; never another exception,
never a hang (each case runs under a time limit). scripts/fuzz_reader.py runs 100,000+."""
from collections import Counter

import numpy as np
import pytest

from conftest import MODELS, MODEL_NAMES
from tflm_py.fuzz import INTERESTING_U32, Seed, mutate, run_case

TIME_LIMIT = 3.0   # seconds per case; a real model loads in a few ms


@pytest.fixture(scope="module")
def seeds():
    return [Seed(MODELS[n].read_bytes(), n) for n in MODEL_NAMES]


def _report(outcomes):
    counts = Counter(o.kind for o, _ in outcomes)
    bad = [(o, what) for o, what in outcomes if o.kind in ("crash", "hang")]
    msg = "\n".join(f"{o.kind}: {o.detail}  [{what}]" for o, what in bad[:10])
    assert not bad, f"{len(bad)} bad cases of {len(outcomes)} ({dict(counts)}):\n{msg}"
    return counts


@pytest.mark.parametrize("block", range(4))
def test_random_mutations(seeds, block):
    outcomes = []
    for i in range(block * 100, block * 100 + 100):
        data, what = mutate(seeds, np.random.default_rng([2024, i]))
        outcomes.append((run_case(data, TIME_LIMIT), what))
    counts = _report(outcomes)
    assert counts["error"] > 0


def test_every_structure_word_of_hello_world(seeds):
    """Overwrite each aligned word outside the weight bytes with extreme values."""
    seed = next(s for s in seeds if s.name == "hello_world_int8")
    words = sorted({int(p) & ~3 for p in seed.structure})
    rng = np.random.default_rng(7)
    outcomes = []
    for p in words:
        if p + 4 > len(seed.data):
            continue
        for v in (0xFFFFFFFF, len(seed.data), int(rng.choice(INTERESTING_U32))):
            b = bytearray(seed.data)
            b[p:p + 4] = v.to_bytes(4, "little")
            outcomes.append((run_case(bytes(b), TIME_LIMIT, inspect=False), f"word@{p}={v:#x}"))
    counts = _report(outcomes)
    assert counts["error"] > len(words)


def test_truncations(seeds):
    outcomes = []
    for seed in seeds:
        n = len(seed.data)
        cuts = {0, 1, 4, 8, 15, 16, 17, n - 1, n - 4} | set(range(0, n, max(n // 40, 1)))
        for cut in sorted(cuts):
            out = run_case(seed.data[:cut], TIME_LIMIT, inspect=False)
            outcomes.append((out, f"{seed.name}[:{cut}]"))
            assert out.kind == "error", (cut, out)
    _report(outcomes)


def test_time_limit_catches_a_hang(monkeypatch):
    """The harness itself: a reader that never returns is reported as a hang."""
    import tflm_py.fuzz as fz

    def forever(data):
        while True:
            pass
    monkeypatch.setattr(fz, "load_model", forever)
    out = fz.run_case(b"x" * 20, time_limit=0.2)
    assert out.kind == "hang"


def test_harness_flags_crashes(monkeypatch):
    import tflm_py.fuzz as fz

    def boom(data):
        raise IndexError("deep inside")
    monkeypatch.setattr(fz, "load_model", boom)
    out = fz.run_case(b"x" * 20)
    assert out.kind == "crash" and "IndexError" in out.detail
