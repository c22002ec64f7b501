"""The one input loader (tflm_py.inputs) and the commands that use it: refused data is one
line `error:` and exit 2; sizes are checked from the .npy header before anything is read;
samples are made one at a time."""
import io
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

from tflm_py import inputs
from tflm_py.cli import main
from tflm_py.testing import ModelBuilder

SPEC = inputs.InputSpec("x", np.dtype(np.int8), (1, 8), 0.1, -3)
FSPEC = inputs.InputSpec("f", np.dtype(np.float32), (1, 8))


@pytest.fixture(scope="module")
def relu_model(tmp_path_factory):
    d = tmp_path_factory.mktemp("m")
    b = ModelBuilder()
    x = b.activation((1, 8), scale=0.1, zero_point=-3)
    y = b.activation((1, 8), scale=0.1, zero_point=-3)
    b.op("RELU", [x], [y])
    p = d / "relu.tflite"
    p.write_bytes(b.build([x], [y]))
    return p


def _npy_header(shape, descr="<i1"):
    """A .npy version 1.0 header claiming `shape` (no data after it)."""
    h = repr({"descr": descr, "fortran_order": False, "shape": tuple(shape)}).encode()
    h += b" " * (63 - (10 + len(h)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h


BAD_ARRAYS = {
    "nan": (np.full((2, 8), np.nan, np.float32), "NaN"),
    "inf": (np.full((2, 8), np.inf), "NaN or infinite"),
    "bool": (np.ones((2, 8), bool), "booleans"),
    "complex": (np.ones((2, 8), np.complex64), "complex"),
    "string": (np.array([["a"] * 8] * 2), "strings"),
    "structured": (np.zeros((2, 8), dtype=[("a", "i1"), ("b", "f4")]), "structured"),
    "empty": (np.zeros((0, 8), np.int8), "empty"),
    "scalar": (np.array(3, np.int8), "0-d"),
    "float_for_int8": (np.full((2, 8), 0.5, np.float32), "--quantize"),
    "out_of_range": (np.full((2, 8), 300, np.int32), "outside int8"),
}


@pytest.mark.parametrize("case", sorted(BAD_ARRAYS))
def test_bad_arrays_are_refused_by_name(tmp_path, case):
    a, words = BAD_ARRAYS[case]
    p = tmp_path / f"{case}.npy"
    np.save(p, a)
    with pytest.raises(inputs.InputError, match=words):
        list(inputs.file_samples(p, [SPEC], 5))


def test_pickled_and_object_arrays_are_refused(tmp_path):
    p = tmp_path / "obj.npy"
    np.save(p, np.array([{"a": 1}] * 8, dtype=object), allow_pickle=True)
    with pytest.raises(inputs.InputError, match="objects"):
        inputs.file_samples(p, [SPEC])
    z = tmp_path / "obj.npz"
    np.savez(z, np.array([[1, 2]] * 4, dtype=object))
    with pytest.raises(inputs.InputError, match="objects"):
        inputs.file_samples(z, [SPEC])


def test_header_claiming_2_to_40_elements_is_refused_before_allocating(tmp_path):
    p = tmp_path / "huge.npy"
    p.write_bytes(_npy_header((1 << 40,)) + bytes(64))
    tracemalloc.start()
    with pytest.raises(inputs.InputError, match="1,099,511,627,776 elements"):
        inputs.file_samples(p, [SPEC])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10 << 20
    # a header within the limit but larger than the file: truncated
    p.write_bytes(_npy_header((1000, 8)) + bytes(64))
    with pytest.raises(inputs.InputError, match="truncated"):
        inputs.file_samples(p, [SPEC])
    # the same inside an .npz member
    z = tmp_path / "huge.npz"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("arr_0.npy", _npy_header((1 << 40, 8)) + bytes(16))
    with pytest.raises(inputs.InputError, match="elements"):
        inputs.file_samples(z, [SPEC])


def test_empty_and_foreign_files(tmp_path):
    (tmp_path / "e.npy").write_bytes(b"")
    with pytest.raises(inputs.InputError, match="empty"):
        inputs.read_arrays(tmp_path / "e.npy")
    (tmp_path / "t.npy").write_text("1 2 3\n")
    with pytest.raises(inputs.InputError, match="not a .npy"):
        inputs.read_arrays(tmp_path / "t.npy")
    with pytest.raises(inputs.InputError, match="no such file"):
        inputs.read_arrays(tmp_path / "missing.npy")


def test_quantize_uses_the_input_scale_and_zero_point(tmp_path):
    real = np.array([[-1.0, -0.05, 0.0, 0.05, 0.149, 0.15, 20.0, -20.0]], np.float32)
    np.save(tmp_path / "r.npy", real)
    (x,), = list(inputs.file_samples(tmp_path / "r.npy", [SPEC], quantize=True))
    # independent: round half away from zero of real/0.1, plus -3, clamped to int8
    q = real.astype(np.float64) / 0.1
    want = np.clip(np.sign(q) * np.floor(np.abs(q) + 0.5) - 3, -128, 127).astype(np.int8)
    assert x.dtype == np.int8 and np.array_equal(x, want)
    # float data for a float input is taken as is, integers for a float input too
    np.save(tmp_path / "f.npy", real)
    (f,), = list(inputs.file_samples(tmp_path / "f.npy", [FSPEC]))
    assert f.dtype == np.float32 and np.array_equal(f, real)


def test_samples_are_streamed_not_built_up_front():
    tracemalloc.start()
    s = inputs.default_samples([SPEC], 100_000_000, seed=4)
    first = [next(iter(s)) for _ in range(2)]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(s) == 100_000_000 and peak < 1 << 20
    assert np.array_equal(first[0][0], first[1][0])        # the same seeded sample 0
    # sample k does not depend on the count asked for
    assert np.array_equal(s[57][0], inputs.default_samples([SPEC], 60, seed=4)[57][0])


def test_default_samples_mix_extremes_with_random_data():
    s = list(inputs.default_samples([SPEC], 6, seed=1))
    assert s[1][0].tolist() == [[-128] * 8] and s[2][0].tolist() == [[127] * 8]
    assert s[3][0].tolist() == [[-3] * 8]
    for k in (0, 4, 5):
        assert len(np.unique(s[k][0])) > 3 and s[k][0].dtype == np.int8
    assert not np.array_equal(s[4][0], s[5][0])


def _one_error_line(capsys, code):
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


@pytest.mark.parametrize("case", ["nan", "bool", "complex", "string", "structured", "empty",
                                  "scalar", "float_for_int8"])
def test_simulate_refuses_bad_input_files(tmp_path, capsys, relu_model, case):
    a, words = BAD_ARRAYS[case]
    p = tmp_path / "x.npy"
    np.save(p, a[:1] if a.ndim == 2 and len(a) else a)
    line = _one_error_line(capsys, main(["simulate", str(relu_model), "-i", str(p)]))
    assert words.split()[0].lower() in line.lower()


def test_validate_refuses_bad_inputs_before_any_board(tmp_path, capsys, relu_model):
    # --port to a closed local port: input errors must come first, without touching it
    np.save(tmp_path / "f.npy", np.full((3, 1, 8), 0.5, np.float32))
    argv = ["validate", "--port", "socket://127.0.0.1:9", "--model", str(relu_model),
            "--inputs", str(tmp_path / "f.npy")]
    assert "--quantize" in _one_error_line(capsys, main(argv))
    (tmp_path / "h.npy").write_bytes(_npy_header((1 << 40,)))
    argv[-1] = str(tmp_path / "h.npy")
    assert "elements" in _one_error_line(capsys, main(argv))
    for bad in ("0", "-1", "abc", "1e3"):
        line = _one_error_line(capsys, main(["validate", "--port", "x", "--samples", bad]))
        assert "--samples" in line


def test_simulate_quantize_option(tmp_path, capsys, relu_model):
    np.save(tmp_path / "r.npy", np.array([[0.5, -0.5, 1.0, 0, 0, 0, 0, 0]], np.float32))
    assert main(["simulate", str(relu_model), "-i", str(tmp_path / "r.npy"), "--quantize",
                 "-o", str(tmp_path / "y.npy")]) == 0
    y = np.load(tmp_path / "y.npy")
    # RELU with the same quantization: max(q, zero point)
    assert y.ravel().tolist() == [2, -3, 7, -3, -3, -3, -3, -3]


def test_npz_members_in_order_and_memory_samples(tmp_path):
    buf = io.BytesIO()
    np.savez(buf, np.arange(16, dtype=np.int16).reshape(2, 8))
    (tmp_path / "m.npz").write_bytes(buf.getvalue())
    s = inputs.file_samples(tmp_path / "m.npz", [SPEC])
    assert len(s) == 2 and s[1][0].dtype == np.int8 and s[1][0].ravel()[0] == 8
    with pytest.raises(inputs.InputError, match="NaN"):
        inputs.memory_samples(np.full((1, 8), np.nan), [FSPEC])


def test_inputs_of_another_shape_are_refused_with_both_shapes(tmp_path, capsys):
    b = ModelBuilder()
    x = b.activation((1, 4, 2, 1), scale=0.1)
    y = b.activation((1, 4, 2, 1), scale=0.1)
    b.op("RELU", [x], [y])
    m = tmp_path / "m.tflite"
    m.write_bytes(b.build([x], [y]))
    for shape in ((8,), (1, 2, 4, 1), (4, 2), (2, 8)):
        np.save(tmp_path / "x.npy", np.zeros(shape, np.int8))
        line = _one_error_line(capsys, main(["simulate", str(m), "-i",
                                             str(tmp_path / "x.npy")]))
        assert str(list(shape)) in line and "[1, 4, 2, 1]" in line, line
        argv = ["validate", "--port", "socket://127.0.0.1:9", "--model", str(m),
                "--inputs", str(tmp_path / "x.npy")]
        line = _one_error_line(capsys, main(argv))
        assert str(list(shape)) in line and "[1, 4, 2, 1]" in line, line
    spec = inputs.InputSpec("x", np.dtype(np.int8), (1, 4, 2, 1))
    with pytest.raises(inputs.InputError, match=r"\[3, 2, 4, 1\].*\[1, 4, 2, 1\]"):
        inputs.memory_samples(np.zeros((3, 2, 4, 1), np.int8), [spec])
    # the input's own shape (with or without its batch of one), or N of them, are taken
    for shape, n in (((1, 4, 2, 1), 1), ((4, 2, 1), 1), ((3, 4, 2, 1), 3),
                     ((3, 1, 4, 2, 1), 3)):
        a = np.arange(np.prod(shape), dtype=np.int8).reshape(shape)
        np.save(tmp_path / "ok.npy", a)
        s = inputs.file_samples(tmp_path / "ok.npy", [spec])
        assert len(s) == n and s[n - 1][0].shape == (1, 4, 2, 1)
        assert np.array_equal(s[n - 1][0].ravel(), a.reshape(n, -1)[n - 1])


def test_input_paths_that_are_not_regular_files(tmp_path, capsys, relu_model):
    import os
    import subprocess
    import sys
    (tmp_path / "d.npy").mkdir()
    os.symlink("loop_b", tmp_path / "loop_a")
    os.symlink("loop_a", tmp_path / "loop_b")
    os.symlink("gone.npy", tmp_path / "dangling.npy")
    os.mkfifo(tmp_path / "f.npy")
    cases = {"d.npy": "directory", "loop_a": "symbolic link loop",
             "dangling.npy": "broken symbolic link", "f.npy": "fifo", "/dev/zero": "device"}
    for name, words in cases.items():
        path = str(tmp_path / name)
        for argv in (["simulate", str(relu_model), "-i", path],
                     ["validate", "--port", "socket://127.0.0.1:9", "--model",
                      str(relu_model), "--inputs", path]):
            # in a child process: reading a fifo would block for ever
            r = subprocess.run([sys.executable, "-m", "tflm_py", *argv], capture_output=True,
                               text=True, timeout=60)
            err = r.stderr.strip().splitlines()
            assert r.returncode == 2 and len(err) == 1 and words in err[0], (argv, err)


def test_npy_headers_with_too_many_dims_or_absurd_lengths(tmp_path, capsys, relu_model):
    cases = {
        "dims33": (_npy_header((1,) * 25 + (2, 2, 2) + (1,) * 5) + bytes(8), "33 dimensions"),
        "dims70": (_npy_header((1,) * 70) + bytes(1), "70 dimensions"),
        # a version 2.0 header claiming 4 GiB of header text: refused before reading it
        "hlen": (b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{'descr'",
                 "4,294,967,280 bytes"),
        "hlen_cut": (b"\x93NUMPY\x01\x00" + struct.pack("<H", 5000) + b"{'descr'",
                     "truncated"),
        "nested": (_npy_header(()).replace(b"()", b"(" * 400 + b")" * 400), "not a .npy"),
    }
    for name, (raw, words) in cases.items():
        p = tmp_path / f"{name}.npy"
        p.write_bytes(raw)
        tracemalloc.start()
        line = _one_error_line(capsys, main(["simulate", str(relu_model), "-i", str(p)]))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert words in line and len(line) < 400 and peak < 64 << 20, (name, line)
