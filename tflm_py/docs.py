"""Generated documentation tables (docs/ops.md from the op registry, docs/boards.md from
boards/*.json), so they cannot drift: `python -m tflm_py.docs` rewrites them;
tests/test_docs.py fails when they are stale."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from . import ops

HEADER = """# Supported ops

Generated from the op registry by `python -m tflm_py.docs`; do not edit by hand
(tests/test_docs.py fails when this table and the registry disagree).

Every op is bit-exact with TFLM's reference kernels (PyPI `tflite-micro`) in the simulator
and in the generated C. "In place" is the planner rule the op's room declares:
`alias` (output is a view of the input, 0 bytes), `elementwise` (output may reuse an input
that dies at the op), `overlap` (output may start inside the input at a safe offset), `view`
(per op, where a piece is a contiguous block: outputs inside the input or inputs inside the
output, no copy).

| op | room | in place | scope |
|---|---|---|---|
"""


def _scope(mod) -> str:
    doc = (mod.__doc__ or "").strip()
    first = re.split(r"\n\s*\n", doc)[0]
    first = " ".join(first.split())
    return first.replace("|", "\\|")


def ops_markdown() -> str:
    rows = []
    for name, mod in sorted(ops.registry().items()):
        room = mod.__name__.rsplit(".", 1)[-1]
        rule = getattr(mod, "INPLACE", None) or "-"
        if hasattr(mod, "inplace"):
            rule = f"{rule} (per op)" if rule != "-" else "per op"
        rows.append(f"| {name} | `ops/{room}.py` | {rule} | {_scope(mod)} |")
    return HEADER + "\n".join(rows) + "\n"


BOARDS_HEADER = """# Boards

Generated from `boards/*.json` by `python -m tflm_py.docs`; do not edit by hand
(tests/test_docs.py fails when this table and the board files disagree).

`tflm-py generate MODEL --board B -o DIR` writes a PlatformIO project for board B;
`tflm-py run MODEL --board B` also builds, uploads (a virtual board: starts it) and validates.
Flash and RAM are what the application may use; the fit check refuses a model whose data +
code or arena + state + stack exceed them. Ticks are what the firmware counts per inference
and per layer. How a board file is made: `boards/README.md`.

| board | what | CPU | FPU | clock | flash | RAM | PlatformIO platform / board / framework | port layer | ticks | serial |
|---|---|---|---|---|---|---|---|---|---|---|
"""

TICKS = {"dwt": "DWT cycle counter", "micros": "micros()", "ccount": "CCOUNT cycles",
         "systick_icount": "instructions (QEMU -icount)", "clock": "ns (host clock)"}


def _bytes(n: int) -> str:
    if n >= 1 << 30:
        return f"{n / (1 << 30):g} GB"
    if n >= 1 << 20:
        return f"{n / (1 << 20):g} MB"
    return f"{n / 1024:g} KB"


def _cell(v) -> str:
    return str(v).replace("|", "\\|")


def boards_markdown() -> str:
    import json

    from .resources import data_path
    rows = []
    notes = []
    for path in sorted((data_path("boards")).glob("*.json")):
        d = json.loads(path.read_text())
        pio = d.get("platformio", {})
        plat = " / ".join(str(pio.get(k) or "-") for k in ("platform", "board", "framework"))
        clock = f"{d['clock_hz'] / 1e6:g} MHz" if d.get("clock_hz") else "-"
        what = d.get("title", d["name"])
        if d.get("virtual"):
            what += " — no hardware needed"
        serial = d.get("serial", {})
        ser = f"{serial.get('baud', 115200)} baud"
        if serial.get("note"):
            ser += f"; {serial['note']}"
        rows.append("| " + " | ".join(_cell(c) for c in (
            f"`{d['name']}`", what, d.get("cpu", "-"), d.get("fpu") or "-", clock,
            _bytes(int(d["flash_bytes"])), _bytes(int(d["ram_bytes"])), plat,
            f"`{d.get('port', '-')}`", TICKS.get(d.get("ticks"), d.get("ticks") or "-"),
            ser)) + " |")
        if d.get("compile_note"):
            notes.append(f"- `{d['name']}`: {d['compile_note']}.")
    text = BOARDS_HEADER + "\n".join(rows) + "\n"
    if notes:
        text += "\nNotes:\n\n" + "\n".join(notes) + "\n"
    return text


def docs_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "docs"


def main() -> int:
    for name, text in (("ops.md", ops_markdown()), ("boards.md", boards_markdown())):
        path = docs_dir() / name
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
