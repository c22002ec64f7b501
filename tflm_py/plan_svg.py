"""Draw a memory plan as a standalone SVG: x = op step, y = arena address (0 at the bottom).

One rectangle per arena tensor over the steps it is live (labelled with its index and size;
hover for name, offset and lifetime), hatched rectangles for scratch buffers, the arena top
and the lower bound as horizontal lines, and the peak step marked. Hand-written SVG, no
dependency.
"""
from __future__ import annotations

import colorsys
from xml.sax.saxutils import escape

_PALETTE_SEED = 0.61803398875


def _color(k: int) -> str:
    h = (k * _PALETTE_SEED) % 1.0
    r, g, b = colorsys.hls_to_rgb(h, 0.62, 0.55)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def _fmt(n: int) -> str:
    return f"{n:,}"


def _ticks(ymax: int) -> list:
    raw = max(ymax / 5, 1)
    mag = 10 ** (len(str(int(raw))) - 1)
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    out, a = [], 0
    while a <= ymax:
        out.append(int(a))
        a += step
    return out


def plan_svg(model, plan, title: str = "") -> str:
    n = len(plan.order)
    steps = n + 2                               # -1 (inputs written) .. n (outputs read)
    left, right, top, bottom = 78, 24, 56, 120
    col = max(26, min(64, 1000 // max(steps, 1)))
    pw = col * steps
    ph = 460
    width, height = left + pw + right, top + ph + bottom
    arena = max(plan.arena_bytes, 1)
    ymax = max(arena, plan.lower_bound_bytes, 1)

    def X(step):                                # left edge of a step column
        return left + (step + 1) * col

    def Y(addr):
        return top + ph - addr * ph / ymax

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="6" height="6" fill="#eeeeee"/>'
           '<line x1="0" y1="0" x2="0" y2="6" stroke="#777" stroke-width="2"/></pattern></defs>',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>']
    head = title or getattr(model, "name", "model")
    gap = plan.arena_bytes - plan.lower_bound_bytes
    out.append(f'<text x="{left}" y="20" font-size="14" font-weight="bold">'
               f'{escape(head)}: arena {_fmt(plan.arena_bytes)} bytes</text>')
    out.append(f'<text x="{left}" y="38">lower bound {_fmt(plan.lower_bound_bytes)} '
               f'(gap {_fmt(gap)}), no in-place bound {_fmt(plan.no_inplace_bound_bytes)}, '
               f'align {plan.align}, placement {escape(str(plan.strategy))}</text>')

    # peak column
    ps = plan.peak_step
    if -1 <= ps <= n:
        out.append(f'<rect x="{X(ps)}" y="{top}" width="{col}" height="{ph}" '
                   f'fill="#ffe9e9" stroke="none"/>')
    # grid and axes
    for s in range(-1, n + 1):
        out.append(f'<line x1="{X(s)}" y1="{top}" x2="{X(s)}" y2="{top + ph}" '
                   f'stroke="#f0f0f0"/>')
        if s == -1:
            lab = "in"
        elif s == n:
            lab = "out"
        else:
            op = model.operators[plan.order[s]]
            lab = f"#{op.index} {op.type}"
        cx, cy = X(s) + col / 2, top + ph + 10
        out.append(f'<text x="{cx:.1f}" y="{cy}" transform="rotate(50 {cx:.1f} {cy})" '
                   f'font-size="10">{escape(lab[:20])}</text>')
    for a in _ticks(ymax):
        out.append(f'<line x1="{left - 4}" y1="{Y(a):.1f}" x2="{left}" y2="{Y(a):.1f}" '
                   f'stroke="black"/>')
        out.append(f'<text x="{left - 6}" y="{Y(a) + 4:.1f}" text-anchor="end">{_fmt(a)}'
                   f'</text>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="black"/>')
    out.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" '
               f'stroke="black"/>')
    out.append(f'<text x="14" y="{top + ph / 2}" transform="rotate(-90 14 {top + ph / 2})" '
               f'text-anchor="middle">address (bytes)</text>')
    out.append(f'<text x="{left + pw / 2}" y="{height - 6}" text-anchor="middle">'
               f'step (op)</text>')

    # tensors
    labels = []
    for t, off in sorted(plan.offsets.items(), key=lambda kv: -plan.sizes[kv[0]]):
        size = plan.sizes[t]
        a, b = plan.lifetimes[t]
        x0, x1 = X(a) + 1, X(b) + col - 1
        y0, y1 = Y(off + size), Y(off)
        h = max(y1 - y0, 0.8)
        name = model.tensors[t].name
        tip = (f"tensor {t} {name}\n{_fmt(size)} bytes at [{_fmt(off)}, {_fmt(off + size)})\n"
               f"steps {a}..{b}")
        if t in plan.aliases:
            tip += f"\nalias of tensor {plan.aliases[t]}"
        if t in plan.inplace:
            src, rule, d = plan.inplace[t]
            tip += f"\n{rule} over tensor {src} (offset {d:+d})"
        out.append(f'<g><title>{escape(tip)}</title><rect x="{x0}" y="{y0:.1f}" '
                   f'width="{x1 - x0}" height="{h:.1f}" fill="{_color(t)}" fill-opacity="0.72" '
                   f'stroke="#333" stroke-width="0.6"/>')
        if h >= 12 and (x1 - x0) >= 24:
            label = f"t{t}" + (f" {_fmt(size)}B" if (x1 - x0) >= 70 else "")
            labels.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{(y0 + y1) / 2 + 4:.1f}" '
                          f'text-anchor="middle" font-size="10">{escape(label)}</text>')
        out.append('</g>')
    # scratch
    pos = {v: s for s, v in enumerate(plan.order)}
    for v, (off, size) in sorted(plan.scratch.items()):
        s = pos[v]
        y0, y1 = Y(off + size), Y(off)
        out.append(f'<g><title>scratch of op #{v}: {_fmt(size)} bytes at {_fmt(off)}</title>'
                   f'<rect x="{X(s) + 1}" y="{y0:.1f}" width="{col - 2}" '
                   f'height="{max(y1 - y0, 0.8):.1f}" fill="url(#hatch)" stroke="#555"/></g>')

    out += labels
    # arena top, bound, peak label
    out.append(f'<line x1="{left}" y1="{Y(plan.arena_bytes):.1f}" x2="{left + pw}" '
               f'y2="{Y(plan.arena_bytes):.1f}" stroke="#c00" stroke-width="1.5"/>')
    out.append(f'<text x="{left + pw - 2}" y="{Y(plan.arena_bytes) - 4:.1f}" '
               f'text-anchor="end" fill="#c00">arena {_fmt(plan.arena_bytes)}</text>')
    if plan.lower_bound_bytes != plan.arena_bytes:
        yb = Y(plan.lower_bound_bytes)
        out.append(f'<line x1="{left}" y1="{yb:.1f}" x2="{left + pw}" y2="{yb:.1f}" '
                   f'stroke="#06c" stroke-dasharray="6 4"/>')
        out.append(f'<text x="{left + pw - 2}" y="{yb + 12:.1f}" text-anchor="end" '
                   f'fill="#06c">bound {_fmt(plan.lower_bound_bytes)}</text>')
    if -1 <= ps <= n:
        what = "" if plan.peak_op is None else \
            f" op #{plan.peak_op} {model.operators[plan.peak_op].type}"
        xm = X(ps) + col / 2
        out.append(f'<line x1="{xm:.1f}" y1="{top}" x2="{xm:.1f}" y2="{top + ph}" '
                   f'stroke="#c00" stroke-dasharray="3 3"/>')
        out.append(f'<text x="{xm:.1f}" y="{top - 4}" text-anchor="middle" '
                   f'fill="#c00">peak{escape(what)}</text>')
    out.append('</svg>')
    return "\n".join(out) + "\n"
