"""Boards and PlatformIO projects.

A board is one JSON file in boards/ (name, CPU/FPU, flash/RAM bytes, clock, PlatformIO
platform/board/framework, serial baud, port layer, tick source). `make_project` writes a
complete PlatformIO project that builds the validation firmware for a model:

    DIR/platformio.ini
    DIR/src/main.c                 the validation firmware (serves tflm_py.protocol)
    DIR/src/tflm_py_port.*         the board's port layer (UART + tick counter)
    DIR/lib/<prefix>/              the generated bundle (tflm_py.codegen.generate)
    DIR/model/<name>.tflite        the model (the harness simulates it to compare)
    DIR/tflm_py_project.json       what was generated, for `tflm-py validate DIR`

Virtual boards (qemu-mps2-an386, host) use the dev-platform in boards/platforms/tflm_virtual
(referenced with symlink://), so `pio run -t upload` works offline with the system's
compilers and starts the board.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import jinja2

from . import __version__
from .errors import ModelError, UnsupportedError
from .ir import Model
from .resources import data_path

PROJECT_FILE = "tflm_py_project.json"
PROTOCOLS = ("tflm-py", "mlperf-tiny")
PORT_FILES = {
    "arduino": ["arduino/tflm_py_port.cpp"],
    "qemu_cmsdk": ["qemu_cmsdk/tflm_py_port.c", "qemu_cmsdk/startup_mps2.c"],
    "host": ["host/tflm_py_port.c"],
    "stub": ["stub/tflm_py_port.c"],
}
TICK_FLAGS = {"dwt": "-DTFLM_PY_TICKS_DWT", "ccount": "-DTFLM_PY_TICKS_CCOUNT",
              "micros": "-DTFLM_PY_TICKS_MICROS"}
# code size estimate (bytes) for the fit check, before anything is compiled
CODE_PER_KERNEL = 2048
CODE_PER_OP = 96
FIRMWARE_CODE = 6144
# the firmware's statics (bytes): the validation firmware's two frame buffers, its small
# state and the C library's (measured on Cortex-M4: 1,552 B for 3 ops, 1,680 B for 13), plus
# per op its ticks, layer CRC and data CRC; the MLPerf Tiny firmware's command line and small
# state (~290 B measured) besides its `db` buffers (extra_ram)
FIRMWARE_RAM = 2 * (512 + 16) + 480
FIRMWARE_RAM_PER_OP = 12
FIRMWARE_RAM_MLPERF = 320


class BoardError(ModelError):
    """An unknown board or a board definition that cannot be used."""


class FitError(ModelError):
    """The model does not fit the board's flash or RAM (the message has the numbers)."""

    def __init__(self, message: str, report: dict):
        super().__init__(message)
        self.report = report


@dataclass
class Board:
    name: str
    title: str
    arch: str
    cpu: str
    fpu: Optional[str]
    flash_bytes: int
    ram_bytes: int
    clock_hz: int
    platformio: dict
    serial: dict
    port: str
    ticks: str
    virtual: Optional[str] = None
    compile: Optional[dict] = None
    compile_note: str = ""
    reserve: dict = field(default_factory=dict)
    stack_bytes: int = 4096
    qemu_machine: Optional[str] = None
    path: Optional[Path] = None

    @property
    def baud(self) -> int:
        return int(self.serial.get("baud", 115200))

    @property
    def env_name(self) -> str:
        return self.name

    def platform_value(self) -> str:
        plat = self.platformio["platform"]
        if self.virtual:
            return "symlink://" + str((boards_dir() / "platforms" / plat).resolve())
        return plat


def boards_dir() -> Path:
    return data_path("boards")


def list_boards() -> list[str]:
    return sorted(p.stem for p in boards_dir().glob("*.json"))


def get_board(name: Union[str, Board]) -> Board:
    if isinstance(name, Board):
        return name
    path = boards_dir() / f"{name}.json"
    if not path.is_file():
        raise BoardError(f"unknown board {name!r}; known boards: {', '.join(list_boards())}")
    try:
        d = json.loads(path.read_text())
        known = set(Board.__dataclass_fields__) - {"path"}
        return Board(**{k: v for k, v in d.items() if k in known}, path=path)
    except (ValueError, TypeError) as e:
        raise BoardError(f"board definition {path} is broken: {e}") from None


# ------------------------------------------------------------------------------ fit

def _kb(n: int) -> str:
    return f"{math.ceil(n / 1024)} KB"


