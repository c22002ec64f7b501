"""The `tflm-py` command line. Each subcommand lives in tflm_py/commands/<name>.py and offers
`add_parser(subparsers)` and `run(args) -> int`. Any tflm_py error becomes one line
`error: ...` on stderr and exit code 2."""
from __future__ import annotations

import argparse
import importlib
import sys

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


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:     # --help, --version, or a usage error already printed
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    try:
        return int(args._run(args) or 0)
    except (ModelError, UsageError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
