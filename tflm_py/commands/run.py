"""tflm-py run: from a .tflite to a validated firmware in one command — generate the
PlatformIO project, `pio run -t upload` (a virtual board is built and started), validate."""
from __future__ import annotations

import os
import sys
import time

from ..options import add_force, add_link_options
from ..validation import run_validation


def add_parser(sub):
    p = sub.add_parser(
        "run", help="generate, build, upload and validate a firmware in one go",
        description="Generate the PlatformIO project for MODEL on board B, build and upload "
                    "it with `pio run -t upload` (virtual boards: build and start the board), "
                    "then validate it against the simulator. Exit 0 only if every sample is "
                    "bit-exact.")
    p.add_argument("model", help=".tflite file")
    from ..boards import list_boards
    p.add_argument("--board", required=True, metavar="B",
                   help="board: " + ", ".join(list_boards()))
    p.add_argument("-o", "--out", metavar="DIR",
                   help="project folder (default: ./<model>-<board>)")
    p.add_argument("--prefix", metavar="NAME", help="C name prefix (default: model file name)")
    p.add_argument("--protocol", default="tflm-py", choices=["tflm-py", "mlperf-tiny"],
                   help="firmware: the tflm-py validation firmware (default) or the MLPerf "
                        "Tiny benchmark firmware (validated through the runner's protocol)")
    from ..mlperf_firmware import INPUT_MODES, MODEL_IDS
    p.add_argument("--mlperf-model", metavar="ID",
                   help="with --protocol mlperf-tiny: the model id the firmware reports ("
                        + ", ".join(MODEL_IDS) + "; default: guessed from the model's name "
                        "or input shape)")
    p.add_argument("--mlperf-input", choices=INPUT_MODES, metavar="MODE",
                   help="with --protocol mlperf-tiny: how the `db` bytes become the input: "
                        + ", ".join(INPUT_MODES) + " (default: the benchmark's own format, "
                        "int8 for kws01/sww01, u8-minus-128 for vww01/ic01 (uint8 for a uint8 "
                        "input), float32 for ad01)")
    add_force(p)
    from ..options import add_optimize_options
    add_optimize_options(p)
    from ..options import positive_seconds
    p.add_argument("--build-timeout", type=positive_seconds, default=900.0, metavar="S",
                   help="longest time for `pio run -t upload`, seconds (default 900)")
    add_link_options(p)
    return p


def run(args) -> int:
    from ..boards import get_board, make_project  # noqa: F401
    from ..passes import load_model

    board = get_board(args.board)
    model = load_model(args.model)
    out = args.out or f"{model.name}-{board.name}"
    from ..locks import ProjectLock
    with ProjectLock(out):
        return _run_locked(args, board, model, out)


def _run_locked(args, board, model, out) -> int:
    from ..boards import make_project
    log = sys.stderr
    t0 = time.monotonic()
    path = make_project(model, board, out, prefix=args.prefix,
                        protocol=getattr(args, "protocol", "tflm-py"),
                        mlperf_model=getattr(args, "mlperf_model", None),
                        mlperf_input=getattr(args, "mlperf_input", None),
                        force=getattr(args, "force", False),
                        optimize=getattr(args, "optimize", "speed"),
                        ram_budget=getattr(args, "ram_budget", None))
    if not args.json:
        print(f"generated {path} for {board.name}", file=log)
        from ..boards import format_budget, load_project
        proj = load_project(path)
        print(format_budget(proj.get("ram_budget")), file=log)
        ram = (proj.get("fit") or {}).get("ram") or {}
        if "arena" in ram:
            print(f"arena {ram['arena']:,} B (optimize {proj.get('optimize', 'speed')})",
                  file=log)
    if not board.virtual and not args.port:
        print(f"note: {board.name} is a real board; give --port to validate after upload",
              file=log)
    try:
        return _upload_and_validate(args, board, path, t0)
    finally:
        if board.virtual:  # whatever happened, no board is left running
            from ..boards import stop_project_board
            stop_project_board(path)


def _upload_and_validate(args, board, path, t0) -> int:
    from ..pio import run_pio
    log = sys.stderr
    # a virtual board started by upload lives long enough for the validation, not forever
    lifetime = 300 + args.samples * (args.timeout + 10)
    r = run_pio(["run", "-t", "upload"], path, timeout=args.build_timeout,
                extra_env={"TFLM_PY_BOARD_LIFETIME": f"{lifetime:.0f}",
                           # the board ends with this process, even one ended by SIGKILL
                           "TFLM_PY_BOARD_OWNER": str(os.getpid())})
    if not args.json:
        tail = [ln for ln in r.stdout.splitlines()
                if ln.startswith(("RAM:", "Flash:", "virtual board running"))]
        for ln in tail:
            print(f"  {ln}", file=log)
        print(f"built and {'started' if board.virtual else 'uploaded'} in "
              f"{time.monotonic() - t0:.1f} s", file=log)
    args.model = None   # validate the project's own copy of the model
    if not board.virtual and not args.port:
        return 0
    return run_validation(os.fspath(path), args)
