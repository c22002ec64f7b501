"""The tflm-py serial protocol between the host and the validation firmware (v3).

Frame (all integers little-endian):

    A5 5A | type u8 | seq u16 | len u16 | ~len u16 | payload[len] | crc32 u32

crc32 is zlib's CRC-32 over type, seq, len and the payload. `~len` (len xor 0xFFFF) lets a
receiver reject a corrupted length at once instead of waiting for bytes that never come.
Anything between frames is ignored (a boot banner is fine); a receiver that finds a bad frame
drops one byte and hunts for the next sync inside the bytes it already holds. Both sides
send two filler bytes (PAD) after every frame, so a frame that lost a byte is completed by
them and fails its CRC at once. The firmware
also drops a frame whose bytes stop coming (FW_RX_TIMEOUT_MS, 50 ms), so a retry after a
lost byte meets a clean receiver.

The host sends commands; the firmware answers each with one frame of type `cmd | 0x80`,
the same seq, and a payload starting with a status byte (0 = OK). A frame the firmware
cannot use (bad length or CRC) gets an ERROR frame (type 0xFF, status ERR_CRC/ERR_HEADER),
and so does a frame whose bytes stopped coming (ERR_SHORT, after FW_RX_TIMEOUT_MS): the host
then knows at once that its command was damaged on the way to the board, and re-sends it.
The hello (INFO) is fetched in windows, so each part of it is retried on its own.

    INFO          first u16, count u16            -> total u16, hello[first:first+count]
                  (no arguments: from 0, as much as fits; see DeviceInfo.parse)
    WRITE_INPUT   index u8, offset u32, bytes     -> -
    INVOKE        token u32, halt_op u16          -> result i32, ticks u64, halted u8
    READ_OUTPUT   index u8, offset u32, n u16     -> bytes
    LAYER_TICKS   first u16, count u16            -> n u16, n x ticks u32
    RESET_STATE   -                               -> -
    LAYER_INFO    first u16, count u16            -> n u16, n x (op u16, slot u8, bytes u32)
    LAYER_CRCS    first u16, count u16            -> n u16, n x crc32
    READ_LAYER    layer u16, offset u32, n u16    -> bytes
    DATA_CRCS     first u16, count u16            -> n u16, n x crc32

INVOKE is the one command that must not run twice: the host draws a new token for every
inference and the firmware answers a repeated token (a host retry after a lost reply) from
memory. Tokens, not sequence numbers, decide this, so no counter wrap can make a new
inference look like a retry. INFO and RESET_STATE clear that memory. halt_op (0xFFFF: none)
stops the inference right after that op, so READ_LAYER can read an op's output before a
later op reuses its bytes. The last four commands exist in the validation firmware built
with -DTFLM_PY_VALIDATION (see tflm_py/integrity.py): per-layer CRCs taken right after each
op, and CRCs of the model data and params the firmware holds.

Every wait on the host has a deadline; lost, corrupted or duplicated bytes cost a retry,
never a wrong answer (every frame is CRC-checked). The C side is codegen/firmware/main.c.j2;
`DeviceEmulator` below is its Python twin (used by the tests' fake devices).
"""
from __future__ import annotations

import math
import struct
import time
import zlib
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

from .errors import ModelError

PROTOCOL_VERSION = 3
MAGIC = b"TFPY"
SYNC = b"\xA5\x5A"
HEADER_BYTES = 9            # sync(2) type seq(2) len ~len
OVERHEAD = HEADER_BYTES + 4
# Filler sent after every frame, both ways (never a sync byte, so receivers skip it): a
# frame that lost a byte on the way is completed by it and fails its CRC at once, so the
# receiver reports the damage instead of waiting for a byte that never comes.
PAD = b"\x00\x00"
DEVICE_MAX_PAYLOAD = 512    # what the firmware accepts (its receive buffer)

# commands
INFO = 0x01
WRITE_INPUT = 0x02
INVOKE = 0x03
READ_OUTPUT = 0x04
LAYER_TICKS = 0x05
RESET_STATE = 0x06
LAYER_INFO = 0x07
LAYER_CRCS = 0x08
READ_LAYER = 0x09
DATA_CRCS = 0x0A
REPLY = 0x80
NO_HALT = 0xFFFF
ERROR = 0xFF
COMMAND_NAMES = {INFO: "INFO", WRITE_INPUT: "WRITE_INPUT", INVOKE: "INVOKE",
                 READ_OUTPUT: "READ_OUTPUT", LAYER_TICKS: "LAYER_TICKS",
                 RESET_STATE: "RESET_STATE", LAYER_INFO: "LAYER_INFO",
                 LAYER_CRCS: "LAYER_CRCS", READ_LAYER: "READ_LAYER", DATA_CRCS: "DATA_CRCS"}

# status codes
OK = 0
ERR_CRC = 1
ERR_HEADER = 2
ERR_UNKNOWN = 3
ERR_ARG = 4
ERR_INVOKE = 5
ERR_UNSUPPORTED = 6
ERR_SHORT = 7               # the frame's bytes stopped coming (the firmware's receive timeout)
STATUS_NAMES = {OK: "ok", ERR_CRC: "bad CRC", ERR_HEADER: "bad frame header",
                ERR_UNKNOWN: "unknown command", ERR_ARG: "bad argument",
                ERR_INVOKE: "invoke failed", ERR_UNSUPPORTED: "not supported",
                ERR_SHORT: "frame cut short"}

# TFLite tensor type codes -> numpy dtypes
TYPE_DTYPES = {0: np.float32, 2: np.int32, 3: np.uint8, 4: np.int64, 6: np.bool_,
               7: np.int16, 9: np.int8}
DTYPE_TYPES = {np.dtype(v).name: k for k, v in TYPE_DTYPES.items()}

