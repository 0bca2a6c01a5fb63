"""What the methods share: the padding, the output size, the bias, one matrix product, the chunk size.

Every method (:mod:`readable`, :mod:`fast`, :mod:`compiled`) works on X (batch, c_i, n_h, n_w)
and W (c_o, c_i, k_h, k_w) already checked by ``chanconv.conv2d``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..checks import output_size

__all__ = ["pad", "out_size", "add_bias", "mm", "CHUNK_BYTES"]

#: Upper bound, in bytes, of the column matrix a method builds at a time (im2col and im2row in
#: Python, and the compiled rung): chunks that stay in the last-level cache keep the gather and
#: the matrix product that reads it from going to memory twice.
CHUNK_BYTES = 4 * 2**20


def pad(X, padding):
    """X with p_h zero rows above and below, p_w zero columns left and right (X itself when p = 0)."""
    p_h, p_w = padding
    return F.pad(X, (p_w, p_w, p_h, p_h)) if (p_h or p_w) else X


def out_size(Xp, W, stride, dilation=(1, 1)):
    """(m_h, m_w) of an already padded input."""
    k_h, k_w = W.shape[2:]
    return (output_size(Xp.shape[2], k_h, stride[0], 0, dilation[0]),
            output_size(Xp.shape[3], k_w, stride[1], 0, dilation[1]))


def add_bias(Y, b):
    """Y[n, o] += b[o] in place (Y itself when b is None)."""
    return Y if b is None else Y.add_(b.view(1, -1, 1, 1))


def mm(Wm, cols, bias, out=None):
    """Wm @ cols, plus the bias column (c_o, 1) when there is one: one BLAS call either way."""
    if bias is None:
        return torch.mm(Wm, cols, out=out)
    return torch.addmm(bias, Wm, cols, out=out)
