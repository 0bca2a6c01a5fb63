"""The channel explorer: controls for c_i, c_o, the kernel and the layer, the computation drawn in the browser.

    from chanconv.explorer import ChannelExplorer
    explorer = ChannelExplorer()          # displays itself as the last expression of a cell
    explorer.controls["c_o"].value = 4    # code and tests can set any control
    explorer.result                       # the output Y, (c_o, m_h, m_w), or None
    explorer.summary                      # what is shown: shapes, parameters, MACs (never empty)
    explorer.notes                        # one line per fallback (e.g. "leaves the lecture's X ...")
    explorer.message                      # "" or the one-line reason there is no output Y

Three parts, each testable alone: :mod:`chanconv.explorer.state` computes everything from the controls'
values (pure, cached functions); :class:`~chanconv.explorer.view.ExplorerView` sends it to the browser as
typed arrays and text, where ``explorer.js`` draws it and picks; :class:`ChannelExplorer` (here) holds the
ipywidgets controls and wires them to both. The picked element's sliders and the display switches are
linked to the picture in the page (``jslink``), so they work without a kernel too. ``make bench-widgets``
(``tools/explorer_bench.py``, outside the package) measures it in a real browser.
"""

from __future__ import annotations

from functools import cache

import ipywidgets as widgets
import torch
from ipywidgets.widgets.widget_bool import CheckboxStyle
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle

from ..core import conv2d
from ..core.device import cpu_model, default_device, device_name
from ..core.i18n import _
from ..core.timing import median_seconds
from .state import PHOTO_SIZE, PRESETS, RANGES, SOURCES, ExplorerState, Settings, explore, group_options, layer_of
from .view import ExplorerView

__all__ = ["ChannelExplorer", "SOURCES", "PRESETS", "LAYER_CLASS"]

TIMING_RUNS = 5  # chanconv.conv2d's time for the layer shown: a median of this many runs
LAYER_CLASS = "ccx-layer"  # the controls that change the layer (a page without Python shows them disabled)
MAIN = ("c_i", "c_o", "k_h", "k_w")  # the layer's controls projector mode keeps (class ccx-main), beside o, u, v
PICKED = ("o", "u", "v")
LINKED = PICKED + ("projector", "full_terms", "view3d", "gradient")  # linked to the picture in the page
# the most rows or columns any output has (m ≤ n + 2p, with k = 1)
M_MAX = max(RANGES["n_h"][1], RANGES["n_w"][1]) + 2 * RANGES["padding"][1]

# what picking a source sets (unless the constructor names the control)
SOURCE_DEFAULTS = {
    "lecture": dict(c_i=2, n_h=3, n_w=3, k_h=2, k_w=2, c_o=3, stride=1, padding=0, groups=1, dilation=1,
                    preset="lecture", bias=False),
    "photo": dict(c_i=3, n_h=PHOTO_SIZE[0], n_w=PHOTO_SIZE[1], k_h=3, k_w=3, c_o=4, stride=1, padding=1,
                  groups=1, dilation=1, preset="edges"),
    "random": {},
}
STYLE = {"description_width": "74px"}


