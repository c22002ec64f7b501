"""Whole-network stand-ins for the real TFLM / MLPerf Tiny models we are judged on.

`NETWORKS = {name: fn}` with fn(rng) -> bytes of an int8 .tflite: the same architecture as the
real model (layers, shapes, strides, paddings, activations, op mix and op order as a
converter lists them) with random weights and a realistic post-training quantization:

* weights int8 symmetric, per output channel for CONV_2D / DEPTHWISE_CONV_2D (zero point 0,
  quantized_dimension 0 / 3), per tensor for FULLY_CONNECTED, biases int32 with scale
  input_scale * weight_scale;
* every activation's scale / zero point comes from a calibration: a batch of random inputs
  (drawn as the tests draw them: uniform int8 over the input's range, or N(0, 4^2) for a
  float32 input) is propagated through a float32 numpy twin of the net, and each tensor
  gets the asymmetric int8 range [min(0, lo), max(0, hi)] it saw, so activations are spread
  over int8 and rarely saturate;
* the converter's quantization constraints hold: MAX/AVERAGE_POOL_2D, RESHAPE, PAD and
  CONCATENATION (all inputs) share their input's quantization, SOFTMAX / LOGISTIC outputs are
  1/256 with zero point -128, RELU6 as a separate op keeps its input's quantization.

The module is a builder (`Net`: float eager, quantization decided at `build`) plus one
function per network. Not the exact weights of course; the networks exercise the same
kernels on the same shapes with the same kinds of parameters.
"""
from __future__ import annotations

import math
from typing import Callable, Optional, Sequence

import numpy as np

from ..testing import ModelBuilder

N_CALIB = 16
SMALL_POPULATION = 4096   # calibration values below which a range is widened ...
WIDEN = 0.5               # ... by this fraction of its span on each open side

# op versions as current converters write them for int8 models
_VERSION = {
    "CONV_2D": 3, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 4, "AVERAGE_POOL_2D": 2,
    "MAX_POOL_2D": 2, "SOFTMAX": 2, "RESHAPE": 1, "ADD": 2, "MUL": 2, "CONCATENATION": 2,
    "PAD": 2, "MEAN": 2, "HARD_SWISH": 1, "QUANTIZE": 2, "DEQUANTIZE": 2, "LOGISTIC": 2,
    "RELU6": 2, "RELU": 2, "LEAKY_RELU": 2,
}


class _T:
    """A non-constant tensor of the net under construction."""

    def __init__(self, net, shape, dtype, value, name):
        self.net = net
        self.id = len(net.tensors)
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.value = np.asarray(value, dtype=np.float32)  # calibration batch, dim 0 = N_CALIB
        self.name = name
        self.fixed: Optional[tuple[float, int]] = None
        self.bounds = (-math.inf, math.inf)   # what the producing activation allows
        net.tensors.append(self)
        net.parent.append(self.id)


def _act_f(v, act):
    if act == "RELU":
        return np.maximum(v, 0)
    if act == "RELU6":
        return np.clip(v, 0, 6)
    if act == "RELU_N1_TO_1":
        return np.clip(v, -1, 1)
    return v


_ACT_BOUNDS = {"RELU": (0.0, math.inf), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0)}


def _same_pads(size, k, stride):
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + k - size, 0)
    return out, total // 2, total - total // 2


def _window_geom(h, w, kh, kw, sh, sw, padding):
    if padding == "SAME":
        oh, pt, pb = _same_pads(h, kh, sh)
        ow, pl, pr = _same_pads(w, kw, sw)
    else:
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
        pt = pb = pl = pr = 0
        if oh < 1 or ow < 1:
            raise ValueError("window larger than input")
    return oh, ow, (pt, pb, pl, pr)


def _windows(x, kh, kw, sh, sw, pads, oh, ow, fill=0.0):
    """(N, oh, ow, C, kh, kw) view of the padded input's windows."""
    pt, pb, pl, pr = pads
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=fill)
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(1, 2))
    return win[:, ::sh, ::sw][:, :oh, :ow]


