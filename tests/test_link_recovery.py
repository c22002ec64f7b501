"""How the host recovers from single, targeted link faults (in-process fake board, virtual
clock): one lost or damaged byte costs one retry, found at once rather than by a timeout, and
a link that keeps failing ends with a message that says what happened."""
import pytest

from tflm_py import harness
from tflm_py import protocol as P

from fake_device import AddOne, FakeSerial, fake_info, fake_manifest


class TargetedFaults(FakeSerial):
    """Damages chosen frames: `faults` maps (direction, frame type, occurrence) -> a function
    bytes -> bytes applied to that frame (occurrence None: every one)."""

    def __init__(self, device, faults, **kw):
        super().__init__(device, banner=False, **kw)
        self.targets = dict(faults)
        self.seen: dict = {}

    def _mangle(self, data, direction):
        if len(data) < 3 or data[:2] != P.SYNC:
            return data
        key = (direction, data[2])
        n = self.seen[key] = self.seen.get(key, 0) + 1
        f = self.targets.get((direction, data[2], n)) or self.targets.get((direction, data[2],
                                                                           None))
        return f(data) if f else data


def _run(faults, samples=3, **client):
    dev = P.DeviceEmulator(fake_info(), AddOne().run, data_crcs=fake_manifest()["data_check"])
    fake = TargetedFaults(dev, faults)
    c = P.Client(fake, clock=fake.clock, seed=0, invoke_timeout=1.0, **client)
    xs = harness.random_inputs(fake_info().inputs, samples, 1)
    r = harness.validate_device(c, AddOne(), xs, expected_data=fake_manifest()["data_check"])
    return r, fake, c


def _drop(i):
    return lambda b: b[:i] + b[i + 1:]


def _flip(i):
    return lambda b: b[:i] + bytes([b[i] ^ 0x10]) + b[i + 1:]


CLEAN_TIME = None


def _clean_time():
    global CLEAN_TIME
    if CLEAN_TIME is None:
        r, fake, _ = _run({})
        assert r.bit_exact and r.link["retries"] == 0
        CLEAN_TIME = fake.now
    return CLEAN_TIME


@pytest.mark.parametrize("what, fault", [
    ("a byte lost from a command", ("h2d", P.WRITE_INPUT, 2, _drop(12))),
    ("a header byte lost from a command", ("h2d", P.INVOKE, 1, _drop(3))),
    ("the sync byte lost from a command", ("h2d", P.READ_OUTPUT, 1, _drop(0))),
    ("a byte added to a command", ("h2d", P.WRITE_INPUT, 1, lambda b: b[:5] + b[4:])),
    ("a bit flipped in a command", ("h2d", P.INVOKE, 2, _flip(10))),
    ("a byte lost from a reply", ("d2h", P.INVOKE | P.REPLY, 1, _drop(14))),
    ("a byte lost from the hello", ("d2h", P.INFO | P.REPLY, 1, _drop(30))),
    ("the sync lost from a reply", ("d2h", P.READ_OUTPUT | P.REPLY, 2, _drop(1))),
    ("a bit flipped in a reply", ("d2h", P.LAYER_CRCS | P.REPLY, 1, _flip(11))),
    ("a reply lost whole", ("d2h", P.INVOKE | P.REPLY, 2, lambda b: b"")),
])
def test_one_damaged_frame_costs_one_retry(what, fault):
    base = _clean_time()
    direction, ftype, n, f = fault
    r, fake, c = _run({(direction, ftype, n): f})
    assert r.bit_exact, what
    assert r.link["retries"] == 1, what
    assert fake.device.invokes == 3          # a re-sent INVOKE is never run twice
    # found at once (the board's ERROR frame, a bad CRC completed by the filler bytes, a
    # frame that stopped coming); only a frame lost whole, or its sync, waits a deadline
    slack = 0.5 if "whole" in what or "sync byte lost" in what else 0.05
    assert fake.now - base < slack, (what, fake.now - base)


def test_a_link_that_keeps_corrupting_replies_says_so():
    with pytest.raises(P.DeviceError) as e:
        _run({("d2h", P.INVOKE | P.REPLY, None): _flip(12)}, retries=6)
    msg = str(e.value)
    assert "INVOKE: no valid reply after 7 attempts" in msg
    assert "board->host: 7 replies arrived corrupted" in msg
    assert "nothing at all" not in msg and "is the port right" not in msg


def test_a_link_that_keeps_damaging_commands_says_so():
    with pytest.raises(P.DeviceError) as e:
        _run({("h2d", P.WRITE_INPUT, None): _flip(11)}, retries=4)
    msg = str(e.value)
    assert "WRITE_INPUT: no valid reply" in msg
    assert "host->board: the board received 5 commands damaged" in msg
    assert "nothing at all" not in msg


def test_commands_cut_short_are_reported_as_such():
    # three bytes lost: the two filler bytes cannot complete the frame, the board's receive
    # timeout drops it and says so
    with pytest.raises(P.DeviceError) as e:
        _run({("h2d", P.RESET_STATE, None): lambda b: b[:9] + b[12:]}, retries=3)
    assert "cut short" in str(e.value)


def test_a_silent_board_is_given_up_on_quickly_despite_many_retries():
    dev = P.DeviceEmulator(fake_info(), AddOne().run)
    fake = FakeSerial(dev, dead=True, banner=False)
    c = P.Client(fake, clock=fake.clock, seed=0, reply_timeout=1.0,
                 **P.NOISY_LINK_OPTIONS)
    with pytest.raises(P.DeviceError, match="nothing at all came back") as e:
        c.hello()
    assert "after 5 attempts" in str(e.value)
    assert fake.now < 10.0


