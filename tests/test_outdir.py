"""tflm-py deletes or overwrites only files it wrote (tflm_py.outdir): regeneration keeps a
user's files, refuses to overwrite an edited generated file without --force, never writes
into a folder it did not make, and leaves nothing half-written."""
import json
import os

import numpy as np
import pytest

from tflm_py.cli import main
from tflm_py.outdir import RECORD, read_record, sha256_file
from tflm_py.testing import ModelBuilder


def _model(path, n=8):
    b = ModelBuilder()
    x = b.activation((1, n), scale=0.1, zero_point=-3)
    y = b.activation((1, n), scale=0.1, zero_point=-3)
    b.op("RELU", [x], [y])
    path.write_bytes(b.build([x], [y]))
    return path


def _gen(capsys, *argv):
    code = main(list(argv))
    err = capsys.readouterr().err.strip().splitlines()
    return code, err


def _snapshot(d):
    return {os.path.relpath(os.path.join(r, f), d): sha256_file(os.path.join(r, f))
            for r, _, fs in os.walk(d) for f in fs}


def test_regenerating_a_project_keeps_the_users_files(tmp_path, capsys):
    m = _model(tmp_path / "relu.tflite")
    out = tmp_path / "proj"
    assert _gen(capsys, "generate", str(m), "--board", "host", "-o", str(out))[0] == 0
    rec = read_record(out)
    assert rec["kind"] == "project" and "src/main.c" in rec["files"]
    for rel, digest in rec["files"].items():
        assert sha256_file(out / rel) == digest, rel
    (out / ".git" / "objects").mkdir(parents=True)
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / "src" / "my_sensor.c").write_text("int my_sensor(void) { return 1; }\n")
    (out / "NOTES.md").write_text("my notes\n")
    (out / ".pio" / "build").mkdir(parents=True)
    (out / ".pio" / "build" / "keep.o").write_bytes(b"obj")
    # a new model with another prefix: the old bundle's files go, the user's stay
    m2 = _model(tmp_path / "other.tflite", n=16)
    assert _gen(capsys, "generate", str(m2), "--board", "host", "-o", str(out))[0] == 0
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (out / ".git" / "objects").is_dir()
    assert (out / "src" / "my_sensor.c").is_file() and (out / "NOTES.md").is_file()
    assert (out / ".pio" / "build" / "keep.o").read_bytes() == b"obj"
    assert not (out / "lib" / "relu").exists() and (out / "lib" / "other").is_dir()
    assert not (out / "model" / "relu.tflite").exists()
    assert json.loads((out / "tflm_py_project.json").read_text())["prefix"] == "other"


def test_an_edited_generated_file_is_not_overwritten_without_force(tmp_path, capsys):
    m = _model(tmp_path / "relu.tflite")
    out = tmp_path / "proj"
    assert _gen(capsys, "generate", str(m), "--board", "host", "-o", str(out))[0] == 0
    (out / "src" / "main.c").write_text("/* my change */\n")
    before = _snapshot(out)
    code, err = _gen(capsys, "generate", str(m), "--board", "host", "-o", str(out))
    assert code == 2 and len(err) == 1 and err[0].startswith("error: ")
    assert "src/main.c" in err[0] and "--force" in err[0]
    assert _snapshot(out) == before
    assert _gen(capsys, "generate", str(m), "--board", "host", "-o", str(out), "--force")[0] == 0
    assert "my change" not in (out / "src" / "main.c").read_text()


def test_a_user_file_where_a_generated_one_would_go_is_kept(tmp_path, capsys):
    m = _model(tmp_path / "relu.tflite")
    out = tmp_path / "b"
    assert _gen(capsys, "generate", str(m), "-o", str(out))[0] == 0
    os.remove(out / "kernels" / "relu.c")          # gone from disk: simply written again
    assert _gen(capsys, "generate", str(m), "-o", str(out))[0] == 0
    assert (out / "kernels" / "relu.c").is_file()


@pytest.mark.parametrize("board", [None, "host"])
def test_a_folder_tflm_py_did_not_make_stays_untouched(tmp_path, capsys, board):
    m = _model(tmp_path / "relu.tflite")
    web = tmp_path / "webapp"
    (web / "src").mkdir(parents=True)
    (web / "manifest.json").write_text(json.dumps({"name": "My App", "start_url": "/"}))
    (web / "index.html").write_text("<html></html>\n")
    (web / "src" / "app.js").write_text("console.log(1)\n")
    before = _snapshot(web)
    argv = ["generate", str(m), "-o", str(web)] + (["--board", board] if board else [])
    code, err = _gen(capsys, *argv)
    assert code == 2 and len(err) == 1 and "not made by tflm-py" in err[0]
    assert _snapshot(web) == before and not any(p.name.startswith(".tflm_py")
                                                for p in web.iterdir())
    code, err = _gen(capsys, *argv, "--force")      # --force never takes a foreign folder
    assert code == 2 and _snapshot(web) == before