def make_controls() -> dict[str, widgets.Widget]:
    """Every control, at the default settings (the lecture's example).

    The sliders share one layout and one style (each is a widget model of its own, and a notebook stores
    every model).
    """
    d = Settings()
    lay = widgets.Layout(width="236px")
    slider_style = widgets.SliderStyle(**STYLE)
    check_style, switch = CheckboxStyle(), widgets.Layout(width="auto", margin="0 0 0 10px")
    text_style = DescriptionStyle(**STYLE)
    picked = dict(style=slider_style, layout=lay, min=0)

    def _slider(name: str, description: str, value: int) -> widgets.IntSlider:
        lo, hi = RANGES[name]
        return widgets.IntSlider(value=value, min=lo, max=hi, description=description, style=slider_style,
                                 layout=lay, continuous_update=False)

    controls = {
        "source": widgets.Dropdown(options=[(_(label), v) for label, v in SOURCES.items()], value=d.source,
                                   description=_("input X"), style=text_style, layout=lay),
        "preset": widgets.Dropdown(options=[(_(label), v) for label, v in PRESETS.items()], value=d.preset,
                                   description=_("kernels K"), style=text_style, layout=lay),
        **{name: _slider(name, name, getattr(d, name)) for name in ("c_i", "c_o", "k_h", "k_w", "n_h", "n_w")},
        "stride": _slider("stride", _("stride s"), d.stride),
        "padding": _slider("padding", _("padding p"), d.padding),
        "groups": widgets.Dropdown(options=[("1", 1)], value=1, description=_("groups"), style=text_style, layout=lay),
        "dilation": _slider("dilation", _("dilation d"), d.dilation),
        "seed": widgets.BoundedIntText(value=d.seed, min=RANGES["seed"][0], max=RANGES["seed"][1],
                                       description=_("seed"), style=text_style, layout=widgets.Layout(width="180px")),
        "bias": widgets.Checkbox(value=False, description=_("bias b"), indent=False, style=check_style),
        # ranges as wide as any layer's until the first redraw narrows them (so that o=, u=, v= given to the
        # constructor are not clamped to a range that is not yet the layer's); the picture follows a drag in
        # the page (a link), so they update while dragged
        "o": widgets.IntSlider(value=0, max=RANGES["c_o"][1] - 1, description="Y[o]: o", **picked),
        "u": widgets.IntSlider(value=0, max=M_MAX - 1, description=_("row u"), **picked),
        "v": widgets.IntSlider(value=0, max=M_MAX - 1, description=_("column v"), **picked),
        "projector": widgets.ToggleButton(value=False, description=_("projector mode"), icon="desktop",
                                          tooltip=_("text of 18 px and more, larger cells, a compact sum")),
        "full_terms": widgets.Checkbox(value=False, description=_("every term"), indent=False, layout=switch,
                                       style=check_style),
        "view3d": widgets.Checkbox(value=False, description=_("3-D view"), indent=False, layout=switch,
                                   style=check_style),
        "gradient": widgets.Checkbox(value=False, description=_("gradient view"), indent=False, layout=switch,
                                     style=check_style),
    }
    for name, widget in controls.items():
        if name not in LINKED:
            widget.add_class(LAYER_CLASS)
        if name in MAIN:
            widget.add_class("ccx-main")
    return controls


def control_panel(c: dict) -> widgets.Box:
    """The controls in four groups: the input, the kernels, the layer, the picked element and the display.

    The titles and boxes share their layout and style models (a notebook stores every model).
    """
    box, plain, style = widgets.Layout(margin="0 8px 0 0"), widgets.Layout(), HTMLStyle()

    def group(title, names, extra=()):
        return widgets.VBox([widgets.HTML(f"<b>{title}</b>", layout=plain, style=style), *(c[n] for n in names),
                             *extra], layout=box)

    return widgets.HBox([
        group(_("input X"), ("source", "c_i", "n_h", "n_w", "seed")),
        group(_("kernels K and bias b"), ("preset", "c_o", "k_h", "k_w", "bias")),
        group(_("the layer"), ("stride", "padding", "groups", "dilation")),
        group(_("the picked output element Y[o, u, v]"), PICKED,
              [widgets.HBox([c["projector"], c["full_terms"], c["view3d"], c["gradient"]],
                            layout=widgets.Layout(flex_flow="row wrap"))]),
    ], layout=widgets.Layout(flex_flow="row wrap"))


