"""Start and stop tflm_py's virtual boards. Standard library only: used by this dev-platform's
`upload` target (under PlatformIO's SCons) and by tflm_py's harness.

Boards:
  qemu  qemu-system-arm -M <machine> runs the firmware ELF; its UART0 is a TCP server on
        127.0.0.1:<port> (connect with pyserial's socket://127.0.0.1:<port>). -icount shift=0
        makes the SysTick tick counter an exact instruction count.
  host  the firmware is a native program; it opens a pseudo-terminal and prints
        "TFLM_PY_SERIAL /dev/pts/N" (connect with pyserial to /dev/pts/N).

Every board runs under `timeout LIFETIME` in its own process group, so a board nobody
stops still ends. A started board is described by a JSON state file (url, pid, program).

    python vboard.py start --kind qemu --machine mps2-an386 --program fw.elf --state s.json
    python vboard.py stop --state s.json
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

DEFAULT_LIFETIME = 600.0
READY_TIMEOUT = 20.0
_QEMU_READY = re.compile(r"waiting for connection on:.*?tcp:([\d.]+):(\d+)")
_HOST_READY = re.compile(r"TFLM_PY_SERIAL (\S+)")


class BoardError(RuntimeError):
    pass


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_command(program: str, machine: str, port: int, icount: bool = True) -> list:
    qemu = os.environ.get("TFLM_PY_QEMU", "qemu-system-arm")
    cmd = [qemu, "-M", machine, "-kernel", program, "-display", "none", "-monitor", "none",
           "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on,nodelay=on",
           "-semihosting-config", "enable=on,target=native"]
    if icount:
        cmd += ["-icount", "shift=0"]
    return cmd


def _wrap_lifetime(cmd: list, lifetime: float, foreground: bool = False) -> list:
    if lifetime and lifetime > 0 and shutil.which("timeout"):
        # --foreground under a guard: `timeout` stays in the guard's process group, so
        # stopping the group stops the board
        return ["timeout", *(["--foreground"] if foreground else []), "-k", "5",
                f"{lifetime:.0f}", *cmd]
    return cmd


def _wrap_guard(cmd: list, watch_pid: int = 0, watch_stdin: bool = False) -> list:
    """Run cmd under this file's `guard`: the board's process group ends within a second
    or two of the watched process ending (polled pid) or of its pipe closing (stdin EOF),
    whatever ended it, SIGKILL included."""
    if not watch_pid and not watch_stdin:
        return cmd
    g = [sys.executable, os.path.abspath(__file__), "guard"]
    if watch_pid:
        g += ["--watch-pid", str(int(watch_pid))]
    if watch_stdin:
        g += ["--watch-stdin"]
    return [*g, "--", *cmd]


def guard(cmd: list, watch_pid: int = 0, watch_stdin: bool = False) -> int:
    """Start cmd in this process group; end the group when the watched process is gone."""
    import select
    child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)

    def end_child():
        child.terminate()
        try:
            child.wait(timeout=3)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def end_group():
        end_child()     # the board, then anything else left in this group
        try:
            os.killpg(os.getpgid(0), signal.SIGKILL)
        except OSError:
            pass

    def on_term(*_):
        end_child()
        sys.exit(143)

    signal.signal(signal.SIGTERM, on_term)
    stdin_open = watch_stdin
    while child.poll() is None:
        if stdin_open:
            r, _, _ = select.select([sys.stdin], [], [], 0.5)
            if r and not os.read(sys.stdin.fileno(), 4096):
                end_group()
                break
        else:
            time.sleep(0.5)
        if watch_pid and not alive(watch_pid):
            end_group()
            break
    try:
        return child.wait(timeout=3)
    except subprocess.TimeoutExpired:
        child.kill()
        return 137


def _tail(path: str, n: int = 2000) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read()
        return data[-n:].decode("utf-8", "replace").strip()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def launch(kind: str, program: str, log_path: str, machine: str = "mps2-an386",
           lifetime: float = DEFAULT_LIFETIME, icount: bool = True,
           ready_timeout: float = READY_TIMEOUT, watch_pid: int = 0,
           watch_parent: bool = False):
    """Start a board; return (Popen, info dict) once its serial endpoint is ready.

    watch_parent: the board ends when this process ends (a pipe only this process holds;
    its end, even by SIGKILL, stops the board); watch_pid: it ends when that process does."""
    program = os.path.abspath(program)
    if not os.path.isfile(program):
        raise BoardError(f"firmware {program} not found (build the project first: pio run)")
    attempts = 3 if kind == "qemu" else 1
    last = ""
    for _ in range(attempts):
        if kind == "qemu":
            if not shutil.which(os.environ.get("TFLM_PY_QEMU", "qemu-system-arm")):
                raise BoardError("qemu-system-arm not found (apt-get install qemu-system-arm)")
            port = free_tcp_port()
            cmd = qemu_command(program, machine, port, icount)
            ready = _QEMU_READY
        elif kind == "host":
            cmd = [program]
            ready = _HOST_READY
        else:
            raise BoardError(f"unknown virtual board kind {kind!r}")
        guarded = bool(watch_pid or watch_parent)
        cmd = _wrap_guard(_wrap_lifetime(cmd, lifetime, guarded), watch_pid, watch_parent)
        log = open(log_path, "wb")
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if watch_parent
                                    else subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, close_fds=True,
                                    start_new_session=True)
        finally:
            log.close()
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            m = ready.search(_tail(log_path, 4000))
            if m:
                url = (f"socket://{m.group(1)}:{m.group(2)}" if kind == "qemu"
                       else m.group(1))
                info = {"kind": kind, "url": url, "pid": proc.pid, "pgid": proc.pid,
                        "program": program, "machine": machine if kind == "qemu" else None,
                        "started": time.time(), "lifetime": lifetime, "log": log_path,
                        "icount": bool(icount) if kind == "qemu" else None}
                return proc, info
            if proc.poll() is not None:
                break
            time.sleep(0.02)
        last = _tail(log_path)
        stop_pid(proc.pid, proc)
        if "Address already in use" not in last and "Failed to bind" not in last:
            break
    raise BoardError(f"the {kind} virtual board did not start: {last or 'no output'}")


def stop_pid(pgid: int, proc=None, grace: float = 3.0) -> None:
    """End a board's process group: SIGTERM, then SIGKILL after `grace` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            break
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if proc is not None:
                if proc.poll() is not None:
                    break
            elif not alive(pgid):
                break
            time.sleep(0.02)
        else:
            continue
        break
    if proc is not None:
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass


