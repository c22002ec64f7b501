"""The validation harness against in-process fake devices: the happy path, wrong firmware,
wrong outputs, and a wire that drops, duplicates, corrupts and delays bytes. The harness
must retry or fail with a clear message within a bounded time, never pass falsely."""
import time

import numpy as np
import pytest

from tflm_py import harness
from tflm_py import protocol as P
from tflm_py.errors import ModelError

from fake_device import Accumulator, AddOne, fake_info, fake_manifest, make_fake


def _samples(n, seed=0):
    return harness.random_inputs(fake_info().inputs, n, seed)


def _client(fake, **kw):
    kw.setdefault("reply_timeout", 0.2)
    kw.setdefault("invoke_timeout", 1.0)
    kw.setdefault("seed", 0)
    return P.Client(fake, clock=fake.clock, **kw)


def test_happy_path_reports_bit_exact_and_ticks():
    fake = make_fake()
    r = harness.validate_device(_client(fake), AddOne(), _samples(5),
                                expected_hash=fake_manifest()["model_hash"])
    assert r.bit_exact and len(r.samples) == 5
    assert r.ticks_per_inference == 1000
    assert r.layer_ticks() == [1000.0]
    d = r.to_json()
    for key in ("samples", "bit_exact", "max_abs_diff", "ticks_per_inference"):
        assert key in d
    assert d["samples"] == 5 and d["bit_exact"] is True and d["max_abs_diff"] == 0
    assert r.link["garbage_bytes"] > 0          # the boot banner was skipped


def test_wrong_firmware_is_refused():
    fake = make_fake()
    with pytest.raises(P.DeviceError, match="wrong firmware"):
        harness.validate_device(_client(fake), AddOne(), _samples(1), expected_hash="ab" * 32)


def test_mismatch_names_first_differing_element():
    def buggy(xs):
        y = (xs[0].astype(np.int16) + 1).astype(np.int8)
        y[0, 5] += 3
        return [y]
    fake = make_fake(compute=buggy)
    r = harness.validate_device(_client(fake), AddOne(), _samples(3))
    assert not r.bit_exact
    fm = r.first_mismatch
    assert fm["sample"] == 0 and fm["output"] == 0 and fm["index"] == [0, 5]
    assert fm["flat_index"] == 5
    assert abs(fm["got"] - fm["expected"]) in (3, 253)
    assert "output 0[0,5]" in harness.describe_diff(fm)
    assert all(s.mismatches == 1 for s in r.samples)


def test_dead_device_fails_within_bounded_time():
    fake = make_fake(dead=True, banner=False)
    t0 = time.monotonic()
    with pytest.raises(P.DeviceError, match="INFO: no valid reply after 5 attempts"):
        harness.validate_device(_client(fake), AddOne(), _samples(1))
    assert fake.now < 10.0                        # virtual seconds waited
    assert time.monotonic() - t0 < 5.0


def test_device_hanging_in_invoke_is_found_fast():
    holder = {}

    def hangs_on_third(xs):
        if holder["fake"].device.invokes == 2:
            holder["fake"].dead = True          # e.g. a HardFault: never answers again
        return AddOne().run(xs)
    fake = make_fake(compute=hangs_on_third, banner=False)
    holder["fake"] = fake
    c = _client(fake, invoke_timeout=60.0)
    with pytest.raises(P.DeviceError, match="INVOKE: no valid reply after 5 attempts"):
        harness.validate_device(c, AddOne(), _samples(5))
    # 2 good invokes took ~ms: each later attempt waits 2 s + link, not 60 s
    assert fake.now < 20.0
    # hung on the very first invoke: invoke_timeout once, then shorter retries
    holder["fake"] = fake = make_fake(compute=lambda xs: setattr(holder["fake"], "dead", True)
                                      or AddOne().run(xs), banner=False)
    with pytest.raises(P.DeviceError, match="INVOKE: no valid reply"):
        harness.validate_device(_client(fake, invoke_timeout=60.0), AddOne(), _samples(1))
    assert 60.0 < fake.now < 150.0