def estimate_code_bytes(manifest: dict) -> int:
    rep = manifest.get("size_report")
    if rep and "total" in rep:  # measured by `tflm-py generate --report` (Cortex-M4 -Os)
        return max(0, int(rep["total"]["flash"]) - int(manifest.get("model_bytes", 0))) \
            + FIRMWARE_CODE
    return (FIRMWARE_CODE + CODE_PER_KERNEL * len(manifest.get("kernels", []))
            + CODE_PER_OP * int(manifest.get("op_count", 0)))


def fit_report(board: Board, manifest: dict, extra_ram: int = 0,
               protocol: str = "tflm-py") -> dict:
    model = int(manifest.get("model_bytes", 0))
    code = estimate_code_bytes(manifest)
    core_flash = int(board.reserve.get("flash_bytes", 0))
    arena = int(manifest.get("arena_bytes", 0))
    state = int(manifest.get("state_bytes", 0))
    tables = int(manifest.get("ram_table_bytes", 0))   # --optimize flash: built in RAM
    fw_ram = firmware_ram(int(manifest.get("op_count", 0)), extra_ram, protocol)
    core_ram = int(board.reserve.get("ram_bytes", 0))
    stack = int(board.stack_bytes)
    flash = model + code + core_flash
    ram = arena + state + tables + stack + fw_ram + core_ram
    return {"board": board.name,
            "flash": {"needed": flash, "available": board.flash_bytes, "model_data": model,
                      "code_estimate": code, "framework_estimate": core_flash,
                      "fits": flash <= board.flash_bytes},
            "ram": {"needed": ram, "available": board.ram_bytes, "arena": arena, "state": state,
                    "ram_tables": tables, "stack": stack, "firmware": fw_ram, "framework_estimate": core_ram,
                    "fits": ram <= board.ram_bytes}}


def fit_check(board: Union[str, Board], manifest: dict, what: str = "the model",
              extra_ram: int = 0, protocol: str = "tflm-py") -> dict:
    """Raise FitError (with the numbers) unless model + code fit the board's flash and
    arena + state + stack fit its RAM (extra_ram: more firmware buffers). Returns the
    report."""
    board = get_board(board)
    rep = fit_report(board, manifest, extra_ram, protocol)
    f, r = rep["flash"], rep["ram"]
    problems = []
    if not f["fits"]:
        problems.append(
            f"needs {_kb(f['needed'])} flash (model data {_kb(f['model_data'])} + code "
            f"~{_kb(f['code_estimate'])} + framework ~{_kb(f['framework_estimate'])}), "
            f"{board.name} has {_kb(f['available'])}")
    if not r["fits"]:
        problems.append(
            f"needs {_kb(r['needed'])} RAM (arena {_kb(r['arena'])} + state {_kb(r['state'])}"
            f" + stack {_kb(r['stack'])} + firmware {_kb(r['firmware'])} + framework "
            f"~{_kb(r['framework_estimate'])}), {board.name} has {_kb(r['available'])}")
    if problems:
        raise FitError(f"{what} does not fit {board.name}: " + "; ".join(problems), rep)
    return rep


# ------------------------------------------------------------------ RAM budget

def _model_io(model: Model, indices) -> list:
    """The manifest's description of graph inputs / outputs, from the model itself."""
    out = []
    for i in indices:
        t = model.tensors[i]
        q = t.quantization
        out.append({"name": t.name, "dtype": t.dtype.name, "shape": list(t.shape),
                    "bytes": int(t.nbytes), "scale": float(q.scale) if q else 0.0,
                    "zero_point": int(q.zero_point) if q else 0})
    return out


def firmware_ram(op_count: int, extra_ram: int = 0, protocol: str = "tflm-py") -> int:
    """The firmware's own statics (serial buffers, per-op ticks and checks, C library), an
    estimate before anything is compiled; extra_ram: more firmware buffers (MLPerf's `db`)."""
    if protocol == "mlperf-tiny":
        return FIRMWARE_RAM_MLPERF + int(extra_ram)
    return FIRMWARE_RAM + FIRMWARE_RAM_PER_OP * int(op_count) + int(extra_ram)


