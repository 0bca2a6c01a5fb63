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
from matplotlib.patches import Rectangle

from .checks import as_float_tensor, pair
from .conv import conv2d
from .explain import element_terms, format_number

__all__ = [
    "draw_grid",
    "plot_element",
    "plot_maps",
    "plot_multi_in_out",
    "plot_photo_channels",
]

SHADE = "#9ecae1"       # the cells used by the highlighted output element
EDGE = "#08519c"
TEXT_CELLS_MAX = 12     # write values in the cells up to this many rows and columns
CHANNEL_CMAPS = ("Reds", "Greens", "Blues")


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
                ax.text(c, r, format_number(A[r, c]).strip("()"), ha="center", va="center",
                        fontsize=size)
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


def plot_photo_channels(X, *, title="The photo's c_i = 3 channels"):
    """An RGB image X (3, n_h, n_w) in [0, 1]: the colour photo, then each channel on its own."""
    A = _np(X)
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.6))
    axes[0].imshow(np.clip(A.transpose(1, 2, 0), 0, 1))
    axes[0].set_title(f"X: {A.shape[0]} × {A.shape[1]} × {A.shape[2]}")
    for c, (ax, cmap, name) in enumerate(zip(axes[1:], CHANNEL_CMAPS, "RGB")):
        ax.imshow(A[c], cmap=cmap, vmin=0, vmax=1)
        ax.set_title(f"X[{c}] ({name}): {A.shape[1]} × {A.shape[2]}")
    for ax in axes:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_maps(maps, titles, *, suptitle=None, cmap="gray", ncols=None, symmetric=False, ranges=None):
    """Several 2-D maps side by side as heatmaps (e.g. the output channels of a layer).

    ``ranges``: one (vmin, vmax) per map (or None for automatic), so that a constant map shows
    its value instead of being stretched; ``symmetric`` centres every automatic range on 0.
    """
    maps = [_np(m) for m in maps]
    ranges = list(ranges) if ranges is not None else [None] * len(maps)
    ncols = ncols or len(maps)
    nrows = -(-len(maps) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 3.2 * nrows), squeeze=False)
    for ax in axes.flat[len(maps):]:
        ax.axis("off")
    for ax, m, t, r in zip(axes.flat, maps, titles, ranges):
        if r is None and symmetric:
            lim = float(np.abs(m).max()) or 1.0
            r = (-lim, lim)
        vmin, vmax = r if r is not None else (None, None)
        ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_title(t, fontsize=10)
        ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


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
    r0, r1 = terms.rows
    c0, c1 = terms.cols
    o = out_channel
    for line, c in enumerate(order):
        draw_grid(axes[line, 0], Xp[c], title=f"input channel X[{c}]", highlight=(r0, r1, c0, c1),
                  frame=(frame_h, Xp.shape[2]))
        k_h, k_w = K4.shape[2:]
        name = f"K[{o}, {c}]" if Kt.dim() == 4 else f"K[{c}]"
        draw_grid(axes[line, 1], K4[o, c], highlight=(0, k_h, 0, k_w), frame=(frame_h, k_w),
                  title=f"{name}: partial sum {format_number(terms.partial_sums[c])}")
        axes[line, 2].axis("off")
    out_ax = axes[c_i // 2, 2] if c_i > 1 else axes[0, 2]
    out_ax.axis("on")
    draw_grid(out_ax, Y[o], title=f"output Y[{o}]" if Kt.dim() == 4 else "output Y",
              highlight=(row, row + 1, col, col + 1), frame=(frame_h, Y.shape[2]))
    fig.suptitle(terms.text(channels=order), fontsize=11)
    fig.tight_layout()
    return fig


def plot_multi_in_out(X, K, *, bias=None):
    """c_i input channels, the c_o × c_i grid of kernels, and the c_o output channels.

    X: (c_i, n_h, n_w); K: (c_o, c_i, k_h, k_w). Row o shows the kernels K[o, :] that make
    output channel Y[o] from all input channels.
    """
    Y = conv2d(X, K, bias)
    Xa, Ka, Ya = _np(X), _np(K), _np(Y)
    c_o, c_i = Ka.shape[:2]
    rows = max(c_o, c_i)
    fig, axes = plt.subplots(rows, c_i + 2, figsize=(2.0 * (c_i + 2), 2.0 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for c in range(c_i):
        axes[c, 0].axis("on")
        draw_grid(axes[c, 0], Xa[c], title=f"X[{c}]")
    for o in range(c_o):
        for c in range(c_i):
            axes[o, 1 + c].axis("on")
            draw_grid(axes[o, 1 + c], Ka[o, c], title=f"K[{o}, {c}]")
        axes[o, c_i + 1].axis("on")
        draw_grid(axes[o, c_i + 1], Ya[o], title=f"Y[{o}]")
    fig.suptitle(f"c_i = {c_i} input channels → K: {c_o} × {c_i} × {Ka.shape[2]} × {Ka.shape[3]}"
                 f" → c_o = {c_o} output channels")
    fig.tight_layout()
    return fig
