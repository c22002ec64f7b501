"""Random single-op models for TRANSPOSE_CONV and BATCH_MATMUL, int8 and 16x8 / int16.

TRANSPOSE_CONV: batches, odd channel counts and the DSP blocks' sizes (4, 16), filter sizes 1-5,
strides 1-3 per axis, SAME / VALID, output sizes off the standard one (TFLM takes the output
tensor's shape as given), per-tensor / per-channel weights, bias absent / int32 (int8) or
int64 / int16 (16x8), fused activations (which TFLM ignores for quantized TRANSPOSE_CONV).
BATCH_MATMUL: ranks 2-5 with broadcast batch dimensions, adj_x / adj_y, a constant RHS,
zero points (int8; int16 has them 0 as TFLM requires), rows / depth / columns around the
blocks (2, 4) and odd.
Everything stays small (<= ~30k MACs) and within what TFLM accepts.
"""
from __future__ import annotations

import math

import numpy as np

from ..testing import ModelBuilder

ACTS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
MAX_MACS = 30000


def _f32(v) -> float:
    return float(np.float32(max(float(v), 1e-9)))


def _x_rms(dtype, zp=0):
    """RMS of (x - zp) for the sweep's uniform random inputs."""
    if dtype == np.int16:
        return 32768 / math.sqrt(3)
    return math.sqrt(5461.0 + (zp + 0.5) ** 2)


def gen_transpose_conv(rng: np.random.Generator) -> bytes:
    is16 = rng.random() < 0.5
    dt = np.int16 if is16 else np.int8
    while True:
        n = 1 if rng.random() < 0.85 else 2
        h, wd = int(rng.integers(1, 7)), int(rng.integers(1, 7))
        ic = int(rng.choice([1, 2, 3, 4, 5, 8, 16, 17]))
        oc = int(rng.choice([1, 2, 3, 4, 5, 7, 8, 9, 16]))
        kh, kw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        pad = "SAME" if rng.random() < 0.5 else "VALID"
        oh = h * sh if pad == "SAME" else (h - 1) * sh + kh
        ow = wd * sw if pad == "SAME" else (wd - 1) * sw + kw
        if rng.random() < 0.25:   # sizes a converter's output_padding or cropping gives
            oh = max(1, oh + int(rng.integers(-2, 3)))
            ow = max(1, ow + int(rng.integers(-2, 3)))
        if n * h * wd * ic * kh * kw * oc > MAX_MACS or n * oh * ow * oc > 4096:
            continue
        break
    per_channel = oc > 1 and rng.random() < 0.6
    lim = int(rng.choice([127, 127, 64, 8]))
    wv = rng.integers(-lim, lim + 1, size=(oc, kh, kw, ic)).astype(np.int8)
    if per_channel:
        ws = rng.uniform(0.001, 0.05, oc).astype(np.float32)
    else:
        ws = np.array([rng.uniform(0.001, 0.05)], dtype=np.float32)
    in_zp = 0 if is16 else int(rng.integers(-128, 128))
    taps = max(1.0, kh * kw / (sh * sw))
    t_acc = max(1.0, math.sqrt(taps * ic * float(np.mean(wv.astype(np.float64) ** 2)))
                * _x_rms(dt, in_zp))
    in_s = _f32(rng.uniform(0.005, 0.2) if not is16 else rng.uniform(1e-5, 1e-3))
    half_range = 32767.0 if is16 else 127.0
    out_s = _f32(in_s * float(np.mean(ws)) * t_acc / half_range * rng.uniform(0.3, 4.0))
    out_zp = 0 if is16 else int(rng.integers(-128, 128))
    act = ACTS[int(rng.integers(len(ACTS)))] if rng.random() < 0.3 else "NONE"
    b = ModelBuilder()
    shape = b.constant(np.array([n, oh, ow, oc], dtype=np.int32))
    w = b.constant(wv, scales=ws, zero_points=[0] * len(ws), quantized_dimension=0)
    x = b.activation((n, h, wd, ic), dtype=dt, scale=in_s, zero_point=in_zp)
    y = b.activation((n, oh, ow, oc), dtype=dt, scale=out_s, zero_point=out_zp)
    inputs = [shape, w, x]
    if rng.random() < 0.7:
        bscale = (np.float32(in_s) * np.resize(ws, oc)).astype(np.float32)
        mag = int(t_acc * float(rng.choice([0.0, 0.1, 1.0, 3.0])))
        if is16 and rng.random() < 0.25:
            bt = np.int16
            mag = min(mag, 32767)
        else:
            bt = np.int64 if is16 else np.int32
        bv = rng.integers(-mag, mag + 1, size=oc).astype(bt)
        inputs.append(b.constant(bv, scales=bscale if per_channel else bscale[:1],
                                 zero_points=[0] * (oc if per_channel else 1)))
    b.op("TRANSPOSE_CONV", inputs, [y], version=3 if is16 else 2, padding=pad, stride_h=sh,
         stride_w=sw, fused_activation_function=act)
    return b.build(inputs=[x], outputs=[y])


