r"""The backward pass of a convolutional layer, from scratch, in the lecture's notation.

The forward pass (a cross-correlation, stride s, padding p, dilation d, one group)::

    Y[n, o, i, j] = b[o] + Σ_c Σ_a Σ_e  Xpad[n, c, i s_h + a d_h, j s_w + e d_w] · W[o, c, a, e]

Given dY = ∂L/∂Y, of Y's shape (batch, c_o, m_h, m_w), the chain rule gives three sums, and each
is again a convolution:

* **db[o] = Σ_n Σ_i Σ_j dY[n, o, i, j]**: every output pixel of channel o added b[o] once.
* **dW[o, c] = Σ_n Xpad[n, c] ⋆ dY[n, o]**: W[o, c, a, e] multiplied Xpad[n, c, i s + a d, ...]
  into Y[n, o, i, j]; its gradient is the cross-correlation of input channel c with the output
  gradient of channel o, taps s apart (the stride becomes the dilation) and windows d apart (the
  dilation becomes the stride), summed over the batch. Computed as one conv2d in which the samples
  play the channels: X as (c_i, batch, ...) against dY as (c_o, batch, m_h, m_w).
* **dX = dY ⋆ flip(Wᵀ)**, a transposed convolution: Xpad[n, c, y, x] fed every Y[n, o, i, j] with
  i s + a d = y. Spread dY with s - 1 zeros between neighbours, pad it with d (k - 1) zeros all
  round, and cross-correlate with the kernel flipped in both directions and its channel axes
  swapped, Wᵀ[c, o, a, e] = W[o, c, k_h - 1 - a, k_w - 1 - e], at dilation d; then drop the padding.

With groups g each group is its own layer: c_i / g input channels, c_o / g output channels.

Every convolution here is ``chanconv.conv2d`` with a from-scratch method; torch's autograd is used
only in the tests, to check these formulas.

:func:`compiled_gradients` computes the same dX and dW in the compiled rung (C++, where it is loaded):
dX phase by phase of the stride as the transpose of the forward's gather, dW as one matrix product over
the whole batch, groups and depthwise layers in one call each (``csrc/blocked.cpp``, ``csrc/depthwise.cpp``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import methods as _m
from .checks import as_float_tensor, shape_str
from .dispatch import check_tensors, pick_method, run_method
from .i18n import _
from .layer import Layer

__all__ = ["conv2d_backward", "input_gradient", "weight_gradient", "bias_gradient", "compiled_gradients",
           "compiled_applies"]

#: dtypes the compiled rung computes (its kernels are float32 and float64).
COMPILED_DTYPES = (torch.float32, torch.float64)


def _method_for(method: str, layer: Layer, device) -> str:
    """``method`` where it handles ``layer`` on ``device``, else auto's choice for that device."""
    if method in _m.IMPLEMENTATIONS and _m.applies(method, layer.k_h, layer.k_w, layer.stride, layer.dilation) \
            and (not _m.cpu_only(method) or torch.device(device).type == "cpu"):
        return method
    return pick_method(layer, device)


def _conv(X, W, method, *, stride, padding, dilation, groups):
    """conv2d on checked 4-D tensors with a from-scratch method (no re-checking, no autograd wrapper)."""
    layer = Layer.of(X, W, stride, padding, dilation, groups)
    return run_method(_method_for(method, layer, X.device), X, W, None, layer)


def bias_gradient(dY):
    """db[o] = Σ_n Σ_i Σ_j dY[n, o, i, j]: (batch, c_o, m_h, m_w) → (c_o,)."""
    return dY.sum(dim=(0, 2, 3))


