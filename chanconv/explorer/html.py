"""The channel explorer's picture: an :class:`~chanconv.explorer.state.ExplorerState` as HTML.

:func:`render` returns one self-contained HTML string (CSS included): the input channels, the
c_o × c_i / groups grid of kernels, the partial maps X[i] ⋆ K[o, i] of the picked output
channel o with their sum, + b[o] and = Y[o], the output channels, and the picked element's
written sum, each coloured on a labelled legend (value → colour). The picked element Y[o, u, v]
is outlined in every map (its window in the input channels, its cell in the partial maps and
in Y[o]).

Every map is a small PNG image (a palette of 101 colours, scaled up with sharp pixels) with the
outline drawn over it as a plain box, so that a redraw at the largest settings stays far below
150 KB; small maps are written out instead: their values in the cells, one block of monospace
text with the colours as its background (not a table, and no image: far less work for the
browser). ``projector=True`` writes
every text at 18 px or more, draws larger cells and shortens the written sum to one partial
sum per input channel (``full_terms=True`` writes every product). ``view3d=True`` adds a 3-D
drawing (SVG) of the input volume, the kernel block of Y[o] and the output volume.
"""

from __future__ import annotations

import base64
import html
import re
import struct
import zlib
from functools import lru_cache

import numpy as np

from ..course.element import format_number
from .state import ExplorerState
from .view3d import volumes_svg

__all__ = ["render", "render_sections", "SECTIONS", "status_html", "timing_html", "legend_html", "grid_html", "color",
           "CSS"]

LEVELS = 50  # the palette: 2·LEVELS + 1 colours from −lim (blue) through 0 (white) to +lim (red)
PAD_GREY = (226, 226, 226)
FULL_TERMS_MAX = 64  # write every product when there are at most this many (outside projector mode)

CSS = """<style>
.ccx { font-family: system-ui, sans-serif; font-size: 13px; color: #111; }
.ccx h4 { margin: 10px 0 4px 0; font-size: 14px; }
.ccx .row { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
.ccx .opfig { display: flex; gap: 10px; align-items: center; }
.ccx .cap { font-size: 12px; color: #222; text-align: center; margin: 2px 0; }
.ccx .op { font-size: 22px; color: #444; padding: 0 2px; }
.ccx .m { position: relative; margin: auto; }
.ccx .m img { position: absolute; left: 0; top: 0; width: 100%; height: 100%; image-rendering: pixelated;
  image-rendering: crisp-edges; border: 1px solid #bbb; box-sizing: border-box; }
.ccx .ob, .ccx .ot, .ccx .od { position: absolute; box-sizing: border-box; pointer-events: none; }
.ccx .ob { border: 2px solid #111; }
.ccx .ot { border: 1.5px solid #111; }
.ccx table.kgrid { border-collapse: collapse; }
.ccx table.kgrid td.kc { padding: 3px; vertical-align: middle; border: 0; }
.ccx table.kgrid th { font-weight: normal; font-size: 12px; padding: 2px 4px; }
.ccx table.kgrid tr.sel th, .ccx table.kgrid tr.sel td.kc { background: #fff2b3; }
.ccx .lg { display: inline-flex; align-items: center; gap: 6px; margin: 2px 14px 2px 0; font-size: 12px; }
.ccx .lg .bar { width: 150px; height: 12px; border: 1px solid #999; }
.ccx .sum { font-family: ui-monospace, monospace; font-size: 13px; margin-top: 6px; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.ccx .msg { color: #a00; font-size: 14px; padding: 4px 0; }
.ccx .note { color: #7a4b00; font-size: 13px; padding: 1px 0; }
.ccx pre { margin: 4px 0; white-space: pre-wrap; }
.ccx .kv { position: relative; margin: auto; width: max-content; border: solid #bbb; border-width: 0 1px 1px 0; }
.ccx .kv pre { --h: 22px; position: relative; margin: 0; white-space: pre; color: #111;
  font-family: ui-monospace, monospace; font-size: 11px; line-height: var(--h);
  --grid: linear-gradient(90deg, #bbb 1px, transparent 1px) 0 0 / calc(var(--n) * 1ch) var(--h),
  linear-gradient(#bbb 1px, transparent 1px) 0 0 / calc(var(--n) * 1ch) var(--h); }
.ccx .kv .p { color: #888; }
.ccx.proj { font-size: 20px; }
.ccx.proj h4 { font-size: 22px; }
.ccx.proj .cap, .ccx.proj .lg, .ccx.proj table.kgrid th, .ccx.proj .note, .ccx.proj .msg { font-size: 18px; }
.ccx.proj .kv pre { font-size: 18px; --h: 38px; }
.ccx.proj .lg .bar { width: 220px; height: 18px; }
.ccx.proj .sum, .ccx.proj pre { font-size: 20px; }
.ccx.proj .op { font-size: 32px; }
</style>"""