def gen_batch_matmul(rng: np.random.Generator) -> bytes:
    is16 = rng.random() < 0.4
    dt = np.int16 if is16 else np.int8
    while True:
        rank = int(rng.choice([2, 3, 3, 4, 4, 5]))
        nb = rank - 2
        out_batch = [int(rng.integers(1, 4)) for _ in range(nb)]
        lb = [d if rng.random() < 0.7 else 1 for d in out_batch]
        rb = [d if rng.random() < 0.7 else 1 for d in out_batch]
        for i in range(nb):       # at least one side carries the full dimension
            if lb[i] != out_batch[i] and rb[i] != out_batch[i]:
                lb[i] = out_batch[i]
        if nb and rng.random() < 0.3:   # ranks differ: the shorter side is broadcast
            drop = int(rng.integers(1, nb + 1))
            if rng.random() < 0.5:
                lb = lb[drop:]
            else:
                rb = rb[drop:]
            ob = out_batch
            # the dropped dims must now come from the other side
            if len(lb) < nb:
                rb = out_batch[:nb - len(lb)] + rb[nb - len(lb):]
            else:
                lb = out_batch[:nb - len(rb)] + lb[nb - len(rb):]
            out_batch = ob
        a = int(rng.choice([1, 2, 3, 4, 5, 7, 8, 13]))
        k = int(rng.choice([1, 2, 3, 4, 5, 8, 9, 16, 17, 31]))
        c = int(rng.choice([1, 2, 3, 4, 5, 6, 9, 16]))
        if int(np.prod(out_batch or [1])) * a * k * c <= MAX_MACS:
            break
    adj_x, adj_y = bool(rng.random() < 0.4), bool(rng.random() < 0.4)
    const_rhs = rng.random() < 0.3
    l_shape = tuple(lb) + ((k, a) if adj_x else (a, k))
    r_shape = tuple(rb) + ((c, k) if adj_y else (k, c))
    l_zp = 0 if is16 else int(rng.integers(-128, 128))
    r_zp = 0 if is16 else int(rng.integers(-128, 128))
    l_s = _f32(rng.uniform(0.005, 0.2) if not is16 else rng.uniform(1e-5, 1e-3))
    r_s = _f32(rng.uniform(0.005, 0.2) if not is16 else rng.uniform(1e-5, 1e-3))
    b = ModelBuilder()
    x = b.activation(l_shape, dtype=dt, scale=l_s, zero_point=l_zp)
    if const_rhs:
        info = np.iinfo(dt)
        rv = rng.integers(info.min, info.max + 1, size=r_shape, dtype=np.int64).astype(dt)
        r_rms = float(np.sqrt(np.mean((rv.astype(np.float64) - r_zp) ** 2))) or 1.0
        r = b.constant(rv, scales=[r_s], zero_points=[r_zp])
    else:
        r_rms = _x_rms(dt, r_zp)
        r = b.activation(r_shape, dtype=dt, scale=r_s, zero_point=r_zp)
    t_acc = max(1.0, math.sqrt(k) * _x_rms(dt, l_zp) * r_rms)
    half_range = 32767.0 if is16 else 127.0
    out_s = _f32(l_s * r_s * t_acc / half_range * rng.uniform(0.3, 4.0))
    out_zp = 0 if is16 else int(rng.integers(-128, 128))
    y = b.activation(tuple(out_batch) + (a, c), dtype=dt, scale=out_s, zero_point=out_zp)
    b.op("BATCH_MATMUL", [x, r], [y], version=1, adj_x=adj_x, adj_y=adj_y)
    return b.build(inputs=[x] if const_rhs else [x, r], outputs=[y])


GENERATORS = {
    "TRANSPOSE_CONV": gen_transpose_conv,
    "BATCH_MATMUL": gen_batch_matmul,
}
