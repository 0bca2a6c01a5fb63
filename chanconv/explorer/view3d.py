"""The channel explorer's 3-D view: the input volume, the kernel block of Y[o] and the output volume, in SVG.

An oblique projection drawn with plain SVG polygons (no JavaScript): channels recede up and to
the right, rows go down, columns go right. The picked element Y[o, u, v] is linked through the
three volumes: its c_i / groups × k_h × k_w window in the (padded) input, the kernel block K[o]
of the same shape, and the element itself in the c_o × m_h × m_w output, with the slice Y[o]
shaded.
"""

from __future__ import annotations

from .state import ExplorerState

__all__ = ["volumes_svg"]


class _Box:
    """A volume of depth × height × width units drawn at (ox, oy) with cell size s and channel step sc."""

    def __init__(self, depth: int, height: int, width: int, fit: float):
        self.d, self.h, self.w = depth, height, width
        self.s = max(2.0, min(14.0, fit / max(height, width)))
        self.sc = max(3.0, min(14.0, 0.6 * fit / max(depth, 1)))
        self.dx, self.dy = 0.75 * self.sc, 0.55 * self.sc
        self.ox = self.oy = 0.0

    @property
    def size(self) -> tuple[float, float]:
        return self.w * self.s + self.d * self.dx, self.h * self.s + self.d * self.dy

    def p(self, c: float, r: float, q: float) -> tuple[float, float]:
        return self.ox + q * self.s + c * self.dx, self.oy + self.d * self.dy + r * self.s - c * self.dy

    def faces(self, c0, c1, r0, r1, q0, q1, fill, stroke="#333", opacity=1.0, width=1.0) -> str:
        P = self.p
        polys = [
            [P(c0, r0, q0), P(c0, r0, q1), P(c0, r1, q1), P(c0, r1, q0)],  # front
            [P(c0, r0, q0), P(c0, r0, q1), P(c1, r0, q1), P(c1, r0, q0)],  # top
            [P(c0, r0, q1), P(c1, r0, q1), P(c1, r1, q1), P(c0, r1, q1)],  # right side
        ]
        shades = [fill, _shade(fill, 0.9), _shade(fill, 0.78)]
        return "".join(
            f'<polygon points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}" fill="{shade}" '
            f'fill-opacity="{opacity}" stroke="{stroke}" stroke-width="{width}"/>'
            for pts, shade in zip(polys, shades))

    def channel_lines(self) -> str:
        """One line per channel on the top face, so that the channels can be counted."""
        out = []
        for c in range(1, self.d):
            (x0, y0), (x1, y1) = self.p(c, 0, 0), self.p(c, 0, self.w)
            out.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="#777" '
                       'stroke-width="0.6"/>')
        return "".join(out)


def _shade(hex_color: str, f: float) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return f"#{int(r * f):02x}{int(g * f):02x}{int(b * f):02x}"


def volumes_svg(state: ExplorerState, *, projector: bool = False) -> str:
    """The 3-D view as an HTML fragment (a heading and one inline SVG)."""
    s = state.settings
    c_ig = s.c_i // s.groups
    p = s.padding
    fit = 230.0 if projector else 170.0
    font = 18 if projector else 12
    X = _Box(s.c_i, s.n_h + 2 * p, s.n_w + 2 * p, fit)
    K = _Box(c_ig, s.k_h, s.k_w, fit * 0.55)
    boxes = [X, K]
    Y = None
    if state.Y is not None:
        _, m_h, m_w = state.Y.shape
        Y = _Box(s.c_o, m_h, m_w, fit)
        boxes.append(Y)
    labels = [f"X: c_i × n_h × n_w = {s.c_i} × {s.n_h} × {s.n_w}" + (f" (+ padding {p})" if p else ""),
              f"K[{s.o}]: c_i{' / groups' if s.groups > 1 else ''} × k_h × k_w = {c_ig} × {s.k_h} × {s.k_w}"]
    if Y is not None:
        labels.append(f"Y: c_o × m_h × m_w = {s.c_o} × {Y.h} × {Y.w}")
    gap, top, x = 40.0, 2.2 * font, 10.0
    for b, text in zip(boxes, labels):
        b.ox, b.oy = x, top
        x += max(b.size[0], 0.56 * font * len(text)) + gap
    width = x - gap + 10
    height = top + max(b.size[1] for b in boxes) + 2.6 * font
    parts = [f'<svg width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
             f'font-family="system-ui, sans-serif" font-size="{font}">']
    # the input volume (padding included), the window of Y[o, u, v] in the channels of o's group
    parts.append(X.faces(0, X.d, 0, X.h, 0, X.w, "#fbe3d6"))
    if p:
        parts.append(X.faces(0, X.d, p, X.h - p, p, X.w - p, "#f4b69a", opacity=0.55, width=0.5))
    parts.append(X.channel_lines())
    e = state.element
    first = list(state.group_channels)[0] if e is not None else 0
    if e is not None:
        rows, cols = e.rows, e.cols
        parts.append(X.faces(first, first + c_ig, rows[0], rows[-1] + 1, cols[0], cols[-1] + 1, "#222222",
                             stroke="#000", opacity=0.45, width=1.5))
    parts.append(_label(X, labels[0], font))
    # the kernel block K[o]
    parts.append(K.faces(0, K.d, 0, K.h, 0, K.w, "#c9daf8", stroke="#000", width=1.5))
    parts.append(K.channel_lines())
    parts.append(_label(K, labels[1], font))
    if Y is not None:
        parts.append(Y.faces(0, Y.d, 0, Y.h, 0, Y.w, "#e2f0d9"))
        parts.append(Y.faces(s.o, s.o + 1, 0, Y.h, 0, Y.w, "#9fd18b", opacity=0.8, width=0.5))
        parts.append(Y.channel_lines())
        parts.append(Y.faces(s.o, s.o + 1, s.u, s.u + 1, s.v, s.v + 1, "#222222", stroke="#000", width=1.5))
        parts.append(_label(Y, labels[2], font))
        # the links: window → kernel block → element
        if e is not None:
            a = X.p(first + c_ig / 2, (rows[0] + rows[-1] + 1) / 2, cols[-1] + 1)
            b = K.p(c_ig / 2, K.h / 2, 0)
            c = K.p(c_ig / 2, K.h / 2, K.w)
            d = Y.p(s.o + 0.5, s.u + 0.5, s.v)
            for (x0, y0), (x1, y1) in ((a, b), (c, d)):
                parts.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="#000" '
                             'stroke-dasharray="5 4" stroke-width="1.5"/>')
    parts.append("</svg>")
    plus_b = f", + b[{s.o}]" if state.b is not None else ""
    caption = (f"<h4>3-D view: Y[{s.o}, {s.u}, {s.v}] = the sum over the {c_ig} × {s.k_h} × {s.k_w} window "
               f"(dark) times the kernel block K[{s.o}] (blue){plus_b}</h4>" if e is not None
               else "<h4>3-D view: no output Y for these settings</h4>")
    return caption + "".join(parts)


def _label(box: _Box, text: str, font: int) -> str:
    x, _ = box.p(0, box.h, 0)
    _, y = box.p(0, box.h, 0)
    return f'<text x="{x:.1f}" y="{y + 1.5 * font:.1f}">{text}</text>'