def test_real_time_timeout_with_pyserial_loop():
    """A real pyserial port with nobody answering: bounded in wall-clock time."""
    import serial
    port = serial.serial_for_url("loop://", timeout=0.05)
    # loop:// echoes our own frames back: they are not replies, so they must be ignored
    c = P.Client(port, reply_timeout=0.2, retries=1)
    t0 = time.monotonic()
    with pytest.raises(P.DeviceError, match="no valid reply"):
        c.hello()
    assert time.monotonic() - t0 < 3.0


MILD = [dict(drop=0.002), dict(dup=0.002), dict(corrupt=0.002), dict(garbage=0.005),
        dict(drop=0.001, dup=0.001, corrupt=0.001, stall=0.05),
        dict(drop=0.005, directions=("d2h",)), dict(drop=0.005, directions=("h2d",))]
HEAVY = [dict(drop=0.05), dict(corrupt=0.05), dict(dup=0.05, drop=0.02)]


def _run_faulty(fault, seed, add):
    fake = make_fake(compute=AddOne(add).run, seed=seed, **fault)
    t0 = time.monotonic()
    try:
        return harness.validate_device(_client(fake, retries=14), AddOne(),
                                       _samples(4, seed)), fake, None
    except P.DeviceError as e:
        return None, fake, e
    finally:
        assert time.monotonic() - t0 < 20       # wall clock
        assert fake.now < 300                   # virtual seconds spent waiting


@pytest.mark.parametrize("fault", MILD)
@pytest.mark.parametrize("seed", range(6))
def test_mild_faults_are_retried_and_never_give_a_false_pass(fault, seed):
    r, fake, err = _run_faulty(fault, seed, add=1)      # correct device: passes
    assert err is None and r.bit_exact and len(r.samples) == 4
    r, fake, err = _run_faulty(fault, seed, add=2)      # buggy device: caught
    assert err is None and not r.bit_exact


@pytest.mark.parametrize("fault", HEAVY + [dict(stall=0.3)])
@pytest.mark.parametrize("seed", range(4))
def test_heavy_faults_fail_clearly_never_falsely_pass(fault, seed):
    for add in (1, 2):
        r, fake, err = _run_faulty(fault, seed, add)
        if err is not None:
            assert "attempts" in str(err) and ("board->host" in str(err) or "host->board" in str(err) or "missing" in str(err) or "nothing at all" in str(err))
        else:
            assert r.bit_exact == (add == 1)


def test_mild_faults_are_recovered():
    fake = make_fake(seed=3, drop=0.003, dup=0.003, corrupt=0.003)
    r = harness.validate_device(_client(fake, retries=8), AddOne(), _samples(20, 1))
    assert r.bit_exact
    assert sum(fake.faults.values()) > 0
    assert r.link["retries"] > 0


def test_lost_invoke_reply_does_not_run_twice():
    """Stateful model, replies lost on the way back: the retried INVOKE (same seq) is
    answered from memory, so device and simulator stay in step."""
    retried_invokes = 0
    for seed in range(5):
        acc = Accumulator()
        fake = make_fake(compute=acc.run, reset=acc.reset, seed=seed, drop=0.005,
                         directions=("d2h",))
        r = harness.validate_device(_client(fake, retries=10), Accumulator(), _samples(8, seed))
        assert r.bit_exact, r.first_mismatch
        assert fake.device.invokes == 8
        retried_invokes += fake.device.repeated_invokes
    assert retried_invokes

def test_state_is_reset_on_both_sides():
    acc = Accumulator()
    fake = make_fake(compute=acc.run, reset=acc.reset)
    c = _client(fake)
    harness.validate_device(c, Accumulator(), _samples(3))
    r = harness.validate_device(c, Accumulator(), _samples(3))   # reuses the same device
    assert r.bit_exact


