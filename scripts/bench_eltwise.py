#!/usr/bin/env python3
"""ADD, SOFTMAX and AVERAGE_POOL_2D on the QEMU Cortex-M4 board, per layer, beside CMSIS-NN.

    python scripts/bench_eltwise.py [--opt -Os] [--json]

One model holds a single-op copy of every layer shape the CMSIS-NN anchor measured
(../shared/anchors/cmsis-nn-cortex-m4.md: ResNet-8's ADDs, the SOFTMAX of kws / vww / ResNet-8,
their AVERAGE_POOL_2D), with the quantization of the corresponding layer of a real model
(kws_ref_model, tests/data/converted/resnet8.tflite) or a plausible one where we have no copy
of the model. It runs once on qemu-mps2-an386 (tflm_py.bench.run_on_qemu, -DTFLM_PY_PROFILE)
and prints our instructions per layer beside the anchor's CMSIS-NN -Os and -O3 counts; the
outputs are checked against the simulator (bit-exact column).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from tflm_py.bench import run_on_qemu  # noqa: E402
from tflm_py.reader import load_model  # noqa: E402
from tflm_py.simulator import Simulator  # noqa: E402
from tflm_py.sweep import random_inputs  # noqa: E402
from tflm_py.testing import ModelBuilder  # noqa: E402

# (label, builder, CMSIS-NN -Os, CMSIS-NN -O3) from the anchor (instructions, QEMU icount)
# ResNet-8's ADD quantization: tests/data/converted/resnet8.tflite's first ADD (same model
# family as the anchor's pretrainedResnet_quant).
_ADD_Q = ((0.011287436820566654, -128), (0.01612270623445511, -71),
          (0.012502981349825859, -128))


def _add(b, shape):
    (s1, z1), (s2, z2), (so, zo) = _ADD_Q
    x1 = b.activation(shape, scale=s1, zero_point=z1)
    x2 = b.activation(shape, scale=s2, zero_point=z2)
    y = b.activation(shape, scale=so, zero_point=zo)
    b.op("ADD", [x1, x2], [y], fused_activation_function="RELU")
    return [x1, x2], [y]


def _softmax(b, n, scale, zp):
    x = b.activation((1, n), scale=scale, zero_point=zp)
    y = b.activation((1, n), scale=1.0 / 256, zero_point=-128)
    b.op("SOFTMAX", [x], [y], beta=1.0)
    return [x], [y]


def _avg_pool(b, h, w, c, scale, zp):
    x = b.activation((1, h, w, c), scale=scale, zero_point=zp)
    y = b.activation((1, 1, 1, c), scale=scale, zero_point=zp)
    b.op("AVERAGE_POOL_2D", [x], [y], padding="VALID", stride_h=h, stride_w=w,
         filter_height=h, filter_width=w, fused_activation_function="NONE")
    return [x], [y]


CASES = [
    ("ADD 1x32x32x16 (ResNet-8 layer 3)", lambda b: _add(b, (1, 32, 32, 16)), 1_339_560, 1_333_600),
    ("ADD 1x16x16x32 (ResNet-8 layer 7)", lambda b: _add(b, (1, 16, 16, 32)), 669_840, 670_360),
    ("ADD 1x8x8x64 (ResNet-8 layer 11)", lambda b: _add(b, (1, 8, 8, 64)), 335_000, 335_240),
    ("SOFTMAX 1x12 (kws)", lambda b: _softmax(b, 12, 0.14469251036643982, 14), 1_520, 1_520),
    ("SOFTMAX 1x2 (vww)", lambda b: _softmax(b, 2, 0.0625, 3), 1_120, 1_200),
    ("SOFTMAX 1x10 (ResNet-8)", lambda b: _softmax(b, 10, 0.003441321663558483, -47), 3_160, 3_440),
    ("AVERAGE_POOL_2D 25x5x64 (kws)",
     lambda b: _avg_pool(b, 25, 5, 64, 0.08023615926504135, -128), 107_960, 51_000),
    ("AVERAGE_POOL_2D 3x3x256 (vww)", lambda b: _avg_pool(b, 3, 3, 256, 0.02, -128), 33_680, 17_560),
    ("AVERAGE_POOL_2D 8x8x64 (ResNet-8)",
     lambda b: _avg_pool(b, 8, 8, 64, 0.008322624489665031, -128), 55_640, 26_560),
]


def build_model() -> bytes:
    b = ModelBuilder()
    ins, outs = [], []
    for _, add, _, _ in CASES:
        i, o = add(b)
        ins += i
        outs += o
    return b.build(ins, outs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--opt", default="-Os", help="firmware optimisation (-Os as tflm-py run)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    model = load_model(build_model())
    sample = random_inputs(model, np.random.default_rng(0))
    res = run_on_qemu([("elt", model, [sample])], opt=a.opt, profile=True)[0]
    expected = Simulator(model).run(sample)
    exact = all(np.array_equal(np.asarray(g).ravel(), np.asarray(e).ravel())
                for g, e in zip(res["outputs"][0], expected))
    ticks = {int(k): int(v) for k, v in _layer_ticks(res).items()}
    rows = []
    for k, (label, _, cm_os, cm_o3) in enumerate(CASES):
        ours = ticks[k]
        rows.append({"layer": label, "ours": ours, "cmsis_os": cm_os, "cmsis_o3": cm_o3,
                     "ratio_os": ours / cm_os, "ratio_o3": ours / cm_o3})
    if a.json:
        print(json.dumps({"opt": a.opt, "bit_exact": exact, "rows": rows}, indent=1))
        return 0 if exact else 1
    print(f"tflm_py {a.opt} on qemu-mps2-an386 (instructions, QEMU icount, resolution 40); "
          f"bit-exact vs simulator: {'yes' if exact else 'NO'}")
    print("| layer | tflm_py | CMSIS-NN -Os | ours / CMSIS -Os | CMSIS-NN -O3 | ours / CMSIS -O3 |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['layer']} | {r['ours']:,} | {r['cmsis_os']:,} | {r['ratio_os']:.2f} | "
              f"{r['cmsis_o3']:,} | {r['ratio_o3']:.2f} |")
    return 0 if exact else 1


def _layer_ticks(res) -> dict:
    """op index -> instructions of the first sample's profiled run"""
    layers = res["layers"][0]
    if isinstance(layers, dict):
        return layers
    return {int(li["op_index"]): int(li["instructions"]) for li in layers}


if __name__ == "__main__":
    sys.exit(main())
