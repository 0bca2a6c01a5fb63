"""One description of a convolutional layer, validated once: shapes, stride, padding, dilation, groups.

``conv2d``, ``auto_method``, ``conv2d_cost``, the bench and the backward pass all read the same
:class:`Layer`, so the output-size formula and every check live here and nowhere else::

    X  (batch, c_i, n_h, n_w)
    W  (c_o, c_i / g, k_h, k_w)               g = groups
    Y  (batch, c_o, m_h, m_w)

    m_h = floor((n_h + p_top + p_bottom - d_h (k_h - 1) - 1) / s_h) + 1      (likewise m_w)

With symmetric padding p_top = p_bottom = p_h this is torch's
floor((n_h + 2 p_h - d_h (k_h - 1) - 1) / s_h) + 1; with d_h = 1 the lecture's
floor((n_h + 2 p_h - k_h) / s_h) + 1.

``padding`` is what ``torch.nn.functional.conv2d`` takes: an int, a pair (p_h, p_w), or one of
the strings ``"valid"`` (no padding) and ``"same"`` (m_h = n_h, m_w = n_w; only at stride 1, as
in torch). "same" pads d (k - 1) in total along an axis, half of it (rounded down) before and the
rest after, so an even kernel gets one more row (column) of zeros at the bottom (right): torch's
rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from .checks import check_window, output_size, pair, shape_str
from .i18n import _

__all__ = ["Layer", "resolve_padding", "check_counts", "check_groups"]


def check_counts(**counts) -> None:
    """Each of ``counts`` (c_i=..., c_o=..., ...) is an int of at least 1; TypeError/ValueError naming it."""
    for name, v in counts.items():
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(_("{name} must be an int, got {value}").format(name=name, value=repr(v)))
        if v < 1:
            raise ValueError(_("{name} must be at least 1, got {value}").format(name=name, value=v))


def check_groups(c_i: int, c_o: int, groups: int, *, c_i_name: str = "c_i", c_o_name: str = "c_o") -> None:
    """c_i and c_o both split into ``groups`` equal groups (ValueError naming the three numbers)."""
    if c_i % groups or c_o % groups:
        raise ValueError(_("{c_i_name} = {c_i} and {c_o_name} = {c_o} must both be divisible by groups = {groups}")
                         .format(c_i_name=c_i_name, c_i=c_i, c_o_name=c_o_name, c_o=c_o, groups=groups))


def resolve_padding(padding, k_h: int, k_w: int, stride, dilation) -> tuple[int, int, int, int]:
    """``padding`` (int, pair, "valid" or "same") → (top, bottom, left, right) zeros."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if padding == "same":
            if tuple(stride) != (1, 1):
                raise ValueError(_(
                    "padding='same' needs stride 1, got stride {stride}: with stride s the "
                    "output is about n / s, never n (torch.nn.functional.conv2d refuses it too: "
                    "'padding='same' is not supported for strided convolutions'); give the padding "
                    "as numbers instead").format(stride=tuple(stride)))
            total_h, total_w = dilation[0] * (k_h - 1), dilation[1] * (k_w - 1)
            return total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2
        raise ValueError(_("padding must be 'valid', 'same', an int or a pair of ints, got {padding}").format(
            padding=repr(padding)))
    p_h, p_w = pair(padding, "padding", minimum=0)
    return p_h, p_h, p_w, p_w


