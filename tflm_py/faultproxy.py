"""A byte-level fault proxy for the serial link: a TCP relay between `validate` (socket://)
and a board's TCP serial port (the QEMU virtual board) that drops, duplicates, flips bits
of and injects garbage between bytes, and stalls the stream, each at a given rate and in
each direction. For tests and scripts/bench_link.py; it proves that link faults cost
retries, never a wrong verdict.

    with FaultProxy("127.0.0.1", qemu_port, drop=0.01, seed=1) as px:
        validate_link(connect(px.url), ...)
"""
from __future__ import annotations

import random
import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Faults:
    drop: float = 0.0          # per byte
    dup: float = 0.0           # per byte
    garbage: float = 0.0       # per byte: 1-4 random bytes inserted after it
    flip: float = 0.0          # per byte: one bit flipped
    delay: float = 0.0         # per chunk forwarded: the stream stalls
    delay_s: tuple = (0.5, 2.0)
    directions: tuple = ("h2d", "d2h")
    counts: dict = field(default_factory=lambda: {"dropped": 0, "duplicated": 0, "garbage": 0,
                                                  "flipped": 0, "delays": 0,
                                                  "delayed_s": 0.0})


class FaultProxy:
    def __init__(self, host: str, port: int, seed: int = 0, **faults):
        self.target = (host, port)
        self.faults = Faults(**faults)
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.port = self.server.getsockname()[1]
        self.url = f"socket://127.0.0.1:{self.port}"
        self.stop = threading.Event()
        self.threads: list = []
        self.socks: list = []
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)

    def _mangle(self, data: bytes, direction: str) -> bytes:
        f = self.faults
        if direction not in f.directions:
            return data
        out = bytearray()
        with self.lock:
            r = self.rng
            for b in data:
                if r.random() < f.drop:
                    f.counts["dropped"] += 1
                    continue
                if r.random() < f.flip:
                    f.counts["flipped"] += 1
                    b ^= 1 << r.randrange(8)
                out.append(b)
                if r.random() < f.dup:
                    f.counts["duplicated"] += 1
                    out.append(b)
                if r.random() < f.garbage:
                    f.counts["garbage"] += 1
                    out += bytes(r.randrange(256) for _ in range(r.randint(1, 4)))
            stall = r.uniform(*f.delay_s) if f.delay and direction in f.directions and \
                r.random() < f.delay else 0.0
            if stall:
                f.counts["delays"] += 1
                f.counts["delayed_s"] += stall
        if stall:
            time.sleep(stall)
        return bytes(out)

    def _pump(self, src, dst, direction):
        try:
            while not self.stop.is_set():
                try:
                    data = src.recv(256)
                except socket.timeout:
                    continue
                if not data:
                    break
                data = self._mangle(data, direction)
                if data:
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _accept(self):
        self.server.settimeout(0.2)
        while not self.stop.is_set():
            try:
                client, _ = self.server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            board = socket.create_connection(self.target, timeout=10)
            for s in (client, board):
                s.settimeout(0.2)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.socks += [client, board]
            for a, b, d in ((client, board, "h2d"), (board, client, "d2h")):
                t = threading.Thread(target=self._pump, args=(a, b, d), daemon=True)
                t.start()
                self.threads.append(t)

    def close(self):
        self.stop.set()
        for s in [self.server, *self.socks]:
            try:
                s.close()
            except OSError:
                pass
        for t in self.threads:
            t.join(timeout=3)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
