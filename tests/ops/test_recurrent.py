"""UNIDIRECTIONAL_SEQUENCE_LSTM and SVDF rooms: simulate vs the TFLM oracle (state carried
across invokes, no reset), the C kernels vs simulate, and the unsupported variants."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import tflm_py
from tflm_py import ops
from tflm_py.errors import UnsupportedError
from tflm_py.ops import lstm, svdf
from tflm_py.testgen.recurrent import GENERATORS, extract_op, lstm_model, svdf_model

from tflite_micro.python.tflite_micro import runtime  # noqa: E402  (the oracle)

ROOT = Path(__file__).resolve().parents[2]
KERNELS = ROOT / "kernels_c"
HARNESS = Path(__file__).resolve().parent / "recurrent_harness.c"
REAL_LSTM = Path(__file__).resolve().parents[1] / "data" / "models" / "trained_lstm_int8.tflite"

N_MODELS = 36       # random models per op against the oracle
N_INVOKES = 4       # invokes per model, state carried


# ---------------------------------------------------------------------------- helpers

def initial_state(model) -> dict:
    """Variable tensors as TFLM resets them: int8 ones filled with their zero point, others 0."""
    state = {}
    for t in model.tensors:
        if t.is_variable:
            fill = t.quantization.zero_point if (t.type_name == "INT8" and t.quantization) else 0
            state[t.index] = np.full(t.shape, fill, dtype=t.dtype)
    return state


def simulate_sequence(model, xs, state=None):
    """Run op 0 of a single-op model once per input, carrying its variable tensors."""
    op = model.operators[0]
    room = ops.room(op.type)
    room.check(op, model)
    params = room.prepare(op, model)
    state = initial_state(model) if state is None else state
    outs = []
    for x in xs:
        args = []
        for i in op.inputs:
            if i < 0:
                args.append(None)
            elif i in state:
                args.append(state[i])
            elif model.tensors[i].is_constant:
                args.append(model.tensors[i].data)
            else:
                args.append(x)
        outs.append(room.simulate(op, model, params, args)[0])
    return params, outs, state


def oracle_sequence(data: bytes, xs):
    ip = runtime.Interpreter.from_bytes(data, arena_size=1 << 20)
    outs = []
    for x in xs:
        ip.set_input(x, 0)
        ip.invoke()
        outs.append(np.array(ip.get_output(0)))
    return outs


def random_inputs(model, rng, n):
    t = model.tensors[model.inputs[0]]
    return [rng.integers(-128, 128, size=t.shape, dtype=np.int8) for _ in range(n)]


def assert_same(a, b, what=""):
    a, b = np.asarray(a), np.asarray(b)
    assert a.size == b.size, what
    diff = int(np.sum(a.reshape(-1) != b.reshape(-1)))
    assert diff == 0, f"{what}: {diff} of {a.size} elements differ"


# ---------------------------------------------------------------------------- vs oracle

@pytest.mark.parametrize("op_name", sorted(GENERATORS))
def test_random_models_match_oracle(op_name):
    rng = np.random.default_rng(20240611 + len(op_name))
    for k in range(N_MODELS):
        data = GENERATORS[op_name](rng)
        model = tflm_py.load_model(data)
        assert model.operators[0].type == op_name
        xs = random_inputs(model, rng, N_INVOKES)
        _, sim, _ = simulate_sequence(model, xs)
        ref = oracle_sequence(data, xs)
        for t, (a, b) in enumerate(zip(sim, ref)):
            assert_same(a, b, f"{op_name} model {k} invoke {t}")


def test_lstm_shapes_edge_cases():
    """Time-major with several batches, one step, one unit, one input, all cell scales."""
    rng = np.random.default_rng(7)
    cases = [dict(batch=3, steps=4, n_in=5, n_state=6, time_major=True),
             dict(batch=3, steps=4, n_in=5, n_state=6, time_major=False),
             dict(batch=1, steps=1, n_in=1, n_state=1, time_major=False),
             dict(batch=2, steps=1, n_in=16, n_state=1, time_major=True),
             dict(batch=1, steps=8, n_in=1, n_state=16, time_major=False)]
    for case in cases:
        for _ in range(3):
            data = lstm_model(rng, **case)
            model = tflm_py.load_model(data)
            xs = random_inputs(model, rng, 3)
            _, sim, _ = simulate_sequence(model, xs)
            for a, b in zip(sim, oracle_sequence(data, xs)):
                assert_same(a, b, str(case))


def test_svdf_int8_state():
    rng = np.random.default_rng(11)
    for _ in range(12):
        data = svdf_model(rng, state_dtype=np.int8)
        model = tflm_py.load_model(data)
        xs = random_inputs(model, rng, 5)
        _, sim, _ = simulate_sequence(model, xs)
        for a, b in zip(sim, oracle_sequence(data, xs)):
            assert_same(a, b, "svdf int8 state")


def test_real_lstm_layer_sequence():
    """Op 0 of trained_lstm_int8 as a single-op model, 25 invokes without reset."""
    real = tflm_py.load_model(str(REAL_LSTM))
    op = real.operators[0]
    assert op.type == "UNIDIRECTIONAL_SEQUENCE_LSTM"
    data = extract_op(real, op)
    model = tflm_py.load_model(data)
    assert len(model.operators[0].intermediates) == 5
    rng = np.random.default_rng(3)
    xs = random_inputs(model, rng, 25)
    _, sim, state = simulate_sequence(model, xs)
    ref = oracle_sequence(data, xs)
    for t, (a, b) in enumerate(zip(sim, ref)):
        assert_same(a, b, f"real LSTM invoke {t}")
    # the state did move (so the carry was exercised)
    cell = state[model.operators[0].inputs[lstm.CELL]]
    assert np.any(cell != 0)


def test_real_lstm_model_through_simulator():
    """The whole real model through the Simulator (needs every room of the model)."""
    real = tflm_py.load_model(str(REAL_LSTM))
    from tflm_py.simulator import Simulator
    sim = Simulator(real)
    ip = runtime.Interpreter.from_file(str(REAL_LSTM), arena_size=1 << 20)
    rng = np.random.default_rng(5)
    for t in range(20):
        x = rng.integers(-128, 128, size=(1, 28, 28), dtype=np.int8)
        ip.set_input(x, 0)
        ip.invoke()
        assert_same(sim.run([x])[0], ip.get_output(0), f"real model invoke {t}")


def test_simulator_carries_lstm_state():
    """The Simulator passes variable tensors writable and keeps them across runs."""
    from tflm_py.simulator import Simulator
    rng = np.random.default_rng(9)
    n = 0
    while n < 4:
        data = lstm_model(rng)
        model = tflm_py.load_model(data)
        h = model.tensors[model.operators[0].inputs[lstm.HIDDEN]]
        if h.quantization.zero_point != 0:
            continue   # see test_simulator_resets_int8_state_to_zero_point
        n += 1
        sim = Simulator(model)
        xs = random_inputs(model, rng, 4)
        for t, (x, ref) in enumerate(zip(xs, oracle_sequence(data, xs))):
            assert_same(sim.run([x])[0], ref, f"simulator invoke {t}")


def test_simulator_resets_int8_state_to_zero_point():
    from tflm_py.simulator import Simulator
    rng = np.random.default_rng(13)
    while True:
        data = lstm_model(rng)
        model = tflm_py.load_model(data)
        if model.tensors[model.operators[0].inputs[lstm.HIDDEN]].quantization.zero_point:
            break
    sim = Simulator(model)
    xs = random_inputs(model, rng, 2)
    for x, ref in zip(xs, oracle_sequence(data, xs)):
        assert_same(sim.run([x])[0], ref, "simulator with hidden zero point")


# ---------------------------------------------------------------------------- int16 nonlinearities

def _float_ref_check():
    x = np.arange(-32768, 32768)
    s = lstm.sigmoid_int16(x) / 32768.0
    assert np.max(np.abs(s - 1 / (1 + np.exp(-x / 4096.0)))) < 2e-3
    t = lstm.tanh_int16(x) / 32768.0
    assert np.max(np.abs(t - np.tanh(x / 4096.0))) < 2e-3


def test_int16_nonlinearities_are_sane():
    _float_ref_check()


# ---------------------------------------------------------------------------- C kernels

@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    cc = shutil.which("gcc") or "cc"
    out = tmp_path_factory.mktemp("recurrent") / "harness"
    base = [cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-g", "-I", str(KERNELS),
            str(HARNESS), str(KERNELS / "lstm.c"), str(KERNELS / "sigmoid_s16.c"),
            str(KERNELS / "svdf.c"), "-o", str(out)]
    san = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
    r = subprocess.run(base[:1] + san + base[1:], capture_output=True, text=True)
    if r.returncode != 0:   # sanitizers unavailable: plain build
        r = subprocess.run(base, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def _run_harness(exe, mode, blob: bytes) -> bytes:
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="halt_on_error=1")
    r = subprocess.run([str(exe), mode], input=blob, capture_output=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r.stdout


def _i32(*vals) -> bytes:
    return np.array(vals, dtype="<i4").tobytes()


def test_c_int16_nonlinearities(harness):
    pairs = [(3, 0), (6, 0), (12, 0), (3, 1), (3, 2), (3, 3), (3, 5), (3 << 6, 0)]
    out = _run_harness(harness, "act", _i32(len(pairs), *[v for p in pairs for v in p]))
    got = np.frombuffer(out, dtype="<i2").reshape(1 + len(pairs), 65536)
    x = np.arange(-32768, 32768)
    assert_same(got[0], lstm.sigmoid_int16(x), "sigmoid")
    for k, (m, s) in enumerate(pairs):
        assert_same(got[k + 1], lstm.tanh_int16(x, m, s), f"tanh {m} {s}")


def _lstm_blob(model, p, xs) -> bytes:
    op = model.operators[0]
    f = lstm.c_fields(p)
    head = [f[k] for k in ("batch", "steps", "inputs", "state", "time_major", "input_zp",
                           "hidden_zp")]
    head += p.in_mult + p.in_shift + p.rec_mult + p.rec_shift
    head += [f[k] for k in ("fc_mult", "fc_shift", "ic_mult", "ic_shift", "h_mult", "h_shift",
                            "cell_clip", "tanh_mult", "tanh_shift")]
    blob = _i32(*head, len(xs))
    for i in lstm.W_IN + lstm.W_REC:
        blob += np.ascontiguousarray(model.tensors[op.inputs[i]].data, dtype=np.int8).tobytes()
    for i in lstm.BIAS:
        blob += np.ascontiguousarray(model.tensors[op.inputs[i]].data, dtype="<i4").tobytes()
    for x in xs:
        blob += np.ascontiguousarray(x, dtype=np.int8).tobytes()
    return blob


def test_c_lstm_matches_simulate(harness):
    rng = np.random.default_rng(101)
    datas = [lstm_model(rng) for _ in range(30)]
    if REAL_LSTM.exists():
        real = tflm_py.load_model(str(REAL_LSTM))
        datas.append(extract_op(real, real.operators[0]))
    for k, data in enumerate(datas):
        model = tflm_py.load_model(data)
        xs = random_inputs(model, rng, 3)
        p, sim, state = simulate_sequence(model, xs)
        out = _run_harness(harness, "lstm", _lstm_blob(model, p, xs))
        n_out = p.batch * p.steps * p.state
        n_st = p.batch * p.state
        assert len(out) == len(xs) * n_out + n_st * 3
        for t, y in enumerate(sim):
            assert_same(np.frombuffer(out, np.int8, n_out, t * n_out), y, f"lstm {k} inv {t}")
        op = model.operators[0]
        pos = len(xs) * n_out
        assert_same(np.frombuffer(out, np.int8, n_st, pos), state[op.inputs[lstm.HIDDEN]],
                    f"lstm {k} hidden")
        assert_same(np.frombuffer(out, "<i2", n_st, pos + n_st), state[op.inputs[lstm.CELL]],
                    f"lstm {k} cell")


def _svdf_blob(model, p, xs) -> bytes:
    op = model.operators[0]
    f = svdf.c_fields(p)
    blob = _i32(*[f[k] for k in svdf._FIELDS], p.state_bits, len(xs))
    wdt = "<i2" if p.state_bits == 16 else np.int8
    blob += np.ascontiguousarray(model.tensors[op.inputs[1]].data, dtype=np.int8).tobytes()
    blob += np.ascontiguousarray(model.tensors[op.inputs[2]].data, dtype=wdt).tobytes()
    blob += np.ascontiguousarray(model.tensors[op.inputs[3]].data, dtype="<i4").tobytes()
    for x in xs:
        blob += np.ascontiguousarray(x, dtype=np.int8).tobytes()
    return blob


def test_c_svdf_matches_simulate(harness):
    rng = np.random.default_rng(202)
    for k in range(30):
        data = svdf_model(rng, state_dtype=np.int8 if k % 3 == 0 else np.int16)
        model = tflm_py.load_model(data)
        xs = random_inputs(model, rng, 4)
        p, sim, state = simulate_sequence(model, xs)
        out = _run_harness(harness, "svdf", _svdf_blob(model, p, xs))
        n_out = p.batch * p.units
        for t, y in enumerate(sim):
            assert_same(np.frombuffer(out, np.int8, n_out, t * n_out), y, f"svdf {k} inv {t}")
        st = state[model.operators[0].inputs[4]]
        got = np.frombuffer(out, "<i2" if p.state_bits == 16 else np.int8, st.size,
                            len(xs) * n_out)
        assert_same(got, st, f"svdf {k} state")


# ---------------------------------------------------------------------------- generated C

def _host():
    from tflm_py.hostbuild import run_host
    return run_host


def _zero_point_free_models(gen, rng, n):
    """Models whose int8 state has zero point 0."""
    out = []
    while len(out) < n:
        data = gen(rng)
        m = tflm_py.load_model(data)
        if all(t.quantization.zero_point == 0 for t in m.tensors if t.is_variable):
            out.append(data)
    return out


def test_generated_c_matches_oracle():
    """Whole generated bundles (codegen + kernels) built natively, state carried, vs TFLM."""
    run_host = _host()
    rng = np.random.default_rng(31)
    datas = (_zero_point_free_models(lstm_model, rng, 3)
             + _zero_point_free_models(lambda r: svdf_model(r, np.int16), rng, 2)
             + _zero_point_free_models(lambda r: svdf_model(r, np.int8), rng, 1))
    for k, data in enumerate(datas):
        m = tflm_py.load_model(data)
        xs = random_inputs(m, rng, 3)
        outs = run_host(m, [[x] for x in xs], sanitize=(k == 0))
        for t, (o, r) in enumerate(zip(outs, oracle_sequence(data, xs))):
            assert_same(o[0], r, f"generated C model {k} invoke {t}")


def test_generated_c_real_lstm_model():
    run_host = _host()
    real = tflm_py.load_model(str(REAL_LSTM))
    rng = np.random.default_rng(32)
    xs = random_inputs(real, rng, 8)
    outs = run_host(real, [[x] for x in xs], sanitize=True)
    for t, (o, r) in enumerate(zip(outs, oracle_sequence(real.data, xs))):
        assert_same(o[0], r, f"generated C real model invoke {t}")


def test_generated_c_int8_state_zero_point():
    run_host = _host()
    rng = np.random.default_rng(33)
    while True:
        data = svdf_model(rng, np.int8)
        m = tflm_py.load_model(data)
        if m.tensors[m.operators[0].inputs[4]].quantization.zero_point:
            break
    xs = random_inputs(m, rng, 3)
    outs = run_host(m, [[x] for x in xs])
    for o, r in zip(outs, oracle_sequence(data, xs)):
        assert_same(o[0], r, "generated C with int8 state zero point")


# ---------------------------------------------------------------------------- room contract

def test_rooms_registered_and_metadata():
    reg = ops.registry()
    assert reg["UNIDIRECTIONAL_SEQUENCE_LSTM"] is lstm
    assert reg["SVDF"] is svdf
    rng = np.random.default_rng(1)
    m = tflm_py.load_model(lstm_model(rng, batch=2, steps=3, n_in=4, n_state=5))
    op = m.operators[0]
    assert lstm.macs(op, m) == 2 * 3 * (4 * 5 * (4 + 5) + 3 * 5)
    assert lstm.state_bytes(op, m) == 2 * 5 * 3
    assert lstm.scratch_bytes(op, m) == 0
    m = tflm_py.load_model(svdf_model(rng, state_dtype=np.int16))
    op = m.operators[0]
    p = svdf.prepare(op, m)
    assert svdf.macs(op, m) == p.batch * p.filters * (p.inputs + p.memory)
    assert svdf.state_bytes(op, m) == p.batch * p.filters * p.memory * 2


class _FakeEmitter:
    def __init__(self):
        self.kernels, self.structs = [], []

    def ptr(self, i):
        return "NULL" if i < 0 else f"T{i}"

    def use_kernel(self, name):
        self.kernels.append(name)

    def param_struct(self, ctype, fields, hint):
        self.structs.append((ctype, fields))
        return hint

    def const_array(self, ctype, values, hint):
        return hint

    def scratch(self, op):
        return "SCRATCH"


def test_emit_calls():
    rng = np.random.default_rng(4)
    m = tflm_py.load_model(lstm_model(rng))
    op = m.operators[0]
    cg = _FakeEmitter()
    s = lstm.emit(op, m, lstm.prepare(op, m), cg)
    assert cg.kernels == ["sigmoid_s16", "lstm"] and s.startswith("tflm_lstm_s8(&lstm_0, ") and s.endswith(");")
    assert s.count(",") == 16
    assert cg.structs[0][1]["in_mult"].startswith("{")
    m = tflm_py.load_model(svdf_model(rng, state_dtype=np.int8))
    op = m.operators[0]
    cg = _FakeEmitter()
    s = svdf.emit(op, m, svdf.prepare(op, m), cg)
    assert cg.kernels == ["svdf"] and s.startswith("tflm_svdf_s8_s8state(&svdf_0, ")


# ---------------------------------------------------------------------------- unsupported

def _lstm_ir():
    return tflm_py.load_model(lstm_model(np.random.default_rng(21)))


def _svdf_ir(state_dtype=np.int16):
    return tflm_py.load_model(svdf_model(np.random.default_rng(22), state_dtype=state_dtype))


def test_lstm_unsupported_variants():
    m = _lstm_ir()
    lstm.check(m.operators[0], m)

    m = _lstm_ir()                              # CIFG: no input gate weights
    op = m.operators[0]
    op.inputs = (op.inputs[0], -1) + tuple(op.inputs[2:])
    with pytest.raises(UnsupportedError, match="CIFG"):
        lstm.check(op, m)

    m = _lstm_ir()                              # cell activation other than TANH
    m.operators[0].options.fused_activation_function = "RELU"
    with pytest.raises(UnsupportedError, match="activation"):
        lstm.check(m.operators[0], m)

    m = _lstm_ir()                              # float LSTM
    m.tensors[m.operators[0].inputs[0]].type_name = "FLOAT32"
    with pytest.raises(UnsupportedError, match="int8"):
        lstm.check(m.operators[0], m)

    m = _lstm_ir()                              # int8 cell state
    m.tensors[m.operators[0].inputs[lstm.CELL]].type_name = "INT8"
    with pytest.raises(UnsupportedError, match="cell state"):
        lstm.check(m.operators[0], m)

    m = _lstm_ir()                              # peephole
    op = m.operators[0]
    ins = list(op.inputs)
    ins[9] = ins[1]
    op.inputs = tuple(ins)
    with pytest.raises(UnsupportedError, match="peephole"):
        lstm.check(op, m)

    m = _lstm_ir()                              # non-variable state
    m.tensors[m.operators[0].inputs[lstm.HIDDEN]].is_variable = False
    with pytest.raises(UnsupportedError, match="variable"):
        lstm.check(m.operators[0], m)

    # and through the registry, with the op named
    m = _lstm_ir()
    m.operators[0].options.fused_activation_function = "NONE"
    with pytest.raises(UnsupportedError, match="UNIDIRECTIONAL_SEQUENCE_LSTM"):
        ops.check_model(m)


def test_svdf_unsupported_variants():
    m = _svdf_ir()
    svdf.check(m.operators[0], m)

    m = _svdf_ir()                              # no bias
    op = m.operators[0]
    op.inputs = tuple(op.inputs[:3]) + (-1, op.inputs[4])
    with pytest.raises(UnsupportedError, match="bias"):
        svdf.check(op, m)

    m = _svdf_ir()                              # state / weights_time type mismatch
    m.tensors[m.operators[0].inputs[4]].type_name = "INT8"
    with pytest.raises(UnsupportedError, match="must match"):
        svdf.check(m.operators[0], m)

    m = _svdf_ir()                              # float SVDF
    m.tensors[m.operators[0].inputs[0]].type_name = "FLOAT32"
    with pytest.raises(UnsupportedError, match="int8"):
        svdf.check(m.operators[0], m)

    m = _svdf_ir()                              # rank that does not divide the filters
    m.operators[0].options.rank = 7
    p_f = m.tensors[m.operators[0].inputs[1]].shape[0]
    if p_f % 7:
        with pytest.raises(UnsupportedError, match="rank"):
            svdf.check(m.operators[0], m)

    m = _svdf_ir()                              # non-variable state
    m.tensors[m.operators[0].inputs[4]].is_variable = False
    with pytest.raises(UnsupportedError, match="variable"):
        svdf.check(m.operators[0], m)
