"""The virtual boards' process control (boards/platforms/tflm_virtual/builder/vboard.py, a
standard-library script shared with the PlatformIO dev-platform), loaded once. No serial
link here: project generation and the link side (tflm_py.harness) both use it."""
from __future__ import annotations

import importlib.util

from .resources import data_path

BOARD_STATE = "tflm_py_board.json"
_MODULE = None


def load_vboard():
    global _MODULE
    if _MODULE is None:
        path = data_path("boards") / "platforms" / "tflm_virtual" / "builder" / "vboard.py"
        spec = importlib.util.spec_from_file_location("tflm_py_vboard", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _MODULE = mod
    return _MODULE
