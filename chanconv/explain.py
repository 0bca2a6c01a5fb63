"""One output element written out the way the lecture does, with the numbers taken from the tensors.

    (1×1 + 2×2 + 4×3 + 5×4) + (0×0 + 1×1 + 3×2 + 4×3) = 56

Used by the notebooks' figures and by the channel explorer.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .checks import as_float_tensor, check_ndim, output_size, pair, shape_str

__all__ = ["ElementTerms", "element_terms", "format_number"]


def format_number(v: float, *, paren: bool = True) -> str:
    """1.0 → '1', 0.4213 → '0.421', -2 → '(-2)' (or '-2' with paren=False): short, exact for integers."""
    v = float(v)
    text = str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.3g}"
    return f"({text})" if v < 0 and paren else text


@dataclass(frozen=True)
class ElementTerms:
    """Everything that makes Y[o, i, j]: windows, kernels, partial sums per input channel."""

    out_channel: int
    row: int
    col: int
    rows: tuple[int, int]  # input rows [r0, r1) of the window, in padded coordinates
    cols: tuple[int, int]  # input columns [c0, c1)
    windows: torch.Tensor  # (c_i, k_h, k_w): the input values the window covers
    kernels: torch.Tensor  # (c_i, k_h, k_w): K[o]
    partial_sums: tuple[float, ...]  # one per input channel
    bias: float | None
    value: float  # the total, = Y[o, i, j]

    def channel_text(self, c: int) -> str:
        """'1×1 + 2×2 + 4×3 + 5×4' for input channel c."""
        xs = self.windows[c].flatten().tolist()
        ks = self.kernels[c].flatten().tolist()
        return " + ".join(f"{format_number(x)}×{format_number(k)}" for x, k in zip(xs, ks))

    def text(self, channels=None) -> str:
        """The sum written out: one bracket per input channel, their total, plus the bias.

        ``channels`` picks the order of the brackets (addition commutes); default 0, 1, ...
        """
        order = range(len(self.partial_sums)) if channels is None else channels
        parts = [f"({self.channel_text(c)})" for c in order]
        if self.bias is not None:
            parts.append(format_number(self.bias))
        return " + ".join(parts) + f" = {format_number(self.value, paren=False)}"

    def partial_text(self, channels=None) -> str:
        """'24 + 32 = 56': the partial sums per input channel and the bias."""
        order = range(len(self.partial_sums)) if channels is None else channels
        parts = [format_number(self.partial_sums[c]) for c in order]
        if self.bias is not None:
            parts.append(format_number(self.bias))
        return " + ".join(parts) + f" = {format_number(self.value, paren=False)}"


def element_terms(X, K, out_channel: int = 0, row: int = 0, col: int = 0, *,
                  bias=None, stride=1, padding=0) -> ElementTerms:
    """The terms of one output element Y[out_channel, row, col] of a cross-correlation.

    X: (c_i, n_h, n_w); K: (c_i, k_h, k_w) for one output channel, or (c_o, c_i, k_h, k_w);
    bias: None or (c_o,). The window of Y[o, i, j] starts at padded input row i·s_h and
    column j·s_w.
    """
    X = as_float_tensor(X, "X")
    K = as_float_tensor(K, "K")
    check_ndim(X, "X", (3,), "(c_i, n_h, n_w)")
    check_ndim(K, "K", (3, 4), "(c_i, k_h, k_w) or (c_o, c_i, k_h, k_w)")
    if K.dim() == 3:
        K = K.unsqueeze(0)
    c_o, c_i, k_h, k_w = K.shape
    if X.shape[0] != c_i:
        raise ValueError(f"X has {X.shape[0]} input channels but K expects {c_i}: "
                         f"X.shape = {shape_str(X.shape)}, K.shape = {shape_str(K.shape)}")
    s_h, s_w = pair(stride, "stride", minimum=1)
    p_h, p_w = pair(padding, "padding", minimum=0)
    Xp = F.pad(X, (p_w, p_w, p_h, p_h))
    m_h, m_w = output_size(X.shape[1], k_h, s_h, p_h), output_size(X.shape[2], k_w, s_w, p_w)
    if not (0 <= out_channel < c_o and 0 <= row < m_h and 0 <= col < m_w):
        raise ValueError(f"Y[{out_channel}, {row}, {col}] is outside Y of shape (c_o, m_h, m_w) = "
                         f"({c_o}, {m_h}, {m_w})")
    r0, c0 = row * s_h, col * s_w
    windows = Xp[:, r0:r0 + k_h, c0:c0 + k_w].detach().cpu().double()
    kernels = K[out_channel].detach().cpu().double()
    partial = (windows * kernels).sum(dim=(1, 2))
    b = None
    if bias is not None:
        b = float(as_float_tensor(bias, "bias").reshape(-1)[out_channel])
    total = float(partial.sum()) + (b or 0.0)
    return ElementTerms(out_channel, row, col, (r0, r0 + k_h), (c0, c0 + k_w), windows, kernels,
                        tuple(float(p) for p in partial), b, total)
