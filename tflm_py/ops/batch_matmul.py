"""BATCH_MATMUL room: int8 and int16 (both inputs and the output of one type, per-tensor
quantization), ranks 2 to 5 with broadcast batch dimensions, adj_x / adj_y, either input
constant or not.

TFLM (micro/kernels/batch_matmul.cc + micro reference batch_matmul.h): out[..., a, c] =
sum_k (lhs[..., a, k] - lhs_zp) * (rhs[..., k, c] - rhs_zp), accumulated in int32 (int8,
wrapping) or int64 (int16, whose zero points TFLM requires to be 0); one multiplier from
QuantizeMultiplier(double(float(lhs_scale * rhs_scale)) / out_scale)
(GetQuantizedConvolutionMultipler without bias: the product is taken in float32),
then MultiplyByQuantizedMultiplier (int32 variant for int8, the int64 variant with the
multiplier reduced to 16 bits for int16), + output zero point, clamp to the type range
(BATCH_MATMUL has no fused activation). TFLM transposes operands into persistent buffers and
flattens batch dimensions where it can; neither changes the sums.

Our kernel (kernels_c/batch_matmul.c) wants both operands with the depth contiguous: a
constant RHS that is not already [.., C, K] (adj_y) is transposed at generation time into a
constant; a non-constant one, and an adj_x LHS, are transposed into scratch per batch.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..errors import UnsupportedError
from .. import quant
from . import _conv_common as cc

OPS = ("BATCH_MATMUL",)
INPLACE = None
# Without its scratch the kernel reads the matrices in place with their strides (slower, no
# buffer): TFLM keeps its transposed copies outside the planned arena, so the planner may
# drop ours to stay within TFLM's arena or a RAM budget.
SCRATCH_OPTIONAL = True
# per MAC: the depth-contiguous SMLAD/SMLALD dot products, the strided portable loop; per
# transposed element: the copy into scratch (estimates for the planner's trade-off)
INSTRUCTIONS_PER_MAC = {"transposed": 1.5, "strided": 8.0}
INSTRUCTIONS_PER_TRANSPOSED = 6.0


def _tensors(op, model):
    return model.tensor(op.inputs[0]), model.tensor(op.inputs[1]), model.tensor(op.outputs[0])


def _adj(op):
    o = op.options
    return bool(getattr(o, "adj_x", False)), bool(getattr(o, "adj_y", False))


def _out_shape(ls, rs, adj_x, adj_y):
    rank = max(len(ls), len(rs))
    le = (1,) * (rank - len(ls)) + tuple(ls)
    re = (1,) * (rank - len(rs)) + tuple(rs)
    batch = []
    for a, b in zip(le[:-2], re[:-2]):
        if a != b and a != 1 and b != 1:
            raise UnsupportedError(f"batch dimensions {a} and {b} do not broadcast")
        batch.append(max(a, b))
    rows = le[-1] if adj_x else le[-2]
    depth_l = le[-2] if adj_x else le[-1]
    depth_r = re[-1] if adj_y else re[-2]
    cols = re[-2] if adj_y else re[-1]
    if depth_l != depth_r:
        raise UnsupportedError(f"depths differ: lhs {depth_l}, rhs {depth_r}")
    return tuple(batch) + (rows, cols), le, re, rows, depth_l, cols


def check(op, model) -> None:
    if len(op.inputs) != 2 or len(op.outputs) != 1:
        raise UnsupportedError("expects two inputs (lhs, rhs) and one output")
    lhs, rhs, y = _tensors(op, model)
    if lhs is None or rhs is None or y is None:
        raise UnsupportedError("an input or the output tensor is missing")
    if np.float32 in (lhs.dtype, rhs.dtype, y.dtype):
        raise UnsupportedError("float32 BATCH_MATMUL is not supported (only int8 and int16)")
    if not (lhs.dtype == rhs.dtype == y.dtype) or lhs.dtype not in (np.int8, np.int16):
        raise UnsupportedError(f"lhs, rhs and output must all be int8 or all int16, got "
                               f"{lhs.type_name}, {rhs.type_name}, {y.type_name}")
    for t, what in ((lhs, "lhs"), (rhs, "rhs"), (y, "output")):
        q = cc.check_quantized(t, what, t.dtype)
        if q.per_channel:
            raise UnsupportedError(f"{what} must be quantized per tensor")
        zp = int(q.zero_points[0])
        if t.dtype == np.int16 and zp != 0:
            raise UnsupportedError(f"int16 {what} zero point must be 0 (TFLM requires it)")
        if t.dtype == np.int8 and not -128 <= zp <= 127:
            raise UnsupportedError(f"{what} zero point {zp} outside int8")
    for t, what in ((lhs, "lhs"), (rhs, "rhs")):
        if not 2 <= len(t.shape) <= 5:
            raise UnsupportedError(f"{what} has rank {len(t.shape)} (TFLM takes 2 to 5)")
    want = _out_shape(lhs.shape, rhs.shape, *_adj(op))[0]
    if tuple(y.shape) != want:
        raise UnsupportedError(f"output shape {tuple(y.shape)} is not the computed {want}")
    if min(want) < 1:
        raise UnsupportedError("empty operand")


def macs(op, model) -> int:
    lhs, rhs, y = _tensors(op, model)
    _, _, _, rows, depth, cols = _out_shape(lhs.shape, rhs.shape, *_adj(op))
    return int(y.size) * int(depth)


def _batch_strides(ext, out_batch):
    mat = ext[-1] * ext[-2]
    dims = list(ext[:-2])
    strides = []
    for i, d in enumerate(dims):
        inner = int(np.prod(dims[i + 1:], dtype=np.int64)) * mat
        strides.append(inner if d != 1 else 0)
    pad = 3 - len(dims)
    return [0] * pad + strides, [1] * pad + list(out_batch)


def _rhs_pretransposed(op, model) -> bool:
    """A constant RHS not in [.., C, K] layout gets a transposed constant copy."""
    rhs = model.tensor(op.inputs[1])
    return rhs.is_constant and not _adj(op)[1]


def scratch_bytes(op, model) -> int:
    lhs, rhs, _ = _tensors(op, model)
    adj_x, adj_y = _adj(op)
    _, _, _, rows, depth, cols = _out_shape(lhs.shape, rhs.shape, adj_x, adj_y)
    n = (rows * depth if adj_x else 0)
    if not adj_y and not _rhs_pretransposed(op, model):
        n += cols * depth
    return n * lhs.dtype.itemsize + (4 if n else 0)


def kernel_variants(op, model) -> list:
    """Fastest first: operands transposed into scratch for the contiguous dot products;
    without scratch the strided loop."""
    n = macs(op, model)
    s = scratch_bytes(op, model)
    if s == 0:
        return [{"name": "contiguous dot products", "scratch": 0,
                 "instructions": round(INSTRUCTIONS_PER_MAC["transposed"] * n)}]
    lhs, rhs, y = _tensors(op, model)
    _, _, _, rows, depth, cols = _out_shape(lhs.shape, rhs.shape, *_adj(op))
    batches = max(1, int(y.size) // max(rows * cols, 1))
    moved = batches * (s - 4) // lhs.dtype.itemsize
    return [{"name": "transpose + dot products", "scratch": s,
             "instructions": round(INSTRUCTIONS_PER_MAC["transposed"] * n
                                   + INSTRUCTIONS_PER_TRANSPOSED * moved)},
            {"name": "strided dot products", "scratch": 0,
             "instructions": round(INSTRUCTIONS_PER_MAC["strided"] * n)}]


def prepare(op, model):
    lhs, rhs, y = _tensors(op, model)
    adj_x, adj_y = _adj(op)
    out_shape, le, re, rows, depth, cols = _out_shape(lhs.shape, rhs.shape, adj_x, adj_y)
    out_batch = out_shape[:-2]
    ls, lo = _batch_strides(le, out_batch)
    rs, _ = _batch_strides(re, out_batch)
    # GetQuantizedConvolutionMultipler's 4-argument form: the scale product in float32, then
    # the division in double (unlike the conv rooms' per-channel path, all in double)
    product = np.float32(lhs.quantization.scale) * np.float32(rhs.quantization.scale)
    real = float(product) / float(np.float32(y.quantization.scale))
    mult, shift = quant.quantize_multiplier(real)
    is16 = lhs.dtype == np.int16
    info = np.iinfo(lhs.dtype)
    return SimpleNamespace(
        is16=is16, adj_x=adj_x, adj_y=adj_y, rows=rows, depth=depth, cols=cols,
        batch_dims=lo, lhs_strides=ls, rhs_strides=rs,
        lhs_offset=-int(lhs.quantization.zero_point), rhs_offset=-int(rhs.quantization.zero_point),
        output_offset=int(y.quantization.zero_point),
        multiplier=int(quant.reduced_multiplier(mult)) if is16 else int(mult), shift=int(shift),
        act_min=int(info.min), act_max=int(info.max),
        rhs_pretransposed=_rhs_pretransposed(op, model))


def simulate(op, model, params, inputs):
    p = params
    y = model.tensor(op.outputs[0])
    a = inputs[0].astype(np.int64) + p.lhs_offset
    b = inputs[1].astype(np.int64) + p.rhs_offset
    if p.adj_x:
        a = np.swapaxes(a, -1, -2)
    if p.adj_y:
        b = np.swapaxes(b, -1, -2)
    acc = np.matmul(a, b)
    if p.is16:
        out = quant.requantize_reduced_int64(acc, p.multiplier, p.shift)
    else:
        out = quant.multiply_by_quantized_multiplier(quant.wrap_int32(acc), p.multiplier,
                                                     p.shift)
    out = np.clip(out + p.output_offset, p.act_min, p.act_max).astype(y.dtype)
    return [out.reshape(y.shape)]


def emit(op, model, params, cg) -> str:
    p = params
    cg.use_kernel("batch_matmul")
    h = f"batch_matmul_{op.index}"
    rhs_ptr = cg.ptr(op.inputs[1])
    rhs_adj = int(p.adj_y)
    if p.rhs_pretransposed:
        rhs = model.tensor(op.inputs[1])
        t = np.swapaxes(rhs.data, -1, -2)
        ctype = "int16_t" if p.is16 else "int8_t"
        rhs_ptr = cg.const_array(ctype, t.ravel(), h + "_rhs_t")
        rhs_adj = 1
    fields = {
        "batch_dims": "{" + ", ".join(str(int(v)) for v in p.batch_dims) + "}",
        "lhs_strides": "{" + ", ".join(str(int(v)) for v in p.lhs_strides) + "}",
        "rhs_strides": "{" + ", ".join(str(int(v)) for v in p.rhs_strides) + "}",
        "rows": p.rows, "depth": p.depth, "cols": p.cols,
        "lhs_adj": int(p.adj_x), "rhs_adj": rhs_adj,
        "lhs_offset": p.lhs_offset, "rhs_offset": p.rhs_offset,
        "output_offset": p.output_offset, "multiplier": p.multiplier, "shift": p.shift,
        "act_min": p.act_min, "act_max": p.act_max,
    }
    name = cg.param_struct("tflm_batch_matmul_params_t", fields, h)
    scratch = cg.scratch(op) if scratch_bytes(op, model) else "NULL"
    fn = "tflm_batch_matmul_s16" if p.is16 else "tflm_batch_matmul_s8"
    return (f"{fn}(&{name}, {cg.ptr(op.inputs[0])}, {rhs_ptr}, {cg.ptr(op.outputs[0])}, "
            f"{scratch});")