def asym_quant(lo: float, hi: float) -> tuple[float, int]:
    """Asymmetric int8 (scale, zero point) of a float range, as post-training quantization
    picks it: the range is widened to contain 0 and the zero point is nudged to an integer."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < 1e-6:
        hi = lo + 1e-6 if hi > -lo else hi
        lo = min(lo, hi - 1e-6)
    scale = (hi - lo) / 255.0
    zp = int(round(-128 - lo / scale))
    zp = max(-128, min(127, zp))
    return float(np.float32(scale)), zp


class Net:
    """Float-eager, quantize-at-build network builder on top of ModelBuilder."""

    def __init__(self, rng: np.random.Generator, n_calib: int = N_CALIB):
        self.rng = rng
        self.n = n_calib
        self.tensors: list[_T] = []
        self.parent: list[int] = []      # union-find: tensors sharing one quantization
        self.layers: list[tuple] = []    # (op, [inputs], [outputs], options)
        self.inputs: list[_T] = []
        self.counter: dict[str, int] = {}

    # ---------------------------------------------------------------- bookkeeping
    def _name(self, base):
        k = self.counter.get(base, 0)
        self.counter[base] = k + 1
        return f"{base}_{k}" if k else base

    def _find(self, i):
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def tie(self, a: _T, b: _T):
        """a and b get one quantization (the union of their calibration ranges)."""
        ra, rb = self._find(a.id), self._find(b.id)
        if ra != rb:
            self.parent[rb] = ra

    def _new(self, shape, value, name, dtype=np.int8, act="NONE"):
        t = _T(self, shape, dtype, value, self._name(name))
        t.bounds = _ACT_BOUNDS.get(act, (-math.inf, math.inf))
        return t

    def _layer(self, op, inputs, outputs, **options):
        self.layers.append((op, list(inputs), list(outputs), options))

    # ---------------------------------------------------------------- weights
    def _conv_weights(self, shape, fan_in, axis, gain=2.0, per_channel=True):
        """Random float weights (He init, uneven channel gains as after folding batch norm),
        quantized symmetric int8; returns (int8 weights, scales, dequantized float weights)."""
        w = self.rng.standard_normal(shape).astype(np.float32) * math.sqrt(gain / fan_in)
        n_ch = shape[axis]
        ch_gain = np.exp(self.rng.normal(0.0, 0.35, n_ch)).astype(np.float32)
        bshape = [1] * len(shape)
        bshape[axis] = n_ch
        w = w * ch_gain.reshape(bshape)
        red = tuple(d for d in range(len(shape)) if d != axis)
        if per_channel:
            amax = np.max(np.abs(w), axis=red)
        else:
            amax = np.full(n_ch, np.max(np.abs(w)), dtype=np.float32)
        scales = (np.maximum(amax, 1e-8) / 127.0).astype(np.float32)
        q = np.clip(np.round(w / scales.reshape(bshape)), -127, 127).astype(np.int8)
        wf = q.astype(np.float32) * scales.reshape(bshape)
        return q, (scales if per_channel else scales[:1]), wf

    @staticmethod
    def _rescale(acc, scales, out_std):
        """Scale a layer's weights so its float output has standard deviation out_std (the
        int8 weights stay, their scales change): classifier logits of a trained net spread
        over a few units, not over the hundreds random weights give."""
        if out_std is None:
            return acc, scales
        f = np.float32(out_std / max(float(acc.std()), 1e-6))
        return acc * f, (scales * f).astype(np.float32)

    def _bias(self, acc, bias_rel=0.4):
        """Float per-channel bias: a fraction of each channel's accumulator spread."""
        sd = acc.reshape(-1, acc.shape[-1]).std(axis=0) + 1e-6
        mu = acc.reshape(-1, acc.shape[-1]).mean(axis=0)
        return (self.rng.normal(0.0, bias_rel, acc.shape[-1]) * sd - 0.3 * mu).astype(np.float32)

    @staticmethod
    def _bias_const(bf, x: _T, wscales):
        def make(qof):
            s_in, _ = qof(x)
            s = (np.float32(s_in) * np.asarray(wscales, dtype=np.float32)).astype(np.float32)
            if s.size == 1 and bf.size > 1:
                s_full = np.repeat(s, bf.size)
            else:
                s_full = s
            q = np.round(bf.astype(np.float64) / s_full.astype(np.float64))
            q = np.clip(q, -(1 << 31), (1 << 31) - 1).astype(np.int32)
            return dict(data=q, scales=s, zero_points=[0] * s.size)
        return make

    # ---------------------------------------------------------------- graph inputs
    def input(self, shape, scale: float, zero_point: int, name="input") -> _T:
        """An int8 graph input; calibrated with uniform int8 codes as the tests draw them."""
        q = self.rng.integers(-128, 128, size=(self.n,) + tuple(shape[1:]))
        v = (q - zero_point) * np.float32(scale)
        t = self._new(shape, v, name)
        t.fixed = (float(np.float32(scale)), int(zero_point))
        self.inputs.append(t)
        return t

    def input_float(self, shape, name="input") -> _T:
        """A float32 graph input; calibrated with N(0, 4^2) values as the tests draw them."""
        v = self.rng.standard_normal((self.n,) + tuple(shape[1:])) * 4.0
        t = self._new(shape, v, name, dtype=np.float32)
        self.inputs.append(t)
        return t

    # ---------------------------------------------------------------- layers
    def conv(self, x: _T, out_ch, k=(3, 3), stride=(1, 1), padding="SAME", act="RELU",
             name="conv", bias_rel=0.4, out_std: Optional[float] = None) -> _T:
        kh, kw = (k, k) if isinstance(k, int) else k
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        _, h, w, c = x.shape
        oh, ow, pads = _window_geom(h, w, kh, kw, sh, sw, padding)
        q, scales, wf = self._conv_weights((out_ch, kh, kw, c), kh * kw * c, 0,
                                           gain=2.0 if act != "NONE" else 1.0)
        win = _windows(x.value, kh, kw, sh, sw, pads, oh, ow)       # N oh ow C kh kw
        acc = np.einsum("nhwcij,oijc->nhwo", win, wf, optimize=True)
        acc, scales = self._rescale(acc, scales, out_std)
        bf = self._bias(acc, bias_rel)
        y = self._new((1, oh, ow, out_ch), _act_f(acc + bf, act), name, act=act)
        self._layer("CONV_2D", [x, dict(data=q, scales=scales, zero_points=[0] * out_ch,
                                        quantized_dimension=0),
                                self._bias_const(bf, x, scales)], [y],
                    padding=padding, stride_w=sw, stride_h=sh, dilation_w_factor=1,
                    dilation_h_factor=1, fused_activation_function=act)
        return y

    def dwconv(self, x: _T, k=3, stride=1, padding="SAME", act="RELU", multiplier=1,
               name="depthwise", bias_rel=0.4, out_std: Optional[float] = None) -> _T:
        kh, kw = (k, k) if isinstance(k, int) else k
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        _, h, w, c = x.shape
        oc = c * multiplier
        oh, ow, pads = _window_geom(h, w, kh, kw, sh, sw, padding)
        q, scales, wf = self._conv_weights((1, kh, kw, oc), kh * kw, 3,
                                           gain=2.0 if act != "NONE" else 1.0)
        xv = np.repeat(x.value, multiplier, axis=3) if multiplier > 1 else x.value
        win = _windows(xv, kh, kw, sh, sw, pads, oh, ow)            # N oh ow OC kh kw
        acc = np.einsum("nhwcij,ijc->nhwc", win, wf[0], optimize=True)
        acc, scales = self._rescale(acc, scales, out_std)
        bf = self._bias(acc, bias_rel)
        y = self._new((1, oh, ow, oc), _act_f(acc + bf, act), name, act=act)
        self._layer("DEPTHWISE_CONV_2D", [x, dict(data=q, scales=scales, zero_points=[0] * oc,
                                                  quantized_dimension=3),
                                          self._bias_const(bf, x, scales)], [y],
                    padding=padding, stride_w=sw, stride_h=sh, depth_multiplier=multiplier,
                    dilation_w_factor=1, dilation_h_factor=1, fused_activation_function=act)
        return y

    def fc(self, x: _T, units, act="NONE", name="dense", bias_rel=0.4,
           out_std: Optional[float] = None) -> _T:
        k = int(np.prod(x.shape[1:]))
        q, scales, wf = self._conv_weights((units, k), k, 0, gain=2.0 if act != "NONE" else 1.0,
                                           per_channel=False)
        acc = x.value.reshape(self.n, k) @ wf.T
        acc, scales = self._rescale(acc, scales, out_std)
        bf = self._bias(acc, bias_rel)
        y = self._new((1, units), _act_f(acc + bf, act), name, act=act)
        self._layer("FULLY_CONNECTED", [x, dict(data=q, scales=scales, zero_points=[0],
                                                quantized_dimension=0),
                                        self._bias_const(bf, x, scales)], [y],
                    fused_activation_function=act, weights_format=0, keep_num_dims=False)
        return y

    def _pool(self, op, x: _T, k, stride, padding, name):
        kh, kw = (k, k) if isinstance(k, int) else k
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        _, h, w, c = x.shape
        oh, ow, pads = _window_geom(h, w, kh, kw, sh, sw, padding)
        win = _windows(x.value, kh, kw, sh, sw, pads, oh, ow, fill=np.nan)
        v = np.nanmax(win, axis=(4, 5)) if op == "MAX_POOL_2D" else np.nanmean(win, axis=(4, 5))
        y = self._new((1, oh, ow, c), v, name)
        self.tie(x, y)
        self._layer(op, [x], [y], padding=padding, stride_w=sw, stride_h=sh, filter_width=kw,
                    filter_height=kh, fused_activation_function="NONE")
        return y

    def avgpool(self, x, k, stride=None, padding="VALID", name="average_pool"):
        return self._pool("AVERAGE_POOL_2D", x, k, k if stride is None else stride, padding, name)

    def maxpool(self, x, k, stride=None, padding="VALID", name="max_pool"):
        return self._pool("MAX_POOL_2D", x, k, k if stride is None else stride, padding, name)

    def reshape(self, x: _T, shape, name="reshape") -> _T:
        shape = tuple(int(d) for d in shape)
        y = self._new(shape, x.value.reshape((self.n,) + shape[1:]), name)
        self.tie(x, y)
        self._layer("RESHAPE", [x, dict(data=np.array(shape, dtype=np.int32))], [y],
                    new_shape=list(shape))
        return y

    def softmax(self, x: _T, name="softmax") -> _T:
        v = x.value - x.value.max(axis=-1, keepdims=True)
        e = np.exp(v)
        y = self._new(x.shape, e / e.sum(axis=-1, keepdims=True), name)
        y.fixed = (1.0 / 256, -128)
        self._layer("SOFTMAX", [x], [y], beta=1.0)
        return y

    def logistic(self, x: _T, name="logistic") -> _T:
        y = self._new(x.shape, 1.0 / (1.0 + np.exp(-x.value)), name)
        y.fixed = (1.0 / 256, -128)
        self._layer("LOGISTIC", [x], [y])
        return y

    def add(self, a: _T, b: _T, act="NONE", name="add") -> _T:
        v = _act_f(a.value + b.value, act)
        y = self._new(np.broadcast_shapes(a.shape, b.shape), v, name)
        self._layer("ADD", [a, b], [y], fused_activation_function=act)
        return y

    def mul(self, a: _T, b: _T, act="NONE", name="mul") -> _T:
        v = _act_f(a.value * b.value, act)
        y = self._new(np.broadcast_shapes(a.shape, b.shape), v, name)
        self._layer("MUL", [a, b], [y], fused_activation_function=act)
        return y

    def _scalar_const(self, value):
        s, zp = asym_quant(min(value, 0.0), max(value, 0.0))
        q = int(np.clip(round(value / s) + zp, -128, 127))
        return dict(data=np.array([q], dtype=np.int8).reshape(()), scales=[s],
                    zero_points=[zp], shape=())

    def add_const(self, x: _T, value: float, name="add") -> _T:
        y = self._new(x.shape, x.value + np.float32(value), name)
        self._layer("ADD", [x, self._scalar_const(value)], [y], fused_activation_function="NONE")
        return y

    def mul_const(self, x: _T, value: float, name="mul") -> _T:
        y = self._new(x.shape, x.value * np.float32(value), name)
        self._layer("MUL", [x, self._scalar_const(value)], [y], fused_activation_function="NONE")
        return y

    def relu6(self, x: _T, name="relu6") -> _T:
        y = self._new(x.shape, np.clip(x.value, 0, 6), name)
        self.tie(x, y)   # TFLM's RELU6 clamps without requantizing
        self._layer("RELU6", [x], [y])
        return y

    def leaky_relu(self, x: _T, alpha=0.1, name="leaky_re_lu") -> _T:
        y = self._new(x.shape, np.where(x.value >= 0, x.value, x.value * np.float32(alpha)), name)
        self._layer("LEAKY_RELU", [x], [y], alpha=float(alpha))
        return y

    def hard_swish(self, x: _T, name="hard_swish") -> _T:
        v = x.value * np.clip(x.value + 3.0, 0, 6) / 6.0
        y = self._new(x.shape, v, name)
        self._layer("HARD_SWISH", [x], [y])
        return y

    def hard_sigmoid(self, x: _T, name="hard_sigmoid") -> _T:
        """relu6(x + 3) / 6 as converters lower Keras' hard_sigmoid: ADD, RELU6, MUL."""
        return self.mul_const(self.relu6(self.add_const(x, 3.0, name=name + "/add")),
                              1.0 / 6.0, name=name)

    def concat(self, xs: Sequence[_T], axis=3, name="concatenate") -> _T:
        v = np.concatenate([t.value for t in xs], axis=axis)
        shape = list(xs[0].shape)
        shape[axis] = sum(t.shape[axis] for t in xs)
        y = self._new(shape, v, name)
        for t in xs:
            self.tie(t, y)
        self._layer("CONCATENATION", list(xs), [y], axis=axis, fused_activation_function="NONE")
        return y

    def pad(self, x: _T, pads, name="pad") -> _T:
        pads = np.asarray(pads, dtype=np.int32)
        v = np.pad(x.value, [(0, 0)] + [tuple(p) for p in pads[1:]])
        shape = [d + int(p[0]) + int(p[1]) for d, p in zip(x.shape, pads)]
        y = self._new(shape, v, name)
        self.tie(x, y)
        self._layer("PAD", [x, dict(data=pads)], [y])
        return y

    def mean(self, x: _T, axes=(1, 2), keep_dims=False, name="mean") -> _T:
        v = x.value.mean(axis=tuple(axes), keepdims=keep_dims)
        shape = [1 if d in axes else s for d, s in enumerate(x.shape)] if keep_dims else \
            [s for d, s in enumerate(x.shape) if d not in axes]
        y = self._new(shape, v, name)
        self._layer("MEAN", [x, dict(data=np.array(axes, dtype=np.int32))], [y],
                    keep_dims=keep_dims)
        return y

    def quantize(self, x: _T, name="quantize", range_scale: float = 1.0) -> _T:
        """float32 -> int8 (calibrated), or int8 -> int8 requantization; range_scale < 1
        calibrates the output to a narrower range than its input (values clip)."""
        y = self._new(x.shape, x.value * np.float32(range_scale), name)
        self._layer("QUANTIZE", [x], [y])
        return y

    def dequantize(self, x: _T, name="dequantize") -> _T:
        y = self._new(x.shape, x.value, name, dtype=np.float32)
        self._layer("DEQUANTIZE", [x], [y])
        return y

    # ---------------------------------------------------------------- build
    def quantization(self) -> dict[int, tuple[float, int]]:
        groups: dict[int, list[_T]] = {}
        for t in self.tensors:
            if t.dtype == np.int8:
                groups.setdefault(self._find(t.id), []).append(t)
        out = {}
        for members in groups.values():
            fixed = [t.fixed for t in members if t.fixed is not None]
            if fixed:
                q = fixed[0]
            else:
                lo = min(float(np.nanmin(t.value)) for t in members)
                hi = max(float(np.nanmax(t.value)) for t in members)
                seen = sum(t.value.size for t in members)
                if seen < SMALL_POPULATION:
                    # few calibration values (a pooled vector, logits): the min / max seen
                    # understate the range test inputs reach; widen, within the activation
                    blo = max(t.bounds[0] for t in members)
                    bhi = min(t.bounds[1] for t in members)
                    span = hi - lo
                    lo = max(lo - WIDEN * span, blo) if lo < 0 else lo
                    hi = min(hi + WIDEN * span, bhi) if hi > 0 else hi
                q = asym_quant(lo, hi)
            for t in members:
                out[t.id] = q
        return out

    def build(self, outputs: Sequence[_T]) -> bytes:
        qtab = self.quantization()

        def qof(t: _T):
            return qtab[t.id]

        b = ModelBuilder()
        index: dict[int, int] = {}

        def tensor(t: _T) -> int:
            if t.id not in index:
                if t.dtype == np.int8:
                    s, zp = qtab[t.id]
                    index[t.id] = b.activation(t.shape, scale=s, zero_point=zp, name=t.name)
                else:
                    index[t.id] = b.activation(t.shape, dtype=t.dtype, name=t.name)
            return index[t.id]

        for t in self.inputs:
            tensor(t)
        for op, ins, outs, options in self.layers:
            idx = []
            for i in ins:
                if isinstance(i, _T):
                    idx.append(tensor(i))
                else:
                    spec = i(qof) if callable(i) else i
                    data = np.asarray(spec["data"])
                    if "shape" in spec:
                        data = data.reshape(spec["shape"])
                    idx.append(b.constant(data, scales=spec.get("scales"),
                                          zero_points=spec.get("zero_points"),
                                          quantized_dimension=spec.get("quantized_dimension", 0),
                                          name=f"{outs[0].name}/c{len(idx)}"))
            o_idx = [tensor(t) for t in outs]
            b.op(op, idx, o_idx, version=_VERSION.get(op, 1), **options)
        return b.build(inputs=[index[t.id] for t in self.inputs],
                       outputs=[index[t.id] for t in outputs])


