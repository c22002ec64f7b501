"""Validate through a noisy serial link: the QEMU virtual board behind a byte-level fault
proxy (tflm_py/faultproxy.py), one fault pattern at a time, and a wrong firmware (its first
CONV_2D's output_offset changed by one) behind the same proxy, which must still fail.

    python scripts/bench_link.py [--model M] [--samples 20] [--modes drop,dup,...] [--limit 60]

Prints one row per fault pattern: verdict, samples, seconds, retries, faults injected.
Goal: every pattern bit-exact within --limit seconds; the wrong firmware never passes.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tflm_py import boards, harness, load_model  # noqa: E402
from tflm_py.faultproxy import FaultProxy  # noqa: E402
from tflm_py.protocol import DeviceError  # noqa: E402
from tflm_py.simulator import Simulator  # noqa: E402

MODES = {
    "clean": {},
    "drop": dict(drop=0.01),
    "dup": dict(dup=0.01),
    "garbage": dict(garbage=0.01),
    "flip": dict(flip=0.005),
    "delay": dict(delay=0.05, delay_s=(0.5, 2.0)),
    "mixed": dict(drop=0.003, dup=0.003, garbage=0.003, flip=0.002, delay=0.01),
}


def run_mode(project, model, faults, samples, seed, check_data=True):
    import hashlib
    ref = Simulator(model)
    xs = harness.random_inputs([model.tensors[i] for i in model.inputs], samples, seed)
    expected_data = harness.project_data_check(project, None) if check_data else None
    opts = {"reply_timeout": 1.0, "retries": 10, "hello_retries": 6,
            "invoke_timeout": harness.expected_invoke_seconds(model, 25_000_000)}
    t0 = time.monotonic()
    with harness.VirtualBoard(project, lifetime=600) as vb:
        host, port = vb.info["url"][len("socket://"):].rsplit(":", 1)
        with FaultProxy(host, int(port), seed=seed, **faults) as px:
            link = harness.connect(px.url)
            try:
                r = harness.validate_link(link, "tflm-py", opts, ref, xs,
                                          hashlib.sha256(model.data).hexdigest(),
                                          project.get("source", "model"), board="qemu",
                                          expected_data=expected_data)
                verdict = "bit-exact" if r.bit_exact else "MISMATCH"
                ok = sum(s.equal for s in r.samples)
                retries = r.link.get("retries", 0)
            except DeviceError as e:
                verdict, ok, retries = f"error: {str(e)[:70]}", 0, "-"
            finally:
                link.close()
            counts = dict(px.faults.counts)
    return verdict, ok, time.monotonic() - t0, retries, counts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(ROOT / "tests/data/models/kws_ref_model.tflite"))
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--limit", type=float, default=60.0, help="seconds allowed per pattern")
    ap.add_argument("--no-wrong", action="store_true", help="skip the wrong-firmware rows")
    a = ap.parse_args(argv)
    model = load_model(a.model)
    work = Path(tempfile.mkdtemp(prefix="bench_link_"))
    good = boards.make_project(a.model, "qemu-mps2-an386", work / "good")
    harness.build_project(good)
    project = boards.load_project(good)
    rows, failed = [], False
    for name in a.modes.split(","):
        verdict, ok, secs, retries, counts = run_mode(project, model, MODES[name], a.samples,
                                                      a.seed)
        good_row = verdict == "bit-exact" and ok == a.samples and secs <= a.limit
        failed |= not good_row
        rows.append((name, verdict, f"{ok}/{a.samples}", f"{secs:.1f}", retries, counts,
                     "ok" if good_row else "FAIL"))
    if not a.no_wrong:
        wrong = boards.make_project(a.model, "qemu-mps2-an386", work / "wrong")
        c = next((wrong / "lib").glob("*/*.c"))
        c = [p for p in (wrong / "lib").glob("*/*.c") if not p.name.endswith("_data.c")][0]
        c.write_text(c.read_text().replace(".output_offset = -128", ".output_offset = -127", 1))
        harness.build_project(wrong)
        wproj = boards.load_project(wrong)
        for name, check in (("mixed", True), ("mixed", False)):
            verdict, ok, secs, retries, counts = run_mode(wproj, model, MODES[name], 3, a.seed,
                                                          check_data=check)
            caught = verdict != "bit-exact"
            failed |= not caught
            rows.append((f"WRONG fw, {name}" + ("" if check else ", no data check"), verdict,
                         f"{ok}/3", f"{secs:.1f}", retries, counts,
                         "caught" if caught else "FALSE PASS"))
    print(f"{'pattern':<30} {'verdict':<40} {'samples':>7} {'s':>6} {'retries':>7}  faults")
    for name, verdict, ok, secs, retries, counts, mark in rows:
        fs = ",".join(f"{k}={v}" for k, v in counts.items() if v)
        print(f"{name:<30} {verdict[:40]:<40} {ok:>7} {secs:>6} {retries!s:>7}  {fs}  {mark}")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
