#!/usr/bin/env python3
"""DEPTHWISE_CONV_2D speed on the QEMU Cortex-M4: instructions per MAC of every depthwise
layer of the given models and of stand-ins for the anchor models' depthwise shapes
(../shared/anchors/cmsis-nn-cortex-m4.md: vww_96 / person_detect, kws), as single-op models
with random weights (`tflm-py bench`, -Os, layer_ticks).
usage: scripts/bench_depthwise.py [MODEL.tflite ...] [--no-standins] [--json]"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from tflm_py import load_model  # noqa: E402
from tflm_py.bench import bench  # noqa: E402
from tflm_py.testing import ModelBuilder  # noqa: E402

# (H, W, C, stride, padding) of the anchor models' depthwise layers
STANDINS = [(25, 5, 64, 1, "SAME"), (48, 48, 8, 1, "SAME"), (48, 48, 16, 2, "SAME"),
            (24, 24, 32, 1, "SAME"), (24, 24, 32, 2, "SAME"), (12, 12, 64, 1, "SAME"),
            (12, 12, 64, 2, "SAME"), (6, 6, 128, 1, "SAME"), (6, 6, 128, 2, "SAME"),
            (3, 3, 256, 1, "SAME")]


def standin(h, w, c, stride, pad, seed=0):
    """A 3x3 depthwise layer quantised like a converted MobileNet one (per-channel weights,
    RELU6 with the output range [0, 6] on int8), after a 2x2 max pool from a 4x larger
    input: as in the anchor networks, the arena's peak lies before the layer, so the
    planner keeps the layer's scratch (a lone layer would be its own peak)."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    x0 = b.activation((1, 2 * h, 2 * w, c), scale=0.02, zero_point=-128)
    x = b.activation((1, h, w, c), scale=0.02, zero_point=-128)
    b.op("MAX_POOL_2D", [x0], [x], padding="VALID", stride_h=2, stride_w=2, filter_height=2,
         filter_width=2)
    wv = rng.integers(-127, 128, size=(1, 3, 3, c)).astype(np.int8)
    ws = rng.uniform(0.002, 0.02, c).astype(np.float32)
    wq = b.constant(wv, scales=ws, zero_points=[0] * c, quantized_dimension=3)
    bias = rng.integers(-2000, 2000, size=c).astype(np.int32)
    bq = b.constant(bias, scales=(np.float32(0.02) * ws).astype(np.float32),
                    zero_points=[0] * c)
    oh = -(-h // stride) if pad == "SAME" else (h - 3) // stride + 1
    ow = -(-w // stride) if pad == "SAME" else (w - 3) // stride + 1
    y = b.activation((1, oh, ow, c), scale=6.0 / 255.0, zero_point=-128)
    b.op("DEPTHWISE_CONV_2D", [x, wq, bq], [y], padding=pad, stride_h=stride,
         stride_w=stride, depth_multiplier=1, fused_activation_function="RELU6")
    return load_model(b.build([x0], [y]))


def depthwise_rows(model, name):
    r = bench(model)
    rows = []
    for ly in r["layers"]:
        if ly["type"] != "DEPTHWISE_CONV_2D":
            continue
        op = model.operators[ly["op_index"]]
        xs = model.tensors[op.inputs[0]].shape
        ys = model.tensors[op.outputs[0]].shape
        o = op.options
        rows.append({"model": name, "op": ly["op_index"],
                     "shape": f"{xs[1]}x{xs[2]}x{xs[3]}->{ys[1]}x{ys[2]}x{ys[3]} "
                              f"s{o.stride_h}x{o.stride_w} {o.padding} m{o.depth_multiplier}",
                     "macs": ly["macs"], "instructions": ly["instructions"],
                     "instr_per_mac": round(ly["instructions"] / ly["macs"], 2),
                     "bit_exact": r["bit_exact"]})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("models", nargs="*")
    ap.add_argument("--no-standins", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    rows = []
    if not a.no_standins:
        for h, w, c, s, pad in STANDINS:
            rows += depthwise_rows(standin(h, w, c, s, pad), f"standin {h}x{w}x{c} s{s}")
    for path in a.models:
        rows += depthwise_rows(load_model(path), os.path.basename(path))
    if a.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'model':<28}{'op':>4}  {'shape':<34}{'MACs':>10}{'instr':>11}{'instr/MAC':>10}  exact")
    for r in rows:
        print(f"{r['model']:<28}{r['op']:>4}  {r['shape']:<34}{r['macs']:>10,}"
              f"{r['instructions']:>11,}{r['instr_per_mac']:>10.2f}  {r['bit_exact']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
