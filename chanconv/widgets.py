"""The channel explorer: sliders for c_i, c_o and the kernel size, the computation shown live.

    from chanconv.widgets import ChannelExplorer
    explorer = ChannelExplorer()          # displays itself as the last expression of a cell
    explorer.controls["c_o"].value = 4    # code and tests can set any control
    explorer.result                       # the output Y, (c_o, m_h, m_w), or None
    explorer.summary                      # shapes, parameters and MACs as text
    explorer.message                      # "" or the one-line reason nothing can be computed

The picture is HTML (tables whose cells are coloured by value, with the values written in when the
grids are small), rebuilt from cached tensors on every change: only what a change touches is
recomputed (the input, the kernel, the output, or just the highlighted element), and no
matplotlib figure is drawn, so a redraw takes milliseconds (``python -m chanconv.widgets``
measures it). Every combination of control values gives the picture or a one-line explanation,
never a traceback.
"""

from __future__ import annotations

import html
import statistics
import time
from functools import lru_cache

import ipywidgets as W
import numpy as np
import torch
import torch.nn.functional as F

from .conv import auto_method, conv2d
from .cost import conv2d_cost
from .data import lecture_K, lecture_X, load_photo
from .device import default_device, device_name
from .explain import element_terms
from .timing import sync

__all__ = ["ChannelExplorer", "SOURCES", "benchmark_redraws"]

SOURCES = {
    "the lecture's X": "lecture",
    "random integers": "random",
    "the photo (c_i = 3)": "photo",
}
VALUES_MAX = 8  # write values in the cells of grids up to 8 × 8; larger grids are heatmaps only

CSS = """<style>
.ccx { font-family: system-ui, sans-serif; font-size: 12px; }
.ccx h4 { margin: 8px 0 3px 0; font-size: 13px; }
.ccx .row { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; }
.ccx .cap { font-size: 11px; color: #333; text-align: center; margin-bottom: 2px; }
.ccx table.g { border-collapse: collapse; }
.ccx table.g td { border: 1px solid #bbb; text-align: center; padding: 0; font-size: 10px; }
.ccx table.g.v td { width: 24px; height: 20px; }
.ccx table.g.h td { width: 9px; height: 9px; }
.ccx table.g td.p { color: #999; }
.ccx table.g td.w { outline: 2px solid #d62728; outline-offset: -2px; font-weight: bold; }
.ccx table.kgrid td.kc { padding: 2px; vertical-align: top; border: 0; }
.ccx table.kgrid th { font-weight: normal; font-size: 11px; padding: 2px; }
.ccx table.kgrid tr.sel th, .ccx table.kgrid tr.sel td.kc { background: #fde2e2; }
.ccx .sum { font-family: ui-monospace, monospace; font-size: 12px; margin-top: 6px; white-space: pre-wrap; }
.ccx .msg { color: #a00; font-size: 13px; padding: 6px; }
.ccx pre { margin: 4px 0; }
</style>"""


def _color(v: float, lim: float) -> str:
    """A diverging blue-white-red colour for v in [-lim, lim] (white at 0)."""
    t = 0.0 if lim == 0 else max(-1.0, min(1.0, v / lim))
    if t >= 0:
        r, g, b = 255, int(255 - 150 * t), int(255 - 170 * t)
    else:
        r, g, b = int(255 + 170 * t), int(255 + 120 * t), 255
    return f"#{r:02x}{g:02x}{b:02x}"


def _fmt(v: float) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e6 else f"{v:.2f}".rstrip("0").rstrip(".")


def grid_html(A: np.ndarray, *, lim: float, window=None, pad: int | tuple = 0, values=None) -> str:
    """One 2-D array as an HTML table: cells coloured by value; ``window=(r0, r1, c0, c1)`` outlined.

    ``pad=(p_h, p_w)`` marks that many border rows and columns as padding (shown grey).
    """
    h, w = A.shape
    p_h, p_w = (pad, pad) if isinstance(pad, int) else pad
    show = values if values is not None else max(h, w) <= VALUES_MAX
    r0, r1, c0, c1 = window if window is not None else (-1, -1, -1, -1)
    out = [f'<table class="g {"v" if show else "h"}">']
    for r in range(h):
        out.append("<tr>")
        for c in range(w):
            v = A[r, c]
            cls = []
            if r < p_h or r >= h - p_h or c < p_w or c >= w - p_w:
                cls.append("p")
            if r0 <= r < r1 and c0 <= c < c1:
                cls.append("w")
            attr = f' class="{" ".join(cls)}"' if cls else ""
            text = _fmt(v) if show else ""
            out.append(f'<td{attr} style="background:{_color(v, lim)}" title="{_fmt(v)}">{text}</td>')
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


