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


# ------------------------------------------------------------- no wrap ambiguity

def _same_seq_invokes(send_and_get):
    """Two inferences whose INVOKE frames carry the same seq (what a wrapped counter gives,
    e.g. a sample taking exactly as many frames as the counter's modulus): both must run."""
    replies = []
    for x, token in ((bytes(range(8)), 100), (bytes(range(10, 18)), 101)):
        send_and_get(P.encode_frame(P.WRITE_INPUT, 7, struct.pack("<BI", 0, 0) + x))
        replies.append(send_and_get(P.encode_frame(P.INVOKE, 9,
                                                   struct.pack("<IH", token, P.NO_HALT))))
        out = send_and_get(P.encode_frame(P.READ_OUTPUT, 7, struct.pack("<BIH", 0, 0, 8)))
        assert out.payload[1:] == bytes((b + 1) & 0xFF for b in x)
    # a real retry (same token) is answered from memory, not run again
    again = send_and_get(P.encode_frame(P.INVOKE, 9, struct.pack("<IH", 101, P.NO_HALT)))
    assert again.payload == replies[1].payload


def test_emulator_runs_every_new_token_even_with_the_same_seq():
    dev = P.DeviceEmulator(fake_info(), AddOne().run)

    def send_and_get(frame):
        p = P.FrameParser()
        p.feed(dev.feed(frame))
        return p.next_frame()
    _same_seq_invokes(send_and_get)
    assert dev.invokes == 2 and dev.repeated_invokes == 1


def test_firmware_runs_every_new_token_even_with_the_same_seq(native):
    def send_and_get(frame):
        native.send(frame)
        return native.frame()
    _same_seq_invokes(send_and_get)


def test_client_sequence_wraps_without_replaying(native):
    """The host's 16-bit seq wraps; every inference still runs (its token is new)."""
    c = P.Client(native.port, reply_timeout=0.5, seed=1)
    c.hello()
    c.seq = 0xFFFF - 3
    xs = harness.random_inputs(c.info.inputs, 6, seed=2)
    r = harness.validate_device(c, AddOne(), xs)
    assert r.bit_exact and len(r.samples) == 6 and c.seq < 100


def test_firmware_drops_a_frame_left_incomplete_and_serves_the_retry(native):
    """One byte lost on the way to the board costs one attempt, not two: after a silence
    the firmware drops the partial frame and says so at once (ERR_SHORT, so the host
    re-sends without waiting out its deadline), and the retry is served."""
    frame = P.encode_frame(P.INFO, 21)
    native.send(frame[:10] + frame[11:])        # a CRC byte lost
    t0 = time.monotonic()
    fr = native.frame(timeout=1.0)
    assert (fr.type, fr.seq, fr.payload) == (P.ERROR, 21, bytes([P.ERR_SHORT]))
    assert time.monotonic() - t0 < 0.5
    native.send(frame)                          # the host's retry
    fr = native.frame()
    assert fr is not None and fr.type == P.INFO | P.REPLY and fr.seq == 21


def test_firmware_finds_a_retry_behind_a_damaged_frame(native):
    """No silence in between: the damaged frame swallows the retry's first bytes, fails its
    CRC, and the firmware finds the retry inside the bytes it holds."""
    frame = P.encode_frame(P.INFO, 22)
    native.send(frame[:10] + frame[11:] + frame)
    seen = [native.frame(), native.frame()]
    kinds = {(f.type, f.seq) for f in seen if f is not None}
    assert (P.INFO | P.REPLY, 22) in kinds


def test_layer_readback_on_the_native_firmware(native):
    """LAYER_INFO / LAYER_CRCS / READ_LAYER / DATA_CRCS on the C firmware."""
    c = P.Client(native.port, reply_timeout=0.5, seed=3)
    info = c.hello()
    assert info.checks and info.layer_count == 1
    assert c.layer_info(1) == [(0, 0, 8)]
    x = bytes(range(8))
    c.write_input(0, x)
    c.invoke()
    want = bytes((b + 1) & 0xFF for b in x)
    assert c.layer_crcs(1) == [zlib.crc32(want)]
    c.invoke(halt_op=0)
    assert c.read_layer(0, 8) == want
    from fake_device import fake_manifest
    assert c.data_crcs(2) == fake_manifest()["data_check"]


def test_reply_timeouts_follow_the_model():
    from tflm_py import load_model
    from conftest import MODELS
    small = harness.expected_invoke_seconds(load_model(MODELS["hello_world_int8"]), 25_000_000)
    big = harness.expected_invoke_seconds(load_model(MODELS["kws_ref_model"]), 25_000_000)
    slow = harness.expected_invoke_seconds(load_model(MODELS["kws_ref_model"]), 1_000_000)
    assert small == 5.0 and big >= small and slow > 10 * big / 2
