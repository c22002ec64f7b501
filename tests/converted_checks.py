"""Checks shared by the converter-made corpora (tests/test_converted*.py): the simulator
against TFLM, host C against the simulator, a model TFLM cannot allocate against TFLite's
reference kernels' stored outputs, and a clean one-line refusal naming the op."""
from __future__ import annotations

import re

import numpy as np
import pytest

from tflm_py.errors import UnsupportedError
from tflm_py.hostbuild import run_host_many
from tflm_py.oracle import run_oracle
from tflm_py.ops import check_model
from tflm_py.simulator import Simulator


def assert_simulator_matches_tflm(data: bytes, model, samples, name: str) -> list:
    """Simulator == TFLM exactly on every sample; TFLM's outputs, flattened."""
    check_model(model)
    sim = Simulator(model)
    outs = []
    for want, s in zip(run_oracle(data, samples), samples):
        got = sim.run(s)
        assert len(got) == len(want)
        for w, g in zip(want, got):
            w = np.asarray(w).reshape(-1)
            assert np.array_equal(w, g.reshape(-1)), name
            outs.append(w)
    return outs


def assert_host_c_matches_simulator(names, models, samples, work_dir, sanitize=True):
    """One host build of all the models: generated C == simulator on every sample."""
    outs = run_host_many(models, samples, sanitize=sanitize, work_dir=work_dir)
    for name, m, smp, c_out in zip(names, models, samples, outs):
        sim = Simulator(m)
        for s, c in zip(smp, c_out):
            for g, h in zip(sim.run(s), c):
                assert np.array_equal(g.reshape(-1), np.asarray(h).reshape(-1)), name


def assert_beyond_tflm_matches_reference(data: bytes, model, ref_path, name: str):
    """TFLM fails to allocate the model (FILL with non-constant dims); the simulator equals
    the outputs TFLite's reference kernels gave, stored beside it (x, y)."""
    with pytest.raises(RuntimeError):
        run_oracle(data, [])
    check_model(model)
    ref = np.load(ref_path)
    sim = Simulator(model)
    for x, y in zip(ref["x"], ref["y"]):
        assert np.array_equal(sim.run([x])[0].reshape(-1), y.reshape(-1)), name


def assert_refused(data: bytes, model, op: str, phrase: str, tflm_runs: bool, samples):
    """check_model refuses in one line naming `op` and `phrase`; TFLM runs `samples` when
    tflm_runs, else it fails too."""
    with pytest.raises(UnsupportedError) as e:
        check_model(model)
    msg = str(e.value)
    assert "\n" not in msg
    m = re.match(r"op #\d+ ([A-Z0-9_]+)", msg)
    assert m and m.group(1) == op, msg
    assert phrase in msg, msg
    if tflm_runs:
        run_oracle(data, samples)
    else:
        with pytest.raises(RuntimeError):
            run_oracle(data, samples)
