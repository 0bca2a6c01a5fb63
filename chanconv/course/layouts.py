"""Tensor layouts of the lecture's three frameworks, and a NumPy convolution in TensorFlow's.

PyTorch and MXNet store a batch of inputs as NCHW, (batch, c_i, n_h, n_w), and a kernel as
(c_o, c_i, k_h, k_w) ("OIHW"). TensorFlow's ``tf.nn.conv2d`` uses NHWC inputs,
(batch, n_h, n_w, c_i), and kernels (k_h, k_w, c_i, c_o) ("HWIO"); its output is NHWC,
(batch, m_h, m_w, c_o). The conversions are transposes (``permute``), never reshapes.
``conv2d_nhwc`` computes a convolution (a cross-correlation, stride 1, no padding) directly
in TensorFlow's layout with NumPy, so that the conversions can be checked against PyTorch
without installing TensorFlow.
"""

from __future__ import annotations

import numpy as np

from ..core.i18n import _

__all__ = ["nchw_to_nhwc", "nhwc_to_nchw", "oihw_to_hwio", "hwio_to_oihw", "conv2d_nhwc"]


def _permute(a, axes, name, layout):
    """Transpose a torch tensor or a NumPy array (4 axes, ``layout``) to the order ``axes``."""
    if a.ndim != 4:
        raise ValueError(_("{name} must have 4 axes {layout}, got shape {shape}").format(
            name=name, layout=layout, shape=tuple(a.shape)))
    return a.permute(*axes) if hasattr(a, "permute") else np.transpose(a, axes)


def nchw_to_nhwc(X):
    """(batch, c_i, n_h, n_w) → (batch, n_h, n_w, c_i): PyTorch/MXNet input to TensorFlow's."""
    return _permute(X, (0, 2, 3, 1), "X", "(batch, c_i, n_h, n_w)")


def nhwc_to_nchw(X):
    """(batch, n_h, n_w, c) → (batch, c, n_h, n_w): TensorFlow's layout back to PyTorch's."""
    return _permute(X, (0, 3, 1, 2), "X", "(batch, n_h, n_w, c)")


def oihw_to_hwio(K):
    """(c_o, c_i, k_h, k_w) → (k_h, k_w, c_i, c_o): PyTorch/MXNet kernel to TensorFlow's."""
    return _permute(K, (2, 3, 1, 0), "K", "(c_o, c_i, k_h, k_w)")


def hwio_to_oihw(K):
    """(k_h, k_w, c_i, c_o) → (c_o, c_i, k_h, k_w): TensorFlow's kernel to PyTorch's."""
    return _permute(K, (3, 2, 0, 1), "K", "(k_h, k_w, c_i, c_o)")


def conv2d_nhwc(X, K):
    """Cross-correlation in TensorFlow's layout, with NumPy (float64).

    X: (batch, n_h, n_w, c_i); K: (k_h, k_w, c_i, c_o) → Y: (batch, m_h, m_w, c_o) with
    m_h = n_h − k_h + 1, m_w = n_w − k_w + 1 (stride 1, no padding: ``padding="VALID"``).
    Y[b, i, j, o] = Σ_{u, v, c} X[b, i + u, j + v, c] · K[u, v, c, o].
    """
    X = np.asarray(X, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    for a, name, layout in ((X, "X", "(batch, n_h, n_w, c_i)"), (K, "K", "(k_h, k_w, c_i, c_o)")):
        if a.ndim != 4:
            raise ValueError(_("{name} must have 4 axes {layout}, got shape {shape}").format(
                name=name, layout=layout, shape=tuple(a.shape)))
    if X.shape[3] != K.shape[2]:
        raise ValueError(_("X has c_i = {x_c_i} channels (last axis, NHWC) but K has c_i = {k_c_i} (third axis, "
                           "(k_h, k_w, c_i, c_o))").format(x_c_i=X.shape[3], k_c_i=K.shape[2]))
    k_h, k_w = K.shape[:2]
    if k_h > X.shape[1] or k_w > X.shape[2]:
        raise ValueError(_("kernel {k_h}×{k_w} is larger than the input {n_h}×{n_w}").format(
            k_h=k_h, k_w=k_w, n_h=X.shape[1], n_w=X.shape[2]))
    windows = np.lib.stride_tricks.sliding_window_view(X, (k_h, k_w), axis=(1, 2))
    # windows: (batch, m_h, m_w, c_i, k_h, k_w)
    return np.einsum("bijcuv,uvco->bijo", windows, K)
