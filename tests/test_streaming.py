"""Streaming models: resource variables (CALL_ONCE + init subgraph, VAR_HANDLE,
READ_VARIABLE, ASSIGN_VARIABLE) lowered to persistent state by passes/variables.py.

The converter-made models of tests/data/streaming/ (scripts/make_streaming_models.py) and
ModelBuilder-made ones run invocation after invocation exactly as one TFLM interpreter
invoked the same number of times; reset returns to a fresh interpreter's state; the host C
build agrees with the simulator sample by sample, and so does the QEMU board."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from conftest import ROOT
from tflm_py import load_model
from tflm_py.errors import ModelError, UnsupportedError
from tflm_py.hostbuild import run_host_many
from tflm_py.oracle import Oracle, run_oracle
from tflm_py.ops import check_model
from tflm_py.plan_verify import verify_plan
from tflm_py.planner import plan
from tflm_py.reader import read_model
from tflm_py.simulator import Simulator
from tflm_py.testing import ModelBuilder

DATA = ROOT / "tests" / "data" / "streaming"
NAMES = ["ring_conv1d", "accumulator", "two_stage", "ring_float_state", "stream_kws"]
N_SAMPLES = 5


def _data(name):
    return (DATA / f"{name}.tflite").read_bytes()


def _samples(model, n=N_SAMPLES, seed=0):
    rng = np.random.default_rng(seed)
    return [[rng.integers(-128, 128, model.tensors[i].shape).astype(model.tensors[i].dtype)
             for i in model.inputs] for _ in range(n)]


def _same(a, b):
    return all(np.array_equal(np.asarray(x).reshape(-1), np.asarray(y).reshape(-1))
               for x, y in zip(a, b)) and len(a) == len(b)


# ------------------------------------------------------------------ ModelBuilder models

S, Z = 0.05, 3            # the accumulator's quantization


def accumulator_model(init=(10, -20, 30, 0, 127, -128), init_container="",
                      init_by_add=False) -> bytes:
    """acc += x each invoke (int8 ADD), acc starting at `init` (CALL_ONCE's subgraph 1);
    a second variable, never initialised, delays the input by one invoke: its first read
    gives TFLM's default fill (the zero point of the tensor that allocates it, x's)."""
    b = ModelBuilder()
    x = b.activation((1, 6), scale=S, zero_point=-7, name="x")
    h_acc = b.resource("acc_handle")
    h_prev = b.resource("prev_handle")
    acc = b.activation((1, 6), scale=S, zero_point=Z, name="acc")
    y = b.activation((1, 6), scale=S, zero_point=Z, name="acc_new")
    prev = b.activation((1, 6), scale=S, zero_point=-7, name="prev")
    b.op("CALL_ONCE", [], [], init_subgraph_index=1)
    b.op("VAR_HANDLE", [], [h_acc], container="", shared_name="acc")
    b.op("VAR_HANDLE", [], [h_prev], container="", shared_name="prev")
    b.op("READ_VARIABLE", [h_acc], [acc])
    b.op("READ_VARIABLE", [h_prev], [prev])
    b.op("ADD", [acc, x], [y])
    b.op("ASSIGN_VARIABLE", [h_acc, y], [])
    b.op("ASSIGN_VARIABLE", [h_prev, x], [])
    init_sg = b.subgraph("init")
    h = init_sg.resource("acc_init_handle")
    v = init_sg.constant(np.array([init], np.int8), scales=[S], zero_points=[Z])
    if init_by_add:         # the init subgraph computes the value: folded at generation time
        c = init_sg.constant(np.array([[5, -9, 60, -100, 1, 2]], np.int8), scales=[2 * S],
                             zero_points=[-1])
        v_sum = init_sg.activation((1, 6), scale=S, zero_point=Z)
        init_sg.op("ADD", [v, c], [v_sum])
        v = v_sum
    if init_container is None:      # no container: TFLM matches the name in any container
        init_sg.op("VAR_HANDLE", [], [h], shared_name="acc")
    else:
        init_sg.op("VAR_HANDLE", [], [h], container=init_container, shared_name="acc")
    init_sg.op("ASSIGN_VARIABLE", [h, v], [])
    return b.build(inputs=[x], outputs=[y, prev])


def test_builder_accumulator_matches_tflm_invoke_after_invoke():
    data = accumulator_model()
    model = load_model(data)
    check_model(model)
    samples = _samples(model, n=6, seed=3)
    want = run_oracle(data, samples)
    sim = Simulator(model)
    for n, (s, w) in enumerate(zip(samples, want)):
        assert _same(sim.run(s), w), f"invoke {n}"
    # an independent account of the two states: the delayed input starts at x's zero point
    # (TFLM's fill), the accumulator at the init subgraph's constant
    assert np.array_equal(want[0][1].reshape(-1), np.full(6, -7))
    assert np.array_equal(want[1][1].reshape(-1), samples[0][0].reshape(-1))


def test_init_subgraph_computing_on_constants_is_folded():
    data = accumulator_model(init_by_add=True)
    model = load_model(data)
    samples = _samples(model, n=3, seed=6)
    sim = Simulator(model)
    for s, w in zip(samples, run_oracle(data, samples)):
        assert _same(sim.run(s), w)


def test_builder_accumulator_lowered():
    raw = read_model(accumulator_model())
    assert [op.type for op in raw.operators][:2] == ["CALL_ONCE", "VAR_HANDLE"]
    assert list(raw.subgraphs) == [1]
    model = load_model(accumulator_model())
    types = [op.type for op in model.operators]
    assert "CALL_ONCE" not in types and "VAR_HANDLE" not in types and not model.subgraphs
    states = [t for t in model.tensors if t.is_variable]
    assert [t.name for t in states] == ["acc", "prev"]
    init_const = raw.subgraphs[1].tensors[1].data
    assert np.array_equal(states[0].initial, init_const)
    assert np.array_equal(states[1].initial, np.full((1, 6), -7, np.int8))
    assert any("initialised by subgraph 1" in n for n in model.notes)


def test_handle_without_container_names_the_same_variable():
    data = accumulator_model(init_container=None)
    model = load_model(data)
    acc = next(t for t in model.tensors if t.is_variable and t.name == "acc")
    assert acc.initial.reshape(-1).tolist() == [10, -20, 30, 0, 127, -128]
    samples = _samples(model, n=3, seed=4)
    sim = Simulator(model)
    for s, w in zip(samples, run_oracle(data, samples)):
        assert _same(sim.run(s), w)


def test_planner_keeps_state_out_of_the_arena_and_in_order():
    model = load_model(accumulator_model())
    p = plan(model)
    verify_plan(model, p)
    states = {t.index for t in model.tensors if t.is_variable}
    assert len(states) == 2 and not states & set(p.offsets)
    pos = {op: s for s, op in enumerate(p.order)}
    for t in states:   # the ops touching a variable run in the file's order
        touching = [op.index for op in model.operators if t in (*op.inputs, *op.outputs)]
        assert len(touching) >= 2 and [pos[i] for i in touching] == sorted(pos[i] for i in touching)
    # "acc": the ADD reads the state itself (no copy); "prev": its copy is a graph output
    types = [op.type for op in model.operators]
    assert types.count("READ_VARIABLE") == 1 and types.count("ASSIGN_VARIABLE") == 2
    acc = next(t for t in model.tensors if t.is_variable and t.name == "acc")
    assert any(op.type == "ADD" and acc.index in op.inputs for op in model.operators)


def test_verifier_refuses_an_order_that_swaps_a_read_and_its_assign():
    import copy

    from tflm_py.plan_verify import PlanError
    model = load_model(accumulator_model())
    p = plan(model)
    prev = next(t.index for t in model.tensors if t.is_variable and t.name == "prev")
    read = next(op.index for op in model.operators
                if op.type == "READ_VARIABLE" and op.inputs[0] == prev)
    assign = next(op.index for op in model.operators
                  if op.type == "ASSIGN_VARIABLE" and op.inputs[0] == prev)
    bad = copy.deepcopy(p)     # no data dependency orders them: only the variable does
    a, b = bad.order.index(read), bad.order.index(assign)
    bad.order[a], bad.order[b] = bad.order[b], bad.order[a]
    with pytest.raises(PlanError, match="share variable"):
        verify_plan(model, bad)


def test_read_copy_kept_when_a_reader_runs_after_the_assign():
    """x' = x + acc; acc = x'; y = acc_read * 1 after the ASSIGN: reading the state there
    would see the new value, so READ_VARIABLE keeps its copy."""
    b = ModelBuilder()
    x = b.activation((1, 4), scale=S, zero_point=Z, name="x")
    h = b.resource()
    r = b.activation((1, 4), scale=S, zero_point=Z, name="acc_read")
    s_new = b.activation((1, 4), scale=S, zero_point=Z)
    y = b.activation((1, 4), scale=S, zero_point=Z)
    b.op("VAR_HANDLE", [], [h], shared_name="acc")
    b.op("READ_VARIABLE", [h], [r])
    b.op("ADD", [r, x], [s_new])
    b.op("ASSIGN_VARIABLE", [h, s_new], [])
    b.op("ADD", [r, s_new], [y])
    data = b.build([x], [y])
    model = load_model(data)
    assert [op.type for op in model.operators].count("READ_VARIABLE") == 1
    samples = _samples(model, n=4, seed=9)
    sim = Simulator(model)
    for s, w in zip(samples, run_oracle(data, samples)):
        assert _same(sim.run(s), w)
    (got,) = run_host_many([model], [samples])
    sim.reset()
    for s, g in zip(samples, got):
        assert _same(sim.run(s), g)


def test_simulator_reset_returns_to_a_fresh_interpreter():
    data = accumulator_model()
    model = load_model(data)
    samples = _samples(model, n=3, seed=5)
    sim = Simulator(model)
    first = [sim.run(s) for s in samples]
    sim.reset()
    again = [sim.run(s) for s in samples]
    fresh = run_oracle(data, samples)
    for a, b, w in zip(first, again, fresh):
        assert _same(a, w) and _same(b, w)
    o = Oracle(data)       # the oracle's reset is a fresh interpreter too
    [o.run(s) for s in samples]
    o.reset()
    assert _same(o.run(samples[0]), fresh[0])


def _builder_with(edit) -> bytes:
    b = ModelBuilder()
    x = b.activation((1, 4), scale=S, zero_point=0, name="x")
    h = b.resource()
    r = b.activation((1, 4), scale=S, zero_point=0)
    y = b.activation((1, 4), scale=S, zero_point=0)
    return edit(b, x, h, r, y)


def test_refusals_name_the_problem():
    def if_op(b, x, h, r, y):
        c = b.constant(np.array([True]))
        b.op("IF", [c, x], [y])
        b.subgraph("then", [0], [0]).activation((1, 4), scale=S)
        return b.build([x], [y])

    def read_before_call_once(b, x, h, r, y):
        b.op("VAR_HANDLE", [], [h], shared_name="v")
        b.op("READ_VARIABLE", [h], [r])
        b.op("CALL_ONCE", [], [], init_subgraph_index=1)
        b.op("ADD", [r, x], [y])
        b.op("ASSIGN_VARIABLE", [h, y], [])
        sub = b.subgraph("init")
        sub.op("VAR_HANDLE", [], [sub.resource()], shared_name="v")
        return b.build([x], [y])

    def size_mismatch(b, x, h, r, y):
        big = b.activation((1, 8), scale=S)
        b.op("VAR_HANDLE", [], [h], shared_name="v")
        b.op("READ_VARIABLE", [h], [big])
        b.op("ASSIGN_VARIABLE", [h, x], [])
        return b.build([x], [big])

    def never_assigned(b, x, h, r, y):
        b.op("VAR_HANDLE", [], [h], shared_name="v")
        b.op("READ_VARIABLE", [h], [r])
        b.op("ADD", [r, x], [y])
        return b.build([x], [y])

    def init_from_input(b, x, h, r, y):
        b.op("CALL_ONCE", [], [], init_subgraph_index=1)
        b.op("VAR_HANDLE", [], [h], shared_name="v")
        b.op("READ_VARIABLE", [h], [y])
        b.op("ASSIGN_VARIABLE", [h, x], [])
        sub = b.subgraph("init")
        sh, sx = sub.resource(), sub.activation((1, 4), scale=S)
        sub.io = ([sx], [])
        sub.op("VAR_HANDLE", [], [sh], shared_name="v")
        sub.op("ASSIGN_VARIABLE", [sh, sx], [])
        return b.build([x], [y])

    def call_once_out_of_range(b, x, h, r, y):
        b.op("CALL_ONCE", [], [], init_subgraph_index=3)
        b.op("ADD", [x, x], [y])
        return b.build([x], [y])

    cases = [(if_op, UnsupportedError, "IF needs control flow"),
             (read_before_call_once, UnsupportedError, "CALL_ONCE comes after"),
             (size_mismatch, UnsupportedError, "has 8 bytes, variable 'v' 4"),
             (never_assigned, UnsupportedError, "never assigned"),
             (init_from_input, UnsupportedError, "not known at generation time"),
             (call_once_out_of_range, ModelError, "CALL_ONCE runs subgraph 3")]
    for edit, kind, text in cases:
        with pytest.raises(kind) as e:
            check_model(load_model(_builder_with(edit)))
        assert text in str(e.value) and "\n" not in str(e.value), (edit.__name__, str(e.value))


def test_unlowered_variables_are_refused_by_the_room():
    with pytest.raises(UnsupportedError, match="lowered by the graph pass `variables`"):
        check_model(read_model(accumulator_model()))


# ------------------------------------------------------------------ converter-made models

@pytest.mark.parametrize("name", NAMES)
def test_converted_streaming_model_matches_tflm(name):
    data = _data(name)
    raw = read_model(data)
    assert raw.operators[0].type == "CALL_ONCE" and raw.subgraphs
    model = load_model(data)
    check_model(model)
    samples = _samples(model)
    want = run_oracle(data, samples)
    sim = Simulator(model)
    for n, (s, w) in enumerate(zip(samples, want)):
        assert _same(sim.run(s), w), f"{name}: invoke {n}"
    # the state matters: the same input gives other outputs on other invokes
    sim.reset()
    repeated = [sim.run(samples[0]) for _ in range(3)]
    assert not all(_same(repeated[0], r) for r in repeated[1:]), name


def test_host_c_matches_simulator_invoke_after_invoke():
    names = NAMES + ["builder"]
    models = [load_model(_data(n)) for n in NAMES] + [load_model(accumulator_model())]
    samples = [_samples(m, seed=7) for m in models]
    got = run_host_many(models, samples, sanitize=True)
    for name, model, smp, outs in zip(names, models, samples, got):
        sim = Simulator(model)
        for n, (s, o) in enumerate(zip(smp, outs)):
            assert _same(sim.run(s), o), f"{name}: invoke {n}"


RESET_RUNNER = r"""
#include <stdio.h>
#include <stdlib.h>
#include "m.h"