# -- colours ---------------------------------------------------------------------------------------

def _rgb(t: float) -> tuple[int, int, int]:
    """Blue (t = −1), white (0), red (+1)."""
    t = max(-1.0, min(1.0, t))
    if t >= 0:
        return 255, int(round(255 - 160 * t)), int(round(255 - 180 * t))
    return int(round(255 + 190 * t)), int(round(255 + 140 * t)), 255


_HEX = ["#{:02x}{:02x}{:02x}".format(*_rgb(k / LEVELS)) for k in range(-LEVELS, LEVELS + 1)]


def color(v: float, lim: float) -> str:
    """The colour of value v on a legend from −lim to +lim, as #rrggbb (quantized like the images)."""
    t = 0.0 if lim == 0 else max(-1.0, min(1.0, v / lim))
    return _HEX[LEVELS + round(t * LEVELS)]


_PALETTE = b"".join(bytes(_rgb(k / LEVELS)) for k in range(-LEVELS, LEVELS + 1)) + bytes(PAD_GREY)
_PAD_INDEX = 2 * LEVELS + 1


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png(pixels: np.ndarray, palette: bytes | None) -> str:
    """A PNG (palette indices (h, w) uint8, or RGB (h, w, 3) uint8) as a data: URI."""
    h, w = pixels.shape[:2]
    color_type = 3 if palette is not None else 2
    rows = np.concatenate([np.zeros((h, 1), np.uint8), pixels.reshape(h, -1)], axis=1)
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0))
    if palette is not None:
        png += _chunk(b"PLTE", palette)
    png += _chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)) + _chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@lru_cache(maxsize=512)
def _map_png(data: bytes, h: int, w: int, lim: float, pad: tuple[int, int]) -> str:
    A = np.frombuffer(data, dtype=np.float64).reshape(h, w)
    gaps = np.isnan(A)
    t = np.zeros_like(A) if lim == 0 else np.clip(np.nan_to_num(A) / lim, -1, 1)
    idx = (np.rint(t * LEVELS) + LEVELS).astype(np.uint8)
    idx[gaps] = _PAD_INDEX
    p_h, p_w = pad
    if p_h:
        idx[:p_h], idx[h - p_h:] = _PAD_INDEX, _PAD_INDEX
    if p_w:
        idx[:, :p_w], idx[:, w - p_w:] = _PAD_INDEX, _PAD_INDEX
    return _png(idx, _PALETTE)


def _fmt(v: float) -> str:
    v = float(v)
    if v.is_integer() and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.2f}".rstrip("0").rstrip(".").replace("-0.", "-.") if abs(v) < 10 else f"{v:.1f}"


# -- one map -----------------------------------------------------------------------------------------

def grid_html(A: np.ndarray, *, lim: float, values: bool, cell: int, pad: tuple[int, int] = (0, 0),
              taps=None, box=None, field: int = 0) -> str:
    """One 2-D array coloured on ±lim: a scaled PNG, or its values written in coloured cells (``values=True``).

    ``pad``: that many border rows/columns are padding (grey). ``taps``: (rows, cols) of cells to
    outline (the window, every tap when dilated); ``box``: (r0, r1, c0, c1) drawn around them.
    ``field``: the least width of a written value's cell, in characters (maps side by side share
    one, so that their columns line up).
    """
    h, w = A.shape
    p_h, p_w = pad
    rows, cols = taps if taps is not None else ((), ())
    marks = _outline(rows, cols, box, values, cell) if taps is not None and box is not None else ""
    if values:
        block = _value_text(A, lim, pad, rows, cols, field)
        return f'<div class="kv">{block[:-6]}{marks}</pre></div>'  # the marks inside the block: its font, its cells
    src = _map_png(np.ascontiguousarray(A, dtype=np.float64).tobytes(), h, w, float(lim), (p_h, p_w))
    return f'<div class="m" style="width:{w * cell}px;height:{h * cell}px"><img src="{src}" alt="">{marks}</div>'