@lru_cache(maxsize=1)
def _photo_full() -> torch.Tensor:
    return load_photo(height=None)


class ChannelExplorer:
    """Interactive c_i / c_o / kernel explorer for a notebook (ipywidgets).

    ``controls`` maps names to widgets: ``c_i``, ``c_o`` (1–8), ``k_h``, ``k_w`` (1–7),
    ``stride`` (1–3), ``padding`` (0–3), ``n`` (input size n_h = n_w, 3–16), ``source``,
    ``seed``, ``bias``, and the picked output element ``o``, ``i``, ``j`` with ``play``, which
    walks the positions. Keyword arguments set initial values, e.g.
    ``ChannelExplorer(source="random", c_i=3, c_o=4)``.
    """

    def __init__(self, device=None, **initial):
        self.device = torch.device(device) if device is not None else default_device()
        style = {"description_width": "72px"}
        lay = W.Layout(width="260px")

        def slider(name, lo, hi, value):
            return W.IntSlider(value=value, min=lo, max=hi, description=name, style=style, layout=lay,
                               continuous_update=True)

        self.controls = {
            "source": W.Dropdown(options=list(SOURCES.items()), value="lecture", description="input",
                                 style=style, layout=lay),
            "c_i": slider("c_i", 1, 8, 2),
            "c_o": slider("c_o", 1, 8, 3),
            "k_h": slider("k_h", 1, 7, 2),
            "k_w": slider("k_w", 1, 7, 2),
            "stride": slider("stride", 1, 3, 1),
            "padding": slider("padding", 0, 3, 0),
            "n": slider("n_h = n_w", 3, 16, 3),  # a square input
            "seed": W.BoundedIntText(value=0, min=0, max=10_000, description="seed", style=style,
                                     layout=W.Layout(width="160px")),
            "bias": W.Checkbox(value=False, description="bias b", indent=False),
            "o": slider("Y[o, ., .]", 0, 2, 0),
            "i": slider("row i", 0, 1, 0),
            "j": slider("col j", 0, 1, 0),
            "play": W.Play(value=0, min=0, max=11, step=1, interval=700, description="walk"),
        }
        self.view = W.HTML()
        self.status = W.HTML()
        self.result: torch.Tensor | None = None
        self.summary: str = ""
        self.message: str = ""
        self.element_text: str = ""
        self.compute_seconds: float | None = None
        self.last_redraw_seconds: float | None = None
        self._cache: dict = {}
        self._quiet = False
        for name, value in initial.items():
            if name not in self.controls:
                raise TypeError(f"unknown control {name!r}: choose from {sorted(self.controls)}")
            self.controls[name].value = value
        if initial.get("source", "lecture") == "lecture":
            self._apply_source("lecture", keep=initial)
        elif initial.get("source") == "photo" and "c_i" not in initial:
            self.controls["c_i"].value = 3
        for widget in self.controls.values():
            widget.observe(self._on_change, names="value")
        c = self.controls
        left = W.VBox([c["source"], c["c_i"], c["c_o"], c["n"], c["seed"]])
        middle = W.VBox([c["k_h"], c["k_w"], c["stride"], c["padding"], c["bias"]])
        right = W.VBox([W.HTML("<b>the picked output element</b>"), c["o"], c["i"], c["j"], c["play"]])
        self.widget = W.VBox([W.HBox([left, middle, right]), self.status, self.view])
        self.update()

    # -- display ---------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle = dict(bundle or {})
        bundle["text/plain"] = "ChannelExplorer: " + (self.summary or self.message)
        return bundle

    # -- events ----------------------------------------------------------------------------------
    def _on_change(self, change):
        if self._quiet:
            return
        owner = change["owner"]
        if owner is self.controls["source"]:
            self._apply_source(change["new"])
        elif owner is self.controls["play"]:
            self._apply_play(change["new"])
        self.update()

    def _apply_source(self, source, keep=()):
        """Picking an input source sets the controls it needs (the lecture's shapes, c_i = 3)."""
        presets = {"lecture": dict(c_i=2, n=3, k_h=2, k_w=2, c_o=3, stride=1, padding=0, bias=False),
                   "photo": dict(c_i=3, n=12), "random": {}}[source]
        self._quiet = True
        try:
            for name, value in presets.items():
                if name not in keep:
                    self.controls[name].value = value
        finally:
            self._quiet = False

    def _apply_play(self, flat):
        if self.result is None:
            return
        _, m_h, m_w = self.result.shape
        o, rest = divmod(flat, m_h * m_w)
        self._quiet = True
        try:
            self.controls["o"].value, self.controls["i"].value, self.controls["j"].value = (
                o, *divmod(rest, m_w))
        finally:
            self._quiet = False

    # -- the computation -------------------------------------------------------------------------
    @property
    def tensors(self):
        """(X, K, b) behind the picture: X (c_i, n_h, n_w), K (c_o, c_i, k_h, k_w), b (c_o,) or None."""
        return self._inputs(self.values())

    def values(self) -> dict:
        return {name: w.value for name, w in self.controls.items()}

    def _inputs(self, v):
        """X, K, b for the current controls (cached on the controls they depend on)."""
        key = (v["source"], v["c_i"], v["n"], v["seed"])
        if self._cache.get("x_key") != key:
            g = torch.Generator().manual_seed(v["seed"])
            if v["source"] == "lecture":
                X = lecture_X()
            elif v["source"] == "photo":
                X = F.interpolate(_photo_full()[None], size=(v["n"], v["n"]), mode="area")[0]
                X = torch.round(X * 100) / 100
            else:
                X = torch.randint(0, 10, (v["c_i"], v["n"], v["n"]), generator=g).float()
            self._cache.update(x_key=key, X=X.to(self.device))
        key = (v["source"], v["c_i"], v["c_o"], v["k_h"], v["k_w"], v["seed"], v["bias"])
        if self._cache.get("k_key") != key:
            g = torch.Generator().manual_seed(10_000 + v["seed"])
            if v["source"] == "lecture":
                K = torch.stack([lecture_K() + o for o in range(v["c_o"])])  # K, K + 1, K + 2, ...
                b = torch.arange(1.0, v["c_o"] + 1)
            else:
                K = torch.randint(-2, 3, (v["c_o"], v["c_i"], v["k_h"], v["k_w"]), generator=g).float()
                b = torch.randint(-5, 6, (v["c_o"],), generator=g).float()
            self._cache.update(k_key=key, K=K.to(self.device), b=b.to(self.device) if v["bias"] else None)
        return self._cache["X"], self._cache["K"], self._cache["b"]

    def _cost(self, v):
        """(conv2d_cost, '') when the controls can be computed, else (None, the one-line reason)."""
        if v["source"] == "lecture" and (v["c_i"], v["n"], v["k_h"], v["k_w"]) != (2, 3, 2, 2):
            return None, ("the lecture's X is 2 × 3 × 3 and its kernels are 2 × 2: set c_i = 2, n_h = n_w = 3, "
                          "k_h = k_w = 2, or pick random integers")
        if v["source"] == "photo" and v["c_i"] != 3:
            return None, f"the photo has c_i = 3 channels (red, green, blue), not {v['c_i']}: set c_i = 3"
        try:  # conv2d_cost checks the window against the padded input, in chanconv's words
            return conv2d_cost(v["c_i"], v["c_o"], v["k_h"], v["k_w"], v["n"], v["n"], stride=v["stride"],
                               padding=v["padding"], bias=v["bias"]), ""
        except (ValueError, TypeError) as err:
            return None, str(err)

    def update(self):
        """Recompute what changed and redraw (called on every control change)."""
        start = time.perf_counter()
        v = self.values()
        cost, self.message = self._cost(v)
        if self.message:
            self.result, self.summary, self.element_text = None, "", ""
            self.status.value = f'<div class="ccx"><div class="msg">⚠ {html.escape(self.message)}</div></div>'
            self.view.value = CSS
            self.last_redraw_seconds = time.perf_counter() - start
            return
        X, K, b = self._inputs(v)
        key = (self._cache["x_key"], self._cache["k_key"], v["stride"], v["padding"])
        if self._cache.get("y_key") != key:
            t0 = time.perf_counter()
            Y = conv2d(X, K, b, stride=v["stride"], padding=v["padding"])
            sync(self.device)
            self.compute_seconds = time.perf_counter() - t0
            self._cache.update(y_key=key, Y=Y, torch_check=self._torch_check(X, K, b, Y, v))
        Y = self._cache["Y"]
        self.result = Y
        c_o, m_h, m_w = Y.shape
        self._set_ranges(c_o, m_h, m_w)
        self.summary = (
            f"X: (c_i, n_h, n_w) = ({v['c_i']}, {v['n']}, {v['n']}); "
            f"K: (c_o, c_i, k_h, k_w) = ({c_o}, {v['c_i']}, {v['k_h']}, {v['k_w']}); "
            + (f"b: (c_o,) = ({c_o},); " if v["bias"] else "b: none; ")
            + f"Y: (c_o, m_h, m_w) = ({c_o}, {m_h}, {m_w}); "
            f"parameters {cost.params:,}; MACs {cost.macs:,}; FLOPs {cost.flops:,}"
        )
        o, i, j = self.controls["o"].value, self.controls["i"].value, self.controls["j"].value
        terms = element_terms(X, K, o, i, j, bias=b, stride=v["stride"], padding=v["padding"])
        self.element_text = f"Y[{o}, {i}, {j}] = {terms.text()}"
        method = auto_method(v["c_i"], c_o, v["k_h"], v["k_w"], v["n"], v["n"], (v["stride"],) * 2, 1,
                             self.device, (v["padding"],) * 2)
        self.status.value = self._status_html(v, cost, method)
        self.view.value = self._picture_html(v, X, K, b, Y, terms)
        self.last_redraw_seconds = time.perf_counter() - start

    def _set_ranges(self, c_o, m_h, m_w):
        self._quiet = True
        try:
            for name, top in (("o", c_o - 1), ("i", m_h - 1), ("j", m_w - 1)):
                widget = self.controls[name]
                widget.max = top  # ipywidgets clamps value to the new max
            play = self.controls["play"]
            play.max = max(1, c_o * m_h * m_w - 1)
        finally:
            self._quiet = False

    def _torch_check(self, X, K, b, Y, v):
        c_o, c_i, k_h, k_w = K.shape
        layer = torch.nn.Conv2d(c_i, c_o, kernel_size=(k_h, k_w), stride=v["stride"], padding=v["padding"],
                                bias=b is not None).to(self.device)
        with torch.no_grad():
            layer.weight.copy_(K)
            if b is not None:
                layer.bias.copy_(b)
            Y_torch = layer(X[None])[0]
        line = (f"torch.nn.Conv2d({c_i}, {c_o}, kernel_size=({k_h}, {k_w}), stride={v['stride']}, "
                f"padding={v['padding']}, bias={b is not None})")
        same = torch.allclose(Y, Y_torch, rtol=1e-5, atol=1e-4)
        return line, same, float((Y - Y_torch).abs().max())

    # -- HTML ------------------------------------------------------------------------------------
    def _status_html(self, v, cost, method):
        line, same, diff = self._cache["torch_check"]
        ms = self.compute_seconds * 1e3
        return (
            '<div class="ccx"><pre>'
            + html.escape(self.summary.replace("; ", "\n", 4))
            + f"\nchanconv.conv2d (method {method!r}) on {html.escape(device_name(self.device))}: {ms:.2f} ms"
            + f"\n{html.escape(line)} gives the same Y: {'yes' if same else 'NO'}"
            + f" (largest difference {diff:.1g})</pre></div>"
        )

    def _picture_html(self, v, X, K, b, Y, terms):
        p, s = v["padding"], v["stride"]
        Xp = F.pad(X, (p, p, p, p)).cpu().numpy()
        Kc, Yc = K.cpu().numpy(), Y.cpu().numpy()
        o, i, j = terms.out_channel, terms.row, terms.col
        r0, r1 = terms.rows
        c0, c1 = terms.cols
        lim_x = float(np.abs(Xp).max()) or 1.0
        lim_k = float(np.abs(Kc).max()) or 1.0
        lim_y = float(np.abs(Yc).max()) or 1.0
        c_o, c_i = Kc.shape[:2]
        parts = [CSS, '<div class="ccx">']
        padded = f", padded by {p} (grey)" if p else ""
        parts.append(f"<h4>input X: c_i = {c_i} channels of {v['n']} × {v['n']}{padded}; "
                     f"window of Y[{o}, {i}, {j}] outlined</h4>")
        parts.append('<div class="row">')
        for c in range(c_i):
            parts.append(f'<div><div class="cap">X[{c}]</div>'
                         + grid_html(Xp[c], lim=lim_x, window=(r0, r1, c0, c1), pad=p) + "</div>")
        parts.append("</div>")
        parts.append(f"<h4>kernel K: c_o × c_i = {c_o} × {c_i} kernels of {v['k_h']} × {v['k_w']}"
                     f" (row o makes output channel Y[o]; row {o} is used)</h4>")
        parts.append('<table class="kgrid"><tr><th></th>'
                     + "".join(f"<th>input {c}</th>" for c in range(c_i))
                     + ("<th>b</th>" if b is not None else "") + "</tr>")
        bias = b.cpu().numpy() if b is not None else None
        for oo in range(c_o):
            sel = ' class="sel"' if oo == o else ""
            cells = "".join(
                '<td class="kc">' + grid_html(Kc[oo, c], lim=lim_k,
                                              window=(0, v["k_h"], 0, v["k_w"]) if oo == o else None)
                + "</td>" for c in range(c_i))
            bcell = f"<td class=\"kc\">{_fmt(bias[oo])}</td>" if bias is not None else ""
            parts.append(f"<tr{sel}><th>K[{oo}]</th>{cells}{bcell}</tr>")
        parts.append("</table>")
        m_h, m_w = Yc.shape[1:]
        parts.append(f"<h4>output Y: c_o = {c_o} channels of m_h × m_w = {m_h} × {m_w}"
                     f" (m = ⌊(n + 2·{p} − k) / {s}⌋ + 1)</h4><div class=\"row\">")
        for oo in range(c_o):
            win = (i, i + 1, j, j + 1) if oo == o else None
            parts.append(f'<div><div class="cap">Y[{oo}]</div>'
                         + grid_html(Yc[oo], lim=lim_y, window=win) + "</div>")
        parts.append("</div>")
        with_bias = f", plus b[{o}]" if terms.bias is not None else ""
        parts.append('<div class="sum">' + html.escape(self.element_text)
                     + f"\none partial sum per input channel{with_bias}: " + html.escape(terms.partial_text())
                     + "</div>")
        parts.append("</div>")
        return "".join(parts)


