"""Every command in the examples' READMEs runs as written (from a fresh folder) on the
virtual board, and its output shows the board matched the simulator: the READMEs cannot
drift from what the code does. Real-board steps (`pio run -t upload`, `--port`) are not run;
their `tflm-py generate` step is."""
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
READMES = sorted(EXAMPLES.glob("*/README.md"))


def readme_commands():
    """(example, command) for every runnable line of the READMEs' ```sh blocks."""
    out = []
    for readme in READMES:
        text = readme.read_text()
        for block in re.findall(r"```sh\n(.*?)```", text, re.S):
            for line in block.splitlines():
                line = line.strip()
                if line.startswith("python examples/") and "--port" not in line:
                    out.append((readme.parent.name, line))
                elif line.startswith("tflm-py run") or line.startswith("tflm-py generate"):
                    out.append((readme.parent.name, line))
    return out


COMMANDS = readme_commands()


def test_every_example_has_a_readme_with_commands():
    names = {p.parent.name for p in READMES}
    assert {"hello_world", "keyword_spotting", "anomaly_detection"} <= names
    for name in names:
        cmds = [c for ex, c in COMMANDS if ex == name]
        assert any("qemu-mps2-an386" in c or c.startswith("python ") for c in cmds), name
        assert any("nucleo_l4r5zi" in c for c in cmds), f"{name}: no real-board command"
        text = (EXAMPLES / name / "README.md").read_text()
        assert "/dev/ttyACM0" in text and "pio run -t upload" in text


def _argv(command: str) -> list:
    argv = shlex.split(command)
    if argv[0] == "tflm-py":
        argv = [sys.executable, "-m", "tflm_py", *argv[1:]]
    elif argv[0] == "python":
        argv = [sys.executable, *argv[1:]]
    # repository-relative paths, run from a fresh folder
    return [str(ROOT / a) if a.startswith(("examples/", "tests/")) else a for a in argv]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    e = dict(os.environ)
    e["TFLM_PY_PIO_CORE"] = str(tmp_path_factory.mktemp("pio_core"))
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    return e


@pytest.mark.parametrize("example,command", COMMANDS,
                         ids=[f"{ex}:{' '.join(c.split()[:3])}:{k}"
                              for k, (ex, c) in enumerate(COMMANDS)])
def test_readme_command(example, command, tmp_path, env):
    r = subprocess.run(_argv(command), cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=600, stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    assert r.returncode == 0, f"{command}\n{out[-3000:]}"
    if command.startswith("tflm-py generate"):
        proj = tmp_path / shlex.split(command)[shlex.split(command).index("-o") + 1]
        assert (proj / "platformio.ini").is_file() and (proj / "src" / "main.c").is_file()
        return
    m = re.search(r"(\d+)/(\d+) samples bit-exact", out)
    assert m and m.group(1) == m.group(2) and int(m.group(1)) > 0, out[-3000:]
    assert "MISMATCH" not in out
    if example == "hello_world":
        _check_hello_world_picture(tmp_path / "hello_world.svg", int(m.group(1)))
    if "--labels" in command:
        labels = Path(_argv(command)[_argv(command).index("--labels") + 1]).read_text().split()
        rows = [ln for ln in out.splitlines() if re.match(r"^\s+\d+\s+yes\s", ln)]
        assert rows and all(re.search(r"  (\S+) \([01]\.\d{3}\)", ln) for ln in rows), out
        assert all(re.search(r"  (\S+) \(", ln).group(1) in labels for ln in rows)
    if "--protocol mlperf-tiny" in command and "ad01" in command:
        assert re.search(r"m-results-\[\d+\.\d{3}\]", out), out


def _check_hello_world_picture(svg: Path, n: int):
    assert svg.is_file(), "hello_world.svg not written"
    root = ET.parse(svg).getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}
    series = {g.get("data-label"): g for g in root.iterfind(".//s:g", ns)
              if g.get("data-label")}
    assert set(series) == {"sin(x)", "simulator", "board"}
    assert int(series["board"].get("data-points")) == n
    assert len(series["board"].findall("s:circle", ns)) == n
    assert int(series["simulator"].get("data-points")) == n
    assert f"{n}/{n} board outputs bit-exact" in svg.read_text()
    # the picture in the README is exactly what the command draws
    assert svg.read_text() == (EXAMPLES / "hello_world" / "hello_world.svg").read_text()
