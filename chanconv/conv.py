"""``conv2d``: the general convolutional layer (a cross-correlation), with a choice of method."""

from __future__ import annotations

import torch

from . import methods as _m
from .checks import (
    as_float_tensor,
    check_ndim,
    check_nonempty,
    check_same_device,
    check_window,
    output_size,
    pair,
    promote,
    shape_str,
)

__all__ = ["conv2d", "output_size", "auto_method"]


def auto_method(c_i: int, c_o: int, k_h: int, k_w: int, n_h: int, n_w: int,
                stride=(1, 1), batch: int = 1, device="cpu", padding=(0, 0)) -> str:
    """The method ``method="auto"`` uses for this shape and device.

    A fixed rule (so that a result does not depend on a timing race), read off ``make bench``
    on a 2-core AVX-512 CPU (see the README's figures):

    * 1×1 kernels: ``matmul1x1``, a single matrix product with nothing to rearrange;
    * tiny layers (under 200,000 multiply-adds), where call overhead dominates: ``im2col``,
      one copy and one product;
    * 3×3 kernels at stride 1 with c_i, c_o ≥ 64 and c_i · batch ≥ 128: ``winograd``, whose
      2.25× fewer multiplications pay for its transforms once the products are large;
    * stride 1 with at least 2,048 output pixels per channel: ``shift``, k_h k_w products
      read straight from the input;
    * c_o ≤ 128 with windows of at least 256 numbers (c_i k_h k_w): ``im2row``, whose product
      has the pixels as rows, the orientation the CPU's matrix product prefers for few
      output channels;
    * everything else: ``im2col``.

    ``device`` is accepted so that a CUDA rule can be added once it is measured on a GPU; today
    the CPU rule is used everywhere. ``fft`` does fewer multiplications for large kernels but
    loses on the CPU at the sizes measured; it is chosen only by name.
    """
    stride = pair(stride, "stride", minimum=1)
    padding = pair(padding, "padding", minimum=0)
    if (k_h, k_w) == (1, 1):
        return "matmul1x1"
    m_h = output_size(n_h, k_h, stride[0], padding[0])
    m_w = output_size(n_w, k_w, stride[1], padding[1])
    if batch * c_o * m_h * m_w * c_i * k_h * k_w < 200_000:
        return "im2col"
    if (k_h, k_w) == (3, 3) and stride == (1, 1) and min(c_i, c_o) >= 64 and c_i * batch >= 128:
        return "winograd"
    if stride == (1, 1) and m_h * m_w >= 2048:
        return "shift"
    if c_o <= 128 and c_i * k_h * k_w >= 256:
        return "im2row"
    return "im2col"


