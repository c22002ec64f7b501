"""The x86 (SSE2) fast paths' edges against TFLM exactly, host build under ASan/UBSan:
CONV_2D's windows widened straight from the input (padding, dilation, depth tails of 1..7
values read through a last PMADDWD step, filter counts not a multiple of 4, depths past 512
up to the path's 1152 and beyond it; small depths with few filters, output channels in the
lanes), DEPTHWISE_CONV_2D's tap-pair path (odd tap counts,
channel counts around 8 and 16, borders, strides, dilation, filters past its 25 taps and
channels past its 1024: the portable loops), and the requantisation prepared once per layer
(per-tensor and per-channel, scales spread over many powers of two, accumulators past 2^30
that take the scalar requantisation)."""
from __future__ import annotations

import numpy as np

from test_x86_kernels import _layer
from tflm_py.hostbuild import run_host_many
from tflm_py.oracle import run_oracle
from tflm_py.sweep import random_inputs


CONV = [
    # 1x1: depth = input channels, every tail length 1..7 and none
    ((1, 3, 5, 1), 4, 1, 1, {}),
    ((1, 3, 5, 15), 8, 1, 1, {}),
    ((1, 3, 5, 16), 5, 1, 1, {"per_channel": False}),
    ((1, 3, 5, 17), 12, 1, 1, {}),
    ((1, 3, 5, 31), 7, 1, 1, {"fused_activation_function": "RELU6"}),
    ((1, 3, 5, 33), 13, 1, 1, {}),
    ((2, 2, 3, 6), 9, 1, 1, {"stride_h": 2, "stride_w": 2, "padding": "VALID"}),
    # depths below 8 with more than 16 filters: the last step's rows near the array's end
    ((1, 3, 3, 1), 20, 1, 1, {}),
    ((1, 3, 3, 3), 17, 1, 1, {}),
    ((1, 2, 3, 5), 24, 1, 1, {"per_channel": False}),
    # windows at the border, strides, dilation, odd depths (3x3x3 = 27)
    ((1, 7, 9, 3), 8, 3, 3, {"stride_h": 2, "stride_w": 2}),
    ((1, 6, 6, 5), 6, 3, 3, {"dilation_h_factor": 2, "dilation_w_factor": 2}),
    ((1, 5, 8, 2), 4, 2, 4, {"padding": "VALID"}),
    ((1, 5, 4, 7), 3, 5, 5, {}),
    # depths past 512: 3x3x64 = 576, 1x1x1000, 3x3x128 = 1152 (the path's limit), 1160
    ((1, 4, 4, 64), 6, 3, 3, {}),
    ((1, 2, 3, 1000), 5, 1, 1, {"per_channel": False}),
    ((1, 3, 3, 128), 4, 3, 3, {}),
    ((1, 2, 2, 1160), 3, 1, 1, {}),
    # requantisation: many output channels (chunks), scales over 2^-20 .. 2^0, big biases
    ((1, 2, 3, 8), 70, 1, 1, {"scale_span": (2.0 ** -20, 1.0), "out_scale": 0.001}),
    ((1, 3, 3, 9), 21, 3, 3, {"scale_span": (2.0 ** -16, 2.0 ** -2), "out_scale": 4.0,
                              "in_zp": -128}),
    ((1, 3, 4, 8), 6, 3, 3, {"big_bias": True, "out_scale": 2e5}),
    ((1, 3, 4, 8), 6, 3, 3, {"per_channel": False, "scale_span": (0.9, 0.9),
                             "out_scale": 1e-4}),
    # small depth, few filters: output channels in the lanes (depth <= 32, <= 16 filters)
    ((1, 3, 4, 2), 6, 3, 3, {"big_bias": True, "out_scale": 2e5}),
    ((2, 4, 4, 32), 13, 1, 1, {"scale_span": (2.0 ** -20, 1.0), "out_scale": 0.001}),
    ((1, 5, 5, 1), 16, 3, 3, {"per_channel": False, "in_zp": -128}),
    ((1, 6, 5, 3), 11, 3, 3, {"stride_h": 2, "stride_w": 2, "padding": "VALID",
                              "fused_activation_function": "RELU"}),
]

DEPTHWISE = [
    # channel counts around the 16 / 8 / scalar blocks
    ((1, 5, 6, 1), 3, 3, {}),
    ((1, 5, 6, 3), 3, 3, {"fused_activation_function": "RELU6"}),
    ((1, 5, 6, 8), 3, 3, {}),
    ((1, 5, 6, 12), 3, 3, {"per_channel": False}),
    ((1, 5, 6, 15), 3, 3, {}),
    ((1, 5, 6, 16), 3, 3, {"stride_h": 2, "stride_w": 2}),
    ((1, 5, 6, 17), 3, 3, {"padding": "VALID"}),
    ((1, 4, 5, 24), 3, 3, {}),
    ((1, 4, 5, 31), 3, 3, {"stride_w": 2}),
    ((1, 4, 5, 33), 3, 3, {}),
    ((2, 3, 4, 69), 3, 3, {"in_zp": -128}),
    # other filters: even / odd tap counts, 5x5 (25 taps, the limit), 6x5 and 7x7 (beyond)
    ((1, 6, 7, 16), 2, 2, {}),
    ((1, 6, 7, 9), 1, 3, {"stride_h": 2}),
    ((1, 7, 8, 20), 5, 5, {}),
    ((1, 7, 8, 8), 6, 5, {}),
    ((1, 8, 8, 16), 7, 7, {"padding": "VALID"}),
    ((1, 8, 9, 16), 3, 3, {"dilation_h_factor": 2, "dilation_w_factor": 3}),
    # channels past 1024: the portable loops
    ((1, 2, 3, 1030), 3, 3, {}),
    # requantisation edges
    ((1, 4, 4, 40), 3, 3, {"scale_span": (2.0 ** -20, 1.0), "out_scale": 0.001}),
    ((1, 4, 5, 16), 3, 3, {"big_bias": True, "out_scale": 2e5}),
    ((1, 4, 5, 16), 3, 3, {"per_channel": False, "scale_span": (0.9, 0.9),
                           "out_scale": 1e-4}),
]


def _models():
    models = []
    for i, (shape, oc, kh, kw, opts) in enumerate(CONV):
        models.append(("CONV_2D", shape, oc, kh, kw, opts,
                       _layer("CONV_2D", shape, oc, kh, kw, seed=700 + i, **opts)))
    for i, (shape, kh, kw, opts) in enumerate(DEPTHWISE):
        oc = shape[3]
        models.append(("DEPTHWISE_CONV_2D", shape, oc, kh, kw, opts,
                       _layer("DEPTHWISE_CONV_2D", shape, oc, kh, kw, seed=800 + i, **opts)))
    return models


def test_x86_fast_paths_bit_exact():
    cases = _models()
    samples = []
    for i, case in enumerate(cases):
        rng = np.random.default_rng(900 + i)
        samples.append([random_inputs(case[-1], rng) for _ in range(2)])
    got = run_host_many([c[-1] for c in cases], samples, sanitize=True)
    for (op, shape, oc, kh, kw, opts, model), smp, g in zip(cases, samples, got):
        ref = run_oracle(model.data, smp)
        for k, (r, h) in enumerate(zip(ref, g)):
            assert np.array_equal(r[0], h[0]), (
                f"{op} {shape}->{oc} {kh}x{kw} {opts}, sample {k}: "
                f"{int(np.sum(r[0] != h[0]))} of {r[0].size} differ")
