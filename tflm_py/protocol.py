"""The tflm-py serial protocol between the host and the validation firmware.

Frame (all integers little-endian):

    A5 5A | type u8 | seq u8 | len u16 | ~len u16 | payload[len] | crc32 u32

crc32 is zlib's CRC-32 over type..payload. `~len` (len xor 0xFFFF) lets a receiver reject
a corrupted length at once instead of waiting for bytes that never come. Anything between
frames is ignored (a boot banner is fine); a receiver that finds a bad frame drops one byte
and hunts for the next sync.

The host sends commands; the firmware answers each with one frame of type `cmd | 0x80`,
the same seq, and a payload starting with a status byte (0 = OK). A frame the firmware
cannot use (bad length or CRC) gets an ERROR frame (type 0xFF, status ERR_CRC/ERR_HEADER).

    INFO          -                               -> hello (see DeviceInfo.parse)
    WRITE_INPUT   index u8, offset u32, bytes     -> -
    INVOKE        -                               -> result i32, ticks u64
    READ_OUTPUT   index u8, offset u32, n u16     -> bytes
    LAYER_TICKS   first u16, count u16            -> n u16, n x ticks u32
    RESET_STATE   -                               -> -

INVOKE is the one command that must not run twice: the firmware remembers the seq of the
last INVOKE and answers a repeat (a host retry after a lost reply) from memory. INFO and
RESET_STATE clear that memory. Every wait on the host has a deadline; lost, corrupted or
duplicated bytes cost a retry, never a wrong answer (every frame is CRC-checked).

The C side is codegen/firmware/main.c.j2; `DeviceEmulator` below is its Python twin (used
by the tests' fake devices).
"""
from __future__ import annotations

import struct
import time
import zlib
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

from .errors import ModelError

PROTOCOL_VERSION = 1
MAGIC = b"TFPY"
SYNC = b"\xA5\x5A"
HEADER_BYTES = 8            # sync(2) type seq len ~len
OVERHEAD = HEADER_BYTES + 4
DEVICE_MAX_PAYLOAD = 512    # what the firmware accepts (its receive buffer)

# commands
INFO = 0x01
WRITE_INPUT = 0x02
INVOKE = 0x03
READ_OUTPUT = 0x04
LAYER_TICKS = 0x05
RESET_STATE = 0x06
REPLY = 0x80
ERROR = 0xFF
COMMAND_NAMES = {INFO: "INFO", WRITE_INPUT: "WRITE_INPUT", INVOKE: "INVOKE",
                 READ_OUTPUT: "READ_OUTPUT", LAYER_TICKS: "LAYER_TICKS",
                 RESET_STATE: "RESET_STATE"}

# status codes
OK = 0
ERR_CRC = 1
ERR_HEADER = 2
ERR_UNKNOWN = 3
ERR_ARG = 4
ERR_INVOKE = 5
ERR_UNSUPPORTED = 6
STATUS_NAMES = {OK: "ok", ERR_CRC: "bad CRC", ERR_HEADER: "bad frame header",
                ERR_UNKNOWN: "unknown command", ERR_ARG: "bad argument",
                ERR_INVOKE: "invoke failed", ERR_UNSUPPORTED: "not supported"}

# TFLite tensor type codes -> numpy dtypes
TYPE_DTYPES = {0: np.float32, 2: np.int32, 3: np.uint8, 4: np.int64, 6: np.bool_,
               7: np.int16, 9: np.int8}
DTYPE_TYPES = {np.dtype(v).name: k for k, v in TYPE_DTYPES.items()}