def state_bytes_of(model: Model) -> int:
    """The persistent state buffer of the generated code: variable tensors, 16-byte aligned."""
    return sum(-(-int(t.nbytes) // 16) * 16 for t in model.tensors if t.is_variable)


def arena_budget(board: Union[str, Board], model: Model, extra_ram: int = 0,
                 protocol: str = "tflm-py") -> dict:
    """The RAM `board` leaves for the tensor arena: its RAM less the stack, the firmware's
    statics, the framework and the model's state (the same sum the fit check adds up, so an
    arena within the budget passes it). {"bytes", "source", and each part}."""
    board = get_board(board)
    parts = {"ram": int(board.ram_bytes), "stack": int(board.stack_bytes),
             "firmware": firmware_ram(len(model.operators), extra_ram, protocol),
             "framework": int(board.reserve.get("ram_bytes", 0)),
             "state": state_bytes_of(model)}
    left = parts["ram"] - parts["stack"] - parts["firmware"] - parts["framework"] - parts["state"]
    return {"bytes": max(left, 0), "source": f"board {board.name}",
            "detail": (f"{parts['ram']:,} B RAM - stack {parts['stack']:,} - firmware statics "
                       f"~{parts['firmware']:,} - framework ~{parts['framework']:,} - state "
                       f"{parts['state']:,}"), **parts}


def format_budget(budget: Optional[dict]) -> str:
    """One line: the planner's RAM budget and where it came from."""
    if budget is None:
        return "RAM budget: none (give --board B or --ram-budget BYTES)"
    line = f"RAM budget: {budget['bytes']:,} B for the arena, from {budget['source']}"
    return line + (f" ({budget['detail']})" if budget.get("detail") else "")


def plan_for_budget(model: Model, budget: Optional[dict], optimize: str = "speed",
                    inplace: bool = True, what: Optional[str] = None, align: int = 16):
    """The planner's plan within `budget` (arena_budget, or {"bytes", "source"} of a
    --ram-budget; None: no limit): the fastest kernel variants that fit (optimize="speed"),
    else the smallest arena (optimize="ram", or when the speed plan cannot be brought under
    the budget). Raises FitError, naming the bytes needed and available, when even the
    smallest arena does not fit."""
    from .planner import plan as make_plan
    limit = None if budget is None else int(budget["bytes"])
    p = make_plan(model, align=align, inplace=inplace, optimize=optimize, ram_budget=limit)
    if limit is not None and p.arena_bytes > limit and optimize != "ram":
        small = make_plan(model, align=align, inplace=inplace, optimize="ram", ram_budget=limit)
        if small.arena_bytes < p.arena_bytes:
            small.int8_weights = p.int8_weights
            p = small
    if limit is not None and p.arena_bytes > limit:
        where = budget["source"] + (f": {budget['detail']}" if budget.get("detail") else "")
        raise FitError(f"{what or model.name} does not fit: its smallest arena needs "
                       f"{p.arena_bytes:,} B of RAM, {limit:,} B available ({where})",
                       {"ram": {"needed": p.arena_bytes, "available": limit,
                                "budget": dict(budget)}})
    p.ram_budget_source = None if budget is None else budget["source"]
    return p


# -------------------------------------------------------------------------- project

def _jinja() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_path("codegen") / "firmware")),
        keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


def render_mlperf_firmware(prefix: str, board: Board, spec: dict) -> str:
    """main.c of the MLPerf Tiny benchmark firmware (spec: mlperf_firmware.firmware_spec)."""
    from .mlperf_firmware import template_vars
    return _jinja().get_template("mlperf_main.c.j2").render(
        **template_vars(prefix, board, spec, __version__))


def render_firmware(prefix: str, board: Board) -> str:
    from . import protocol
    return _jinja().get_template("main.c.j2").render(
        prefix=prefix, PREFIX=prefix.upper(), board=board.name, version=__version__,
        P=protocol.C_CONSTANTS)


def build_flags(board: Board, prefix: str, profile: bool = True,
                validation: bool = True) -> list[str]:
    flags = []
    if profile:
        flags.append("-DTFLM_PY_PROFILE")
    if validation:  # the validation firmware's layer and data checks (tflm_py.integrity)
        flags.append("-DTFLM_PY_VALIDATION")
    flags.append(f"-DTFLM_PY_BAUD={board.baud}")
    if board.clock_hz:
        flags.append(f"-DTFLM_PY_CPU_HZ={board.clock_hz}u")
    if board.ticks in TICK_FLAGS:
        flags.append(TICK_FLAGS[board.ticks])
    flags += [f"-I lib/{prefix}", f"-I lib/{prefix}/kernels"]
    return flags