# ==================================================================== the networks

def _mobilenet_v1_body(net: Net, x: _T, alpha=0.25) -> _T:
    """MobileNetV1 (Keras applications layout): conv 3x3/2, 13 depthwise-separable blocks,
    RELU6 everywhere."""
    ch = lambda c: max(8, int(c * alpha))  # noqa: E731
    x = net.conv(x, ch(32), 3, 2, "SAME", "RELU6", name="conv1")
    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + \
             [(1024, 2), (1024, 1)]
    for i, (c, s) in enumerate(blocks, 1):
        x = net.dwconv(x, 3, s, "SAME", "RELU6", name=f"conv_dw_{i}")
        x = net.conv(x, ch(c), 1, 1, "SAME", "RELU6", name=f"conv_pw_{i}")
    return x


def vww_mobilenet_v1_025(rng: np.random.Generator, size: int = 96) -> bytes:
    """MLPerf Tiny Visual Wake Words: MobileNetV1 0.25 on 96x96x3, AVERAGE_POOL_2D over the
    3x3 map, RESHAPE (Flatten), FULLY_CONNECTED 2, SOFTMAX."""
    net = Net(rng)
    x = net.input((1, size, size, 3), scale=1.0 / 128, zero_point=0)
    x = _mobilenet_v1_body(net, x)
    k = x.shape[1]
    x = net.avgpool(x, (k, x.shape[2]), 1, "VALID")
    x = net.reshape(x, (1, x.shape[3]), name="flatten")
    x = net.fc(x, 2, name="dense", out_std=2.0)
    return net.build([net.softmax(x)])


