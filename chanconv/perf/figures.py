"""Figures of measured speed: one colour per method, and the roofline.

:func:`method_colour` gives every method the same colour in every figure (notebook 8's sweeps and
the roofline); :func:`plot_roofline` draws layers and methods against the machine's roofs.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.transforms import offset_copy

from ..core.fonts import localized
from ..core.i18n import N_, _
from ..core.methods import METHODS
from .roofline import ridge_point

__all__ = ["method_colour", "plot_roofline"]

PEAK_STYLES = (dict(color="0.45", ls="--", lw=1.3), dict(color="#08519c", ls="-", lw=1.8),
               dict(color="#6a51a3", ls="-.", lw=1.3))
MEMORY_STYLES = (dict(color="#cb181d", ls="-", lw=1.8), dict(color="#fb6a4a", ls=":", lw=1.3),
                 dict(color="#fcae91", ls=":", lw=1.3))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "p", "h")
DODGE = 2.5   # points between the methods of one layer (torch sits on the layer's line)
LABEL_CHARS = 34  # the longest layer label on the top axis (labels sharing a place are joined)
NOMINAL_NOTE = N_("nominal (fewer multiplications than counted)")  # translated where drawn


def method_colour(method: str):
    """One colour per method in every figure: black for torch, tab10 by the method's place in the ladder."""
    if method == "torch":
        return "black"
    colours = plt.get_cmap("tab10").colors
    return colours[(METHODS.index(method) + 1) % len(colours)] if method in METHODS else colours[0]


def _method_styles(methods):
    """A colour (:func:`method_colour`) and a marker per method, the same in every figure."""
    order = [m for m in METHODS if m in methods] + sorted(set(methods) - set(METHODS) - {"torch"})
    return {m: (method_colour(m), MARKERS[(METHODS.index(m) if m in METHODS else len(METHODS)) % len(MARKERS)])
            for m in order}


def _joined(labels, most=LABEL_CHARS):
    """Layer labels that share one place on the axis, joined by " / " up to ``most`` characters."""
    labels = list(dict.fromkeys(labels))
    text = labels[0]
    for i, label in enumerate(labels[1:], 1):
        if len(text) + 3 + len(label) > most:
            return _("{text} +{n} more").format(text=text, n=len(labels) - i)
        text += " / " + label
    return text


def _label_angle(ax, x0, x1, y0, y1):
    """The on-screen angle (degrees) of the segment (x0, y0)–(x1, y1) given in data coordinates."""
    (a, b), (c, d) = ax.transData.transform([(x0, y0), (x1, y1)])
    return float(np.degrees(np.arctan2(d - b, c - a)))


def _frame(points, peaks, roofs, figsize, title):
    """The log–log axes, wide enough for every point, peak and ridge; returns (fig, ax, (x_lo, x_hi, y_lo))."""
    ridges = [ridge_point(v, bw) for v in peaks.values() for bw in roofs.values()]
    xs = [p["intensity"] for p in points] + ridges
    ys = [p["gflops"] for p in points] + list(peaks.values())
    x_lo, x_hi = min(xs) / 8, max(xs) * 3
    y_lo, y_hi = min(min(ys), min(roofs.values()) * x_lo) / 2, max(ys) * 2.2
    fig, ax = plt.subplots(figsize=figsize)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_xlabel(_("arithmetic intensity I (FLOP/byte: FLOPs over the bytes of X, W, b and Y)"))
    ax.set_ylabel("GFLOP/s (float32)")
    ax.grid(True, which="major", alpha=0.3)
    ax.grid(True, which="minor", alpha=0.08)
    ax.set_title(title, fontsize=11)
    return fig, ax, (x_lo, x_hi, y_lo)


def _draw_points(fig, ax, points, nominal):
    """torch as black stars, each method its own colour and marker, nominal ones hollow; the methods of
    one layer set a few pixels apart (DODGE) so that equal rates stay visible."""
    methods = list(dict.fromkeys(p["method"] for p in points))
    styles = _method_styles(methods)
    drawn = [m for m in styles if m in methods]
    if "torch" in methods:
        pts = [p for p in points if p["method"] == "torch"]
        ax.scatter([p["intensity"] for p in pts], [p["gflops"] for p in pts], marker="*", s=220,
                   color="black", zorder=3.5, label="torch.nn.functional.conv2d")
    for i, method in enumerate(drawn):
        pts = [p for p in points if p["method"] == method]
        x, y = [p["intensity"] for p in pts], [p["gflops"] for p in pts]
        shift = offset_copy(ax.transData, fig=fig, x=DODGE * (i - (len(drawn) - 1) / 2), y=0, units="points")
        colour, marker = styles[method]
        if method in nominal:
            ax.scatter(x, y, marker=marker, s=60, facecolors="none", edgecolors=colour, linewidths=1.6,
                       zorder=4, transform=shift, label=f"{method}: {_(NOMINAL_NOTE)}")
        else:
            ax.scatter(x, y, marker=marker, s=45, color=colour, edgecolors="white", linewidths=0.5,
                       zorder=4, transform=shift, label=method)


def _draw_roofs(ax, peaks, roofs, x_lo, x_hi):
    """Peaks as horizontal lines, memory roofs as bandwidth × I up to the highest peak; the legend below."""
    top, memory = max(peaks.values()), next(iter(roofs.values()))
    for (name, value), style in zip(peaks.items(), PEAK_STYLES * len(peaks)):
        ax.plot([x_lo, x_hi], [value, value], **style, zorder=3,
                label=_("{name}: {value} GFLOP/s (ridge ● at I = {ridge} FLOP/byte)").format(
                    name=name, value=f"{value:.0f}", ridge=f"{ridge_point(value, memory):.0f}"))
    for (name, bw), style in zip(roofs.items(), MEMORY_STYLES * len(roofs)):
        ax.plot([x_lo, top / bw], [bw * x_lo, top], **style, zorder=3, label=f"{name}: {bw:.1f} GB/s × I")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8.5, frameon=False)


