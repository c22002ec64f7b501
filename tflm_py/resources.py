"""Where the run-time data folders (codegen/, kernels_c/, boards/) live.

In the repo they sit beside the package; in an installed wheel they are shipped inside it
as tflm_py/_data/<name>/ (see setup.py)."""
from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent
DATA_DIRS = ("codegen", "kernels_c", "boards")


def data_path(name: str) -> Path:
    if name not in DATA_DIRS:
        raise ValueError(f"unknown data folder {name!r}")
    inside = _PKG / "_data" / name
    if inside.is_dir():
        return inside
    beside = _PKG.parent / name
    if beside.is_dir():
        return beside
    raise FileNotFoundError(f"tflm_py data folder {name!r} not found (broken install?)")
