"""A method's own forward with the from-scratch backward, as one ``torch.autograd.Function``.

``chanconv.conv2d`` uses :class:`Conv2dFunction` by itself whenever a gradient is needed and the
method writes into preallocated buffers (im2col, im2row, shift, winograd, compiled), which
autograd cannot follow. ``chanconv.core.conv.conv2d_with_backward`` uses it for any method, so
that every rung of the ladder, the lecture's loops included, can train with its forward and
:func:`chanconv.conv2d_backward`.

The backward is the compiled rung's (:func:`chanconv.core.backward.compiled_gradients`, C++) when
the call asked for ``"auto"`` or ``"compiled"`` and the rung is loaded in this process (CPU, float32
or float64); otherwise it is the from-scratch backward in Python, each gradient a convolution by
the forward's method.
"""

from __future__ import annotations

import torch

from .backward import bias_gradient, compiled_applies, compiled_gradients, input_gradient, weight_gradient
from .dispatch import run_method
from .layer import Layer

__all__ = ["Conv2dFunction"]


class Conv2dFunction(torch.autograd.Function):
    """forward: method ``name`` on (X (batch, c_i, n_h, n_w), W, b); backward: dX, dW, db from scratch."""

    @staticmethod
    def forward(ctx, X, W, b, layer: Layer, name: str, asked: str | None = None):
        """``name``: the method that runs the forward; ``asked``: what the call asked for (``"auto"``,
        ``"compiled"``, a method), which decides the backward (None: ``name``)."""
        ctx.save_for_backward(X, W)
        ctx.layer, ctx.name, ctx.has_bias = layer, name, b is not None
        ctx.asked = name if asked is None else asked
        return run_method(name, X, W, b, layer)

    @staticmethod
    def backward(ctx, dY):
        X, W = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dY = dY.contiguous()
        if ctx.asked in ("auto", "compiled") and compiled_applies(X, W, dY):
            dX, dW = compiled_gradients(dY, X, W, ctx.layer, need_x, need_w)
        else:
            method = ctx.name if ctx.name != "torch" else "auto"
            dX = input_gradient(dY, W, ctx.layer, method) if need_x else None
            dW = weight_gradient(dY, X, ctx.layer, method) if need_w else None
        db = bias_gradient(dY) if need_b and ctx.has_bias else None
        return dX, dW, db, None, None, None
