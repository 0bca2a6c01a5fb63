"""What the course teaches with: the lecture's functions and tensors, and the figures. Imports only ``core``.

    lecture     corr2d, corr2d_multi_in, corr2d_multi_in_out, corr2d_multi_in_out_1x1 (teaching versions)
    data        the lecture's X and K, and a real photo
    element     one output element written out: (1×1 + 2×2 + 4×3 + 5×4) + (...) = 56
    partials    one output channel taken apart: X[i] ⋆ K[o, i] for every i, their sum, + b[o]
    layouts     NCHW ↔ NHWC, (c_o, c_i, k_h, k_w) ↔ (k_h, k_w, c_i, c_o), a NumPy conv in TensorFlow's layout
    figures     figures drawn from the tensors
    distribute  ``python -m chanconv.course DIR`` and the notebooks' Colab cell
"""

from . import data, element, layouts, partials
from .lecture import corr2d, corr2d_multi_in, corr2d_multi_in_out, corr2d_multi_in_out_1x1

__all__ = ["corr2d", "corr2d_multi_in", "corr2d_multi_in_out", "corr2d_multi_in_out_1x1", "data", "element",
           "layouts", "partials"]
