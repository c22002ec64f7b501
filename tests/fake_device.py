"""An in-process fake board for harness tests: a pyserial-like object (read, write, timeout,
in_waiting) around tflm_py.protocol.DeviceEmulator, with a virtual clock and injectable
faults on the wire: dropped, duplicated, corrupted and delayed bytes, a dead device, a boot
banner and garbage. No real time passes: pass `fake.clock` to the Client."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tflm_py import protocol as P

FAKE_BUNDLE = Path(__file__).resolve().parent / "data" / "fake_bundle"


def fake_manifest() -> dict:
    return json.loads((FAKE_BUNDLE / "manifest.json").read_text())


def fake_info(profile=True, op_count=None, max_payload=P.DEVICE_MAX_PAYLOAD,
              checks=True) -> P.DeviceInfo:
    m = fake_manifest()
    return P.DeviceInfo(P.PROTOCOL_VERSION, max_payload, profile, m["arena_bytes"],
                        m["state_bytes"], op_count if op_count is not None else m["op_count"],
                        0, "instructions (fake)", "fake-board", m["model_hash"],
                        P.io_infos_from_manifest(m["inputs"]),
                        P.io_infos_from_manifest(m["outputs"]),
                        m["layer_count"] if checks else 0, checks)


def fake_model():
    """The fake bundle's graph for the layer checks: one op, tensor 0 -> tensor 1."""
    from types import SimpleNamespace
    io = fake_manifest()["outputs"][0]
    return SimpleNamespace(
        operators=[SimpleNamespace(index=0, type="FAKE_ADD_ONE", inputs=[0], outputs=[1])],
        tensors=[SimpleNamespace(nbytes=io["bytes"]), SimpleNamespace(nbytes=io["bytes"])])


class AddOne:
    """The reference of the fake bundle: output = input + 1 (int8, wrapping)."""

    def __init__(self, add=1):
        self.add = add
        self.model = fake_model()

    def reset(self):
        pass

    def run(self, xs, dump=None):
        y = (np.asarray(xs[0]).astype(np.int16) + self.add).astype(np.int8)
        if dump is not None:
            dump[1] = y
        return [y]


class Accumulator:
    """A stateful model: output = input + number of invokes since reset (int8, wrapping)."""

    def __init__(self):
        self.n = 0
        self.model = fake_model()

    def reset(self):
        self.n = 0

    def run(self, xs, dump=None):
        self.n += 1
        y = (np.asarray(xs[0]).astype(np.int64) + self.n).astype(np.int8)
        if dump is not None:
            dump[1] = y
        return [y]


class FakeSerial:
    def __init__(self, device: P.DeviceEmulator, seed=0, drop=0.0, dup=0.0, corrupt=0.0,
                 stall=0.0, stall_s=3.0, dead=False, banner=True, garbage=0.0,
                 directions=("h2d", "d2h"), byte_time=1e-5, latency=2e-3):
        self.device = device
        self.rng = np.random.default_rng(seed)
        self.drop, self.dup, self.corrupt, self.garbage = drop, dup, corrupt, garbage
        self.stall, self.stall_s = stall, stall_s
        self.dead = dead
        self.directions = directions
        self.byte_time, self.latency = byte_time, latency
        self.now = 0.0
        self.timeout = 0.1
        self.queue: list[tuple[float, int]] = []
        self.written = 0
        self.faults = {"dropped": 0, "duplicated": 0, "corrupted": 0, "stalls": 0,
                       "garbage": 0}
        if banner:
            self._schedule(device.banner + b"\x00\xa5\x5a\x07junk\r\n")

    def clock(self) -> float:
        return self.now

    def _mangle(self, data: bytes, direction: str) -> bytes:
        if direction not in self.directions:
            return data
        out = bytearray()
        for b in data:
            r = self.rng.random()
            if r < self.drop:
                self.faults["dropped"] += 1
                continue
            if r < self.drop + self.corrupt:
                self.faults["corrupted"] += 1
                b ^= 1 << int(self.rng.integers(0, 8))
            out.append(b)
            if self.rng.random() < self.dup:
                self.faults["duplicated"] += 1
                out.append(b)
            if self.rng.random() < self.garbage:
                self.faults["garbage"] += 1
                out += bytes(self.rng.integers(0, 256, size=int(self.rng.integers(1, 8)),
                                               dtype=np.uint8))
        return bytes(out)

    def _schedule(self, data: bytes, extra=0.0):
        t = max(self.now, self.queue[-1][0] if self.queue else 0.0) + self.latency + extra
        for b in data:
            self.queue.append((t, b))
            t += self.byte_time

    # pyserial interface
    def write(self, data: bytes) -> int:
        self.written += len(data)
        self.now += len(data) * self.byte_time
        if self.dead:
            return len(data)
        reply = self.device.feed(self._mangle(bytes(data), "h2d"))
        if reply and not self.dead:     # (dead may be set by the device model meanwhile)
            extra = 0.0
            if self.rng.random() < self.stall:
                self.faults["stalls"] += 1
                extra = self.stall_s
            self._schedule(self._mangle(reply, "d2h"), extra)
        return len(data)

    def flush(self):
        pass

    @property
    def in_waiting(self) -> int:
        return sum(1 for t, _ in self.queue if t <= self.now)

    def read(self, n: int = 1) -> bytes:
        deadline = self.now + (self.timeout if self.timeout is not None else 1e9)
        if not self.in_waiting:
            if self.queue and self.queue[0][0] <= deadline:
                self.now = max(self.now, self.queue[0][0])
            else:
                self.now = deadline
                if not self.dead and self.device.buf:
                    # the link is quiet: the device drops a frame left incomplete (its
                    # receive timeout) and serves any good frame it held behind it
                    reply = self.device.flush()
                    if reply:
                        self._schedule(self._mangle(reply, "d2h"))
                return b""
        out = bytearray()
        while self.queue and len(out) < n and self.queue[0][0] <= self.now:
            out.append(self.queue.pop(0)[1])
        return bytes(out)

    def close(self):
        pass


def make_fake(compute=None, reset=None, info=None, **faults):
    info = info or fake_info()
    if compute is None:
        compute = AddOne().run
    dev = P.DeviceEmulator(info, compute, reset, data_crcs=fake_manifest()["data_check"])
    return FakeSerial(dev, **faults)
