"""What a convolutional layer costs: output shape, parameters, MACs, FLOPs and bytes."""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import _
from .layer import Layer

__all__ = ["ConvCost", "conv2d_cost"]

FLOAT32_BYTES = 4


@dataclass(frozen=True)
class ConvCost:
    """The cost of one ``conv2d`` call (forward pass), derived from its :class:`Layer` by formula.

    out_shape: (c_o, m_h, m_w) per sample, m_h = floor((n_h + 2 p_h - d_h (k_h - 1) - 1) / s_h) + 1.
    padding: (p_h, p_w), or ((top, bottom), (left, right)) where "same" pads unevenly.
    dilation: (d_h, d_w); it moves the kernel's taps apart and changes m_h, m_w, not the MACs per
    output pixel.
    params: c_o·c_i·k_h·k_w weights + c_o biases (b has shape (c_o,), one per output channel).
    macs: multiply-accumulates, batch·c_o·m_h·m_w·c_i·k_h·k_w: the O(c_i c_o k_h k_w m_h m_w).
    flops: 2·macs, counting multiplications and additions separately.
    input_bytes, weight_bytes, output_bytes: float32 storage of X (batch, c_i, n_h, n_w),
    of W and b, and of Y (batch, c_o, m_h, m_w).
    The layer's own numbers (c_i, c_o, k_h, k_w, n_h, n_w, stride, batch, groups) read through.
    """

    layer: Layer
    bias: bool = True

    def __getattr__(self, name):  # c_i, c_o, k_h, k_w, n_h, n_w, stride, dilation, groups, batch: the layer's
        if name in _LAYER_FIELDS:
            return getattr(self.layer, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def padding(self) -> tuple:
        top, bottom, left, right = self.layer.pads
        return self.layer.padding or ((top, bottom), (left, right))

    @property
    def out_shape(self) -> tuple[int, int, int]:
        return (self.layer.c_o, self.layer.m_h, self.layer.m_w)

    @property
    def weights(self) -> int:
        """c_o·(c_i / groups)·k_h·k_w, the weights alone."""
        L = self.layer
        return L.c_o * (L.c_i // L.groups) * L.k_h * L.k_w

    @property
    def params(self) -> int:
        """The weights and, with a bias, the c_o biases."""
        return self.weights + (self.layer.c_o if self.bias else 0)

    @property
    def macs(self) -> int:
        return self.layer.macs

    @property
    def flops(self) -> int:
        return 2 * self.layer.macs

    @property
    def input_bytes(self) -> int:
        L = self.layer
        return FLOAT32_BYTES * L.batch * L.c_i * L.n_h * L.n_w

    @property
    def weight_bytes(self) -> int:
        return FLOAT32_BYTES * self.params

    @property
    def output_bytes(self) -> int:
        L = self.layer
        return FLOAT32_BYTES * L.batch * L.c_o * L.m_h * L.m_w

    @property
    def total_bytes(self) -> int:
        return self.input_bytes + self.weight_bytes + self.output_bytes

    def __str__(self) -> str:
        L, (c_o, m_h, m_w) = self.layer, self.out_shape
        return _("X {x_shape} -> Y {y_shape}; params {params:,}; MACs {macs:,} ({flops:,} FLOPs)").format(
            x_shape=(L.batch, L.c_i, L.n_h, L.n_w), y_shape=(L.batch, c_o, m_h, m_w), params=self.params,
            macs=self.macs, flops=self.flops)


_LAYER_FIELDS = frozenset({"c_i", "c_o", "k_h", "k_w", "n_h", "n_w", "stride", "dilation", "groups", "batch"})


def conv2d_cost(c_i: int, c_o: int, k_h: int, k_w: int, n_h: int, n_w: int, *,
                stride=1, padding=0, batch: int = 1, bias: bool = True, groups: int = 1,
                dilation=1) -> ConvCost:
    """Shapes, parameters and operation counts of a conv2d layer, by formula.

    m_h = floor((n_h + 2 p_h - d_h (k_h - 1) - 1) / s_h) + 1 (likewise m_w; with dilation
    d = 1 the lecture's floor((n_h + 2 p_h - k_h) / s_h) + 1); ``padding`` may also be
    "valid" or "same" (as in :func:`chanconv.conv2d`);
    params = c_o c_i k_h k_w + c_o (without the c_o biases if ``bias=False``);
    macs = batch c_o m_h m_w c_i k_h k_w; flops = 2 macs.
    With ``groups`` = g each output channel reads c_i / g input channels: weights and MACs
    are divided by g (g = c_i: a depthwise convolution).

    The lecture's layer, c_i = c_o = 100, k_h = k_w = 5, a 68×68 input (64×64 output):

    >>> cost = conv2d_cost(100, 100, 5, 5, 68, 68)
    >>> cost.out_shape, cost.params, cost.macs
    ((100, 64, 64), 250100, 1024000000)
    """
    return ConvCost(Layer.describe(c_i, c_o, k_h, k_w, n_h, n_w, stride, padding, dilation, groups, batch), bool(bias))