def vww_mobilenet_v1_025_64(rng: np.random.Generator) -> bytes:
    """The VWW network on a 64x64x3 input (same layers, 2x2 final map), for quick CI runs."""
    return vww_mobilenet_v1_025(rng, size=64)


def person_detect_like(rng: np.random.Generator) -> bytes:
    """TFLM person_detection: MobileNetV1 0.25 on 96x96x1 grayscale; AVERAGE_POOL_2D 3x3,
    CONV_2D 1x1 classifier (2 classes), RESHAPE, SOFTMAX."""
    net = Net(rng)
    x = net.input((1, 96, 96, 1), scale=1.0 / 255, zero_point=-128)
    x = _mobilenet_v1_body(net, x)
    x = net.avgpool(x, (x.shape[1], x.shape[2]), 2, "VALID")
    x = net.conv(x, 2, 1, 1, "SAME", "NONE", name="conv_preds", out_std=2.0)
    x = net.reshape(x, (1, 2))
    return net.build([net.softmax(x)])


def resnet8(rng: np.random.Generator) -> bytes:
    """MLPerf Tiny Image Classification ResNet-8 on CIFAR-10 (32x32x3): conv 3x3 16, three
    residual stacks (16, 32/2, 64/2) whose strided ones have a 1x1 stride-2 shortcut conv,
    ADD with fused RELU, AVERAGE_POOL_2D 8x8, RESHAPE, FULLY_CONNECTED 10, SOFTMAX."""
    net = Net(rng)
    x = net.input((1, 32, 32, 3), scale=1.0 / 255, zero_point=-128)
    x = net.conv(x, 16, 3, 1, "SAME", "RELU", name="conv2d")
    for filters, stride in ((16, 1), (32, 2), (64, 2)):
        y = net.conv(x, filters, 3, stride, "SAME", "RELU", name="conv2d")
        y = net.conv(y, filters, 3, 1, "SAME", "NONE", name="conv2d")
        if stride != 1:
            x = net.conv(x, filters, 1, stride, "SAME", "NONE", name="conv2d")
        x = net.add(x, y, act="RELU", name="add")
    x = net.avgpool(x, (x.shape[1], x.shape[2]), 1, "VALID")
    x = net.reshape(x, (1, x.shape[3]), name="flatten")
    x = net.fc(x, 10, name="dense", out_std=2.5)
    return net.build([net.softmax(x)])


