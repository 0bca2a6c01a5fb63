"""The lecture's central idea as tensors: one output channel as a sum of per-channel maps.

For output channel o of a convolutional layer (a cross-correlation),

    Y[o] = X[0] ⋆ K[o, 0] + X[1] ⋆ K[o, 1] + … + X[c_i − 1] ⋆ K[o, c_i − 1] + b[o],

where each X[c] ⋆ K[o, c] is a whole m_h × m_w map (a single-channel cross-correlation).
``partial_maps`` returns those maps, their sum, the bias and Y[o], so that a figure can draw
them and a test can check them against ``chanconv.conv2d``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from ..core import conv2d
from ..core.checks import as_float_tensor
from ..core.i18n import _

__all__ = ["Partials", "partial_maps"]


class Partials(NamedTuple):
    """The pieces of one output channel o.

    partials: (c_i, m_h, m_w), partials[c] = X[c] ⋆ K[o, c];
    summed: (m_h, m_w), the sum over c; bias: the scalar b[o] (0 without a bias);
    output: (m_h, m_w), summed + bias = Y[o] = conv2d(X, K, b)[o].
    """

    partials: torch.Tensor
    summed: torch.Tensor
    bias: float
    output: torch.Tensor


def partial_maps(X, K, out_channel: int = 0, bias=None, *, stride=1, padding=0, dilation=1) -> Partials:
    """Per-input-channel maps X[c] ⋆ K[o, c] of output channel o = ``out_channel``.

    X: (c_i, n_h, n_w); K: (c_o, c_i, k_h, k_w) or (c_i, k_h, k_w) (then c_o = 1, o = 0);
    bias: (c_o,) or None. Each partial map has the output's size m_h × m_w with
    m_h = ⌊(n_h + 2p_h − d_h(k_h − 1) − 1) / s_h⌋ + 1 (likewise m_w).
    """
    X = as_float_tensor(X, "X")
    K = as_float_tensor(K, "K")
    if X.dim() != 3:
        raise ValueError(_("X must have shape (c_i, n_h, n_w), got {shape}").format(shape=tuple(X.shape)))
    if K.dim() == 3:
        K = K.unsqueeze(0)
    if K.dim() != 4:
        raise ValueError(_("K must have shape (c_o, c_i, k_h, k_w) or (c_i, k_h, k_w), got {shape}").format(
            shape=tuple(K.shape)))
    c_o, c_i = K.shape[:2]
    if X.shape[0] != c_i:
        raise ValueError(_("X has c_i = {x_c_i} input channels but K has c_i = {k_c_i}").format(x_c_i=X.shape[0],
                                                                                              k_c_i=c_i))
    if not isinstance(out_channel, int) or not 0 <= out_channel < c_o:
        raise ValueError(_("out_channel must be an int in 0..{last}, got {got}").format(last=c_o - 1,
                                                                                      got=repr(out_channel)))
    o = out_channel
    # c_i single-channel cross-correlations at once: groups = c_i, kernel K[o] as (c_i, 1, k_h, k_w)
    parts = conv2d(X, K[o].unsqueeze(1), stride=stride, padding=padding, dilation=dilation, groups=c_i)
    summed = parts.sum(0)
    b = 0.0
    if bias is not None:
        bias = as_float_tensor(bias, "bias")
        if bias.shape != (c_o,):
            raise ValueError(_("bias must have shape (c_o,) = ({c_o},), got {shape}").format(c_o=c_o,
                                                                                            shape=tuple(bias.shape)))
        b = float(bias[o])
    return Partials(parts, summed, b, summed + b)
