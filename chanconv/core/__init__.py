"""The library: the general layer, its methods, its backward, its cost. Imports nothing else of chanconv.

    layer      Layer: one validated description of a layer (shapes, stride, padding, dilation, groups)
    dispatch   tensors checked, method chosen (auto's rule: pick_method(layer, device)), method run
    conv       conv2d(input, weight, bias, stride, padding, dilation, groups, *, method)
    methods/   the ladder: the registry, readable and fast rungs, the compiled rung (C++)
    backward   conv2d_backward(dY, X, W, ...) -> (dX, dW, db), each gradient a convolution
    autograd   Conv2dFunction: a method's forward with the from-scratch backward
    nn         nn.Conv2d, a drop-in for torch.nn.Conv2d
    cost       conv2d_cost: output shape, parameters, MACs, FLOPs, bytes
    device     default_device(), device_name()
    timing     median_seconds(fn), the one timer
    checks     the input checks, in the lecture's words
    i18n       set_language("zh"), get_language(), _(), tr(): the language a student reads (gettext); term_problems()
    fonts      figures in the language in use (a CJK font for Chinese)
"""

from . import methods, nn
from .backward import conv2d_backward
from .checks import output_size
from .conv import conv2d, conv2d_with_backward
from .cost import ConvCost, conv2d_cost
from .device import default_device, device_name
from .dispatch import auto_method, pick_method
from .i18n import get_language, set_language, tr
from .layer import Layer
from .methods import METHODS

__all__ = ["METHODS", "ConvCost", "Layer", "auto_method", "conv2d", "conv2d_backward", "conv2d_cost",
           "conv2d_with_backward", "default_device", "device_name", "get_language", "methods", "nn", "output_size",
           "pick_method", "set_language", "tr"]