/* serves samples from stdin as hostbuild's runner, calling m_reset() every argv[1] samples */
int main(int argc, char **argv)
{
    const int every = argc > 1 ? atoi(argv[1]) : 0;
    for (int n = 0;; ++n) {
        if (every > 0 && n > 0 && n % every == 0) m_reset();
        for (int i = 0; i < M_INPUT_COUNT; ++i) {
            size_t want = (size_t)m_input_info[i].bytes;
            size_t got = fread(m_input(i), 1, want, stdin);
            if (got == 0 && i == 0) return 0;
            if (got != want) return 3;
        }
        if (m_invoke() != 0) return 4;
        for (int i = 0; i < M_OUTPUT_COUNT; ++i)
            fwrite(m_output(i), 1, (size_t)m_output_info[i].bytes, stdout);
    }
}
"""


@pytest.mark.parametrize("which", ["builder", "two_stage"])
def test_c_reset_returns_to_the_initial_state(which, tmp_path):
    """NAME_reset() after some invokes: the next invokes give what a fresh start gives (the
    builder model's initial value is not one repeated byte: a copy from a const array)."""
    import os
    import subprocess

    from tflm_py.codegen import generate
    from tflm_py.hostbuild import CFLAGS, SANITIZE
    model = load_model(accumulator_model() if which == "builder" else _data(which))
    generate(model, tmp_path / "b", prefix="m")
    (tmp_path / "b" / "main.c").write_text(RESET_RUNNER)
    srcs = [str(p) for p in sorted((tmp_path / "b").glob("*.c"))]
    srcs += [str(p) for p in sorted((tmp_path / "b" / "kernels").glob("*.c"))]
    exe = tmp_path / "runner"
    subprocess.run([os.environ.get("CC", "gcc"), *CFLAGS, *SANITIZE, "-I", str(tmp_path / "b"),
                    "-I", str(tmp_path / "b" / "kernels"), *srcs, "-o", str(exe), "-lm"],
                   check=True, capture_output=True, timeout=300)
    samples = _samples(model, n=3, seed=8)
    blob = b"".join(np.ascontiguousarray(x).tobytes() for s in samples for x in s)
    r = subprocess.run([str(exe), "3"], input=blob * 2, capture_output=True, timeout=60,
                       check=True)
    sim = Simulator(model)
    want = b"".join(np.ascontiguousarray(y).tobytes() for s in samples for y in sim.run(s))
    assert r.stdout == want * 2


def test_streaming_model_on_the_qemu_board(tmp_path, monkeypatch, capsys):
    """`tflm-py run --samples 3` on the QEMU Cortex-M4 board: the firmware, reset and then
    invoked three times, agrees with the simulator invoked the same way."""
    from tflm_py.cli import main as cli
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        assert shutil.which(tool), f"{tool} not installed: run scripts/setup.sh"
    monkeypatch.setenv("TFLM_PY_PIO_CORE", str(tmp_path / "pio_core"))
    rc = cli(["run", str(DATA / "two_stage.tflite"), "--board", "qemu-mps2-an386",
              "--samples", "3", "-o", str(tmp_path / "project"), "--json"])
    out = capsys.readouterr().out
    d = json.loads(out[out.index("{"):])
    assert rc == 0, d
    assert d["passed"] == 3 and d["bit_exact"] is True and d["max_abs_diff"] == 0


def test_inspect_shows_the_lowering(capsys):
    from tflm_py.cli import main as cli
    assert cli(["inspect", str(DATA / "ring_conv1d.tflite")]) == 0
    out = capsys.readouterr().out
    file_ops = len(read_model(_data("ring_conv1d")).operators)
    after = len(load_model(_data("ring_conv1d")).operators)
    assert f"{file_ops} ops in the file, {after} after" in out
    assert f"{file_ops - after} lowered to state" in out
    assert "variable 'frames' is state tensor" in out