def magic_wand_like(rng: np.random.Generator) -> bytes:
    """TFLM magic_wand: accelerometer 128x3x1; CONV_2D 8 (4x3) RELU, MAX_POOL_2D 3x3,
    CONV_2D 16 (4x1) RELU, MAX_POOL_2D 3x1 SAME, RESHAPE, FC 16 RELU, FC 4, SOFTMAX."""
    net = Net(rng)
    x = net.input((1, 128, 3, 1), scale=0.0235, zero_point=-3)
    x = net.conv(x, 8, (4, 3), 1, "SAME", "RELU", name="conv2d")
    x = net.maxpool(x, (3, 3), (3, 3), "VALID", name="max_pooling2d")
    x = net.conv(x, 16, (4, 1), 1, "SAME", "RELU", name="conv2d")
    x = net.maxpool(x, (3, 1), (3, 1), "SAME", name="max_pooling2d")
    x = net.reshape(x, (1, int(np.prod(x.shape[1:]))), name="flatten")
    x = net.fc(x, 16, act="RELU", name="dense")
    x = net.fc(x, 4, name="dense", out_std=2.0)
    return net.build([net.softmax(x)])


def ds_cnn_s(rng: np.random.Generator) -> bytes:
    """MLPerf Tiny Keyword Spotting DS-CNN (small): MFCC 49x10x1; CONV_2D 64 10x4/2 RELU,
    4 x (DEPTHWISE 3x3 RELU, CONV 1x1 64 RELU), AVERAGE_POOL_2D 25x5, RESHAPE, FC 12,
    SOFTMAX."""
    net = Net(rng)
    x = net.input((1, 49, 10, 1), scale=0.5847, zero_point=83)
    x = net.conv(x, 64, (10, 4), 2, "SAME", "RELU", name="conv2d")
    for i in range(4):
        x = net.dwconv(x, 3, 1, "SAME", "RELU", name="depthwise_conv2d")
        x = net.conv(x, 64, 1, 1, "SAME", "RELU", name="conv2d")
    x = net.avgpool(x, (x.shape[1], x.shape[2]), 1, "VALID")
    x = net.reshape(x, (1, 64), name="flatten")
    x = net.fc(x, 12, name="dense", out_std=2.5)
    return net.build([net.softmax(x)])