def _label_layers(ax, points, y_lo):
    """A faint vertical line at each layer's intensity; its label on a top axis, merged where labels
    would overlap."""
    layers: dict[float, list[str]] = {}
    for p in points:
        if p["label"] not in layers.setdefault(p["intensity"], []):
            layers[p["intensity"]].append(p["label"])
    for x in layers:
        ax.axvline(x, color="0.75", lw=0.7, ls=":", zorder=0)
    placed = []
    for x in sorted(layers):
        sx = ax.transData.transform((x, y_lo))[0]
        if placed and sx - placed[-1][1] < 11:
            placed[-1][2].extend(layers[x])
        else:
            placed.append([x, sx, list(layers[x])])
    top_axis = ax.secondary_xaxis("top")
    top_axis.set_xticks([x for x, _, _ in placed], [_joined(labels) for _, _, labels in placed], minor=False)
    top_axis.set_xticks([], minor=True)
    top_axis.tick_params(axis="x", labelrotation=90, labelsize=7.5, labelcolor="0.3", length=3)


def _label_roofs(ax, peaks, roofs, x_lo, y_lo):
    """Labels written on the lines, once the layout (and so the on-screen slope) is final. Peak labels at
    the left, where the memory roof keeps the points away: the highest peak's above its line, the others
    below theirs, so that close peaks do not write over each other."""
    top, memory = max(peaks.values()), next(iter(roofs.values()))
    for (name, value), style in zip(peaks.items(), PEAK_STYLES * len(peaks)):
        ax.plot([ridge_point(value, memory)], [value], marker="o", ms=7, color=style["color"], mec="white",
                zorder=6)
        above = value == top
        ax.annotate(f"{name}: {value:.0f} GFLOP/s", (x_lo, value), xytext=(6, 3 if above else -3),
                    textcoords="offset points", ha="left", va="bottom" if above else "top",
                    fontsize=9, color=style["color"], zorder=7)
    for (name, bw), style in zip(roofs.items(), MEMORY_STYLES * len(roofs)):
        x_text = max(x_lo * 1.4, 3 * y_lo / bw)
        angle = _label_angle(ax, x_lo, top / bw, bw * x_lo, top)
        ax.annotate(f"{name}: {bw:.1f} GB/s × I", (x_text, bw * x_text), xytext=(-2, 3),
                    textcoords="offset points", rotation=angle, rotation_mode="anchor", ha="left",
                    va="bottom", fontsize=9, color=style["color"])


@localized
def plot_roofline(points, peaks, bandwidth, *, nominal=(), cpu=None, title=None, figsize=(10, 8)):
    """A roofline: each layer's achieved GFLOP/s against its arithmetic intensity, log–log.

    x: arithmetic intensity I in FLOP/byte (:func:`chanconv.perf.roofline.arithmetic_intensity`);
    y: GFLOP/s (10⁹ FLOP/s, nominal: the layer's 2 · c_i · c_o · k_h · k_w · m_h · m_w FLOPs over
    its time).

    points: dicts with ``label`` (the layer, short: e.g. its family; written on a top axis,
    joined where layers sit at nearly the same intensity), ``intensity``, ``gflops`` and
    ``method`` (``"torch"`` for ``torch.nn.functional.conv2d``: a black star). Each other method
    has its own colour and marker; a method in ``nominal`` is drawn hollow with a legend entry
    saying that its rate is nominal (it does fewer multiplications than the FLOPs counted, as
    Winograd and the FFT do), which is how it can sit above a roof.
    peaks: {name: GFLOP/s}, e.g. ``{"theoretical peak": 358, "attainable peak (matrix product)": 209}``
    (:func:`chanconv.perf.roofline.roof_peaks`; a name the catalog has is written in the language in use),
    each a horizontal line labelled with its value and its ridge point (●, where the memory roof
    meets it: I = peak / bandwidth).
    bandwidth: GB/s (10⁹ bytes/s), the memory roof bandwidth × I; or {name: GB/s} for several
    roofs (the first is the memory's). cpu: named in the title.
    Returns the Figure (its one axes: ``fig.axes[0]``).
    """
    points = list(points)
    peaks = {_(name): value for name, value in dict(peaks).items()}  # roof_peaks' names, in the language in use
    roofs = dict(bandwidth) if isinstance(bandwidth, dict) else {_("memory roof"): float(bandwidth)}
    if not peaks or not roofs:
        raise ValueError(_("plot_roofline needs at least one peak and one bandwidth"))
    for p in points:
        if not (p["intensity"] > 0 and p["gflops"] > 0):
            raise ValueError(_("point {point}: intensity and gflops must be positive to sit on log axes").format(
                point=repr(p)))
    fig, ax, (x_lo, x_hi, y_lo) = _frame(points, peaks, roofs, figsize, title or _(
        "Roofline of {cpu}\nfloat32, nominal GFLOP/s (the FLOPs counted over the time)").format(
        cpu=cpu or _("this machine")))
    _label_layers(ax, points, y_lo)
    _draw_points(fig, ax, points, set(nominal))
    _draw_roofs(ax, peaks, roofs, x_lo, x_hi)
    fig.tight_layout()  # the layout first: the labels below follow on-screen slopes
    _label_roofs(ax, peaks, roofs, x_lo, y_lo)
    return fig
