"""A method's own forward with the from-scratch backward, as one ``torch.autograd.Function``.

``chanconv.conv2d`` uses :class:`Conv2dFunction` by itself whenever a gradient is needed and the
method writes into preallocated buffers (im2col, im2row, shift, winograd), which autograd cannot
follow. :func:`conv2d_with_backward` uses it for any method, so that every rung of the ladder,
the lecture's loops included, can train with its forward and :func:`chanconv.conv2d_backward`.
"""

from __future__ import annotations

import torch

from .backward import bias_gradient, input_gradient, weight_gradient
from .layer import Layer

__all__ = ["Conv2dFunction", "conv2d_with_backward"]


class Conv2dFunction(torch.autograd.Function):
    """forward: method ``name`` on (X (batch, c_i, n_h, n_w), W, b); backward: dX, dW, db from scratch."""

    @staticmethod
    def forward(ctx, X, W, b, layer: Layer, name: str):
        from .conv import run_method

        ctx.save_for_backward(X, W)
        ctx.layer, ctx.name, ctx.has_bias = layer, name, b is not None
        return run_method(name, X, W, b, layer)

    @staticmethod
    def backward(ctx, dY):
        X, W = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        method = ctx.name if ctx.name != "torch" else "auto"
        dX = input_gradient(dY, W, ctx.layer, method) if need_x else None
        dW = weight_gradient(dY, X, ctx.layer, method) if need_w else None
        db = bias_gradient(dY) if need_b and ctx.has_bias else None
        return dX, dW, db, None, None


def conv2d_with_backward(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, method="auto"):
    """``chanconv.conv2d`` whose gradient is always the from-scratch backward (any method, even loops).

    Same arguments, checks and result as :func:`chanconv.conv2d`; only the way gradients are
    computed differs (``conv2d`` lets autograd follow the methods that it can).
    """
    from .checks import promote
    from .conv import _check_bias, _check_method, _check_tensors

    X, W, b = _check_tensors(input, weight, bias)
    layer = Layer.of(X, W, stride, padding, dilation, groups)
    _check_bias(b, layer)
    name = _check_method(method, layer, X.device)
    X, W, b = promote(X, W, b)
    single = X.dim() == 3
    Y = Conv2dFunction.apply(X.unsqueeze(0) if single else X, W, b, layer, name)
    return Y[0] if single else Y
