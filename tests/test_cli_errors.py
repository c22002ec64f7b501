"""Unsupported models fail before anything runs: one line naming the op, its index and what
is supported; exit 2; no half-written output folder."""
import numpy as np

from tflm_py.cli import main
from tflm_py.testing import ModelBuilder


def _floor_model(tmp_path):
    b = ModelBuilder()
    x = b.activation((1, 4), dtype=np.float32)
    y = b.activation((1, 4), dtype=np.float32)
    b.op("FLOOR", [x], [y])
    p = tmp_path / "floor.tflite"
    p.write_bytes(b.build([x], [y]))
    return p


def _float_conv_model(tmp_path):
    b = ModelBuilder()
    x = b.activation((1, 4, 4, 1), dtype=np.float32)
    w = b.constant(np.ones((2, 3, 3, 1), np.float32))
    y = b.activation((1, 4, 4, 2), dtype=np.float32)
    b.op("CONV_2D", [x, w, -1], [y], padding="SAME", stride_w=1, stride_h=1)
    p = tmp_path / "fconv.tflite"
    p.write_bytes(b.build([x], [y]))
    return p


def _run(argv, capsys):
    code = main(argv)
    err = capsys.readouterr().err
    return code, err


def test_unsupported_op_is_one_line_naming_op_and_index(tmp_path, capsys):
    model = _floor_model(tmp_path)
    for argv in (["simulate", str(model)], ["generate", str(model), "-o", str(tmp_path / "out")]):
        code, err = _run(argv, capsys)
        assert code == 2, argv
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert "op #0 FLOOR" in lines[0] and "supported" in lines[0] and "CONV_2D" in lines[0]
    assert not (tmp_path / "out").exists()


def test_unsupported_type_names_the_op_and_reason(tmp_path, capsys):
    model = _float_conv_model(tmp_path)
    code, err = _run(["generate", str(model), "-o", str(tmp_path / "out")], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: op #0 CONV_2D"), err
    assert "int8" in lines[0].lower() or "float" in lines[0].lower()
    assert not (tmp_path / "out").exists()


def test_plan_sizes_the_arena_but_says_what_generation_lacks(tmp_path, capsys):
    model = _floor_model(tmp_path)
    code = main(["plan", str(model)])
    out = capsys.readouterr()
    assert code == 0 and "arena" in out.out
    assert "note: op #0 FLOOR is not supported" in out.err
