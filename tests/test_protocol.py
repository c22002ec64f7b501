"""The tflm-py serial protocol: framing, resynchronisation, and the C firmware (built
natively with the host port, under ASan/UBSan) against its Python twin DeviceEmulator."""
import os
import shutil
import struct
import subprocess
import time
import zlib

import numpy as np
import pytest

from tflm_py import boards, harness
from tflm_py import protocol as P

from fake_device import FAKE_BUNDLE, AddOne, fake_info

# ------------------------------------------------------------------------ framing


def test_frame_layout_and_crc():
    f = P.encode_frame(P.WRITE_INPUT, 0x1234, b"\x01\x02\x03")
    assert f[:2] == b"\xa5\x5a" and f[2] == P.WRITE_INPUT
    assert struct.unpack_from("<H", f, 3)[0] == 0x1234          # 16-bit sequence number
    n, nn = struct.unpack_from("<HH", f, 5)
    assert n == 3 and nn == 3 ^ 0xFFFF
    assert f[9:12] == b"\x01\x02\x03"
    assert struct.unpack_from("<I", f, 12)[0] == zlib.crc32(f[2:7] + f[9:12])
    assert len(f) == 3 + P.OVERHEAD


def test_parser_skips_banner_and_garbage_and_bad_frames():
    good = [P.encode_frame(P.INFO | P.REPLY, i, bytes(range(i * 3))) for i in range(1, 5)]
    bad_crc = bytearray(P.encode_frame(P.INFO | P.REPLY, 9, b"hello"))
    bad_crc[9] ^= 0x10
    bad_len = bytearray(P.encode_frame(P.INFO | P.REPLY, 9, b"hello"))
    bad_len[4] ^= 0x01
    stream = (b"booting...\r\n\xa5\xa5\x5a" + good[0] + bytes(bad_crc) + good[1] + b"\xa5"
              + bytes(bad_len) + good[2] + b"\x00\xa5\x5a\xff\xff" + good[3])
    # any chunking gives the same frames
    for chunk in (1, 3, 7, len(stream)):
        p = P.FrameParser()
        frames = []
        for i in range(0, len(stream), chunk):
            p.feed(stream[i:i + chunk])
            while (fr := p.next_frame()) is not None:
                frames.append(fr)
        assert [fr.seq for fr in frames] == [1, 2, 3, 4]
        assert frames[2].payload == bytes(range(9))
        assert p.bad_frames >= 2


def test_parser_finds_frame_hidden_behind_false_sync():
    # a false sync whose "length" would swallow the real frame: the CRC fails and the
    # parser finds the real frame inside
    real = P.encode_frame(P.INVOKE | P.REPLY, 3, b"\x00" * 13)
    fake_hdr = b"\xa5\x5a\x01\x02\x00" + struct.pack("<HH", 10, 10 ^ 0xFFFF)
    p = P.FrameParser()
    p.feed(fake_hdr + real + b"\x00" * 20)
    fr = p.next_frame()
    assert fr is not None and fr.seq == 3 and fr.type == P.INVOKE | P.REPLY


def test_device_info_roundtrip():
    info = fake_info()
    back = P.DeviceInfo.parse(info.pack())
    assert back == info
    with pytest.raises(P.DeviceError, match="not a tflm-py firmware"):
        P.DeviceInfo.parse(b"XXXX" + info.pack()[4:])
    with pytest.raises(P.DeviceError, match="malformed"):
        P.DeviceInfo.parse(info.pack()[:30])


def test_emulator_rejects_bad_frames_and_keeps_serving():
    dev = P.DeviceEmulator(fake_info(), AddOne().run)
    bad = bytearray(P.encode_frame(P.INFO, 5))
    bad[-1] ^= 1
    p = P.FrameParser()
    p.feed(dev.feed(bytes(bad)))
    fr = p.next_frame()
    assert fr.type == P.ERROR and fr.seq == 5 and fr.payload == bytes([P.ERR_CRC])
    p.feed(dev.feed(P.encode_frame(P.INFO, 6)))
    fr = p.next_frame()
    assert fr.type == P.INFO | P.REPLY and fr.payload[0] == P.OK


# --------------------------------------------------------------- the C firmware

