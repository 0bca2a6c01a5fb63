"""Input checks shared by every chanconv function.

Bad input is answered with a ``ValueError`` or ``TypeError`` that names the shapes in the
lecture's words (c_i, c_o, k_h, k_w, n_h × n_w), never with a silent wrong answer or a deep
torch traceback.

Conversions (documented in every public docstring):

* a NumPy array is converted with ``torch.as_tensor`` (no copy when possible);
* an integer tensor is converted to ``torch.get_default_dtype()`` (float32 unless changed),
  because the teaching examples are often typed as integers: ``torch.tensor([[0, 1], ...])``;
* X and K of different floating dtypes are promoted to the wider one (as ``torch`` does).

Refused: Python lists (pass ``torch.tensor(...)``), boolean and complex tensors.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

from .i18n import _

__all__ = [
    "output_size",
    "as_float_tensor",
    "check_same_device",
    "pair",
    "shape_str",
]


def output_size(n: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """m = floor((n + 2 p - d (k - 1) - 1) / s) + 1, the output size along one axis (the one formula everyone uses).

    With dilation d = 1 this is floor((n + 2 p - k) / s) + 1; a dilated kernel's k taps span
    d (k - 1) + 1 input pixels. ``padding`` may also be a pair (before, after) for uneven
    padding, as ``padding="same"`` gives with an even kernel.
    """
    before, after = (padding, padding) if isinstance(padding, int) else padding
    return (n + before + after - dilation * (k - 1) - 1) // stride + 1


def shape_str(shape) -> str:
    """``(2, 3, 3)`` written the way the errors quote it."""
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


_FAST_DTYPES = frozenset({torch.float16, torch.bfloat16, torch.float32, torch.float64})


def as_float_tensor(value, name: str) -> torch.Tensor:
    """Return ``value`` as a floating-point torch tensor, or raise a clear TypeError.

    NumPy arrays are converted; integer tensors become ``torch.get_default_dtype()``.
    """
    if type(value) is torch.Tensor and value.dtype in _FAST_DTYPES:  # the common case, checked first
        return value
    if isinstance(value, np.ndarray):
        if value.dtype == np.bool_ or value.dtype.kind not in "iuf":
            raise TypeError(
                _("{name} is a NumPy array of dtype {dtype}; chanconv needs real numbers: "
                  "pass {name}.astype('float32')").format(name=name, dtype=value.dtype)
            )
        value = torch.as_tensor(value)
    elif not isinstance(value, torch.Tensor):
        kind = type(value).__name__
        raise TypeError(
            _("{name} must be a torch.Tensor (or a NumPy array), got a {kind}: "
              "pass torch.tensor({name}, dtype=torch.float32)").format(name=name, kind=kind)
        )
    if value.dtype == torch.bool:
        raise TypeError(
            _("{name} is a boolean tensor; a cross-correlation needs numbers: pass {name}.float()").format(name=name)
        )
    if value.is_complex():
        raise TypeError(_("{name} is a complex tensor ({dtype}); chanconv works on real tensors").format(
            name=name, dtype=value.dtype))
    if not value.is_floating_point():
        value = value.to(torch.get_default_dtype())
    return value


def check_same_device(**tensors: torch.Tensor) -> None:
    """Raise a ValueError when the named tensors are not all on one device."""
    items = [(n, t) for n, t in tensors.items() if t is not None]
    first_device = items[0][1].device
    if any(t.device != first_device for _, t in items[1:]):
        where = ", ".join(_("{name} on {device}").format(name=n, device=t.device) for n, t in items)
        first = items[0][0]
        raise ValueError(
            _("the tensors are on different devices ({where}): move them to one device, "
              "e.g. K = K.to({first}.device)").format(where=where, first=first)
        )


def promote(*tensors: torch.Tensor) -> list[torch.Tensor]:
    """Cast floating tensors (None allowed) to their common dtype."""
    dtypes = {t.dtype for t in tensors if t is not None}
    if len(dtypes) == 1:  # nothing to cast (the common case)
        return list(tensors)
    dtype = None
    for t in tensors:
        if t is not None:
            dtype = t.dtype if dtype is None else torch.promote_types(dtype, t.dtype)
    return [None if t is None else t.to(dtype) for t in tensors]


def pair(value, name: str, *, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints → ``(vertical, horizontal)``, each at least ``minimum``."""
    if type(value) is int and value >= minimum:  # the common cases, checked first
        return value, value
    if type(value) is tuple and len(value) == 2 and type(value[0]) is int and type(value[1]) is int \
            and value[0] >= minimum and value[1] >= minimum:
        return value
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(_("{name} must be an int or a pair (vertical, horizontal), got {value}").format(
                name=name, value=repr(value)))
        values = tuple(value)
    else:
        values = (value, value)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(_("{name} must be an int or a pair of ints, got {value}").format(name=name,
                                                                                             value=repr(value)))
    if min(values) < minimum:
        need = (_("{name} must be at least 1 in each direction, got {value}") if minimum == 1
                else _("{name} must be 0 or more in each direction, got {value}"))
        raise ValueError(need.format(name=name, value=repr(value)))
    return int(values[0]), int(values[1])


