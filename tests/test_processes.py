"""No process outlives tflm-py: SIGTERM/SIGHUP end a command like Ctrl-C (board stopped);
a virtual board ends within seconds of its owner, even one killed by SIGKILL; one run per
project folder at a time."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tflm_py import boards, pio
from tflm_py.cli import main as cli
from tflm_py.locks import ProjectLock

from test_virtual_boards import _needs, _running

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def qemu_project(tmp_path_factory):
    _needs("qemu-mps2-an386")
    d = tmp_path_factory.mktemp("proc")
    mp = pytest.MonkeyPatch()
    mp.setenv("TFLM_PY_PIO_CORE", str(d / "core"))
    proj = boards.make_project(ROOT / "tests" / "data" / "models" / "hello_world_int8.tflite",
                               "qemu-mps2-an386", d / "p")
    pio.run_pio(["run"], proj, timeout=600)
    yield proj
    mp.undo()


def _env():
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _wait(pred, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def _board_up(proj):
    return any("qemu-system-arm" in c for c in _running(proj))


def test_sigkill_of_the_owner_ends_the_virtual_board(qemu_project):
    code = ("import sys, time\n"
            "from tflm_py.boards import load_project\n"
            "from tflm_py.harness import VirtualBoard\n"
            f"vb = VirtualBoard(load_project({str(qemu_project)!r}), lifetime=600, reuse=False)\n"
            "vb.start(); print('up', flush=True); time.sleep(600)\n")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=_env(),
                         text=True)
    try:
        assert p.stdout.readline().strip() == "up"
        assert _board_up(qemu_project)
        p.kill()
        p.wait(timeout=10)
        t0 = time.monotonic()
        assert _wait(lambda: not _running(qemu_project), 8), _running(qemu_project)
        assert time.monotonic() - t0 < 8
    finally:
        p.kill()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_validate_and_its_board(qemu_project, sig):
    p = subprocess.Popen([sys.executable, "-m", "tflm_py", "validate", str(qemu_project),
                          "--samples", "100000000"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=_env(), text=True)
    try:
        assert _wait(lambda: _board_up(qemu_project), 60), "the board did not start"
        time.sleep(0.5)
        p.send_signal(sig)
        try:
            rc = p.wait(timeout=15)
        finally:
            p.kill()
        err = p.stderr.read()
        assert rc == 128 + sig and f"error: stopped by {signal.Signals(sig).name}" in err, err
        assert "Traceback" not in err
        assert _wait(lambda: not _running(qemu_project), 5), _running(qemu_project)
    finally:
        p.kill()


def test_a_second_run_on_the_same_folder_says_why(qemu_project, capsys):
    with ProjectLock(qemu_project):
        rc = cli(["validate", str(qemu_project), "--samples", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert f"another tflm-py run is using {Path(qemu_project).resolve()}" in err[0]
    assert not _running(qemu_project)


def test_ctrl_c_during_start_up_is_one_line(monkeypatch, capsys):
    import tflm_py.cli as cli_mod

    def interrupted():
        raise KeyboardInterrupt
    monkeypatch.setattr(cli_mod, "build_parser", interrupted)
    assert cli_mod.main(["inspect", "x.tflite"]) == 130
    assert capsys.readouterr().err.strip() == "error: interrupted"


def test_a_board_left_by_upload_ends_with_the_run_that_owns_it(qemu_project):
    """`tflm-py run` passes its pid to `pio run -t upload` (TFLM_PY_BOARD_OWNER): the board
    that upload leaves running ends when that process is gone, SIGKILL included."""
    from tflm_py.boards import load_project, project_program
    from tflm_py.vboards import BOARD_STATE, load_vboard
    owner = subprocess.Popen(["sleep", "600"])
    program = project_program(load_project(qemu_project))
    state = str(program.parent / BOARD_STATE)
    try:
        load_vboard().start_detached("qemu", str(program), state, lifetime=600,
                                     watch_pid=owner.pid)
        assert _board_up(qemu_project)
        owner.kill()
        owner.wait()
        assert _wait(lambda: not _running(qemu_project), 5), _running(qemu_project)
    finally:
        owner.kill()
        load_vboard().stop_state(state)


def _compiling(out) -> bool:
    """True while the compiler runs in the project folder `out` (its command line names
    the folder only relatively: found by its working folder)."""
    want = str(Path(out).resolve())
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if cwd == want and b"arm-none-eabi-gcc" in cmd:
            return True
    return False


def _run_then_signal(qemu_project, out, sig, phase):
    """`tflm-py run` of the fixture's model into `out`, `sig` sent during the build (phase
    "build": the compiler is running) or the validation (phase "board": the board is up and
    the build is over); returns (exit code, stderr)."""
    model = ROOT / "tests" / "data" / "models" / "hello_world_int8.tflite"

    def sigint_as_in_a_terminal():
        signal.signal(signal.SIGINT, signal.SIG_DFL)    # not ignored, whatever runs pytest
    p = subprocess.Popen([sys.executable, "-m", "tflm_py", "run", str(model), "--board",
                          "qemu-mps2-an386", "-o", str(out), "--samples", "100000000"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env(),
                         text=True, preexec_fn=sigint_as_in_a_terminal)
    try:
        if phase == "build":    # `pio run -t upload` started, the board not yet
            seen = lambda: _compiling(out)                            # noqa: E731
        else:
            seen = lambda: _board_up(out) and not any(               # noqa: E731
                "platformio" in c for c in _running(out))
        assert _wait(seen, 300), f"no {phase} seen: {_running(out)}"
        p.send_signal(sig)
        rc = p.wait(timeout=30)
        return rc, p.stderr.read()
    finally:
        p.kill()
        p.wait()


@pytest.mark.parametrize("phase", ["build", "board"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_a_signal_during_run_leaves_no_process(qemu_project, tmp_path, sig, phase):
    """Ctrl-C, SIGTERM or SIGKILL while `tflm-py run` builds or validates on the QEMU board:
    no qemu-system-arm, `platformio run` or SCons is left behind."""
    out = tmp_path / "p"
    rc, err = _run_then_signal(qemu_project, out, sig, phase)
    if sig != signal.SIGKILL:
        name = "interrupted" if sig == signal.SIGINT else f"stopped by {sig.name}"
        assert rc == 128 + sig and err.strip().splitlines()[-1] == f"error: {name}", err
        assert "Traceback" not in err
    assert _wait(lambda: not _running(out), 8), _running(out)