C_CONSTANTS = dict(PROTOCOL_VERSION=PROTOCOL_VERSION, MAX_PAYLOAD=DEVICE_MAX_PAYLOAD,
                   INFO=INFO, WRITE_INPUT=WRITE_INPUT, INVOKE=INVOKE, READ_OUTPUT=READ_OUTPUT,
                   LAYER_TICKS=LAYER_TICKS, RESET_STATE=RESET_STATE, LAYER_INFO=LAYER_INFO,
                   LAYER_CRCS=LAYER_CRCS, READ_LAYER=READ_LAYER, DATA_CRCS=DATA_CRCS,
                   REPLY=REPLY, ERROR=ERROR,
                   OK=OK, ERR_CRC=ERR_CRC, ERR_HEADER=ERR_HEADER, ERR_UNKNOWN=ERR_UNKNOWN,
                   ERR_ARG=ERR_ARG, ERR_INVOKE=ERR_INVOKE, ERR_UNSUPPORTED=ERR_UNSUPPORTED,
                   ERR_SHORT=ERR_SHORT)


class DeviceError(ModelError):
    """The device did not answer properly (timeouts, errors, wrong firmware)."""


def crc32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def encode_frame(ftype: int, seq: int, payload: bytes = b"") -> bytes:
    n = len(payload)
    if n > 0xFFFF:
        raise ValueError("payload too long")
    body = struct.pack("<BHHH", ftype, seq & 0xFFFF, n, n ^ 0xFFFF) + bytes(payload)
    return SYNC + body + struct.pack("<I", crc32(_crc_span(body)))


def _crc_span(body: bytes) -> bytes:
    """CRC input: type, seq, len and the payload (not ~len, which only guards the length)."""
    return bytes(body[:5]) + bytes(body[7:])


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
        self._pad = 0             # filler bytes still expected after the last good frame
        self.dropped = 0          # bytes skipped as garbage
        self.bad_frames = 0       # sync seen but header or CRC wrong

    def feed(self, data: bytes) -> None:
        self.buf += data

    def drop_partial(self) -> None:
        """Give up on a frame start still waiting for bytes (the link went quiet): a false
        sync claiming a long length must not hold up the frames behind it. The hunt goes on
        from the next sync inside the held bytes."""
        if self.buf.startswith(SYNC):
            self.bad_frames += 1
            i = self.buf.find(SYNC[:1], 1)
            k = i if i > 0 else len(self.buf)
            self.dropped += k
            del self.buf[:k]

    def pending(self) -> int:
        """Bytes the frame start at the head of the buffer still waits for (0: none)."""
        if len(self.buf) < HEADER_BYTES or not self.buf.startswith(SYNC):
            return 0
        n = struct.unpack_from("<H", self.buf, 5)[0]
        return max(0, HEADER_BYTES + n + 4 - len(self.buf))

    def next_frame(self) -> Optional[Frame]:
        buf = self.buf
        while self._pad and buf:          # a good frame's filler is not garbage
            if buf[0] != PAD[0]:
                self._pad = 0
                break
            del buf[:1]
            self._pad -= 1
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
            ftype, seq, n, ncheck = struct.unpack_from("<BHHH", buf, 2)
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
            self._pad = len(PAD)
            return Frame(ftype, seq, body[7:])


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
    layer_count: int = 0         # op outputs the firmware checksums (0: no checks built in)
    checks: bool = False         # built with -DTFLM_PY_VALIDATION (layer and data CRCs)

    _HEAD = "<4sHHBIIHHI"

    def pack(self) -> bytes:
        out = struct.pack(self._HEAD, MAGIC, self.protocol_version, self.max_payload,
                          (1 if self.profile else 0) | (2 if self.checks else 0),
                          self.arena_bytes, self.state_bytes, self.op_count, self.layer_count,
                          self.tick_hz)
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
            magic = bytes(p[:4])
            if magic != MAGIC:
                raise DeviceError(f"not a tflm-py firmware (hello magic {magic!r})")
            ver = struct.unpack_from("<H", p, 4)[0]
            if ver != PROTOCOL_VERSION:
                raise DeviceError(f"firmware speaks tflm-py protocol v{ver}, this host "
                                  f"v{PROTOCOL_VERSION}: regenerate the project and flash it")
            magic, ver, maxp, flags, arena, state, ops, layers, hz = \
                struct.unpack_from(cls._HEAD, p, 0)
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
                   model_hash, ios[:n_in], ios[n_in:], layers, bool(flags & 2))


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


class LinkReport:
    """What went wrong on the link during one command's attempts, for its error message."""

    def __init__(self):
        self.attempts = 0
        self.silent = 0          # attempts during which no byte at all came back
        self.bytes_in = 0        # bytes received
        self.corrupt = 0         # frames that arrived damaged (board -> host)
        self.rejected = 0        # ERROR frames: the board got our command damaged (host -> board)
        self.cut_short = 0       # ERROR frames: our command stopped coming (bytes lost)
        self.stale = 0           # good frames answering something else
        self.echoed = 0          # our own commands, come back (a loopback or an echo)

    def echo_only(self) -> bool:
        """Every attempt (two at least) got its own command back and no reply: the port
        echoes what is sent (a loopback, a board or terminal echoing), no firmware answers."""
        return self.echoed >= 2 and self.echoed >= self.attempts and not (
            self.rejected or self.cut_short)

    def describe(self) -> str:
        if self.echoed and self.echoed >= self.attempts and not self.rejected:
            return ("the port sends back exactly what the host sends (a loopback, or a port "
                    "that echoes), and no tflm-py firmware answers on it: is the port right?")
        if not self.bytes_in:
            return ("nothing at all came back from the board: is it running the tflm-py "
                    "validation firmware, and is the port right?")
        parts = []
        if self.rejected:
            parts.append(f"host->board: the board received {_count(self.rejected, 'command')} "
                         "damaged")
        if self.cut_short:
            parts.append(f"host->board: {_count(self.cut_short, 'command')} reached the board "
                         "cut short (bytes lost)")
        if self.corrupt:
            parts.append(f"board->host: {_count(self.corrupt, 'reply', 'replies')} arrived "
                         "corrupted")
        missing = self.attempts - self.rejected - self.cut_short - self.corrupt
        if missing > 0:
            parts.append(f"{_count(missing, 'reply', 'replies')} missing")
        if not (self.corrupt or self.rejected or self.cut_short or self.stale):
            parts.append("bytes came back but no tflm-py frame: is the board running the "
                         "tflm-py validation firmware at this baud rate?")
        return "; ".join(parts)


