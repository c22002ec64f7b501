"""Validate through the byte-level fault proxy on the QEMU board (a reduced, fast version of
scripts/bench_link.py): faults cost retries, the verdict stays right both ways."""
import shutil

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


def test_noisy_link_to_qemu_never_changes_the_verdict(tmp_path):
    for t in ("arm-none-eabi-gcc", "qemu-system-arm"):
        assert shutil.which(t), f"{t} not installed: run scripts/setup.sh"
    proj = boards.make_project(None, "qemu-mps2-an386", tmp_path / "p", bundle_dir=FAKE_BUNDLE)
    harness.build_project(proj)
    project = boards.load_project(proj)
    faults = dict(drop=0.001, dup=0.001, garbage=0.001, flip=0.0005, delay=0.02,
                  delay_s=(0.5, 1.0))
    xs = harness.random_inputs(P.io_infos_from_manifest(fake_manifest()["inputs"]), 6)
    opts = {"reply_timeout": 1.0, "retries": 12, "hello_retries": 8, "invoke_timeout": 5.0}
    with harness.VirtualBoard(project, lifetime=300) as vb:
        host, port = vb.info["url"][len("socket://"):].rsplit(":", 1)
        for ref, exact in ((AddOne(), True), (AddOne(2), False)):
            with FaultProxy(host, int(port), seed=3, **faults) as px:
                link = harness.connect(px.url)
                try:
                    r = harness.validate_link(link, "tflm-py", opts, ref, xs,
                                              expected_data=fake_manifest()["data_check"])
                finally:
                    link.close()
                assert sum(px.faults.counts.values()) > 0
            assert r.bit_exact == exact and len(r.samples) == 6
            if not exact:      # the wrong answer is located at its layer on the first sample
                assert r.first_layer_diff["sample"] == 0 and r.first_layer_diff["op"] == 0
