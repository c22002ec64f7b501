"""The `tflm-py` command line. Each subcommand lives in tflm_py/commands/<name>.py and offers
`add_parser(subparsers)` and `run(args) -> int`. Any tflm_py error becomes one line
`error: ...` on stderr and exit code 2."""
from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading

from .errors import ModelError, UsageError  # noqa: F401  (UsageError: used by the commands)

# subcommand -> module under tflm_py.commands
COMMANDS = ("inspect", "simulate", "plan", "generate", "run", "validate", "bench", "serve")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line `error: ...` and exit 2, like every other."""

    def error(self, message):
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    p = _Parser(prog="tflm-py", description=(
        "int8 TFLite models to interpreter-free microcontroller firmware, validated bit-exact."))
    p.add_argument("--version", action="version", version=f"tflm-py {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"tflm_py.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"tflm_py.commands.{name}":
                continue
            raise
        sp = mod.add_parser(sub)
        sp.set_defaults(_run=mod.run)
    return p


def _stop_on_signals() -> list:
    """SIGTERM and SIGHUP end a command the way Ctrl-C does (KeyboardInterrupt: boards
    stopped, build subprocesses ended); returns the list the signals received are added to."""
    received: list = []
    if threading.current_thread() is not threading.main_thread():
        return received

    def handler(signum, frame):
        received.append(signum)
        raise KeyboardInterrupt

    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            signal.signal(sig, handler)
        except (ValueError, OSError):
            pass
    return received


def main(argv=None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:   # Ctrl-C while starting up (imports, parsing): nothing to undo
        print("error: interrupted", file=sys.stderr)
        return 130


def _main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:     # --help, --version, or a usage error already printed
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    old = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    received = _stop_on_signals()
    try:
        return _run(args, received)
    finally:
        if threading.current_thread() is threading.main_thread():
            for sig, h in old.items():
                if h is not None:
                    signal.signal(sig, h)


def _run(args, received) -> int:
    try:
        return int(args._run(args) or 0)
    except (ModelError, UsageError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Ctrl-C, SIGTERM or SIGHUP: the `finally` blocks on the way here stopped any
        # virtual board and build this command started
        sig = received[-1] if received else signal.SIGINT
        name = {signal.SIGINT: "interrupted"}.get(sig, f"stopped by {signal.Signals(sig).name}")
        print(f"error: {name}", file=sys.stderr)
        return 128 + int(sig)
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
