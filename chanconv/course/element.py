"""One output element written out the way the lecture does, with the numbers taken from the tensors.

    Y[0, 0, 0] = (1×1 + 2×2 + 4×3 + 5×4) + (0×0 + 1×1 + 3×2 + 4×3) = 56

:func:`element_terms` takes Y[o, u, v] of a cross-correlation apart: the window of every input
channel that output channel o reads (its group), each product X_pad[i, row, col] × K[o, i, a, e],
the partial sum per input channel, the bias and the total. :class:`Element` is the one model of an
output element: the notebooks' figures and the channel explorer both draw it.
:func:`format_number` is the one way numbers are written in it.

Notation: input channel i, output channel o, the element Y[o, u, v] (row u, column v, so that they
do not collide with the input channel i). Its window's taps sit at padded input rows
u s_h + a d_h (a = 0 … k_h − 1) and columns v s_w + e d_w (e = 0 … k_w − 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch.nn.functional as F

from ..core.checks import as_float_tensor, check_ndim, output_size, pair, shape_str
from ..core.i18n import _

__all__ = ["Term", "Element", "element_terms", "format_number"]


def format_number(v: float, *, paren: bool = True) -> str:
    """1.0 → '1', 0.4213 → '0.421', -2 → '(-2)' (or '-2' with paren=False): short, exact for integers."""
    v = float(v)
    text = str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.3g}"
    return f"({text})" if v < 0 and paren else text


@dataclass(frozen=True)
class Term:
    """One product X_pad[i, row, col] × K[o, i, a, e] of the sum; ``pad``: X is padding (a zero) there."""

    x: float
    k: float
    pad: bool


@dataclass(frozen=True)
class Element:
    """Y[o, u, v]: its window (padded coordinates, every tap), the products per input channel, the total."""

    o: int
    u: int
    v: int
    rows: tuple[int, ...]  # padded input rows of the taps (k_h of them, d_h apart)
    cols: tuple[int, ...]  # padded input columns of the taps (k_w of them, d_w apart)
    channels: tuple[int, ...]  # the input channels i that Y[o] reads (its group; all of them when groups = 1)
    terms: tuple[tuple[Term, ...], ...]  # k_h k_w products per input channel in ``channels``
    partial_sums: tuple[float, ...]  # per input channel: (X[i] ⋆ K[o, i])[u, v]
    bias: float | None
    value: float  # the total, = Y[o, u, v]

    @property
    def name(self) -> str:
        return f"Y[{self.o}, {self.u}, {self.v}]"

    @property
    def n_terms(self) -> int:
        return sum(len(t) for t in self.terms)

    @property
    def n_padding_terms(self) -> int:
        return sum(t.pad for ts in self.terms for t in ts)

    def _order(self, channels) -> list[int]:
        """Positions in ``self.channels`` of the input channels ``channels`` (default: all, in order)."""
        if channels is None:
            return list(range(len(self.channels)))
        return [self.channels.index(c) for c in channels]

    def channel_text(self, c: int, *, padding: bool = True) -> str:
        """'1×1 + 2×2 + 4×3 + 5×4': the products of input channel c (without the padding's zeros if
        ``padding=False``; '0' when nothing is left)."""
        kept = [t for t in self.terms[self.channels.index(c)] if padding or not t.pad]
        return " + ".join(f"{format_number(t.x)}×{format_number(t.k)}" for t in kept) or "0"

    def text(self, channels=None, *, padding: bool = True) -> str:
        """The sum written out: one bracket per input channel, the bias, the total.

        ``channels`` picks the order of the brackets (addition commutes); default the channels in
        order. ``padding=False`` leaves out the products with a padding zero (they add 0).
        """
        parts = [f"({self.channel_text(self.channels[j], padding=padding)})" for j in self._order(channels)]
        if self.bias is not None:
            parts.append(format_number(self.bias))
        return " + ".join(parts) + f" = {format_number(self.value, paren=False)}"

    def partial_text(self, channels=None) -> str:
        """'24 + 32 = 56': the partial sums per input channel and the bias."""
        parts = [format_number(self.partial_sums[j]) for j in self._order(channels)]
        if self.bias is not None:
            parts.append(format_number(self.bias))
        return " + ".join(parts) + f" = {format_number(self.value, paren=False)}"

    def full_text(self) -> str:
        """Y[o, u, v] = (x×k + ...) + (...) + b = value: every product with an input value, per channel."""
        return f"{self.name} = " + self.text(padding=False)

    def compact_text(self) -> str:
        """Y[o, u, v] = 24 + 32 (+ b) = 56: one partial sum per input channel."""
        return f"{self.name} = " + self.partial_text()


def element_terms(X, K, o: int = 0, u: int = 0, v: int = 0, *, bias=None, stride=1, padding=0, dilation=1,
                  groups: int = 1) -> Element:
    """The terms of one output element Y[o, u, v] of a cross-correlation.

    X: (c_i, n_h, n_w); K: (c_i / groups, k_h, k_w) for one output channel, or
    (c_o, c_i / groups, k_h, k_w); bias: None or (c_o,). The window of Y[o, u, v] starts at padded
    input row u s_h and column v s_w; Y has m_h = floor((n_h + 2 p_h - d_h (k_h - 1) - 1) / s_h) + 1
    rows (likewise m_w).
    """
    X = as_float_tensor(X, "X")
    K = as_float_tensor(K, "K")
    check_ndim(X, "X", (3,), "(c_i, n_h, n_w)")
    check_ndim(K, "K", (3, 4), "(c_i, k_h, k_w) or (c_o, c_i, k_h, k_w)")
    if K.dim() == 3:
        K = K.unsqueeze(0)
    c_o, c_ig, k_h, k_w = K.shape
    c_i, n_h, n_w = X.shape
    if c_i != c_ig * groups:
        raise ValueError(_("X has {got} input channels but K expects {want}: X.shape = {x_shape}, K.shape = {k_shape}")
                         .format(got=c_i, want=c_ig * groups, x_shape=shape_str(X.shape), k_shape=shape_str(K.shape)))
    (s_h, s_w), (p_h, p_w), (d_h, d_w) = (pair(stride, "stride", minimum=1), pair(padding, "padding", minimum=0),
                                          pair(dilation, "dilation", minimum=1))
    m_h, m_w = output_size(n_h, k_h, s_h, p_h, d_h), output_size(n_w, k_w, s_w, p_w, d_w)
    if not (0 <= o < c_o and 0 <= u < m_h and 0 <= v < m_w):
        raise ValueError(_("Y[{o}, {u}, {v}] is outside Y of shape (c_o, m_h, m_w) = ({c_o}, {m_h}, {m_w})").format(
            o=o, u=u, v=v, c_o=c_o, m_h=m_h, m_w=m_w))
    group = o // (c_o // groups)
    channels = tuple(range(group * c_ig, (group + 1) * c_ig))
    rows = tuple(u * s_h + a * d_h for a in range(k_h))
    cols = tuple(v * s_w + e * d_w for e in range(k_w))
    Xp = F.pad(X.detach().cpu(), (p_w, p_w, p_h, p_h)).double().numpy()
    r, c = np.asarray(rows)[:, None], np.asarray(cols)[None, :]
    pad = ~((p_h <= r) & (r < p_h + n_h) & (p_w <= c) & (c < p_w + n_w))
    pad = np.broadcast_to(pad, (k_h, k_w)).ravel().tolist()
    windows = Xp[np.asarray(channels)][:, rows][:, :, cols].reshape(c_ig, -1).tolist()  # (c_i / groups, k_h k_w)
    kernels = K[o].detach().cpu().double().numpy().reshape(c_ig, -1).tolist()
    terms = tuple(tuple(Term(x, k, p) for x, k, p in zip(xs, ks, pad)) for xs, ks in zip(windows, kernels))
    partial = tuple(math.fsum(x * k for x, k in zip(xs, ks)) for xs, ks in zip(windows, kernels))
    b = None if bias is None else float(as_float_tensor(bias, "bias").reshape(-1)[o])
    return Element(o, u, v, rows, cols, channels, terms, partial, b, math.fsum(partial) + (b or 0.0))
