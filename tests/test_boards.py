"""Board definitions, generated PlatformIO projects for every board, cross-compilation for
each real board's CPU, the fit check, and the offline PlatformIO setup."""
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tflm_py import boards, pio
from tflm_py.errors import ModelError, UnsupportedError
from tflm_py.resources import data_path

from fake_device import FAKE_BUNDLE, fake_manifest

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "tests" / "data" / "models"
REAL = ["nucleo_f446re", "nucleo_l4r5zi", "nano33ble", "pico", "esp32dev", "teensy41"]
VIRTUAL = ["qemu-mps2-an386", "host"]
CPU = {"nucleo_f446re": "cortex-m4", "nucleo_l4r5zi": "cortex-m4", "nano33ble": "cortex-m4",
       "pico": "cortex-m0plus", "teensy41": "cortex-m7"}


@pytest.fixture(scope="module", autouse=True)
def private_pio_core(tmp_path_factory):
    """Each test worker gets its own PlatformIO core folder (never the user's)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TFLM_PY_PIO_CORE", str(tmp_path_factory.mktemp("pio_core")))
    yield
    mp.undo()


# ------------------------------------------------------------------ definitions

def test_all_boards_defined():
    assert set(boards.list_boards()) == set(REAL + VIRTUAL)
    for name in REAL + VIRTUAL:
        b = boards.get_board(name)
        assert b.name == name and b.flash_bytes > 0 and b.ram_bytes > 0 and b.baud > 0
        assert b.port in boards.PORT_FILES
        assert b.platformio["platform"] and b.platformio["board"]
        if name in REAL:
            assert b.platformio["framework"] == "arduino" and b.virtual is None
            assert b.clock_hz > 0 and b.cpu
    assert boards.get_board("pico").fpu is None
    assert boards.get_board("esp32dev").arch == "xtensa"
    with pytest.raises(boards.BoardError, match="known boards: .*nucleo_f446re"):
        boards.get_board("arduino_uno")


def test_data_path_finds_the_boards():
    assert (data_path("boards") / "ports" / "tflm_py_port.h").is_file()
    assert (data_path("codegen") / "firmware" / "main.c.j2").is_file()


# ----------------------------------------------------------------------- projects

@pytest.mark.parametrize("name", REAL + VIRTUAL)
def test_project_is_accepted_by_pio_project_config(name, tmp_path):
    proj = boards.make_project(None, name, tmp_path / name, bundle_dir=FAKE_BUNDLE)
    b = boards.get_board(name)
    ini = (proj / "platformio.ini").read_text()
    assert f"[env:{name}]" in ini and f"board = {b.platformio['board']}" in ini
    if b.virtual:
        assert "platform = symlink:///" in ini
        assert (Path(ini.split("symlink://")[1].split()[0]) / "platform.json").is_file()
    else:
        assert f"platform = {b.platformio['platform']}" in ini
        assert "framework = arduino" in ini
    r = pio.run_pio(["project", "config", "--lint"], proj, timeout=120)
    assert "Warning" not in r.stdout and "Error" not in r.stdout, r.stdout
    r = pio.run_pio(["project", "config", "--json-output"], proj, timeout=120)
    cfg = dict(json.loads(r.stdout[r.stdout.index("["):]))
    env = dict(cfg[f"env:{name}"])
    assert env["board"] == b.platformio["board"]
    assert "-DTFLM_PY_PROFILE" in env["build_flags"]
    # the project's files
    desc = boards.load_project(proj)
    assert desc["board"] == name and desc["prefix"] == "fake"
    assert (proj / "lib" / "fake" / "fake.h").is_file()
    assert (proj / "src" / "main.c").is_file() and (proj / "src" / "tflm_py_port.h").is_file()
    port_src = {"arduino": "tflm_py_port.cpp", "qemu_cmsdk": "startup_mps2.c",
                "host": "tflm_py_port.c"}[b.port]
    assert (proj / "src" / port_src).is_file()


@pytest.mark.parametrize("name", [n for n in REAL if n != "esp32dev"])
def test_real_board_sources_compile_for_its_cpu(name, tmp_path):
    """The validation firmware + bundle, with the stub port instead of the Arduino port
    (the Arduino core headers cannot be installed here), cross-compiled and linked for
    the board's CPU with Debian's arm-none-eabi-gcc."""
    assert shutil.which("arm-none-eabi-gcc"), "arm-none-eabi-gcc missing: run scripts/setup.sh"
    proj = boards.make_project(None, name, tmp_path / "p", bundle_dir=FAKE_BUNDLE)
    r = boards.compile_check(proj, name, tmp_path / "build")
    assert r["size"]["flash"] > 1000
    assert f"-mcpu={CPU[name]}" in boards.get_board(name).compile["cflags"]
    out = subprocess.run(["arm-none-eabi-readelf", "-A", r["elf"]], capture_output=True,
                         text=True).stdout
    want = {"cortex-m4": "v7E-M", "cortex-m7": "v7E-M", "cortex-m0plus": "v6S-M"}[CPU[name]]
    assert want in out
    if name == "teensy41":
        assert "FPv5" in out
    if name == "pico":
        assert "VFP" not in out


@pytest.mark.parametrize("name,model_name",
                         [(n, "hello_world_int8") for n in REAL if n not in ("esp32dev", "pico")]
                         + [("pico", m) for m in ("hello_world_int8", "micro_speech_quantized",
                                                  "kws_ref_model", "ad01_int8",
                                                  "trained_lstm_int8")])
def test_real_board_compiles_a_real_model(name, model_name, tmp_path):
    """Every model for the Cortex-M0+ (no FPU, no DSP instructions), one for the others."""
    assert shutil.which("arm-none-eabi-gcc"), "arm-none-eabi-gcc missing: run scripts/setup.sh"
    from tflm_py import load_model
    model = load_model(MODELS / f"{model_name}.tflite")
    proj = boards.make_project(model, name, tmp_path / "p")
    r = boards.compile_check(proj, name, tmp_path / "build")
    man = json.loads(next((proj / "lib").glob("*/manifest.json")).read_text())
    # flash holds the packed constants (not the whole .tflite) plus code
    assert man["model_bytes"] < man["tflite_bytes"] == len(model.data)
    assert r["size"]["flash"] > man["model_bytes"]


def test_esp32_needs_a_toolchain_we_cannot_install(tmp_path):
    proj = boards.make_project(None, "esp32dev", tmp_path / "p", bundle_dir=FAKE_BUNDLE)
    with pytest.raises(boards.BoardError, match="Xtensa.*cannot be installed"):
        boards.compile_check(proj, "esp32dev", tmp_path / "build")


@pytest.mark.parametrize("cxx,flags,ticks", [
    ("arm-none-eabi-g++", ["-mcpu=cortex-m4", "-mthumb"], "DWT"),
    ("arm-none-eabi-g++", ["-mcpu=cortex-m7", "-mthumb"], "DWT"),
    ("arm-none-eabi-g++", ["-mcpu=cortex-m0plus", "-mthumb"], "MICROS"),
    ("g++", [], "CCOUNT"),
])
def test_arduino_port_compiles_against_the_arduino_api(cxx, flags, ticks):
    """Syntax/type check of the Arduino port against a mock of the Arduino API (the real
    cores are registry packages we cannot install)."""
    assert shutil.which(cxx), f"{cxx} missing: run scripts/setup.sh"
    ports = data_path("boards") / "ports"
    r = subprocess.run([cxx, *flags, "-std=gnu++11", "-Wall", "-Wextra", "-Werror",
                        "-fsyntax-only", f"-DTFLM_PY_TICKS_{ticks}", "-DTFLM_PY_BAUD=115200",
                        "-I", str(ROOT / "tests" / "data" / "arduino_mock"), "-I", str(ports),
                        str(ports / "arduino" / "tflm_py_port.cpp")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_make_project_refuses_foreign_folder_and_regenerates_own(tmp_path):
    d = tmp_path / "x"
    d.mkdir()
    (d / "notes.txt").write_text("mine")
    with pytest.raises(ModelError, match="not made by tflm-py"):
        boards.make_project(None, "host", d, bundle_dir=FAKE_BUNDLE)
    assert (d / "notes.txt").read_text() == "mine"
    p = boards.make_project(None, "host", tmp_path / "y", bundle_dir=FAKE_BUNDLE)
    (p / ".pio").mkdir()
    (p / ".pio" / "keep").write_text("cache")
    p = boards.make_project(None, "qemu-mps2-an386", tmp_path / "y", bundle_dir=FAKE_BUNDLE)
    assert boards.load_project(p)["board"] == "qemu-mps2-an386"
    assert (p / ".pio" / "keep").is_file()
    assert not list(tmp_path.glob(".tflm_py_project_*"))
    with pytest.raises(UnsupportedError, match="protocol"):
        boards.make_project(None, "host", tmp_path / "z", bundle_dir=FAKE_BUNDLE,
                            protocol="carrier-pigeon")


# ------------------------------------------------------------------------- fit

def test_fit_check_reports_numbers():
    m = dict(fake_manifest(), model_bytes=600 * 1024, arena_bytes=20 * 1024)
    with pytest.raises(boards.FitError) as ei:
        boards.fit_check("nucleo_f446re", m, what="big.tflite")
    msg = str(ei.value)
    assert "big.tflite does not fit nucleo_f446re" in msg
    assert "flash (model data 600 KB" in msg and "nucleo_f446re has 512 KB" in msg
    assert "RAM" not in msg                      # RAM fits: only flash is named
    assert ei.value.report["flash"]["needed"] > 512 * 1024
    m = dict(fake_manifest(), arena_bytes=200 * 1024)
    with pytest.raises(boards.FitError, match=r"needs \d+ KB RAM \(arena 200 KB.*has 128 KB"):
        boards.fit_check("nucleo_f446re", m)
    rep = boards.fit_check("nucleo_l4r5zi", m)
    assert rep["ram"]["fits"] and rep["flash"]["fits"]
    # the Cortex-M0+ Pico: 264 KB RAM, less what its Arduino core takes
    with pytest.raises(boards.FitError, match="pico has 264 KB"):
        boards.fit_check("pico", dict(fake_manifest(), arena_bytes=240 * 1024))


def test_too_big_bundle_fails_before_writing(tmp_path):
    big = tmp_path / "bundle"
    shutil.copytree(FAKE_BUNDLE, big)
    m = json.loads((big / "manifest.json").read_text())
    m["model_bytes"] = 3 * 1024 * 1024
    (big / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(boards.FitError,
                       match=r"needs \d+ KB flash \(model data 3072 KB.*nano33ble has 960 KB"):
        boards.make_project(None, "nano33ble", tmp_path / "p", bundle_dir=big)
    assert not (tmp_path / "p").exists()


def test_too_big_model_fails_fit_check_with_numbers(tmp_path):
    """A real (generated) model of ~700 KB of weights on a 512 KB board."""
    from tflm_py import load_model
    from tflm_py.testing import ModelBuilder
    rng = np.random.default_rng(0)
    b = ModelBuilder()
    x = b.activation((1, 1024), scale=0.05, zero_point=0)
    w = b.constant(rng.integers(-127, 128, size=(700, 1024), dtype=np.int8),
                   scales=[0.01], zero_points=[0])
    bias = b.constant(np.zeros(700, np.int32), scales=[0.0005])
    y = b.activation((1, 700), scale=0.1, zero_point=0)
    b.op("FULLY_CONNECTED", [x, w, bias], [y])
    model = load_model(b.build(inputs=[x], outputs=[y]))
    with pytest.raises(boards.FitError) as ei:
        boards.make_project(model, "nucleo_f446re", tmp_path / "p")
    assert "nucleo_f446re has 512 KB" in str(ei.value)
    assert "needs 7" in str(ei.value)             # ~700 KB and more
    assert not (tmp_path / "p").exists()
    boards.make_project(model, "nucleo_l4r5zi", tmp_path / "q")   # 2 MB: fits


# ---------------------------------------------------------------- PlatformIO setup

def test_offline_tool_scons(tmp_path):
    core = pio.ensure_core(tmp_path / "core")
    pkg = core / "packages" / "tool-scons"
    meta = json.loads((pkg / "package.json").read_text())
    import semantic_version
    assert semantic_version.Version(meta["version"]) in semantic_version.SimpleSpec(
        pio.scons_spec())
    piopm = json.loads((pkg / ".piopm").read_text())
    assert piopm["spec"]["owner"] == "platformio" and piopm["name"] == "tool-scons"
    assert (pkg / "scons.py").is_file() and (pkg / "SCons" / "__init__.py").is_file()
    assert pio.ensure_core(tmp_path / "core") == core          # idempotent
    env = pio.pio_env(core)
    assert env["PLATFORMIO_CORE_DIR"] == str(core)
    assert env["PLATFORMIO_SETTING_ENABLE_TELEMETRY"] == "No"
    assert env["PLATFORMIO_DISABLE_UPGRADE_CHECK"] == "true"
    # PlatformIO itself finds it, offline
    r = subprocess.run([*pio.pio_command(), "pkg", "list", "-g", "--only-tools"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert "tool-scons" in r.stdout, r.stdout + r.stderr
    assert pio._scons_pio_version("4.11.1") == "4.41101.0"
    assert pio._scons_pio_version("4.8.1") == "4.40801.0"
