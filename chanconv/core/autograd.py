"""A method's own forward with the from-scratch backward, as one ``torch.autograd.Function``.

``chanconv.conv2d`` uses :class:`Conv2dFunction` by itself whenever a gradient is needed and the
method writes into preallocated buffers (im2col, im2row, shift, winograd, compiled), which
autograd cannot follow. ``chanconv.core.conv.conv2d_with_backward`` uses it for any method, so
that every rung of the ladder, the lecture's loops included, can train with its forward and
:func:`chanconv.conv2d_backward`.
"""

from __future__ import annotations

import torch

from .backward import bias_gradient, input_gradient, weight_gradient
from .dispatch import run_method
from .layer import Layer

__all__ = ["Conv2dFunction"]


class Conv2dFunction(torch.autograd.Function):
    """forward: method ``name`` on (X (batch, c_i, n_h, n_w), W, b); backward: dX, dW, db from scratch."""

    @staticmethod
    def forward(ctx, X, W, b, layer: Layer, name: str):
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
