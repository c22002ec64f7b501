"""The MLPerf Tiny stand-ins of tests/data/mlperf/ (scripts/make_mlperf_standins.py): their
layers have the shapes the CMSIS-NN speed anchor lists for the models they stand in for
(op types and MACs per layer, copied here from ../shared/anchors/cmsis-nn-cortex-m4.md, the
anchor's RESHAPEs the converter folded left out), and they run bit-exact with TFLM and the
simulator on the QEMU Cortex-M4 (the DSP kernels) in one firmware."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from test_fast_kernels import _assert_bit_exact, _need_qemu
from tflm_py import load_model
from tflm_py.bench import layer_macs, run_on_qemu
from tflm_py.sweep import random_inputs

DATA = Path(__file__).resolve().parent / "data" / "mlperf"

C, D, A, P, F, S, R = ("CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "AVERAGE_POOL_2D",
                       "FULLY_CONNECTED", "SOFTMAX", "RESHAPE")
_MOBILENET = [(D, 165_888), (C, 294_912), (D, 82_944), (C, 294_912), (D, 165_888),
              (C, 589_824), (D, 41_472), (C, 294_912), (D, 82_944), (C, 589_824), (D, 20_736),
              (C, 294_912)] + [(D, 41_472), (C, 589_824)] * 5 + \
    [(D, 10_368), (C, 294_912), (D, 20_736), (C, 589_824), (P, 0)]
ANCHOR_LAYERS = {
    "vww_96_standin": [(C, 497_664)] + _MOBILENET + [(F, 512), (S, 0)],
    "person_detect_standin": [(D, 165_888)] + _MOBILENET + [(C, 512), (R, 0), (S, 0)],
    "resnet8_standin": [(C, 442_368), (C, 2_359_296), (C, 2_359_296), (A, 0), (C, 1_179_648),
                        (C, 2_359_296), (C, 131_072), (A, 0), (C, 1_179_648), (C, 2_359_296),
                        (C, 131_072), (A, 0), (P, 0), (F, 640), (S, 0)],
}


def test_standins_have_the_anchor_layer_shapes():
    for name, want in ANCHOR_LAYERS.items():
        model = load_model((DATA / f"{name}.tflite").read_bytes())
        macs = layer_macs(model)
        got = [(op.type, macs[op.index]) for op in model.operators]
        assert got == want, name


def test_standins_bit_exact_on_qemu(tmp_path):
    _need_qemu()
    entries = []
    for i, name in enumerate(ANCHOR_LAYERS):
        model = load_model((DATA / f"{name}.tflite").read_bytes())
        entries.append((f"mlp{i}", model, [random_inputs(model, np.random.default_rng(700 + i))]))
    _assert_bit_exact(entries, run_on_qemu(entries, icount=False, work_dir=tmp_path))
