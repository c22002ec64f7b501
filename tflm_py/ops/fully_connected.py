"""FULLY_CONNECTED room: int8 activations, int8 weights [O, K] (per-tensor, or per-channel
along dim 0), optional int32 bias, keep_num_dims, any number of batches (the input is read
as [flat_size / K, K]), fused NONE/RELU/RELU6/RELU_N1_TO_1.

TFLM's reference kernels:
- per-tensor (FullyConnected): acc = sum (w - w_zp) * (x - x_zp) + bias.
- per-channel (FullyConnectedPerChannel): acc = sum w * (x - x_zp) + bias (weight zero point
  ignored).
Both take the multiplier from double(in_scale) * double(filter_scale) / double(out_scale)
(verified against the oracle: a float32 product would differ by one in rare cases).
Then MultiplyByQuantizedMultiplier, + output_zp, clamp to the activation range.
Any output rank: the batches are every output element but the last dimension (TFLM does so
for per-channel weights too: checked against the oracle with 3-D outputs, a Dense on a
sequence).

16x8 (int16 activations, int8 weights, int64 / int32 / no bias): acc = sum (w - w_zp) * x
(w_zp only per tensor; no activation zero points), + bias, requantised as
quant.requantize_16x8.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from .. import quant
from . import _conv_common as cc
from .conv_2d import _expand

OPS = ("FULLY_CONNECTED",)
# The kernel writes one output row at a time and reads only that row's input while it does
# (kernels_c/fully_connected.c): the planner may overlap output and a dying input.
INPLACE = "overlap"


def overlap_reads(op, model):
    """(unit_bytes, min_read) for the planner's "overlap" rule: one unit = one output row."""
    from ._overlap import fc_overlap_reads
    g = _geometry(op, model)
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    return fc_overlap_reads(g.batches, g.accum_depth, g.output_depth, x.dtype.itemsize,
                            y.dtype.itemsize)


def _geometry(op, model):
    w = model.tensor(op.inputs[1])
    y = model.tensor(op.outputs[0])
    k = int(w.shape[-1])
    o = int(w.shape[0])
    batches = y.size // o if o else 0
    return SimpleNamespace(batches=batches, accum_depth=k, output_depth=o)


def check(op, model) -> None:
    if len(op.inputs) < 2 or len(op.outputs) != 1:
        raise UnsupportedError("expects inputs (input, weights[, bias]) and one output")
    x, y = cc.check_activation_io(model, op)
    w = model.tensor(op.inputs[1])
    if w is None:
        raise UnsupportedError("weights tensor is missing")
    if len(w.shape) != 2:
        raise UnsupportedError(f"weights must be 2-D [out, in], got shape {w.shape}")
    fmt = getattr(op.options, "weights_format", 0)
    if fmt not in (0, "DEFAULT"):
        raise UnsupportedError(f"weights_format {fmt} is not supported (only DEFAULT)")
    per_channel = w.quantization is not None and len(w.quantization.scales) > 1
    # per-tensor FC applies the weight zero point (TFLM keeps it for compatibility)
    cc.check_filter(model, op, 0, w.shape[0], allow_zero_point=not per_channel)
    wq = w.quantization
    if not per_channel and not -128 <= int(wq.zero_points[0]) <= 127:
        raise UnsupportedError("weights zero point outside int8")
    cc.check_act(op)
    o, k = w.shape
    if len(y.shape) < 1 or y.shape[-1] != o:
        raise UnsupportedError(f"output depth {y.shape[-1] if y.shape else None} != weights "
                               f"rows {o}")
    if k < 1 or o < 1:
        raise UnsupportedError("empty weights")
    batches = y.size // o
    if x.size != batches * k:
        raise UnsupportedError(f"input of {x.size} elements is not {batches} batches of {k}")
    cc.check_bias(model, op, o)


def macs(op, model) -> int:
    g = _geometry(op, model)
    return g.batches * g.output_depth * g.accum_depth


def prepare(op, model):
    g = _geometry(op, model)
    x = model.tensor(op.inputs[0])
    w = model.tensor(op.inputs[1])
    y = model.tensor(op.outputs[0])
    act = cc.check_act(op)
    wq = w.quantization
    g.per_channel = int(wq.per_channel)
    if g.per_channel:
        mult, shift = cc.per_channel_multipliers(x.quantization.scale, wq.scales,
                                                 y.quantization.scale, g.output_depth)
        g.filter_offset = 0
    else:
        # the oracle takes the product in double here too (checked with scales where the
        # float32 product would give a different multiplier)
        mult, shift = cc.per_channel_multipliers(x.quantization.scale, wq.scales[:1],
                                                 y.quantization.scale, 1)
        g.filter_offset = -int(wq.zero_points[0])
    g.multipliers, g.shifts = mult, shift
    g.output_shape = tuple(y.shape)
    g.io16 = cc.is_16x8(model, op)
    if g.io16:
        g.act_min, g.act_max, g.acc64 = cc.requantize_16x8_params(model, op, mult, shift, act)
        from .conv_2d import _fits32
        _fits32(op, model, g, np.abs(w.data.astype(np.int64) + g.filter_offset)
                .reshape(g.output_depth, -1))
        return g
    g.input_offset = -x.quantization.zero_point
    g.output_offset = y.quantization.zero_point
    g.act_min, g.act_max = quant.activation_range(act, y.quantization.scale,
                                                  y.quantization.zero_point)
    g.output_shape = tuple(y.shape)
    g.folded_bias = None
    if g.filter_offset == 0:
        # CMSIS-NN's trick, done here once: bias + input_offset * sum_k w[o][k] (wrapped to
        # int32 like the kernel's accumulator), so the DSP kernel multiplies raw int8 inputs
        wsum = w.data.astype(np.int64).reshape(g.output_depth, g.accum_depth).sum(axis=1)
        b = model.tensor(op.inputs[2]) if len(op.inputs) > 2 else None
        bias = b.data.astype(np.int64).reshape(-1) if b is not None else 0
        g.folded_bias = cc.wrap_int32(bias + int(g.input_offset) * wsum).astype(np.int64)
    wabs = np.abs(w.data.astype(np.int64) + g.filter_offset).reshape(g.output_depth, -1)
    wabs = wabs.sum(axis=1)
    g.small_acc = cc.small_acc(g.shifts, wabs, cc.bias_values(model, op), g.input_offset)
    return g


