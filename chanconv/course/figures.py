"""Figures drawn from the tensors, in the lecture's notation.

Every figure is made from the tensors it shows: the numbers in the cells, the shaded window and
the written-out sum all come from the data, never typed by hand. Functions return the
matplotlib Figure; in a notebook assign it (``fig = ...``) so it is displayed once.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch.nn.functional as F
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.patches import FancyArrowPatch, Rectangle

from ..core import conv2d
from ..core.checks import as_float_tensor, pair
from ..core.fonts import localized
from ..core.i18n import N_, _
from ..core.layer import check_counts
from .element import element_terms, format_number
from .partials import partial_maps

__all__ = [
    "DIVERGING",
    "draw_grid",
    "label_number",
    "plot_element",
    "plot_maps",
    "plot_multi_in_out",
    "plot_partial_maps",
    "plot_photo_channels",
    "plot_volume",
    "sym",
]

SHADE = "#9ecae1"       # the cells used by the highlighted output element
EDGE = "#08519c"
TEXT_CELLS_MAX = 12     # write values in the cells up to this many rows and columns
# signed values (partial maps, weights): purple and orange say "positive" and "negative" and nothing
# about red, green or blue, so that a map of a colour channel is not read as that colour
DIVERGING = "PuOr"
MINUS = "\u2212"       # a real minus sign in figure text (mathtext and tick labels make their own)
# black → full colour: 0 is dark, 1 is bright, as the channel's light adds up in the photo
CHANNEL_CMAPS = tuple(LinearSegmentedColormap.from_list(f"black_{n}", ["black", c])
                      for n, c in (("red", "red"), ("green", "lime"), ("blue", "blue")))
CHANNEL_NAMES = (N_("red"), N_("green"), N_("blue"))  # the photo's channels, translated where drawn
VALUE_LABEL = N_("value (one scale, 0 = white)")  # plot_partial_maps' colourbar


def sym(name, *index):
    """A tensor or one of its slices in mathtext, bold with subscripts: ``sym("K", 1, 0)`` → $\\mathbf{K}_{1,0}$."""
    sub = "_{" + ",".join(str(i) for i in index) + "}" if index else ""
    return rf"$\mathbf{{{name}}}{sub}$"


def label_number(v) -> str:
    """A number as figure text: short (``format_number``), no brackets, a real minus sign."""
    return format_number(v, paren=False).replace("-", MINUS)


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


def draw_grid(ax, M, *, title=None, highlight=None, values=None, cmap=None, fontsize=None,
              frame=None):
    """Draw a 2-D tensor as a grid on ``ax``.

    Small grids (≤ TEXT_CELLS_MAX per side) are white cells with their values written in them;
    ``highlight=(r0, r1, c0, c1)`` shades rows r0..r1-1 and columns c0..c1-1. Larger grids are
    heatmaps (``cmap``), with the highlight drawn as an outline. ``frame=(rows, cols)`` sizes
    the view to that many cells (top-left aligned), so that panels of different sizes share
    one cell size. Returns the image artist.
    """
    A = _np(M).astype(float)
    h, w = A.shape
    small = max(h, w) <= TEXT_CELLS_MAX if values is None else values
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=10)
    if small:
        shade = np.zeros((h, w))
        if highlight is not None:
            r0, r1, c0, c1 = highlight
            shade[max(r0, 0):r1, max(c0, 0):c1] = 1
        im = ax.imshow(shade, cmap=LinearSegmentedColormap.from_list("shade", ["white", SHADE]),
                       vmin=0, vmax=1)
        for r in range(h + 1):
            ax.plot([-0.5, w - 0.5], [r - 0.5, r - 0.5], color="0.3", lw=0.8)
        for c in range(w + 1):
            ax.plot([c - 0.5, c - 0.5], [-0.5, h - 0.5], color="0.3", lw=0.8)
        size = fontsize or (11 if max(h, w) <= 5 else 8)
        for r in range(h):
            for c in range(w):
                ax.text(c, r, label_number(A[r, c]), ha="center", va="center", fontsize=size)
    else:
        im = ax.imshow(A, cmap=cmap or "viridis", interpolation="nearest")
        if highlight is not None:
            r0, r1, c0, c1 = highlight
            ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, fill=False,
                                   edgecolor="red", lw=2))
    fh, fw = frame or (h, w)
    ax.set_xlim(-0.55, max(fw, w) - 0.45)
    ax.set_ylim(max(fh, h) - 0.45, -0.55)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return im


@localized
def plot_photo_channels(X, *, title=None):
    """An RGB image X (3, n_h, n_w) in [0, 1]: the colour photo, then each channel on its own.

    Each channel is drawn from black (0: none of that colour) to its full colour (1), with a
    colourbar: bright means much of that colour, as in the photo. ``title`` (default: the photo's
    c_i = 3 channels, in the language in use) above them.
    """
    A = _np(X)
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.8))
    axes[0].imshow(np.clip(A.transpose(1, 2, 0), 0, 1))
    axes[0].set_title(f"{sym('X')}: {A.shape[0]} × {A.shape[1]} × {A.shape[2]}")
    for c, (ax, cmap, name) in enumerate(zip(axes[1:], CHANNEL_CMAPS, CHANNEL_NAMES)):
        im = ax.imshow(A[c], cmap=cmap, vmin=0, vmax=1)
        ax.set_title(f"{sym('X', c)} ({_(name)}): {A.shape[1]} × {A.shape[2]}")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
    for ax in axes:
        ax.axis("off")
    fig.suptitle(title if title is not None else _(r"The photo's $c_i = 3$ channels"))
    fig.tight_layout()
    return fig


@localized
def plot_maps(maps, titles, *, suptitle=None, cmap="gray", ncols=None, symmetric=False, ranges=None,
              colorbar=True):
    """Several 2-D maps side by side as heatmaps (e.g. the output channels of a layer).

    ``ranges``: one (vmin, vmax) per map (or None for automatic), so that a constant map shows
    its value instead of being stretched; ``symmetric`` centres every automatic range on 0.
    ``colorbar``: a colourbar beside every single-channel map (RGB images get none).
    """
    maps = [_np(m) for m in maps]
    ranges = list(ranges) if ranges is not None else [None] * len(maps)
    ncols = ncols or len(maps)
    nrows = -(-len(maps) // ncols)
    width = 3.9 if colorbar else 3.2
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, 3.3 * nrows), squeeze=False)
    for ax in axes.flat[len(maps):]:
        ax.axis("off")
    for ax, m, t, r in zip(axes.flat, maps, titles, ranges):
        if r is None and symmetric:
            lim = float(np.abs(m).max()) or 1.0
            r = (-lim, lim)
        vmin, vmax = r if r is not None else (None, None)
        im = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_title(t, fontsize=10)
        ax.axis("off")
        if colorbar and m.ndim == 2:
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


@localized
def plot_element(X, K, out_channel=0, row=0, col=0, *, bias=None, stride=1, padding=0,
                 channels=None):
    """Where one output element comes from, in every input channel, with its sum written out.

    X: (c_i, n_h, n_w); K: (c_i, k_h, k_w) or (c_o, c_i, k_h, k_w). Row c of the figure shows
    input channel X[c] with the window of Y[o, row, col] shaded and the kernel K[o, c] shaded;
    the last panel shows the output with that element shaded. The title is the sum, one
    bracket per input channel (order ``channels``), computed from the tensors.
    """
    terms = element_terms(X, K, out_channel, row, col, bias=bias, stride=stride, padding=padding)
    Xt = as_float_tensor(X, "X").detach().cpu()
    Kt = as_float_tensor(K, "K").detach().cpu()
    K4 = Kt if Kt.dim() == 4 else Kt.unsqueeze(0)
    p_h, p_w = pair(padding, "padding", minimum=0)
    Xp = F.pad(Xt, (p_w, p_w, p_h, p_h))
    Y = conv2d(Xt, K4, None if bias is None else as_float_tensor(bias, "bias").cpu(),
               stride=stride, padding=padding)
    c_i = Xt.shape[0]
    order = list(range(c_i)) if channels is None else list(channels)
    frame_h = max(Xp.shape[1], Y.shape[1])
    widths = [Xp.shape[2], K4.shape[3], Y.shape[2]]
    cell = min(0.6, 9.0 / sum(widths))
    fig, axes = plt.subplots(c_i, 3, figsize=(cell * sum(widths) + 1.5, (cell * frame_h + 0.9) * c_i),
                             squeeze=False, gridspec_kw=dict(width_ratios=widths))
    r0, r1 = terms.rows[0], terms.rows[-1] + 1  # the window's padded rows [r0, r1) and columns [c0, c1)
    c0, c1 = terms.cols[0], terms.cols[-1] + 1
    o = out_channel
    for line, c in enumerate(order):
        draw_grid(axes[line, 0], Xp[c], title=_("input channel {name}").format(name=sym("X", c)),
                  highlight=(r0, r1, c0, c1),
                  frame=(frame_h, Xp.shape[2]))
        k_h, k_w = K4.shape[2:]
        name = sym("K", o, c) if Kt.dim() == 4 else sym("K", c)
        draw_grid(axes[line, 1], K4[o, c], highlight=(0, k_h, 0, k_w), frame=(frame_h, k_w),
                  title=_("{name}: partial sum {value}").format(name=name, value=label_number(terms.partial_sums[c])))
        axes[line, 2].axis("off")
    out_ax = axes[c_i // 2, 2] if c_i > 1 else axes[0, 2]
    out_ax.axis("on")
    draw_grid(out_ax, Y[o], title=_("output {name}").format(name=sym("Y", o) if Kt.dim() == 4 else sym("Y")),
              highlight=(row, row + 1, col, col + 1), frame=(frame_h, Y.shape[2]))
    fig.suptitle(terms.text(channels=order).replace("-", MINUS), fontsize=11)
    fig.tight_layout()
    return fig


def _cells(ax, A, x0, y0, *, title=None, edge="0.3", face="white", values=None, cmap="gray",
           vmin=None, vmax=None, fontsize=9):
    """Draw the 2-D array A with its top-left corner at (x0, y0), one unit per cell.

    Small arrays (≤ TEXT_CELLS_MAX per side) get their values written in white cells; larger
    ones become a heatmap on the same cell grid. Returns the image artist (or None).
    """
    A = _np(A).astype(float)
    h, w = A.shape
    small = max(h, w) <= TEXT_CELLS_MAX if values is None else values
    im = None
    if small:
        ax.add_patch(Rectangle((x0, y0), w, h, facecolor=face, edgecolor="none", zorder=1))
        for r in range(h + 1):
            ax.plot([x0, x0 + w], [y0 + r, y0 + r], color=edge, lw=0.8, zorder=2)
        for c in range(w + 1):
            ax.plot([x0 + c, x0 + c], [y0, y0 + h], color=edge, lw=0.8, zorder=2)
        for r in range(h):
            for c in range(w):
                ax.text(x0 + c + 0.5, y0 + r + 0.5, label_number(A[r, c]),
                        ha="center", va="center", fontsize=fontsize, zorder=3)
    else:
        im = ax.imshow(A, cmap=cmap, vmin=vmin, vmax=vmax, extent=(x0, x0 + w, y0 + h, y0),
                       interpolation="nearest", zorder=1)
    if title:
        ax.text(x0 + w / 2, y0 - 0.25, title, ha="center", va="bottom", fontsize=fontsize)
    return im


# the cross-correlation sign in figure text: "⋆" (U+22C6) renders as a dot at 9-12 pt and reads
# like a product, so figures write the same star larger
STAR = "★"
CHANNEL_TINTS = ("#fde0dd", "#e5f5e0", "#deebf7", "#fff7bc", "#efedf5", "#fee6ce")


@localized
def plot_multi_in_out(X, K, *, bias=None, cell=0.42):
    """The lecture's picture of a layer: c_i inputs, c_o rows of c_i kernels, c_o outputs.

    X: (c_i, n_h, n_w); K: (c_o, c_i, k_h, k_w); bias: (c_o,) or None. The inputs X[0] …
    X[c_i − 1] are drawn once, on top. Row o holds output channel o: in the column of input
    X[c] (same tint) its kernel K[o, c] and the partial result X[c] ⋆ K[o, c] (a
    cross-correlation, m_h × m_w); "+" between the partial results, (+ b[o]), and an arrow to
    Y[o]. Every cell has the same size, ``cell`` inches.
    """
    Xt = as_float_tensor(X, "X").detach().cpu()
    Kt = as_float_tensor(K, "K").detach().cpu()
    if Kt.dim() != 4:
        raise ValueError(_("K must have shape (c_o, c_i, k_h, k_w), got {shape}").format(shape=tuple(Kt.shape)))
    bt = None if bias is None else as_float_tensor(bias, "bias").detach().cpu()
    Y = conv2d(Xt, Kt, bt)
    c_o, c_i, k_h, k_w = Kt.shape
    n_h, n_w = Xt.shape[1:]
    m_h, m_w = Y.shape[1:]
    parts = [partial_maps(Xt, Kt, o, bt) for o in range(c_o)]
    gap, arrow = 1.6, 2.4
    block = max(n_w, k_w + 1.4 + m_w)             # one input channel's column
    row_h = max(k_h, m_h) + 1.6
    top = n_h + 2.2                                # first output row
    x_end = c_i * block + (c_i - 1) * gap           # right edge of the last column
    x_bias = x_end + (1.8 if bt is not None else 0.0)
    x_y = x_bias + arrow
    width = x_y + m_w + 0.3
    height = top + c_o * row_h - 0.6
    fig, ax = plt.subplots(figsize=(cell * width + 0.3, cell * (height + 1.6) + 0.3))
    ax.set_xlim(-0.3, width)
    ax.set_ylim(height + 0.2, -1.4)
    ax.set_aspect("equal")
    ax.axis("off")
    for c in range(c_i):
        x0 = c * (block + gap)
        tint = CHANNEL_TINTS[c % len(CHANNEL_TINTS)]
        ax.add_patch(Rectangle((x0 - 0.2, -0.9), block + 0.4, height + 0.9, facecolor=tint,
                               edgecolor="none", zorder=0))
        _cells(ax, Xt[c], x0 + (block - n_w) / 2, 0, title=_("input {name}").format(name=sym("X", c)))
    for o in range(c_o):
        y0 = top + o * row_h
        mid = y0 + m_h / 2
        for c in range(c_i):
            x0 = c * (block + gap)
            _cells(ax, Kt[o, c], x0, y0 + (m_h - k_h) / 2 if m_h > k_h else y0, title=sym("K", o, c),
                   edge=EDGE)
            ax.text(x0 + k_w + 0.7, mid, "→", ha="center", va="center", fontsize=12)
            _cells(ax, parts[o].partials[c], x0 + block - m_w, y0, title=f"{sym('X', c)} {STAR} {sym('K', o, c)}")
            if c < c_i - 1:
                ax.text(x0 + block + gap / 2, mid, "+", ha="center", va="center", fontsize=18,
                        fontweight="bold")
        if bt is not None:
            ax.text(x_end + 0.9, mid, f"+ $b_{{{o}}}$\n= {label_number(parts[o].bias)}",
                    ha="center", va="center", fontsize=9)
        ax.add_patch(FancyArrowPatch((x_bias + 0.3, mid), (x_y - 0.3, mid), arrowstyle="-|>",
                                     mutation_scale=16, lw=1.5, color="0.2"))
        ax.text((x_bias + x_y) / 2, mid - 0.35, _("sum"), ha="center", va="bottom", fontsize=8)
        _cells(ax, Y[o], x_y, y0, title=sym("Y", o), face="#fff5d6")
    formula = (r"$\mathbf{Y}_o = \sum_i \mathbf{X}_i$" + f" {STAR} {sym('K', 'o', 'i')}"
               + (" + $b_o$" if bt is not None else ""))
    ax.set_title(_("{c_i} input channels, {K}: {sizes}, {c_o} output channels: {formula}").format(
        c_i=f"$c_i = {c_i}$", K=sym("K"), sizes=f"{c_o} × {c_i} × {k_h} × {k_w}", c_o=f"$c_o = {c_o}$",
        formula=formula), fontsize=11)
    return fig


def _bottom_row(fig, axes, P, kname, yname, o, *, has_bias, small, frame, cmap, lim, value_label):
    """The partial maps X[i] ⋆ K[o, i], their sum, and Y[o] = sum + b[o]: written values or heatmaps
    sharing one colour range centred on 0 (one colourbar, labelled ``value_label``)."""
    c_i = P.partials.shape[0]
    bottoms = [(P.partials[i], f"{sym('X', i)} {STAR} {kname(i)}") for i in range(c_i)]
    if has_bias:
        bias_value = label_number(P.bias)
        bottoms += [(P.summed, _("sum over {range}").format(range=f"$i = 0, …, {c_i - 1}$")),
                    (P.output, _("{y} = sum + {b}\n({b} = {value})").format(y=yname, b=f"$b_{{{o}}}$",
                                                                             value=bias_value))]
    else:
        bottoms += [(P.output, _("{y}: the sum").format(y=yname))]
    im = None
    for ax, (m, t) in zip(axes, bottoms):
        if small:
            draw_grid(ax, m, title=t, frame=frame)
        else:
            im = ax.imshow(m.numpy(), cmap=cmap, vmin=-lim, vmax=lim)
            ax.set_title(t, fontsize=10)
    if im is not None:
        fig.colorbar(im, ax=list(axes), fraction=0.02, pad=0.02, label=value_label)


def _operators(fig, axes, ops, m_h):
    """Write ``ops`` ("+", "=", "+ $b_o$ =") between neighbouring panels, at the middle row of the maps."""
    fig.canvas.draw()
    for left, right, op in zip(axes[:-1], axes[1:], ops):
        a, b = left.get_position(), right.get_position()
        y = fig.transFigure.inverted().transform(left.transData.transform((0, (m_h - 1) / 2)))[1]
        fig.text((a.x1 + b.x0) / 2, y, op, ha="center", va="center",
                 fontsize=16 if len(op) == 1 else 11, fontweight="bold")


@localized
def plot_partial_maps(X, K, out_channel=0, *, bias=None, padding=0, input_cmaps=None,
                      cmap=DIVERGING, input_names=None, value_label=None):
    """One output channel as the sum of whole maps: X[i] ⋆ K[o, i] for every i, + b[o] = Y[o].

    X: (c_i, n_h, n_w); K: (c_o, c_i, k_h, k_w) or (c_i, k_h, k_w); bias (c_o,) or None.
    Top row: the input channels X[i]; middle: their kernels K[o, i] (values written);
    bottom: the partial maps X[i] ⋆ K[o, i] (from ``chanconv.course.partials.partial_maps``), "+"
    between them, "=" their sum, which is Y[o] without a bias; with one, "+ b[o] =" Y[o].
    Small maps get their values written; large ones are heatmaps sharing one colour range
    centred on 0 (one colourbar labelled ``value_label``, by default :data:`VALUE_LABEL` in the language in
    use; the map ``cmap`` is diverging, by default
    one whose colours say nothing about red, green or blue), so that the partial maps, the sum and
    Y can be compared.
    """
    Xt = as_float_tensor(X, "X").detach().cpu()
    Kt = as_float_tensor(K, "K").detach().cpu()
    K4 = Kt if Kt.dim() == 4 else Kt.unsqueeze(0)
    bt = None if bias is None else as_float_tensor(bias, "bias").detach().cpu()
    o = out_channel
    one = Kt.dim() == 3  # a single output channel: the notation of notebook 1, K_i and Y
    kname = (lambda i: sym("K", i)) if one else (lambda i: sym("K", o, i))
    yname = sym("Y") if one else sym("Y", o)
    P = partial_maps(Xt, K4, o, bt, padding=padding)
    c_i = Xt.shape[0]
    names = input_names or [sym("X", i) for i in range(c_i)]
    small = max(Xt.shape[1:]) <= TEXT_CELLS_MAX
    # small maps: every panel spans as many cells as the input, so all cells have one size
    frame = (max(Xt.shape[1], K4.shape[2], P.output.shape[0]), max(Xt.shape[2], K4.shape[3], P.output.shape[1]))
    ncols = c_i + (2 if bt is not None else 1)
    big_h = 1.0 if small else 1.15
    fig, axes = plt.subplots(3, ncols, figsize=(2.9 * ncols + (0 if small else 0.8), 7.6 if small else 9.6),
                             gridspec_kw=dict(height_ratios=[big_h, 1.0 if small else 1.1, big_h], wspace=0.45,
                                              hspace=0.35))
    for ax in axes.flat:
        ax.axis("off")
    lim = max(float(P.partials.abs().max()), float(P.summed.abs().max()),
              float(P.output.abs().max())) or 1.0
    for c in range(c_i):
        in_cmap = (input_cmaps[c] if input_cmaps is not None else "gray")
        if small:
            draw_grid(axes[0, c], Xt[c], title=names[c], frame=frame)
        else:
            im_in = axes[0, c].imshow(Xt[c].numpy(), cmap=in_cmap, vmin=0, vmax=1)
            axes[0, c].set_title(names[c], fontsize=10)
            fig.colorbar(im_in, ax=axes[0, c], fraction=0.046, pad=0.03)
        draw_grid(axes[1, c], K4[o, c], title=_("kernel {name}").format(name=kname(c)), values=True,
                  fontsize=11 if small else 10 if K4.shape[3] <= 3 else 8, frame=frame if small else None)
    _bottom_row(fig, axes[2], P, kname, yname, o, has_bias=bt is not None, small=small, frame=frame, cmap=cmap,
                lim=lim, value_label=_(VALUE_LABEL) if value_label is None else value_label)
    _operators(fig, axes[2], ["+"] * (c_i - 1) + ["="] + ([f"+ $b_{{{o}}}$ ="] if bt is not None else []),
               P.output.shape[0])
    formula = (f"{yname} = " + " + ".join(f"{sym('X', i)} {STAR} {kname(i)}" for i in range(c_i))
               + (f" + $b_{{{o}}}$" if bt is not None else ""))
    heading = _("One output channel: {formula}") if one else _("Output channel {o}: {formula}")
    fig.suptitle(heading.format(o=f"$o = {o}$", formula=formula), fontsize=12)
    return fig


def _voxel_block(ax, size, box, colour_of, *, edge=(0, 0, 0, 0.35)):
    """Draw a block of ``size = (depth, height, width)`` cells, centred in a ``box`` cube.

    Axes of the drawing: x = column (to the right), y = channel (depth, channel 0 in front),
    z = height (row 0 at the top). ``colour_of(d, r, c)`` gives the RGBA of one cell.
    """
    d, h, w = size
    filled = np.zeros((box, box, box), bool)
    face = np.zeros((box, box, box, 4))
    x0, y0, z0 = (box - w) // 2, (box - d) // 2, (box - h) // 2
    for ch in range(d):
        for r in range(h):
            for c in range(w):
                filled[x0 + c, y0 + ch, z0 + h - 1 - r] = True
                face[x0 + c, y0 + ch, z0 + h - 1 - r] = colour_of(ch, r, c)
    ax.voxels(filled, facecolors=face, edgecolor=edge, linewidth=0.4)
    ax.set_xlim(0, box)
    ax.set_ylim(0, box)
    ax.set_zlim(0, box)
    ax.set_box_aspect((1, 1, 1), zoom=1.15)
    ax.view_init(elev=22, azim=-58)
    ax.set_axis_off()


class _Slots:
    """plot_volume's layout: ``slots`` panels in two rows (top, bottom), with labels, ⋆ and arrows between them."""

    def __init__(self, fig, slots):
        self.fig, self.slots = fig, slots
        self.W, gap = 1 / (slots + 0.9), 0.9 / (slots + 0.9)  # slot width; the gaps after X and before Y
        self.x_of = [0.0] + [self.W + gap / 2 + o * self.W for o in range(slots - 2)] + [self.W * (slots - 1) + gap]
        self.rows = {"top": 0.55, "bottom": 0.06}
        self.size = 0.36

    def panel(self, slot, where):
        return self.fig.add_axes((self.x_of[slot], self.rows[where], self.W, self.size), projection="3d")

    def label(self, slot, where, text):
        self.fig.text(self.x_of[slot] + self.W / 2, self.rows[where] + 0.005, text, ha="center", va="top",
                      fontsize=9.5)

    def star(self, where):  # between X and the first kernel block
        self.fig.text((self.x_of[0] + self.W + self.x_of[1]) / 2, self.rows[where] + self.size / 2, STAR,
                      ha="center", va="center", fontsize=20)

    def arrow(self, x_left, x_right, where, text):
        y = self.rows[where] + self.size / 2
        self.fig.patches.append(FancyArrowPatch((x_left + 0.01, y), (x_right - 0.01, y), arrowstyle="-|>",
                                                mutation_scale=18, lw=1.6, color="0.25",
                                                transform=self.fig.transFigure))
        self.fig.text((x_left + x_right) / 2, y + 0.015, text, ha="center", va="bottom", fontsize=9.5)

    def heading(self, where, title, subtitle):
        top = self.rows[where] + self.size
        self.fig.text(0.01, top + 0.04, title, fontsize=12, fontweight="bold", va="bottom")
        self.fig.text(0.01, top + 0.015, subtitle, fontsize=9.5, va="bottom")


