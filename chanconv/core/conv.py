"""``conv2d``: the general convolutional layer (a cross-correlation), with a choice of method.

``conv2d`` is a short dispatcher: it converts and checks the tensors, describes the layer once
(:class:`chanconv.core.layer.Layer`), picks a method (:func:`chanconv.core.dispatch.auto_method`
or the one named) and runs it, through :class:`chanconv.core.autograd.Conv2dFunction` when a
gradient is needed and the method writes into buffers that autograd cannot follow.
``conv2d_with_backward`` is the same call whose gradient is always the from-scratch backward.
"""

from __future__ import annotations

from . import methods as _m
from .autograd import Conv2dFunction
from .checks import promote
from .dispatch import check_bias, check_tensors, choose_method, needs_grad, run_method
from .layer import Layer

__all__ = ["conv2d", "conv2d_with_backward"]


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, method="auto"):
    r"""2-D convolutional layer with c_i input and c_o output channels (a cross-correlation).

    .. math::
        Y[n, o, i, j] = b[o] + \sum_{c=0}^{c_i-1}\sum_{a=0}^{k_h-1}\sum_{e=0}^{k_w-1}
                        X_{pad}[n, c, i s_h + a d_h, j s_w + e d_w]\, W[o, c, a, e]

    The kernel is not flipped: this is what ``torch.nn.Conv2d`` and the lecture call a
    convolution, mathematically a cross-correlation. (signature: the arguments are those of
    ``torch.nn.functional.conv2d``, in the same order.)

    Args:
        input: X, (c_i, n_h, n_w) or (batch, c_i, n_h, n_w).
        weight: W, (c_o, c_i, k_h, k_w), the layout of ``torch.nn.Conv2d.weight``.
        bias: b, (c_o,), one number per output channel; ``None`` for none.
        stride: s, an int or a pair (s_h, s_w), each ≥ 1.
        padding: p, an int or a pair (p_h, p_w), each ≥ 0: zeros on both sides; or ``"valid"``
            (none) or ``"same"`` (m_h = n_h, m_w = n_w, stride 1 only; d (k - 1) zeros in all,
            the extra one after when that is odd, as torch does).
        dilation: d, an int or a pair (d_h, d_w), each ≥ 1: the kernel's taps d pixels apart,
            so a k × k kernel spans d (k - 1) + 1 pixels with k · k weights.
        groups: g, splitting the channels into g independent groups (as ``torch.nn.Conv2d``):
            weight then has shape (c_o, c_i / g, k_h, k_w) and output channels of group j read
            only input channels of group j; g = c_i is a depthwise convolution.
        method: ``"auto"`` (see :func:`auto_method`), one of :data:`chanconv.METHODS`, or
            ``"torch"`` for ``torch.nn.functional.conv2d`` itself (the reference).

    Shape:
        - X: (c_i, n_h, n_w) or (batch, c_i, n_h, n_w)
        - Y: (c_o, m_h, m_w) or (batch, c_o, m_h, m_w), with

          m_h = floor((n_h + 2 p_h - d_h (k_h - 1) - 1) / s_h) + 1,
          m_w = floor((n_w + 2 p_w - d_w (k_w - 1) - 1) / s_w) + 1

          (with d = 1: floor((n + 2 p - k) / s) + 1, the lecture's formula).

    Gradients flow to X, weight and bias with every method: the methods that write into
    buffers run through :class:`chanconv.core.autograd.Conv2dFunction` (their forward, the
    from-scratch :func:`chanconv.conv2d_backward`) when one of them requires a gradient, and
    exactly as fast as before when none does.

    The result is on X's device. NumPy arrays are converted to tensors, integer tensors to
    ``torch.get_default_dtype()`` (float32); X, W and b are promoted to their common
    floating dtype. Bad shapes, devices or arguments raise ``ValueError``/``TypeError``
    naming them.
    """
    X, W, b = check_tensors(input, weight, bias)
    layer = Layer.of(X, W, stride, padding, dilation, groups)
    check_bias(b, layer)
    name = choose_method(method, layer, X.device)
    if W.dtype != X.dtype or (b is not None and b.dtype != X.dtype):
        X, W, b = promote(X, W, b)
    single = X.dim() == 3
    X4 = X.unsqueeze(0) if single else X  # (c_i, n_h, n_w) -> (1, c_i, n_h, n_w)
    if name != "torch" and (name not in _m.DIFFERENTIABLE or _compiled_backward(method, X4)) and needs_grad(X4, W, b):
        Y = Conv2dFunction.apply(X4, W, b, layer, name, method)
    else:
        Y = run_method(name, X4, W, b, layer)
    return Y[0] if single else Y


def conv2d_with_backward(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, method="auto"):
    """``chanconv.conv2d`` whose gradient is always the from-scratch backward (any method, even loops).

    (signature: the same arguments as :func:`conv2d`.) Same checks and result; only the way
    gradients are computed differs (``conv2d`` lets autograd follow the methods that it can).
    """
    X, W, b = check_tensors(input, weight, bias)
    layer = Layer.of(X, W, stride, padding, dilation, groups)
    check_bias(b, layer)
    name = choose_method(method, layer, X.device)
    X, W, b = promote(X, W, b)
    single = X.dim() == 3
    Y = Conv2dFunction.apply(X.unsqueeze(0) if single else X, W, b, layer, name, method)
    return Y[0] if single else Y


def _compiled_backward(method, X) -> bool:
    """Whether a call with ``method`` trains through the compiled backward: ``"auto"`` once the rung is
    loaded (even where auto's forward is a method autograd could follow, such as ``matmul1x1``)."""
    return method == "auto" and _m.compiled_ready(X.device)