C_CONSTANTS = dict(PROTOCOL_VERSION=PROTOCOL_VERSION, MAX_PAYLOAD=DEVICE_MAX_PAYLOAD,
                   INFO=INFO, WRITE_INPUT=WRITE_INPUT, INVOKE=INVOKE, READ_OUTPUT=READ_OUTPUT,
                   LAYER_TICKS=LAYER_TICKS, RESET_STATE=RESET_STATE, REPLY=REPLY, ERROR=ERROR,
                   OK=OK, ERR_CRC=ERR_CRC, ERR_HEADER=ERR_HEADER, ERR_UNKNOWN=ERR_UNKNOWN,
                   ERR_ARG=ERR_ARG, ERR_INVOKE=ERR_INVOKE, ERR_UNSUPPORTED=ERR_UNSUPPORTED)


class DeviceError(ModelError):
    """The device did not answer properly (timeouts, errors, wrong firmware)."""


def crc32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def encode_frame(ftype: int, seq: int, payload: bytes = b"") -> bytes:
    n = len(payload)
    if n > 0xFFFF:
        raise ValueError("payload too long")
    body = struct.pack("<BBHH", ftype, seq, n, n ^ 0xFFFF) + bytes(payload)
    return SYNC + body + struct.pack("<I", crc32(_crc_span(body)))


def _crc_span(body: bytes) -> bytes:
    """CRC input: type, seq, len and the payload (not ~len, which only guards the length)."""
    return bytes(body[:4]) + bytes(body[6:])


@dataclass
class Frame:
    type: int
    seq: int
    payload: bytes


class FrameParser:
    """Incremental frame finder for the host side: feed bytes, take frames.

    Resynchronises on its own: a sync pattern followed by a bad length or a bad CRC costs
    one dropped byte, then the hunt goes on from the next byte."""

    def __init__(self, max_payload: int = 0xFFFF):
        self.buf = bytearray()
        self.max_payload = max_payload
        self.dropped = 0          # bytes skipped as garbage
        self.bad_frames = 0       # sync seen but header or CRC wrong

    def feed(self, data: bytes) -> None:
        self.buf += data

    def next_frame(self) -> Optional[Frame]:
        buf = self.buf
        while True:
            i = buf.find(SYNC)
            if i < 0:
                keep = 1 if buf.endswith(SYNC[:1]) else 0
                self.dropped += len(buf) - keep
                del buf[:len(buf) - keep]
                return None
            if i:
                self.dropped += i
                del buf[:i]
            if len(buf) < HEADER_BYTES:
                return None
            ftype, seq, n, ncheck = struct.unpack_from("<BBHH", buf, 2)
            if n ^ ncheck != 0xFFFF or n > self.max_payload:
                self.bad_frames += 1
                self.dropped += 1
                del buf[:1]
                continue
            total = HEADER_BYTES + n + 4
            if len(buf) < total:
                return None
            body = bytes(buf[2:HEADER_BYTES + n])
            (crc,) = struct.unpack_from("<I", buf, HEADER_BYTES + n)
            if crc != crc32(_crc_span(body)):
                self.bad_frames += 1
                self.dropped += 1
                del buf[:1]
                continue
            del buf[:total]
            return Frame(ftype, seq, body[6:])


@dataclass
class IOInfo:
    type: int
    shape: tuple
    bytes: int
    scale: float
    zero_point: int

    @property
    def dtype(self) -> np.dtype:
        if self.type not in TYPE_DTYPES:
            raise DeviceError(f"device reports unknown tensor type code {self.type}")
        return np.dtype(TYPE_DTYPES[self.type])

    _FMT = "<BB6iIfi"

    def pack(self) -> bytes:
        dims = (list(self.shape) + [0] * 6)[:6]
        return struct.pack(self._FMT, self.type, len(self.shape), *dims, self.bytes,
                           self.scale, self.zero_point)

    @classmethod
    def unpack_from(cls, buf: bytes, pos: int):
        vals = struct.unpack_from(cls._FMT, buf, pos)
        ttype, rank, dims, nbytes, scale, zp = vals[0], vals[1], vals[2:8], vals[8], vals[9], \
            vals[10]
        if rank > 6:
            raise DeviceError(f"device reports rank {rank} > 6")
        return cls(ttype, tuple(dims[:rank]), nbytes, float(scale), zp), \
            pos + struct.calcsize(cls._FMT)


