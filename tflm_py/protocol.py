"""The tflm-py serial protocol between the host and the validation firmware (v2).

Frame (all integers little-endian):

    A5 5A | type u8 | seq u16 | len u16 | ~len u16 | payload[len] | crc32 u32

crc32 is zlib's CRC-32 over type, seq, len and the payload. `~len` (len xor 0xFFFF) lets a
receiver reject a corrupted length at once instead of waiting for bytes that never come.
Anything between frames is ignored (a boot banner is fine); a receiver that finds a bad frame
drops one byte and hunts for the next sync inside the bytes it already holds. The firmware
also drops a frame whose bytes stop coming (FW_RX_TIMEOUT_MS, 50 ms), so a retry after a
lost byte meets a clean receiver.

The host sends commands; the firmware answers each with one frame of type `cmd | 0x80`,
the same seq, and a payload starting with a status byte (0 = OK). A frame the firmware
cannot use (bad length or CRC) gets an ERROR frame (type 0xFF, status ERR_CRC/ERR_HEADER):
the host then knows its command was damaged on the way to the board.

    INFO          -                               -> hello (see DeviceInfo.parse)
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

import struct
import time
import zlib
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

from .errors import ModelError

PROTOCOL_VERSION = 2
MAGIC = b"TFPY"
SYNC = b"\xA5\x5A"
HEADER_BYTES = 9            # sync(2) type seq(2) len ~len
OVERHEAD = HEADER_BYTES + 4
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
STATUS_NAMES = {OK: "ok", ERR_CRC: "bad CRC", ERR_HEADER: "bad frame header",
                ERR_UNKNOWN: "unknown command", ERR_ARG: "bad argument",
                ERR_INVOKE: "invoke failed", ERR_UNSUPPORTED: "not supported"}

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
                   ERR_ARG=ERR_ARG, ERR_INVOKE=ERR_INVOKE, ERR_UNSUPPORTED=ERR_UNSUPPORTED)


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
        self.dropped = 0          # bytes skipped as garbage
        self.bad_frames = 0       # sync seen but header or CRC wrong

    def feed(self, data: bytes) -> None:
        self.buf += data

    def drop_partial(self) -> None:
        """Give up on a frame start still waiting for bytes (the link went quiet): a false
        sync claiming a long length must not hold up the frames behind it."""
        if self.buf.startswith(SYNC):
            self.bad_frames += 1
            self.dropped += 1
            del self.buf[:1]

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
        self.stale = 0           # good frames answering something else

    def describe(self) -> str:
        parts = []
        if self.rejected:
            parts.append(f"host->board: the board received {self.rejected} damaged "
                         f"command{'s' if self.rejected > 1 else ''}")
        if self.corrupt:
            parts.append(f"board->host: {self.corrupt} repl{'ies' if self.corrupt > 1 else 'y'}"
                         " arrived corrupted")
        missing = self.attempts - self.rejected
        if missing > 0 and self.bytes_in:
            parts.append(f"{missing} repl{'ies' if missing > 1 else 'y'} missing")
        if not self.bytes_in:
            return ("nothing at all came back from the board: is it running the tflm-py "
                    "validation firmware, and is the port right?")
        if not (self.corrupt or self.rejected or self.stale):
            parts.append("bytes came back but no tflm-py frame: is the board running the "
                         "tflm-py validation firmware at this baud rate?")
        return "; ".join(parts)


class Client:
    """Host side of the protocol over a pyserial-like port (read(n), write(b), timeout).

    Every exchange has a deadline: the expected transfer time of the frames (at `rate`
    bytes/s), the device's compute time and `reply_timeout` for the link's own delays,
    growing with every retry. A missing, corrupted or foreign reply is retried up to
    `retries` times with the same seq (a late reply to an earlier attempt still counts),
    then DeviceError names the command, the direction that failed and how. A reply that
    arrived damaged is retried after a short grace instead of waiting out the deadline.

    invoke_timeout: the first INVOKE's compute budget (derive it from the model, see
    harness.expected_invoke_seconds); later ones wait 10x the slowest seen (at least 2 s).
    `rate` is the slowest link speed to plan for (QEMU's UART takes ~12 KiB/s host->device)."""

    def __init__(self, port, reply_timeout: float = 1.0, invoke_timeout: float = 60.0,
                 retries: int = 4, chunk: int = 256, rate: float = 6000.0,
                 clock: Callable[[], float] = time.monotonic, seed: Optional[int] = None,
                 hello_retries: Optional[int] = None):
        import random
        self.port = port
        self.reply_timeout = reply_timeout
        self.invoke_timeout = invoke_timeout
        self.retries = retries
        self.hello_retries = retries if hello_retries is None else hello_retries
        self.chunk = chunk
        self.rate = rate
        self.clock = clock
        self.parser = FrameParser(max_payload=4096)
        rnd = random.Random(seed)
        # a fresh session starts at a random seq and token: nothing left over from an earlier
        # session (a late reply, the firmware's invoke memory) can pass for a new one
        self.seq = rnd.randrange(0x10000)
        self.token = rnd.randrange(1 << 32)
        self.info: Optional[DeviceInfo] = None
        self._invoke_seen: Optional[float] = None
        # a noisy link: the round trip seen so far sets how soon a lost reply is retried
        # (never later than reply_timeout), and chunks shrink while frames keep failing
        self.rtt: Optional[float] = None
        self.max_chunk = chunk
        self._clean = 0
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
            self.port.timeout = min(remaining, 0.05)
            n = getattr(self.port, "in_waiting", 0) or 1
            data = self.port.read(n)
        except Exception as e:  # pyserial raises SerialException/OSError on a dead link
            raise DeviceError(f"serial link failed: {e}") from None
        if data:
            report.bytes_in += len(data)
            self.parser.feed(data)
        return True

    def _wait_reply(self, cmd: int, seq: int, deadline: float, grace: float,
                    report: LinkReport):
        """The reply frame to (cmd, seq), or None at the deadline, on a matching ERROR, or
        `grace` seconds after a damaged frame arrived with no good reply since."""
        bad0, got0 = self.parser.bad_frames, report.bytes_in
        while True:
            f = self.parser.next_frame()
            if f is None:
                if self.parser.bad_frames > bad0:
                    report.corrupt += self.parser.bad_frames - bad0
                    bad0 = self.parser.bad_frames
                    deadline = min(deadline, self.clock() + grace)
                if not self._read_some(deadline, report):
                    if report.bytes_in == got0:
                        report.silent += 1
                    return None
                continue
            if f.type == ERROR:
                self.stats["error_frames"] += 1
                if f.seq == seq:
                    report.rejected += 1
                    return None
                continue
            if f.type == (cmd | REPLY) and f.seq == seq:
                return f
            report.stale += 1
            self.stats["stale_frames"] += 1   # a late reply to an earlier attempt

    def transact(self, cmd: int, payload: bytes = b"", work: float = 0.0,
                 expect_ok: bool = True, retries: Optional[int] = None,
                 retry_work: Optional[float] = None, reply_bytes: int = 64) -> bytes:
        """Send a command, return its reply payload after the status byte.

        The first attempt waits `work` seconds (the device's compute time), later ones
        `retry_work` (default: the same), plus the transfer time of the command and a
        `reply_bytes` reply at `rate` and reply_timeout; the link allowance grows with
        every retry."""
        seq = self._next_seq()
        frame = encode_frame(cmd, seq, payload)
        transfer = (len(frame) + reply_bytes + OVERHEAD) / self.rate
        retries = self.retries if retries is None else retries
        report = LinkReport()
        t0 = self.clock()
        for attempt in range(retries + 1):
            if attempt:
                self.stats["retries"] += 1
                self.parser.drop_partial()
            report.attempts += 1
            try:
                self.port.write(frame)
                flush = getattr(self.port, "flush", None)
                if flush:
                    flush()
            except Exception as e:
                raise DeviceError(f"serial link failed: {e}") from None
            w = work if attempt == 0 or retry_work is None else retry_work
            allow = self.reply_timeout if self.rtt is None else \
                min(self.reply_timeout, max(0.25, 4 * self.rtt + 0.05))
            link = transfer + allow * (1 + attempt)
            sent = self.clock()
            f = self._wait_reply(cmd, seq, sent + w + link, 2 * transfer + 0.1, report)
            self.stats["garbage_bytes"] = self.parser.dropped
            self.stats["bad_frames"] = self.parser.bad_frames
            if f is None:
                continue
            if not f.payload:
                report.corrupt += 1
                continue
            if cmd != INVOKE and attempt == 0:
                seen = self.clock() - sent - work
                self.rtt = seen if self.rtt is None else max(0.7 * self.rtt + 0.3 * seen, 0.0)
            self._adapt_chunk(attempt)
            status = f.payload[0]
            if expect_ok and status != OK:
                raise DeviceError(f"{COMMAND_NAMES.get(cmd, cmd)} failed on the device: "
                                  f"{STATUS_NAMES.get(status, f'status {status}')}")
            return f.payload[1:]
        raise DeviceError(f"{COMMAND_NAMES.get(cmd, hex(cmd))}: no valid reply after "
                          f"{retries + 1} attempts in {self.clock() - t0:.1f} s: "
                          f"{report.describe()} (a slow or laggy link: raise --timeout, now "
                          f"{self.reply_timeout:g} s)")

    def _adapt_chunk(self, attempt: int) -> None:
        if attempt:
            self.chunk = max(16, self.chunk // 2)
            self._clean = 0
        else:
            self._clean += 1
            if self._clean >= 8 and self.chunk < self.max_chunk:
                self.chunk = min(self.max_chunk, self.chunk * 2)
                self._clean = 0

    # -- commands
    def hello(self) -> DeviceInfo:
        p = self.transact(INFO, reply_bytes=512, retries=self.hello_retries)
        info = DeviceInfo.parse(p)
        self.info = info
        self.parser.max_payload = max(16, info.max_payload)
        return info

    def _payload_room(self) -> int:
        maxp = self.info.max_payload if self.info else DEVICE_MAX_PAYLOAD
        return max(1, min(self.chunk, maxp - 8))

    def write_input(self, index: int, data: bytes) -> None:
        off = 0
        while off < len(data):
            room = self._payload_room()
            self.transact(WRITE_INPUT, struct.pack("<BI", index, off) + data[off:off + room],
                          reply_bytes=1)
            off += room

    def invoke(self, halt_op: Optional[int] = None) -> tuple[int, int]:
        """Run one inference: (result, ticks); with halt_op, stop right after that op.
        The very first waits up to invoke_timeout; later ones (and retries) up to 10x the
        slowest seen so far (at least 2 s), so a hung device is found fast. Every call
        draws a new token: a retry of it is answered from the device's memory, not run
        twice, and a new inference is never mistaken for a retry."""
        work = self.invoke_timeout
        if self._invoke_seen is not None:
            work = retry = min(work, max(2.0, 10.0 * self._invoke_seen))
        else:
            retry = min(work, max(10.0, work / 4))
        self.token = (self.token + 1) & 0xFFFFFFFF
        t0 = self.clock()
        p = self.transact(INVOKE, struct.pack("<IH", self.token,
                                              NO_HALT if halt_op is None else halt_op),
                          work=work, retry_work=retry, reply_bytes=16)
        if halt_op is None:
            self._invoke_seen = max(self._invoke_seen or 0.0, self.clock() - t0)
        result, ticks = struct.unpack_from("<iQ", p, 0)
        return result, ticks

    def _read_bytes(self, cmd: int, head, nbytes: int) -> bytes:
        out = bytearray()
        while len(out) < nbytes:
            n = min(self._payload_room(), nbytes - len(out))
            p = self.transact(cmd, head(len(out), n), work=n / self.rate, reply_bytes=n)
            if len(p) != n:
                raise DeviceError(f"{COMMAND_NAMES[cmd]}: asked {n} bytes, got {len(p)}")
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
        room = max(1, (self._payload_room() - 4) // size)
        rows: list = []
        while len(rows) < count:
            n = min(room, count - len(rows))
            p = self.transact(cmd, struct.pack("<HH", len(rows), n), reply_bytes=2 + size * n)
            (got,) = struct.unpack_from("<H", p, 0)
            if got != n or len(p) != 2 + size * n:
                raise DeviceError(f"{COMMAND_NAMES[cmd]}: asked {n} values, got {got}")
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
        if len(buf) < total:
            return 0, b""
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
            out += reply
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
            self.last_token = None
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
