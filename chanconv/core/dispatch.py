"""From a call to a method: the tensors checked, the layer described once, the method chosen and run.

``conv2d`` (:mod:`chanconv.core.conv`), its autograd function and the from-scratch backward all
go through here:

* :func:`check_tensors` converts X, W, b and checks their dimensions, emptiness and devices;
* :func:`check_bias` checks b against the layer, b (c_o,);
* :func:`choose_method` turns ``method=`` into a method that handles the layer (or says why not);
* :func:`pick_method` is ``method="auto"``'s rule for a :class:`~chanconv.core.layer.Layer` on a device;
* :func:`run_method` runs a method on checked 4-D tensors: uneven padding, then groups, then the method.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import methods as _m
from .auto_table import TABLE, layer_class, lookup
from .checks import as_float_tensor, check_ndim, check_nonempty, check_same_device, shape_str
from .i18n import _
from .layer import Layer

__all__ = ["check_tensors", "check_bias", "choose_method", "pick_method", "auto_method", "run_method", "needs_grad"]


def pick_method(layer: Layer, device="cpu") -> str:
    """The method ``method="auto"`` uses for ``layer`` on ``device``: the fitted decision table's
    (:mod:`chanconv.core.auto_table`), with the compiled rung where it is loaded and on the CPU."""
    native = _m.compiled_ready(device)
    kind, size = layer_class(layer)
    method = lookup(TABLE["rung" if native else "python"], kind, size)
    if method not in _m.IMPLEMENTATIONS or (_m.cpu_only(method) and not native) \
            or _m.declines(method, layer.k_h, layer.k_w, layer.stride, layer.dilation):
        return "compiled" if native else "im2col"  # handles every layer
    return method


def auto_method(c_i: int, c_o: int, k_h: int, k_w: int, n_h: int, n_w: int,
                stride=(1, 1), batch: int = 1, device="cpu", padding=(0, 0), dilation=(1, 1), groups: int = 1) -> str:
    """The method ``method="auto"`` uses for this shape and device.

    (signature: the layer's numbers in the lecture's order, as :func:`chanconv.conv2d_cost` takes them.)

    A decision table fitted by measurement (:mod:`chanconv.core.auto_table`): each layer falls into a
    class by its kind (depthwise, grouped, 1 × 1, 3 × 3 at stride 1, strided, other kernels) and its
    size in multiply-adds (tiny, small, large), and each class has the method that ran fastest,
    relative to torch's conv2d, on the fit grid of ``make bench``; ``make bench`` also checks the
    rule on a validation grid that the fit never saw, and prints both. The rule is fixed (a result
    does not depend on a timing race); ``python -m chanconv.perf.bench --write-table`` refits it on
    another machine.

    There are two tables: one for a process where the compiled rung is loaded
    (``chanconv.core.methods.compiled.load()``; ``make bench`` and notebooks 8 and 9 load it), one
    for a process where it is not. ``compiled`` is picked only once it is built and loaded, never
    built behind a student's first call, and only on the CPU. ``device`` is accepted so that a CUDA
    rule can be added once it is measured on a GPU; today the CPU table is used everywhere (without
    the rung on CUDA).

    c_i and c_o are the layer's channels (c_i / groups and c_o / groups per group). ``padding`` may be
    an int, a pair, "valid" or "same". ``fft`` (fewer multiplications for large
    kernels) and the readable methods are timed by ``make bench`` but are not candidates: they are chosen
    only by name.
    """
    layer = Layer.describe(c_i, c_o, k_h, k_w, n_h, n_w, stride, padding, dilation, groups, batch=batch)
    return pick_method(layer, device)


def check_tensors(X, W, b):
    """Convert, then check dimensions, emptiness and devices; returns X, W, b (floating tensors)."""
    X = as_float_tensor(X, "X")
    W = as_float_tensor(W, "weight")
    b = None if b is None else as_float_tensor(b, "bias")
    check_ndim(X, "X", (3, 4), "(c_i, n_h, n_w) or (batch, c_i, n_h, n_w)")
    check_ndim(W, "weight", (4,), "(c_o, c_i, k_h, k_w)")
    if 0 in X.shape:
        check_nonempty(X, "X", "(c_i, n_h, n_w)" if X.dim() == 3 else "(batch, c_i, n_h, n_w)")
    if 0 in W.shape:
        check_nonempty(W, "weight", "(c_o, c_i, k_h, k_w)")
    if W.device != X.device or (b is not None and b.device != X.device):
        check_same_device(X=X, weight=W, bias=b)
    return X, W, b


def check_bias(b, layer: Layer) -> None:
    if b is not None and b.shape != (layer.c_o,):
        raise ValueError(_(
            "bias must have shape (c_o,) = ({c_o},), one number per output channel, got {shape}").format(
            c_o=layer.c_o, shape=shape_str(b.shape)))


def choose_method(method, layer: Layer, device) -> str:
    """The method to run: the one named (if it handles the layer) or auto's choice."""
    if not isinstance(method, str):
        raise TypeError(_("method must be a string, got {method}").format(method=repr(method)))
    if method == "auto":
        return pick_method(layer, device)
    if method == "torch":
        return method
    if method in _m.ABSENT:
        raise ValueError(_("method {method} is not available here: {reason}; use method='auto'").format(
            method=repr(method), reason=_m.ABSENT[method]))
    if method not in _m.IMPLEMENTATIONS:
        raise ValueError(_("unknown method {method}: choose 'auto', 'torch' or one of {methods}").format(
            method=repr(method), methods=_m.METHODS))
    if _m.cpu_only(method) and torch.device(device).type != "cpu":
        raise ValueError(_("method {method} runs on the CPU, X is on {device}; use method='auto' or 'torch'").format(
            method=repr(method), device=device))
    reason = _m.declines(method, layer.k_h, layer.k_w, layer.stride, layer.dilation)
    if reason:
        raise ValueError(_("method {method} {reason}; use method='auto'").format(method=repr(method), reason=reason))
    return method


def run_method(name: str, X, W, b, layer: Layer):
    """Method ``name``'s forward on checked 4-D tensors: padding, groups, then the method itself.

    ``name`` may also be ``"torch"``: ``torch.nn.functional.conv2d`` with the same layer.
    Uneven padding ("same" with an even span) is added here, so that every method sees zeros on
    both sides; each group is an independent convolution on its share of the channels.
    """
    if name == "torch":
        return F.conv2d(X, W, b, layer.stride, layer.torch_padding, layer.dilation, layer.groups)
    fn = _m.IMPLEMENTATIONS[name]
    padding = layer.padding
    if padding is None:  # "same" with an even span: one more zero row/column after than before
        top, bottom, left, right = layer.pads
        X, padding = F.pad(X, (left, right, top, bottom)), (0, 0)
    s, d, g = layer.stride, layer.dilation, layer.groups
    if name in _m.GROUPED:
        return fn(X, W, b, s, padding, d, g)
    if g == 1:
        return fn(X, W, b, s, padding, d)
    step_i, step_o = layer.c_i // g, layer.c_o // g
    return torch.cat([
        fn(X[:, j * step_i:(j + 1) * step_i], W[j * step_o:(j + 1) * step_o],
           None if b is None else b[j * step_o:(j + 1) * step_o], s, padding, d)
        for j in range(g)
    ], dim=1)


def needs_grad(X, W, b) -> bool:
    """Whether autograd must follow this call: grad mode is on and one of X, W, b requires a gradient."""
    return torch.is_grad_enabled() and (X.requires_grad or W.requires_grad or (b is not None and b.requires_grad))