@dataclass
class DeviceInfo:
    protocol_version: int
    max_payload: int
    profile: bool
    arena_bytes: int
    state_bytes: int
    op_count: int
    tick_hz: int
    tick_unit: str
    board: str
    model_hash: str
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)

    _HEAD = "<4sHHBIIHI"

    def pack(self) -> bytes:
        out = struct.pack(self._HEAD, MAGIC, self.protocol_version, self.max_payload,
                          1 if self.profile else 0, self.arena_bytes, self.state_bytes,
                          self.op_count, self.tick_hz)
        for s in (self.tick_unit, self.board):
            b = s.encode()[:255]
            out += bytes([len(b)]) + b
        out += self.model_hash.encode("ascii")[:64].ljust(64, b"0")
        out += bytes([len(self.inputs), len(self.outputs)])
        for io in (*self.inputs, *self.outputs):
            out += io.pack()
        return out

    @classmethod
    def parse(cls, p: bytes) -> "DeviceInfo":
        try:
            magic, ver, maxp, flags, arena, state, ops, hz = struct.unpack_from(cls._HEAD, p, 0)
            if magic != MAGIC:
                raise DeviceError(f"not a tflm-py firmware (hello magic {magic!r})")
            pos = struct.calcsize(cls._HEAD)
            strs = []
            for _ in range(2):
                n = p[pos]
                strs.append(p[pos + 1:pos + 1 + n].decode("utf-8", "replace"))
                pos += 1 + n
            model_hash = p[pos:pos + 64].decode("ascii", "replace")
            pos += 64
            n_in, n_out = p[pos], p[pos + 1]
            pos += 2
            ios = []
            for _ in range(n_in + n_out):
                io, pos = IOInfo.unpack_from(p, pos)
                ios.append(io)
        except (struct.error, IndexError) as e:
            raise DeviceError(f"malformed hello from the device ({e})") from None
        return cls(ver, maxp, bool(flags & 1), arena, state, ops, hz, strs[0], strs[1],
                   model_hash, ios[:n_in], ios[n_in:])


def io_infos_from_manifest(entries: Sequence[dict]) -> list:
    out = []
    for e in entries:
        out.append(IOInfo(DTYPE_TYPES.get(e["dtype"], -1), tuple(e["shape"]), int(e["bytes"]),
                          float(e.get("scale") or 0.0), int(e.get("zero_point") or 0)))
    return out


# --------------------------------------------------------------------------- host side

def open_port(url: str, baud: int = 115200, timeout: float = 0.1):
    """A pyserial port for a device path (/dev/ttyACM0, /dev/pts/3) or URL (socket://...)."""
    import serial
    try:
        return serial.serial_for_url(url, baudrate=baud, timeout=timeout, write_timeout=10)
    except (serial.SerialException, OSError, ValueError) as e:
        raise DeviceError(f"cannot open serial port {url}: {e}") from None