def test_frames_shrink_on_a_noisy_link_and_grow_back():
    dev = P.DeviceEmulator(fake_info(), AddOne().run)
    c = P.Client(FakeSerial(dev), seed=0)
    assert c.chunk == 256
    for _ in range(20):
        c._learn_errors(100, False)
        c._learn_errors(100, True)
    assert 16 <= c.chunk <= 64           # ~50% loss on 100-byte exchanges: p ~ 0.7%
    for _ in range(300):
        c._learn_errors(100, True)
    assert c.chunk == 256


class _AddOneRef:
    def reset(self):
        pass

    def run(self, xs):
        return [(xs[0].astype("int16") + 1).astype("int8")]


def _big_device(n=700, **faults):
    io = P.IOInfo(9, (1, n), n, 0.1, 0)
    info = P.DeviceInfo(P.PROTOCOL_VERSION, P.DEVICE_MAX_PAYLOAD, False, 4096, 0, 1, 0, "ns",
                        "fake-board", "ab" * 32, [io], [io])
    dev = P.DeviceEmulator(info, lambda xs: [(xs[0].astype("int16") + 1).astype("int8")])
    return info, dev


def test_input_frames_in_flight_together_lose_only_their_own_bytes():
    """A 700-byte input goes out as several frames at once; the one frame that lost a byte
    is the only one sent again."""
    info, dev = _big_device()
    fake = TargetedFaults(dev, {})
    fake.targets = {("h2d", P.WRITE_INPUT, 1): lambda b: b[:300] + b[301:]}   # 2nd frame
    c = P.Client(fake, clock=fake.clock, seed=0, invoke_timeout=1.0)
    xs = harness.random_inputs(info.inputs, 2, 3)
    r = harness.validate_device(c, _AddOneRef(), xs)
    assert r.bit_exact and r.link["retries"] == 1


@pytest.mark.parametrize("seed", range(3))
def test_large_inputs_through_a_noisy_wire(seed):
    info, dev = _big_device()
    fake = FakeSerial(dev, seed=seed, drop=0.01, dup=0.01, corrupt=0.005, banner=False)
    c = P.Client(fake, clock=fake.clock, seed=seed, invoke_timeout=1.0,
                 **P.NOISY_LINK_OPTIONS)
    r = harness.validate_device(c, _AddOneRef(), harness.random_inputs(info.inputs, 4, seed))
    assert r.bit_exact and len(r.samples) == 4 and r.link["retries"] > 0
    assert fake.now < 30


class _EchoPort:
    """A port that sends back every byte written to it (a loopback plug, an echoing board),
    on a virtual clock."""

    def __init__(self):
        self.buf = bytearray()
        self.now = 0.0
        self.timeout = 0.1
        self.baudrate = 115200

    def clock(self):
        return self.now

    def write(self, data):
        self.buf += data
        self.now += len(data) / 11520.0

    def read(self, n=1):
        if not self.buf:
            self.now += self.timeout
            return b""
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    @property
    def in_waiting(self):
        return len(self.buf)


def test_a_port_that_echoes_what_is_sent_is_named_as_such():
    port = _EchoPort()
    c = P.Client(port, clock=port.clock, seed=0, reply_timeout=1.0, **P.NOISY_LINK_OPTIONS)
    with pytest.raises(P.DeviceError) as e:
        c.hello()
    msg = str(e.value)
    assert msg.startswith("INFO: ") and "sends back exactly what the host sends" in msg, msg
    assert "raise --timeout" not in msg and "nothing at all" not in msg
    # found in the first attempts, not after the noisy link's 30 retries
    assert "no valid reply after 2 attempts" in msg and port.now < 5.0


def test_validate_on_an_echoing_pty_is_one_line(tmp_path):
    """A pty whose other end writes back what it reads: `validate` says so in one line."""
    import os
    import pty
    import subprocess
    import sys
    import threading

    from tflm_py.testing import ModelBuilder
    b = ModelBuilder()
    x = b.activation((1, 8), scale=0.1)
    y = b.activation((1, 8), scale=0.1)
    b.op("RELU", [x], [y])
    m = tmp_path / "relu.tflite"
    m.write_bytes(b.build([x], [y]))
    master, slave = pty.openpty()
    name = os.ttyname(slave)
    stop = threading.Event()

    def echo():
        while not stop.is_set():
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            os.write(master, data)
    t = threading.Thread(target=echo, daemon=True)
    t.start()
    try:
        r = subprocess.run([sys.executable, "-m", "tflm_py", "validate", "--port", name,
                            "--model", str(m), "--samples", "2"], capture_output=True,
                           text=True, timeout=120)
    finally:
        stop.set()
        os.close(slave)
        os.close(master)
    err = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(err) == 1, err
    assert err[0].startswith("error: INFO: ") and "sends back exactly what the host sends" \
        in err[0], err


def test_an_echoing_port_under_the_mlperf_protocol_is_named_as_such():
    from tflm_py.mlperf import MlperfClient
    port = _EchoPort()
    c = MlperfClient(port, clock=port.clock)
    with pytest.raises(P.DeviceError, match="sends back exactly what the host sends"):
        c.name()
