"""Checkers for the section's exercises: right or wrong, with a hint, never the answer.

Each ``check_*`` function takes the student's answer (a number, a bool or a function), compares
it with a computation (``conv2d_cost``, ``chanconv.conv2d`` on random inputs, an experiment),
prints one line — ``✓ right`` or ``✗ not yet: <hint>`` — and returns True or False. An answer
left at ``None`` is reported as not answered. Nothing here prints the expected value.
"""

from __future__ import annotations

import torch

from .conv import conv2d
from .cost import conv2d_cost

__all__ = [
    "check_combined_kernel_size",
    "check_conv_as_matmul",
    "check_converse",
    "check_cost_factors",
    "check_exactly_equal",
    "check_forward_backward",
    "check_grouped",
    "check_block_diagonal",
    "check_strip_reads",
    "compose_kernels",
]


class Verdict:
    """True or False for code and tests; in a notebook it shows nothing beyond the printed line."""

    def __init__(self, ok: bool):
        self.ok = bool(ok)

    def __bool__(self):
        return self.ok

    def __eq__(self, other):
        return bool(self) == bool(other)

    def __hash__(self):
        return hash(self.ok)

    def __repr__(self):
        return "right" if self.ok else "not yet"

    def _ipython_display_(self):
        pass


def _report(ok: bool, hint: str) -> Verdict:
    print("✓ right" if ok else f"✗ not yet: {hint}")
    return Verdict(ok)


def _unanswered(*answers) -> bool:
    if any(a is None for a in answers):
        print("… not answered yet: replace None with your answer and run this cell again")
        return True
    return False


def _call(fn, *args):
    try:
        return fn(*args), None
    except Exception as err:  # a student's function may fail in any way; say how, not where
        return None, f"{type(err).__name__}: {err}"


def _close(got, want, tol: float = 1e-9) -> bool:
    """got equals the number want (to tol, relative), whatever type the student returned."""
    try:
        return abs(float(got) - want) <= tol * max(1.0, abs(want))
    except (TypeError, ValueError):
        return False


def _check_cases(fn, cases, want, hint) -> Verdict:
    """Call ``fn(*case)`` for every case; right when each result equals ``want(*case)``."""
    if _unanswered(fn):
        return Verdict(False)
    for case in cases:
        got, err = _call(fn, *case)
        if err:
            return _report(False, f"your function raised {err}")
        if not _close(got, want(*case)):
            return _report(False, hint(*case))
    return _report(True, "")


def compose_kernels(K1: torch.Tensor, K2: torch.Tensor) -> torch.Tensor:
    """The one kernel K with conv2d(conv2d(X, K1), K2) == conv2d(X, K) (no padding, stride 1, no bias).

    K1: (c_m, c_i, a_h, a_w), K2: (c_o, c_m, b_h, b_w) -> K: (c_o, c_i, a_h + b_h - 1, a_w + b_w - 1).
    """
    c_o, c_m, b_h, b_w = K2.shape
    _, c_i, a_h, a_w = K1.shape
    K = torch.zeros((c_o, c_i, a_h + b_h - 1, a_w + b_w - 1), dtype=K1.dtype, device=K1.device)
    for u in range(b_h):
        for v in range(b_w):
            K[:, :, u:u + a_h, v:v + a_w] += torch.einsum("om,mihw->oihw", K2[:, :, u, v], K1)
    return K


# 1 -------------------------------------------------------------------------------------------
def check_combined_kernel_size(fn) -> Verdict:
    """Exercise 1: ``fn(k1, k2)`` is the size of the single kernel equal to a k1 then a k2 convolution."""
    return _check_cases(
        fn, [(1, 1), (2, 3), (3, 3), (3, 5), (7, 1), (4, 6)],
        lambda k1, k2: compose_kernels(torch.zeros(2, 1, k1, k1), torch.zeros(1, 2, k2, k2)).shape[-1],
        lambda k1, k2: f"try k1 = {k1}, k2 = {k2} by hand: how far apart are the input pixels that reach one "
                       "output through both windows?")


def check_converse(every_convolution_splits: bool | None) -> Verdict:
    """Exercise 1, second part: can every convolution be written as two smaller ones?"""
    if _unanswered(every_convolution_splits):
        return Verdict(False)
    return _report(every_convolution_splits is False,
                   "count free parameters: a 3×3 kernel has 9, two 2×2 kernels (one channel) have 8; "
                   "can 8 numbers make every set of 9?")


