"""The fast rungs of the ladder: the same cross-correlation, with performance tricks.

Same signature as the readable rungs (:mod:`chanconv.core.methods.readable`)::

    method(X, W, b, stride, padding, dilation) -> Y

* ``im2col``: the column matrix built in chunks in one reused buffer, no transposes, strided
  layers read from column phases;
* ``im2row``: the transposed product (pixels as rows) from a channels-last copy;
* ``shift``: one (c_o, c_i) @ (c_i, pixels) product per kernel offset, read in place;
* ``winograd``: F(2×2, 3×3), 2.25× fewer multiplications for 3×3 kernels at stride 1;
* ``fft``: the correlation through the Fourier transform, for large kernels.

They write into preallocated buffers (``out=``, in-place products), which autograd cannot
follow: ``chanconv.conv2d`` trains them through :class:`chanconv.core.autograd.Conv2dFunction` (their
forward, the from-scratch backward). ``fft`` is written with differentiable operations.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..checks import output_size
from . import common
from .common import add_bias, mm, out_size, pad

__all__ = ["im2col", "im2row", "shift", "winograd", "fft", "WINOGRAD_REL_ERROR", "FFT_REL_ERROR"]


# 1. im2col in chunks -------------------------------------------------------------------------------
def im2col(X, W, b, stride, padding, dilation=(1, 1)):
    """Every convolution as one matrix product: Y (c_o, m_h m_w) = W (c_o, c_i k_h k_w) @ cols.

    Column p of ``cols`` (c_i k_h k_w, m_h m_w) holds output pixel p's window in W's own
    (c_i, k_h, k_w) order, so W is only reshaped and Y comes out channels-first, as PyTorch
    lays it out: nothing is transposed. A layer whose column matrix fits in
    :data:`common.CHUNK_BYTES` is one copy and one product; a larger one is built per sample in chunks
    of output rows, in one reused buffer, each chunk's product written straight into its
    columns of Y. The bias rides along in the product (``addmm``).
    """
    n, c_i, n_h, n_w = X.shape
    c_o, _, k_h, k_w = W.shape
    s_h, s_w = stride
    p_h, p_w = padding
    d_h, d_w = dilation
    H, Wd = n_h + 2 * p_h, n_w + 2 * p_w
    m_h, m_w = output_size(H, k_h, s_h, 0, d_h), output_size(Wd, k_w, s_w, 0, d_w)
    K, P = c_i * k_h * k_w, m_h * m_w
    Wm = W.reshape(c_o, K)  # (c_o, c_i, k_h, k_w) -> (c_o, c_i k_h k_w)
    bias = None if b is None else b.view(c_o, 1)  # (c_o,) -> (c_o, 1), a column added to every pixel
    rows = max(1, common.CHUNK_BYTES // (m_w * K * X.element_size()))  # output rows per chunk
    if s_w == 1:
        Xp = pad(X, padding)
        # every window at once, as a view (no copy):
        # windows[s, c, a, d, i, j] = Xp[s, c, i s_h + a d_h, j + d d_w]
        t_n, t_c, t_y, t_x = Xp.stride()
        if n == 1 and rows >= m_h:  # the whole column matrix at once: one copy, one product
            cols = Xp.as_strided((c_i, k_h, k_w, m_h, m_w), (t_c, t_y * d_h, t_x * d_w, t_y * s_h, t_x),
                                 Xp.storage_offset())
            # (c_i, k_h, k_w, m_h, m_w) -> (c_i k_h k_w, m_h m_w): one copy; Y (c_o, m_h m_w) -> (1, c_o, m_h, m_w)
            return mm(Wm, cols.reshape(K, P), bias).view(1, c_o, m_h, m_w)
        windows = Xp.as_strided((n, c_i, k_h, k_w, m_h, m_w), (t_n, t_c, t_y * d_h, t_x * d_w, t_y * s_h, t_x),
                                Xp.storage_offset())
        parts = [(slice(None), windows)]
    else:
        # Windows s_w apart would make every copy below read every s_w-th number. Instead the
        # padded input is stored as s_w column phases, phase e holding columns e, e + s_w, ...
        # (one copy): kernel column d (input column j s_w + d d_w) then reads phase (d d_w) % s_w
        # at column j + (d d_w) // s_w, contiguous in j. The columns d0, d0 + t, d0 + 2t, ...
        # with t = s_w / gcd(s_w, d_w) share a phase, d_w / gcd(s_w, d_w) apart in it: one view each.
        q = -(-Wd // s_w)
        Xp = F.pad(X, (p_w, p_w + q * s_w - Wd, p_h, p_h))
        # (n, c_i, H, q s_w) -> (n, c_i, H, q, s_w) -> (s_w, n, c_i, H, q): one copy
        phases = Xp.view(n, c_i, H, q, s_w).permute(4, 0, 1, 2, 3).contiguous()
        t_n, t_c, t_y, _ = phases.stride()[1:]
        g = math.gcd(s_w, d_w)
        step = s_w // g  # kernel columns d0, d0 + step, ... read one phase
        parts = []
        for d0 in range(min(step, k_w)):
            e, x0 = divmod(d0 * d_w, s_w)[::-1]  # phase e, first column x0 in it
            parts.append((slice(d0, None, step),
                          phases[e].as_strided((n, c_i, k_h, len(range(d0, k_w, step)), m_h, m_w),
                                               (t_n, t_c, t_y * d_h, d_w // g, t_y * s_h, 1),
                                               phases[e].storage_offset() + x0)))
    rows = min(rows, m_h)
    Y = torch.empty((n, c_o, P), dtype=X.dtype, device=X.device)
    buf = torch.empty(K * rows * m_w, dtype=X.dtype, device=X.device)
    for s in range(n):
        for r0 in range(0, m_h, rows):
            r1 = min(m_h, r0 + rows)
            cols = buf[:K * (r1 - r0) * m_w].view(c_i, k_h, k_w, r1 - r0, m_w)  # this chunk's columns
            for d, windows in parts:
                cols[:, :, d].copy_(windows[s, :, :, :, r0:r1])
            # (c_i, k_h, k_w, rows, m_w) -> (c_i k_h k_w, rows m_w), no copy
            mm(Wm, cols.view(K, -1), bias, out=Y[s, :, r0 * m_w:r1 * m_w])
    return Y.view(n, c_o, m_h, m_w)  # (n, c_o, m_h m_w) -> (n, c_o, m_h, m_w)


def im2row(X, W, b, stride, padding, dilation=(1, 1)):
    """im2col transposed: (pixels, k_h k_w c_i) @ (k_h k_w c_i, c_o), from a channels-last input.

    One row per output pixel holding its k_h × k_w × c_i window, taken from a channels-last
    copy of the input so that each window row is contiguous. Built in chunks of at most
    :data:`common.CHUNK_BYTES` in one reused buffer, each chunk one matrix product written straight
    into the output. It pays for two layout changes (the input to channels-last, the output
    back to channels-first) but its product has the pixels as rows, the orientation the CPU's
    matrix product runs fastest when c_o is small.
    """
    Xp = pad(X, padding)
    n, c_i = Xp.shape[:2]
    c_o, _, k_h, k_w = W.shape
    d_h, d_w = dilation
    m_h, m_w = out_size(Xp, W, stride, dilation)
    K = k_h * k_w * c_i
    Xc = Xp.permute(0, 2, 3, 1).contiguous()  # (n, c_i, H, W) -> (n, H, W, c_i): one copy
    # (n, m_h, m_w, c_i, span_h, span_w) -> every d-th tap -> (n, m_h, m_w, k_h, k_w, c_i), a view
    windows = Xc.unfold(1, d_h * (k_h - 1) + 1, stride[0]).unfold(2, d_w * (k_w - 1) + 1, stride[1])
    windows = windows[..., ::d_h, ::d_w].permute(0, 1, 2, 4, 5, 3)
    Wt = W.permute(2, 3, 1, 0).reshape(K, c_o)  # (c_o, c_i, k_h, k_w) -> (k_h k_w c_i, c_o), the windows' order
    Y = torch.empty((n * m_h * m_w, c_o), dtype=Xp.dtype, device=Xp.device)
    rows = max(1, common.CHUNK_BYTES // (m_w * K * Xp.element_size()))  # output rows per chunk
    if rows >= m_h:  # whole samples per chunk
        per = min(n, rows // m_h)
        buf = torch.empty(per * m_h * m_w * K, dtype=Xp.dtype, device=Xp.device)
        for s0 in range(0, n, per):
            s1 = min(n, s0 + per)
            cols = buf[:(s1 - s0) * m_h * m_w * K].view(s1 - s0, m_h, m_w, k_h, k_w, c_i)
            cols.copy_(windows[s0:s1])
            torch.mm(cols.view(-1, K), Wt, out=Y[s0 * m_h * m_w:s1 * m_h * m_w])  # (pixels, K) @ (K, c_o)
    else:  # a few output rows of one sample per chunk
        buf = torch.empty(rows * m_w * K, dtype=Xp.dtype, device=Xp.device)
        for s in range(n):
            for r0 in range(0, m_h, rows):
                r1 = min(m_h, r0 + rows)
                cols = buf[:(r1 - r0) * m_w * K].view(r1 - r0, m_w, k_h, k_w, c_i)
                cols.copy_(windows[s, r0:r1])
                o = (s * m_h + r0) * m_w
                torch.mm(cols.view(-1, K), Wt, out=Y[o:o + (r1 - r0) * m_w])
    Y = Y.view(n, m_h, m_w, c_o).permute(0, 3, 1, 2)  # (n m_h m_w, c_o) -> (n, c_o, m_h, m_w), a view
    if b is None:
        return Y.contiguous()
    return torch.add(Y, b.view(1, c_o, 1, 1), out=torch.empty((n, c_o, m_h, m_w), dtype=Y.dtype, device=Y.device))


# 3. Shift and accumulate ---------------------------------------------------------------------------
def shift(X, W, b, stride, padding, dilation=(1, 1)):
    """One (c_o, c_i) @ (c_i, pixels) product per kernel offset (a, d), accumulated: no column buffer.

    At stride 1, the input channel c flattened to one row (padded, n_h + 2 p_h rows of
    n_w + 2 p_w) and shifted by a (n_w + 2 p_w) + d is exactly what offset (a, d) multiplies, so
    every product reads a slice of that one flat matrix (c_i, pixels) in place, accumulating into
    Y (``addmm_``). The products run over full padded rows; the k_w - 1 extra columns per row are
    cropped at the end. Channels-first throughout, like PyTorch. Strided layers copy each shifted
    slice. Dilation only moves the shifts: offset (a, d) reads a d_h rows and d d_w columns on.
    """
    n, c_i, n_h, n_w = X.shape
    c_o, _, k_h, k_w = W.shape
    p_h, p_w = padding
    d_h, d_w = dilation
    H, Wd = n_h + 2 * p_h, n_w + 2 * p_w
    m_h, m_w = output_size(H, k_h, stride[0], 0, d_h), output_size(Wd, k_w, stride[1], 0, d_w)
    # (c_o, c_i, k_h, k_w) -> (k_h, k_w, c_o, c_i): one (c_o, c_i) matrix per offset
    Wt = W.permute(2, 3, 0, 1).contiguous()
    bias = None if b is None else b.view(c_o, 1)  # (c_o,) -> (c_o, 1)
    if stride == (1, 1):
        L = m_h * Wd  # output pixels computed per channel, over full padded rows
        extra = d_w * (k_w - 1)  # zeros after the last row for the largest shift to read into
        flat = X.new_zeros((n, c_i, H * Wd + extra))  # the padded input, one row per channel
        # (n, c_i, H Wd) -> (n, c_i, H, Wd), a view: X goes inside the padding
        flat[:, :, :H * Wd].view(n, c_i, H, Wd)[:, :, p_h:p_h + n_h, p_w:p_w + n_w] = X
        Y = torch.empty((n, c_o, L), dtype=X.dtype, device=X.device)
        for s in range(n):
            mm(Wt[0, 0], flat[s, :, :L], bias, out=Y[s])
            for a in range(k_h):
                for d in range(k_w):
                    if a or d:
                        off = a * d_h * Wd + d * d_w
                        Y[s].addmm_(Wt[a, d], flat[s, :, off:off + L])
        Y = Y.view(n, c_o, m_h, Wd)  # (n, c_o, m_h Wd) -> (n, c_o, m_h, Wd): full padded rows
        return Y if m_w == Wd else Y[:, :, :, :m_w].contiguous()
    s_h, s_w = stride
    Xp = pad(X, padding)
    Y = torch.empty((n, c_o, m_h * m_w), dtype=X.dtype, device=X.device)
    for s in range(n):
        for a in range(k_h):
            for d in range(k_w):
                y0, x0 = a * d_h, d * d_w
                # (c_i, m_h, m_w) strided slice -> (c_i, m_h m_w): one copy
                Xs = Xp[s, :, y0:y0 + s_h * (m_h - 1) + 1:s_h, x0:x0 + s_w * (m_w - 1) + 1:s_w].reshape(c_i, -1)
                if a == 0 and d == 0:
                    mm(Wt[0, 0], Xs, bias, out=Y[s])
                else:
                    Y[s].addmm_(Wt[a, d], Xs)
    return Y.view(n, c_o, m_h, m_w)  # (n, c_o, m_h m_w) -> (n, c_o, m_h, m_w)


# 4. Fewer multiplications: Winograd F(2×2, 3×3) --------------------------------------------------
# Lavin & Gray (2016), "Fast Algorithms for Convolutional Neural Networks": each 2×2 output
# tile comes from a 4×4 input tile with 16 multiplications per (c_o, c_i) pair instead of 36.
# Bᵀ = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], Aᵀ = [[1, 1, 1, 0], [0, 1, -1, -1]]
# (applied below as additions), and G:
_WINOGRAD_G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
_WINOGRAD_A = [[1, 1, 1, 0], [0, 1, -1, -1]]  # Aᵀ
_WINOGRAD_KRON = {}  # G ⊗ G (16 × 9) and Aᵀ ⊗ Aᵀ (4 × 16) per (dtype, device), built once


def _winograd_kron(dtype, device):
    """G ⊗ G and Aᵀ ⊗ Aᵀ: (G W Gᵀ)[i, j] = Σ_ad (G ⊗ G)[4i + j, 3a + d] W[a, d], and likewise for Aᵀ M A."""
    key = (dtype, device)
    if key not in _WINOGRAD_KRON:
        G = torch.tensor(_WINOGRAD_G, dtype=dtype, device=device)
        A = torch.tensor(_WINOGRAD_A, dtype=dtype, device=device)
        _WINOGRAD_KRON[key] = torch.kron(G, G), torch.kron(A, A)
    return _WINOGRAD_KRON[key]


#: Relative error bound ‖Y - Y_exact‖ / ‖Y_exact‖ that winograd meets in float32 for inputs and
#: weights of one sign-mixed scale (checked in tests/test_conv2d.py); float32 direct sums
#: land near 1e-7, Winograd's transforms add a few ulps more.
WINOGRAD_REL_ERROR = 1e-5
#: The same bound for the FFT method (its rounding grows with log(n_h n_w)).
FFT_REL_ERROR = 1e-5


def winograd(X, W, b, stride, padding, dilation=(1, 1)):
    """Winograd F(2×2, 3×3): 3×3 kernels at stride 1, 16 instead of 36 multiplications per tile.

    U = G W Gᵀ (per (c_o, c_i)), V = Bᵀ d B (per 4×4 input tile d, overlapping by 2),
    M = U ⊙ V summed over c_i (16 matrix products (c_o, c_i) @ (c_i, tiles)), Y = Aᵀ M A.
    The element-wise stage does 2.25× fewer multiplications than the direct sum; the
    transforms round a little more (see WINOGRAD_REL_ERROR).

    How it is kept fast: U for all (c_o, c_i) is one product with G ⊗ G (16 × 9, coefficients
    0, ±1/4, ±1/2, 1: exact). Bᵀ holds only 0 and ±1, so the input transform is eight additions
    over all tiles at once, rows first, then columns; tiles step by 2, so the padded input is
    stored with its even and odd columns apart (one copy) and every addition reads contiguous
    rows. Y = Aᵀ M A is one product with Aᵀ ⊗ Aᵀ (4 × 16, entries 0 and ±1) and one copy that
    interleaves the tiles. The bias is added once, to M[1, 1], which Aᵀ M A adds to all four
    outputs of its tile.

    Only dilation 1: F(2×2, 3×3) is built for a 3×3 kernel whose taps touch (conv2d declines
    any other dilation with a message naming it).
    """
    assert tuple(dilation) == (1, 1), "winograd needs dilation 1 (conv2d checks this)"
    n, c_i, n_h, n_w = X.shape
    c_o = W.shape[0]
    p_h, p_w = padding
    m_h, m_w = output_size(n_h, 3, 1, p_h), output_size(n_w, 3, 1, p_w)
    t_h, t_w = (m_h + 1) // 2, (m_w + 1) // 2  # 2×2 output tiles; the last may stick out by one
    opts = dict(dtype=X.dtype, device=X.device)
    GG, AA = _winograd_kron(X.dtype, X.device)
    # (c_o, c_i, 3, 3) -> (c_o c_i, 9); (16, 9) @ (9, c_o c_i) -> (16, c_o, c_i)
    U = torch.mm(GG, W.reshape(c_o * c_i, 9).T).view(16, c_o, c_i)
    Y = torch.empty((n, c_o, t_h, 2, t_w, 2), **opts)  # output row 2t + r, column 2u + s
    # samples in groups whose transformed tiles (16 per tile and channel) fit in CHUNK_BYTES
    per = max(1, common.CHUNK_BYTES // (16 * max(c_i, c_o) * t_h * t_w * X.element_size()))
    for s0 in range(0, n, per):
        s1 = min(n, s0 + per)
        _winograd_tiles(X[s0:s1], U, AA, b, padding=padding, tiles=(t_h, t_w), Y=Y[s0:s1])
    Y = Y.view(n, c_o, 2 * t_h, 2 * t_w)  # (n, c_o, t_h, 2, t_w, 2) -> (n, c_o, 2 t_h, 2 t_w)
    return Y if (2 * t_h, 2 * t_w) == (m_h, m_w) else Y[:, :, :m_h, :m_w].contiguous()


def _winograd_tiles(X, U, AA, b, *, padding, tiles, Y):
    """Winograd's transforms and products for the samples X, written into Y (n, c_o, t_h, 2, t_w, 2)."""
    t_h, t_w = tiles
    n, c_i, n_h, n_w = X.shape
    c_o = U.shape[1]
    p_h, p_w = padding
    opts = dict(dtype=X.dtype, device=X.device)
    # The input padded to (2 t_h + 2) × (2 t_w + 2), columns apart: Xd[e, ..., y, x] = Xpad[..., y, 2 x + e]
    Xd = torch.zeros((2, n, c_i, 2 * t_h + 2, t_w + 1), **opts)
    for e in (0, 1):
        j0 = (e - p_w) % 2  # first input column that lands on an even (e = 0) or odd padded column
        cols = X[..., j0::2]
        x0 = (j0 + p_w) // 2
        Xd[e, :, :, p_h:p_h + n_h, x0:x0 + cols.shape[-1]] = cols
    # Bᵀ d: tile rows 2t .. 2t + 3 are even row t, odd row t, even row t + 1, odd row t + 1
    Ev, Od = Xd[:, :, :, 0::2], Xd[:, :, :, 1::2]
    Q = torch.empty((4, 2, n, c_i, t_h, t_w + 1), **opts)
    torch.sub(Ev[..., :-1, :], Ev[..., 1:, :], out=Q[0])
    torch.add(Od[..., :-1, :], Ev[..., 1:, :], out=Q[1])
    torch.sub(Ev[..., 1:, :], Od[..., :-1, :], out=Q[2])
    torch.sub(Od[..., :-1, :], Od[..., 1:, :], out=Q[3])
    # (Bᵀ d) B: the same additions on the columns (even column t, odd t, even t + 1, odd t + 1)
    V = torch.empty((4, 4, c_i, n, t_h, t_w), **opts)
    Ev, Od = Q[:, 0], Q[:, 1]
    torch.sub(Ev[..., :-1], Ev[..., 1:], out=V[:, 0].transpose(1, 2))
    torch.add(Od[..., :-1], Ev[..., 1:], out=V[:, 1].transpose(1, 2))
    torch.sub(Ev[..., 1:], Od[..., :-1], out=V[:, 2].transpose(1, 2))
    torch.sub(Od[..., :-1], Od[..., 1:], out=V[:, 3].transpose(1, 2))
    # (4, 4, c_i, n, t_h, t_w) -> (16, c_i, n t_h t_w), no copy
    M = torch.bmm(U, V.view(16, c_i, n * t_h * t_w))  # the 16 products: all the multiplications
    if b is not None:
        M[5].add_(b.view(c_o, 1))
    # Y = Aᵀ M A for every tile at once: one product with Aᵀ ⊗ Aᵀ (4 × 16, entries 0 and ±1), then
    # one copy that interleaves the 2 × 2 tiles into the output
    # (16, c_o, n t_h t_w) -> (16, c_o n t_h t_w); (4, 16) @ that -> (2, 2, c_o, n, t_h, t_w) = (r, s, o, sample, t, u)
    Y4 = torch.mm(AA, M.view(16, -1)).view(2, 2, c_o, n, t_h, t_w)
    Y.copy_(Y4.permute(3, 2, 4, 0, 5, 1))


