#!/usr/bin/env python3
"""Random DEPTHWISE_CONV_2D models on the QEMU Cortex-M4 (the DSP kernels), every output
compared with the simulator (bit-exact with TFLM, tests/ops/): the 3x3 ring kernel's shapes
(tflm_py/testgen/depthwise3x3.py) and the general generator's, every scratch buffer kept (the
3x3 shapes run the ring kernel: testgen.depthwise3x3.ring_plan).
usage: scripts/sweep_depthwise_qemu.py [-n 200] [--seed 7000] [--opt -Os] [--portable]"""
import argparse
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from tflm_py import load_model  # noqa: E402
from tflm_py.simulator import Simulator  # noqa: E402
from tflm_py.sweep import all_generators, random_inputs  # noqa: E402
from tflm_py.testgen.depthwise3x3 import gen_depthwise_3x3, run_on_qemu_with_ring  # noqa: E402


def entries_for(n, seed, general_share=0.3):
    gen_any = all_generators()["DEPTHWISE_CONV_2D"]
    out = []
    for k in range(n):
        rng = np.random.default_rng(seed + k)
        gen = gen_any if rng.random() < general_share else gen_depthwise_3x3
        model = load_model(gen(rng))
        out.append((f"dw{k}", model, [random_inputs(model, rng) for _ in range(2)]))
    return out


def mismatches(entries, results):
    bad = 0
    for (prefix, model, samples), res in zip(entries, results):
        sim = Simulator(model)
        for k, s in enumerate(samples):
            want = np.asarray(sim.run(s)[0]).ravel()
            got = np.asarray(res["outputs"][k][0]).ravel()
            n = int(np.sum(want != got))
            if n:
                op = model.operators[0]
                print(f"{prefix} sample {k}: {n} of {want.size} differ; "
                      f"{model.tensors[op.inputs[0]].shape} {vars(op.options)}")
            bad += n
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7000)
    ap.add_argument("--opt", default="-Os")
    ap.add_argument("--portable", action="store_true")
    ap.add_argument("--batch", type=int, default=60, help="models per firmware")
    a = ap.parse_args()
    total = elements = 0
    for start in range(0, a.n, a.batch):
        entries = entries_for(min(a.batch, a.n - start), a.seed + start)
        with tempfile.TemporaryDirectory() as wd:
            res = run_on_qemu_with_ring(entries, portable=a.portable, opt=a.opt,
                                        icount=False, work_dir=wd)
        total += mismatches(entries, res)
        elements += sum(np.asarray(s).size for _, m, ss in entries for s in ss)
        print(f"{start + len(entries)}/{a.n} models, {total} mismatches", file=sys.stderr)
    print(f"{a.n} models ({elements} input elements), {total} mismatching output elements")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
