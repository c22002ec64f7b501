"""int16 LOGISTIC, TANH and SOFTMAX (TFLM's table paths) and the 16x8 LSTM: every int16 input against TFLM for
input scales on each branch of TFLM's Prepare (power of two, within CheckedLog2's tolerance
of one, just outside it, general, extremes), the generated C equal to the simulator, seeded
random SOFTMAX and 16x8 LSTM models (state carried across invokes), and the refusals of what TFLM refuses. The random sweep
(tests/test_sweep.py, scripts/sweep_ops.py) runs tflm_py/testgen/int16_act.py on top."""
from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import ROOT
from tflm_py import load_model, ops
from tflm_py.errors import UnsupportedError
from tflm_py.hostbuild import run_host_many
from tflm_py.oracle import run_oracle
from tflm_py.ops import _lut16
from tflm_py.simulator import Simulator
from tflm_py.sweep import all_generators, random_inputs, run_case
from tflm_py.testing import ModelBuilder

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int64).astype(np.int16)
Q15 = 1.0 / 32768

# input scales: exact powers of two (2^-12 and, for TANH, 2^-11 take the multiplier-3 path),
# inside / outside CheckedLog2's 1e-3 tolerance, general scales, tiny and large
SCALES = [2.0 ** -12, 2.0 ** -11, 2.0 ** -13, 2.0 ** -15, 2.0 ** -8,
          2.0 ** (-12 + 9e-4), 2.0 ** (-11 - 9e-4), 2.0 ** (-12 + 1.1e-3), 2.0 ** (-11 - 2e-3),
          1e-4, 3.0517e-5, 1.0 / 3000, 7.3e-4, 2.3e-7, 0.8, 2.0]


def _unary16(op_type, shape, in_scale, out_scale=Q15, in_zp=0, out_zp=0, **opts):
    b = ModelBuilder()
    x = b.activation(shape, np.int16, in_scale, in_zp)
    y = b.activation(shape, np.int16, out_scale, out_zp)
    b.op(op_type, [x], [y], **opts)
    return b.build(inputs=[x], outputs=[y])