def _gaps(done: bytearray) -> list:
    """[(start, end)] of the runs of zeros in `done`."""
    out, i, n = [], 0, len(done)
    while i < n:
        j = done.find(b"\x00", i)
        if j < 0:
            break
        k = done.find(b"\x01", j)
        k = n if k < 0 else k
        out.append((j, k))
        i = k
    return out


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


# Client options for a run of many commands over a link that may be noisy: a noisy link
# (damaged frames, ERROR replies) gets many quick retries, a silent board is given up on
# after a few attempts that got nothing back.
NOISY_LINK_OPTIONS = {"retries": 30, "hello_retries": 4, "silent_retries": 6, "persist": 5.0}


class Client:
    """Host side of the protocol over a pyserial-like port (read(n), write(b), timeout).

    Every attempt has a short deadline: the transfer time of the command and of the
    expected reply at `rate` bytes/s (baud / 10 of the port), the device's compute time
    and an allowance learned from the round trips seen so far (on a first attempt never
    more than `reply_timeout`, the user's --timeout). A damaged exchange is re-sent at
    once instead of waiting that deadline out: the board's ERROR frame (our command
    arrived damaged, or cut short: the firmware's receive timeout), a corrupted reply, or
    a reply whose bytes stopped coming. Every attempt that times out doubles the
    allowance (up to `reply_timeout` x the number of timeouts, so a stalled link is waited
    out) until a first attempt is answered in time again. Any attempt's reply counts (all
    carry the same seq). After `retries` retries (and at least `persist` seconds), or
    `silent_retries` in a row that got nothing back, DeviceError names the command, the
    direction that failed and how.

    Frames shrink while the link corrupts them: the chunk size minimises the expected
    bytes sent per useful byte for the error rate seen lately. Input frames go out up to
    `window` at a time.

    invoke_timeout: the first INVOKE's compute budget (derive it from the model, see
    harness.expected_invoke_seconds); later ones expect about the time seen so far and
    wait at most 10x the slowest seen (at least 2 s)."""

    QUIET = 0.02            # s of silence inside a frame or after stray bytes: a re-send
    # s: the smallest allowance for the link's own latency. Damage is found without it; the
    # deadline catches replies lost whole, and a premature re-send clogs a slow link.
    MIN_ALLOW = 0.1

    def __init__(self, port, reply_timeout: float = 1.0, invoke_timeout: float = 60.0,
                 retries: int = 4, chunk: int = 256, rate: Optional[float] = None,
                 clock: Callable[[], float] = time.monotonic, seed: Optional[int] = None,
                 hello_retries: Optional[int] = None, silent_retries: Optional[int] = None,
                 persist: float = 0.0, window: int = 8):
        import random
        self.port = port
        self.reply_timeout = reply_timeout
        self.invoke_timeout = invoke_timeout
        self.retries = retries
        # INFO gives up after this many attempts when nothing at all comes back (a silent
        # board is reported fast); a board that answers, even garbled, gets `retries`
        self.hello_retries = retries if hello_retries is None else hello_retries
        # any command gives up after this many retries in a row that got nothing back: a
        # noisy link (damaged frames, ERROR replies) gets all `retries`, a dead one does not
        self.silent_retries = retries if silent_retries is None else silent_retries
        # ... and keeps retrying for at least this many seconds: a burst of damage (a stall,
        # then a flood of late frames) does not use up the retries in a moment
        self.persist = persist
        # WRITE_INPUT frames in flight at once (1: one at a time)
        self.window = window
        self.chunk = chunk
        if rate is None:
            baud = getattr(port, "baudrate", None)
            rate = float(baud) / 10.0 if isinstance(baud, (int, float)) and baud > 0 \
                else 11520.0
        self.rate = rate
        self.clock = clock
        self.parser = FrameParser(max_payload=4096)
        rnd = random.Random(seed)
        # a fresh session starts at a random seq and token: nothing left over from an earlier
        # session (a late reply, the firmware's invoke memory) can pass for a new one
        self.seq = rnd.randrange(0x10000)
        self.token = rnd.randrange(1 << 32)
        self.info: Optional[DeviceInfo] = None
        self._invoke_seen: Optional[float] = None    # slowest INVOKE (with retries)
        self._invoke_clean: Optional[float] = None   # slowest INVOKE answered at once
        # round trips beyond the computed transfer time (first attempts only), TCP-style
        self.srtt: Optional[float] = None
        self.rttvar = 0.0
        self.max_chunk = chunk
        # the link's recent record (decaying): attempts, good ones, bytes on the wire
        self._attempts = self._good = self._exposed = 0.0
        self.last_attempts = 0
        self._last_byte = 0.0
        self._timed_out = False
        self._timeouts = 0
        self._port_timeout: Optional[float] = None
        self._fastest = 0.0            # the fastest round trip seen (x 0.8; 0: none yet)
        self.stats = {"retries": 0, "garbage_bytes": 0, "bad_frames": 0, "error_frames": 0,
                      "stale_frames": 0}

    # -- plumbing
    def _next_seq(self) -> int:
        self.seq = (self.seq + 1) & 0xFFFF
        return self.seq

    def _read_some(self, deadline: float, report: LinkReport) -> bool:
        remaining = deadline - self.clock()
        if remaining <= 0:
            return False
        try:
            t = min(remaining, self.QUIET / 2)
            if t != self._port_timeout:     # a real port reconfigures on every change
                self.port.timeout = self._port_timeout = t
            n = getattr(self.port, "in_waiting", 0) or 1
            data = self.port.read(n)
        except Exception as e:  # pyserial raises SerialException/OSError on a dead link
            raise DeviceError(f"serial link failed: {e}") from None
        if data:
            report.bytes_in += len(data)
            self.parser.feed(data)
            self._last_byte = self.clock()
        return True

    def _wait_reply(self, cmd: int, seq: int, sent: float, deadline: float,
                    report: LinkReport):
        """The reply frame to (cmd, seq), or None when this attempt is lost: at the
        deadline; at once on a corrupted frame or the board's ERROR frame for it; once the
        line has been quiet for QUIET after stray bytes or inside a frame. A damaged frame
        seen sooner after the send than the fastest round trip so far cannot be this
        attempt's reply (it is an earlier attempt's): the wait goes on. (An ERROR frame can
        come sooner: the board answers a bad header after its first 9 bytes.)"""
        bad0, dropped0, got0 = self.parser.bad_frames, self.parser.dropped, report.bytes_in
        held0 = len(self.parser.buf)
        self._timed_out = False
        while True:
            f = self.parser.next_frame()
            if f is None:
                if self.parser.bad_frames > bad0:
                    # most likely our reply, damaged: a re-send costs less than waiting
                    # (if it was something else, our reply still counts when it comes)
                    report.corrupt += self.parser.bad_frames - bad0
                    bad0 = self.parser.bad_frames
                    if self.clock() - sent >= self._fastest:
                        return None
                if report.bytes_in > got0 and (self.parser.dropped > dropped0 or
                                               len(self.parser.buf) > max(1, held0)) and \
                        self.clock() - self._last_byte >= self.QUIET:
                    return None     # stray bytes or a frame cut short, then silence
                if not self._read_some(deadline, report):
                    if len(self.parser.buf) > 1 and \
                            self.clock() - self._last_byte < self.QUIET:
                        deadline = self.clock() + self.QUIET    # a frame is still coming
                        continue
                    if report.bytes_in == got0:
                        report.silent += 1
                    self._timed_out = True
                    return None
                continue
            if f.type == ERROR:
                # for our seq, or another one: a byte lost or added in our command's header
                # shifts the seq the board reads. Either way our command most likely did not
                # get through: re-send at once (a duplicate is answered, and ignored, later)
                self.stats["error_frames"] += 1
                if f.payload[:1] == bytes([ERR_SHORT]):
                    report.cut_short += 1
                else:
                    report.rejected += 1
                return None
            if f.type == (cmd | REPLY) and f.seq == seq:
                return f
            if f.type < REPLY:      # a command: the firmware never sends one, ours came back
                report.echoed += 1
                continue
            report.stale += 1
            self.stats["stale_frames"] += 1   # a late reply to an earlier attempt

    def _allowance(self, timeouts: int) -> float:
        """Seconds allowed for the link's own latency after `timeouts` attempts timed out
        since the last reply that came at once (a damaged attempt, found at once, does not
        lengthen it). Like TCP's retransmission timer: the round trip is only learned from
        replies to a first attempt, and the doubling lasts until one comes in time."""
        if self.srtt is None:        # nothing known yet: a first guess, doubled if too short
            base = min(self.reply_timeout, 0.25)
        else:
            base = min(self.reply_timeout,
                       max(self.MIN_ALLOW, self.srtt + 4 * self.rttvar + self.MIN_ALLOW / 2))
        return min(base * 2 ** timeouts, self.reply_timeout * (1 + timeouts))

    def _learn_rtt(self, seen: float) -> None:
        if self.srtt is None:
            self.srtt, self.rttvar = seen, abs(seen) / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - seen)
            self.srtt = 0.875 * self.srtt + 0.125 * seen

    def transact(self, cmd: int, payload: bytes = b"", work: float = 0.0,
                 expect_ok: bool = True, retries: Optional[int] = None,
                 retry_work=None, reply_bytes: int = 64,
                 silent_retries: Optional[int] = None,
                 request: Optional[Callable[[], tuple]] = None) -> bytes:
        """Send a command, return its reply payload after the status byte.

        Attempt k waits `work` seconds (the device's compute time; `retry_work` may be a
        float for every retry or a function of k), plus the transfer time of the command and
        a `reply_bytes` reply at `rate`, plus the learned link allowance (doubling with
        every retry, capped at reply_timeout). silent_retries: give up after that many
        retries in a row during which nothing at all came back (default: the client's).

        request: for commands whose size may change between attempts (a part of something
        longer, any part as good as another), `request() -> (payload, reply_bytes)` is asked
        again before every attempt, so a frame that keeps failing shrinks with the chunk
        size. A late reply to an earlier, larger attempt still counts."""
        seq = self._next_seq()
        biggest_reply = 0
        frame = b""
        retries = self.retries if retries is None else retries
        silent_limit = self.silent_retries if silent_retries is None else silent_retries
        report = LinkReport()
        t0 = self.clock()
        silent_run = 0
        attempt = -1
        while True:
            attempt += 1
            if attempt > retries and self.clock() - t0 >= self.persist:
                break
            if request is not None:
                payload, reply_bytes = request()
            if not frame or request is not None:
                frame = encode_frame(cmd, seq, payload)
                wire = len(frame) + reply_bytes + OVERHEAD + 2 * len(PAD)
                transfer = wire / self.rate
                biggest_reply = max(biggest_reply, reply_bytes)
            if attempt:
                if silent_run > silent_limit:
                    break
                self.stats["retries"] += 1
                # a frame start waiting for more than a reply's bytes is given up; a shorter
                # one is left to the next reply, which completes it: it fails its CRC and the
                # reply is found inside the held bytes
                if self.parser.pending() > biggest_reply + OVERHEAD + len(PAD):
                    self.parser.drop_partial()
            report.attempts += 1
            try:
                self.port.write(frame + PAD)
                flush = getattr(self.port, "flush", None)
                if flush:
                    flush()
            except Exception as e:
                raise DeviceError(f"serial link failed: {e}") from None
            if attempt == 0 or retry_work is None:
                w = work
            else:
                w = retry_work(attempt) if callable(retry_work) else retry_work
            sent, got0 = self.clock(), report.bytes_in
            f = self._wait_reply(cmd, seq, sent,
                                 sent + w + transfer + self._allowance(self._timeouts), report)
            if f is None and self._timed_out:
                self._timeouts = min(self._timeouts + 1, 12)
            self.stats["garbage_bytes"] = self.parser.dropped
            self.stats["bad_frames"] = self.parser.bad_frames
            self._learn_errors(wire, f is not None and bool(f.payload))
            # silent: timed out with nothing at all received (not answered from bytes
            # already held, as after a flood of late frames)
            silent = f is None and self._timed_out and report.bytes_in == got0
            silent_run = silent_run + 1 if silent else 0
            if f is None:
                if report.echo_only():
                    break
                continue
            if not f.payload:
                report.corrupt += 1
                continue
            if attempt == 0:
                seen = 0.8 * (self.clock() - sent)
                self._fastest = min(self._fastest, seen) if self._fastest else seen
            if attempt == 0:
                self._timeouts = 0
                if cmd != INVOKE:
                    self._learn_rtt(self.clock() - sent - work - transfer)
            self.last_attempts = attempt + 1
            status = f.payload[0]
            if expect_ok and status != OK:
                raise DeviceError(f"{COMMAND_NAMES.get(cmd, cmd)} failed on the device: "
                                  f"{STATUS_NAMES.get(status, f'status {status}')}")
            return f.payload[1:]
        if report.echo_only():
            port = getattr(self.port, "name", None) or getattr(self.port, "port", None)
            raise DeviceError(f"{COMMAND_NAMES.get(cmd, hex(cmd))}: no valid reply after "
                              f"{report.attempts} attempts: "
                              + (f"{port}: " if isinstance(port, str) else "")
                              + report.describe())
        raise DeviceError(f"{COMMAND_NAMES.get(cmd, hex(cmd))}: no valid reply after "
                          f"{report.attempts} attempts in {self.clock() - t0:.1f} s: "
                          f"{report.describe()} (a slow or laggy link: raise --timeout, now "
                          f"{self.reply_timeout:g} s)")

    def _learn_errors(self, wire: int, ok: bool) -> None:
        """Estimate the per-byte error rate p from recent attempts (an exchange of b bytes
        gets through with probability (1 - p)^b) and size frames for it: with o bytes of
        overhead per exchange, a chunk of n bytes costs (n + o) / n / (1 - p)^(n + o) per
        useful byte, least near n (n + o) = o / p."""
        self._attempts = 0.97 * self._attempts + 1.0
        self._good = 0.97 * self._good + (1.0 if ok else 0.0)
        self._exposed = 0.97 * self._exposed + wire
        mean_bytes = self._exposed / self._attempts
        p = 1.0 - math.exp(math.log((self._good + 0.05) / (self._attempts + 0.05)) / mean_bytes)
        p = max(p, 1e-6)
        o = 2 * OVERHEAD + 2 * len(PAD) + 16
        best = (-o + math.sqrt(o * o + 4.0 * o / p)) / 2.0
        self.chunk = int(max(16, min(self.max_chunk, best)))

    # -- commands
    HELLO_CHUNK = 48    # the first INFO window is small: nothing is known of the link yet

    def hello(self) -> DeviceInfo:
        """The firmware's hello, fetched in windows (INFO offset, count) that are each
        retried on their own, so a long hello gets through a noisy link."""
        data = bytearray()
        total: Optional[int] = None
        while total is None or len(data) < total:
            first = total is None
            cap = self.HELLO_CHUNK if first else 4 * self.HELLO_CHUNK

            def window(off=len(data), cap=cap):
                room = min(self._payload_room(), cap)
                return struct.pack("<HH", off, room), 3 + room
            p = self.transact(INFO, request=window,
                              retries=max(self.retries, self.hello_retries),
                              silent_retries=self.hello_retries if first else None)
            if first and p[:4] == MAGIC:     # a v2 firmware: its whole hello, no window
                DeviceInfo.parse(p)          # says which version it speaks
                raise DeviceError("malformed hello from the device")
            if len(p) < 2:
                raise DeviceError("malformed hello from the device (no length)")
            (n,) = struct.unpack_from("<H", p, 0)
            if first:
                total = n
            elif n != total:
                raise DeviceError(f"the device's hello changed length ({total} -> {n} bytes)")
            if not p[2:] and len(data) < total:
                raise DeviceError("malformed hello from the device (an empty window)")
            data += p[2:]
            if first and bytes(data[:4]) != MAGIC[:len(data[:4])]:
                DeviceInfo.parse(bytes(data))    # not a tflm-py firmware: says so
        info = DeviceInfo.parse(bytes(data[:total]))
        self.info = info
        self.parser.max_payload = max(16, info.max_payload)
        return info

    def _payload_room(self) -> int:
        maxp = self.info.max_payload if self.info else DEVICE_MAX_PAYLOAD
        return max(1, min(self.chunk, maxp - 8))

    def write_input(self, index: int, data: bytes) -> None:
        """Input `index`, in frames of the current chunk size, up to `window` of them in
        flight at once (writes are idempotent and say where they go, so their order does
        not matter): a frame lost on a noisy link costs its own bytes, not a round trip.
        Whatever is not acknowledged is sent again, cut at the chunk size of the moment."""
        if self.window <= 1:
            return self._write_input_one_by_one(index, data)
        done = bytearray(len(data))          # 1: acknowledged by the board
        tried = bytearray(len(data))         # 1: sent at least once
        issued: dict = {}                    # seq -> (offset, size) of every frame sent
        report = LinkReport()
        t0 = self.clock()
        stalled = silent_run = 0
        while True:
            todo = _gaps(done)
            if not todo:
                return
            if stalled > self.retries and self.clock() - t0 >= self.persist or \
                    silent_run > self.silent_retries:
                raise DeviceError(f"WRITE_INPUT: no valid reply after {report.attempts} attempts in "
                                  f"{self.clock() - t0:.1f} s: {report.describe()} (a slow or "
                                  f"laggy link: raise --timeout, now {self.reply_timeout:g} s)")
            batch, nbytes = [], 0
            room = self._payload_room()
            for start, end in todo:
                off = start
                while off < end and len(batch) < self.window and \
                        nbytes < 2 * DEVICE_MAX_PAYLOAD:
                    n = min(room, end - off)
                    seq = self._next_seq()
                    frame = encode_frame(WRITE_INPUT, seq,
                                         struct.pack("<BI", index, off) + data[off:off + n])
                    batch.append((seq, frame))
                    issued[seq] = (off, n)
                    if tried[off] and (off == start or not tried[off - 1]):
                        self.stats["retries"] += 1    # one per lost part, however cut
                    tried[off:off + n] = b"\x01" * n
                    nbytes += len(frame) + 1 + 2 * (OVERHEAD + len(PAD))
                    off += n
            report.attempts += len(batch)
            try:
                self.port.write(b"".join(f + PAD for _, f in batch))
                flush = getattr(self.port, "flush", None)
                if flush:
                    flush()
            except Exception as e:
                raise DeviceError(f"serial link failed: {e}") from None
            sent, got0 = self.clock(), report.bytes_in
            answers0 = report.rejected + report.cut_short + report.corrupt
            acked, lost = self._collect(issued, done, [q for q, _ in batch], sent,
                                        sent + 2 * nbytes / self.rate +
                                        self._allowance(self._timeouts), report)
            for q, frame in batch:
                self._learn_errors(len(frame) + 1 + OVERHEAD + 2 * len(PAD), q not in lost)
            answered = acked or report.rejected + report.cut_short + report.corrupt > answers0
            silent_run = silent_run + 1 if report.bytes_in == got0 and not answered else 0
            stalled = 0 if acked else stalled + 1

    def _collect(self, issued: dict, done: bytearray, batch: list, sent: float,
                 deadline: float, report: LinkReport) -> tuple:
        """Take WRITE_INPUT replies (to this batch or earlier ones) until every frame of the
        batch is answered one way or another, the line goes quiet after damage, or the
        deadline passes; returns (frames acknowledged, seqs of the batch left unanswered)."""
        waiting = set(batch)
        answered = acked = 0
        bad0, dropped0, got0 = self.parser.bad_frames, self.parser.dropped, report.bytes_in
        # the board answers frames in order: once the batch's last frame is acknowledged,
        # whatever else is unanswered was lost
        while answered < len(batch) and batch[-1] in waiting:
            f = self.parser.next_frame()
            if f is None:
                if self.parser.bad_frames > bad0:
                    report.corrupt += self.parser.bad_frames - bad0
                    answered += self.parser.bad_frames - bad0
                    bad0 = self.parser.bad_frames
                    continue
                if report.bytes_in > got0 and (self.parser.dropped > dropped0 or
                                               len(self.parser.buf) > 1) and \
                        self.clock() - self._last_byte >= self.QUIET:
                    break       # stray bytes or a frame cut short, then silence
                if answered == len(batch) - 1 and report.bytes_in > got0 and \
                        self.clock() - self._last_byte >= 3 * self.QUIET:
                    break       # all but the last answered, then silence: it was lost
                if not self._read_some(deadline, report):
                    if len(self.parser.buf) > 1 and \
                            self.clock() - self._last_byte < self.QUIET:
                        deadline = self.clock() + self.QUIET
                        continue
                    self._timeouts = min(self._timeouts + 1, 12)
                    break
                continue
            if f.type == ERROR:
                self.stats["error_frames"] += 1
                if f.payload[:1] == bytes([ERR_SHORT]):
                    report.cut_short += 1
                else:
                    report.rejected += 1
                answered += 1
                continue
            if f.type == (WRITE_INPUT | REPLY) and f.seq in issued and f.payload:
                if f.payload[0] != OK:
                    raise DeviceError(f"WRITE_INPUT failed on the device: "
                                      f"{STATUS_NAMES.get(f.payload[0], f.payload[0])}")
                off, n = issued[f.seq]
                done[off:off + n] = b"\x01" * n
                acked += 1
                if f.seq in waiting:
                    waiting.discard(f.seq)
                    answered += 1
                continue
            report.stale += 1
            self.stats["stale_frames"] += 1
        self.stats["garbage_bytes"] = self.parser.dropped
        self.stats["bad_frames"] = self.parser.bad_frames
        if not waiting:
            self._timeouts = 0
        return acked, waiting

    def _write_input_one_by_one(self, index: int, data: bytes) -> None:
        off = 0
        while off < len(data):
            sizes = []

            def part(off=off, sizes=sizes):
                room = self._payload_room()
                sizes.append(room)
                return struct.pack("<BI", index, off) + data[off:off + room], 1
            self.transact(WRITE_INPUT, request=part)
            off += min(sizes)

    def invoke(self, halt_op: Optional[int] = None) -> tuple[int, int]:
        """Run one inference: (result, ticks); with halt_op, stop right after that op.
        The very first waits up to invoke_timeout; later ones (and retries) up to 10x the
        slowest seen so far (at least 2 s), so a hung device is found fast. Every call
        draws a new token: a retry of it is answered from the device's memory, not run
        twice, and a new inference is never mistaken for a retry."""
        budget = self.invoke_timeout
        if self._invoke_seen is None:
            work, retry = budget, min(budget, max(10.0, budget / 4))
        else:
            # expect about the time seen so far; a lost reply is re-sent soon (a re-sent
            # INVOKE is answered from memory, or waits in the link while the board works)
            cap = min(budget, max(2.0, 10.0 * self._invoke_seen))
            work = min(cap, 2.0 * (self._invoke_clean or self._invoke_seen) + 0.01)

            def retry(k, first=work, cap=cap):
                return min(cap, first * 2 ** k)
        self.token = (self.token + 1) & 0xFFFFFFFF
        t0 = self.clock()
        p = self.transact(INVOKE, struct.pack("<IH", self.token,
                                              NO_HALT if halt_op is None else halt_op),
                          work=work, retry_work=retry, reply_bytes=16)
        if halt_op is None:
            took = self.clock() - t0
            self._invoke_seen = max(self._invoke_seen or 0.0, took)
            if self.last_attempts == 1:
                self._invoke_clean = max(self._invoke_clean or 0.0, took)
        result, ticks = struct.unpack_from("<iQ", p, 0)
        return result, ticks

    def _read_bytes(self, cmd: int, head, nbytes: int) -> bytes:
        out = bytearray()
        while len(out) < nbytes:
            asked = []

            def part(off=len(out), asked=asked):
                n = min(self._payload_room(), nbytes - off)
                asked.append(n)
                return head(off, n), 1 + n
            p = self.transact(cmd, request=part, work=0.0)
            # any attempt's reply counts: from the same offset, as many bytes as it asked
            if not 0 < len(p) <= max(asked):
                raise DeviceError(f"{COMMAND_NAMES[cmd]}: asked {asked[-1]} bytes, got {len(p)}")
            out += p
        return bytes(out)

    def read_output(self, index: int, nbytes: int) -> bytes:
        return self._read_bytes(READ_OUTPUT, lambda off, n: struct.pack("<BIH", index, off, n),
                                nbytes)

    def read_layer(self, index: int, nbytes: int) -> bytes:
        """The bytes of layer output `index` (see layer_info) as the device holds them now."""
        return self._read_bytes(READ_LAYER, lambda off, n: struct.pack("<HIH", index, off, n),
                                nbytes)

    def _table(self, cmd: int, count: int, size: int, fmt: str) -> list:
        rows: list = []
        while len(rows) < count:
            asked = []

            def part(first=len(rows), asked=asked):
                n = min(max(1, (self._payload_room() - 4) // size), count - first)
                asked.append(n)
                return struct.pack("<HH", first, n), 3 + size * n
            p = self.transact(cmd, request=part)
            (got,) = struct.unpack_from("<H", p, 0)
            if not 0 < got <= max(asked) or len(p) != 2 + size * got:
                raise DeviceError(f"{COMMAND_NAMES[cmd]}: asked {asked[-1]} values, got {got}")
            rows += list(struct.iter_unpack(fmt, p[2:]))
        return rows

    def layer_ticks(self, count: int) -> list[int]:
        return [r[0] for r in self._table(LAYER_TICKS, count, 4, "<I")]

    def layer_info(self, count: int) -> list[tuple[int, int, int]]:
        """(op index, output slot, bytes) of every checksummed op output, in execution order."""
        return self._table(LAYER_INFO, count, 7, "<HBI")

    def layer_crcs(self, count: int) -> list[int]:
        return [r[0] for r in self._table(LAYER_CRCS, count, 4, "<I")]

    def data_crcs(self, count: int) -> list[int]:
        """[CRC of the model data, then one per op] computed by the device now."""
        return [r[0] for r in self._table(DATA_CRCS, count, 4, "<I")]

    def reset_state(self) -> None:
        self.transact(RESET_STATE, reply_bytes=1)


# ------------------------------------------------------------------------- device side

class DeviceEmulator:
    """The firmware side in Python (twin of codegen/firmware/main.c.j2): feed it the bytes
    the host sends, get back the bytes the firmware would answer.

    `compute(list_of_input_arrays) -> list_of_output_arrays` stands in for NAME_invoke;
    `reset()` (optional) for NAME_reset. With info.checks, `layers(inputs) -> list of arrays`
    gives the op outputs the firmware checksums (default: the outputs themselves, one layer
    per output, all of op 0) and `data_crcs` what DATA_CRCS reports."""

    def __init__(self, info: DeviceInfo, compute: Callable, reset: Optional[Callable] = None,
                 ticks: int = 1000, layer_ticks: Optional[Sequence[int]] = None,
                 layers: Optional[Callable] = None, layer_table: Optional[Sequence] = None,
                 data_crcs: Optional[Sequence[int]] = None):
        self.info = info
        self.compute = compute
        self.reset_fn = reset
        self.ticks = ticks
        self.layer = list(layer_ticks) if layer_ticks is not None else \
            [ticks // max(info.op_count, 1)] * info.op_count
        self.inputs = [bytearray(io.bytes) for io in info.inputs]
        self.outputs = [bytearray(io.bytes) for io in info.outputs]
        self.layers_fn = layers
        self.layer_table = list(layer_table) if layer_table is not None else \
            [(0, k, io.bytes) for k, io in enumerate(info.outputs)]
        if info.checks:
            info.layer_count = len(self.layer_table)
        self.layer_data = [bytes(n) for _, _, n in self.layer_table]
        self.data = list(data_crcs) if data_crcs is not None else [0] * (info.op_count + 1)
        self.buf = bytearray()
        self.last_token: Optional[int] = None
        self.last_invoke_reply = b""
        self.invokes = 0
        self.repeated_invokes = 0     # INVOKE retries answered from memory
        self.banner = b"tflm-py emulated device ready\r\n"

    def feed(self, data: bytes) -> bytes:
        """Bytes in, reply bytes out; a damaged frame costs its first byte only (the hunt
        goes on inside the held bytes), as on the firmware."""
        out = bytearray()
        for b in data:
            if not self.buf and b != 0xA5:
                continue
            self.buf.append(b)
            out += self._process(False)
        return bytes(out)

    def flush(self) -> bytes:
        """The link went silent: serve complete frames in the held bytes, drop the rest."""
        return self._process(True)

    def _examine(self, flushing: bool):
        buf = self.buf
        if buf[0] != 0xA5:
            return -1, b""
        if len(buf) < 2:
            return 0, b""
        if buf[1] != 0x5A:
            return -1, b""
        if len(buf) < HEADER_BYTES:
            return 0, b""
        ftype, seq, n, nc = struct.unpack_from("<BHHH", buf, 2)
        if n ^ nc != 0xFFFF or n > self.info.max_payload:
            err = encode_frame(ERROR, seq, bytes([ERR_HEADER])) \
                if len(buf) == HEADER_BYTES and not flushing else b""
            return -1, err
        total = HEADER_BYTES + n + 4
        if len(buf) < total:     # flushing: the frame's bytes stopped coming
            return 0, encode_frame(ERROR, seq, bytes([ERR_SHORT])) if flushing else b""
        payload = bytes(buf[HEADER_BYTES:HEADER_BYTES + n])
        (crc,) = struct.unpack_from("<I", buf, HEADER_BYTES + n)
        if crc != crc32(bytes(buf[2:7]) + payload):
            err = encode_frame(ERROR, seq, bytes([ERR_CRC])) \
                if len(buf) == total and not flushing else b""
            return -1, err
        return total, self.handle(ftype, seq, payload)

    def _process(self, flushing: bool) -> bytes:
        out = bytearray()
        while self.buf:
            r, reply = self._examine(flushing)
            if reply:
                out += reply + PAD
            if r == 0 and not flushing:
                break
            k = r if r > 0 else 1
            while k < len(self.buf) and self.buf[k] != 0xA5:
                k += 1
            del self.buf[:k]
        return bytes(out)

    def _reply(self, cmd, seq, status, body=b""):
        return encode_frame(cmd | REPLY, seq, bytes([status]) + body)

    def _table(self, cmd, seq, p, rows, fmt):
        if len(p) < 4:
            return self._reply(cmd, seq, ERR_ARG)
        first, count = struct.unpack_from("<HH", p, 0)
        size = struct.calcsize(fmt)
        if first + count > len(rows) or 3 + size * count > self.info.max_payload:
            return self._reply(cmd, seq, ERR_ARG)
        body = struct.pack("<H", count) + b"".join(
            struct.pack(fmt, *(r if isinstance(r, tuple) else (r,)))
            for r in rows[first:first + count])
        return self._reply(cmd, seq, OK, body)

    def handle(self, cmd: int, seq: int, p: bytes) -> bytes:
        if cmd == INFO:
            if len(p) not in (0, 4):
                return self._reply(cmd, seq, ERR_ARG)
            hello = self.info.pack()
            first, count = struct.unpack("<HH", p) if p else (0, 0xFFFF)
            if first > len(hello):
                return self._reply(cmd, seq, ERR_ARG)
            self.last_token = None
            count = min(count, self.info.max_payload - 3)
            return self._reply(cmd, seq, OK, struct.pack("<H", len(hello)) +
                               hello[first:first + count])
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
            if len(p) != 6:
                return self._reply(cmd, seq, ERR_ARG)
            token, halt = struct.unpack("<IH", p)
            if token == self.last_token:
                self.repeated_invokes += 1
                return encode_frame(cmd | REPLY, seq, self.last_invoke_reply)
            if halt != NO_HALT and (not self.info.checks or halt >= self.info.op_count):
                return self._reply(cmd, seq, ERR_ARG)
            xs = [np.frombuffer(bytes(b), dtype=io.dtype).reshape(io.shape)
                  for b, io in zip(self.inputs, self.info.inputs)]
            ys = self.compute(xs)
            for i, (y, io) in enumerate(zip(ys, self.info.outputs)):
                self.outputs[i][:] = np.ascontiguousarray(np.asarray(y, dtype=io.dtype)).tobytes()
            if self.info.checks:
                ls = self.layers_fn(xs) if self.layers_fn else ys
                self.layer_data = [np.ascontiguousarray(np.asarray(v)).tobytes() for v in ls]
            self.invokes += 1
            body = bytes([OK]) + struct.pack("<iQB", 0, self.ticks, int(halt != NO_HALT))
            self.last_token, self.last_invoke_reply = token, body
            return encode_frame(cmd | REPLY, seq, body)
        if cmd in (READ_OUTPUT, READ_LAYER):
            fmt = "<BIH" if cmd == READ_OUTPUT else "<HIH"
            if len(p) < struct.calcsize(fmt) or (cmd == READ_LAYER and not self.info.checks):
                return self._reply(cmd, seq, ERR_ARG if cmd == READ_OUTPUT else
                                   (ERR_UNSUPPORTED if not self.info.checks else ERR_ARG))
            idx, off, n = struct.unpack_from(fmt, p, 0)
            src = self.outputs if cmd == READ_OUTPUT else self.layer_data
            if idx >= len(src) or off + n > len(src[idx]) or n > self.info.max_payload - 1:
                return self._reply(cmd, seq, ERR_ARG)
            return self._reply(cmd, seq, OK, bytes(src[idx][off:off + n]))
        if cmd == LAYER_TICKS:
            if not self.info.profile:
                return self._reply(cmd, seq, ERR_UNSUPPORTED)
            return self._table(cmd, seq, p, self.layer, "<I")
        if cmd in (LAYER_INFO, LAYER_CRCS, DATA_CRCS):
            if not self.info.checks:
                return self._reply(cmd, seq, ERR_UNSUPPORTED)
            rows = {LAYER_INFO: [tuple(r) for r in self.layer_table],
                    LAYER_CRCS: [crc32(d) for d in self.layer_data],
                    DATA_CRCS: self.data}[cmd]
            return self._table(cmd, seq, p, rows, "<HBI" if cmd == LAYER_INFO else "<I")
        if cmd == RESET_STATE:
            self.last_token = None
            if self.reset_fn:
                self.reset_fn()
            return self._reply(cmd, seq, OK)
        return self._reply(cmd, seq, ERR_UNKNOWN)
