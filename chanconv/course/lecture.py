"""The lecture's functions, as readable as the lecture (teaching versions).

Each is a 2-D **cross-correlation** (what deep-learning libraries call "convolution": the
kernel is not flipped). With no padding and stride 1 an n_h × n_w input and a k_h × k_w
kernel give an m_h × m_w output with

    m_h = n_h - k_h + 1,    m_w = n_w - k_w + 1.

Shapes, in the lecture's notation:

==========================  =====================  =========================  =====================
function                    X                      K                          result
==========================  =====================  =========================  =====================
``corr2d``                  (n_h, n_w)             (k_h, k_w)                 (m_h, m_w)
``corr2d_multi_in``         (c_i, n_h, n_w)        (c_i, k_h, k_w)            (m_h, m_w)
``corr2d_multi_in_out``     (c_i, n_h, n_w)        (c_o, c_i, k_h, k_w)       (c_o, m_h, m_w)
``corr2d_multi_in_out_1x1`` (c_i, n_h, n_w)        (c_o, c_i, 1, 1)           (c_o, n_h, n_w)
==========================  =====================  =========================  =====================

Tensors may live on any device; the result is on the input's device. NumPy arrays are
converted to tensors and integer tensors to ``torch.get_default_dtype()`` (float32), so
the lecture's ``X`` can be typed with integers. The fast, general layer is
:func:`chanconv.conv2d`; these versions are the ones to read.
"""

from __future__ import annotations

import torch

from ..core.checks import (
    as_float_tensor,
    check_ndim,
    check_nonempty,
    check_same_device,
    check_window,
    promote,
    shape_str,
)
from ..core.i18n import _

__all__ = ["corr2d", "corr2d_multi_in", "corr2d_multi_in_out", "corr2d_multi_in_out_1x1"]


def _prepare(X, K, x_layout: str, k_layout: str, x_dims: int, k_dims: int):
    X = as_float_tensor(X, "X")
    K = as_float_tensor(K, "K")
    check_ndim(X, "X", (x_dims,), x_layout)
    check_ndim(K, "K", (k_dims,), k_layout)
    check_nonempty(X, "X", x_layout)
    check_nonempty(K, "K", k_layout)
    check_same_device(X=X, K=K)
    if x_dims == 3 and X.shape[0] != K.shape[-3]:
        raise ValueError(_(
            "X has {got} input channels but K expects {want}: X.shape = {x_shape} is {x_layout}, K.shape = {k_shape} "
            "is {k_layout}; c_i must agree").format(got=X.shape[0], want=K.shape[-3], x_shape=shape_str(X.shape),
                                                   x_layout=x_layout, k_shape=shape_str(K.shape), k_layout=k_layout))
    check_window(X.shape[-2], X.shape[-1], K.shape[-2], K.shape[-1])
    return promote(X, K)


def corr2d(X, K):
    """2-D cross-correlation of one channel: X (n_h, n_w), K (k_h, k_w) → (m_h, m_w).

    ``Y[i, j] = sum(X[i:i + k_h, j:j + k_w] * K)``, with m_h = n_h - k_h + 1 and
    m_w = n_w - k_w + 1.
    """
    X, K = _prepare(X, K, "(n_h, n_w)", "(k_h, k_w)", 2, 2)
    return _corr2d(X, K)


def _corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def corr2d_multi_in(X, K):
    """Cross-correlation with c_i input channels: X (c_i, n_h, n_w), K (c_i, k_h, k_w) → (m_h, m_w).

    One 2-D cross-correlation per input channel, then the c_i results are added:
    ``Y = sum_i corr2d(X[i], K[i])``. ``zip(X, K)`` walks the channel axis (axis 0) of X
    and of K together, pairing input channel i with kernel channel i.
    """
    X, K = _prepare(X, K, "(c_i, n_h, n_w)", "(c_i, k_h, k_w)", 3, 3)
    return _corr2d_multi_in(X, K)


def _corr2d_multi_in(X, K):
    return sum(_corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    """c_i input and c_o output channels: X (c_i, n_h, n_w), K (c_o, c_i, k_h, k_w) → (c_o, m_h, m_w).

    Walk the output-channel axis (axis 0) of K: each k of shape (c_i, k_h, k_w) gives one
    output channel ``corr2d_multi_in(X, k)``; the c_o results are stacked on axis 0.
    """
    X, K = _prepare(X, K, "(c_i, n_h, n_w)", "(c_o, c_i, k_h, k_w)", 3, 4)
    return torch.stack([_corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X, K):
    """The 1×1 convolution as one matrix product: X (c_i, n_h, n_w), K (c_o, c_i, 1, 1) → (c_o, n_h, n_w).

    A fully connected layer applied at every pixel: X is reshaped to a (c_i, n_h·n_w)
    matrix, K to a (c_o, c_i) matrix, and ``Y = K @ X`` is reshaped back. The same
    result as :func:`corr2d_multi_in_out` (up to float rounding: the sums are ordered
    differently).
    """
    X, K = _prepare(X, K, "(c_i, n_h, n_w)", "(c_o, c_i, 1, 1)", 3, 4)
    if K.shape[2:] != (1, 1):
        raise ValueError(_(
            "corr2d_multi_in_out_1x1 needs a 1×1 kernel, K.shape = {shape} has k_h × k_w = {k_h}×{k_w}: "
            "use corr2d_multi_in_out").format(shape=shape_str(K.shape), k_h=K.shape[2], k_w=K.shape[3]))
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    Y = torch.matmul(K, X)  # the fully connected layer, at all h * w pixels at once
    return Y.reshape((c_o, h, w))
