"""End to end on the real models: TFLM == simulator == generated C (host, also ASan/UBSan)."""
import numpy as np
import pytest

from conftest import MODELS, MODEL_NAMES
from tflm_py import load_model
from tflm_py.hostbuild import run_host
from tflm_py.oracle import run_oracle
from tflm_py.simulator import Simulator
from tflm_py.sweep import random_inputs

N_SAMPLES = 20


def _samples(model, seed, n=N_SAMPLES):
    rng = np.random.default_rng(seed)
    return [random_inputs(model, rng) for _ in range(n)]


def _assert_equal(a_list, b_list, what):
    for s, (a, b) in enumerate(zip(a_list, b_list)):
        for o, (x, y) in enumerate(zip(a, b)):
            bad = np.flatnonzero(np.asarray(x).ravel() != np.asarray(y).ravel())
            assert bad.size == 0, (f"{what}: sample {s} output {o}: {bad.size} elements differ, "
                                   f"first #{bad[0]}: {np.asarray(x).ravel()[bad[0]]} vs "
                                   f"{np.asarray(y).ravel()[bad[0]]}")


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_simulator_matches_tflm(name):
    data = MODELS[name].read_bytes()
    model = load_model(data)
    samples = _samples(model, 1)
    expected = run_oracle(data, samples)        # state carries across samples in both
    sim = Simulator(model)
    got = [sim.run(s) for s in samples]
    _assert_equal(expected, got, "simulator vs TFLM")


@pytest.mark.parametrize("sanitize", [False, True], ids=["O2", "asan-ubsan"])
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_generated_c_matches_simulator_and_tflm(name, sanitize):
    data = MODELS[name].read_bytes()
    model = load_model(data)
    samples = _samples(model, 2)
    sim = Simulator(model)
    expected = [sim.run(s) for s in samples]
    got = run_host(model, samples, sanitize=sanitize)
    _assert_equal(expected, got, "generated C vs simulator")
    _assert_equal(run_oracle(data, samples), got, "generated C vs TFLM")


def test_a_wrong_simulator_is_caught(monkeypatch):
    """Change the rounding on purpose: the comparison with TFLM must notice."""
    from tflm_py import quant
    data = MODELS["kws_ref_model"].read_bytes()
    model = load_model(data)
    samples = _samples(model, 3, n=3)
    expected = run_oracle(data, samples)

    def truncating(x, exponent):  # plain arithmetic shift instead of round-half-away
        return np.asarray(x, dtype=np.int64) >> np.asarray(exponent, dtype=np.int64)

    monkeypatch.setattr(quant, "rounding_divide_by_pot", truncating)
    sim = Simulator(model)
    got = [sim.run(s) for s in samples]
    with pytest.raises(AssertionError):
        _assert_equal(expected, got, "perturbed simulator vs TFLM")
