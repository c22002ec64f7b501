"""Class names for the top-1 line of simulate, validate, run and bench."""
from __future__ import annotations

from .errors import UsageError


def read_labels(path):
    """Class names from a text file, one per line (blank lines skipped); None for no path."""
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return [ln.strip() for ln in f if ln.strip()]
    except OSError as e:
        raise UsageError(f"{path}: cannot read labels ({e.strerror})") from None
