"""A pseudo-terminal in front of a board's serial link, so that programs that only open
serial device files (MLPerf Tiny's official runner, a terminal program) can talk to a
virtual board: bytes written to the pty's device go to the board, the board's bytes come
back out of it. `tflm-py serve` runs one.

The pty is raw (no echo, no line editing, no CR/LF translation) and stays open on our side
for its whole life, so a program may open and close the device file any number of times.
PATH is a symbolic link to the pty's /dev/pts/N, made and removed by the bridge; it never
replaces a file that is not such a link.
"""
from __future__ import annotations

import os
import select
import threading
import tty
from pathlib import Path
from typing import Optional


class PtyBridgeError(Exception):
    pass


def _is_our_kind_of_link(path: Path) -> bool:
    return path.is_symlink() and os.readlink(path).startswith("/dev/pts/")


class PtyBridge:
    """Relay bytes between a pty (symlinked at `link_path`) and `port`, a pyserial-like
    object (read/write/in_waiting/timeout). start() returns at once; stop() ends it."""

    def __init__(self, port, link_path, on_bytes=None):
        self.port = port
        self.link = Path(link_path)
        self.on_bytes = on_bytes          # optional callback(direction, data) for logging
        self.master: Optional[int] = None
        self.slave: Optional[int] = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.error: Optional[str] = None
        self.counts = {"to_board": 0, "from_board": 0}

    @property
    def device(self) -> str:
        return os.ttyname(self.slave)

    def start(self) -> "PtyBridge":
        if self.link.exists() or self.link.is_symlink():
            if not _is_our_kind_of_link(self.link):
                raise PtyBridgeError(f"{self.link} exists and is not a link to a pty; "
                                     "choose another --pty path")
            self.link.unlink()          # a stale link of an earlier bridge
        if not self.link.parent.is_dir():
            raise PtyBridgeError(f"{self.link.parent} is not a folder")
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        try:
            os.symlink(self.device, self.link)
        except OSError as e:
            self._close_fds()
            raise PtyBridgeError(f"cannot create {self.link}: {e.strerror}") from None
        for fn in (self._board_to_pty, self._pty_to_board):
            t = threading.Thread(target=fn, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def _board_to_pty(self):
        try:
            while not self._stop.is_set():
                self.port.timeout = 0.05
                data = self.port.read(max(1, getattr(self.port, "in_waiting", 0) or 1))
                if data:
                    self.counts["from_board"] += len(data)
                    if self.on_bytes:
                        self.on_bytes("from_board", data)
                    view = memoryview(data)
                    while view:
                        n = os.write(self.master, view)
                        view = view[n:]
        except Exception as e:  # the board went away: report it, end the bridge
            if not self._stop.is_set():
                self.error = f"board link failed: {e}"
                self._stop.set()

    def _pty_to_board(self):
        try:
            while not self._stop.is_set():
                r, _, _ = select.select([self.master], [], [], 0.05)
                if not r:
                    continue
                data = os.read(self.master, 4096)
                if data:
                    self.counts["to_board"] += len(data)
                    if self.on_bytes:
                        self.on_bytes("to_board", data)
                    self.port.write(data)
        except Exception as e:
            if not self._stop.is_set():
                self.error = f"pty relay failed: {e}"
                self._stop.set()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until the bridge ends (an error) or timeout; True if it ended."""
        return self._stop.wait(timeout)

    def _close_fds(self):
        for fd in (self.master, self.slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.master = self.slave = None

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2)
        self._threads = []
        try:
            if _is_our_kind_of_link(self.link):
                self.link.unlink()
        except OSError:
            pass
        self._close_fds()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