# 2 -------------------------------------------------------------------------------------------
def check_forward_backward(forward_macs, forward_memory, backward_macs, backward_memory) -> Verdict:
    """Exercise 2: four functions of (c_i, c_o, h, w, k_h, k_w, p_h, p_w, s_h, s_w), counts of numbers.

    forward_macs: multiply-adds of the forward pass; forward_memory: numbers stored (input,
    weights and biases, output); backward_macs: multiply-adds to get the gradients of the input
    and of the weights; backward_memory: numbers stored during the backward pass (the forward's,
    plus the three gradients).
    """
    if _unanswered(forward_macs, forward_memory, backward_macs, backward_memory):
        return Verdict(False)
    for args in [(3, 8, 10, 12, 3, 3, 1, 1, 1, 1), (4, 2, 9, 9, 2, 3, 0, 2, 2, 1), (16, 32, 28, 28, 5, 5, 2, 2, 2, 2)]:
        c_i, c_o, h, w, k_h, k_w, p_h, p_w, s_h, s_w = args
        cost = conv2d_cost(c_i, c_o, k_h, k_w, h, w, stride=(s_h, s_w), padding=(p_h, p_w))
        stored = (cost.input_bytes + cost.weight_bytes + cost.output_bytes) // 4
        checks = [
            (forward_macs, cost.macs, "each of the c_o · m_h · m_w outputs sums c_i · k_h · k_w products; "
                                      "m_h = ⌊(h + 2p_h − k_h) / s_h⌋ + 1"),
            (forward_memory, stored, "count the numbers in X, in W and b, and in Y"),
            (backward_macs, 2 * cost.macs, "the gradient of the input and the gradient of the weights each "
                                           "take as many multiply-adds as the forward pass"),
            (backward_memory, 2 * stored, "keep what the forward stored, plus one gradient of the same size "
                                          "for each of X, W (with b) and Y"),
        ]
        for fn, want, hint in checks:
            got, err = _call(fn, *args)
            if err:
                return _report(False, f"{getattr(fn, '__name__', 'your function')} raised {err}")
            if got != want:
                return _report(False, f"{getattr(fn, '__name__', 'your function')}{args}: {hint}")
    return _report(True, "")


# 3 -------------------------------------------------------------------------------------------
def check_cost_factors(double_channels, double_padding) -> Verdict:
    """Exercise 3: the factors by which the MACs grow for c_i = c_o = 64, 3×3, 32×32, padding 1
    when c_i and c_o both double, and when the padding doubles (to 2)."""
    if _unanswered(double_channels, double_padding):
        return Verdict(False)
    base = conv2d_cost(64, 64, 3, 3, 32, 32, padding=1)
    ch = conv2d_cost(128, 128, 3, 3, 32, 32, padding=1).macs / base.macs
    pad = conv2d_cost(64, 64, 3, 3, 32, 32, padding=2).macs / base.macs
    if not _close(double_channels, ch, 1e-6):
        return _report(False, "the cost is a product of c_i and c_o: what happens to a product of two "
                              "numbers that both double?")
    if not _close(double_padding, pad, 1e-3):
        return _report(False, "padding changes only m_h and m_w: compute the output size with padding 1 and "
                              "with padding 2")
    return _report(True, "")


# 4 -------------------------------------------------------------------------------------------
def check_exactly_equal(always_exactly_equal: bool | None) -> Verdict:
    """Exercise 4: are Y1 (matrix product) and Y2 (loops) of the 1×1 example always exactly equal?"""
    if _unanswered(always_exactly_equal):
        return Verdict(False)
    return _report(always_exactly_equal is False,
                   "float32 addition is not associative: (a + b) + c and a + (b + c) can differ in the "
                   "last bit; do the two versions add the c_i products in the same order?")


