"""On a board the planner's RAM budget is the board's RAM less stack, firmware statics,
framework and state: the fastest kernel variants that fit, the RAM variants when it is tight,
and one `error:` line with the bytes when even the smallest arena does not fit."""
import dataclasses
import json

import numpy as np
import pytest

from tflm_py import boards, load_model
from tflm_py.cli import main as cli
from tflm_py.planner import plan
from tflm_py.testing import ModelBuilder

from test_plan_variants import _two_convs


def _overhead(board, model) -> int:
    b = boards.arena_budget(board, model)
    return b["ram"] - b["bytes"]


def _board_with_arena_room(model, room: int):
    """nucleo_f446re with just enough RAM for an arena of `room` bytes."""
    base = boards.get_board("nucleo_f446re")
    return dataclasses.replace(base, name="tight", ram_bytes=_overhead(base, model) + room)


def _big_activations(tmp_path):
    """1x128x128x8 int8 -> 1x128x128x8: a 256 KB arena, more than nucleo_f446re's 128 KB."""
    b = ModelBuilder()
    x = b.activation((1, 128, 128, 8), scale=0.05, zero_point=0)
    y = b.activation((1, 128, 128, 8), scale=0.05, zero_point=0)
    b.op("CONCATENATION", [x], [y], axis=3)
    path = tmp_path / "big.tflite"
    path.write_bytes(b.build(inputs=[x], outputs=[y]))
    return path


def test_budget_is_what_the_fit_check_leaves():
    m = _two_convs()
    bud = boards.arena_budget("nucleo_f446re", m)
    board = boards.get_board("nucleo_f446re")
    assert bud["bytes"] == (board.ram_bytes - board.stack_bytes - bud["firmware"]
                            - board.reserve["ram_bytes"] - bud["state"])
    assert bud["source"] == "board nucleo_f446re"
    man = {"op_count": len(m.operators), "state_bytes": bud["state"], "model_bytes": 0}
    assert boards.fit_report(board, dict(man, arena_bytes=bud["bytes"]))["ram"]["fits"]
    assert not boards.fit_report(board, dict(man, arena_bytes=bud["bytes"] + 1))["ram"]["fits"]


def test_roomy_board_keeps_the_fast_variants_tight_board_takes_the_ram_ones():
    m = _two_convs()
    fast, small = plan(m), plan(m, optimize="ram")
    assert small.arena_bytes < fast.arena_bytes
    roomy = boards.plan_for_budget(m, boards.arena_budget("nucleo_f446re", m))
    assert roomy.scratch == fast.scratch and roomy.arena_bytes == fast.arena_bytes
    assert not any(t["taken"] for t in roomy.tradeoffs)
    tight = _board_with_arena_room(m, small.arena_bytes)
    p = boards.plan_for_budget(m, boards.arena_budget(tight, m))
    assert p.arena_bytes <= small.arena_bytes
    assert any(t["taken"] for t in p.tradeoffs)
    assert p.ram_budget == small.arena_bytes and p.ram_budget_source == "board tight"
    with pytest.raises(boards.FitError) as ei:
        boards.plan_for_budget(m, boards.arena_budget(
            _board_with_arena_room(m, small.arena_bytes - 1), m), what="m.tflite")
    msg = str(ei.value)
    assert "\n" not in msg
    assert f"needs {small.arena_bytes:,} B of RAM, {small.arena_bytes - 1:,} B available" in msg


def test_project_on_a_tight_board_is_planned_within_its_budget(tmp_path):
    m = _two_convs()
    small = plan(m, optimize="ram")
    tight = _board_with_arena_room(m, small.arena_bytes)
    proj = boards.make_project(m, tight, tmp_path / "p")
    info = boards.load_project(proj)
    man = json.loads((proj / "lib" / info["prefix"] / "manifest.json").read_text())
    assert man["arena_bytes"] <= info["ram_budget"]["bytes"] == small.arena_bytes
    assert info["fit"]["ram"]["fits"]
    assert "without its" in info["kernel_variants"]


def test_cli_names_needed_and_available_bytes(tmp_path, capsys):
    big = _big_activations(tmp_path)
    for argv in (["plan", str(big), "--board", "nucleo_f446re"],
                 ["plan", str(big), "--board", "nucleo_f446re", "--optimize", "ram"],
                 ["generate", str(big), "--board", "nucleo_f446re", "-o", str(tmp_path / "g")]):
        assert cli(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("error: big.tflite does not fit"), err
        assert "needs 262,144 B of RAM" in err and "available (board nucleo_f446re:" in err
    assert not (tmp_path / "g").exists()
    assert cli(["plan", str(big), "--board", "nucleo_l4r5zi"]) == 0
    out = capsys.readouterr().out
    assert "RAM budget: " in out and "from board nucleo_l4r5zi (655,360 B RAM - stack" in out
    small = tmp_path / "small.tflite"
    small.write_bytes(_two_convs().data)
    assert cli(["generate", str(small), "-o", str(tmp_path / "b"), "--ram-budget", "100"]) == 2
    assert "100 B available (--ram-budget)" in capsys.readouterr().err


FAST_ARENA_MODELS = ["models/kws_ref_model.tflite", "models/ad01_int8.tflite",
                     "models/micro_speech_quantized.tflite",
                     # scratch once pushed the fast arena past TFLM's head on these
                     "converted/reshape_dense.tflite", "converted/super_resolution.tflite",
                     "converted/padded_conv.tflite", "converted_matmul/matmul_ops_int8.tflite",
                     "converted_matmul/matmul_ops_16x8.tflite"]


@pytest.mark.parametrize("rel", FAST_ARENA_MODELS)
def test_fast_plan_stays_within_tflm_arena_head(rel):
    """The fast kernels' scratch never grows the arena past TFLM's (measured live)."""
    from pathlib import Path
    from tflm_py.oracle import arena_allocations
    path = Path(__file__).parent / "data" / rel
    fast = plan(load_model(path))
    assert fast.arena_bytes <= arena_allocations(str(path))["head"]
    assert fast.arena_ceiling is None or fast.arena_bytes <= max(
        fast.arena_ceiling, plan(load_model(path), optimize="ram").arena_bytes)