def test_bad_output_paths_are_one_error_line(tmp_path, capsys):
    m = _model(tmp_path / "relu.tflite")
    afile = tmp_path / "afile"
    afile.write_text("x")
    for out in (afile / "sub", afile):
        code, err = _gen(capsys, "generate", str(m), "-o", str(out))
        assert code == 2 and len(err) == 1 and "is a file" in err[0], err
    # a parent folder we may not write into (as root, chmod does not stop us: /sys does)
    ro = tmp_path / "ro"
    ro.mkdir()
    os.chmod(ro, 0o555)
    target = ro / "out" if not os.access(ro, os.W_OK) else "/sys/tflm_py_test_out"
    for argv in (["generate", str(m), "-o", str(target)],
                 ["generate", str(m), "--board", "host", "-o", str(target)]):
        code, err = _gen(capsys, *argv)
        assert code == 2 and len(err) == 1 and err[0].startswith("error: cannot write"), err
    os.chmod(ro, 0o755)
    assert list(ro.iterdir()) == [] and list(tmp_path.glob(".tflm_py*")) == []


def test_no_half_written_folder_when_generation_fails(tmp_path, capsys):
    b = ModelBuilder()
    x = b.activation((1, 4), dtype=np.float32)
    y = b.activation((1, 4), dtype=np.float32)
    b.op("FLOOR", [x], [y])
    m = tmp_path / "floor.tflite"
    m.write_bytes(b.build([x], [y]))
    assert _gen(capsys, "generate", str(m), "--board", "host", "-o", str(tmp_path / "p"))[0] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["floor.tflite"]


def test_report_rewrites_the_manifest_and_its_record(tmp_path):
    from tflm_py.outdir import update_file
    m = _model(tmp_path / "relu.tflite")
    out = tmp_path / "b"
    assert main(["generate", str(m), "-o", str(out)]) == 0
    update_file(out, "manifest.json", "{}\n")
    assert read_record(out)["files"]["manifest.json"] == sha256_file(out / "manifest.json")
    assert main(["generate", str(m), "-o", str(out)]) == 0      # not seen as an edit
    assert RECORD in os.listdir(out)


def test_output_paths_in_symbolic_link_loops_and_odd_places(tmp_path, capsys):
    m = _model(tmp_path / "relu.tflite")
    os.symlink("loop_b", tmp_path / "loop_a")
    os.symlink("loop_a", tmp_path / "loop_b")
    os.symlink("gone", tmp_path / "dangling")
    loop = str(tmp_path / "loop_a")
    for out in (tmp_path / "loop_a", tmp_path / "loop_a" / "sub"):
        for argv in (["generate", str(m), "-o", str(out)],
                     ["generate", str(m), "--board", "host", "-o", str(out)],
                     ["run", str(m), "--board", "host", "-o", str(out)],
                     ["simulate", str(m), "-o", str(out)],
                     ["simulate", str(m), "--dump-dir", str(out)]):
            code, err = _gen(capsys, *argv)
            assert code == 2 and err == [f"error: cannot write {out}: {loop} is a symbolic "
                                         "link loop"], (argv, err)
    afile = tmp_path / "afile.npy"
    afile.write_bytes(b"x")
    bad = {tmp_path / "dangling" / "y.npy": "broken symbolic link",
           afile / "y.npy": f"{afile} is a file, not a folder",
           tmp_path: "it is a folder", tmp_path / "nodir" / "y.npy": "no folder"}
    for out, words in bad.items():
        code, err = _gen(capsys, "simulate", str(m), "-o", str(out))
        assert code == 2 and len(err) == 1 and words in err[0], (out, err)
    # the output goes to exactly the path named: no ".npy" added
    code, _ = _gen(capsys, "simulate", str(m), "-o", str(tmp_path / "y.out"))
    assert code == 0 and np.load(tmp_path / "y.out").shape == (1, 8)
    assert not (tmp_path / "y.out.npy").exists()
    code, err = _gen(capsys, "simulate", str(m), "--dump-dir", str(afile / "d"))
    assert code == 2 and len(err) == 1 and "is a file" in err[0], err