def read_state(path: str):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def state_running(info) -> bool:
    """True if the board described by `info` still runs (same program, not a reused pid)."""
    if not info or not alive(int(info.get("pid", 0)) or -1):
        return False
    try:
        with open(f"/proc/{info['pid']}/cmdline", "rb") as f:
            cmdline = f.read().decode("utf-8", "replace")
    except OSError:
        return True
    return info.get("program", "") in cmdline


def stop_state(path: str) -> bool:
    info = read_state(path)
    stopped = False
    if info and state_running(info):
        stop_pid(int(info["pgid"]))
        stopped = True
    try:
        os.remove(path)
    except OSError:
        pass
    return stopped


def start_detached(kind, program, state_path, machine="mps2-an386",
                   lifetime=DEFAULT_LIFETIME, icount=True, watch_pid: int = 0) -> dict:
    """Start a board that outlives this process (until stopped, `lifetime` ends or, with
    watch_pid, that process ends)."""
    stop_state(state_path)
    log_path = os.path.splitext(state_path)[0] + ".log"
    _, info = launch(kind, program, log_path, machine=machine, lifetime=lifetime, icount=icount,
                     watch_pid=watch_pid)
    tmp = state_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(info, f, indent=2)
    os.replace(tmp, state_path)
    return info


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="start/stop a tflm_py virtual board")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start")
    s.add_argument("--kind", choices=["qemu", "host"], required=True)
    s.add_argument("--program", required=True)
    s.add_argument("--state", required=True)
    s.add_argument("--machine", default="mps2-an386")
    s.add_argument("--lifetime", type=float,
                   default=float(os.environ.get("TFLM_PY_BOARD_LIFETIME", DEFAULT_LIFETIME)))
    s.add_argument("--no-icount", action="store_true")
    s.add_argument("--watch-pid", type=int,
                   default=int(os.environ.get("TFLM_PY_BOARD_OWNER", "0") or 0),
                   help="end the board when this process ends (env TFLM_PY_BOARD_OWNER)")
    t = sub.add_parser("stop")
    t.add_argument("--state", required=True)
    g = sub.add_parser("guard")
    g.add_argument("--watch-pid", type=int, default=0)
    g.add_argument("--watch-stdin", action="store_true")
    g.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args(argv)
    if a.cmd == "guard":
        cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
        return guard(cmd, a.watch_pid, a.watch_stdin)
    try:
        if a.cmd == "start":
            info = start_detached(a.kind, a.program, a.state, a.machine, a.lifetime,
                                  not a.no_icount, a.watch_pid)
            print(f"virtual board running: serial {info['url']} (pid {info['pid']}, ends "
                  f"after {info['lifetime']:.0f} s or `python {os.path.abspath(__file__)} "
                  f"stop --state {a.state}`)")
            print(f"validate with: tflm-py validate <project dir>  or  "
                  f"tflm-py validate --port {info['url']} --model <model.tflite>")
        else:
            print("stopped" if stop_state(a.state) else "no board was running")
        return 0
    except BoardError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