def check_ndim(t: torch.Tensor, name: str, allowed: tuple[int, ...], layout: str) -> None:
    if t.dim() not in allowed:
        raise ValueError(
            _("{name} must have shape {layout}, got {ndim} dimension(s) {shape}").format(
                name=name, layout=layout, ndim=t.dim(), shape=shape_str(t.shape))
        )


def check_nonempty(t: torch.Tensor, name: str, layout: str) -> None:
    if t.numel() == 0:
        raise ValueError(_("{name} has shape {shape} {layout}: no dimension may be 0").format(
            name=name, shape=shape_str(t.shape), layout=layout))


def check_window(n_h: int, n_w: int, k_h: int, k_w: int, p_h=0, p_w=0, dilation=(1, 1)) -> None:
    """The k_h × k_w window (spanning d (k - 1) + 1 pixels when dilated) must fit in the (padded) input.

    (signature: the lecture's numbers of one layer, in its order.)

    ``p_h`` and ``p_w`` are ints (the same on both sides) or pairs (before, after).
    """
    (top, bottom), (left, right) = [(p, p) if isinstance(p, int) else tuple(p) for p in (p_h, p_w)]
    h, w = n_h + top + bottom, n_w + left + right
    d_h, d_w = dilation
    span_h, span_w = d_h * (k_h - 1) + 1, d_w * (k_w - 1) + 1
    if span_h > h or span_w > w:
        padded = bool(top or bottom or left or right)
        pads = ""
        if padded and (top, left) == (bottom, right):
            pads = _(", padding ({top}, {left})").format(top=top, left=left)
        elif padded:
            pads = _(", padding (top, bottom, left, right) = ({top}, {bottom}, {left}, {right})").format(
                top=top, bottom=bottom, left=left, right=right)
        raise ValueError(_window_message((d_h, d_w) != (1, 1), padded).format(
            k_h=k_h, k_w=k_w, d_h=d_h, d_w=d_w, span_h=span_h, span_w=span_w, h=h, w=w, n_h=n_h, n_w=n_w, pads=pads))


def _window_message(dilated: bool, padded: bool) -> str:
    """check_window's message, one sentence per case (``{pads}``: the padding, when there is some)."""
    if dilated and padded:
        return _("the {k_h}×{k_w} kernel (k_h × k_w) with dilation ({d_h}, {d_w}) spans {span_h}×{span_w} and is "
                 "larger than the padded {h}×{w} input (n_h × n_w = {n_h}×{n_w}{pads}): use a smaller kernel or "
                 "dilation, a larger input or more padding")
    if dilated:
        return _("the {k_h}×{k_w} kernel (k_h × k_w) with dilation ({d_h}, {d_w}) spans {span_h}×{span_w} and is "
                 "larger than the {h}×{w} input (n_h × n_w = {n_h}×{n_w}): use a smaller kernel or dilation, a "
                 "larger input or more padding")
    if padded:
        return _("the {k_h}×{k_w} kernel (k_h × k_w) is larger than the padded {h}×{w} input "
                 "(n_h × n_w = {n_h}×{n_w}{pads}): use a smaller kernel, a larger input or more padding")
    return _("the {k_h}×{k_w} kernel (k_h × k_w) is larger than the {h}×{w} input (n_h × n_w = {n_h}×{n_w}): "
             "use a smaller kernel, a larger input or more padding")