@dataclass(slots=True)
class Layer:
    """A validated conv2d layer. Build it with :meth:`Layer.describe` (or :meth:`Layer.of` for tensors).

    ``pads`` is (top, bottom, left, right); :attr:`padding` gives (p_h, p_w) when each axis is padded
    the same on both sides (every padding but "same" with an even span), else ``None``.
    Treat it as read-only (it is not frozen only because a frozen dataclass costs microseconds to
    build, on every conv2d call).
    """

    c_i: int
    c_o: int
    k_h: int
    k_w: int
    n_h: int
    n_w: int
    stride: tuple[int, int] = (1, 1)
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    batch: int = 1

    @classmethod
    def describe(cls, c_i, c_o, k_h, k_w, n_h, n_w, stride=1, padding=0, dilation=1, groups=1,
                 batch=1) -> Layer:
        """Check every number once and return the layer (ValueError/TypeError in the lecture's words).

        (signature: the layer's numbers in the lecture's order, as :func:`chanconv.conv2d_cost` takes them.)
        """
        check_counts(c_i=c_i, c_o=c_o, k_h=k_h, k_w=k_w, n_h=n_h, n_w=n_w, batch=batch, groups=groups)
        s = pair(stride, "stride", minimum=1)
        d = pair(dilation, "dilation", minimum=1)
        pads = resolve_padding(padding, k_h, k_w, s, d)
        check_window(n_h, n_w, k_h, k_w, pads[:2], pads[2:], d)
        check_groups(c_i, c_o, groups)
        return cls(c_i, c_o, k_h, k_w, n_h, n_w, s, pads, d, groups, batch)

    @classmethod
    def of(cls, X, W, stride=1, padding=0, dilation=1, groups=1) -> Layer:
        """The layer that ``conv2d(X, W, ...)`` computes; X is (batch, c_i, n_h, n_w) or (c_i, n_h, n_w).

        The tensors' own checks (dimensions, devices, dtypes) are conv2d's; this checks how their
        shapes fit together and the arguments.
        """
        x_shape, w_shape = X.shape, W.shape
        if type(groups) is not int or groups < 1:
            raise ValueError(_("groups must be a positive int, got {groups}").format(groups=repr(groups)))
        c_o, c_i_group, k_h, k_w = w_shape
        c_i = c_i_group * groups
        if x_shape[-3] != c_i:
            layout = ("(c_o, c_i, k_h, k_w)" if groups == 1
                      else _("(c_o, c_i / groups, k_h, k_w) with groups = {groups}").format(groups=groups))
            raise ValueError(_(
                "X has {got} input channels but the weight expects {want}: "
                "X.shape = {x_shape}, weight.shape = {w_shape} is {layout}; c_i must agree").format(
                got=x_shape[-3], want=c_i, x_shape=shape_str(x_shape), w_shape=shape_str(w_shape), layout=layout))
        if c_o % groups:
            raise ValueError(_("c_o = {c_o} output channels cannot be split into groups = {groups} equal groups")
                             .format(c_o=c_o, groups=groups))
        s = pair(stride, "stride", minimum=1)
        d = pair(dilation, "dilation", minimum=1)
        pads = resolve_padding(padding, k_h, k_w, s, d)
        n_h, n_w = x_shape[-2], x_shape[-1]
        if d[0] * (k_h - 1) >= n_h + pads[0] + pads[1] or d[1] * (k_w - 1) >= n_w + pads[2] + pads[3]:
            check_window(n_h, n_w, k_h, k_w, pads[:2], pads[2:], d)  # raises, in the lecture's words
        batch = 1 if len(x_shape) == 3 else x_shape[0]
        return cls(c_i, c_o, k_h, k_w, n_h, n_w, s, pads, d, groups, batch)

    # what follows is derived, never stored twice
    @property
    def padding(self) -> tuple[int, int] | None:
        """(p_h, p_w) when the padding is the same on both sides of each axis, else None."""
        top, bottom, left, right = self.pads
        return (top, left) if (top, left) == (bottom, right) else None

    @property
    def m_h(self) -> int:
        return output_size(self.n_h, self.k_h, self.stride[0], self.pads[:2], self.dilation[0])

    @property
    def m_w(self) -> int:
        return output_size(self.n_w, self.k_w, self.stride[1], self.pads[2:], self.dilation[1])

    @property
    def macs(self) -> int:
        """batch · c_o · m_h · m_w · (c_i / g) · k_h · k_w multiply-adds (dilation moves taps, adds none)."""
        return self.batch * self.c_o * self.m_h * self.m_w * (self.c_i // self.groups) * self.k_h * self.k_w

    @property
    def torch_padding(self):
        """The padding to hand torch's conv2d: (p_h, p_w), or "same" where the sides differ."""
        return self.padding if self.padding is not None else "same"
