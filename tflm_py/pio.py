"""PlatformIO without its registry: a private core folder and an offline `tool-scons`.

`pio run` needs exactly one core package, `tool-scons` (SCons). PlatformIO would download
it; we build it instead from the `scons` Python package installed with tflm_py, in a core
folder of our own (never the user's ~/.platformio):

    $TFLM_PY_PIO_CORE, else $XDG_CACHE_HOME/tflm_py/platformio-<hash of the install path>
    (~/.cache/tflm_py/platformio-<hash>: one per installation, so two installs coexist)

Everything here runs offline. Registry-backed platforms (ststm32, espressif32, ...) still
need the registry: projects for real boards build where PlatformIO can download them.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional, Sequence

from .errors import ModelError


class PioError(ModelError):
    """PlatformIO could not be set up or a `pio` command failed."""


def core_dir() -> Path:
    env = os.environ.get("TFLM_PY_PIO_CORE")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    # one core per installation: two tflm_py installs (other SCons/PlatformIO versions, other
    # dev-platform paths) never share, so never break each other's builds
    here = str(Path(__file__).resolve().parent)
    key = __import__("hashlib").sha256(here.encode()).hexdigest()[:12]
    return Path(cache) / "tflm_py" / f"platformio-{key}"


def scons_spec() -> str:
    """The tool-scons version requirement of the installed PlatformIO (e.g. "~4.41101.0")."""
    from platformio.dependencies import get_core_dependencies
    return get_core_dependencies()["tool-scons"]


def _scons_pio_version(scons_version: str) -> str:
    """SCons "4.11.1" -> PlatformIO's package version "4.41101.0"."""
    parts = [int("".join(c for c in p if c.isdigit()) or 0) for p in scons_version.split(".")[:3]]
    while len(parts) < 3:
        parts.append(0)
    major, minor, patch = parts
    return f"4.{major}{minor:02d}{patch:02d}.0"


def _installed_scons():
    try:
        import SCons
    except ImportError as e:
        raise PioError("the Python package 'scons' is not installed; it provides PlatformIO's "
                       "tool-scons offline (pip install scons)") from e
    return Path(SCons.__file__).resolve().parent, SCons.__version__


def _spec_ok(version: str, spec: str) -> bool:
    import semantic_version
    try:
        return semantic_version.Version(version) in semantic_version.SimpleSpec(spec)
    except ValueError:
        return False


def _tool_scons_ok(pkg: Path, version: str) -> bool:
    try:
        return json.loads((pkg / "package.json").read_text()).get("version") == version and \
            (pkg / "SCons" / "__init__.py").is_file() and (pkg / ".piopm").is_file()
    except (OSError, ValueError):
        return False


