"""tflm-py serve: keep a virtual board running the MLPerf Tiny firmware behind a pty, so
that MLPerf Tiny's official runner (or any serial program) can drive it like a real board."""
from __future__ import annotations

import os
import signal
import sys
import time


def add_parser(sub):
    p = sub.add_parser(
        "serve", help="run a virtual board behind a pty (for MLPerf Tiny's runner)",
        description="Build MODEL's MLPerf Tiny firmware (--protocol mlperf-tiny) for a virtual "
                    "board, start the board and relay its serial port to a pseudo-terminal "
                    "linked at PATH, until Ctrl-C or SIGTERM. MODEL may also be a project "
                    "folder made by `tflm-py generate --board B --protocol mlperf-tiny`.")
    p.add_argument("model", help=".tflite file or an mlperf-tiny project folder")
    p.add_argument("--board", default="qemu-mps2-an386", metavar="B",
                   help="a virtual board (default qemu-mps2-an386)")
    p.add_argument("--pty", required=True, metavar="PATH",
                   help="where to link the pty, e.g. /tmp/tflm-py-dut")
    p.add_argument("-o", "--out", metavar="DIR",
                   help="project folder for a .tflite (default ./<model>-<board>-mlperf)")
    from ..mlperf_firmware import INPUT_MODES
    p.add_argument("--mlperf-model", metavar="ID", help="the model id the firmware reports")
    p.add_argument("--mlperf-input", choices=INPUT_MODES, metavar="MODE",
                   help="how the `db` bytes become the input: " + ", ".join(INPUT_MODES))
    p.add_argument("--build-timeout", type=float, default=900.0, metavar="S",
                   help="longest time for the build, seconds (default 900)")
    return p


WINDOW_SECONDS = 3.0


def _as_interrupt(signum, frame):
    raise KeyboardInterrupt


def run(args) -> int:
    from ..boards import get_board, load_project, make_project
    from ..cli import UsageError
    from ..errors import ModelError
    from ..harness import VirtualBoard, build_project, connect
    from ..ptybridge import PtyBridge, PtyBridgeError
    from ..protocol import DeviceError

    log = sys.stderr
    if os.path.isdir(args.model):
        project = load_project(args.model)
        if project.get("protocol") != "mlperf-tiny":
            raise UsageError(f"{args.model} is a {project.get('protocol')} project; serve runs "
                             "MLPerf Tiny firmware (generate it with --protocol mlperf-tiny)")
        path = args.model
    else:
        board = get_board(args.board)
        if not board.virtual:
            raise UsageError(f"{board.name} is a real board: the runner opens its serial port "
                             "directly; serve is for virtual boards")
        from ..passes import load_model
        model = load_model(args.model)
        path = args.out or f"{model.name}-{board.name}-mlperf"
        make_project(model, board, path, protocol="mlperf-tiny",
                     mlperf_model=args.mlperf_model, mlperf_input=args.mlperf_input)
        print(f"generated {path}; building ...", file=log)
        build_project(path, timeout=args.build_timeout)
        project = load_project(path)
    if not project.get("virtual"):
        raise UsageError(f"{path} is a project for the real board {project['board']}")
    spec = project.get("mlperf") or {}

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _as_interrupt)
    # the board lives as long as this command; a day at most if this process is lost
    with VirtualBoard(project, lifetime=24 * 3600, reuse=False) as vb:
        try:
            link = connect(vb.info["url"])
        except DeviceError as e:
            raise ModelError(f"cannot reach the virtual board: {e}") from None
        try:
            per_inference = _measure_wall_time(link, project)
            try:
                bridge = PtyBridge(link, args.pty).start()
            except PtyBridgeError as e:
                raise UsageError(str(e)) from None
            try:
                print(f"serving {project['board']} running {project.get('source')} as "
                      f"{spec.get('model_id')} (input {spec.get('input_mode', 'int8')}) on "
                      f"{args.pty} -> {bridge.device}", file=log)
                from ..resources import data_path
                shim = data_path("boards") / "mlperf_runner"
                print(f"MLPerf Tiny runner (in benchmark/runner, devices.yaml as in "
                      f"examples/mlperf_tiny/README.md):\n  PYTHONPATH={shim} "
                      f"TFLM_PY_MLPERF_PORT={os.path.abspath(args.pty)} python main.py "
                      "-m p ...\nCtrl-C stops", file=log)
                if per_inference:
                    n = max(1, int(WINDOW_SECONDS / per_inference))
                    print(f"one inference takes {per_inference * 1e3:.1f} ms of wall time "
                          f"here: for the runner's performance mode use `infer {n} 1` under "
                          f"`loop 5` in its tests_performance.yaml (about {WINDOW_SECONDS:g} s "
                          "a window, under its 5 s line timeout; 5 windows pass its 10 s "
                          "minimum)", file=log)
                log.flush()
                while not bridge.wait(1.0):
                    pass
                raise ModelError(bridge.error or "the bridge stopped")
            finally:
                bridge.stop()
        except (KeyboardInterrupt, SystemExit):   # Ctrl-C, SIGTERM, SIGHUP: the normal end
            print("stopped", file=log)
            return 0
        finally:
            link.close()


def _measure_wall_time(link, project) -> float:
    """Seconds of wall time one inference takes on this virtual board (what the runner's
    10 s window counts), from `infer 10 0` on an all-zero input; 0 if it cannot tell. Also
    reads the boot messages, so that the first program on the pty sees only answers to its
    own commands."""
    from ..mlperf import MlperfClient
    from ..protocol import DeviceError
    client = MlperfClient(link)
    try:
        client.sync()
        client.load(bytes(int(project["mlperf"]["in_bytes"])))
        t0 = time.monotonic()
        client.infer(10, 0)
        return (time.monotonic() - t0) / 10
    except (DeviceError, KeyError, TypeError):
        return 0.0
