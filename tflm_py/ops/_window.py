"""Sliding-window geometry shared by CONV_2D, DEPTHWISE_CONV_2D and the pooling rooms:
output size and leading padding as TFLM computes them, and the planner's overlap reads."""
from __future__ import annotations

from types import SimpleNamespace


def out_size_and_pad(padding: str, in_size: int, filter_size: int, stride: int,
                     dilation: int = 1) -> tuple[int, int]:
    """(output size, leading padding) as TFLM's ComputeOutSize / ComputePaddingWithOffset."""
    eff = (filter_size - 1) * dilation + 1
    if stride <= 0:
        return 0, 0
    if padding == "SAME":
        out = (in_size + stride - 1) // stride
    elif padding == "VALID":
        # C integer division truncates toward zero
        num = in_size + stride - eff
        out = num // stride if num >= 0 else -((-num) // stride)
    else:
        return 0, 0
    total = (out - 1) * stride + eff - in_size
    total = max(total, 0)
    return out, total // 2


def window_geometry(op, x_shape, filter_h: int, filter_w: int, dilated: bool = True):
    """The window fields every sliding-window room needs, from the op's options and the
    NHWC input shape: batches, input_h/w/c, filter_h/w, stride_h/w, dilation_h/w,
    output_h/w, pad_h/w, padding."""
    o = op.options
    sh, sw = int(getattr(o, "stride_h", 1)), int(getattr(o, "stride_w", 1))
    if dilated:
        dh, dw = int(getattr(o, "dilation_h_factor", 1)), int(getattr(o, "dilation_w_factor", 1))
    else:
        dh = dw = 1
    pad = getattr(o, "padding", "SAME")
    n, h, w, c = x_shape
    oh, pad_h = out_size_and_pad(pad, h, filter_h, sh, dh)
    ow, pad_w = out_size_and_pad(pad, w, filter_w, sw, dw)
    return SimpleNamespace(batches=n, input_h=h, input_w=w, input_c=c, filter_h=filter_h,
                           filter_w=filter_w, output_h=oh, output_w=ow, stride_h=sh,
                           stride_w=sw, dilation_h=dh, dilation_w=dw, pad_h=pad_h, pad_w=pad_w,
                           padding=pad)


def overlap_reads(op, model, g):
    """(unit_bytes, min_read) of a window kernel with geometry g (one unit = one output pixel,
    all channels), for rooms declaring INPLACE = "overlap"."""
    from ._overlap import window_overlap_reads
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    return window_overlap_reads(x.shape, y.shape, (g.filter_h, g.filter_w),
                                (g.stride_h, g.stride_w), (g.dilation_h, g.dilation_w),
                                (g.pad_h, g.pad_w), x.dtype.itemsize, y.dtype.itemsize)