def _outline(rows, cols, box, values: bool, cell: int) -> str:
    """The picked window drawn over a map: a box around it and, when dilated, a mark on every tap.

    Plain absolutely placed elements (``<i class="ob">``: the box; ``od``: the taps as dots on an
    image, ``ot``: each tap outlined on written values), not an SVG per map: an inline SVG is a
    document of its own for the page to lay out and paint, and the largest picture has 19 of them.
    Image maps are placed in pixels (``cell`` per cell); value blocks in their own units,
    ``var(--n)`` characters wide and ``var(--h)`` high per cell.
    """
    r0, r1, c0, c1 = box
    dilated = len(rows) * len(cols) > 1 and (r1 - r0) * (c1 - c0) > len(rows) * len(cols)
    if values:
        def at(r, c, hh, ww, grow=0):
            return (f"left:calc(var(--n) * {c}ch - {grow}px);top:calc({r} * var(--h) - {grow}px);"
                    f"width:calc(var(--n) * {ww}ch + {2 * grow}px);height:calc({hh} * var(--h) + {2 * grow}px)")
        out = f'<i class="ob" style="{at(r0, c0, r1 - r0, c1 - c0, 2)}"></i>'
        if dilated:  # each tap outlined
            out += "".join(f'<i class="ot" style="{at(r, c, 1, 1)}"></i>' for r in rows for c in cols)
        return out
    # the box just outside the window (its 2 px border covers no cell of it: on 2-3 px cells the picked
    # cell and the edge taps stay visible)
    out = (f'<i class="ob" style="left:{c0 * cell - 2}px;top:{r0 * cell - 2}px;width:{(c1 - c0) * cell + 4}px;'
           f'height:{(r1 - r0) * cell + 4}px"></i>')
    if dilated:  # a dot on every tap: one element, its background a dot repeated every dilation cells
        d_r = rows[1] - rows[0] if len(rows) > 1 else r1 - r0
        d_c = cols[1] - cols[0] if len(cols) > 1 else c1 - c0
        half, radius = cell / 2, max(1.5, 0.3 * cell)
        out += (f'<i class="od" style="left:{c0 * cell}px;top:{r0 * cell}px;width:{(c1 - c0) * cell}px;'
                f'height:{(r1 - r0) * cell}px;background:radial-gradient(circle at {half:g}px {half:g}px,#111 '
                f'{radius:.1f}px,transparent {radius + 0.6:.1f}px) 0 0/{d_c * cell}px {d_r * cell}px"></i>')
    return out


def _value_text(A: np.ndarray, lim: float, pad: tuple[int, int], rows, cols, field: int = 0) -> str:
    """The values of a map as one block of monospace text, a field of n characters per cell.

    The cells' colours are the block's background (one hard-stop gradient per row, the colours
    of :func:`color`, padding grey) under the cell grid: one element per map instead of a table
    cell per value, and no image to decode, which in JupyterLab's page costs a fraction of the
    style, layout and paint time (the largest picture writes ~400 values). Padding values are
    grey; the picked window's values are bold (``class="w"``).
    """
    A = np.ascontiguousarray(A, dtype=np.float64)
    return _value_block(A.tobytes(), *A.shape, float(lim), tuple(pad), tuple(rows), tuple(cols), field)


_GREY = "#{:02x}{:02x}{:02x}".format(*PAD_GREY)


@lru_cache(maxsize=4096)
def _fmt_cached(v: float) -> str:
    return _fmt(v)


