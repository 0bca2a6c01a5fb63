"""The channel explorer: sliders for c_i, c_o, the kernel and the layer, the computation shown live.

    from chanconv.explorer import ChannelExplorer
    explorer = ChannelExplorer()          # displays itself as the last expression of a cell
    explorer.controls["c_o"].value = 4    # code and tests can set any control
    explorer.result                       # the output Y, (c_o, m_h, m_w), or None
    explorer.summary                      # what is shown: shapes, parameters, MACs (never empty)
    explorer.notes                        # one line per fallback (e.g. "leaves the lecture's X ...")
    explorer.message                      # "" or the one-line reason there is no output Y

Three parts, each testable alone: :mod:`chanconv.explorer.state` computes everything from the
controls' values (pure, cached functions), :mod:`chanconv.explorer.html` draws a state as HTML,
and :class:`ChannelExplorer` (here) wires ipywidgets controls to them. ``make bench-widgets``
(``tools/explorer_bench.py``, outside the package) measures the redraw in a real browser.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import ipywidgets as widgets
import torch

from ..core import conv2d
from ..core.device import cpu_model, default_device, device_name
from ..core.timing import median_seconds
from .html import CSS, SECTIONS, render_sections, status_html, timing_html
from .state import (
    PHOTO_SIZE,
    PRESETS,
    RANGES,
    SOURCES,
    ExplorerState,
    Settings,
    explore,
    group_options,
)

__all__ = ["ChannelExplorer", "SOURCES", "PRESETS"]

# the widgets that show the picture, and the parts (explorer_html.SECTIONS) each one holds
WIDGET_PARTS = {"x": ("x",), "k": ("k",), "partial": ("partial",), "y": ("y", "sum", "3d")}
TIMING_RUNS = 5  # chanconv.conv2d's time for the layer shown: a median of this many runs
LIGHT_PAYLOAD = 40_000  # bytes: below this the picked-element sliders redraw while dragged
# the most rows or columns any output has (m ≤ n + 2p, with k = 1), and the walk's last step: more
# than any layer's c_o · m_h · m_w positions
M_MAX = max(RANGES["n_h"][1], RANGES["n_w"][1]) + 2 * RANGES["padding"][1]
PLAY_MAX = RANGES["c_o"][1] * M_MAX * M_MAX - 1

# what picking a source sets (unless the constructor names the control)
SOURCE_DEFAULTS = {
    "lecture": dict(c_i=2, n_h=3, n_w=3, k_h=2, k_w=2, c_o=3, stride=1, padding=0, groups=1, dilation=1,
                    preset="lecture", bias=False),
    "photo": dict(c_i=3, n_h=PHOTO_SIZE[0], n_w=PHOTO_SIZE[1], k_h=3, k_w=3, c_o=4, stride=1, padding=1,
                  groups=1, dilation=1, preset="edges"),
    "random": {},
}
WIDGET_CSS = """<style>
.ccx-proj .widget-label, .ccx-proj .widget-readout, .ccx-proj select, .ccx-proj input,
.ccx-proj .widget-html-content, .ccx-proj button { font-size: 18px !important; }
.ccx-proj .widget-label { min-width: 110px; }
</style>"""


class ChannelExplorer:
    """Interactive c_i / c_o / kernel explorer for a notebook (ipywidgets).

    ``controls`` maps names to widgets: ``source`` (the lecture's X, random integers, the photo),
    ``preset`` (the kernels), ``c_i``, ``c_o`` (1–8), ``k_h``, ``k_w`` (1–7), ``n_h``, ``n_w``
    (3–48), ``stride`` (1–3), ``padding`` (0–3), ``groups`` (the divisors of c_i and c_o),
    ``dilation`` (1–3), ``seed``, ``bias``, the picked output element Y[o, u, v] (``o``, ``u``,
    ``v``, and ``play``, which walks the positions), and the display switches ``projector``,
    ``full_terms`` and ``view3d``. Keyword arguments set initial values, e.g.
    ``ChannelExplorer(source="random", c_i=3, c_o=4)``; ``n=`` sets n_h = n_w.
    """

    def __init__(self, device=None, **initial):
        self.device = torch.device(device) if device is not None else default_device()
        if "n" in initial:
            n = initial.pop("n")
            initial.setdefault("n_h", n)
            initial.setdefault("n_w", n)
        style = {"description_width": "74px"}
        lay = widgets.Layout(width="236px")

        def slider(name, description, value, continuous=False):
            lo, hi = RANGES[name]
            return widgets.IntSlider(value=value, min=lo, max=hi, description=description, style=style, layout=lay,
                               continuous_update=continuous)

        d = Settings()
        self.controls = {
            "source": widgets.Dropdown(options=list(SOURCES.items()), value=d.source, description="input X",
                                 style=style, layout=lay),
            "preset": widgets.Dropdown(options=list(PRESETS.items()), value=d.preset, description="kernels K",
                                 style=style, layout=lay),
            "c_i": slider("c_i", "c_i", d.c_i),
            "c_o": slider("c_o", "c_o", d.c_o),
            "k_h": slider("k_h", "k_h", d.k_h),
            "k_w": slider("k_w", "k_w", d.k_w),
            "n_h": slider("n_h", "n_h", d.n_h),
            "n_w": slider("n_w", "n_w", d.n_w),
            "stride": slider("stride", "stride s", d.stride),
            "padding": slider("padding", "padding p", d.padding),
            "groups": widgets.Dropdown(options=[("1", 1)], value=1, description="groups", style=style, layout=lay),
            "dilation": slider("dilation", "dilation d", d.dilation),
            "seed": widgets.BoundedIntText(value=d.seed, min=RANGES["seed"][0], max=RANGES["seed"][1],
                                           description="seed", style=style, layout=widgets.Layout(width="180px")),
            "bias": widgets.Checkbox(value=False, description="bias b", indent=False),
            # ranges as wide as any layer's until the first redraw narrows them (so that o=, u=, v= given
            # to the constructor are not clamped to a range that is not yet the layer's)
            "o": widgets.IntSlider(value=0, min=0, max=RANGES["c_o"][1] - 1, description="Y[o]: o", style=style,
                             layout=lay),
            "u": widgets.IntSlider(value=0, min=0, max=M_MAX - 1, description="row u", style=style, layout=lay),
            "v": widgets.IntSlider(value=0, min=0, max=M_MAX - 1, description="column v", style=style, layout=lay),
            # the walk steps through Y's positions o, u, v in turn (modulo their number, so that its
            # range never follows the layer: one message fewer for every change of the layer)
            "play": widgets.Play(value=0, min=0, max=PLAY_MAX, step=1, interval=800, description="walk"),
            "projector": widgets.ToggleButton(value=False, description="projector mode", icon="desktop",
                                        tooltip="text of 18 px and more, larger cells, a compact sum"),
            "full_terms": widgets.Checkbox(value=False, description="every term", indent=False,
                                     layout=widgets.Layout(width="auto", margin="0 0 0 10px")),
            "view3d": widgets.Checkbox(value=False, description="3-D view", indent=False,
                                 layout=widgets.Layout(width="auto", margin="0 0 0 10px")),
        }
        # the picture in a few widgets, so that a change re-sends only what it changes (see update)
        self.sections = {name: widgets.HTML() for name in WIDGET_PARTS}
        self.view = widgets.VBox(list(self.sections.values()))
        self.view.add_class("ccx-view")
        self.parts: dict[str, str] = dict.fromkeys(SECTIONS, "")
        # the notes, the message, the summary and chanconv.conv2d's time for this layer: one widget, so that
        # a change of layer sends one message for all of them (a layer not timed yet is timed after the
        # picture is sent, so that timing never delays it, and its line follows in a second message)
        self.status = widgets.HTML()
        self._shown: dict[str, str] = {}  # what each widget of the picture shows, without the stamp
        self.state: ExplorerState | None = None
        self.compute_seconds: float | None = None
        self.payload_bytes = 0
        self.picture_bytes = 0
        self.redraws = 0
        self._timings: dict = {}
        self._quiet = False
        unknown = sorted(set(initial) - set(self.controls))
        if unknown:
            raise TypeError(f"unknown control {unknown[0]!r}: choose from {sorted(self.controls)} (or n)")
        source = initial.get("source", "lecture")
        defaults = {k: v for k, v in SOURCE_DEFAULTS[source].items() if k not in initial}
        for name, value in {**defaults, **initial}.items():
            widget = self.controls[name]
            if name == "groups":
                widget.options = [(str(value), value)]
            widget.value = value
        for widget in self.controls.values():
            _no_echo(widget)
            widget.observe(self._on_change, names="value")
        c = self.controls
        box = widgets.Layout(margin="0 8px 0 0")
        inputs = widgets.VBox([widgets.HTML("<b>input X</b>"), c["source"], c["c_i"], c["n_h"], c["n_w"], c["seed"]],
                              layout=box)
        kernels = widgets.VBox([widgets.HTML("<b>kernels K and bias b</b>"), c["preset"], c["c_o"], c["k_h"], c["k_w"],
                                c["bias"]], layout=box)
        layer = widgets.VBox([widgets.HTML("<b>the layer</b>"), c["stride"], c["padding"], c["groups"], c["dilation"]],
                             layout=box)
        picked = widgets.VBox([widgets.HTML("<b>the picked output element Y[o, u, v]</b>"), c["o"], c["u"], c["v"],
                               c["play"], widgets.HBox([c["projector"], c["full_terms"], c["view3d"]])])
        # the style sheets once, in a widget of their own: a <style> in every redraw would restyle the page
        self.widget = widgets.VBox([widgets.HTML(CSS + WIDGET_CSS), widgets.HBox([inputs, kernels, layer, picked],
                                                               layout=widgets.Layout(flex_flow="row wrap")),
                              self.status, self.view])
        self.update()
        s = self.state.settings
        self._walk_from = ((s.o, s.u, s.v), 0)  # the walk steps on from the picked element (see _apply_play)

    # -- what code and tests read ------------------------------------------------------------------
    @property
    def result(self) -> torch.Tensor | None:
        """Y, (c_o, m_h, m_w), or None when the kernel does not fit."""
        return self.state.Y

    @property
    def summary(self) -> str:
        """Shapes of X, K, b, Y, the parameters and MACs of what is shown (never empty)."""
        return self.state.summary

    @property
    def message(self) -> str:
        return self.state.message

    @property
    def notes(self) -> tuple[str, ...]:
        return self.state.notes

    @property
    def element_text(self) -> str:
        """Y[o, u, v] written out: every product (those with a padding zero left out), = its value."""
        return self.state.element.full_text() if self.state.element is not None else ""

    @property
    def view_html(self) -> str:
        """The whole picture as it stands in the page (every part)."""
        return "".join(self.parts.values())

    @property
    def tensors(self):
        """(X, K, b) behind the picture: X (c_i, n_h, n_w), K (c_o, c_i / groups, k_h, k_w), b (c_o,) or None."""
        return self.state.X, self.state.K, self.state.b

    def values(self) -> dict:
        return {name: w.value for name, w in self.controls.items()}

    def settings(self) -> Settings:
        return Settings(**{name: self.controls[name].value for name in Settings.names()})

    # -- display -----------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle = dict(bundle or {})
        bundle["text/plain"] = "ChannelExplorer: " + self.state.shapes  # shapes, parameters, MACs
        return bundle

    # -- events ------------------------------------------------------------------------------------
    def _on_change(self, change):
        if self._quiet:
            return
        owner = change["owner"]
        c = self.controls
        if owner is c["source"]:
            self._set_quietly(SOURCE_DEFAULTS[change["new"]])
        elif owner is c["play"]:
            self._apply_play(change["new"])
        elif owner is c["o"] or owner is c["u"] or owner is c["v"]:  # picked by hand: the walk goes on from here
            self._walk_from = ((c["o"].value, c["u"].value, c["v"].value), c["play"].value)
        self.update()

    def _set_quietly(self, values: dict):
        self._quiet = True
        try:
            for name, value in values.items():
                widget = self.controls[name]
                if name == "groups" and value not in [v for _, v in widget.options]:
                    widget.options = [(str(value), value)]
                widget.value = value
        finally:
            self._quiet = False

    def _apply_play(self, step):
        """The walk: step k of the Play control picks the k-th position after the element picked by hand
        (o, then u, then v, in reading order; modulo their number). Its stop button (step 0) goes back to
        Y[0, 0, 0]."""
        if self.state is None or self.state.Y is None:
            return
        c_o, m_h, m_w = self.state.Y.shape
        if step == self.controls["play"].min:
            self._walk_from = ((0, 0, 0), step)
        (o, u, v), first = self._walk_from
        start = min(o, c_o - 1) * m_h * m_w + min(u, m_h - 1) * m_w + min(v, m_w - 1)
        o, rest = divmod((start + step - first) % (c_o * m_h * m_w), m_h * m_w)
        u, v = divmod(rest, m_w)
        self._set_quietly(dict(o=o, u=u, v=v))

    # -- the redraw --------------------------------------------------------------------------------
    def update(self):
        """Recompute what changed and redraw (called on every control change)."""
        state = explore(self.settings(), device=self.device)
        self.state = state
        c = self.controls
        projector = c["projector"].value
        self.redraws += 1
        timed = self._timings.get(self._layer_key(state)) if state.Y is not None else None
        status = status_html(state, projector=projector)
        # a layer not timed yet holds the timing's line (one line of text, so the picture does not move when
        # the time arrives)
        timing = timing_html(state, timed, TIMING_RUNS, self._where(), projector, pending=timed is None)
        parts = render_sections(state, projector=projector, full_terms=c["full_terms"].value,
                                view3d=c["view3d"].value)
        wrap = f'<div class="ccx{" proj" if projector else ""}">'
        self.parts = {name: wrap + part + "</div>" if part else "" for name, part in parts.items()}
        # Few messages: each message from the kernel is relayed by the Jupyter server and handled by
        # the page on its own, so the picture is a few widgets (status, X, K, the partial maps, and Y
        # with the sum), a widget is sent only when what it shows changes, and the redraw's stamp
        # (its number, how a test or benchmark in the browser sees that the picture is new) rides on
        # the last widget sent instead of a message of its own.
        content = {"status": status + timing}
        content |= {name: "".join(self.parts[p] for p in group) for name, group in WIDGET_PARTS.items()}
        changed = [name for name, html_ in content.items() if self._shown.get(name) != html_] or ["y"]
        widgets = {"status": self.status} | self.sections
        sent = 0
        for name in changed:
            value = content[name]
            if name == changed[-1]:
                value += f'<div class="ccx" data-redraw="{self.redraws}"></div>'
            widgets[name].value = value
            self._shown[name] = content[name]
            sent += len(value.encode())
        self.payload_bytes = sent  # what this redraw sent (widgets whose content did not change are not sent)
        self.picture_bytes = sum(len(v.encode()) for v in content.values())
        # The controls' ranges and options follow after the picture: the picture is what the student
        # waits for, and in the page a new range re-renders its slider (a new option list its dropdown)
        # and makes it measure its readout, work that would otherwise come before the picture.
        self._sync_controls(state)
        light = self.picture_bytes < LIGHT_PAYLOAD
        for name in ("o", "u", "v"):
            c[name].continuous_update = light
        if projector:
            self.widget.add_class("ccx-proj")
        else:
            self.widget.remove_class("ccx-proj")
        # after the picture: a layer not timed yet is timed (median of 5 runs, once per layer), its line sent
        self.compute_seconds, runs = self._time_conv(state)
        if state.Y is not None and timed is None:
            value = status + timing_html(state, self.compute_seconds, runs, self._where(), projector)
            self.status.value = self._shown["status"] = value
            self.payload_bytes += len(value.encode())

    def _sync_controls(self, state: ExplorerState):
        """Ranges and options follow the state: o < c_o, u < m_h, v < m_w, groups divide c_i and c_o."""
        s = state.settings
        c = self.controls
        self._quiet = True
        try:
            options = group_options(s.c_i, s.c_o)
            labels = [(f"{g} (depthwise: groups = c_i)" if g == s.c_i and g > 1 else str(g), g) for g in options]
            with c["groups"].hold_sync():  # new options and the index in one message
                if list(c["groups"].options) != labels:
                    c["groups"].options = labels
                c["groups"].value = s.groups
            m_h, m_w = state.Y.shape[1:] if state.Y is not None else (1, 1)
            off = state.Y is None
            for name, top, value in (("o", s.c_o - 1, s.o), ("u", m_h - 1, s.u), ("v", m_w - 1, s.v)):
                widget = c[name]
                if (widget.max, widget.value, widget.disabled) == (top, value, off):
                    continue  # nothing to send
                with widget.hold_sync():  # max, value and disabled in one message
                    if widget.max != top:
                        widget.max = top
                    widget.value = value
                    widget.disabled = off
        finally:
            self._quiet = False

    def _where(self) -> str:
        """The device the layer is timed on, naming the CPU's model (a timing says where it was taken)."""
        name = device_name(self.device)
        return f"cpu ({_cpu_model()})" if name == "cpu" else name

    def _layer_key(self, state: ExplorerState) -> tuple:
        """The layer shown, whatever element is picked (what its timing depends on)."""
        return replace(state.settings, o=0, u=0, v=0), str(self.device)

    def _time_conv(self, state: ExplorerState):
        """Median of 5 runs of chanconv.conv2d for this layer (once per layer; tiny layers are noisy)."""
        if state.Y is None:
            return None, 0
        s = state.settings
        key = self._layer_key(state)
        if key not in self._timings:
            X, K = state.X.to(self.device), state.K.to(self.device)
            b = None if state.b is None else state.b.to(self.device)
            kw = dict(stride=s.stride, padding=s.padding, groups=s.groups)
            if s.dilation != 1:
                kw["dilation"] = s.dilation
            if len(self._timings) >= 32:  # keep the latest layers: going back and forth is not timed again
                self._timings.pop(next(iter(self._timings)))
            self._timings[key] = median_seconds(lambda: conv2d(X, K, b, **kw), device=self.device, repeat=TIMING_RUNS,
                                                warmup=1)
        return self._timings[key], TIMING_RUNS


@cache
def _cpu_model() -> str:
    return cpu_model()  # read once: /proc/cpuinfo (or sysctl on macOS)


def _no_echo(widget):
    """Let the kernel not echo this control's value back to the browser that moved it.

    ipywidgets 8 answers every change from a front end with an ``echo_update`` message carrying
    the same value (so that a second front end on the same kernel follows): one more message
    through the Jupyter server per key press, on the path of every redraw. The explorer's
    controls are moved in one front end at a time, and the picture they drive is sent anyway,
    so their echo is switched off, for these widgets only (traitlets reads per-instance trait
    metadata from ``_<trait>_metadata``; other widgets, and other front ends' pictures, are
    untouched). A value the kernel changes itself (a clamped row, a new group) is still sent.
    """
    for trait in ("value", "index"):  # selection widgets sync their index, the others their value
        if trait in widget.keys:
            setattr(widget, f"_{trait}_metadata", {"echo_update": False})