# 5. Fewer multiplications for large kernels: the FFT -----------------------------------------
def fft(X, W, b, stride, padding, dilation=(1, 1)):
    """Cross-correlation through the Fourier transform: Y = IFFT(FFT(X) · conj(FFT(W))), summed over c_i.

    Costs O(c_i c_o n_h n_w + (c_i + c_o) n_h n_w log(n_h n_w)) instead of
    O(c_i c_o k_h k_w m_h m_w): worth it for large kernels. The circular correlation is
    exact on the m_h × m_w valid part; stride keeps every s-th output. A dilated kernel is
    the kernel with d - 1 zeros between its taps (its span d (k - 1) + 1).
    """
    Xp = pad(X, padding)
    H, Wd = Xp.shape[2:]
    m_h, m_w = out_size(Xp, W, (1, 1), dilation)
    if tuple(dilation) != (1, 1):
        c_o, c_i, k_h, k_w = W.shape
        d_h, d_w = dilation
        Wz = W.new_zeros((c_o, c_i, d_h * (k_h - 1) + 1, d_w * (k_w - 1) + 1))
        Wz[:, :, ::d_h, ::d_w] = W  # the taps, d apart
        W = Wz
    real = torch.promote_types(Xp.dtype, torch.float32)
    Xf = torch.fft.rfft2(Xp.to(real), s=(H, Wd))
    Kf = torch.fft.rfft2(W.to(real), s=(H, Wd))
    Yf = torch.einsum("nchw,ochw->nohw", Xf, Kf.conj())
    Y = torch.fft.irfft2(Yf, s=(H, Wd))[:, :, :m_h:stride[0], :m_w:stride[1]]
    return add_bias(Y.to(Xp.dtype).contiguous(), b)