def render_platformio_ini(board: Board, prefix: str, source: str, profile: bool = True,
                          protocol: str = "tflm-py") -> str:
    return _jinja().get_template("platformio.ini.j2").render(
        board=board, env=board.env_name, platform=board.platform_value(),
        pio_board=board.platformio["board"], framework=board.platformio.get("framework"),
        baud=board.baud, flags=build_flags(board, prefix, profile, protocol == "tflm-py"), prefix=prefix,
        source=source, version=__version__, protocol=protocol, core_dir=_core_dir(),
        python=sys.executable)


def _core_dir() -> str:
    from .pio import core_dir
    return str(core_dir())


PROJECT_README = """# {source} on {title}

Generated by tflm_py {version} ({protocol} firmware). Files listed in `tflm_py_files.json`
are tflm-py's: `tflm-py generate` replaces only those (and stops, naming the file, if you
edited one; `--force` overwrites). Your own files here are never touched.

Build{upload}, offline, with tflm_py's private PlatformIO core (`core_dir` in
platformio.ini, prepared by `tflm-py generate`):

    {python} -m platformio run -t upload -d {dir}

or `tflm-py run MODEL --board {board} -o {dir}` (generate, build, validate). Validate:

    tflm-py validate {dir}{port}
"""



def copy_port(board_or_port: Union[Board, str], dst: Path) -> list[str]:
    port = board_or_port.port if isinstance(board_or_port, Board) else board_or_port
    if port not in PORT_FILES:
        raise BoardError(f"unknown port layer {port!r}")
    ports = boards_dir() / "ports"
    dst.mkdir(parents=True, exist_ok=True)
    names = ["tflm_py_port.h"]
    shutil.copyfile(ports / "tflm_py_port.h", dst / "tflm_py_port.h")
    for rel in PORT_FILES[port]:
        shutil.copyfile(ports / rel, dst / Path(rel).name)
        names.append(Path(rel).name)
    return names


def _stop_boards(project_dir: Path) -> None:
    from .vboards import BOARD_STATE, load_vboard
    for state in (project_dir / ".pio" / "build").glob(f"*/{BOARD_STATE}"):
        load_vboard().stop_state(str(state))


def project_program(project: dict) -> Path:
    """The firmware a project's build writes (a virtual board runs it)."""
    d = Path(project["dir"]) / ".pio" / "build" / project["env"]
    return d / ("program.elf" if project.get("virtual") == "qemu" else "program")


def stop_project_board(project_dir) -> bool:
    """Stop a virtual board that `pio run -t upload` left running for this project."""
    from .vboards import BOARD_STATE, load_vboard
    try:
        project = load_project(project_dir)
    except ModelError:
        return False
    if not project.get("virtual"):
        return False
    return bool(load_vboard().stop_state(str(project_program(project).parent / BOARD_STATE)))


def _is_project(d: Path) -> bool:
    return (d / PROJECT_FILE).is_file()


def load_project(project_dir) -> dict:
    d = Path(project_dir)
    f = d / PROJECT_FILE
    if not f.is_file():
        raise ModelError(f"{d} is not a tflm_py project (no {PROJECT_FILE}); make one with "
                         f"`tflm-py generate MODEL --board B -o DIR`")
    try:
        info = json.loads(f.read_text())
    except ValueError as e:
        raise ModelError(f"{f} is broken: {e}") from None
    info["dir"] = str(d.resolve())
    return info


