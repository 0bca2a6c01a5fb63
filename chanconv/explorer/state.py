"""The channel explorer's model: from the controls' values to everything the picture shows.

Pure functions, no widgets: :func:`explore` turns a :class:`Settings` into an
:class:`ExplorerState` (the tensors X, K, b, the output Y, the partial maps of the picked
output channel, the picked element's written sum, the shapes, parameters and MACs, and the
one-line notes and message). The tensors are built by cached functions keyed on the controls
they depend on, so moving the picked element recomputes nothing but its sum.

Every combination of values gives a state that can be drawn:

* a source or preset that cannot supply the requested shape (the lecture's X is 2 × 3 × 3, its
  K is 2 × 2 × 2; the photo has 3 channels) is replaced by random integers of the new shape,
  and a one-line note says so; the lecture's tensors return with the lecture's shapes;
* groups that do not divide c_i and c_o fall back to the largest number of groups that does;
* a kernel larger than the padded input leaves X and K to show and no Y: ``message`` says why.

Notation (the lecture's, and notebook 1's formula Y = Σ_i X[i] ⋆ K[i]): input channel i,
output channel o, the picked output element Y[o, u, v] (row u, column v, so that they do not
collide with the input channel i).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from functools import lru_cache

import torch
import torch.nn.functional as F

from ..core import auto_method, conv2d
from ..core.cost import ConvCost, conv2d_cost
from ..core.i18n import N_, _
from ..course.data import lecture_K, lecture_X, load_photo
from ..course.element import Element, element_terms
from ..course.partials import partial_maps

__all__ = [
    "SOURCES", "PRESETS", "RANGES", "PHOTO_SIZE",
    "Settings", "ExplorerState", "explore", "partial_of", "layer_of", "preset_kernel", "group_options",
]

# the controls' choices: label (English, marked for the catalog: translated where shown, ``_(label)``) -> value
SOURCES = {
    N_("the lecture's X"): "lecture",
    N_("random integers"): "random",
    N_("the photo (R, G, B)"): "photo",
}
PRESETS = {
    N_("the lecture's K (K + o for Y[o])"): "lecture",
    N_("edge detectors (one direction per o)"): "edges",
    N_("horizontal edges"): "h_edge",
    N_("vertical edges"): "v_edge",
    N_("diagonal edges"): "d_edge",
    N_("blur"): "blur",
    N_("identity"): "identity",
    N_("random integers"): "random",
}
PRESET_NAMES = {v: k for k, v in PRESETS.items()}
X_WORDS = {"lecture": N_("the lecture's X"), "photo": N_("the photo"), "random": N_("random integers")}

# (min, max) of every numeric control; the "largest settings" take every maximum
RANGES = {
    "c_i": (1, 8), "c_o": (1, 8), "k_h": (1, 7), "k_w": (1, 7), "n_h": (3, 48), "n_w": (3, 48),
    "stride": (1, 3), "padding": (0, 3), "dilation": (1, 3), "seed": (0, 10_000),
}
# the photo (600 × 512, height × width) at a resolution where edges and features show:
# 48 rows, the width that keeps its aspect ratio
PHOTO_SIZE = (48, 41)
LECTURE_X_SHAPE = (2, 3, 3)
LECTURE_K_SHAPE = (2, 2, 2)


@dataclass(frozen=True)
class Settings:
    """The value of every control (what a student sets). ``u``, ``v``: row and column of Y[o, u, v]."""

    source: str = "lecture"
    preset: str = "lecture"
    c_i: int = 2
    c_o: int = 3
    k_h: int = 2
    k_w: int = 2
    n_h: int = 3
    n_w: int = 3
    stride: int = 1
    padding: int = 0
    groups: int = 1
    dilation: int = 1
    seed: int = 0
    bias: bool = False
    o: int = 0
    u: int = 0
    v: int = 0

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True)
class ExplorerState:
    """Everything the picture shows, for one :class:`Settings` (after the fallbacks)."""

    asked: Settings  # what the controls say
    settings: Settings  # what is shown (groups, o, u, v adjusted to what exists)
    x_kind: str  # "lecture", "random" or "photo": where X comes from
    k_kind: str  # the preset actually used
    X: torch.Tensor  # (c_i, n_h, n_w), on the CPU
    K: torch.Tensor  # (c_o, c_i / groups, k_h, k_w)
    b: torch.Tensor | None  # (c_o,)
    notes: tuple[str, ...]  # one line each: fallbacks and what they mean
    message: str  # "" or the one-line reason why there is no Y
    params: int
    cost: ConvCost | None
    Y: torch.Tensor | None  # (c_o, m_h, m_w), on the CPU
    partial: torch.Tensor | None  # (c_i / groups, m_h, m_w): X[i] ⋆ K[o, i] for the picked o
    element: Element | None
    method: str
    torch_check: tuple[str, bool, float] | None  # (the torch.nn.Conv2d line, same?, largest difference)
    summary: str  # what is shown: shapes with where X and K come from, parameters, MACs
    shapes: str = ""  # the same without where X and K come from
    lines: tuple[str, ...] = ()  # the summary's parts, one a line (X, K, b, dilation, Y, parameters)

    @property
    def group_channels(self) -> range:
        """The input channels i that output channel o reads (all of them when groups = 1)."""
        s = self.settings
        c_ig = s.c_i // s.groups
        g = s.o // (s.c_o // s.groups)
        return range(g * c_ig, (g + 1) * c_ig)


# -- the tensors ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _photo_full() -> torch.Tensor:
    return load_photo(height=None)


@lru_cache(maxsize=32)
def _input_tensor(source: str, c_i: int, n_h: int, n_w: int, seed: int) -> tuple[torch.Tensor, str]:
    """(X, kind): X of shape (c_i, n_h, n_w) from the source, or random integers (cached)."""
    if source == "lecture" and (c_i, n_h, n_w) == LECTURE_X_SHAPE:
        return lecture_X(), "lecture"
    if source == "photo" and c_i == 3:
        X = F.interpolate(_photo_full()[None], size=(n_h, n_w), mode="area")[0]
        return torch.round(X * 100) / 100, "photo"
    return _random_stack(c_i, (n_h, n_w), 0, 10, 1 + seed), "random"


def make_input(source: str, c_i: int, n_h: int, n_w: int, seed: int) -> tuple[torch.Tensor, str, str]:
    """(X, kind, note): X of shape (c_i, n_h, n_w) from the source, or random integers with a note (in the
    language in use: the tensors are cached, the words are not)."""
    X, kind = _input_tensor(source, c_i, n_h, n_w, seed)
    note = ""
    if kind == "random" and source == "lecture":
        note = _("c_i × n_h × n_w = {c_i} × {n_h} × {n_w} leaves the lecture's 2 × 3 × 3 X: X is random integers of "
                 "that shape (c_i = 2, n_h = n_w = 3 bring the lecture's X back)").format(c_i=c_i, n_h=n_h, n_w=n_w)
    elif kind == "random" and source == "photo":
        note = _("the photo has 3 channels (R, G, B), not c_i = {c_i}: X is random integers of shape "
                 "({c_i}, {n_h}, {n_w}) (c_i = 3 brings the photo back)").format(c_i=c_i, n_h=n_h, n_w=n_w)
    return X, kind, note


def _random_stack(count: int, shape: tuple, low: int, high: int, seed: int) -> torch.Tensor:
    """``count`` random integer tensors of ``shape`` in [low, high), the j-th from its own seed.

    One generator per channel: raising c_i or c_o adds a channel and keeps the others as they were.
    """
    return torch.stack([torch.randint(low, high, shape, generator=torch.Generator().manual_seed(seed * 1009 + j))
                        for j in range(count)]).float()


def _centre(k: int) -> int:
    return (k - 1) // 2


def _edge(k_h: int, k_w: int, direction: str) -> torch.Tensor:
    """A k_h × k_w edge kernel (Prewitt's for 3 × 3): −1 on one side of the centre line, +1 on the other.

    ``h``: a horizontal edge (dark above, bright below) gives a large value; ``v``: a vertical
    edge (dark left, bright right); ``d``: an edge along the diagonal ↘ (bright below it).
    """
    a = torch.arange(k_h, dtype=torch.float32)[:, None] - (k_h - 1) / 2
    d = torch.arange(k_w, dtype=torch.float32)[None, :] - (k_w - 1) / 2
    if direction == "h":
        E = torch.sign(a).expand(k_h, k_w)
    elif direction == "v":
        E = torch.sign(d).expand(k_h, k_w)
    elif direction == "d":
        E = torch.sign(a / max(k_h - 1, 1) - d / max(k_w - 1, 1))
    else:  # the other diagonal ↙
        E = torch.sign(a / max(k_h - 1, 1) + d / max(k_w - 1, 1))
    return E.contiguous().clone()


def _single(k_h: int, k_w: int, preset: str) -> torch.Tensor:
    """The one k_h × k_w kernel a per-channel preset names."""
    if preset == "identity":
        E = torch.zeros(k_h, k_w)
        E[_centre(k_h), _centre(k_w)] = 1.0
        return E
    if preset == "blur":
        return torch.full((k_h, k_w), 1.0 / (k_h * k_w))
    return _edge(k_h, k_w, {"h_edge": "h", "v_edge": "v", "d_edge": "d"}[preset])


def preset_kernel(preset: str, c_o: int, c_ig: int, k_h: int, k_w: int) -> torch.Tensor:
    """K of shape (c_o, c_ig, k_h, k_w) for a named preset (not ``lecture`` or ``random``).

    * ``identity``, ``blur``, ``h_edge``, ``v_edge``, ``d_edge``: output channel o applies the named
      kernel to input channel i = o mod c_ig of its group and 0 to the others, so Y[o] is that
      input channel copied (identity; with padding (k − 1)/2 it is X itself), averaged over the
      window (blur) or its edges in one direction;
    * ``edges``: output channel o looks for edges in the direction o mod 4 (horizontal,
      vertical, diagonal ↘, diagonal ↙) in the sum of its input channels (for the photo: the
      brightness), each input channel weighted 1 / c_ig.
    """
    K = torch.zeros(c_o, c_ig, k_h, k_w)
    if preset == "edges":
        for o in range(c_o):
            K[o] = _edge(k_h, k_w, "hvda"[o % 4]) / c_ig
        return K
    E = _single(k_h, k_w, preset)
    for o in range(c_o):
        K[o, o % c_ig] = E
    return K


def _preset_problem(preset: str, k_h: int, k_w: int) -> str:
    """Why a preset cannot be drawn with this kernel size ("" when it can)."""
    if preset in ("h_edge", "edges") and k_h < 2:
        return _("a horizontal edge needs k_h ≥ 2 rows, not {k_h}").format(k_h=k_h)
    if preset in ("v_edge", "edges") and k_w < 2:
        return _("a vertical edge needs k_w ≥ 2 columns, not {k_w}").format(k_w=k_w)
    if preset == "d_edge" and (k_h < 2 or k_w < 2):
        return _("a diagonal edge needs k_h, k_w ≥ 2, not {k_h} × {k_w}").format(k_h=k_h, k_w=k_w)
    return ""


def make_kernel(preset: str, c_o: int, c_ig: int, k_h: int, k_w: int, seed: int, *, bias: bool,
                photo: bool, grouped: bool = False) -> tuple[torch.Tensor, torch.Tensor | None, str, str]:
    """(K, b, kind, note): K of shape (c_o, c_ig, k_h, k_w) and b (c_o,) or None; the note (in the language in
    use) says why K is random integers where the preset cannot give this shape."""
    K, b, kind = _kernel_tensors(preset, c_o, c_ig, k_h, k_w, seed, bias=bias, photo=photo)
    note = ""
    if kind == "random" and preset == "lecture":
        note = _("{name} × k_h × k_w = {c_ig} × {k_h} × {k_w} leaves the lecture's 2 × 2 × 2 K: K is random integers "
                 "of that shape (c_i = 2, k_h = k_w = 2 bring K, K + 1, ... back)").format(
            name="c_i / groups" if grouped else "c_i", c_ig=c_ig, k_h=k_h, k_w=k_w)
    elif kind == "random" and preset != "random":
        note = _("{problem}: K is random integers").format(problem=_preset_problem(preset, k_h, k_w))
    return K, b, kind, note


@lru_cache(maxsize=32)
def _kernel_tensors(preset: str, c_o: int, c_ig: int, k_h: int, k_w: int, seed: int, *, bias: bool,
                    photo: bool) -> tuple[torch.Tensor, torch.Tensor | None, str]:
    """(K, b, kind): the kernels and bias of a preset, or random integers where it cannot give this shape (cached)."""
    kind = preset
    if preset == "lecture":
        if (c_ig, k_h, k_w) == LECTURE_K_SHAPE:
            K = torch.stack([lecture_K() + o for o in range(c_o)])  # K, K + 1, K + 2, ...
        else:
            kind = "random"
    elif preset != "random":
        if _preset_problem(preset, k_h, k_w):
            kind = "random"
        else:
            K = preset_kernel(preset, c_o, c_ig, k_h, k_w)
    if kind == "random":
        K = _random_stack(c_o, (c_ig, k_h, k_w), -2, 3, 10_000 + seed)
    b = None
    if bias:
        if kind == "lecture":
            b = torch.arange(1.0, c_o + 1)
        else:
            b = _random_stack(c_o, (), -5, 6, 20_000 + seed)
            if photo:
                b = b / 10
    return K, b, kind


def group_options(c_i: int, c_o: int) -> list[int]:
    """The numbers of groups that split both c_i and c_o evenly (1 always)."""
    g = math.gcd(c_i, c_o)
    return [d for d in range(1, g + 1) if g % d == 0]


# -- the computation -----------------------------------------------------------------------------

def layer_of(s: Settings) -> Settings:
    """The part of ``s`` that decides the layer's tensors and Y (the picked element reset): a cache key."""
    return replace(s, o=0, u=0, v=0)


def _tensors(s: Settings):
    """X (c_i, n_h, n_w), K (c_o, c_i / groups, k_h, k_w) and b (c_o,) or None for the layer ``s``."""
    X = _input_tensor(s.source, s.c_i, s.n_h, s.n_w, s.seed)[0]
    K, b = _kernel_tensors(s.preset, s.c_o, s.c_i // s.groups, s.k_h, s.k_w, s.seed, bias=s.bias,
                           photo=s.source == "photo" and s.c_i == 3)[:2]
    return X, K, b


@lru_cache(maxsize=16)
def _output(layer: Settings, device: str) -> tuple[torch.Tensor, str, tuple[str, bool, float]]:
    """(Y on the CPU, the method auto picks, the torch.nn.Conv2d check): computed by chanconv.conv2d."""
    s = layer
    X, K, b = _tensors(s)
    dev = torch.device(device)
    Y = conv2d(X.to(dev), K.to(dev), None if b is None else b.to(dev), stride=s.stride, padding=s.padding,
               dilation=s.dilation, groups=s.groups).cpu()
    method = auto_method(s.c_i, s.c_o, s.k_h, s.k_w, s.n_h, s.n_w, (s.stride,) * 2, 1, dev,
                         (s.padding,) * 2, (s.dilation,) * 2, s.groups)
    reference = torch.nn.Conv2d(s.c_i, s.c_o, kernel_size=(s.k_h, s.k_w), stride=s.stride, padding=s.padding,
                                dilation=s.dilation, groups=s.groups, bias=b is not None)
    with torch.no_grad():
        reference.weight.copy_(K)
        if b is not None:
            reference.bias.copy_(b)
        Y_torch = reference(X[None])[0]
    extra = (f", dilation={s.dilation}" if s.dilation != 1 else "") + (f", groups={s.groups}" if s.groups != 1 else "")
    line = (f"torch.nn.Conv2d({s.c_i}, {s.c_o}, kernel_size=({s.k_h}, {s.k_w}), stride={s.stride}, "
            f"padding={s.padding}{extra}, bias={b is not None})")
    same = bool(torch.allclose(Y, Y_torch, rtol=1e-5, atol=1e-4))
    return Y, method, (line, same, float((Y - Y_torch).abs().max()))


@lru_cache(maxsize=16)
def _partial(layer: Settings, o: int, device: str) -> torch.Tensor:
    """(c_i / groups, m_h, m_w): X[i] ⋆ K[o, i] for every input channel i of o's group, by chanconv.conv2d."""
    s = layer
    X, K = _tensors(s)[:2]
    c_ig = s.c_i // s.groups
    first = (o // (s.c_o // s.groups)) * c_ig
    dev = torch.device(device)
    parts = partial_maps(X[first:first + c_ig].to(dev), K[o].to(dev), stride=s.stride, padding=s.padding,
                         dilation=s.dilation)
    return parts.partials.cpu()


@lru_cache(maxsize=64)
def _picked(s: Settings) -> Element:
    """The picked element Y[o, u, v] of the layer ``s`` shows (cached: going back and forth recomputes nothing)."""
    X, K, b = _tensors(s)
    return element_terms(X, K, s.o, s.u, s.v, bias=b, stride=s.stride, padding=s.padding, dilation=s.dilation,
                         groups=s.groups)


def _clamp(value: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, int(value)))


def explore(settings: Settings, device="cpu") -> ExplorerState:
    """The state the explorer draws for these control values (never raises for values in RANGES)."""
    s = settings
    notes = []
    # numbers outside the ranges are clamped (code can set any int; the sliders cannot)
    nums = {name: _clamp(getattr(s, name), *RANGES[name]) for name in RANGES}
    shown = replace(s, **nums)
    options = group_options(shown.c_i, shown.c_o)
    if shown.groups not in options:
        g = max(d for d in options if d <= max(1, shown.groups))
        notes.append(_("groups = {asked} does not divide both c_i = {c_i} and c_o = {c_o}: showing groups = {g}")
                     .format(asked=shown.groups, c_i=shown.c_i, c_o=shown.c_o, g=g))
        shown = replace(shown, groups=g)
    X, x_kind, x_note = make_input(shown.source, shown.c_i, shown.n_h, shown.n_w, shown.seed)
    c_ig = shown.c_i // shown.groups
    K, b, k_kind, k_note = make_kernel(shown.preset, shown.c_o, c_ig, shown.k_h, shown.k_w, shown.seed,
                                       bias=shown.bias, photo=x_kind == "photo", grouped=shown.groups > 1)
    notes += [n for n in (x_note, k_note) if n]
    params = shown.c_o * c_ig * shown.k_h * shown.k_w + (shown.c_o if shown.bias else 0)
    message = reason = ""
    try:  # conv2d_cost checks that the window fits the padded input, in chanconv's words
        cost = conv2d_cost(shown.c_i, shown.c_o, shown.k_h, shown.k_w, shown.n_h, shown.n_w, stride=shown.stride,
                           padding=shown.padding, bias=shown.bias, groups=shown.groups, dilation=shown.dilation)
    except ValueError as err:
        cost, reason = None, str(err)
        message = _("no output Y: {reason}").format(reason=reason)
    Y = partial = element = torch_check = None
    method = ""
    if not message:
        Y, method, torch_check = _output(layer_of(shown), str(device))
        m_h, m_w = Y.shape[1:]
        shown = replace(shown, o=_clamp(shown.o, 0, shown.c_o - 1), u=_clamp(shown.u, 0, m_h - 1),
                        v=_clamp(shown.v, 0, m_w - 1))
        partial = _partial(layer_of(shown), shown.o, str(device))
        element = _picked(shown)
    else:
        shown = replace(shown, o=_clamp(shown.o, 0, shown.c_o - 1), u=0, v=0)
    lines = _summary(shown, x_kind, k_kind, params, cost, reason)
    shapes = "; ".join(_summary(shown, None, None, params, cost, reason))
    return ExplorerState(s, shown, x_kind, k_kind, X, K, b, tuple(notes), message, params, cost, Y, partial,
                         element, method, torch_check, "; ".join(lines), shapes, lines)


def partial_of(state: ExplorerState, o: int, device="cpu") -> torch.Tensor:
    """(c_i / groups, m_h, m_w): the partial maps X[i] ⋆ K[o, i] of output channel o of the layer ``state`` shows
    (cached; ``state.partial`` is those of the picked o)."""
    if state.Y is None:
        raise ValueError(_("no output Y, so no partial maps: {message}").format(message=state.message))
    if not 0 <= o < state.settings.c_o:
        raise ValueError(_("output channel o = {o} is outside 0 … c_o − 1 = {last}").format(
            o=o, last=state.settings.c_o - 1))
    return _partial(layer_of(state.settings), o, str(device))


def _x_words(kind: str) -> str:
    return _(X_WORDS[kind])


def _k_words(kind: str, c_o: int) -> str:
    if kind == "lecture":
        kernels = ", ".join(["K"] + [f"K + {o}" for o in range(1, min(c_o, 3))]) + (", ..." if c_o > 3 else "")
        return _("the lecture's {kernels}").format(kernels=kernels)
    return _(PRESET_NAMES[kind]) if kind in PRESET_NAMES else kind


def _summary(s: Settings, x_kind: str | None, k_kind: str | None, params: int, cost: ConvCost | None,
             reason: str) -> tuple[str, ...]:
    """Shapes, parameters and MACs of what is shown, one part each; with ``x_kind = k_kind = None`` the shapes
    alone. ``reason``: why there is no Y (when ``cost`` is None)."""
    c_ig = s.c_i // s.groups
    if s.groups == 1:
        k = f"K: (c_o, c_i, k_h, k_w) = ({s.c_o}, {s.c_i}, {s.k_h}, {s.k_w})"
    else:
        k = (_("K: (c_o, c_i / groups, k_h, k_w) = ({c_o}, {c_ig}, {k_h}, {k_w}) with groups = {groups} (depthwise)")
             if s.groups == s.c_i else
             _("K: (c_o, c_i / groups, k_h, k_w) = ({c_o}, {c_ig}, {k_h}, {k_w}) with groups = {groups}")).format(
            c_o=s.c_o, c_ig=c_ig, k_h=s.k_h, k_w=s.k_w, groups=s.groups)
    parts = [
        f"X: (c_i, n_h, n_w) = ({s.c_i}, {s.n_h}, {s.n_w})" + (f", {_x_words(x_kind)}" if x_kind else ""),
        k + (f", {_k_words(k_kind, s.c_o)}" if k_kind else ""),
        f"b: (c_o,) = ({s.c_o},)" if s.bias else _("b: none"),
    ]
    if s.dilation != 1:
        parts.append(_("dilation {d}: each kernel spans {span_h}×{span_w}").format(
            d=s.dilation, span_h=s.dilation * (s.k_h - 1) + 1, span_w=s.dilation * (s.k_w - 1) + 1))
    if cost is None:
        parts.append(_("Y: none ({reason})").format(reason=reason))
        parts.append(_("parameters {params}; MACs 0 (no output)").format(params=f"{params:,}"))
    else:
        parts.append(f"Y: (c_o, m_h, m_w) = {cost.out_shape}")
        parts.append(_("parameters {params}; MACs {macs}; FLOPs {flops}").format(
            params=f"{cost.params:,}", macs=f"{cost.macs:,}", flops=f"{cost.flops:,}"))
    return tuple(parts)
