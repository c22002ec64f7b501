#!/usr/bin/env python3
"""Hello world: TFLM's sine model on a (virtual) microcontroller, as a picture.

    python examples/hello_world/run.py

sweeps x over [0, 2*pi], quantizes every x with the model input's scale and zero point,
builds the firmware for the QEMU Cortex-M4 board (qemu-mps2-an386), runs every x on it over
the serial link, and draws hello_world.svg: the board's output (dequantized), the
simulator's, and sin(x). The board must match the simulator bit for bit (exit 0), and both
follow sin(x) as well as a 3-layer int8 network can.

A real board: flash it first (`cd hello_world-nucleo_l4r5zi && pio run -t upload`, after a
first run of this script with `--board nucleo_l4r5zi` has generated the project), then
`python examples/hello_world/run.py --board nucleo_l4r5zi --port /dev/ttyACM0`.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if (ROOT / "tflm_py").is_dir() and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))       # a checkout: works without installing tflm_py

import numpy as np  # noqa: E402

MODEL = HERE / "hello_world_int8.tflite"


def quantize(x, scale: float, zero_point: int) -> np.ndarray:
    return np.clip(np.round(np.asarray(x) / scale) + zero_point, -128, 127).astype(np.int8)


def dequantize(q, scale: float, zero_point: int) -> np.ndarray:
    return (np.asarray(q, dtype=np.float64) - zero_point) * scale


# --------------------------------------------------------------------------- the picture

def plot_svg(x, series, title: str, subtitle: str = "") -> str:
    """A line chart as standalone SVG. series: (label, xs, ys, style) with style "line",
    "dots" or "crosses"; colors follow the order."""
    width, height = 760, 460
    left, right, top, bottom = 64, 170, 64, 56
    pw, ph = width - left - right, height - top - bottom
    x0, x1 = 0.0, 2 * math.pi
    y0, y1 = -1.25, 1.25

    def X(v):
        return left + (v - x0) / (x1 - x0) * pw

    def Y(v):
        return top + (y1 - v) / (y1 - y0) * ph

    colors = ["#9e9e9e", "#1f77b4", "#ff7f0e", "#2ca02c"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="26" font-size="16" font-weight="bold">{escape(title)}</text>',
           f'<text x="{left}" y="46" fill="#555">{escape(subtitle)}</text>']
    # grid and axes
    for k, lab in enumerate(["0", "π/2", "π", "3π/2", "2π"]):
        gx = X(k * math.pi / 2)
        out.append(f'<line x1="{gx:.1f}" y1="{top}" x2="{gx:.1f}" y2="{top + ph}" '
                   f'stroke="#e6e6e6"/>')
        out.append(f'<text x="{gx:.1f}" y="{top + ph + 18}" text-anchor="middle">{lab}</text>')
    for v in (-1.0, -0.5, 0.0, 0.5, 1.0):
        gy = Y(v)
        out.append(f'<line x1="{left}" y1="{gy:.1f}" x2="{left + pw}" y2="{gy:.1f}" '
                   f'stroke="{"#bdbdbd" if v == 0 else "#e6e6e6"}"/>')
        out.append(f'<text x="{left - 8}" y="{gy + 4:.1f}" text-anchor="end">{v:g}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" '
               f'stroke="#444"/>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 14}" text-anchor="middle">x</text>')
    # series
    for k, (label, xs, ys, style) in enumerate(series):
        c = colors[k % len(colors)]
        g = [f'<g id="series-{k}" data-label="{escape(label)}" data-points="{len(xs)}">']
        if style == "line":
            pts = " ".join(f"{X(a):.1f},{Y(b):.1f}" for a, b in zip(xs, ys))
            g.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2"/>')
        elif style == "dots":
            g += [f'<circle cx="{X(a):.1f}" cy="{Y(b):.1f}" r="4.5" fill="none" stroke="{c}" '
                  f'stroke-width="1.8"/>' for a, b in zip(xs, ys)]
        else:
            for a, b in zip(xs, ys):
                px, py = X(a), Y(b)
                g.append(f'<path d="M{px - 3:.1f},{py - 3:.1f}L{px + 3:.1f},{py + 3:.1f}'
                         f'M{px - 3:.1f},{py + 3:.1f}L{px + 3:.1f},{py - 3:.1f}" '
                         f'stroke="{c}" stroke-width="1.5"/>')
        g.append("</g>")
        out += g
        # legend
        ly = top + 14 + 24 * k
        lx = left + pw + 16
        if style == "line":
            out.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 22}" y2="{ly - 4}" '
                       f'stroke="{c}" stroke-width="2"/>')
        elif style == "dots":
            out.append(f'<circle cx="{lx + 11}" cy="{ly - 4}" r="4.5" fill="none" '
                       f'stroke="{c}" stroke-width="1.8"/>')
        else:
            out.append(f'<path d="M{lx + 8},{ly - 7}L{lx + 14},{ly - 1}M{lx + 8},{ly - 1}'
                       f'L{lx + 14},{ly - 7}" stroke="{c}" stroke-width="1.5"/>')
        out.append(f'<text x="{lx + 30}" y="{ly}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------- main

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--board", default="qemu-mps2-an386",
                   help="board (default qemu-mps2-an386, the virtual Cortex-M4)")
    p.add_argument("--port", help="serial port of a real board already flashed")
    p.add_argument("--points", type=int, default=48, help="x values in [0, 2*pi] (default 48)")
    p.add_argument("--out", default="hello_world.svg", help="picture (default hello_world.svg)")
    p.add_argument("--project", help="project folder (default ./hello_world-<board>)")
    args = p.parse_args(argv)

    from tflm_py import boards, harness, load_model
    from tflm_py.errors import ModelError
    from tflm_py.simulator import Simulator

    model = load_model(MODEL)
    tin = model.tensors[model.inputs[0]]
    tout = model.tensors[model.outputs[0]]
    s_in, zp_in = float(tin.quantization.scales[0]), int(tin.quantization.zero_points[0])
    s_out, zp_out = float(tout.quantization.scales[0]), int(tout.quantization.zero_points[0])

    x = np.linspace(0.0, 2 * math.pi, max(2, args.points))
    q = quantize(x, s_in, zp_in)
    xq = dequantize(q, s_in, zp_in)          # the x the model actually sees
    sim = Simulator(model)
    y_sim = np.array([dequantize(sim.run([v.reshape(tin.shape)])[0], s_out, zp_out).item()
                      for v in q])

    project = Path(args.project or f"hello_world-{args.board}")
    try:
        boards.make_project(model, args.board, project)
        print(f"generated {project}/ for {args.board}; building and running "
              f"{len(q)} inputs on the board ...", flush=True)
        result = harness.validate_project(project, inputs=q.reshape(-1, *tin.shape),
                                          port=args.port)
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    y_dev = np.array([dequantize(s.outputs[0], s_out, zp_out).item() for s in result.samples])
    ok = sum(1 for s in result.samples if s.equal)
    n = len(result.samples)
    err = float(np.max(np.abs(y_dev - np.sin(xq))))

    dense = np.linspace(0.0, 2 * math.pi, 200)
    title = f"hello_world_int8 on {result.board or args.board}"
    sub = (f"{ok}/{n} board outputs bit-exact with the simulator; "
           f"max |board - sin(x)| = {err:.3f}")
    svg = plot_svg(x, [("sin(x)", dense, np.sin(dense), "line"),
                       ("simulator", xq, y_sim, "crosses"),
                       ("board", xq, y_dev, "dots")], title, sub)
    Path(args.out).write_text(svg)
    if result.bit_exact:
        print(f"{ok}/{n} samples bit-exact; max |board - sin(x)| = {err:.3f}")
    else:
        print(f"MISMATCH: {ok}/{n} samples bit-exact; first differing element: "
              f"{harness.describe_diff(result.first_mismatch)}")
    print(f"wrote {args.out}")
    return 0 if result.bit_exact else 1


if __name__ == "__main__":
    sys.exit(main())