def make_project(model: Union[str, os.PathLike, Model, None], board_name: Union[str, Board],
                 out_dir, prefix: Optional[str] = None, protocol: str = "tflm-py",
                 bundle_dir=None, profile: bool = True, check_fit: bool = True,
                 mlperf_model: Optional[str] = None,
                 mlperf_input: Optional[str] = None, force: bool = False,
                 optimize: str = "speed", ram_budget: Optional[int] = None,
                 inplace: bool = True) -> Path:
    """Write a PlatformIO project for `model` on `board_name` into out_dir; return its path.

    The bundle goes to lib/<prefix>/ (written by tflm_py.codegen.generate, or copied from
    `bundle_dir`, a ready bundle, when given). Fails with FitError, writing nothing, if the
    model does not fit the board. Regeneration replaces only the files tflm-py wrote
    (tflm_py.outdir): a user's files and `.pio/` stay; an edited generated file stops it
    unless force.

    protocol: "tflm-py" (the validation firmware, tflm_py.protocol) or "mlperf-tiny" (the
    MLPerf Tiny / EEMBC runner's text protocol, tflm_py.mlperf; no per-layer profiling);
    mlperf_model: its model id (kws01, vww01, ad01, ic01, sww01; guessed from the model's
    name or input shape when not given); mlperf_input: how the firmware turns the runner's
    `db` bytes into the input (tflm_py.mlperf_firmware.INPUT_MODES; by default the
    benchmark's own format for the model id).

    The arena is planned within the board's RAM budget (arena_budget: RAM less stack, firmware
    statics, framework and state; `ram_budget` bytes instead when given): the fastest kernel
    variants that fit, or with optimize="ram" the smallest arena; FitError when even that does
    not fit (check_fit=False: no budget unless `ram_budget`)."""
    from .codegen import sanitize_prefix

    board = get_board(board_name)
    if protocol not in PROTOCOLS:
        raise UnsupportedError(f"protocol {protocol!r} is not supported by the board projects "
                               f"(supported: {', '.join(PROTOCOLS)})")
    model_bytes, source = None, None
    if model is not None and not isinstance(model, Model):
        from .passes import load_model
        source = os.path.basename(os.fspath(model))
        model = load_model(model)
    if isinstance(model, Model):
        model_bytes = model.data
        source = source or f"{model.name}.tflite"
    elif bundle_dir is None:
        raise ModelError("make_project needs a model (or a ready bundle_dir)")

    out = Path(out_dir)
    from .outdir import check_path, read_record
    check_path(out)
    files: dict = {}
    if bundle_dir is not None:
        from .outdir import RECORD, tree_files
        manifest = json.loads((Path(bundle_dir) / "manifest.json").read_text())
        prefix = manifest["prefix"]
        files.update({f"lib/{prefix}/{rel}": data
                      for rel, data in tree_files(bundle_dir).items() if rel != RECORD})
        ios = (manifest.get("inputs", []), manifest.get("outputs", []))
    else:
        prefix = sanitize_prefix(prefix or model.name)
        ios = (_model_io(model, model.inputs), _model_io(model, model.outputs))
    mlperf_spec, extra_ram = None, 0
    if protocol == "mlperf-tiny":
        from . import mlperf_firmware as mlperf
        profile = False
        mid = mlperf_model or mlperf.guess_model_id(
            source or prefix, [io["shape"] for io in ios[0]], prefix)
        try:
            mlperf_spec = mlperf.firmware_spec(ios[0], ios[1], mid, input_mode=mlperf_input)
        except ValueError as e:
            raise UnsupportedError(str(e)) from None
        extra_ram = mlperf_spec["db_bytes"] + mlperf_spec["in_bytes"] + 128
    budget, variants = None, None
    if bundle_dir is None:
        from . import ops
        from .codegen import bundle_files
        from .planner import format_tradeoffs
        ops.check_model(model)      # before the rooms' geometry runs in the planner
        if ram_budget is not None:
            budget = {"bytes": int(ram_budget), "source": "--ram-budget"}
        elif check_fit:
            budget = arena_budget(board, model, extra_ram, protocol)
        plan = plan_for_budget(model, budget, optimize, inplace, what=source or prefix)
        variants = format_tradeoffs(plan)
        manifest, bundle = bundle_files(model, prefix=prefix, plan=plan, source=source)
        prefix = manifest["prefix"]
        files.update({f"lib/{prefix}/{rel}": data for rel, data in bundle.items()})
    fit = fit_check(board, manifest, what=source or prefix, extra_ram=extra_ram,
                    protocol=protocol) if check_fit else fit_report(board, manifest, extra_ram,
                                                                    protocol)
    if mlperf_spec is not None:
        files["src/main.c"] = render_mlperf_firmware(prefix, board, mlperf_spec)
    else:
        files["src/main.c"] = render_firmware(prefix, board)
    ports = boards_dir() / "ports"
    files["src/tflm_py_port.h"] = (ports / "tflm_py_port.h").read_bytes()
    if board.port not in PORT_FILES:
        raise BoardError(f"unknown port layer {board.port!r}")
    for rel in PORT_FILES[board.port]:
        files[f"src/{Path(rel).name}"] = (ports / rel).read_bytes()
    files["platformio.ini"] = render_platformio_ini(board, prefix, source or prefix, profile,
                                                    protocol)
    model_file = None
    if model_bytes is not None:
        model_file = f"model/{Path(source).stem}.tflite"
        files[model_file] = model_bytes
    files[".gitignore"] = ".pio/\n"
    files["README.md"] = PROJECT_README.format(
        source=source or prefix, title=board.title, version=__version__, protocol=protocol,
        upload=" and start the virtual board" if board.virtual else " and flash",
        python=sys.executable, dir=".", board=board.name,
        port="" if board.virtual else " --port /dev/ttyACM0")
    desc = {"generator": "tflm_py", "version": __version__, "board": board.name,
            "env": board.env_name, "prefix": prefix, "protocol": protocol,
            "model_file": model_file, "source": source,
            "model_hash": manifest.get("model_hash"), "virtual": board.virtual,
            "baud": board.baud, "profile": profile, "fit": fit,
            "ram_budget": budget, "optimize": optimize, "kernel_variants": variants,
            "inputs": manifest.get("inputs"), "outputs": manifest.get("outputs")}
    if mlperf_spec is not None:
        desc["mlperf"] = mlperf_spec
    files[PROJECT_FILE] = json.dumps(desc, indent=2) + "\n"
    from .outdir import write_tree
    if out.is_dir() and read_record(out) is not None:
        _stop_boards(out)     # a virtual board of the old project must not live on
    write_tree(out, files, kind="project", force=force)
    return out


