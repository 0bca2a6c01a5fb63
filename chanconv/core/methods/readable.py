"""The readable rungs of the ladder: what a student reads first.

Every method is a 2-D cross-correlation with one signature (see :mod:`chanconv.core.methods`)::

    method(X, W, b, stride, padding, dilation) -> Y
    X (batch, c_i, n_h, n_w), W (c_o, c_i, k_h, k_w), b (c_o,) or None -> Y (batch, c_o, m_h, m_w)

    Y[n, o, i, j] = b[o] + sum_{c, a, e} Xpad[n, c, i s_h + a d_h, j s_w + e d_w] W[o, c, a, e]

1. ``loops``: the lecture's corr2d, summed over input channels, stacked over output channels;
2. ``unfold``: every window as one strided view, one einsum;
3. ``im2col_plain``: ``F.unfold`` builds the column matrix, one matrix product (the idea behind the
   fast ``im2col`` of :mod:`chanconv.core.methods.fast`, without its chunks and buffers);
4. ``matmul1x1``: the 1×1 convolution as one matrix product.

The fast rungs (chunked im2col, im2row, shift, Winograd, FFT) are in :mod:`chanconv.core.methods.fast`, with
the same signature. Call any of them through ``chanconv.conv2d(..., method=name)``, which checks
the input first.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..checks import output_size
from .common import add_bias, mm, out_size, pad

__all__ = ["loops", "unfold", "im2col_plain", "matmul1x1"]


# 1. The lecture's loops ---------------------------------------------------------------------
def loops(X, W, b, stride, padding, dilation=(1, 1)):
    """The lecture, literally: corr2d per input channel, summed, stacked per output channel.

    O(batch · c_o · c_i · m_h · m_w) Python-level steps: only for small shapes. With dilation
    the window at (i, j) takes every d-th pixel of the span d (k - 1) + 1.
    """
    Xp = pad(X, padding)
    m_h, m_w = out_size(Xp, W, stride, dilation)
    k_h, k_w = W.shape[2:]
    s_h, s_w = stride
    d_h, d_w = dilation
    span_h, span_w = d_h * (k_h - 1) + 1, d_w * (k_w - 1) + 1

    def corr2d(x, k):  # one channel, with stride and dilation
        y = torch.zeros((m_h, m_w), dtype=x.dtype, device=x.device)
        for i in range(m_h):
            for j in range(m_w):
                y[i, j] = (x[i * s_h:i * s_h + span_h:d_h, j * s_w:j * s_w + span_w:d_w] * k).sum()
        return y

    def corr2d_multi_in(x, k):  # sum over the c_i input channels
        return sum(corr2d(xc, kc) for xc, kc in zip(x, k))

    def corr2d_multi_in_out(x):  # one output channel per kernel, stacked
        return torch.stack([corr2d_multi_in(x, k) for k in W], 0)

    Y = torch.stack([corr2d_multi_in_out(x) for x in Xp], 0)
    return add_bias(Y, b)


# 2. Vectorized sliding windows ----------------------------------------------------------------
def unfold(X, W, b, stride, padding, dilation=(1, 1)):
    """All windows as one strided view, then one einsum over (c_i, k_h, k_w).

    ``Xp.unfold`` gives a (batch, c_i, m_h, m_w, k_h, k_w) view without copying; einsum
    contracts it with W. No Python loop; einsum materializes the windows once. A dilated
    window is the span d (k - 1) + 1 unfolded, then every d-th pixel of it.
    """
    Xp = pad(X, padding)
    k_h, k_w = W.shape[2:]
    d_h, d_w = dilation
    # (batch, c_i, m_h, m_w, span_h, span_w) -> every d-th tap: (batch, c_i, m_h, m_w, k_h, k_w)
    windows = Xp.unfold(2, d_h * (k_h - 1) + 1, stride[0]).unfold(3, d_w * (k_w - 1) + 1, stride[1])
    windows = windows[..., ::d_h, ::d_w]
    Y = torch.einsum("ncijab,ocab->noij", windows, W)
    return add_bias(Y, b)

# 3. im2col, plainly: F.unfold and one product ------------------------------------------------------
def im2col_plain(X, W, b, stride, padding, dilation=(1, 1)):
    """Every window a column, every kernel a row: Y = W (c_o, c_i k_h k_w) @ cols (c_i k_h k_w, m_h m_w).

    ``F.unfold`` copies each window (taps d apart, windows s apart, zeros p round) into one column,
    in W's own (c_i, k_h, k_w) order, so W is only reshaped. One matrix product per batch does all
    the multiply-adds. The fast ``im2col`` (``chanconv.core.methods.fast``) does the same in chunks, without
    F.unfold's intermediate copies.
    """
    n, c_i, n_h, n_w = X.shape
    c_o, _, k_h, k_w = W.shape
    m_h = output_size(n_h, k_h, stride[0], padding[0], dilation[0])
    m_w = output_size(n_w, k_w, stride[1], padding[1], dilation[1])
    cols = F.unfold(X, (k_h, k_w), dilation=dilation, padding=padding, stride=stride)  # (n, c_i k_h k_w, m_h m_w)
    Y = W.reshape(c_o, -1) @ cols  # (c_o, c_i k_h k_w) @ (n, c_i k_h k_w, m_h m_w) -> (n, c_o, m_h m_w)
    return add_bias(Y.view(n, c_o, m_h, m_w), b)  # -> (n, c_o, m_h, m_w)


# 4. The 1×1 convolution as a plain matrix product -----------------------------------------------
def matmul1x1(X, W, b, stride, padding, dilation=(1, 1)):
    """k_h = k_w = 1: a fully connected layer at every pixel, Y = W (c_o, c_i) @ X (c_i, pixels).

    Stride keeps every s_h-th row and s_w-th column; padding adds pixels whose output is b.
    The bias rides along in the product (``addmm``). Dilation spreads a kernel's taps apart; a
    1×1 kernel has one tap, so any dilation gives the same layer (as in torch).
    """
    Xp = pad(X, padding)
    Xs = Xp[:, :, ::stride[0], ::stride[1]]
    n, c_i, m_h, m_w = Xs.shape
    c_o = W.shape[0]
    Wm = W.reshape(c_o, c_i)  # (c_o, c_i, 1, 1) -> (c_o, c_i)
    bias = None if b is None else b.view(c_o, 1)  # (c_o,) -> (c_o, 1)
    if n == 1:  # a plain 2-D product: BLAS's fastest path
        # (1, c_i, m_h, m_w) -> (c_i, m_h m_w); Y (c_o, m_h m_w) -> (1, c_o, m_h, m_w)
        return mm(Wm, Xs.reshape(c_i, m_h * m_w), bias).view(1, c_o, m_h, m_w)
    Y = torch.matmul(Wm, Xs.reshape(n, c_i, m_h * m_w))  # (c_o, c_i) @ (n, c_i, m_h m_w)
    return add_bias(Y.view(n, c_o, m_h, m_w), b)  # (n, c_o, m_h m_w) -> (n, c_o, m_h, m_w)


