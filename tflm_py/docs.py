"""Generated documentation tables (docs/ops.md), read from the op registry so they cannot
drift: `python -m tflm_py.docs` rewrites them; tests/test_docs.py fails when they are stale."""
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
that dies at the op), `overlap` (output may start inside the input at a safe offset).

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


def docs_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "docs"


def main() -> int:
    path = docs_dir() / "ops.md"
    path.write_text(ops_markdown())
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
