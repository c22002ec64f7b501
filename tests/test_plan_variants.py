"""The planner chooses kernel variants and says so: speed by default (scratch kept), RAM on
request or under a budget; every choice is listed with bytes and estimated instructions, and
the simulator-equal C runs either way (covered by the kernel tests of each path)."""
import subprocess
import sys

import numpy as np

from tflm_py.planner import plan
from tflm_py.plan_verify import verify_plan
from tflm_py.testing import ModelBuilder
from tflm_py import load_model


def _two_convs():
    """x -> 3x3 conv -> 3x3 conv: the second conv's scratch sits at the arena's peak."""
    rng = np.random.default_rng(0)
    b = ModelBuilder()
    x = b.activation((1, 16, 16, 16), scale=0.05, zero_point=-3)
    cur = x
    for i in range(2):
        w = b.constant(rng.integers(-127, 128, (16, 3, 3, 16)).astype(np.int8),
                       scales=[0.01] * 16, zero_points=[0] * 16, quantized_dimension=0)
        bias = b.constant(rng.integers(-500, 500, 16).astype(np.int32), scales=[0.0005] * 16)
        y = b.activation((1, 16, 16, 16), scale=0.1, zero_point=2)
        b.op("CONV_2D", [cur, w, bias], [y], padding="SAME", stride_w=1, stride_h=1)
        cur = y
    return load_model(b.build(inputs=[x], outputs=[cur]))


def test_speed_keeps_scratch_ram_drops_it_and_budget_chooses():
    m = _two_convs()
    fast = plan(m)
    small = plan(m, optimize="ram")
    verify_plan(m, fast)
    verify_plan(m, small)
    assert set(fast.scratch) == {0, 1}
    assert all(not t["taken"] for t in fast.tradeoffs)
    assert small.arena_bytes < fast.arena_bytes
    dropped = [t for t in small.tradeoffs if t["taken"]]
    assert dropped and all(t["arena_saved"] > 0 and t["instructions_added"] > 0 for t in dropped)
    assert {t["op"] for t in dropped}.isdisjoint(small.scratch)
    # a budget between the two: the fewest dropped that fit
    mid = plan(m, ram_budget=small.arena_bytes)
    verify_plan(m, mid)
    assert mid.arena_bytes <= small.arena_bytes
    # a budget the fast plan meets changes nothing
    same = plan(m, ram_budget=fast.arena_bytes)
    assert same.scratch == fast.scratch and same.arena_bytes == fast.arena_bytes


def test_plan_command_prints_the_tradeoffs(tmp_path):
    m = _two_convs()
    path = tmp_path / "m.tflite"
    path.write_bytes(m.data)
    r = subprocess.run([sys.executable, "-m", "tflm_py", "plan", str(path), "--optimize", "ram"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "kernel variants (optimize ram" in r.stdout and "without its" in r.stdout
    r = subprocess.run([sys.executable, "-m", "tflm_py", "plan", str(path), "--ram-budget", "-1"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "error" in r.stderr
