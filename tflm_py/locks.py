"""One tflm-py run per project folder: an advisory lock (fcntl.flock, released by the
kernel when the process ends, however it ends) in tflm_py's cache, keyed by the folder's
absolute path, so that nothing is written into the user's folder for it."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .errors import UsageError


def lock_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "tflm_py" / "locks"


class ProjectLock:
    """`with ProjectLock(DIR):` — or UsageError "another tflm-py run is using DIR"."""

    def __init__(self, project_dir):
        self.dir = os.path.abspath(os.fspath(project_dir))
        key = hashlib.sha256(self.dir.encode()).hexdigest()[:24]
        self.path = lock_dir() / f"{key}.lock"
        self.f = None

    def __enter__(self):
        import fcntl
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.f = open(self.path, "a+")
        except OSError:
            return self         # no cache folder to lock in: run unlocked
        try:
            fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.f.seek(0)
            who = self.f.read().strip()
            self.f.close()
            self.f = None
            raise UsageError(f"another tflm-py run is using {self.dir}"
                             + (f" ({who})" if who else "")
                             + "; wait for it to end, or use another -o folder") from None
        self.f.seek(0)
        self.f.truncate()
        self.f.write(f"pid {os.getpid()}")
        self.f.flush()
        return self

    def __exit__(self, *exc):
        if self.f is not None:
            import fcntl
            try:
                self.f.truncate(0)
                fcntl.flock(self.f, fcntl.LOCK_UN)
            finally:
                self.f.close()
                self.f = None
