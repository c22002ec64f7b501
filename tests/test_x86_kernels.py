"""The host (x86) paths of the portable kernels: the SSE2 requantisation of accumulator runs
(kernels_c/tflm_common.h, tflm_requantize_run), the row-block depthwise path for few
channels (kernels_c/depthwise_conv_2d.c, dw_portable_rows), the SSE2 CONV_2D and
FULLY_CONNECTED dot products, against TFLM exactly, built with
the host gcc as is (SSE2) and with -DTFLM_PY_PORTABLE (the scalar C), under ASan/UBSan."""
from __future__ import annotations

import numpy as np
import pytest

from tflm_py import load_model
from tflm_py.hostbuild import run_host
from tflm_py.oracle import run_oracle
from tflm_py.sweep import random_inputs
from tflm_py.testing import ModelBuilder


def _fc(batches, depth, units, seed, w_zp=0, per_channel=False, act="NONE"):
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    x = b.activation((batches, depth), scale=0.03, zero_point=-9)
    wv = rng.integers(-120, 121, size=(units, depth)).astype(np.int8)
    if per_channel:
        wq = b.constant(wv, scales=rng.uniform(0.002, 0.01, size=units),
                        zero_points=[0] * units, quantized_dimension=0)
    else:
        wq = b.constant(wv, scales=[0.004], zero_points=[w_zp])
    bq = b.constant(rng.integers(-500, 500, units).astype(np.int32), scales=[0.00012])
    y = b.activation((batches, units), scale=0.05, zero_point=3)
    b.op("FULLY_CONNECTED", [x, wq, bq], [y], fused_activation_function=act)
    return load_model(b.build([x], [y]))


def _layer(op, shape, oc, kh, kw, seed, per_channel=True, big_bias=False, out_scale=0.5,
           scale_span=(0.002, 0.02), in_zp=5, **opts):
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    n, h, w, c = shape
    x = b.activation(shape, scale=0.02, zero_point=in_zp)
    qs = oc if per_channel else 1
    lo, hi = np.log2(scale_span[0]), np.log2(scale_span[1])
    scales = 2.0 ** rng.uniform(lo, hi, size=qs)
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
    dh, dw = o["dilation_h_factor"], o["dilation_w_factor"]
    if o["padding"] == "SAME":
        oh, ow = -(-h // o["stride_h"]), -(-w // o["stride_w"])
    else:
        oh = (h - (kh - 1) * dh - 1) // o["stride_h"] + 1
        ow = (w - (kw - 1) * dw - 1) // o["stride_w"] + 1
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
    # FULLY_CONNECTED: the SSE2 row (depth tails, > 64 outputs), a weight zero point (reference)
    ("FC", 2, 37, 9, None, {"act": "RELU"}),
    ("FC", 1, 640, 130, None, {}),
    ("FC", 3, 24, 7, None, {"per_channel": True}),
    ("FC", 1, 40, 5, None, {"w_zp": -7}),
]


def _conv_case(op, shape, oc, kh, kw, i, opts):
    opts = dict(opts)
    kwargs = {k: opts.pop(k) for k in ("per_channel", "big_bias", "out_scale") if k in opts}
    return _layer(op, shape, oc, kh, kw, seed=300 + i, **kwargs, **opts)


@pytest.mark.parametrize("portable", [False, True], ids=["sse2", "portable"])
def test_host_kernels_bit_exact(portable):
    for i, (op, shape, oc, kh, kw, opts) in enumerate(CASES):
        if op == "FC":
            model = _fc(shape, oc, kh, seed=300 + i, **opts)
        else:
            model = _conv_case(op, shape, oc, kh, kw, i, opts)
        rng = np.random.default_rng(400 + i)
        samples = [random_inputs(model, rng) for _ in range(2)]
        ref = run_oracle(model.data, samples)
        got = run_host(model, samples, sanitize=True,
                       extra_flags=["-DTFLM_PY_PORTABLE"] if portable else [])
        for k, (r, g) in enumerate(zip(ref, got)):
            assert np.array_equal(r[0], g[0]), (
                f"case {i} ({op} {shape}->{oc}, {opts}), sample {k}: "
                f"{int(np.sum(r[0] != g[0]))} of {r[0].size} differ")