@lru_cache(maxsize=512)
def _value_block(data: bytes, h: int, w: int, lim: float, pad: tuple[int, int], rows: tuple, cols: tuple,
                 field: int = 0) -> str:
    """:func:`_value_text` of the map in ``data`` (cached: redraws that keep a map do not write it again)."""
    A = np.frombuffer(data, dtype=np.float64).reshape(h, w)
    p_h, p_w = pad
    text = [[_fmt_cached(v) for v in line] for line in A.tolist()]
    n = max(field, max(len(t) for line in text for t in line) + 2)  # at least a space either side
    # the colours of color(), for the whole map at once; padding grey
    t = np.zeros_like(A) if lim == 0 else np.clip(A / lim, -1.0, 1.0)
    idx = (np.rint(t * LEVELS) + LEVELS).astype(np.intp).tolist()
    padded = np.zeros((h, w), dtype=bool)
    if p_h:
        padded[:p_h], padded[h - p_h:] = True, True
    if p_w:
        padded[:, :p_w], padded[:, w - p_w:] = True, True
    padded = padded.tolist()
    edges = [f"{c * n}ch {(c + 1) * n}ch" for c in range(w)]
    tap_r, tap_c = set(rows), set(cols)
    lines, layers = [], []
    for r in range(h):
        out, in_pad, stops = [], False, []
        line, pads, colours = text[r], padded[r], idx[r]
        for c in range(w):
            is_pad = pads[c]
            if is_pad != in_pad:
                out.append('<span class="p">' if is_pad else "</span>")
                in_pad = is_pad
            core = line[c]
            field = core.center(n)
            if r in tap_r and c in tap_c:
                lead = field.index(core)
                field = f'{field[:lead]}<b class="w">{core}</b>{field[lead + len(core):]}'
            out.append(field)
            stops.append(f"{_GREY if is_pad else _HEX[colours[c]]} {edges[c]}")
        if in_pad:
            out.append("</span>")
        lines.append("".join(out))
        layers.append(f"linear-gradient(90deg,{','.join(stops)}) 0 calc({r} * var(--h))/100% var(--h) no-repeat")
    return f'<pre style="--n:{n};background:var(--grid),{",".join(layers)}">' + "\n".join(lines) + "</pre>"