def float_io_edges(rng: np.random.Generator) -> bytes:
    """A float32-in / float32-out model as the converter writes it without
    inference_input_type=int8: QUANTIZE at the input, PAD ((0,1),(0,1)) before VALID
    stride-2 convs (Keras ZeroPadding2D), an int8 -> int8 QUANTIZE (requantization), MEAN as
    global pooling, FULLY_CONNECTED, SOFTMAX, DEQUANTIZE at the output. A second output, the
    int8 logits, is also read by the softmax."""
    net = Net(rng)
    x = net.input_float((1, 24, 24, 3))
    x = net.quantize(x)
    x = net.pad(x, [[0, 0], [0, 1], [0, 1], [0, 0]], name="zero_padding2d")
    x = net.conv(x, 16, 3, 2, "VALID", "RELU6", name="conv", out_std=2.0)
    x = net.dwconv(x, 3, 1, "SAME", "RELU6", name="depthwise", out_std=2.0)
    x = net.conv(x, 24, 1, 1, "SAME", "NONE", name="project")
    x = net.quantize(x, name="requantize", range_scale=0.6)
    x = net.pad(x, [[0, 0], [0, 1], [0, 1], [0, 0]], name="zero_padding2d")
    x = net.dwconv(x, 3, 2, "VALID", "RELU", name="depthwise")
    x = net.mean(x, (1, 2), keep_dims=False, name="global_average_pooling2d")
    logits = net.fc(x, 5, name="dense", out_std=2.0)
    probs = net.dequantize(net.softmax(logits), name="Identity")
    return net.build([probs, logits])


