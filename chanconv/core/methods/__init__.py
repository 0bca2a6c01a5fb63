"""The ladder of from-scratch implementations behind :func:`chanconv.conv2d`, and what each needs.

Every method is a 2-D cross-correlation with one signature::

    method(X, W, b, stride, padding, dilation) -> Y

    X         (batch, c_i, n_h, n_w)     floating point, already checked by conv2d
    W         (c_o, c_i, k_h, k_w)       PyTorch's Conv2d layout
    b         (c_o,) or None
    stride    (s_h, s_w)
    padding   (p_h, p_w)                 zeros on both sides
    dilation  (d_h, d_w)                 the kernel's taps d apart (1: next to each other)
    Y         (batch, c_o, m_h, m_w)     m_h = floor((n_h + 2 p_h - d_h (k_h - 1) - 1) / s_h) + 1
                                         m_w = floor((n_w + 2 p_w - d_w (k_w - 1) - 1) / s_w) + 1

    Y[n, o, i, j] = b[o] + sum_{c, a, e} Xpad[n, c, i s_h + a d_h, j s_w + e d_w] W[o, c, a, e]

Read them in :mod:`readable` first (the lecture's loops, the sliding window, a plain
im2col with ``F.unfold``, the 1×1 product), then the fast ones in :mod:`fast` (chunked
im2col, im2row, shift, Winograd, FFT), and the compiled rung in :mod:`compiled` (im2col in
C++ with its passes fused, present where a C++ compiler is). This module is the registry: :data:`METHODS` lists their
names in ladder order, and each declares here, once, what it needs (:func:`declines` says why a
method refuses a layer; Winograd only 3×3 kernels at stride 1 and dilation 1, ``matmul1x1`` only
1×1 kernels) and whether autograd can follow it (:data:`DIFFERENTIABLE`).
"""

from __future__ import annotations

import torch

from ..i18n import _
from . import compiled as _compiled
from .common import CHUNK_BYTES
from .fast import FFT_REL_ERROR, WINOGRAD_REL_ERROR, fft, im2col, im2row, shift, winograd
from .readable import im2col_plain, loops, matmul1x1, unfold

__all__ = ["METHODS", "IMPLEMENTATIONS", "DIFFERENTIABLE", "GROUPED", "CPU_ONLY", "ABSENT", "applies", "declines",
           "cpu_only", "compiled_ready", "CHUNK_BYTES", "WINOGRAD_REL_ERROR", "FFT_REL_ERROR", "loops", "unfold",
           "im2col_plain", "matmul1x1", "im2col", "im2row", "shift", "winograd", "fft"]


# What each method needs, declared once -------------------------------------------------------
def _needs_1x1(k_h, k_w, stride, dilation):
    if (k_h, k_w) != (1, 1):
        return _("does not handle a {k_h}×{k_w} kernel at stride {stride}: it needs k_h = k_w = 1").format(
            k_h=k_h, k_w=k_w, stride=tuple(stride))
    return None


def _needs_3x3_stride_1(k_h, k_w, stride, dilation):
    if (k_h, k_w) != (3, 3) or tuple(stride) != (1, 1):
        return _("does not handle a {k_h}×{k_w} kernel at stride {stride}: it needs a 3×3 kernel at stride 1").format(
            k_h=k_h, k_w=k_w, stride=tuple(stride))
    if tuple(dilation) != (1, 1):
        return _("does not handle dilation {dilation}: Winograd F(2×2, 3×3) needs a 3×3 kernel whose taps touch, "
                 "dilation 1").format(dilation=tuple(dilation))
    return None


#: name -> (forward, needs, differentiable). ``needs(k_h, k_w, stride, dilation)`` is None when the
#: method handles the layer, else the reason (conv2d prefixes "method 'name'" and suffixes
#: "use method='auto'"). ``differentiable``: autograd can run through the forward as written;
#: the others write into preallocated buffers (``out=``, in-place products) and train through
#: :class:`chanconv.core.autograd.Conv2dFunction`, their own forward with the from-scratch backward.
_LADDER = {
    "loops": (loops, None, True),
    "unfold": (unfold, None, True),
    "im2col": (im2col, None, False),
    "im2row": (im2row, None, False),
    "shift": (shift, None, False),
    "matmul1x1": (matmul1x1, _needs_1x1, True),
    "winograd": (winograd, _needs_3x3_stride_1, False),
    "fft": (fft, None, True),
}
if _compiled.REASON is None:  # the compiled rung: im2col in C++, built at its first use
    _LADDER["compiled"] = (_compiled.compiled, None, False)


#: Methods that take ``groups=`` themselves (the others run once per group).
GROUPED = frozenset({"compiled"})

#: Methods that run on the CPU only (the compiled rung is CPU code).
CPU_ONLY = frozenset({"compiled"})

#: Methods absent on this machine, with the one-line reason.
ABSENT = {} if _compiled.REASON is None else {"compiled": _compiled.REASON}

IMPLEMENTATIONS = {name: forward for name, (forward, _, _) in _LADDER.items()}

#: chanconv's own methods, from the lecture's loops to the fastest (torch's conv2d is the
#: reference, not one of them).
METHODS = tuple(IMPLEMENTATIONS)

#: The methods whose forward autograd can differentiate as written.
DIFFERENTIABLE = frozenset(name for name, (_, _, diff) in _LADDER.items() if diff)


def cpu_only(method: str) -> bool:
    """Whether ``method`` runs on the CPU only."""
    return method in CPU_ONLY


def compiled_ready(device="cpu") -> bool:
    """The one question about the compiled rung that ``auto`` asks: is it present here, built and loaded
    in this process, and is the layer on the CPU? (It is never built behind a student's call.)"""
    return "compiled" in IMPLEMENTATIONS and _compiled.loaded() and torch.device(device).type == "cpu"


def declines(method: str, k_h: int, k_w: int, stride=(1, 1), dilation=(1, 1)) -> str | None:
    """Why ``method`` does not handle this kernel, stride and dilation; None when it does."""
    needs = _LADDER[method][1]
    return None if needs is None else needs(k_h, k_w, stride, dilation)


def applies(method: str, k_h: int, k_w: int, stride: tuple[int, int], dilation=(1, 1)) -> bool:
    """Whether ``method`` handles a k_h × k_w kernel at this stride and dilation."""
    return method in _LADDER and declines(method, k_h, k_w, stride, dilation) is None
