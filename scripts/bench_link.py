"""Validate through a noisy serial link: the QEMU virtual board behind a byte-level fault
proxy (tflm_py/faultproxy.py), one fault pattern at a time over several seeds, and a wrong
firmware (its first CONV_2D's output_offset changed by one) behind the same proxy, which must
still fail.

    python scripts/bench_link.py [--model M] [--samples 20] [--seeds 3] [--modes drop,dup,...]
                                 [--limit 60] [--no-wrong]

Prints a table: fault pattern x rate -> runs passed, retries, seconds (mean, worst), the
proxy's stalls (they hold the stream up for their length whatever the protocol does), time
per sample without them and its ratio to the clean link's. Goal: every run bit-exact within
--limit seconds beyond the stalls, about 2x the clean time at 1% faults; the wrong firmware
never passes.
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tflm_py import boards, harness, load_model  # noqa: E402
from tflm_py.faultproxy import FaultProxy  # noqa: E402
from tflm_py.protocol import NOISY_LINK_OPTIONS, DeviceError  # noqa: E402
from tflm_py.simulator import Simulator  # noqa: E402

KWS = ROOT / "tests/data/models/kws_ref_model.tflite"
AD01 = ROOT / "tests/data/models/ad01_int8.tflite"       # a 640-byte input
# name: (rate shown, faults, model or None for --model)
MODES = {
    "clean": ("-", {}, None),
    "drop": ("1%", dict(drop=0.01), None),
    "dup": ("1%", dict(dup=0.01), None),
    "garbage": ("1%", dict(garbage=0.01), None),
    "flip": ("0.5%", dict(flip=0.005), None),
    "mixed": ("1% each", dict(drop=0.01, dup=0.01, garbage=0.01), None),
    "mixed-mild": ("0.3% each", dict(drop=0.003, dup=0.003, garbage=0.003, flip=0.002,
                                     delay=0.002), None),
    # stalls of 0.5-2 s in 0.5% of the chunks the proxy forwards
    "delay": ("0.5% 0.5-2 s", dict(delay=0.005, delay_s=(0.5, 2.0)), None),
    "clean-640": ("-", {}, AD01),
    "drop-640": ("0.2%", dict(drop=0.002), AD01),
}


def run_mode(project, model, faults, samples, seed, check_data=True):
    ref = Simulator(model)
    xs = harness.random_inputs([model.tensors[i] for i in model.inputs], samples, seed)
    expected_data = harness.project_data_check(project, None) if check_data else None
    opts = {"reply_timeout": 1.0, **NOISY_LINK_OPTIONS,
            "invoke_timeout": harness.expected_invoke_seconds(model, 25_000_000)}
    with harness.VirtualBoard(project, lifetime=600) as vb:
        host, port = vb.info["url"][len("socket://"):].rsplit(":", 1)
        with FaultProxy(host, int(port), seed=seed, **faults) as px:
            link = harness.connect(px.url)
            t0 = time.monotonic()
            try:
                r = harness.validate_link(link, "tflm-py", opts, ref, xs,
                                          hashlib.sha256(model.data).hexdigest(),
                                          project.get("source", "model"), board="qemu",
                                          expected_data=expected_data)
                verdict = "bit-exact" if r.bit_exact else "MISMATCH"
                ok = sum(s.equal for s in r.samples)
                retries = r.link.get("retries", 0)
            except DeviceError as e:
                verdict, ok, retries = f"error: {e}", 0, None
            finally:
                secs = time.monotonic() - t0
                link.close()
            counts = dict(px.faults.counts)
    return verdict, ok, secs, retries, counts


def build(model_path, work: Path, name: str, tamper: bool = False) -> dict:
    d = boards.make_project(str(model_path), "qemu-mps2-an386", work / name)
    if tamper:
        c = [p for p in (d / "lib").glob("*/*.c") if not p.name.endswith("_data.c")][0]
        c.write_text(c.read_text().replace(".output_offset = -128", ".output_offset = -127", 1))
    harness.build_project(d)
    return boards.load_project(d)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(KWS))
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--seeds", type=int, default=3, help="runs per pattern (seeds 1..N)")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--limit", type=float, default=60.0, help="seconds allowed per run")
    ap.add_argument("--no-wrong", action="store_true", help="skip the wrong-firmware rows")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every run")
    a = ap.parse_args(argv)
    names = a.modes.split(",")
    unknown = [n for n in names if n not in MODES]
    if unknown:
        ap.error(f"unknown mode(s) {', '.join(unknown)}; known: {', '.join(MODES)}")
    work = Path(tempfile.mkdtemp(prefix="bench_link_"))
    projects: dict = {}
    models: dict = {}
    clean_per_sample: dict = {}
    rows, failed = [], False
    try:
        for name in names:
            rate, faults, mpath = MODES[name]
            mpath = Path(mpath or a.model)
            if mpath not in projects:
                models[mpath] = load_model(str(mpath))
                projects[mpath] = build(mpath, work, f"p{len(projects)}")
            runs = []
            for seed in range(1, a.seeds + 1):
                v, ok, secs, retries, counts = run_mode(projects[mpath], models[mpath], faults,
                                                        a.samples, seed)
                stalled = counts.get("delayed_s", 0.0)
                # a stall holds the stream up for its length whatever the protocol does
                good = v == "bit-exact" and ok == a.samples and secs - stalled <= a.limit
                runs.append((good, secs, retries, v, stalled))
                if a.verbose or not good:
                    fs = ",".join(f"{k}={n:.3g}" for k, n in counts.items() if n)
                    print(f"  {name} seed {seed}: {v[:150]} {ok}/{a.samples} {secs:.1f} s, "
                          f"{retries} retries {fs}", flush=True)
            passed = sum(g for g, *_ in runs)
            failed |= passed < len(runs)
            secs = [s for _, s, _, _, _ in runs]
            stalls = statistics.mean(st for *_, st in runs)
            tries = [r for _, _, r, _, _ in runs if r is not None]
            per = (statistics.mean(secs) - stalls) / a.samples
            if not faults:
                clean_per_sample[mpath] = per
            base = clean_per_sample.get(mpath)
            rows.append((name, rate, mpath.stem, f"{passed}/{len(runs)}",
                         f"{statistics.mean(tries):.0f}" if tries else "-",
                         f"{statistics.mean(secs):.1f}", f"{max(secs):.1f}",
                         f"{stalls:.1f}" if stalls else "-",
                         f"{1000 * per:.0f}", f"{per / base:.1f}x" if base else "-"))
        if not a.no_wrong:
            mpath = Path(a.model)
            wrong = build(mpath, work, "wrong", tamper=True)
            faults = MODES["mixed"][1]
            for check in (True, False):
                v, ok, secs, retries, counts = run_mode(wrong, models.get(mpath) or
                                                        load_model(str(mpath)), faults, 3, 1,
                                                        check_data=check)
                caught = v != "bit-exact"
                failed |= not caught
                rows.append(("WRONG fw" + ("" if check else ", no data check"),
                             MODES["mixed"][0], mpath.stem,
                             "caught" if caught else "FALSE PASS", f"{retries or '-'}",
                             f"{secs:.1f}", f"{secs:.1f}", "-", "-", "-"))
                print(f"  wrong firmware{'' if check else ' (no data check)'}: {v[:150]}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    head = ("pattern", "rate", "model", "passed", "retries", "s mean", "s worst",
            "stalls s", "ms/sample", "vs clean")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(str(c).ljust(w) if i < 3 else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths))))
    print(f"({a.samples} samples a run, seeds 1..{a.seeds}, limit {a.limit:g} s a run "
          "beyond the proxy's stalls; ms/sample without the stalls)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