class ChannelExplorer:
    """Interactive c_i / c_o / kernel explorer for a notebook, drawn in the browser.

    ``controls`` maps names to ipywidgets: ``source`` (the lecture's X, random integers, the photo),
    ``preset`` (the kernels), ``c_i``, ``c_o`` (1–8), ``k_h``, ``k_w`` (1–7), ``n_h``, ``n_w`` (3–48),
    ``stride`` (1–3), ``padding`` (0–3), ``groups`` (the divisors of c_i and c_o), ``dilation`` (1–3),
    ``seed``, ``bias``, the picked output element Y[o, u, v] (``o``, ``u``, ``v``; pointing at a cell of an
    output map picks too, and ▶ in the picture walks the positions), and the display switches
    ``projector``, ``full_terms``, ``view3d`` and ``gradient`` (the gradient view: which input cells and kernel
    taps the picked element's gradient reaches). Keyword arguments set initial values, e.g.
    ``ChannelExplorer(source="random", c_i=3, c_o=4)``; ``n=`` sets n_h = n_w.
    """

    def __init__(self, device=None, **initial):
        self.device = torch.device(device) if device is not None else default_device()
        if "n" in initial:
            n = initial.pop("n")
            initial.setdefault("n_h", n)
            initial.setdefault("n_w", n)
        self.controls = make_controls()
        unknown = sorted(set(initial) - set(self.controls))
        if unknown:
            raise TypeError(_("unknown control {name}: choose from {names} (or n)").format(
                name=repr(unknown[0]), names=sorted(self.controls)))
        self.view = ExplorerView(device=str(self.device))
        self.state: ExplorerState | None = None
        self.compute_seconds: float | None = None
        self.payload_bytes = 0
        self.redraws = 0
        self._timings: dict = {}
        self._quiet = False
        source = initial.get("source", "lecture")
        defaults = {k: v for k, v in SOURCE_DEFAULTS[source].items() if k not in initial}
        self._set_quietly({**defaults, **initial})
        for widget in self.controls.values():
            _no_echo(widget)
            widget.observe(self._on_change, names="value")
        for name in PICKED:
            self.view.observe(self._on_view_pick, names=name)
        # in the page: the picked element's sliders and the display switches move the picture without Python
        self.links = [widgets.jslink((self.controls[name], "value"), (self.view, name)) for name in LINKED]
        self.widget = widgets.VBox([control_panel(self.controls), self.view])
        self.widget.add_class("ccx-root")
        self.update()

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
        if owner is self.controls["source"]:
            self._set_quietly(SOURCE_DEFAULTS[change["new"]])
        # a picked element's slider or a display switch moved in the page (a click on a map moves the sliders
        # there, through links): the picture there shows it already, so nothing of it is sent back
        from_page = any(owner is self.controls[n] for n in LINKED) and bool(owner._property_lock)
        self.update(send_linked=not from_page)

    def _on_view_pick(self, change):
        """A pick made in the page reaches Python through the o, u, v sliders (moved there by the links); one set
        on the view from Python moves the sliders."""
        if self._quiet or self.view._property_lock:
            return
        self.controls[change["name"]].value = change["new"]

    def _set_quietly(self, values: dict):
        """Set controls without a redraw each."""
        self._quiet = True
        try:
            for name, value in values.items():
                widget = self.controls[name]
                if name == "groups" and value not in [v for _label, v in widget.options]:
                    widget.options = [(str(value), value)]
                widget.value = value
        finally:
            self._quiet = False

    # -- the redraw --------------------------------------------------------------------------------
    def update(self, send_linked: bool = True):
        """Recompute what changed and send it (called on every control change).

        ``send_linked=False``: the change came from the page, which shows the picked element and the display
        switches already (its links moved the picture's copy): they are not sent back. Only Python's changes
        (code, a new layer that moves the picked element) send them, so that a pick in flight is never undone.
        """
        state = explore(self.settings(), device=self.device)
        self.state = state
        c = self.controls
        timed = self._timings.get(self._layer_key(state)) if state.Y is not None else None
        # a layer not timed yet holds the timing's line (so that the picture does not move when the time arrives)
        switches = {name: c[name].value for name in LINKED if name not in PICKED}
        self._quiet = True  # the view's o, u, v set here are not a pick
        try:
            sent = self.view.show(state, self._timing_line(state, timed, pending=timed is None),
                                  linked=send_linked, **switches)
        finally:
            self._quiet = False
        self.redraws = self.view.redraw
        self.payload_bytes = sent
        # the controls' ranges and options follow after the picture (what the student waits for)
        self._sync_controls(state)
        if c["projector"].value:
            self.widget.add_class("ccx-proj")
        else:
            self.widget.remove_class("ccx-proj")
        # after the picture: a layer not timed yet is timed (median of 5 runs, once per layer), its line sent
        self.compute_seconds = self._time_conv(state)
        if state.Y is not None and timed is None:
            self.payload_bytes += self.view.show(state, self._timing_line(state, self.compute_seconds),
                                                 linked=False)

    def _sync_controls(self, state: ExplorerState):
        """Ranges and options follow the state: o < c_o, u < m_h, v < m_w, groups divide c_i and c_o."""
        s = state.settings
        c = self.controls
        self._quiet = True
        try:
            options = group_options(s.c_i, s.c_o)
            labels = [(_("{g} (depthwise: groups = c_i)").format(g=g) if g == s.c_i and g > 1 else str(g), g)
                      for g in options]
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

    def _timing_line(self, state: ExplorerState, seconds: float | None, pending: bool = False) -> str:
        """chanconv.conv2d's method and time for this layer, on the device it names (a median of 5 runs)."""
        if state.Y is None or (seconds is None and not pending):
            return ""
        took = f"{seconds * 1e3:.3g} ms" if seconds is not None else _("being timed")
        name = device_name(self.device)
        where = f"cpu ({_cpu_model()})" if name == "cpu" else name
        return _("chanconv.conv2d (method {method}) on {where}: {took}, median of {runs} runs").format(
            method=repr(state.method), where=where, took=took, runs=TIMING_RUNS)

    def _layer_key(self, state: ExplorerState) -> tuple:
        """The layer shown, whatever element is picked (what its timing depends on)."""
        return layer_of(state.settings), str(self.device)

    def _time_conv(self, state: ExplorerState) -> float | None:
        """Median of 5 runs of chanconv.conv2d for this layer (once per layer; tiny layers are noisy)."""
        if state.Y is None:
            return None
        s = state.settings
        key = self._layer_key(state)
        if key not in self._timings:
            X, K = state.X.to(self.device), state.K.to(self.device)
            b = None if state.b is None else state.b.to(self.device)
            kw = dict(stride=s.stride, padding=s.padding, groups=s.groups, dilation=s.dilation)
            if len(self._timings) >= 32:  # keep the latest layers: going back and forth is not timed again
                self._timings.pop(next(iter(self._timings)))
            self._timings[key] = median_seconds(lambda: conv2d(X, K, b, **kw), device=self.device, repeat=TIMING_RUNS,
                                                warmup=1)
        return self._timings[key]


@cache
def _cpu_model() -> str:
    return cpu_model()  # read once: /proc/cpuinfo (or sysctl on macOS)


def _no_echo(widget):
    """Let the kernel not echo this control's value back to the page that moved it.

    ipywidgets 8 answers every change from a front end with an ``echo_update`` message carrying the
    same value (so that a second front end on the same kernel follows): one more message through the
    Jupyter server per key press. The explorer's controls are moved in one front end at a time, so
    their echo is switched off, for these widgets only (traitlets reads per-instance trait metadata
    from ``_<trait>_metadata``). A value the kernel changes itself (a clamped row, a new group) is
    still sent.
    """
    for trait in ("value", "index"):  # selection widgets sync their index, the others their value
        if trait in widget.keys:
            setattr(widget, f"_{trait}_metadata", {"echo_update": False})