# ------------------------------------------------------------- cross-compile check

def compile_check(project_dir, board: Union[str, Board], work_dir, link: bool = True,
                  timeout: float = 600, checks: Optional[bool] = None) -> dict:
    """Compile the project's firmware and bundle with the board's cross compiler, using the
    stub port instead of the board's framework port (the framework's headers are not
    needed). Returns {"objects": [...], "elf": path or None, "size": {...}}.
    checks=False builds the firmware as a user's production build would: without the
    profiling and validation code (-DTFLM_PY_PROFILE, -DTFLM_PY_VALIDATION); None: as the
    project says.

    Raises BoardError when the board has no compiler we can use (say why)."""
    import subprocess

    board = get_board(board)
    if not board.compile:
        raise BoardError(board.compile_note or f"no compiler known for {board.name}")
    cc = board.compile["cc"]
    if shutil.which(cc) is None:
        raise BoardError(f"{cc} not found (apt-get install gcc-arm-none-eabi)")
    proj = load_project(project_dir)
    d = Path(project_dir)
    prefix = proj["prefix"]
    work = Path(work_dir)
    stub = work / "port"
    copy_port("stub", stub)
    lib = d / "lib" / prefix
    srcs = [d / "src" / "main.c", stub / "tflm_py_port.c"]
    srcs += sorted(lib.glob("*.c")) + sorted((lib / "kernels").glob("*.c"))
    profile = bool(proj.get("profile", True)) and checks is not False
    validation = proj.get("protocol", "tflm-py") == "tflm-py" and checks is not False
    flags = [f for f in build_flags(board, prefix, profile, validation)
             if not f.startswith("-I ")]
    cflags = [*board.compile["cflags"], "-std=c99", "-Os", "-Wall", "-Wextra", "-Werror",
              "-ffunction-sections", "-fdata-sections", *flags,
              "-I", str(stub), "-I", str(lib), "-I", str(lib / "kernels")]
    objs = []
    for s in srcs:
        o = work / (s.stem + ".o")
        r = subprocess.run([cc, *cflags, "-c", str(s), "-o", str(o)], capture_output=True,
                           text=True, timeout=timeout)
        if r.returncode != 0:
            raise BoardError(f"{cc} failed on {s.name} for {board.name}:\n{r.stderr[-3000:]}")
        objs.append(str(o))
    elf = None
    size = {}
    if link:
        elf = work / "firmware.elf"
        lflags = [*board.compile["cflags"], "-Wl,--gc-sections"]
        if board.arch == "arm":
            lflags += ["--specs=nano.specs", "--specs=nosys.specs"]
        r = subprocess.run([cc, *lflags, *objs, "-o", str(elf), "-lm"], capture_output=True,
                           text=True, timeout=timeout)
        if r.returncode != 0:
            raise BoardError(f"linking for {board.name} failed:\n{r.stderr[-3000:]}")
        sizetool = cc[:-3] + "size" if cc.endswith("gcc") else "size"
        if shutil.which(sizetool):
            r = subprocess.run([sizetool, "-B", "-d", str(elf)], capture_output=True, text=True,
                               timeout=60)
            lines = r.stdout.strip().splitlines()
            if len(lines) >= 2:
                t, dd, b = (int(x) for x in lines[1].split()[:3])
                size = {"text": t, "data": dd, "bss": b, "flash": t + dd, "ram": dd + b}
    return {"objects": objs, "elf": str(elf) if elf else None, "size": size}