def conv2d(X, weight, bias=None, *, stride=1, padding=0, groups=1, method="auto"):
    r"""2-D convolutional layer with c_i input and c_o output channels (a cross-correlation).

    .. math::
        Y[n, o, i, j] = b[o] + \sum_{c=0}^{c_i-1}\sum_{a=0}^{k_h-1}\sum_{d=0}^{k_w-1}
                        X_{pad}[n, c, i s_h + a, j s_w + d]\, W[o, c, a, d]

    The kernel is not flipped: this is what ``torch.nn.Conv2d`` and the lecture call a
    convolution, mathematically a cross-correlation.

    Args:
        X: input, (c_i, n_h, n_w) or (batch, c_i, n_h, n_w).
        weight: W, (c_o, c_i, k_h, k_w), the layout of ``torch.nn.Conv2d.weight``.
        bias: b, (c_o,), one number per output channel; ``None`` for none.
        stride: s, an int or a pair (s_h, s_w), each ≥ 1.
        padding: p, an int or a pair (p_h, p_w), each ≥ 0: zeros on both sides.
        groups: g, splitting the channels into g independent groups (as ``torch.nn.Conv2d``):
            weight then has shape (c_o, c_i / g, k_h, k_w) and output channels of group j read
            only input channels of group j; g = c_i is a depthwise convolution.
        method: ``"auto"`` (see :func:`auto_method`), one of :data:`chanconv.METHODS`, or
            ``"torch"`` for ``torch.nn.functional.conv2d`` itself (the reference).

    Shape:
        - X: (c_i, n_h, n_w) or (batch, c_i, n_h, n_w)
        - Y: (c_o, m_h, m_w) or (batch, c_o, m_h, m_w), with

          m_h = floor((n_h + 2 p_h - k_h) / s_h) + 1,
          m_w = floor((n_w + 2 p_w - k_w) / s_w) + 1.

    The result is on X's device. NumPy arrays are converted to tensors, integer tensors to
    ``torch.get_default_dtype()`` (float32); X, W and b are promoted to their common
    floating dtype. Bad shapes, devices or arguments raise ``ValueError``/``TypeError``
    naming them.
    """
    X = as_float_tensor(X, "X")
    W = as_float_tensor(weight, "weight")
    b = None if bias is None else as_float_tensor(bias, "bias")
    x_shape, w_shape = X.shape, W.shape  # read once: every check below works on these
    single = len(x_shape) == 3
    check_ndim(X, "X", (3, 4), "(c_i, n_h, n_w) or (batch, c_i, n_h, n_w)")
    check_ndim(W, "weight", (4,), "(c_o, c_i, k_h, k_w)")
    if 0 in x_shape:
        check_nonempty(X, "X", "(c_i, n_h, n_w)" if single else "(batch, c_i, n_h, n_w)")
    if 0 in w_shape:
        check_nonempty(W, "weight", "(c_o, c_i, k_h, k_w)")
    device = X.device
    if W.device != device or (b is not None and b.device != device):
        check_same_device(X=X, weight=W, bias=b)
    if type(groups) is not int or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    c_o, c_i_group, k_h, k_w = w_shape
    c_i = c_i_group * groups
    n_h, n_w = x_shape[-2], x_shape[-1]
    if x_shape[-3] != c_i:
        layout = "(c_o, c_i, k_h, k_w)" if groups == 1 else f"(c_o, c_i / groups, k_h, k_w) with groups = {groups}"
        raise ValueError(
            f"X has {x_shape[-3]} input channels but the weight expects {c_i}: "
            f"X.shape = {shape_str(x_shape)}, weight.shape = {shape_str(w_shape)} is "
            f"{layout}; c_i must agree"
        )
    if c_o % groups:
        raise ValueError(f"c_o = {c_o} output channels cannot be split into groups = {groups} equal groups")
    if b is not None and b.shape != (c_o,):
        raise ValueError(
            f"bias must have shape (c_o,) = ({c_o},), one number per output channel, "
            f"got {shape_str(b.shape)}"
        )
    s = pair(stride, "stride", minimum=1)
    p = pair(padding, "padding", minimum=0)
    check_window(n_h, n_w, k_h, k_w, *p)
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {method!r}")
    if method == "auto":
        method = auto_method(c_i // groups, c_o // groups, k_h, k_w, n_h, n_w, s,
                             1 if single else x_shape[0], device, p)
    elif method != "torch":
        if method not in _m.IMPLEMENTATIONS:
            raise ValueError(
                f"unknown method {method!r}: choose 'auto', 'torch' or one of {_m.METHODS}"
            )
        if not _m.applies(method, k_h, k_w, s):
            raise ValueError(
                f"method {method!r} does not handle a {k_h}×{k_w} kernel at stride {s}: "
                + ("it needs k_h = k_w = 1" if method == "matmul1x1"
                   else "it needs a 3×3 kernel at stride 1")
                + "; use method='auto'"
            )
    if W.dtype != X.dtype or (b is not None and b.dtype != X.dtype):
        X, W, b = promote(X, W, b)
    X4 = X.unsqueeze(0) if single else X
    if method == "torch":
        Y = torch.nn.functional.conv2d(X4, W, b, stride=s, padding=p, groups=groups)
    elif groups == 1:
        Y = _m.IMPLEMENTATIONS[method](X4, W, b, s, p)
    else:  # each group is an independent convolution on its share of the channels
        step_i, step_o = c_i // groups, c_o // groups
        Y = torch.cat([
            _m.IMPLEMENTATIONS[method](X4[:, g * step_i:(g + 1) * step_i], W[g * step_o:(g + 1) * step_o],
                                       None if b is None else b[g * step_o:(g + 1) * step_o], s, p)
            for g in range(groups)
        ], dim=1)
    return Y[0] if single else Y
