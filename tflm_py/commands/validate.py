"""tflm-py validate: run samples on a board with the validation firmware and compare every
output with the simulator, bit for bit. Exit 0 only if every sample matches."""
from __future__ import annotations

import os

from ..errors import UsageError
from ..options import add_link_options
from ..validation import run_validation


def add_parser(sub):
    p = sub.add_parser(
        "validate", help="validate a board's firmware against the simulator, bit for bit",
        description="Send N inputs to a board running the tflm_py validation firmware, read "
                    "its outputs and tick counts, and compare with the simulator. DIR is a "
                    "project from `tflm-py generate --board` (a virtual board is started and "
                    "stopped here); a real board needs --port. Exit 0 only if every sample "
                    "is bit-exact, 1 on a mismatch, 2 on an error.")
    add_link_options(p)
    p.add_argument("dir", nargs="?", metavar="DIR", help="generated PlatformIO project")
    p.add_argument("--model", metavar="MODEL", help=".tflite (default: the project's model)")
    p.add_argument("--board", metavar="B", help="board name (serial settings with --port)")
    p.add_argument("--protocol", choices=["tflm-py", "mlperf-tiny"],
                   help="firmware protocol with --port and no DIR (default tflm-py; a "
                        "project knows its own)")
    return p


def run(args) -> int:
    if args.dir is not None and not os.path.isdir(args.dir):
        raise UsageError(f"{args.dir}: no such project folder")
    if args.dir is not None and args.board:
        from ..boards import load_project
        b = load_project(args.dir).get("board")
        if b != args.board:
            raise UsageError(f"{args.dir} is a project for {b}, not {args.board}")
    if args.dir is None:
        return run_validation(args.dir, args)
    from ..locks import ProjectLock
    with ProjectLock(args.dir):
        return run_validation(args.dir, args)
