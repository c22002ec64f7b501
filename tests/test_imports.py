"""Data flows one way: project generation never imports the link side (harness, MLPerf
client, pty bridge, pyserial), and no module imports a later stage, even lazily."""
import ast
import subprocess
import sys
from pathlib import Path

import tflm_py

PKG = Path(tflm_py.__file__).parent
LINK_SIDE = {"tflm_py.harness", "tflm_py.mlperf", "tflm_py.ptybridge", "serial"}
# module -> modules it must never import (at the top or inside a function)
FORBIDDEN = {
    "boards": LINK_SIDE, "codegen": LINK_SIDE | {"tflm_py.boards"},
    "planner": LINK_SIDE | {"tflm_py.codegen", "tflm_py.boards", "tflm_py.simulator"},
    "simulator": LINK_SIDE | {"tflm_py.codegen", "tflm_py.boards"},
    "reader": LINK_SIDE | {"tflm_py.planner", "tflm_py.codegen", "tflm_py.boards"},
    "outdir": LINK_SIDE | {"tflm_py.codegen", "tflm_py.boards"},
    "inputs": LINK_SIDE | {"tflm_py.boards", "tflm_py.codegen"},
    "vboards": LINK_SIDE | {"tflm_py.boards"},
    "mlperf_firmware": LINK_SIDE,
}


def _imports(path: Path) -> set:
    """Every module a file imports, resolved to absolute names."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = "tflm_py" + ("." + base if base else "")
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


def test_no_stage_imports_a_later_one():
    for name, banned in FORBIDDEN.items():
        bad = {m for m in _imports(PKG / f"{name}.py")
               if any(m == b or m.startswith(b + ".") for b in banned)}
        assert not bad, f"tflm_py/{name}.py imports {sorted(bad)}"


def test_generating_a_project_loads_no_link_module(tmp_path):
    code = f"""
import sys
from tflm_py.testing import ModelBuilder
b = ModelBuilder()
x = b.activation((1, 8), scale=0.1)
y = b.activation((1, 8), scale=0.1)
b.op("RELU", [x], [y])
from tflm_py.reader import load_model
open({str(tmp_path / 'm.tflite')!r}, "wb").write(b.build([x], [y]))
import tflm_py.boards, tflm_py.codegen
tflm_py.boards.make_project(load_model({str(tmp_path / 'm.tflite')!r}), "qemu-mps2-an386",
                            {str(tmp_path / 'p')!r})
tflm_py.codegen.generate(load_model({str(tmp_path / 'm.tflite')!r}), {str(tmp_path / 'b')!r})
print(" ".join(sorted(m for m in sys.modules if m in {sorted(LINK_SIDE)!r})))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "" and (tmp_path / "p" / "platformio.ini").is_file()
