"""The ladder of from-scratch implementations behind :func:`chanconv.conv2d`.

Every method is a 2-D cross-correlation with one signature::

    method(X, W, b, stride, padding) -> Y

    X        (batch, c_i, n_h, n_w)     floating point, already checked by conv2d
    W        (c_o, c_i, k_h, k_w)       PyTorch's Conv2d layout
    b        (c_o,) or None
    stride   (s_h, s_w)
    padding  (p_h, p_w)                 zeros on both sides
    Y        (batch, c_o, m_h, m_w)     m_h = floor((n_h + 2 p_h - k_h) / s_h) + 1
                                        m_w = floor((n_w + 2 p_w - k_w) / s_w) + 1

    Y[n, o, i, j] = b[o] + sum_{c, a, d} Xpad[n, c, i s_h + a, j s_w + d] W[o, c, a, d]

They are listed from the lecture's loops to the fastest ideas, so that a reader can compare
them one after another. Call them through ``chanconv.conv2d(..., method=name)``, which
checks the input; :data:`METHODS` lists their names and :func:`applies` says which shapes
each method handles (Winograd only 3×3 kernels at stride 1, ``matmul1x1`` only 1×1 kernels).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .checks import output_size

__all__ = ["METHODS", "IMPLEMENTATIONS", "applies", "CHUNK_BYTES"]

#: Upper bound, in bytes, of the column buffer that ``im2col`` builds at a time.
CHUNK_BYTES = 4 * 2**20


def _pad(X, padding):
    p_h, p_w = padding
    return F.pad(X, (p_w, p_w, p_h, p_h)) if (p_h or p_w) else X


def _out_size(Xp, W, stride):
    """(m_h, m_w) of an already padded input."""
    k_h, k_w = W.shape[2:]
    return output_size(Xp.shape[2], k_h, stride[0]), output_size(Xp.shape[3], k_w, stride[1])


def _add_bias(Y, b):
    return Y if b is None else Y.add_(b.view(1, -1, 1, 1))


# 1. The lecture's loops ---------------------------------------------------------------------
def loops(X, W, b, stride, padding):
    """The lecture, literally: corr2d per input channel, summed, stacked per output channel.

    O(batch · c_o · c_i · m_h · m_w) Python-level steps: only for small shapes.
    """
    Xp = _pad(X, padding)
    m_h, m_w = _out_size(Xp, W, stride)
    k_h, k_w = W.shape[2:]
    s_h, s_w = stride

    def corr2d(x, k):  # one channel, with stride
        y = torch.zeros((m_h, m_w), dtype=x.dtype, device=x.device)
        for i in range(m_h):
            for j in range(m_w):
                y[i, j] = (x[i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w] * k).sum()
        return y

    def corr2d_multi_in(x, k):  # sum over the c_i input channels
        return sum(corr2d(xc, kc) for xc, kc in zip(x, k))

    def corr2d_multi_in_out(x):  # one output channel per kernel, stacked
        return torch.stack([corr2d_multi_in(x, k) for k in W], 0)

    Y = torch.stack([corr2d_multi_in_out(x) for x in Xp], 0)
    return _add_bias(Y, b)


# 2. Vectorized sliding windows ----------------------------------------------------------------
def unfold(X, W, b, stride, padding):
    """All windows as one strided view, then one einsum over (c_i, k_h, k_w).

    ``Xp.unfold`` gives a (batch, c_i, m_h, m_w, k_h, k_w) view without copying; einsum
    contracts it with W. No Python loop; einsum materializes the windows once.
    """
    Xp = _pad(X, padding)
    k_h, k_w = W.shape[2:]
    windows = Xp.unfold(2, k_h, stride[0]).unfold(3, k_w, stride[1])
    Y = torch.einsum("ncijab,ocab->noij", windows, W)
    return _add_bias(Y, b)


# 3. im2col + one matrix product -----------------------------------------------------------------
def im2col(X, W, b, stride, padding):
    """Every convolution as a matrix product: (pixels, k_h k_w c_i) @ (k_h k_w c_i, c_o).

    The column matrix has one row per output pixel holding its k_h × k_w × c_i window (taken
    from a channels-last copy of the input, so that each window row is contiguous). It is built
    in chunks of at most :data:`CHUNK_BYTES` in one reused buffer, small enough to stay in the
    cache, and each chunk is one matrix product written straight into the output. Peak extra
    memory: one chunk plus a channels-last copy of the input and of the output.
    """
    Xp = _pad(X, padding)
    n, c_i = Xp.shape[:2]
    c_o, _, k_h, k_w = W.shape
    m_h, m_w = _out_size(Xp, W, stride)
    K = k_h * k_w * c_i
    Xc = Xp.permute(0, 2, 3, 1).contiguous()  # (n, H, W, c_i)
    windows = Xc.unfold(1, k_h, stride[0]).unfold(2, k_w, stride[1]).permute(0, 1, 2, 4, 5, 3)
    Wt = W.permute(2, 3, 1, 0).reshape(K, c_o)  # rows in the windows' (k_h, k_w, c_i) order
    Y = torch.empty((n * m_h * m_w, c_o), dtype=Xp.dtype, device=Xp.device)
    rows = max(1, CHUNK_BYTES // (m_w * K * Xp.element_size()))  # output rows per chunk
    if rows >= m_h:  # whole samples per chunk
        per = min(n, rows // m_h)
        buf = torch.empty(per * m_h * m_w * K, dtype=Xp.dtype, device=Xp.device)
        for s0 in range(0, n, per):
            s1 = min(n, s0 + per)
            cols = buf[:(s1 - s0) * m_h * m_w * K].view(s1 - s0, m_h, m_w, k_h, k_w, c_i)
            cols.copy_(windows[s0:s1])
            torch.mm(cols.view(-1, K), Wt, out=Y[s0 * m_h * m_w:s1 * m_h * m_w])
    else:  # a few output rows of one sample per chunk
        buf = torch.empty(rows * m_w * K, dtype=Xp.dtype, device=Xp.device)
        for s in range(n):
            for r0 in range(0, m_h, rows):
                r1 = min(m_h, r0 + rows)
                cols = buf[:(r1 - r0) * m_w * K].view(r1 - r0, m_w, k_h, k_w, c_i)
                cols.copy_(windows[s, r0:r1])
                o = (s * m_h + r0) * m_w
                torch.mm(cols.view(-1, K), Wt, out=Y[o:o + (r1 - r0) * m_w])
    Y = Y.view(n, m_h, m_w, c_o).permute(0, 3, 1, 2).contiguous()
    return _add_bias(Y, b)


# 4. Shift and accumulate ---------------------------------------------------------------------------
def shift(X, W, b, stride, padding):
    """One (pixels, c_i) @ (c_i, c_o) product per kernel offset (a, d), accumulated: no column buffer.

    The input is laid out channels-last (pixels × c_i). At stride 1 a shifted slice of the
    flattened padded input is a valid matrix operand, so nothing is copied per offset: the
    products run over full input rows (n_w + 2 p_w wide), accumulate in place (``addmm_``), and
    the k_w - 1 extra columns are cropped at the end. Strided layers copy each shifted slice.
    """
    Xp = _pad(X, padding)
    n, c_i, H, Wd = Xp.shape
    c_o, _, k_h, k_w = W.shape
    m_h, m_w = _out_size(Xp, W, stride)
    Wt = W.permute(2, 3, 1, 0).contiguous()  # (k_h, k_w, c_i, c_o)
    opts = dict(dtype=Xp.dtype, device=Xp.device)
    if stride == (1, 1):
        flat = F.pad(Xp.permute(0, 2, 3, 1).reshape(n, H * Wd, c_i), (0, 0, 0, k_w - 1))
        L = m_h * Wd
        Y = torch.zeros((n, L, c_o), **opts)
        for a in range(k_h):
            for d in range(k_w):
                off = a * Wd + d
                for s in range(n):
                    Y[s].addmm_(flat[s, off:off + L], Wt[a, d])
        Y = Y.view(n, m_h, Wd, c_o)[:, :, :m_w]
    else:
        s_h, s_w = stride
        Xc = Xp.permute(0, 2, 3, 1)
        Y = torch.zeros((n, m_h * m_w, c_o), **opts)
        for a in range(k_h):
            for d in range(k_w):
                Xs = Xc[:, a:a + s_h * (m_h - 1) + 1:s_h, d:d + s_w * (m_w - 1) + 1:s_w]
                Y.add_(torch.matmul(Xs.reshape(n, m_h * m_w, c_i), Wt[a, d]))
        Y = Y.view(n, m_h, m_w, c_o)
    return _add_bias(Y.permute(0, 3, 1, 2).contiguous(), b)


# 5. The 1×1 convolution as a plain matrix product -----------------------------------------------
def matmul1x1(X, W, b, stride, padding):
    """k_h = k_w = 1: a fully connected layer at every pixel, Y = W (c_o, c_i) @ X (c_i, pixels).

    Stride keeps every s_h-th row and s_w-th column; padding adds pixels whose output is b.
    """
    Xp = _pad(X, padding)
    Xs = Xp[:, :, ::stride[0], ::stride[1]]
    n, c_i, m_h, m_w = Xs.shape
    Wm = W.reshape(W.shape[0], c_i)
    if n == 1:  # a plain 2-D product: BLAS's fastest path
        Y = torch.mm(Wm, Xs.reshape(c_i, m_h * m_w)).unsqueeze(0)
    else:
        Y = torch.matmul(Wm, Xs.reshape(n, c_i, m_h * m_w))
    return _add_bias(Y.view(n, -1, m_h, m_w), b)


# 6. Fewer multiplications: Winograd F(2×2, 3×3) --------------------------------------------------
# Lavin & Gray (2016), "Fast Algorithms for Convolutional Neural Networks": each 2×2 output
# tile comes from a 4×4 input tile with 16 multiplications per (c_o, c_i) pair instead of 36.
# Bᵀ = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], Aᵀ = [[1, 1, 1, 0], [0, 1, -1, -1]]
# (applied below as additions), and G:
_WINOGRAD_G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]

#: Relative error bound ‖Y - Y_exact‖ / ‖Y_exact‖ that winograd meets in float32 for inputs and
#: weights of one sign-mixed scale (checked in tests/test_methods.py); float32 direct sums
#: land near 1e-7, Winograd's transforms add a few ulps more.
WINOGRAD_REL_ERROR = 1e-5
#: The same bound for the FFT method (its rounding grows with log(n_h n_w)).
FFT_REL_ERROR = 1e-5


def winograd(X, W, b, stride, padding):
    """Winograd F(2×2, 3×3): 3×3 kernels at stride 1, 16 instead of 36 multiplications per tile.

    U = G W Gᵀ (per (c_o, c_i)), V = Bᵀ d B (per 4×4 input tile d, overlapping by 2),
    M = U ⊙ V summed over c_i (16 matrix products (c_o, c_i) @ (c_i, tiles)), Y = Aᵀ M A.
    Bᵀ and Aᵀ hold only 0 and ±1, so both transforms are written as additions over all tiles
    at once. The element-wise stage does 2.25× fewer multiplications than the direct sum; the
    transforms round a little more (see WINOGRAD_REL_ERROR).
    """
    Xp = _pad(X, padding)
    n, c_i = Xp.shape[:2]
    c_o = W.shape[0]
    m_h, m_w = _out_size(Xp, W, (1, 1))
    t_h, t_w = (m_h + 1) // 2, (m_w + 1) // 2
    # pad bottom/right so that the tiles cover an even-sized output
    Xp = F.pad(Xp, (0, 2 * t_w + 2 - Xp.shape[3], 0, 2 * t_h + 2 - Xp.shape[2]))
    G = torch.tensor(_WINOGRAD_G, dtype=Xp.dtype, device=Xp.device)
    U = (G @ W @ G.T).permute(2, 3, 0, 1).reshape(16, c_o, c_i)
    d = Xp.unfold(2, 4, 2).unfold(3, 4, 2).permute(4, 5, 1, 0, 2, 3)  # (4, 4, c_i, n, t_h, t_w) view
    rows = (d[0] - d[2], d[1] + d[2], d[2] - d[1], d[1] - d[3])  # Bᵀ d
    V = torch.empty((4, 4, c_i, n, t_h, t_w), dtype=Xp.dtype, device=Xp.device)
    for i, r in enumerate(rows):  # (Bᵀ d) B
        torch.sub(r[0], r[2], out=V[i, 0])
        torch.add(r[1], r[2], out=V[i, 1])
        torch.sub(r[2], r[1], out=V[i, 2])
        torch.sub(r[1], r[3], out=V[i, 3])
    M = torch.bmm(U, V.view(16, c_i, n * t_h * t_w)).view(4, 4, c_o, n, t_h, t_w)
    R = (M[0] + M[1] + M[2], M[1] - M[2] - M[3])  # Aᵀ M
    Y = torch.empty((n, c_o, t_h, 2, t_w, 2), dtype=Xp.dtype, device=Xp.device)
    for i, r in enumerate(R):  # (Aᵀ M) A
        Y[:, :, :, i, :, 0] = (r[0] + r[1] + r[2]).transpose(0, 1)
        Y[:, :, :, i, :, 1] = (r[1] - r[2] - r[3]).transpose(0, 1)
    Y = Y.view(n, c_o, 2 * t_h, 2 * t_w)[:, :, :m_h, :m_w]
    return _add_bias(Y.contiguous(), b)


# 7. Fewer multiplications for large kernels: the FFT -----------------------------------------
def fft(X, W, b, stride, padding):
    """Cross-correlation through the Fourier transform: Y = IFFT(FFT(X) · conj(FFT(W))), summed over c_i.

    Costs O(c_i c_o n_h n_w + (c_i + c_o) n_h n_w log(n_h n_w)) instead of
    O(c_i c_o k_h k_w m_h m_w): worth it for large kernels. The circular correlation is
    exact on the m_h × m_w valid part; stride keeps every s-th output.
    """
    Xp = _pad(X, padding)
    H, Wd = Xp.shape[2:]
    m_h, m_w = _out_size(Xp, W, (1, 1))
    real = torch.promote_types(Xp.dtype, torch.float32)
    Xf = torch.fft.rfft2(Xp.to(real), s=(H, Wd))
    Kf = torch.fft.rfft2(W.to(real), s=(H, Wd))
    Yf = torch.einsum("nchw,ochw->nohw", Xf, Kf.conj())
    Y = torch.fft.irfft2(Yf, s=(H, Wd))[:, :, :m_h:stride[0], :m_w:stride[1]]
    return _add_bias(Y.to(Xp.dtype).contiguous(), b)


IMPLEMENTATIONS = {
    "loops": loops,
    "unfold": unfold,
    "im2col": im2col,
    "shift": shift,
    "matmul1x1": matmul1x1,
    "winograd": winograd,
    "fft": fft,
}

#: chanconv's own methods, from the lecture's loops to the fastest (torch's conv2d is the
#: reference, not one of them).
METHODS = tuple(IMPLEMENTATIONS)


def applies(method: str, k_h: int, k_w: int, stride: tuple[int, int]) -> bool:
    """Whether ``method`` handles a k_h × k_w kernel at this stride (all others handle every shape)."""
    if method == "matmul1x1":
        return (k_h, k_w) == (1, 1)
    if method == "winograd":
        return (k_h, k_w) == (3, 3) and tuple(stride) == (1, 1)
    return method in IMPLEMENTATIONS