class _locked:
    """An exclusive advisory lock on a file (between processes sharing the core folder)."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        import fcntl
        self.f = open(self.path, "a")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        import fcntl
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


_LAUNCHER = '''"""tool-scons launcher made by tflm_py.pio from the installed scons package."""
import os
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from SCons.Script import main
main()
'''


def ensure_core(core: Optional[Path] = None) -> Path:
    """Create (once) the core folder with an offline tool-scons; return the core folder."""
    core = Path(core) if core else core_dir()
    src, scons_version = _installed_scons()
    version = _scons_pio_version(scons_version)
    spec = scons_spec()
    if not _spec_ok(version, spec):
        raise PioError(f"installed SCons {scons_version} (= tool-scons {version}) does not meet "
                       f"PlatformIO's requirement tool-scons {spec}; install the matching "
                       f"scons from PyPI")
    pkg = core / "packages" / "tool-scons"
    if _tool_scons_ok(pkg, version):
        return core
    (core / "packages").mkdir(parents=True, exist_ok=True)
    with _locked(core / ".tflm_py.lock"):
        if _tool_scons_ok(pkg, version):      # made by another process meanwhile
            return core
        tmp = Path(tempfile.mkdtemp(prefix=".tool-scons-", dir=core / "packages"))
        try:
            shutil.copytree(src, tmp / "SCons",
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            (tmp / "scons.py").write_text(_LAUNCHER)
            (tmp / "package.json").write_text(json.dumps({
                "name": "tool-scons", "version": version,
                "description": f"SCons {scons_version}, vendored offline by tflm_py",
                "keywords": ["build tools"], "homepage": "https://scons.org"}, indent=2))
            (tmp / ".piopm").write_text(json.dumps({
                "type": "tool", "name": "tool-scons", "version": version,
                "spec": {"owner": "platformio", "id": None, "name": "tool-scons",
                         "requirements": None, "uri": None}}))
            os.chmod(tmp, 0o755)
            if pkg.exists():
                shutil.rmtree(pkg)
            os.replace(tmp, pkg)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return core


def pio_env(core: Optional[Path] = None, base: Optional[dict] = None) -> dict:
    """Environment for a `pio` subprocess: private core folder, no telemetry, no upgrade check."""
    env = dict(os.environ if base is None else base)
    env["PLATFORMIO_CORE_DIR"] = str(Path(core) if core else core_dir())
    env["PLATFORMIO_SETTING_ENABLE_TELEMETRY"] = "No"
    env["PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL"] = "3650"
    env["PLATFORMIO_DISABLE_UPGRADE_CHECK"] = "true"
    env["PLATFORMIO_NO_ANSI"] = "true"
    env.setdefault("PYTHONIOENCODING", "utf-8")
    # the builders of tflm_py's dev-platform run `python` tools next to this interpreter
    bindir = os.path.dirname(sys.executable)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


def pio_command() -> list[str]:
    return [sys.executable, "-m", "platformio"]


def run_pio(args: Sequence[str], project_dir=None, timeout: float = 600, check: bool = True,
            capture: bool = True, core: Optional[Path] = None,
            extra_env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """Run `pio ARGS` (in project_dir) with a bounded time; raise PioError on failure."""
    core = ensure_core(core)
    cmd = [*pio_command(), *args]
    if project_dir is not None and "-d" not in args and "--project-dir" not in args:
        cmd += ["-d", str(project_dir)]
    env = pio_env(core)
    env.update(extra_env or {})
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE if capture else None,
                            stderr=subprocess.STDOUT if capture else None,
                            stdin=subprocess.DEVNULL, env=env, text=True,
                            start_new_session=True, preexec_fn=_die_with_parent())
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise PioError(f"`pio {' '.join(args)}` did not finish within {timeout:.0f} s")
    except BaseException:
        _kill_group(proc)
        raise
    result = subprocess.CompletedProcess(cmd, proc.returncode, out or "", "")
    if check and proc.returncode != 0:
        import re
        m = re.search(r"(?:Platform|Tool|Library) Manager: Installing (\S+)\s*\n\s*HTTPClientError",
                      out or "")
        if m:
            raise PioError(f"PlatformIO could not download '{m.group(1)}' (no access to its "
                           "registry?): build this project on a machine with internet, or use "
                           "a virtual board (qemu-mps2-an386, host)")
        tail = "\n".join((out or "").strip().splitlines()[-40:])
        raise PioError(f"`pio {' '.join(args)}` failed (exit {proc.returncode}):\n{tail}")
    return result


def _die_with_parent():
    """A preexec_fn: on Linux the child gets SIGTERM when this process ends, however it ends
    (SIGKILL included), so no `pio run` outlives the tflm-py that started it (its own
    `finally` ends it on any other exit); elsewhere None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    parent = os.getpid()
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def pre():
        prctl(1, int(signal.SIGTERM), 0, 0, 0)     # PR_SET_PDEATHSIG
        if os.getppid() != parent:                 # the parent died before the line above
            os._exit(1)
    return pre


def _kill_group(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        try:
            proc.wait(timeout=3)
            break
        except subprocess.TimeoutExpired:
            continue
    try:
        proc.communicate(timeout=1)
    except Exception:
        pass