def input_gradient(dY, W, layer: Layer, method: str = "auto"):
    """dX, (batch, c_i, n_h, n_w): dY spread by the stride, cross-correlated with flip(Wᵀ), unpadded."""
    n, c_o, m_h, m_w = dY.shape
    k_h, k_w, g = layer.k_h, layer.k_w, layer.groups
    (s_h, s_w), (d_h, d_w) = layer.stride, layer.dilation
    top, bottom, left, right = layer.pads
    if (s_h, s_w) != (1, 1):  # s - 1 zeros between neighbours: (n, c_o, (m_h - 1) s_h + 1, (m_w - 1) s_w + 1)
        spread = dY.new_zeros((n, c_o, (m_h - 1) * s_h + 1, (m_w - 1) * s_w + 1))
        spread[:, :, ::s_h, ::s_w] = dY
    else:
        spread = dY
    # Wᵀ per group: (c_o, c_i/g, k_h, k_w) -> (g, c_o/g, c_i/g, k_h, k_w) -> swap the channel axes
    # -> (c_i, c_o/g, k_h, k_w), then flipped top-bottom and left-right
    Wt = W.view(g, c_o // g, layer.c_i // g, k_h, k_w).transpose(1, 2).reshape(layer.c_i, c_o // g, k_h, k_w)
    Wt = Wt.flip(2, 3)
    # "full" padding d (k - 1): every position a tap could have reached
    dXpad = _conv(spread, Wt, method, stride=1, padding=(d_h * (k_h - 1), d_w * (k_w - 1)), dilation=(d_h, d_w),
                  groups=g)
    # (batch, c_i, (m_h - 1) s_h + d_h (k_h - 1) + 1, ...): rows and columns past the last window
    # (floor in the output-size formula) got no gradient; pad them with zeros, then drop the padding
    H, Wd = layer.n_h + top + bottom, layer.n_w + left + right
    dXpad = F.pad(dXpad, (0, Wd - dXpad.shape[3], 0, H - dXpad.shape[2]))
    return dXpad[:, :, top:top + layer.n_h, left:left + layer.n_w]


def weight_gradient(dY, X, layer: Layer, method: str = "auto"):
    """dW[o, c] = Σ_n Xpad[n, c] ⋆ dY[n, o], (c_o, c_i/g, k_h, k_w): one conv2d per group, samples as channels."""
    top, bottom, left, right = layer.pads
    Xp = F.pad(X, (left, right, top, bottom)) if any(layer.pads) else X
    g, k_h, k_w = layer.groups, layer.k_h, layer.k_w
    step_i, step_o = layer.c_i // g, layer.c_o // g
    parts = []
    for j in range(g):
        # (batch, c_i/g, H, Wd) -> (c_i/g, batch, H, Wd): each input channel a "sample", the batch its channels
        Xg = Xp[:, j * step_i:(j + 1) * step_i].transpose(0, 1).contiguous()
        # (batch, c_o/g, m_h, m_w) -> (c_o/g, batch, m_h, m_w): each output channel's gradient a "kernel"
        Dg = dY[:, j * step_o:(j + 1) * step_o].transpose(0, 1).contiguous()
        # taps s apart, windows d apart: (c_i/g, c_o/g, ≥ k_h, ≥ k_w)
        G = _conv(Xg, Dg, method, stride=layer.dilation, padding=0, dilation=layer.stride, groups=1)
        parts.append(G[:, :, :k_h, :k_w].transpose(0, 1))  # -> (c_o/g, c_i/g, k_h, k_w)
    return parts[0].contiguous() if g == 1 else torch.cat(parts, dim=0)


def compiled_applies(X, W, dY) -> bool:
    """Whether :func:`compiled_gradients` can compute these gradients here: the rung built and loaded in this
    process, the tensors on the CPU, in float32 or float64, all of one dtype."""
    return (_m.compiled_ready(X.device) and X.dtype in COMPILED_DTYPES and W.dtype == X.dtype
            and dY.dtype == X.dtype)


def compiled_gradients(dY, X, W, layer: Layer, need_x: bool = True, need_w: bool = True):
    """(dX or None, dW or None) by the compiled rung: X (batch, c_i, n_h, n_w), dY (batch, c_o, m_h, m_w).

    Uneven padding ("same" with an even span) is added to X here, so that the rung sees the same
    zeros on both sides, and dX is cut back to X's rows and columns.
    """
    top, bottom, left, right = layer.pads
    even = layer.padding is not None
    Xp = X if even or not need_w else F.pad(X, (left, right, top, bottom))
    padding = layer.padding if even else (0, 0)
    args = (layer.stride, padding, layer.dilation, layer.groups)
    dX = dW = None
    if need_x:
        shape = X.shape if even else (X.shape[0], X.shape[1], X.shape[2] + top + bottom, X.shape[3] + left + right)
        dX = _m.compiled.input_grad(dY, W, shape, *args)
        if not even:
            dX = dX[:, :, top:top + layer.n_h, left:left + layer.n_w]
    if need_w:
        dW = _m.compiled.weight_grad(dY, Xp, W.shape, *args)
    return dX, dW


def conv2d_backward(dY, X, W, stride=1, padding=0, dilation=1, groups=1, *, method="auto"):
    """The gradients (dX, dW, db) of ``conv2d(X, W, b, stride, padding, dilation, groups)`` given dY.

    (signature: conv2d's, with dY first, so that the two calls read alike.)

    Args:
        dY: ∂L/∂Y, (batch, c_o, m_h, m_w) or (c_o, m_h, m_w), Y's shape.
        X: the layer's input, (batch, c_i, n_h, n_w) or (c_i, n_h, n_w).
        W: its weight, (c_o, c_i / g, k_h, k_w).
        stride, padding, dilation, groups: as in :func:`chanconv.conv2d`.
        method: the from-scratch method the three convolutions use where it handles them
            (auto's choice elsewhere); with ``"auto"`` or ``"compiled"`` and the compiled rung loaded,
            the rung's own backward (:func:`compiled_gradients`).

    Returns:
        dX (X's shape), dW (W's shape), db (c_o,): db is Σ dY whether or not the layer has a bias.

    dX is a transposed convolution of dY with the flipped, channel-swapped kernel; dW[o, c] the
    cross-correlation of X[c] with dY[o] summed over the batch; db the sum of dY over batch and
    pixels (see this module's docstring for the derivation).
    """
    X, W = check_tensors(X, W, None)[:2]
    dY = as_float_tensor(dY, "dY")
    layer = Layer.of(X, W, stride, padding, dilation, groups)
    single = X.dim() == 3
    want = ((layer.c_o, layer.m_h, layer.m_w) if single else (layer.batch, layer.c_o, layer.m_h, layer.m_w))
    if tuple(dY.shape) != want:
        raise ValueError(_("dY must have Y's shape {want} (batch, c_o, m_h, m_w), got {got}").format(
            want=shape_str(want), got=shape_str(dY.shape)))
    if dY.device != X.device:
        raise ValueError(_("dY is on {dy_device} but X on {x_device}: move them to one device").format(
            dy_device=dY.device, x_device=X.device))
    if single:  # (c_i, n_h, n_w) -> (1, c_i, n_h, n_w), likewise dY
        X, dY = X.unsqueeze(0), dY.unsqueeze(0)
    dtype = torch.promote_types(torch.promote_types(X.dtype, W.dtype), dY.dtype)
    X, W, dY = X.to(dtype), W.to(dtype), dY.to(dtype)
    with torch.no_grad():
        if method in ("auto", "compiled") and compiled_applies(X, W, dY):
            dX, dW = compiled_gradients(dY.contiguous(), X.contiguous(), W.contiguous(), layer)
        else:
            dX = input_gradient(dY, W, layer, method)
            dW = weight_gradient(dY, X, layer, method)
        db = bias_gradient(dY)
    return (dX[0] if single else dX), dW, db