def inception_concat(rng: np.random.Generator) -> bytes:
    """Inception-style branches joined by CONCATENATION (inputs share the output's
    quantization, as converters force it): a module of 1x1 / 1x1-3x3 / 1x1-3x3-3x3 /
    avgpool-1x1 branches, then a reduction module concatenating a stride-2 conv with a
    stride-2 MAX_POOL of its own input; MEAN, FC 10, SOFTMAX."""
    net = Net(rng)
    x = net.input((1, 32, 32, 3), scale=1.0 / 128, zero_point=0)
    x = net.conv(x, 32, 3, 2, "SAME", "RELU", name="stem")
    b1 = net.conv(x, 16, 1, 1, "SAME", "RELU", name="mixed/b1x1")
    b2 = net.conv(x, 12, 1, 1, "SAME", "RELU", name="mixed/b3x3_reduce")
    b2 = net.conv(b2, 16, 3, 1, "SAME", "RELU", name="mixed/b3x3")
    b3 = net.conv(x, 8, 1, 1, "SAME", "RELU", name="mixed/bdbl_reduce")
    b3 = net.conv(b3, 12, 3, 1, "SAME", "RELU", name="mixed/bdbl_1")
    b3 = net.conv(b3, 12, 3, 1, "SAME", "RELU", name="mixed/bdbl_2")
    b4 = net.avgpool(x, 3, 1, "SAME", name="mixed/pool")
    b4 = net.conv(b4, 8, 1, 1, "SAME", "RELU", name="mixed/pool_proj")
    x = net.concat([b1, b2, b3, b4], axis=3, name="mixed")
    r1 = net.conv(x, 24, 3, 2, "SAME", "RELU", name="reduce/b3x3")
    r2 = net.maxpool(x, 3, 2, "SAME", name="reduce/pool")
    x = net.concat([r1, r2], axis=3, name="reduce")
    x = net.mean(x, (1, 2), keep_dims=False, name="global_average_pooling2d")
    x = net.fc(x, 10, name="dense", out_std=2.0)
    return net.build([net.softmax(x)])


