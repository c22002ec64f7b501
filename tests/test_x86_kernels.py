"""The host (x86) paths of the portable kernels: the SSE2 requantisation of accumulator runs
(kernels_c/tflm_common.h, tflm_requantize_run) and the row-block depthwise path for few
channels (kernels_c/depthwise_conv_2d.c, dw_portable_rows), against TFLM exactly, built with
the host gcc as is (SSE2) and with -DTFLM_PY_PORTABLE (the scalar C), under ASan/UBSan."""
from __future__ import annotations

import numpy as np
import pytest

from tflm_py import load_model
from tflm_py.hostbuild import run_host
from tflm_py.oracle import run_oracle
from tflm_py.sweep import random_inputs
from tflm_py.testing import ModelBuilder


def _layer(op, shape, oc, kh, kw, seed, per_channel=True, big_bias=False, out_scale=0.5,
           **opts):
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    n, h, w, c = shape
    x = b.activation(shape, scale=0.02, zero_point=5)
    qs = oc if per_channel else 1
    scales = rng.uniform(0.002, 0.02, size=qs)
    if op == "CONV_2D":
        wv = rng.integers(-127, 128, size=(oc, kh, kw, c)).astype(np.int8)
        wq = b.constant(wv, scales=scales, zero_points=[0] * qs, quantized_dimension=0)
    else:
        wv = rng.integers(-127, 128, size=(1, kh, kw, oc)).astype(np.int8)
        wq = b.constant(wv, scales=scales, zero_points=[0] * qs, quantized_dimension=3)
    bias = rng.integers(-3000, 3000, size=oc).astype(np.int64)
    if big_bias:   # accumulators beyond 2^30: no small_acc, the scalar requantisation
        bias = bias + np.where(np.arange(oc) % 2 == 0, (1 << 30) + 12345, -(1 << 30) - 999)
    bq = b.constant(bias.astype(np.int32), scales=np.full(oc, 0.0002), zero_points=[0] * oc)
    o = dict(padding="SAME", stride_h=1, stride_w=1, dilation_h_factor=1,
             dilation_w_factor=1, fused_activation_function="NONE")
    o.update(opts)
    if o["padding"] == "SAME":
        oh, ow = -(-h // o["stride_h"]), -(-w // o["stride_w"])
    else:
        oh = (h - (kh - 1) * o["dilation_h_factor"] - 1) // o["stride_h"] + 1
        ow = (w - (kw - 1) * o["dilation_w_factor"] - 1) // o["stride_w"] + 1
    y = b.activation((n, oh, ow, oc), scale=out_scale, zero_point=-3)
    if op == "DEPTHWISE_CONV_2D":
        o["depth_multiplier"] = oc // c
    b.op(op, [x, wq, bq], [y], **o)
    return load_model(b.build([x], [y]))


CASES = [
    # depthwise, depth_multiplier 1, stride_w 1, < 16 channels: the row-block path
    ("DEPTHWISE_CONV_2D", (1, 9, 23, 8), 8, 3, 3, {}),
    ("DEPTHWISE_CONV_2D", (2, 6, 40, 3), 3, 3, 3, {"fused_activation_function": "RELU6"}),
    ("DEPTHWISE_CONV_2D", (1, 5, 70, 1), 1, 3, 3, {"padding": "VALID"}),
    ("DEPTHWISE_CONV_2D", (1, 8, 31, 12), 12, 3, 3, {"dilation_w_factor": 2,
                                                     "dilation_h_factor": 2}),
    ("DEPTHWISE_CONV_2D", (1, 7, 19, 8), 8, 1, 3, {"stride_h": 2}),
    ("DEPTHWISE_CONV_2D", (1, 4, 9, 8), 8, 3, 3, {"per_channel": False}),
    ("DEPTHWISE_CONV_2D", (1, 4, 20, 8), 8, 3, 3, {"big_bias": True, "out_scale": 2e5}),
    # more channels / multipliers: the per-pixel loop with the run requantisation
    ("DEPTHWISE_CONV_2D", (1, 6, 7, 36), 36, 3, 3, {"stride_w": 2, "stride_h": 2}),
    ("DEPTHWISE_CONV_2D", (1, 9, 9, 1), 8, 3, 3, {"stride_w": 2, "stride_h": 2}),
    ("DEPTHWISE_CONV_2D", (1, 5, 6, 2), 6, 3, 3, {}),
    # conv: run requantisation over channel chunks (odd counts, > 64 channels)
    ("CONV_2D", (1, 6, 6, 3), 13, 3, 3, {"stride_w": 2, "stride_h": 2}),
    ("CONV_2D", (1, 3, 4, 17), 67, 1, 1, {}),
    ("CONV_2D", (1, 5, 5, 8), 16, 1, 1, {"per_channel": False,
                                         "fused_activation_function": "RELU"}),
    ("CONV_2D", (1, 4, 3, 8), 6, 3, 3, {"big_bias": True, "out_scale": 2e5}),
]


@pytest.mark.parametrize("portable", [False, True], ids=["sse2", "portable"])
def test_host_kernels_bit_exact(portable):
    for i, (op, shape, oc, kh, kw, opts) in enumerate(CASES):
        opts = dict(opts)
        kwargs = {k: opts.pop(k) for k in ("per_channel", "big_bias", "out_scale") if k in opts}
        model = _layer(op, shape, oc, kh, kw, seed=300 + i, **kwargs, **opts)
        rng = np.random.default_rng(400 + i)
        samples = [random_inputs(model, rng) for _ in range(2)]
        ref = run_oracle(model.data, samples)
        got = run_host(model, samples, sanitize=True,
                       extra_flags=["-DTFLM_PY_PORTABLE"] if portable else [])
        for k, (r, g) in enumerate(zip(ref, got)):
            assert np.array_equal(r[0], g[0]), (
                f"case {i} ({op} {shape}->{oc}, {opts}), sample {k}: "
                f"{int(np.sum(r[0] != g[0]))} of {r[0].size} differ")