def simulate(op, model, params, inputs):
    p = params
    w = model.tensor(op.inputs[1]).data.astype(np.float64) + p.filter_offset
    bias = inputs[2] if len(inputs) > 2 else None
    x = inputs[0].astype(np.float64).reshape(p.batches, p.accum_depth)
    if not p.io16:
        x += p.input_offset
    # exact in float64: |terms| <= 255 * 255 (16x8: 2^15 * 255) and K far below 2^29
    acc = (x @ w.T).astype(np.int64)
    if bias is not None:
        acc += bias.astype(np.int64).reshape(1, -1)
    if p.io16:
        out = quant.requantize_16x8(acc, _expand(p.multipliers, p.output_depth),
                                    _expand(p.shifts, p.output_depth), p.acc64, p.act_min,
                                    p.act_max)
        return [out.reshape(p.output_shape)]
    acc = cc.wrap_int32(acc)
    out = cc.requantize_clamp(acc, _expand(p.multipliers, p.output_depth),
                              _expand(p.shifts, p.output_depth), p.output_offset, p.act_min,
                              p.act_max)
    return [out.reshape(p.output_shape)]


def _emit_s16(op, model, p, cg) -> str:
    cg.use_kernel("fully_connected_s16")
    h = f"fully_connected_{op.index}"
    fields = {k: int(getattr(p, k)) for k in (
        "batches", "accum_depth", "output_depth", "filter_offset")}
    fields["rq"] = cc.rq16_init(cg, p, h, p.output_depth)
    name = cg.param_struct("tflm_fully_connected_s16_params_t", fields, h)
    if getattr(p, "fits32", 0) and p.filter_offset == 0:
        # int8 rows padded to a multiple of 4, each group of four as 0, 2, 1, 3 (SXTB16
        # pairs): the weights' own flash
        w = model.tensor(op.inputs[1]).data.astype(np.int64).reshape(p.output_depth, -1)
        w = np.pad(w, ((0, 0), (0, (-w.shape[1]) % 4)))
        w8 = cg.const_array("int8_t", w.reshape(p.output_depth, -1, 4)[:, :, [0, 2, 1, 3]],
                            h + "_filter8")
        return (f"tflm_fully_connected_s16_s8w(&{name}, {cg.ptr(op.inputs[0])}, {w8}, "
                f"{cg.ptr(op.outputs[0])});")
    if getattr(p, "fits32", 0) and not cg.int8_weights():
        # a weight zero point (w + offset may leave int8): an int16 copy of the weights
        # (twice their flash; optimize="flash": the int8 loop below)
        w16 = model.tensor(op.inputs[1]).data.astype(np.int64) + p.filter_offset
        w16 = cg.widened_array(w16, h + "_filter16")
        return (f"tflm_fully_connected_s16_fast(&{name}, {cg.ptr(op.inputs[0])}, {w16}, "
                f"{cg.ptr(op.outputs[0])});")
    bias = cg.ptr(op.inputs[2]) if len(op.inputs) > 2 else "NULL"
    return (f"tflm_fully_connected_s16(&{name}, {cg.ptr(op.inputs[0])}, "
            f"{cg.ptr(op.inputs[1])}, {bias}, {cg.ptr(op.outputs[0])});")


def emit(op, model, params, cg) -> str:
    p = params
    if p.io16:
        return _emit_s16(op, model, p, cg)
    cg.use_kernel("fully_connected")
    h = f"fully_connected_{op.index}"
    mult = cc.c_array_or_name(cg, "int32_t", p.multipliers, h + "_mult")
    shift = cc.shift_array(cg, p.shifts, h + "_shift")
    fields = {k: int(getattr(p, k)) for k in (
        "batches", "accum_depth", "output_depth", "input_offset", "filter_offset",
        "output_offset", "act_min", "act_max", "per_channel")}
    fields["multipliers"] = mult
    fields["shifts"] = shift
    fields["folded_bias"] = ("NULL" if p.folded_bias is None else
                             cc.c_array_or_name(cg, "int32_t", p.folded_bias, h + "_folded_bias"))
    fields["small_acc"] = int(p.small_acc)
    name = cg.param_struct("tflm_fully_connected_params_t", fields, h)
    # the fast path known to run: the firmware links no reference loop, and reads the folded
    # bias instead of the model's (which then stays out of the model data)
    fast = p.filter_offset == 0 and p.folded_bias is not None
    fn = "tflm_fully_connected_fast_s8" if fast else "tflm_fully_connected_s8"
    bias = cg.ptr(op.inputs[2]) if len(op.inputs) > 2 and not fast else "NULL"
    return (f"{fn}(&{name}, {cg.ptr(op.inputs[0])}, "
            f"{cg.ptr(op.inputs[1])}, {bias}, {cg.ptr(op.outputs[0])});")