def _inverted_residual(net: Net, x: _T, expand, out, k, stride, se, act, i) -> _T:
    """MobileNetV3 bneck: 1x1 expand, depthwise kxk, squeeze-excite, 1x1 project, residual."""
    def activate(t, nm):
        return net.hard_swish(t, name=nm) if act == "HS" else t

    fused = "RELU" if act == "RE" else "NONE"
    inp = x
    if expand != x.shape[3]:
        x = activate(net.conv(x, expand, 1, 1, "SAME", fused, name=f"expanded_conv_{i}/expand"),
                     f"expanded_conv_{i}/expand/hard_swish")
    x = activate(net.dwconv(x, k, stride, "SAME", fused, name=f"expanded_conv_{i}/depthwise"),
                 f"expanded_conv_{i}/depthwise/hard_swish")
    if se:
        s = net.mean(x, (1, 2), keep_dims=True, name=f"expanded_conv_{i}/squeeze_excite/avg")
        s = net.conv(s, max(8, expand // 4), 1, 1, "SAME", "RELU",
                     name=f"expanded_conv_{i}/squeeze_excite/conv")
        s = net.conv(s, expand, 1, 1, "SAME", "NONE", out_std=2.5,
                     name=f"expanded_conv_{i}/squeeze_excite/conv_1")
        s = net.hard_sigmoid(s, name=f"expanded_conv_{i}/squeeze_excite/hard_sigmoid")
        x = net.mul(x, s, name=f"expanded_conv_{i}/squeeze_excite/mul")
    x = net.conv(x, out, 1, 1, "SAME", "NONE", name=f"expanded_conv_{i}/project")
    if stride == 1 and inp.shape[3] == out:
        x = net.add(inp, x, name=f"expanded_conv_{i}/add")
    return x


def mobilenet_v3_block(rng: np.random.Generator) -> bytes:
    """MobileNetV3-small-ish on 64x64x3: conv 3x3/2 + HARD_SWISH, bnecks with RELU or
    HARD_SWISH, squeeze-excite (MEAN keep_dims, 1x1 convs, hard sigmoid as ADD/RELU6/MUL, MUL
    broadcast over H, W), residual ADDs, MEAN, 1x1 conv head + HARD_SWISH, 1x1 classifier,
    RESHAPE, SOFTMAX."""
    net = Net(rng)
    x = net.input((1, 64, 64, 3), scale=1.0 / 128, zero_point=0)
    x = net.hard_swish(net.conv(x, 16, 3, 2, "SAME", "NONE", name="conv"), name="conv/hard_swish")
    cfg = [(16, 16, 3, 2, True, "RE"), (72, 24, 3, 2, False, "RE"), (88, 24, 3, 1, False, "RE"),
           (96, 40, 5, 2, True, "HS"), (240, 40, 5, 1, True, "HS")]
    for i, (e, o, k, s, se, a) in enumerate(cfg):
        x = _inverted_residual(net, x, e, o, k, s, se, a, i)
    x = net.hard_swish(net.conv(x, 96, 1, 1, "SAME", "NONE", name="conv_1"), name="conv_1/hard_swish")
    x = net.mean(x, (1, 2), keep_dims=True, name="global_average_pooling2d")
    x = net.hard_swish(net.conv(x, 128, 1, 1, "SAME", "NONE", name="conv_2"), name="conv_2/hard_swish")
    x = net.conv(x, 10, 1, 1, "SAME", "NONE", name="logits", out_std=2.0)
    x = net.reshape(x, (1, 10), name="flatten")
    return net.build([net.softmax(x)])


def _make_divisible(v, divisor=8):
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def mobilenet_v2_035(rng: np.random.Generator, size: int = 64) -> bytes:
    """Keras MobileNetV2 alpha 0.35 (a common VWW / person-detection backbone) on 64x64x3:
    stride-2 stages as ZeroPadding2D (PAD) + VALID conv / depthwise, inverted residuals with
    RELU6 expansions, linear bottlenecks, residual ADDs without activation, a 1280-wide 1x1
    head, MEAN global pooling, FC 1 and a LOGISTIC (sigmoid) output."""
    net = Net(rng)
    x = net.input((1, size, size, 3), scale=1.0 / 128, zero_point=0)
    first = _make_divisible(32 * 0.35)
    x = net.pad(x, [[0, 0], [0, 1], [0, 1], [0, 0]], name="Conv1_pad")
    x = net.conv(x, first, 3, 2, "VALID", "RELU6", name="Conv1")
    x = net.dwconv(x, 3, 1, "SAME", "RELU6", name="expanded_conv_depthwise")
    x = net.conv(x, _make_divisible(16 * 0.35), 1, 1, "SAME", "NONE", name="expanded_conv_project")
    cfg = [(24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6),
           (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6),
           (160, 1, 6), (160, 1, 6), (320, 1, 6)]
    for i, (c, s, e) in enumerate(cfg, 1):
        inp = x
        out = _make_divisible(c * 0.35)
        y = net.conv(x, x.shape[3] * e, 1, 1, "SAME", "RELU6", name=f"block_{i}_expand")
        if s == 2:
            y = net.pad(y, [[0, 0], [0, 1], [0, 1], [0, 0]], name=f"block_{i}_pad")
            y = net.dwconv(y, 3, 2, "VALID", "RELU6", name=f"block_{i}_depthwise")
        else:
            y = net.dwconv(y, 3, 1, "SAME", "RELU6", name=f"block_{i}_depthwise")
        y = net.conv(y, out, 1, 1, "SAME", "NONE", name=f"block_{i}_project")
        x = net.add(inp, y, name=f"block_{i}_add") if s == 1 and inp.shape[3] == out else y
    x = net.conv(x, 1280, 1, 1, "SAME", "RELU6", name="Conv_1")
    x = net.mean(x, (1, 2), keep_dims=False, name="global_average_pooling2d")
    x = net.fc(x, 1, name="dense", out_std=2.0)
    return net.build([net.logistic(x)])


def tiny_yolo_like(rng: np.random.Generator) -> bytes:
    """A tiny-YOLO-style detector backbone on 64x64x3: CONV_2D + LEAKY_RELU(0.1) +
    MAX_POOL_2D 2x2/2 stages, a route (CONCATENATION of a 1x1 branch with the trunk), a raw
    1x1 detection head (int8 output, no activation) and its DEQUANTIZE as a second,
    float32 output."""
    net = Net(rng)
    x = net.input((1, 64, 64, 3), scale=1.0 / 255, zero_point=-128)
    for i, c in enumerate((8, 16, 32)):
        x = net.leaky_relu(net.conv(x, c, 3, 1, "SAME", "NONE", name=f"conv_{i}"),
                           name=f"leaky_{i}")
        x = net.maxpool(x, 2, 2, "VALID", name=f"maxpool_{i}")
    trunk = net.leaky_relu(net.conv(x, 64, 3, 1, "SAME", "NONE", name="conv_3"), name="leaky_3")
    route = net.leaky_relu(net.conv(x, 16, 1, 1, "SAME", "NONE", name="route_conv"),
                           name="leaky_route")
    x = net.concat([trunk, route], axis=3, name="route")
    x = net.leaky_relu(net.conv(x, 32, 3, 1, "SAME", "NONE", name="conv_4"), name="leaky_4")
    head = net.conv(x, 3 * (5 + 2), 1, 1, "SAME", "NONE", name="detections", out_std=3.0)
    return net.build([head, net.dequantize(head, name="detections_float")])


NETWORKS: dict[str, Callable[[np.random.Generator], bytes]] = {
    "vww_mobilenet_v1_025": vww_mobilenet_v1_025,
    "vww_mobilenet_v1_025_64": vww_mobilenet_v1_025_64,
    "resnet8": resnet8,
    "person_detect_like": person_detect_like,
    "magic_wand_like": magic_wand_like,
    "ds_cnn_s": ds_cnn_s,
    "float_io_edges": float_io_edges,
    "inception_concat": inception_concat,
    "mobilenet_v3_block": mobilenet_v3_block,
    "mobilenet_v2_035": mobilenet_v2_035,
    "tiny_yolo_like": tiny_yolo_like,
}
