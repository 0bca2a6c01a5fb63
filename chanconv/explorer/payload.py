"""What the browser receives: an :class:`~chanconv.explorer.state.ExplorerState` as typed arrays and text.

Python computes every number; the browser (``explorer.js``) draws and picks, and never computes a
convolution. The picture travels as a few traits of :class:`~chanconv.explorer.view.ExplorerView`, each
sent only when it changes:

    layer   the numbers that place things (c_i, c_o, c_i / groups, k_h, k_w, n_h, n_w, stride, padding,
            dilation, groups, m_h, m_w, 0 without an output), the colour scale of each role (X; K; the
            partial maps, their sum and Y: ±lim and whether a value is negative), where X and K come from
    text    one line each: the summary's parts, the notes, the message, the torch.nn.Conv2d check, the timing
    x       X, (c_i, n_h, n_w)
    k       K, (c_o, c_i / groups, k_h, k_w)
    b       b, (c_o,), or {} without a bias
    y       Y, (c_o, m_h, m_w), or {} without an output
    p       the partial maps X[i] ⋆ K[o, i] of the input channels i of o's group: (1, c_i / groups, m_h, m_w) for
            the picked o only, or (c_o, c_i / groups, m_h, m_w) for every o when that is small (``P_ALL_BYTES``),
            so that a page without Python can show how any Y[o] is made; ``first`` names the first o it holds

An array travels as ``{"dtype", "shape", "scale", "z", "data"}``: ``data`` a binary buffer (little-endian)
of the smallest type that holds the values exactly (uint8, int8, int16 or int32 for integers; hundredths
as integers for the photo, whose values have two decimals; float32 otherwise); the browser multiplies by
``scale``. ``z``: the buffer is zlib-compressed, the bytes of a multi-byte type grouped by significance
first (every value's low byte, then every high byte), which compresses integer maps about twice as well.
"""

from __future__ import annotations

import zlib

import numpy as np
import torch

from ..course.element import format_number
from .state import PRESET_NAMES, ExplorerState

__all__ = ["encode", "decode", "layer_info", "text_lines", "partials_item", "P_ALL_BYTES", "P_ALL_VALUES", "FORMAT"]

FORMAT = 1  # the payload's version: the browser refuses one it does not know
COMPRESS_MIN = 512  # bytes: smaller buffers travel as they are
P_ALL_BYTES = 8_192  # the partial maps of every output channel travel when they encode to at most this,
P_ALL_VALUES = 16_384  # and hold at most this many values
_INTS = (np.uint8, np.int8, np.int16, np.int32)


def _exact_type(a: np.ndarray) -> tuple[np.dtype, float]:
    """The smallest type that holds ``a`` (float32) exactly, and the scale that gives the values back."""
    for scale in (1, 100):  # integers, or hundredths (the photo)
        q = np.rint(a.astype(np.float64) * scale)
        if not np.array_equal((q / scale).astype(np.float32), a):
            continue
        lo, hi = (q.min(), q.max()) if q.size else (0, 0)
        for t in _INTS:
            info = np.iinfo(t)
            if info.min <= lo and hi <= info.max:
                return np.dtype(t), 1 / scale
    return np.dtype(np.float32), 1.0


def encode(tensor: torch.Tensor | np.ndarray | None, *, compress: bool = True) -> dict:
    """One array as the browser receives it (``{}`` for None); exact: :func:`decode` gives the float32 values back."""
    if tensor is None:
        return {}
    a = np.ascontiguousarray(tensor.detach().cpu().numpy() if isinstance(tensor, torch.Tensor) else tensor,
                             dtype=np.float32)
    dtype, scale = _exact_type(a)
    q = np.rint(a.astype(np.float64) / scale) if scale != 1.0 else a
    data = np.ascontiguousarray(q, dtype=dtype.newbyteorder("<")).tobytes()
    z = False
    if compress and len(data) >= COMPRESS_MIN:
        planes = np.frombuffer(data, np.uint8).reshape(-1, dtype.itemsize).T.tobytes()  # low bytes first
        packed = zlib.compress(planes, 6)
        if len(packed) < 0.9 * len(data):
            data, z = packed, True
    return {"dtype": dtype.name, "shape": list(a.shape), "scale": scale, "z": z, "data": data}


def decode(item: dict) -> np.ndarray | None:
    """The float32 array an :func:`encode` result carries (what the browser does, for the tests)."""
    if not item:
        return None
    dtype = np.dtype(item["dtype"]).newbyteorder("<")
    data = bytes(item["data"])
    if item["z"]:
        planes = np.frombuffer(zlib.decompress(data), np.uint8).reshape(dtype.itemsize, -1)
        data = planes.T.tobytes()
    q = np.frombuffer(data, dtype).astype(np.float64) * item["scale"]
    return q.astype(np.float32).reshape(item["shape"])


def _scale(*arrays) -> list:
    """[lim, signed]: the symmetric range ±lim of the arrays (1 when all are 0) and whether a value is negative."""
    lim, signed = 0.0, False
    for a in arrays:
        if a is not None and a.numel():
            lim = max(lim, float(a.abs().max()))
            signed = signed or bool((a < 0).any())
    return [lim or 1.0, signed]


def layer_info(state: ExplorerState, p_all: bool) -> dict:
    """The numbers the browser places things with (see the module's docstring)."""
    s = state.settings
    m_h, m_w = tuple(state.Y.shape[1:]) if state.Y is not None else (0, 0)
    partial_y = None if state.Y is None else (state.partial, state.partial.sum(0), state.Y)
    return {
        "format": FORMAT,
        "c_i": s.c_i, "c_o": s.c_o, "c_ig": s.c_i // s.groups, "k_h": s.k_h, "k_w": s.k_w, "n_h": s.n_h,
        "n_w": s.n_w, "stride": s.stride, "padding": s.padding, "dilation": s.dilation, "groups": s.groups,
        "bias": state.b is not None, "m_h": m_h, "m_w": m_w,
        "x_kind": state.x_kind, "k_kind": state.k_kind, "k_name": PRESET_NAMES.get(state.k_kind, state.k_kind),
        "scales": {"x": _scale(state.X), "k": _scale(state.K), "y": _scale(*(partial_y or ()))},
        "p_all": p_all,
    }


def text_lines(state: ExplorerState, timing: str = "") -> dict:
    """The text beside the picture: the summary's parts, the notes, the message, the torch check, the timing."""
    torch_line = ""
    if state.torch_check is not None:
        line, same, diff = state.torch_check
        torch_line = (f"{line} gives the same Y: {'yes' if same else 'NO'} (largest difference "
                      f"{format_number(diff, paren=False) if diff else 0})")
    return {"summary": list(state.lines), "notes": list(state.notes), "message": state.message,
            "torch": torch_line, "timing": timing}


def partials_item(partials: torch.Tensor | None, first: int) -> dict:
    """The partial maps (n, c_i / groups, m_h, m_w) of output channels first … first + n − 1, encoded (or {})."""
    item = encode(partials)
    if item:
        item["first"] = first
    return item