def test_device_reported_errors_are_clear():
    fake = make_fake()
    c = _client(fake)
    c.hello()
    with pytest.raises(P.DeviceError, match="WRITE_INPUT failed on the device: bad argument"):
        c.write_input(0, b"\x00" * 9)
    with pytest.raises(P.DeviceError, match="READ_OUTPUT failed on the device: bad argument"):
        c.read_output(3, 4)
    fake2 = make_fake(info=fake_info(profile=False))
    c2 = _client(fake2)
    c2.hello()
    with pytest.raises(P.DeviceError, match="not supported"):
        c2.layer_ticks(1)
    # validation on a device without profiling still works, without layer ticks
    r = harness.validate_device(_client(make_fake(info=fake_info(profile=False))), AddOne(),
                                _samples(2))
    assert r.bit_exact and r.layer_ticks() is None


def test_small_device_payload_is_respected():
    info = fake_info(max_payload=16)
    fake = make_fake(info=info)
    r = harness.validate_device(_client(fake), AddOne(), _samples(2))
    assert r.bit_exact


def test_compare_outputs_floats_and_ints():
    e = [np.array([[1, 2], [3, 4]], np.int8)]
    ok, d, n, first = harness.compare_outputs(e, [e[0].copy()])
    assert ok and d == 0 and n == 0 and first is None
    g = e[0].copy()
    g[1, 0] = -3
    ok, d, n, first = harness.compare_outputs(e, [g])
    assert not ok and d == 6 and n == 1 and first["index"] == [1, 0]
    f = [np.array([0.0, 1.5], np.float32)]
    ok, *_ = harness.compare_outputs(f, [np.array([-0.0, 1.5], np.float32)])
    assert not ok                                   # bit for bit: -0.0 != 0.0
    ok, *_ = harness.compare_outputs([np.array([np.nan], np.float32)],
                                     [np.array([np.nan], np.float32)])
    assert ok


def test_inputs_from_npy_and_npz(tmp_path):
    specs = fake_info().inputs
    x = np.arange(3 * 8, dtype=np.int8).reshape(3, 1, 8)
    np.save(tmp_path / "x.npy", x)
    s = harness.load_inputs(tmp_path / "x.npy", specs)
    assert len(s) == 3 and np.array_equal(s[2][0], x[2])
    assert len(harness.load_inputs(tmp_path / "x.npy", specs, 2)) == 2
    np.savez(tmp_path / "x.npz", x.reshape(3, 8).astype(np.int32))
    s = harness.load_inputs(tmp_path / "x.npz", specs)
    assert s[1][0].dtype == np.int8 and s[1][0].shape == (1, 8)
    np.save(tmp_path / "bad.npy", np.zeros(7, np.int8))
    with pytest.raises(ModelError, match="not a multiple"):
        harness.load_inputs(tmp_path / "bad.npy", specs)
    np.save(tmp_path / "big.npy", np.full(8, 300, np.int32))
    with pytest.raises(ModelError, match="outside int8"):
        harness.load_inputs(tmp_path / "big.npy", specs)
    r = harness.random_inputs(specs, 4, seed=1)
    assert len(r) == 4 and r[0][0].dtype == np.int8 and r[0][0].shape == (1, 8)
    assert np.array_equal(r[3][0], harness.random_inputs(specs, 4, seed=1)[3][0])


def test_samples_given_in_memory():
    """validate_project(inputs=...) also takes the samples themselves (examples/hello_world)."""
    from tflm_py.harness import as_samples
    from tflm_py.protocol import IOInfo
    spec = [IOInfo(9, (1, 2), 2, 0.5, 0)]
    s = as_samples(np.array([[1, 2], [3, 4], [5, 6]]), spec)
    assert len(s) == 3 and s[1][0].dtype == np.int8 and s[1][0].tolist() == [[3, 4]]
    assert as_samples([[np.array([7, 8])]], spec)[0][0].shape == (1, 2)
    with pytest.raises(ModelError, match="outside int8"):
        as_samples(np.array([[1.0, 300.0]]), spec)
    with pytest.raises(ModelError, match="not a multiple"):
        as_samples(np.zeros(3, np.int8), spec)
    with pytest.raises(ModelError, match="has 1 arrays, the model has 2"):
        as_samples([[np.zeros(2)]], spec * 2)
