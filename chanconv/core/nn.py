"""``chanconv.nn.Conv2d``: a convolutional layer module that runs on chanconv's own methods.

A drop-in for ``torch.nn.Conv2d``: the same arguments, the same parameters (``weight`` of shape
(c_o, c_i / groups, k_h, k_w), ``bias`` of shape (c_o,)), the same initialisation and the same
padding modes, so that a ``state_dict`` moves between the two in both directions. The forward
pass is :func:`chanconv.conv2d` with the method named at construction; gradients come from
autograd or from the from-scratch :func:`chanconv.conv2d_backward` (see ``conv2d``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .checks import pair
from .conv import conv2d
from .i18n import _
from .layer import check_counts, check_groups, resolve_padding

__all__ = ["Conv2d"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class Conv2d(nn.Module):
    r"""2-D convolutional layer, c_i = ``in_channels`` → c_o = ``out_channels`` (a cross-correlation).

    Args (signature: ``torch.nn.Conv2d``'s, so that a model moves between the two): as ``torch.nn.Conv2d``
    (in_channels, out_channels, kernel_size, stride=1, padding=0,
    dilation=1, groups=1, bias=True, padding_mode="zeros", device=None, dtype=None), plus
    ``method``: which of :data:`chanconv.METHODS` (or ``"auto"``, ``"torch"``) computes it.

    Shape:
        - input: (batch, c_i, n_h, n_w) or (c_i, n_h, n_w)
        - output: (batch, c_o, m_h, m_w) or (c_o, m_h, m_w),
          m_h = floor((n_h + 2 p_h - d_h (k_h - 1) - 1) / s_h) + 1 (likewise m_w)

    Attributes:
        weight: (c_o, c_i / groups, k_h, k_w), initialised U(-√(1/fan_in), √(1/fan_in)) with
            fan_in = (c_i / groups) k_h k_w, as ``torch.nn.Conv2d`` does (Kaiming uniform, a = √5).
        bias: (c_o,), one number per output channel, U(-√(1/fan_in), √(1/fan_in)); None if
            ``bias=False``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", method: str = "auto",
                 device=None, dtype=None):
        super().__init__()
        check_counts(in_channels=in_channels, out_channels=out_channels, groups=groups)
        check_groups(in_channels, out_channels, groups, c_i_name="in_channels (c_i)", c_o_name="out_channels (c_o)")
        if padding_mode not in PADDING_MODES:
            raise ValueError(_("padding_mode must be one of {modes}, got {mode}").format(
                modes=PADDING_MODES, mode=repr(padding_mode)))
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size", minimum=1)
        self.stride = pair(stride, "stride", minimum=1)
        self.dilation = pair(dilation, "dilation", minimum=1)
        # checked now, as torch does ("same" at stride > 1 is an error here, not at the first call)
        self._pads = resolve_padding(padding, *self.kernel_size, self.stride, self.dilation)
        self.padding = padding if isinstance(padding, str) else pair(padding, "padding", minimum=0)
        self.padding_mode, self.method = padding_mode, method
        factory = dict(device=device, dtype=dtype)
        self.weight = nn.Parameter(torch.empty((out_channels, in_channels // groups, *self.kernel_size), **factory))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch.nn.Conv2d's initialisation, drawing from the generator in the same order (weight, then bias)."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = (self.in_channels // self.groups) * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in)
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        if self.padding_mode == "zeros":
            return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups,
                          method=self.method)
        top, bottom, left, right = self._pads  # reflect / replicate / circular: pad first, then no zeros
        padded = F.pad(input, (left, right, top, bottom), mode=self.padding_mode)
        return conv2d(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups, method=self.method)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding not in ((0, 0), "valid"):
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode!r}"
        return s + f", method={self.method!r}"
