"""``method="auto"``'s rule: a decision table fitted by measurement, not written by hand.

Every layer falls into one class, (kind, size):

* kind: ``"depthwise"`` (one input channel per group), ``"grouped"`` (other groups > 1), ``"1x1"``
  (a 1 × 1 kernel), ``"3x3"`` (3 × 3 at stride 1 and dilation 1: what Winograd handles), ``"strided"``
  (stride > 1), ``"other"`` (any other kernel at stride 1: 5 × 5, 7 × 7, 1 × 7, dilated 3 × 3, ...);
* size: ``"tiny"`` (under 2¹⁷ multiply-adds: a call's fixed costs dominate), ``"small"`` (under 2²³),
  ``"large"``.

:data:`TABLE` gives a method per class, one table for a process where the compiled rung is loaded
(``"rung"``) and one where it is not (``"python"``). ``make bench`` times every method on its fit
grid (``chanconv.perf.grids.FIT``), picks per class the method with the lowest geometric mean of
time ÷ torch's time over the class's layers, and checks the rule on a validation grid that the fit
never saw (``chanconv.perf.grids.VALIDATION``); ``python -m chanconv.perf.bench --write-table``
writes what it fitted into this file. A class without a layer in the fit grid takes its kind's
entry (``(kind, None)``), and a kind without one the whole grid's (``(None, None)``). A method that
does not handle a layer (Winograd off 3 × 3, ``matmul1x1`` off 1 × 1) is never in a class that
holds such a layer, and :func:`choose` checks it anyway.
"""

from __future__ import annotations

from .layer import Layer

__all__ = ["TABLE", "FITTED", "KINDS", "SIZES", "layer_class", "lookup"]

KINDS = ("depthwise", "grouped", "1x1", "3x3", "strided", "other")
SIZES = ("tiny", "small", "large")
TINY_MACS, SMALL_MACS = 2**17, 2**23

# --- fitted by `python -m chanconv.perf.bench --write-table` (do not edit by hand below this line) ---
FITTED = {'cpu': 'AMD EPYC', 'grid': "fit (make bench's 25 layers)", 'date': '2026-12-03'}
TABLE = {
    'rung': {
        (None, None): 'compiled',
        ('depthwise', None): 'compiled',
        ('depthwise', 'small'): 'compiled',
        ('1x1', None): 'compiled',
        ('1x1', 'small'): 'compiled',
        ('1x1', 'large'): 'compiled',
        ('3x3', None): 'compiled',
        ('3x3', 'tiny'): 'compiled',
        ('3x3', 'small'): 'compiled',
        ('3x3', 'large'): 'compiled',
        ('strided', None): 'compiled',
        ('strided', 'large'): 'compiled',
        ('other', None): 'compiled',
        ('other', 'tiny'): 'compiled',
        ('other', 'large'): 'compiled',
    },
    'python': {
        (None, None): 'im2col',
        ('depthwise', None): 'im2col',
        ('depthwise', 'small'): 'im2col',
        ('1x1', None): 'im2col',
        ('1x1', 'small'): 'im2col',
        ('1x1', 'large'): 'matmul1x1',
        ('3x3', None): 'im2col',
        ('3x3', 'tiny'): 'im2col',
        ('3x3', 'small'): 'im2col',
        ('3x3', 'large'): 'im2row',
        ('strided', None): 'im2col',
        ('strided', 'large'): 'im2col',
        ('other', None): 'im2row',
        ('other', 'tiny'): 'im2col',
        ('other', 'large'): 'im2row',
    },
}
# --- end of the fitted table ---


def layer_class(layer: Layer) -> tuple[str, str]:
    """(kind, size) of a layer (see the module's docstring)."""
    if layer.groups > 1:
        kind = "depthwise" if layer.c_i == layer.groups else "grouped"
    elif (layer.k_h, layer.k_w) == (1, 1):
        kind = "1x1"
    elif layer.stride != (1, 1):
        kind = "strided"
    elif (layer.k_h, layer.k_w) == (3, 3) and layer.dilation == (1, 1):
        kind = "3x3"
    else:
        kind = "other"
    macs = layer.macs
    size = "tiny" if macs < TINY_MACS else "small" if macs < SMALL_MACS else "large"
    return kind, size


def lookup(table: dict, kind: str, size: str) -> str:
    """The table's method for (kind, size): the class's, else its kind's, else the whole grid's."""
    for key in ((kind, size), (kind, None), (None, None)):
        if key in table:
            return table[key]
    raise KeyError("the table has no (None, None) entry")
