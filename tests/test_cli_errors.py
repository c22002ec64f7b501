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


def test_plan_runs_the_checks_generate_runs(tmp_path, capsys):
    model = _floor_model(tmp_path)
    code, err = _run(["plan", str(model)], capsys)
    assert code == 2 and err.strip() == _run(["generate", str(model), "-o",
                                              str(tmp_path / "o")], capsys)[1].strip()
    assert "op #0 FLOOR is not supported" in err


# --------------------------------------------------------- tracebacks become one line

def _one_line(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: "), (argv, err)
    return err[0]


def _conv(tmp_path, name, weights, **opts):
    b = ModelBuilder()
    x = b.activation((1, 4, 4, 1), scale=0.1)
    w = b.constant(weights, scales=[0.1, 0.1], zero_points=[0, 0])
    y = b.activation((1, 4, 4, 2), scale=0.1)
    b.op("CONV_2D", [x, w, -1], [y], padding="SAME", **opts)
    p = tmp_path / f"{name}.tflite"
    p.write_bytes(b.build([x], [y]))
    return p


def test_plan_on_models_the_rooms_refuse(tmp_path, capsys):
    b = ModelBuilder()
    x = b.activation((1, 3), dtype=np.float32)
    w = b.constant(np.ones((3, 3), np.float32))
    y = b.activation((1, 3), dtype=np.float32)
    b.op("FULLY_CONNECTED", [x, w, -1], [y])
    ffc = tmp_path / "ffc.tflite"
    ffc.write_bytes(b.build([x], [y]))
    wrank = _conv(tmp_path, "wrank", np.ones((2, 9), np.int8), stride_w=1, stride_h=1)
    stride0 = _conv(tmp_path, "stride0", np.ones((2, 3, 3, 1), np.int8), stride_w=0,
                    stride_h=0)
    for m, words in ((ffc, "float32"), (wrank, "4-D"), (stride0, "stride")):
        for cmd in ("plan", "simulate"):
            assert words in _one_line(capsys, [cmd, str(m)])
        assert words in _one_line(capsys, ["generate", str(m), "-o", str(tmp_path / "g")])
        assert not (tmp_path / "g").exists()


def _relu(tmp_path, shape):
    b = ModelBuilder()
    x = b.activation(shape, scale=0.1)
    y = b.activation(shape, scale=0.1)
    b.op("RELU", [x], [y])
    p = tmp_path / f"relu{len(shape)}.tflite"
    p.write_bytes(b.build([x], [y]))
    return p


def test_huge_tensors_are_refused_before_allocating(tmp_path, capsys):
    import tracemalloc
    from tflm_py import limits
    for shape in ((1, 1024, 1024, 1024), (1, 2 ** 31 - 1)):
        m = _relu(tmp_path, shape)
        tracemalloc.start()
        for cmd in ("plan", "simulate"):
            assert "limit" in _one_line(capsys, [cmd, str(m)])
        assert "limit" in _one_line(capsys, ["generate", str(m), "-o", str(tmp_path / "g")])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 64 << 20 and not (tmp_path / "g").exists()
    # a model within the tensor limit whose arena exceeds the arena limit
    n = limits.MAX_TENSOR_BYTES
    k = limits.MAX_ARENA_BYTES // n + 1        # inputs all live at the first step
    b = ModelBuilder()
    xs = [b.activation((1, n), scale=0.1) for _ in range(k)]
    ys = [b.activation((1, n), scale=0.1) for _ in range(k)]
    for x, y in zip(xs, ys):
        b.op("RELU", [x], [y])
    p = tmp_path / "wide.tflite"
    p.write_bytes(b.build(xs, ys))
    assert "arena" in _one_line(capsys, ["generate", str(p), "-o", str(tmp_path / "g")])
    assert not (tmp_path / "g").exists()


def test_bad_option_values(tmp_path, capsys):
    m = _relu(tmp_path, (1, 8))
    for opt, bad in (("--timeout", "0"), ("--timeout", "-5"), ("--timeout", "nan"),
                     ("--baud", "0"), ("--samples", "0"), ("--samples", "-3"),
                     ("--samples", "x")):
        line = _one_line(capsys, ["validate", "--port", "socket://127.0.0.1:9", "--model",
                                  str(m), opt, bad])
        assert opt in line
    assert "--build-timeout" in _one_line(capsys, ["run", str(m), "--board", "host",
                                                   "--build-timeout", "0"])


def test_seeds_and_long_waits_out_of_range(tmp_path, capsys):
    m = _relu(tmp_path, (1, 8))
    for cmd in (["simulate", str(m)], ["bench", str(m), "--board", "host"],
                ["validate", "--port", "socket://127.0.0.1:9", "--model", str(m)]):
        for bad in ("-5", "4294967296", "99999999999999999999999"):
            assert "--seed" in _one_line(capsys, [*cmd, f"--seed={bad}"])
    for opt, bad in (("--timeout", "1e9"), ("--timeout", "inf")):
        assert opt in _one_line(capsys, ["validate", "--port", "socket://127.0.0.1:9",
                                         "--model", str(m), opt, bad])
    assert "--build-timeout" in _one_line(capsys, ["run", str(m), "--board", "host",
                                                   "--build-timeout", "1e12"])
    # the largest seed works
    assert main(["simulate", str(m), "--seed", "4294967295"]) == 0


def test_bench_and_inspect_of_a_huge_tensor_model(tmp_path, capsys):
    import tracemalloc
    m = _relu(tmp_path, (1, 1024, 1024, 1024))
    tracemalloc.start()
    for board in ("host", "qemu-mps2-an386"):
        assert "limit" in _one_line(capsys, ["bench", str(m), "--board", board])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 64 << 20
    assert main(["inspect", str(m)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("supported: no (tensor 0") and "limit" in last, last
