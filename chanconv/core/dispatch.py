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
from .checks import as_float_tensor, check_ndim, check_nonempty, check_same_device, shape_str
from .layer import Layer

__all__ = ["check_tensors", "check_bias", "choose_method", "pick_method", "auto_method", "run_method", "needs_grad"]


def pick_method(layer: Layer, device="cpu") -> str:
    """The method ``method="auto"`` uses for ``layer`` (a fixed rule, see :func:`auto_method`)."""
    k_h, k_w, stride, dilation = layer.k_h, layer.k_w, layer.stride, layer.dilation
    native = _m.compiled_ready(device)
    if native and layer.groups > 1:  # groups and depthwise layers in one call
        return "compiled"
    if (k_h, k_w) == (1, 1):
        return "matmul1x1"
    general = "compiled" if native else "im2col"  # im2col, compiled where it is loaded
    c_i, c_o = layer.c_i // layer.groups, layer.c_o // layer.groups  # one group's channels
    m_h, m_w = layer.m_h, layer.m_w
    if layer.batch * c_o * m_h * m_w * c_i * k_h * k_w < 200_000:  # one group's MACs
        return general
    if (k_h, k_w) == (3, 3) and stride == (1, 1) and dilation == (1, 1) and min(c_i, c_o) >= 64 \
            and c_i * layer.batch >= 128 and not (native and layer.batch >= 8):
        return "winograd"
    if stride == (1, 1) and m_h * m_w >= 2048:
        return "shift"
    if native:
        return "compiled"
    if c_o <= 128 and c_i * k_h * k_w >= 256:
        return "im2row"
    return "im2col"


def auto_method(c_i: int, c_o: int, k_h: int, k_w: int, n_h: int, n_w: int,
                stride=(1, 1), batch: int = 1, device="cpu", padding=(0, 0), dilation=(1, 1)) -> str:
    """The method ``method="auto"`` uses for this shape and device.

    (signature: the layer's numbers in the lecture's order, as :func:`chanconv.conv2d_cost` takes them.)

    A fixed rule (so that a result does not depend on a timing race), read off ``make bench``
    on a 2-core AVX-512 CPU (see the README's figures):

    * 1×1 kernels: ``matmul1x1``, a single matrix product with nothing to rearrange;
    * tiny layers (under 200,000 multiply-adds), where call overhead dominates: ``im2col``,
      one copy and one product (``compiled`` where it is loaded: no product set up at all);
    * 3×3 kernels at stride 1 and dilation 1 with c_i, c_o ≥ 64 and c_i · batch ≥ 128:
      ``winograd``, whose 2.25× fewer multiplications pay for its transforms once the products
      are large (with ``compiled`` loaded, batches of 8 or more go to ``compiled``, which runs
      one sample per core, as torch does: level with or ahead of Winograd there);
    * stride 1 with at least 2,048 output pixels per channel: ``shift``, k_h k_w products
      read straight from the input;
    * otherwise ``compiled`` where it is loaded; else c_o ≤ 128 with windows of at least 256
      numbers (c_i k_h k_w): ``im2row``, whose product has the pixels as rows, the orientation
      the CPU's matrix product prefers for few output channels; else ``im2col``.
    * groups > 1 with ``compiled`` loaded: ``compiled``, all groups (depthwise included) in one call.

    ``compiled`` is picked only once it is built and loaded in this process
    (``chanconv.core.methods.compiled.prepare()``; ``make bench`` and notebook 8 call it), never built behind
    a student's first call, and only on the CPU.

    c_i and c_o are one group's channels. ``padding`` may be an int, a pair, "valid" or "same".
    ``device`` is accepted so that a CUDA rule can be added once it is measured on a GPU; today
    the CPU rule is used everywhere. ``fft`` does fewer multiplications for large kernels but
    loses on the CPU at the sizes measured; it is chosen only by name.
    """
    layer = Layer.describe(c_i, c_o, k_h, k_w, n_h, n_w, stride, padding, dilation, batch=batch)
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
        raise ValueError(
            f"bias must have shape (c_o,) = ({layer.c_o},), one number per output channel, "
            f"got {shape_str(b.shape)}"
        )


def choose_method(method, layer: Layer, device) -> str:
    """The method to run: the one named (if it handles the layer) or auto's choice."""
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {method!r}")
    if method == "auto":
        return pick_method(layer, device)
    if method == "torch":
        return method
    if method in _m.ABSENT:
        raise ValueError(f"method {method!r} is not available here: {_m.ABSENT[method]}; use method='auto'")
    if method not in _m.IMPLEMENTATIONS:
        raise ValueError(f"unknown method {method!r}: choose 'auto', 'torch' or one of {_m.METHODS}")
    if _m.cpu_only(method) and torch.device(device).type != "cpu":
        raise ValueError(f"method {method!r} runs on the CPU, X is on {device}; use method='auto' or 'torch'")
    reason = _m.declines(method, layer.k_h, layer.k_w, layer.stride, layer.dilation)
    if reason:
        raise ValueError(f"method {method!r} {reason}; use method='auto'")
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