# 5 -------------------------------------------------------------------------------------------
def check_conv_as_matmul(fn, trials: int = 20) -> Verdict:
    """Exercise 5: ``fn(X, K)`` for X (c_i, n_h, n_w), K (c_o, c_i, k_h, k_w), no padding, stride 1,
    computed as one matrix product; compared with chanconv.conv2d on random inputs."""
    if _unanswered(fn):
        return Verdict(False)
    g = torch.Generator().manual_seed(5)
    for _ in range(trials):
        c_i, c_o = (int(v) for v in torch.randint(1, 5, (2,), generator=g))
        k_h, k_w = (int(v) for v in torch.randint(1, 4, (2,), generator=g))
        n_h, n_w = k_h + int(torch.randint(0, 5, (1,), generator=g)), k_w + int(torch.randint(0, 5, (1,), generator=g))
        X, K = torch.randn(c_i, n_h, n_w, generator=g), torch.randn(c_o, c_i, k_h, k_w, generator=g)
        got, err = _call(fn, X, K)
        if err:
            return _report(False, f"your function raised {err} for X {tuple(X.shape)}, K {tuple(K.shape)}")
        want = conv2d(X, K, method="torch")
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            return _report(False, f"for X {tuple(X.shape)}, K {tuple(K.shape)} the result should have shape "
                                  f"(c_o, m_h, m_w), got {shape}")
        if not torch.allclose(got, want, rtol=1e-4, atol=1e-4):
            return _report(False, f"wrong values for X {tuple(X.shape)}, K {tuple(K.shape)}: does column p of "
                                  "your matrix hold exactly the window of output pixel p, in K's (c_i, k_h, k_w) "
                                  "order?")
    return _report(True, "")


# 6 -------------------------------------------------------------------------------------------
def check_strip_reads(reads_per_output) -> Verdict:
    """Exercise 6: ``reads_per_output(k, delta)``: input values read per output when a k × (k + delta)
    strip gives delta outputs of a k × k convolution at once (one channel)."""
    return _check_cases(
        reads_per_output, [(3, 1), (3, 2), (5, 4), (7, 8), (1, 1)],
        lambda k, delta: k * (k + delta) / delta,
        lambda k, delta: f"k = {k}, Δ = {delta}: how many values does the strip hold, and how many outputs "
                         "share them?")


# 7 -------------------------------------------------------------------------------------------
def check_block_diagonal(speedup) -> Verdict:
    """Exercise 7: ``speedup(c, b)``: how many times fewer multiply-adds a c × c matrix-vector
    product needs when the matrix is block-diagonal with b equal blocks."""
    return _check_cases(
        speedup, [(8, 2), (64, 4), (256, 8), (12, 3), (5, 1)],
        lambda c, b: c * c / (b * (c // b) ** 2),
        lambda c, b: "count the multiply-adds: c² for the full matrix; b blocks of size c/b × c/b for the "
                     "block-diagonal one")


# beyond the book ---------------------------------------------------------------------------------
def check_grouped(grouped_params, separable_params, separable_fn) -> Verdict:
    """Grouped and depthwise-separable convolutions, c_i = c_o = 64, 3 × 3, bias included.

    grouped_params: parameters of a 3 × 3 layer with groups = 4; separable_params: parameters of
    a depthwise 3 × 3 layer (groups = 64) followed by a 1 × 1 layer 64 → 64; separable_fn(X, Wd,
    bd, Wp, bp): that separable layer with padding 1, using chanconv.conv2d with groups.
    """
    if _unanswered(grouped_params, separable_params, separable_fn):
        return Verdict(False)
    if grouped_params != conv2d_cost(64, 64, 3, 3, 32, 32, groups=4).params:
        return _report(False, "with groups = g each output channel reads c_i / g input channels; the bias "
                              "still has c_o entries")
    sep = conv2d_cost(64, 64, 3, 3, 32, 32, groups=64).params + conv2d_cost(64, 64, 1, 1, 32, 32).params
    if separable_params != sep:
        return _report(False, "add the depthwise layer's parameters (groups = c_i: one 3 × 3 kernel per "
                              "channel, plus biases) and the 1 × 1 layer's")
    g = torch.Generator().manual_seed(7)
    X = torch.randn(2, 64, 10, 10, generator=g)
    Wd, bd = torch.randn(64, 1, 3, 3, generator=g), torch.randn(64, generator=g)
    Wp, bp = torch.randn(64, 64, 1, 1, generator=g), torch.randn(64, generator=g)
    got, err = _call(separable_fn, X, Wd, bd, Wp, bp)
    if err:
        return _report(False, f"your function raised {err}")
    want = torch.nn.functional.conv2d(torch.nn.functional.conv2d(X, Wd, bd, padding=1, groups=64), Wp, bp)
    if not isinstance(got, torch.Tensor) or got.shape != want.shape or not torch.allclose(got, want, atol=1e-3):
        return _report(False, "depthwise first (groups = 64, padding 1), then the 1 × 1 layer on its output")
    return _report(True, "")