def _build_native(tmp_path, profile=True, sanitize=True):
    assert shutil.which("gcc"), "gcc not installed: run scripts/setup.sh"
    proj = boards.make_project(None, "host", tmp_path / "proj", bundle_dir=FAKE_BUNDLE)
    exe = tmp_path / ("fw" if profile else "fw_noprof")
    srcs = [proj / "src" / "main.c", proj / "src" / "tflm_py_port.c",
            proj / "lib" / "fake" / "fake.c", proj / "lib" / "fake" / "fake_model_data.c"]
    cmd = ["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-g",
           *(["-fsanitize=address,undefined", "-fno-sanitize-recover=all"] if sanitize else []),
           *(["-DTFLM_PY_PROFILE", "-DTFLM_PY_VALIDATION"] if profile else []),
           "-I", str(proj / "src"), "-I", str(proj / "lib" / "fake"),
           "-I", str(proj / "lib" / "fake" / "kernels"), *map(str, srcs), "-o", str(exe)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return exe


class _Native:
    def __init__(self, exe, tmp_path):
        self.vb = harness._vboard()
        self.log = str(tmp_path / f"{exe.name}.log")
        self.proc, self.info = self.vb.launch("host", str(exe), self.log, lifetime=120)
        self.port = harness.connect(self.info["url"])
        self.parser = P.FrameParser()

    def send(self, data: bytes):
        self.port.write(data)

    def frame(self, timeout=2.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            fr = self.parser.next_frame()
            if fr is not None:
                return fr
            self.port.timeout = 0.05
            self.parser.feed(self.port.read(max(1, self.port.in_waiting)))
        return None

    def close(self):
        self.port.close()
        alive = self.proc.poll() is None
        self.vb.stop_pid(self.proc.pid, self.proc)
        return alive


@pytest.fixture
def native(tmp_path):
    n = _Native(_build_native(tmp_path), tmp_path)
    yield n
    alive = n.close()
    log = open(n.log, errors="replace").read()
    assert "runtime error" not in log and "AddressSanitizer" not in log, log
    assert alive, f"firmware died:\n{log}"


def test_firmware_rejects_bad_frames_with_error_codes(native):
    bad_crc = bytearray(P.encode_frame(P.INFO, 11))
    bad_crc[-2] ^= 0x40
    native.send(bytes(bad_crc))
    fr = native.frame()
    assert (fr.type, fr.seq, fr.payload) == (P.ERROR, 11, bytes([P.ERR_CRC]))

    bad_len = b"\xa5\x5a" + struct.pack("<BHHH", P.INFO, 12, 4, 4)
    native.send(bad_len)
    fr = native.frame()
    assert (fr.type, fr.seq, fr.payload) == (P.ERROR, 12, bytes([P.ERR_HEADER]))

    too_long = b"\xa5\x5a" + struct.pack("<BHHH", P.INFO, 13, 5000, 5000 ^ 0xFFFF)
    native.send(too_long)
    fr = native.frame()
    assert (fr.type, fr.seq, fr.payload) == (P.ERROR, 13, bytes([P.ERR_HEADER]))

    native.send(P.encode_frame(0x42, 14, b"??"))
    fr = native.frame()
    assert (fr.type, fr.seq, fr.payload) == (0x42 | P.REPLY, 14, bytes([P.ERR_UNKNOWN]))

    for cmd, payload in ((P.WRITE_INPUT, struct.pack("<BI", 0, 4) + b"\x00" * 5),
                         (P.WRITE_INPUT, struct.pack("<BI", 1, 0) + b"\x00"),
                         (P.WRITE_INPUT, b"\x00"),
                         (P.READ_OUTPUT, struct.pack("<BIH", 0, 0, 9)),
                         (P.READ_OUTPUT, struct.pack("<BIH", 0, 0xFFFFFFFF, 1)),
                         (P.READ_OUTPUT, struct.pack("<BIH", 2, 0, 1)),
                         (P.LAYER_TICKS, struct.pack("<HH", 0, 2))):
        native.send(P.encode_frame(cmd, 15, payload))
        fr = native.frame()
        assert (fr.type, fr.payload) == (cmd | P.REPLY, bytes([P.ERR_ARG])), (cmd, payload)

    # still serving
    native.send(P.encode_frame(P.INFO, 16))
    fr = native.frame()
    assert fr.type == P.INFO | P.REPLY and fr.payload[0] == P.OK


def test_firmware_survives_fuzz_and_recovers(native):
    rng = np.random.default_rng(0)
    junk = rng.integers(0, 256, size=20000, dtype=np.uint8).tobytes()
    # sprinkle sync patterns with plausible headers into the junk
    junk = bytearray(junk)
    for pos in rng.integers(0, len(junk) - 16, size=200):
        n = int(rng.integers(0, 40))
        junk[pos:pos + 9] = b"\xa5\x5a" + struct.pack("<BHHH", int(rng.integers(1, 7)), 1, n,
                                                      n ^ 0xFFFF)
    native.send(bytes(junk))
    time.sleep(0.3)
    native.port.reset_input_buffer()
    c = P.Client(native.port, reply_timeout=0.5, retries=6)
    info = c.hello()
    assert info.model_hash == fake_info().model_hash
    r = harness.validate_device(c, AddOne(), harness.random_inputs(info.inputs, 5))
    assert r.bit_exact


def test_firmware_and_emulator_answer_alike(native):
    """Same command stream to the C firmware and the Python twin: same replies (except
    the board name / tick unit in INFO and the tick counts)."""
    dev = P.DeviceEmulator(fake_info(), AddOne().run)
    x = bytes(range(8))
    cmds = [(P.WRITE_INPUT, struct.pack("<BI", 0, 0) + x[:5]),
            (P.WRITE_INPUT, struct.pack("<BI", 0, 5) + x[5:]),
            (P.INVOKE, struct.pack("<IH", 7, P.NO_HALT)),
            (P.INVOKE, struct.pack("<IH", 7, P.NO_HALT)),
            (P.READ_OUTPUT, struct.pack("<BIH", 0, 0, 8)),
            (P.READ_OUTPUT, struct.pack("<BIH", 0, 3, 2)),
            (P.WRITE_INPUT, struct.pack("<BI", 0, 8) + b"\x01"),
            (P.RESET_STATE, b""), (P.LAYER_TICKS, struct.pack("<HH", 0, 1)),
            (0x33, b"")]
    for seq, (cmd, payload) in enumerate(cmds, start=1):
        if cmd == P.INVOKE and seq == 4:
            seq = 3          # a retry of the INVOKE: answered from memory
        frame = P.encode_frame(cmd, seq, payload)
        native.send(frame)
        got = native.frame()
        pp = P.FrameParser()
        pp.feed(dev.feed(frame))
        want = pp.next_frame()
        assert (got.type, got.seq) == (want.type, want.seq)
        if cmd in (P.INVOKE, P.LAYER_TICKS):
            assert got.payload[0] == want.payload[0] and len(got.payload) == len(want.payload)
        else:
            assert got.payload == want.payload, cmd
    out = np.frombuffer(dev.outputs[0], np.int8)
    assert np.array_equal(out, (np.frombuffer(x, np.int8) + 1).astype(np.int8))


def test_firmware_without_profiling_says_unsupported(tmp_path):
    n = _Native(_build_native(tmp_path, profile=False), tmp_path)
    try:
        c = P.Client(n.port, reply_timeout=0.5)
        info = c.hello()
        assert not info.profile and info.tick_unit == "ns" and info.board == "host"
        with pytest.raises(P.DeviceError, match="not supported"):
            c.layer_ticks(1)
        r = harness.validate_device(c, AddOne(), harness.random_inputs(info.inputs, 2))
        assert r.bit_exact and r.layer_ticks() is None
    finally:
        assert n.close()


def test_c_constants_match_python(tmp_path):
    proj = boards.make_project(None, "host", tmp_path / "p", bundle_dir=FAKE_BUNDLE)
    src = (proj / "src" / "main.c").read_text()
    for name, value in P.C_CONSTANTS.items():
        if name in ("PROTOCOL_VERSION", "MAX_PAYLOAD"):
            assert f"FW_{name} {value}u" in src
        elif name in ("REPLY", "ERROR"):
            assert f"FRAME_{name} {value}u" in src
        elif name.startswith(("ERR_", "OK")):
            assert f"ST_{name} {value}u" in src
        else:
            assert f"CMD_{name} {value}u" in src
    assert os.path.getsize(proj / "src" / "main.c") > 1000
