"""chanconv: convolutions with multiple input and output channels, from the lecture to the fast path.

The lecture's functions (teaching versions)::

    corr2d(X, K)                     X (n_h, n_w),      K (k_h, k_w)             -> (m_h, m_w)
    corr2d_multi_in(X, K)            X (c_i, n_h, n_w), K (c_i, k_h, k_w)        -> (m_h, m_w)
    corr2d_multi_in_out(X, K)        X (c_i, n_h, n_w), K (c_o, c_i, k_h, k_w)   -> (c_o, m_h, m_w)
    corr2d_multi_in_out_1x1(X, K)    X (c_i, n_h, n_w), K (c_o, c_i, 1, 1)       -> (c_o, n_h, n_w)

The general layer ``conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
method="auto")`` (torch's signature) with the methods in ``METHODS``, its cost ``conv2d_cost(...)``,
the from-scratch backward ``conv2d_backward(dY, X, W, ...) -> (dX, dW, db)``, one validated
description of a layer ``Layer``, the module ``nn.Conv2d`` (a drop-in for ``torch.nn.Conv2d``),
``default_device()``, ``set_language("zh")`` (the language a student reads) and ``tr(message)`` (a notebook's own
words in that language).

The package, by what it holds (each folder imports only those above it)::

    core/       the library: Layer, conv2d and its methods, backward, nn.Conv2d, cost, device
    course/     what the notebooks teach with: the lecture's functions, data, figures (imports core)
    perf/       the machine's limits, the roofline, make bench (imports core)
    explorer/   the channel explorer widget (imports core and course)
    exercises/  notebook 7's checkers (imports core and course)
"""

from . import _moved
from .core import (
    METHODS,
    ConvCost,
    Layer,
    auto_method,
    conv2d,
    conv2d_backward,
    conv2d_cost,
    default_device,
    device_name,
    get_language,
    nn,
    output_size,
    set_language,
    tr,
)
from .course import corr2d, corr2d_multi_in, corr2d_multi_in_out, corr2d_multi_in_out_1x1, data

_moved.install()  # the old flat module names, for one release (chanconv.plotting, chanconv.widgets, ...)
__getattr__ = _moved.attribute  # chanconv.explain and the like as attributes, for the same release

__version__ = "0.1.0"

__all__ = [
    "METHODS",
    "data",
    "nn",
    "ConvCost",
    "Layer",
    "auto_method",
    "conv2d",
    "conv2d_backward",
    "conv2d_cost",
    "corr2d",
    "corr2d_multi_in",
    "corr2d_multi_in_out",
    "corr2d_multi_in_out_1x1",
    "default_device",
    "device_name",
    "get_language",
    "output_size",
    "set_language",
    "tr",
]
