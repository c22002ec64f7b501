"""Validate through the byte-level fault proxy on the QEMU board (a reduced, fast version of
scripts/bench_link.py): faults cost retries, the verdict stays right both ways."""
import shutil
import time

import pytest

from tflm_py import boards, harness
from tflm_py import protocol as P
from tflm_py.faultproxy import FaultProxy

from fake_device import FAKE_BUNDLE, AddOne, fake_manifest


@pytest.fixture(scope="module", autouse=True)
def private_pio_core(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("TFLM_PY_PIO_CORE", str(tmp_path_factory.mktemp("pio_core")))
    yield
    mp.undo()


# the goal rates of scripts/bench_link.py (1% of bytes dropped, duplicated, garbage after),
# then all faults mixed with stalls, on the fake bundle's tiny model (8-byte frames)
PATTERNS = [dict(drop=0.01), dict(dup=0.01), dict(garbage=0.01),
            dict(drop=0.004, dup=0.003, garbage=0.003, flip=0.002, delay=0.005,
                 delay_s=(0.5, 1.0))]


def test_noisy_link_to_qemu_never_changes_the_verdict(tmp_path):
    for t in ("arm-none-eabi-gcc", "qemu-system-arm"):
        assert shutil.which(t), f"{t} not installed: run scripts/setup.sh"
    proj = boards.make_project(None, "qemu-mps2-an386", tmp_path / "p", bundle_dir=FAKE_BUNDLE)
    harness.build_project(proj)
    project = boards.load_project(proj)
    xs = harness.random_inputs(P.io_infos_from_manifest(fake_manifest()["inputs"]), 6)
    opts = {"reply_timeout": 1.0, **P.NOISY_LINK_OPTIONS, "invoke_timeout": 5.0}
    with harness.VirtualBoard(project, lifetime=300) as vb:
        host, port = vb.info["url"][len("socket://"):].rsplit(":", 1)
        runs = [(f, AddOne(), True) for f in PATTERNS] + [(PATTERNS[-1], AddOne(2), False)]
        for k, (faults, ref, exact) in enumerate(runs):
            with FaultProxy(host, int(port), seed=3 + k, **faults) as px:
                link = harness.connect(px.url)
                t0 = time.monotonic()
                try:
                    r = harness.validate_link(link, "tflm-py", opts, ref, xs,
                                              expected_data=fake_manifest()["data_check"])
                finally:
                    link.close()
                assert sum(px.faults.counts.values()) > 0, faults
            assert r.bit_exact == exact and len(r.samples) == 6, faults
            took = time.monotonic() - t0
            print(f"{faults}: {took:.1f} s, {r.link['retries']} retries, {px.faults.counts}")
            assert took < 20, faults
            if not exact:      # the wrong answer is located at its layer on the first sample
                assert r.first_layer_diff["sample"] == 0 and r.first_layer_diff["op"] == 0