def benchmark_redraws(explorer: ChannelExplorer | None = None, repeat: int = 3):
    """Time a redraw for every value of every control (the widget's own callback, synchronously).

    Returns ``{control: [seconds, ...]}``; invalid combinations (the one-line message) count too.
    """
    ex = explorer or ChannelExplorer(source="random", c_i=3, c_o=4, k_h=3, k_w=3, n=8)
    start = ex.values()
    sweeps = {
        "c_i": range(1, 9), "c_o": range(1, 9), "k_h": range(1, 8), "k_w": range(1, 8),
        "stride": range(1, 4), "padding": range(0, 4), "n": range(3, 17), "seed": range(0, 5),
        "bias": [True, False], "o": range(0, 4), "i": range(0, 6), "j": range(0, 6),
        "source": ["photo", "random", "lecture", "random"],
    }
    times: dict[str, list[float]] = {}
    for _ in range(repeat):
        for name, values in sweeps.items():
            for value in values:
                widget = ex.controls[name]
                if name in ("o", "i", "j") and value > widget.max:
                    continue
                t0 = time.perf_counter()
                widget.value = value
                times.setdefault(name, []).append(time.perf_counter() - t0)
            if name != "source":
                ex.controls[name].value = start[name]
    return times


def main():
    times = benchmark_redraws()
    every = [t for ts in times.values() for t in ts]
    print(f"channel explorer: {len(every)} redraws on {device_name(default_device())}")
    print(f"{'control':10} {'median ms':>10} {'worst ms':>9}")
    for name, ts in times.items():
        print(f"{name:10} {statistics.median(ts) * 1e3:10.2f} {max(ts) * 1e3:9.2f}")
    print(f"{'all':10} {statistics.median(every) * 1e3:10.2f} {max(every) * 1e3:9.2f}")


if __name__ == "__main__":
    main()
