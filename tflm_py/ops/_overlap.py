"""Geometry of in-place ("overlap") execution, for rooms that declare INPLACE = "overlap".

A room with INPLACE = "overlap" offers `overlap_reads(op, model) -> (unit_bytes, min_read)`:

* the kernel writes its output in *units* of `unit_bytes` bytes, in ascending order
  (unit u covers output bytes [u*unit_bytes, (u+1)*unit_bytes));
* `min_read[u]` (numpy int64 array, one entry per unit) is the lowest byte offset of the
  input, relative to the start of the input tensor, that is read while computing unit u
  *or any later unit*;
* the kernel promises that while it computes unit u it reads no input byte below
  `min_read[u]` and writes only bytes of units <= u.

Then the output may start `d` bytes after the input start (d may be negative) for every
d <= `overlap_d_max(unit_bytes, min_read)`, provided the input dies at that op: every byte
written while computing units <= u lies below `input + min_read[u]`, so no byte is
overwritten before its last read.

The helpers here compute `min_read` exactly (vectorised) for sliding-window kernels
(CONV_2D, DEPTHWISE_CONV_2D, pooling, ...) whose loops run over output pixels in NHWC order
with all output channels of a pixel forming one unit, and for FULLY_CONNECTED, whose unit is
one output row.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def _first_tap(o: np.ndarray, stride: int, pad: int, k: int, dil: int, size: int):
    """For output coordinates `o` along one axis: the smallest input coordinate the window
    touches inside [0, size), and whether the window touches any input at all."""
    start = o * stride - pad                                   # coordinate of tap 0
    # smallest tap index t >= 0 with start + t*dil >= 0
    t = np.where(start >= 0, 0, (-start + dil - 1) // dil)
    coord = start + t * dil
    valid = (t < k) & (coord < size)
    return coord, valid


def window_overlap_reads(in_shape_nhwc: Sequence[int], out_shape_nhwc: Sequence[int],
                         filter_hw: Sequence[int], stride_hw: Sequence[int],
                         dilation_hw: Sequence[int], pad_hw: Sequence[int],
                         in_elem_bytes: int = 1, out_elem_bytes: int = 1):
    """`(unit_bytes, min_read)` of a sliding-window kernel.

    in_shape_nhwc / out_shape_nhwc: (N, H, W, C) of input and output; filter_hw: window
    (KH, KW); stride_hw, dilation_hw: (sh, sw), (dh, dw); pad_hw: (top, left) padding as the
    kernel applies it (taps at negative or too-large coordinates are skipped).
    A unit is one output pixel, all its channels: unit_bytes = C_out * out_elem_bytes. The
    lowest byte a unit reads is channel 0 of its first valid window row and column; units
    whose window lies entirely in the padding read nothing (they count as reading at the end
    of the input). min_read is the suffix minimum over the units in NHWC order.
    """
    n, h, w, c = (int(v) for v in in_shape_nhwc)
    on, oh, ow, oc = (int(v) for v in out_shape_nhwc)
    if on != n:
        raise ValueError(f"batch mismatch: input {n}, output {on}")
    kh, kw = (int(v) for v in filter_hw)
    sh, sw = (int(v) for v in stride_hw)
    dh, dw = (int(v) for v in dilation_hw)
    pt, pl = (int(v) for v in pad_hw)
    if min(kh, kw, sh, sw, dh, dw) < 1:
        raise ValueError("filter, stride and dilation must be >= 1")
    in_total = n * h * w * c * int(in_elem_bytes)
    unit_bytes = oc * int(out_elem_bytes)

    row, row_ok = _first_tap(np.arange(oh, dtype=np.int64), sh, pt, kh, dh, h)
    col, col_ok = _first_tap(np.arange(ow, dtype=np.int64), sw, pl, kw, dw, w)
    pix = row[:, None] * w + col[None, :]                              # (oh, ow)
    ok = row_ok[:, None] & col_ok[None, :]
    batch = np.arange(n, dtype=np.int64)[:, None, None] * (h * w)
    lowest = (batch + pix[None]) * (c * int(in_elem_bytes))            # (n, oh, ow)
    lowest = np.where(ok[None], lowest, in_total).reshape(-1)
    min_read = np.minimum.accumulate(lowest[::-1])[::-1].astype(np.int64)
    return unit_bytes, np.ascontiguousarray(min_read)


def fc_overlap_reads(batches: int, in_features: int, out_features: int,
                     in_elem_bytes: int = 1, out_elem_bytes: int = 1):
    """`(unit_bytes, min_read)` of FULLY_CONNECTED: unit b is output row b, computed from
    the whole input row b (bytes [b*in_row, (b+1)*in_row))."""
    in_row = int(in_features) * int(in_elem_bytes)
    unit_bytes = int(out_features) * int(out_elem_bytes)
    return unit_bytes, np.arange(int(batches), dtype=np.int64) * in_row


def overlap_d_max(unit_bytes: int, min_read) -> int:
    """The largest d (output start minus input start, in bytes) at which the output may be
    written over a dying input: min over units u of min_read[u] - (u+1)*unit_bytes."""
    min_read = np.asarray(min_read, dtype=np.int64)
    if min_read.size == 0:
        return 0      # an empty output: nothing is written
    ends = (np.arange(min_read.size, dtype=np.int64) + 1) * int(unit_bytes)
    return int(np.min(min_read - ends))


def overlap_span(in_bytes: int, out_bytes: int, d: int) -> int:
    """Bytes covered by an input of in_bytes at 0 and an output of out_bytes at d."""
    return max(in_bytes, d + out_bytes) - min(0, d)