def _cell_px(h: int, w: int, projector: bool) -> int:
    """Pixels per cell of an image map: maps of up to about 150 px (230 px on a projector)."""
    target = 230 if projector else 150
    return max(2, min(16 if projector else 12, target // max(h, w)))


def legend_html(name: str, lim: float, signed: bool) -> str:
    """A labelled colour bar: value → colour, from −lim (or 0) to +lim."""
    lo = -lim if signed else 0.0
    stops = [color(lo + (lim - lo) * k / 10, lim) for k in range(11)]
    bar = f'<span class="bar" style="background:linear-gradient(to right,{",".join(stops)})"></span>'
    zero = ", white = 0"
    return (f'<span class="lg"><b>{html.escape(name)}</b> {_fmt(lo)}{bar}{_fmt(lim)}'
            f'<span style="color:#555">(value → colour{zero})</span></span>')


def _lim(*arrays) -> tuple[float, bool]:
    """The symmetric range ±lim of the arrays and whether any value is negative."""
    lim, signed = 0.0, False
    for A in arrays:
        if A is not None and A.size:
            lim = max(lim, float(np.abs(A).max()))
            signed = signed or bool((A < 0).any())
    return (lim or 1.0), signed


def _show_values(count: int, h: int, w: int, projector: bool) -> bool:
    """Values fit when a map is at most 8 × 8 and the section has at most 400 cells.

    The same in projector mode (larger text, so larger maps): projector mode never trades written
    values for a smaller image.
    """
    return max(h, w) <= 8 and count * h * w <= 400


def _field(*arrays) -> int:
    """The cell width (characters) that fits every value of these maps written side by side."""
    return max(len(_fmt_cached(v)) for A in arrays for v in np.asarray(A, dtype=np.float64).ravel().tolist()) + 2


def _fig(caption: str, body: str) -> str:
    return f'<div><div class="cap">{caption}</div>{body}</div>'


def _with_op(op: str, fig: str) -> str:
    """An operator and the map after it, kept on one line (a wrapped row never ends with "+" or "=")."""
    return f'<div class="opfig"><span class="op">{op}</span>{fig}</div>'


# -- the picture -------------------------------------------------------------------------------------

SECTIONS = ("x", "k", "partial", "y", "sum", "3d")


def render(state: ExplorerState, *, projector: bool = False, full_terms: bool = False, view3d: bool = False,
           stamp: int | None = None, css: bool = True) -> str:
    """The whole picture for ``state`` as one HTML string.

    ``css=False`` leaves out the style sheet (:data:`CSS`), for a page that holds it once: a new
    ``<style>`` on every redraw makes the browser restyle the whole page. ``stamp`` is written
    as ``data-redraw`` (how a test or benchmark in the browser sees that the picture is new).
    """
    parts = render_sections(state, projector=projector, full_terms=full_terms, view3d=view3d)
    stamp_attr = f' data-redraw="{stamp}"' if stamp is not None else ""
    return ((CSS if css else "") + f'<div class="ccx{" proj" if projector else ""}"{stamp_attr}>'
            + "".join(parts[name] for name in SECTIONS) + "</div>")


def render_sections(state: ExplorerState, *, projector: bool = False, full_terms: bool = False,
                    view3d: bool = False) -> dict[str, str]:
    """The picture in parts (:data:`SECTIONS`: input, kernels, partial maps, output, sum, 3-D view).

    A widget shows each part in its own HTML element, so that a change re-sends only the parts it
    changes (moving c_o leaves the input as it is).
    """
    s = state.settings
    X = state.X.numpy().astype(np.float64)
    K = state.K.numpy().astype(np.float64)
    p = s.padding
    Xp = np.pad(X, ((0, 0), (p, p), (p, p)))
    n_hp, n_wp = Xp.shape[1:]
    e = state.element
    chans = set(state.group_channels) if e is not None else set()
    lim_x, signed_x = _lim(X)
    lim_k, signed_k = _lim(K)
    Y = state.Y.numpy().astype(np.float64) if state.Y is not None else None
    P = state.partial.numpy().astype(np.float64) if state.partial is not None else None
    S = P.sum(axis=0) if P is not None else None
    lim_y, signed_y = _lim(Y, P, S)
    sections = {name: [] for name in SECTIONS}
    out = sections["x"]

    # the input X
    c_ig = s.c_i // s.groups
    padded = f", padded by {p} (grey)" if p else ""
    where = f"window of Y[{s.o}, {s.u}, {s.v}] outlined" if e is not None else "no output: nothing outlined"
    if e is not None and s.dilation > 1 and s.k_h * s.k_w > 1:
        where += (f"; dilation {s.dilation}: it reads only the marked taps, every {s.dilation}th row and column "
                  "of the window, not the cells between them")
    out.append(f"<h4>input X: c_i = {s.c_i} channels of n_h × n_w = {s.n_h} × {s.n_w}{padded}; {where}</h4>")
    out.append(legend_html("X", lim_x, signed_x))
    out.append('<div class="row">')
    if state.x_kind == "photo":
        rgb = (np.clip(X.transpose(1, 2, 0), 0, 1) * 255).round().astype(np.uint8)
        cell = _cell_px(s.n_h, s.n_w, projector)
        out.append(_fig("the photo (R, G, B)", f'<div class="m" style="width:{s.n_w * cell}px;height:'
                                               f'{s.n_h * cell}px"><img src="{_png(rgb, None)}" alt=""></div>'))
    show = _show_values(s.c_i, n_hp, n_wp, projector)
    field_x = _field(Xp) if show else 0
    cell = _cell_px(n_hp, n_wp, projector)
    names = {0: " (R)", 1: " (G)", 2: " (B)"} if state.x_kind == "photo" else {}
    for i in range(s.c_i):
        taps = box = None
        if e is not None and i in chans:
            taps = (e.rows, e.cols)
            box = (e.rows[0], e.rows[-1] + 1, e.cols[0], e.cols[-1] + 1)
        out.append(_fig(f"X[{i}]{names.get(i, '')}",
                        grid_html(Xp[i], lim=lim_x, values=show, cell=cell, pad=(p, p), taps=taps, box=box,
                                  field=field_x)))
    out.append("</div>")

    # the kernels K
    out = sections["k"]
    grp = f" in groups = {s.groups} groups (output channel o reads the c_i / groups = {c_ig} input channels of " \
          f"its group)" if s.groups > 1 else ""
    dil = f", dilation {s.dilation} (taps {s.dilation} apart)" if s.dilation > 1 else ""
    out.append(f"<h4>kernels K: c_o × c_i / groups = {s.c_o} × {c_ig} kernels of k_h × k_w = {s.k_h} × {s.k_w}"
               f"{grp}{dil}; row K[o] makes output channel Y[o], row {s.o} is picked</h4>")
    out.append(legend_html("K", lim_k, signed_k))
    show_k = _show_values(s.c_o * c_ig, s.k_h, s.k_w, projector)
    field_k = _field(K if show_k else K[s.o])  # every kernel written, or row o's beside its partial maps
    cell_k = max(_cell_px(s.k_h, s.k_w, projector) // 2, 6 if not projector else 9)
    bias = state.b.numpy() if state.b is not None else None
    bhead = "<th>b</th>" if bias is not None else ""
    if show_k:  # every kernel a table with its values, one column per input channel
        heads = "".join(f"<th>i = {il}</th>" if s.groups == 1 else f"<th>i = g·{c_ig} + {il}</th>"
                        for il in range(c_ig))
    else:  # one image per row (fewer images to decode); K[o]'s values are shown beside its partial maps
        first = "i = 0" if s.groups == 1 else f"i = g·{c_ig}"
        later = (f"values of row {s.o}: below" if not state.message else
                 "too many values to write here; with an output Y, row o's are written beside its partial maps")
        heads = f'<th style="text-align:left">{first}, … left to right ({later})</th>'
    out.append(f'<table class="kgrid"><tr><th></th>{heads}{bhead}</tr>')
    for o in range(s.c_o):
        sel = o == s.o
        if show_k:
            cells = "".join('<td class="kc">' + grid_html(K[o, il], lim=lim_k, values=True, cell=cell_k,
                                                          field=field_k) + "</td>"
                            for il in range(c_ig))
        else:
            gap = np.full((s.k_h, 1), np.nan)
            row = np.concatenate([part for il in range(c_ig) for part in ((gap,) if il else ()) + (K[o, il],)],
                                 axis=1)
            cells = '<td class="kc">' + grid_html(row, lim=lim_k, values=False, cell=cell_k) + "</td>"
        bcell = f'<td class="kc">{_fmt(bias[o])}</td>' if bias is not None else ""
        label = f"K[{o}]" if s.groups == 1 else f"K[{o}] (g = {o // (s.c_o // s.groups)})"
        row_class = ' class="sel"' if sel else ""
        out.append(f"<tr{row_class}><th>{label}</th>{cells}{bcell}</tr>")
    out.append("</table>")

    out = sections["partial"]
    if state.message:
        out.append(f'<div class="msg">⚠ {html.escape(state.message)}</div>')
    else:
        m_h, m_w = Y.shape[1:]
        cell_y = _cell_px(m_h, m_w, projector)
        box = (e.u, e.u + 1, e.v, e.v + 1)
        taps = ((e.u,), (e.v,))
        # the partial maps of the picked output channel
        out.append(f"<h4>how Y[{s.o}] is made: one partial map X[i] ⋆ K[{s.o}, i] per input channel i"
                   f"{' of its group' if s.groups > 1 else ''}, their sum"
                   f"{f', + b[{s.o}]' if state.b is not None else ''}, = Y[{s.o}]; "
                   f"element ({s.u}, {s.v}) outlined</h4>")
        out.append(legend_html("partial maps and Y", lim_y, signed_y))
        show_p = _show_values(len(chans) + 2 + s.c_o, m_h, m_w, projector)
        field_y = _field(P, S, Y) if show_p else 0
        out.append('<div class="row">')
        for il, i in enumerate(sorted(chans)):
            name = f"X[{i}] ⋆ K[{s.o}, {il if s.groups > 1 else i}]"
            body = grid_html(P[il], lim=lim_y, values=show_p, cell=cell_y, taps=taps, box=box, field=field_y)
            if show_k:
                fig = _fig(name, body)
            else:  # the kernel grid shows images: K[o, i] with its values here, above its partial map
                kname = f"K[{s.o}, {il if s.groups > 1 else i}] (colours of K)"
                fig = (f'<div><div class="cap">{kname}</div>'
                       f'{grid_html(K[s.o, il], lim=lim_k, values=True, cell=cell_k, field=field_k)}'
                       f'<div class="cap">{name}</div>{body}</div>')
            out.append(_with_op("+", fig) if il else fig)
        out.append(_with_op("=", _fig("the sum", grid_html(S, lim=lim_y, values=show_p, cell=cell_y, taps=taps,
                                                            box=box, field=field_y))))
        if state.b is not None:
            out.append(_with_op("+", _fig(f"b[{s.o}]", f"<b>{_fmt(bias[s.o])}</b>")))
        out.append(_with_op("=", _fig(f"Y[{s.o}]", grid_html(Y[s.o], lim=lim_y, values=show_p, cell=cell_y,
                                                               taps=taps, box=box, field=field_y))))
        out.append("</div>")
        # the output Y
        out = sections["y"]
        out.append(f"<h4>output Y: c_o = {s.c_o} channels of m_h × m_w = {m_h} × {m_w} "
                   f"(m = ⌊(n + 2p − {'d(k − 1) − 1' if s.dilation > 1 else 'k'}) / s⌋ + 1); "
                   f"Y[{s.o}, {s.u}, {s.v}] outlined</h4>")
        out.append('<div class="row">')
        for o in range(s.c_o):
            sel = o == s.o
            out.append(_fig(f"<b>Y[{o}]</b>" if sel else f"Y[{o}]",
                            grid_html(Y[o], lim=lim_y, values=show_p, cell=cell_y,
                                      taps=taps if sel else None, box=box if sel else None, field=field_y)))
        out.append("</div>")
        sections["sum"].append(sum_html(state, projector=projector, full_terms=full_terms))
    if view3d:
        sections["3d"].append(volumes_svg(state, projector=projector))
    return {name: "".join(parts) for name, parts in sections.items()}


def sum_html(state: ExplorerState, *, projector: bool, full_terms: bool) -> str:
    """The picked element's sum: compact (one partial sum per input channel) and, on demand, every product."""
    e = state.element
    s = state.settings
    by = f" + b[{s.o}]" if e.bias is not None else ""
    lines = [f"Y[{s.o}, {s.u}, {s.v}] = Σ_i (X[i] ⋆ K[{s.o}, i])[{s.u}, {s.v}]{by}, one partial sum per "
             f"input channel i{' of its group' if s.groups > 1 else ''}:", e.compact_text()]
    kept = e.n_terms - e.n_padding_terms
    if full_terms or (not projector and kept <= FULL_TERMS_MAX):
        pad = (f"  ({e.n_padding_terms} products with a padding zero left out)" if e.n_padding_terms else "")
        lines += ["every product:" + pad, e.full_text()]
    else:
        lines.append(f"({kept} products: tick 'every term' to write them all out)")
    return '<div class="sum">' + html.escape("\n".join(lines)) + "</div>"


def status_html(state: ExplorerState, *, projector: bool = False) -> str:
    """The notes, the message, the summary (shapes, parameters, MACs) and the check against torch."""
    lines = re.split(r"; (?=X:|K:|b:|Y:|dilation|parameters)", state.summary)
    text = [html.escape(line) for line in lines]
    if state.torch_check is not None:
        line, same, diff = state.torch_check
        text.append(html.escape(f"{line} gives the same Y: {'yes' if same else 'NO'} "
                                f"(largest difference {format_number(diff, paren=False) if diff else 0})"))
    notes = "".join(f'<div class="note">ℹ {html.escape(n)}</div>' for n in state.notes)
    msg = f'<div class="msg">⚠ {html.escape(state.message)}</div>' if state.message else ""
    return f'<div class="ccx{" proj" if projector else ""}">{notes}{msg}<pre>' + "\n".join(text) + "</pre></div>"


def timing_html(state: ExplorerState, seconds: float | None, runs: int, device: str, projector: bool = False,
                pending: bool = False) -> str:
    """chanconv.conv2d's method and time for this layer (a median: one run of a tiny layer is noise).

    ``pending=True`` (no time yet): the same line saying the layer is being timed, so that the line is
    there before its time arrives.
    """
    if state.Y is None or (seconds is None and not pending):
        return ""
    took = f"{seconds * 1e3:.3g} ms" if seconds is not None else "being timed"
    text = f"chanconv.conv2d (method {state.method!r}) on {device}: {took}, median of {runs} runs"
    return f'<div class="ccx{" proj" if projector else ""}"><pre>{html.escape(text)}</pre></div>'