@pytest.mark.parametrize("op_type", ["LOGISTIC", "TANH"])
def test_sigmoid_s16_all_inputs_match_tflm_and_c(op_type, tmp_path):
    models, samples, pots, distinct = [], [], set(), []
    for s in SCALES:
        s = float(np.float32(s))
        data = _unary16(op_type, (ALL_INT16.size,), s)
        m = load_model(data)
        ref = run_oracle(data, [[ALL_INT16]])[0][0]
        got = Simulator(m).run([ALL_INT16])[0]
        assert np.array_equal(got, ref), f"{op_type} scale {s!r}: simulator != TFLM"
        distinct.append(len(np.unique(got)))
        pots.add(_lut16.sigmoid_params(s, op_type == "TANH")[2])
        models.append(m)
        samples.append([[ALL_INT16]])
    assert pots == {True, False}
    assert sorted(distinct)[len(distinct) // 2] > 1000     # not a saturated staircase
    outs = run_host_many(models[:6], samples[:6], sanitize=True, work_dir=tmp_path)
    for m, out in zip(models, outs):
        want = Simulator(m).run([ALL_INT16])[0]
        assert np.array_equal(np.asarray(out[0][0]).ravel(), want.ravel()), op_type


def test_checked_log2_tolerance_decides_the_power_of_two_path():
    assert _lut16.sigmoid_params(2.0 ** -12, False) == (3, 0, True)
    assert _lut16.sigmoid_params(2.0 ** -11, True) == (6, 0, True)
    assert _lut16.sigmoid_params(2.0 ** -11, False)[2] is False    # LOGISTIC: 2^-12 only
    assert _lut16.sigmoid_params(float(np.float32(2.0 ** (-12 + 9e-4))), False)[2] is True
    assert _lut16.sigmoid_params(float(np.float32(2.0 ** (-12 + 1.1e-3))), False)[2] is False


def test_softmax_s16_random_models_match_tflm_and_c(tmp_path):
    gen = all_generators()["SOFTMAX/int16"]
    # and edge scalings: a left shift that wraps in int32 (as TFLM's does), a multiplier
    # below any difference, a negative and a zero beta
    edges = [(10.0, 1.0), (1e-9, 1.0), (1e-3, -1.0), (1e-3, 0.0)]
    models, samples = [], []
    for seed in range(10 + len(edges)):
        rng = np.random.default_rng(300 + seed)
        if seed < 10:
            data = gen(rng)
        else:
            scale, beta = edges[seed - 10]
            data = _unary16("SOFTMAX", (3, 17), float(np.float32(scale)), beta=beta)
        m = load_model(data)
        xs = [random_inputs(m, rng) for _ in range(2)]
        # rows with a narrow spread too, so that many outputs are well above zero
        xs.append([(x // 512).astype(np.int16) for x in random_inputs(m, rng)])
        sim = Simulator(m)
        for x, ref in zip(xs, run_oracle(data, xs)):
            assert np.array_equal(sim.run(x)[0], ref[0]), f"seed {300 + seed}"
        models.append(m)
        samples.append(xs)
    outs = run_host_many(models, samples, sanitize=True, work_dir=tmp_path)
    for m, smp, out in zip(models, samples, outs):
        sim = Simulator(m)
        for x, got in zip(smp, out):
            assert np.array_equal(np.asarray(got[0]).ravel(), sim.run(x)[0].ravel())


def test_softmax_s16_tables_match_tflm_through_one_hot_rows():
    """A row [v, min, min, ...] gives exp(0) and exp(-big): sweeping the input scale moves the
    scaled difference over the whole exp table, and the sum over the whole 1/(1+x) table."""
    rows = []
    for v in range(-32768, 32768, 97):
        rows.append([v] + [-32768] * 3)
    rows.append([0, 0, 0, 0])
    x = np.array(rows, dtype=np.int16)
    for scale in (1e-5, 4e-5, 1.5e-4, 1e-3):
        data = _unary16("SOFTMAX", x.shape, float(np.float32(scale)), beta=1.0)
        ref = run_oracle(data, [[x]])[0][0]
        assert np.array_equal(Simulator(load_model(data)).run([x])[0], ref), scale


def test_sigmoid_table_c_twin_equals_python():
    src = (ROOT / "kernels_c" / "sigmoid_s16.c").read_text()
    body = src[src.index("sigmoid_q16[256] = {"):]
    body = body[body.index("{") + 1:body.index("};")]
    assert tuple(int(v) for v in re.findall(r"\d+", body)) == _lut16.SIGMOID_TABLE_U16


def _check(data):
    m = load_model(data)
    op = m.operators[0]
    ops.room(op.type).check(op, m)


@pytest.mark.parametrize("data,reason", [
    (_unary16("LOGISTIC", (4,), 1e-3, in_zp=3), "zero point 0"),
    (_unary16("TANH", (4,), 1e-3, out_zp=-5), "zero point 0"),
    (_unary16("TANH", (4,), 1e-3, out_scale=1 / 16384), r"2\^-15"),
    (_unary16("SOFTMAX", (2, 4), 1e-3, out_scale=1 / 65536, beta=1.0), "1/32768"),
    (_unary16("SOFTMAX", (2, 4), 1e-3, out_zp=-32768, beta=1.0), "1/32768"),
    (_unary16("SOFTMAX", (2, 4), 1e-3, in_zp=7, beta=1.0), "zero point 0"),
])
def test_int16_refusals_follow_tflm(data, reason):
    with pytest.raises(UnsupportedError, match=reason):
        _check(data)
    with pytest.raises(Exception):      # and TFLM refuses them too
        m = load_model(data)
        run_oracle(data, [[np.zeros(m.tensors[m.inputs[0]].shape, np.int16)]])


def test_int16_sigmoid_scale_beyond_tflm_multiplier_is_refused():
    """TFLM only asserts (debug builds) that the 15-bit multiplier fits; we refuse."""
    with pytest.raises(UnsupportedError, match="too large"):
        _check(_unary16("LOGISTIC", (4,), 3.0))


def test_lstm_16x8_matches_tflm_and_c_across_invokes():
    for seed in range(4):
        r = run_case("UNIDIRECTIONAL_SEQUENCE_LSTM/int16", 700 + seed, with_c=True,
                     sanitize=seed == 0, samples=3)
        assert r["elements"] > 0
        assert r["sim_mismatch"] == 0 and r["c_mismatch"] == 0, r["first"]


def test_lstm_16x8_needs_int64_biases():
    from tflm_py.testgen.recurrent import lstm_model
    m = load_model(lstm_model(np.random.default_rng(5), act_dtype=np.int16))
    op = m.operators[0]
    ops.room(op.type).check(op, m)
    m.tensors[op.inputs[12]].type_name = "INT32"
    with pytest.raises(UnsupportedError, match="int64"):
        ops.room(op.type).check(op, m)


def test_svdf_with_int16_activations_is_refused_as_tflm_does():
    """TFLM's SVDF Prepare takes int8 or float32 input only (its int16 form is int16
    weights_time / state with int8 activations, which the SVDF room runs)."""
    from tflm_py.testgen.recurrent import svdf_model
    m = load_model(svdf_model(np.random.default_rng(4), state_dtype=np.int16))
    op = m.operators[0]
    ops.room(op.type).check(op, m)
    for i in (op.inputs[0], op.outputs[0]):
        m.tensors[i].type_name = "INT16"
    with pytest.raises(UnsupportedError, match="no int16 activations"):
        ops.room(op.type).check(op, m)
