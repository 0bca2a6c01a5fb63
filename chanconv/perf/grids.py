"""The layers ``make bench`` times: a fit grid, a validation grid, and real networks' layers.

* :func:`fit_grid` (``FIT``): the 25 layers ``make bench`` has always timed: the lecture's layer, sweeps
  over c_i = c_o, c_i, k and batch on 32 × 32 inputs, 1 × 1, strided, dilated, depthwise and tiny
  layers. ``auto``'s decision table (:mod:`chanconv.core.auto_table`) is fitted on these.
* :func:`validation_grid` (``VALIDATION``): layers the fit never saw, chosen where the fit grid is thin:
  kernels of 5 × 5 to 11 × 11, odd channel counts (24, 48, 144), small batches of mid-size layers,
  other input sizes, a grouped and a 5 × 5 depthwise layer. ``auto`` is judged here.
* :func:`network_grid` (``NETWORKS``): layers of well-known image networks (ResNet-18/50, MobileNetV2,
  DenseNet-121, ResNeXt-50, Inception-v3, EfficientNet-B0) at batch 1 and 8, each labelled with its
  network. Reported as a geometric mean and as a time-weighted total (what a forward pass through
  such layers takes, where the large layers weigh most).

No layer of the validation grid is in another grid (a test checks it); one layer of the networks' grid,
ResNet's stride-2 3 × 3 64 → 128 at batch 1, is also in the fit grid.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core import conv2d_cost
from ..core.layer import Layer
from ..core.methods import applies

__all__ = ["Shape", "fit_grid", "small_grid", "validation_grid", "network_grid", "GRIDS"]


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


@dataclass(frozen=True)
class Shape:
    """One layer to time: ``k`` and ``padding`` are an int (square) or a pair (k_h, k_w), (p_h, p_w)."""

    family: str
    c_i: int
    c_o: int
    k: int | tuple[int, int]
    n: int
    batch: int = 1
    stride: int = 1
    padding: int | tuple[int, int] = 0
    dilation: int = 1
    groups: int = 1

    def __post_init__(self):  # a pair read back from JSON is a list: make it a tuple (hashable)
        for name in ("k", "padding"):
            v = getattr(self, name)
            if not isinstance(v, int):
                object.__setattr__(self, name, _pair(v))

    @property
    def kernel(self) -> tuple[int, int]:
        return _pair(self.k)

    @property
    def label(self) -> str:
        k_h, k_w = self.kernel
        k = f"{k_h}" if k_h == k_w else f"{k_h}x{k_w}"
        p_h, p_w = _pair(self.padding)
        pad = "" if (p_h, p_w) == (0, 0) else f" p{p_h}" if p_h == p_w else f" p{p_h},{p_w}"
        extra = (f" s{self.stride}" if self.stride > 1 else "") + pad + (
            f" d{self.dilation}" if self.dilation > 1 else "") + (f" g{self.groups}" if self.groups > 1 else "")
        return f"{self.family}: b{self.batch} c_i{self.c_i} c_o{self.c_o} k{k} n{self.n}{extra}"

    @property
    def layer(self) -> Layer:
        """The validated layer description that conv2d, auto_method and conv2d_cost share."""
        k_h, k_w = self.kernel
        return Layer.describe(self.c_i, self.c_o, k_h, k_w, self.n, self.n, self.stride, self.padding,
                              self.dilation, self.groups, batch=self.batch)

    def applies(self, method: str) -> bool:
        return applies(method, *self.kernel, self.layer.stride, self.layer.dilation)

    def cost(self):
        k_h, k_w = self.kernel
        return conv2d_cost(self.c_i, self.c_o, k_h, k_w, self.n, self.n, stride=self.stride,
                           padding=self.padding, batch=self.batch, dilation=self.dilation, groups=self.groups)


def fit_grid():
    g = [Shape("lecture", 100, 100, 5, 68)]
    g += [Shape("channels", c, c, 3, 32, padding=1) for c in (16, 64, 128, 256)]
    g += [Shape("c_i", c_i, 64, 3, 32, padding=1) for c_i in (3, 32, 128)]
    g += [Shape("kernel", 64, 64, k, 32, padding=k // 2) for k in (1, 3, 5, 7, 11)]
    g += [Shape("batch", 64, 64, 3, 32, batch=b, padding=1) for b in (1, 8, 32)]
    g += [Shape("1x1", 256, 64, 1, 28), Shape("1x1", 64, 256, 1, 28)]
    g += [
        Shape("stride", 64, 128, 3, 56, stride=2, padding=1),
        Shape("stride", 3, 64, 7, 112, stride=2, padding=3),
    ]
    g += [Shape("small", 2, 3, 2, 3), Shape("small", 3, 8, 3, 16, padding=1)]
    g += [Shape("dilation", 64, 64, 3, 32, padding=2, dilation=2)]
    g += [Shape("depthwise", 64, 64, 3, 56, padding=1, groups=64),
          Shape("depthwise", 256, 256, 3, 14, padding=1, groups=256)]
    return g


def small_grid():
    return [
        Shape("lecture", 100, 100, 5, 68),
        Shape("channels", 16, 16, 3, 32, padding=1),
        Shape("channels", 64, 64, 3, 32, padding=1),
        Shape("kernel", 64, 64, 7, 32, padding=3),
        Shape("1x1", 256, 64, 1, 28),
        Shape("small", 3, 8, 3, 16, padding=1),
    ]


def validation_grid():
    """Layers the fit grid does not hold: where it is thin, and the examples that showed it (issue 25)."""
    return [
        Shape("7x7", 16, 32, 7, 48, batch=2, padding=3),
        Shape("3x3 odd", 32, 48, 3, 40, batch=4, padding=1),
        Shape("3x3 mid", 64, 64, 3, 24, batch=8, padding=1),
        Shape("3x3 mid", 96, 96, 3, 20, batch=2, padding=1),
        Shape("3x3 odd", 144, 144, 3, 14, batch=2, padding=1),
        Shape("5x5", 48, 48, 5, 28, padding=2),
        Shape("9x9", 24, 48, 9, 32, padding=4),
        Shape("11x11 s4", 3, 48, 11, 64, stride=4, padding=2, batch=2),
        Shape("1x1 odd", 144, 24, 1, 28, batch=4),
        Shape("1x1 odd", 24, 144, 1, 28, batch=4),
        Shape("3x3 s2", 48, 96, 3, 40, stride=2, padding=1, batch=2),
        Shape("dilated", 48, 48, 3, 28, padding=3, dilation=3, batch=2),
        Shape("grouped", 96, 96, 3, 28, padding=1, groups=4, batch=2),
        Shape("depthwise 5x5", 96, 96, 5, 28, padding=2, groups=96, batch=2),
        Shape("tiny", 4, 6, 3, 8, padding=1, batch=2),
    ]


#: (network, layer): c_i, c_o, kernel, input size, stride, padding, groups; each at batch 1 and 8
NETWORK_LAYERS = [
    ("ResNet stem", 3, 64, 7, 224, 2, 3, 1),
    ("ResNet 3x3", 64, 64, 3, 56, 1, 1, 1),
    ("ResNet 3x3 s2", 64, 128, 3, 56, 2, 1, 1),
    ("ResNet 3x3", 128, 128, 3, 28, 1, 1, 1),
    ("ResNet 3x3", 256, 256, 3, 14, 1, 1, 1),
    ("ResNet 3x3", 512, 512, 3, 7, 1, 1, 1),
    ("ResNet-50 1x1", 256, 64, 1, 56, 1, 0, 1),
    ("ResNet-50 1x1", 64, 256, 1, 56, 1, 0, 1),
    ("ResNet-50 1x1 s2", 256, 512, 1, 56, 2, 0, 1),
    ("MobileNetV2 stem", 3, 32, 3, 224, 2, 1, 1),
    ("MobileNetV2 1x1", 24, 144, 1, 56, 1, 0, 1),
    ("MobileNetV2 depthwise", 144, 144, 3, 56, 1, 1, 144),
    ("MobileNetV2 1x1", 144, 24, 1, 56, 1, 0, 1),
    ("MobileNetV2 depthwise s2", 144, 144, 3, 56, 2, 1, 144),
    ("DenseNet 1x1", 256, 128, 1, 28, 1, 0, 1),
    ("DenseNet 3x3", 128, 32, 3, 28, 1, 1, 1),
    ("ResNeXt grouped", 128, 128, 3, 56, 1, 1, 32),
    ("Inception 1x7", 128, 128, (1, 7), 17, 1, (0, 3), 1),
    ("Inception 7x1", 128, 192, (7, 1), 17, 1, (3, 0), 1),
    ("EfficientNet depthwise 5x5", 240, 240, 5, 28, 1, 2, 240),
]


def network_grid():
    return [Shape(name, c_i, c_o, k, n, batch=batch, stride=s, padding=p, groups=g)
            for batch in (1, 8) for (name, c_i, c_o, k, n, s, p, g) in NETWORK_LAYERS]


GRIDS = {"full": fit_grid, "small": small_grid, "validation": validation_grid, "networks": network_grid}