class Client:
    """Host side of the protocol over a pyserial-like port (read(n), write(b), timeout).

    Every exchange has a deadline; a missing, corrupted or foreign reply is retried up to
    `retries` times with the same seq, then DeviceError names the command and what went
    wrong. `rate` is the slowest link speed to plan for, in bytes/s (QEMU's UART takes
    ~12 KiB/s host->device)."""

    def __init__(self, port, reply_timeout: float = 1.0, invoke_timeout: float = 60.0,
                 retries: int = 4, chunk: int = 256, rate: float = 6000.0,
                 clock: Callable[[], float] = time.monotonic):
        self.port = port
        self.reply_timeout = reply_timeout
        self.invoke_timeout = invoke_timeout
        self.retries = retries
        self.chunk = chunk
        self.rate = rate
        self.clock = clock
        self.parser = FrameParser()
        self.seq = 0
        self.info: Optional[DeviceInfo] = None
        self._invoke_seen: Optional[float] = None
        self.stats = {"retries": 0, "garbage_bytes": 0, "bad_frames": 0, "error_frames": 0,
                      "stale_frames": 0}

    # -- plumbing
    def _next_seq(self) -> int:
        self.seq = self.seq % 255 + 1
        return self.seq

    def _read_some(self, deadline: float) -> bool:
        remaining = deadline - self.clock()
        if remaining <= 0:
            return False
        try:
            self.port.timeout = min(remaining, 0.05)
            n = getattr(self.port, "in_waiting", 0) or 1
            data = self.port.read(n)
        except Exception as e:  # pyserial raises SerialException/OSError on a dead link
            raise DeviceError(f"serial link failed: {e}") from None
        if data:
            self.parser.feed(data)
        return True

    def _wait_reply(self, cmd: int, seq: int, deadline: float):
        """The reply frame to (cmd, seq), or None at the deadline / on a matching ERROR."""
        while True:
            f = self.parser.next_frame()
            if f is None:
                if not self._read_some(deadline):
                    return None, "no reply"
                continue
            if f.type == ERROR:
                self.stats["error_frames"] += 1
                if f.seq == seq:
                    st = f.payload[0] if f.payload else -1
                    return None, f"device reported {STATUS_NAMES.get(st, st)}"
                continue
            if f.type == (cmd | REPLY) and f.seq == seq:
                return f, ""
            self.stats["stale_frames"] += 1   # a late reply to an earlier attempt

    def transact(self, cmd: int, payload: bytes = b"", work: float = 0.0,
                 expect_ok: bool = True, retries: Optional[int] = None,
                 retry_work: Optional[float] = None) -> bytes:
        """Send a command, return its reply payload after the status byte.

        The first attempt waits `work` seconds (the device's compute time), later ones
        `retry_work` (default: the same), plus a link allowance (reply_timeout and the bytes
        at `rate`) that grows with every retry."""
        seq = self._next_seq()
        frame = encode_frame(cmd, seq, payload)
        link = self.reply_timeout + (len(frame) + 64) / self.rate
        retries = self.retries if retries is None else retries
        problem = ""
        for attempt in range(retries + 1):
            if attempt:
                self.stats["retries"] += 1
            try:
                self.port.write(frame)
                flush = getattr(self.port, "flush", None)
                if flush:
                    flush()
            except Exception as e:
                raise DeviceError(f"serial link failed: {e}") from None
            w = work if attempt == 0 or retry_work is None else retry_work
            f, problem = self._wait_reply(cmd, seq, self.clock() + w + link * (1 + attempt))
            self.stats["garbage_bytes"] = self.parser.dropped
            self.stats["bad_frames"] = self.parser.bad_frames
            if f is None:
                continue
            if not f.payload:
                problem = "empty reply"
                continue
            status = f.payload[0]
            if expect_ok and status != OK:
                raise DeviceError(f"{COMMAND_NAMES.get(cmd, cmd)} failed on the device: "
                                  f"{STATUS_NAMES.get(status, f'status {status}')}")
            return f.payload[1:]
        raise DeviceError(f"{COMMAND_NAMES.get(cmd, hex(cmd))}: {problem or 'no valid reply'} "
                          f"after {retries + 1} attempts ({work + link:.1f} s and more each); is "
                          f"the board running the tflm-py validation firmware and is the port "
                          f"right?")

    # -- commands
    def hello(self) -> DeviceInfo:
        p = self.transact(INFO)
        info = DeviceInfo.parse(p)
        if info.protocol_version != PROTOCOL_VERSION:
            raise DeviceError(f"firmware speaks tflm-py protocol v{info.protocol_version}, "
                              f"this host v{PROTOCOL_VERSION}: regenerate the firmware")
        self.info = info
        return info

    def _payload_room(self) -> int:
        maxp = self.info.max_payload if self.info else DEVICE_MAX_PAYLOAD
        return max(1, min(self.chunk, maxp - 8))

    def write_input(self, index: int, data: bytes) -> None:
        room = self._payload_room()
        for off in range(0, len(data), room):
            self.transact(WRITE_INPUT, struct.pack("<BI", index, off) + data[off:off + room])

    def invoke(self) -> tuple[int, int]:
        """Run one inference: (result, ticks). The very first waits up to invoke_timeout;
        later ones (and retries) up to 10x the slowest seen so far (at least 2 s), so a hung
        device is found fast. A retry (same seq) of an INVOKE the device already ran is
        answered from its memory, not run twice."""
        work = self.invoke_timeout
        if self._invoke_seen is not None:
            work = retry = min(work, max(2.0, 10.0 * self._invoke_seen))
        else:
            retry = min(work, max(10.0, work / 4))
        t0 = self.clock()
        p = self.transact(INVOKE, work=work, retry_work=retry)
        self._invoke_seen = max(self._invoke_seen or 0.0, self.clock() - t0)
        result, ticks = struct.unpack_from("<iQ", p, 0)
        return result, ticks

    def read_output(self, index: int, nbytes: int) -> bytes:
        room = self._payload_room()
        out = bytearray()
        while len(out) < nbytes:
            n = min(room, nbytes - len(out))
            p = self.transact(READ_OUTPUT, struct.pack("<BIH", index, len(out), n),
                              work=n / self.rate)
            if len(p) != n:
                raise DeviceError(f"READ_OUTPUT {index}: asked {n} bytes, got {len(p)}")
            out += p
        return bytes(out)

    def layer_ticks(self, count: int) -> list[int]:
        room = max(1, (self._payload_room() - 4) // 4)
        ticks: list[int] = []
        while len(ticks) < count:
            n = min(room, count - len(ticks))
            p = self.transact(LAYER_TICKS, struct.pack("<HH", len(ticks), n))
            (got,) = struct.unpack_from("<H", p, 0)
            if got != n or len(p) != 2 + 4 * n:
                raise DeviceError(f"LAYER_TICKS: asked {n} values, got {got}")
            ticks += list(struct.unpack_from(f"<{n}I", p, 2))
        return ticks

    def reset_state(self) -> None:
        self.transact(RESET_STATE)


# ------------------------------------------------------------------------- device side

class DeviceEmulator:
    """The firmware side in Python (twin of codegen/firmware/main.c.j2): feed it the bytes
    the host sends, get back the bytes the firmware would answer.

    `compute(list_of_input_arrays) -> list_of_output_arrays` stands in for NAME_invoke;
    `reset()` (optional) for NAME_reset."""

    HUNT0, HUNT1, HEADER, BODY = range(4)

    def __init__(self, info: DeviceInfo, compute: Callable, reset: Optional[Callable] = None,
                 ticks: int = 1000, layer_ticks: Optional[Sequence[int]] = None):
        self.info = info
        self.compute = compute
        self.reset_fn = reset
        self.ticks = ticks
        self.layer = list(layer_ticks) if layer_ticks is not None else \
            [ticks // max(info.op_count, 1)] * info.op_count
        self.inputs = [bytearray(io.bytes) for io in info.inputs]
        self.outputs = [bytearray(io.bytes) for io in info.outputs]
        self.state = self.HUNT0
        self.hdr = bytearray()
        self.body = bytearray()
        self.need = 0
        self.last_invoke_seq = -1
        self.last_invoke_reply = b""
        self.invokes = 0
        self.repeated_invokes = 0     # INVOKE retries answered from memory
        self.banner = b"tflm-py emulated device ready\r\n"

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        for b in data:
            if self.state == self.HUNT0:
                if b == 0xA5:
                    self.state = self.HUNT1
            elif self.state == self.HUNT1:
                self.state = self.HEADER if b == 0x5A else (self.HUNT1 if b == 0xA5
                                                            else self.HUNT0)
                self.hdr.clear()
            elif self.state == self.HEADER:
                self.hdr.append(b)
                if len(self.hdr) == 6:
                    ftype, seq, n, nc = struct.unpack("<BBHH", self.hdr)
                    if n ^ nc != 0xFFFF or n > self.info.max_payload:
                        out += encode_frame(ERROR, seq, bytes([ERR_HEADER]))
                        self.state = self.HUNT0
                    else:
                        self.body.clear()
                        self.need = n + 4
                        self.state = self.BODY
            else:
                self.body.append(b)
                if len(self.body) == self.need:
                    self.state = self.HUNT0
                    ftype, seq, n, _ = struct.unpack("<BBHH", self.hdr)
                    payload = bytes(self.body[:n])
                    (crc,) = struct.unpack("<I", self.body[n:])
                    if crc != crc32(bytes(self.hdr[:4]) + payload):
                        out += encode_frame(ERROR, seq, bytes([ERR_CRC]))
                    else:
                        out += self.handle(ftype, seq, payload)
        return bytes(out)

    def _reply(self, cmd, seq, status, body=b""):
        return encode_frame(cmd | REPLY, seq, bytes([status]) + body)

    def handle(self, cmd: int, seq: int, p: bytes) -> bytes:
        if cmd == INFO:
            self.last_invoke_seq = -1
            return self._reply(cmd, seq, OK, self.info.pack())
        if cmd == WRITE_INPUT:
            if len(p) < 5:
                return self._reply(cmd, seq, ERR_ARG)
            idx, off = struct.unpack_from("<BI", p, 0)
            data = p[5:]
            if idx >= len(self.inputs) or off + len(data) > len(self.inputs[idx]):
                return self._reply(cmd, seq, ERR_ARG)
            self.inputs[idx][off:off + len(data)] = data
            return self._reply(cmd, seq, OK)
        if cmd == INVOKE:
            if seq == self.last_invoke_seq:
                self.repeated_invokes += 1
                return self.last_invoke_reply
            xs = [np.frombuffer(bytes(b), dtype=io.dtype).reshape(io.shape)
                  for b, io in zip(self.inputs, self.info.inputs)]
            ys = self.compute(xs)
            for i, (y, io) in enumerate(zip(ys, self.info.outputs)):
                self.outputs[i][:] = np.ascontiguousarray(np.asarray(y, dtype=io.dtype)).tobytes()
            self.invokes += 1
            r = self._reply(cmd, seq, OK, struct.pack("<iQ", 0, self.ticks))
            self.last_invoke_seq, self.last_invoke_reply = seq, r
            return r
        if cmd == READ_OUTPUT:
            if len(p) < 7:
                return self._reply(cmd, seq, ERR_ARG)
            idx, off, n = struct.unpack_from("<BIH", p, 0)
            if idx >= len(self.outputs) or off + n > len(self.outputs[idx]) or \
                    n > self.info.max_payload - 1:
                return self._reply(cmd, seq, ERR_ARG)
            return self._reply(cmd, seq, OK, bytes(self.outputs[idx][off:off + n]))
        if cmd == LAYER_TICKS:
            if not self.info.profile:
                return self._reply(cmd, seq, ERR_UNSUPPORTED)
            first, count = struct.unpack_from("<HH", p, 0)
            if first + count > len(self.layer) or 2 + 4 * count > self.info.max_payload - 1:
                return self._reply(cmd, seq, ERR_ARG)
            vals = self.layer[first:first + count]
            return self._reply(cmd, seq, OK, struct.pack(f"<H{count}I", count, *vals))
        if cmd == RESET_STATE:
            self.last_invoke_seq = -1
            if self.reset_fn:
                self.reset_fn()
            return self._reply(cmd, seq, OK)
        return self._reply(cmd, seq, ERR_UNKNOWN)