def _check_volume(c_i, n_h, n_w, k_h, k_w, c_o, *, row, col):
    """plot_volume's numbers: positive ints, a kernel that fits, at most 6 blocks, (row, col) inside Y."""
    check_counts(c_i=c_i, n_h=n_h, n_w=n_w, k_h=k_h, k_w=k_w, c_o=c_o)
    if k_h > n_h or k_w > n_w:
        raise ValueError(_("kernel {k_h}×{k_w} is larger than the input {n_h}×{n_w}").format(
            k_h=k_h, k_w=k_w, n_h=n_h, n_w=n_w))
    if c_o > 6:
        raise ValueError(_("c_o = {c_o}: the figure draws at most 6 kernel blocks side by side").format(c_o=c_o))
    m_h, m_w = n_h - k_h + 1, n_w - k_w + 1
    if not (0 <= row < m_h and 0 <= col < m_w):
        raise ValueError(_("(row, col) = ({row}, {col}) is outside the {m_h}×{m_w} output").format(
            row=row, col=col, m_h=m_h, m_w=m_w))
    return m_h, m_w


@localized
def plot_volume(c_i=3, n_h=5, n_w=5, k_h=3, k_w=3, c_o=2, *, row=0, col=0):
    """The layer as volumes (3-D axes): X (c_i × n_h × n_w), kernel blocks, Y (c_o × m_h × m_w).

    Every block is drawn at the same scale, one cube per number, channel axis going into the
    picture (channel 0 in front), row 0 at the top. Top row: one c_i × k_h × k_w kernel block
    multiplies the window at (row, col) through all c_i channels of X (gold) and gives one
    number (solid cell) of one output channel, m_h × m_w. Bottom row: the c_o kernel blocks
    K[0] … K[c_o − 1] side by side, each applied to the same gold window, give one number of
    each output channel; the c_o output channels are stacked into Y, c_o × m_h × m_w (channel o
    in kernel o's colour). Stride 1, no padding: m_h = n_h − k_h + 1, m_w = n_w − k_w + 1.
    """
    m_h, m_w = _check_volume(c_i, n_h, n_w, k_h, k_w, c_o, row=row, col=col)
    colours = [plt.get_cmap("tab10")(o)[:3] for o in range(c_o)]
    box = max(c_i, n_h, n_w, c_o, k_h, k_w)
    gray, gold = (0.86, 0.86, 0.86, 1.0), (1.0, 0.78, 0.1, 1.0)

    def x_colour(ch, r, c):
        return gold if (row <= r < row + k_h and col <= c < col + k_w) else gray

    def y_colour(ch, r, c):  # output channel ch in its kernel's colour, solid where the window lands
        pale = tuple(0.6 + 0.4 * v for v in colours[ch]) + (1.0,)
        return colours[ch] + (1.0,) if (r, c) == (row, col) else pale

    s = _Slots(plt.figure(figsize=(2.45 * (c_o + 2) + 1.6, 8.2)), c_o + 2)  # X, c_o kernel blocks, Y
    last = s.slots - 1
    # top row: one kernel block → one output channel
    _voxel_block(s.panel(0, "top"), (c_i, n_h, n_w), box, x_colour)
    _voxel_block(s.panel(1, "top"), (c_i, k_h, k_w), box, lambda *_: colours[0] + (1.0,))
    _voxel_block(s.panel(last, "top"), (1, m_h, m_w), box, y_colour)
    s.label(0, "top", _("input {name}: {formula}\n= {sizes}").format(
        name=sym("X"), formula=r"$c_i \times n_h \times n_w$", sizes=f"{c_i} × {n_h} × {n_w}"))
    s.label(1, "top", _("kernel block {name}: {formula}\n= {sizes}").format(
        name=sym("K", 0), formula=r"$c_i \times k_h \times k_w$", sizes=f"{c_i} × {k_h} × {k_w}"))
    s.label(last, "top", _("output channel {name}: {formula}\n= {sizes}").format(
        name=sym("Y", 0), formula=r"$m_h \times m_w$", sizes=f"{m_h} × {m_w}"))
    s.star("top")
    s.arrow(s.x_of[1] + s.W, s.x_of[last], "top",
            _("the gold window (all $c_i$ channels)\ntimes {K}, summed:\none number (the solid cell)").format(
                K=sym("K", 0)))
    s.heading("top", _("One kernel block → one output channel"),
              _("sliding the window over {X} fills the rest of {Y}").format(X=sym("X"), Y=sym("Y", 0)))
    # bottom row: c_o kernel blocks side by side → c_o output channels stacked
    _voxel_block(s.panel(0, "bottom"), (c_i, n_h, n_w), box, x_colour)
    for o in range(c_o):
        _voxel_block(s.panel(1 + o, "bottom"), (c_i, k_h, k_w), box, lambda *_, o=o: colours[o] + (1.0,))
        s.label(1 + o, "bottom", f"{sym('K', o)}: {c_i} × {k_h} × {k_w}")
    _voxel_block(s.panel(last, "bottom"), (c_o, m_h, m_w), box, y_colour)
    s.label(0, "bottom", _("input {name}: {sizes}").format(name=sym("X"), sizes=f"{c_i} × {n_h} × {n_w}"))
    s.label(last, "bottom", _("output {name}: {formula}\n= {sizes}\n(channel $o$ in {K}'s colour,\n{Y0} in front)")
            .format(name=sym("Y"), formula=r"$c_o \times m_h \times m_w$", sizes=f"{c_o} × {m_h} × {m_w}",
                    K=sym("K", "o"), Y0=sym("Y", 0)))
    s.star("bottom")
    s.arrow(s.x_of[c_o] + s.W, s.x_of[last], "bottom", _("stack"))
    s.fig.text((s.x_of[1] + s.x_of[c_o] + s.W) / 2, s.rows["bottom"] - 0.045,
               _("kernel {name}: {formula} = {sizes}, one block per output channel").format(
                   name=sym("K"), formula=r"$c_o \times c_i \times k_h \times k_w$",
                   sizes=f"{c_o} × {c_i} × {k_h} × {k_w}"),
               ha="center", va="top", fontsize=9.5)
    s.heading("bottom", _("{c_o} kernel blocks → {c_o} output channels").format(c_o=f"$c_o = {c_o}$"),
              _("each {K} times the same gold window gives one number of its own output channel {Y}").format(
                  K=sym("K", "o"), Y=sym("Y", "o")))
    return s.fig
