"""What the browser receives: an :class:`~chanconv.explorer.state.ExplorerState` as typed arrays and text.

Python computes every number; the browser (``explorer.js``) draws and picks, and never computes a
convolution. The picture travels as a few traits of :class:`~chanconv.explorer.view.ExplorerView`, each
sent only when it changes:

    layer   the numbers that place things (c_i, c_o, c_i / groups, k_h, k_w, n_h, n_w, stride, padding,
            dilation, groups, m_h, m_w, 0 without an output), the colour scale of each role (X; K; the
            partial maps, their sum and Y: ±lim and whether a value is negative), where X and K come from
    text    one line each: the summary's parts, the notes, the message, the torch.nn.Conv2d check, the timing
    strings the words of the picture itself (headings, captions, the written sum's lines, buttons, the text read
            aloud), each with its ``{names}`` that explorer.js fills in: in the language in use, so that the browser
            holds no words of its own (:data:`UI_STRINGS`, sent once)
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

from ..core.i18n import N_, _
from ..course.element import format_number
from .state import PRESET_NAMES, ExplorerState

__all__ = ["encode", "decode", "layer_info", "text_lines", "partials_item", "ui_strings", "UI_STRINGS", "P_ALL_BYTES",
           "P_ALL_VALUES", "FORMAT"]

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
        "x_kind": state.x_kind, "k_kind": state.k_kind,
        "k_name": _(PRESET_NAMES[state.k_kind]) if state.k_kind in PRESET_NAMES else state.k_kind,
        "scales": {"x": _scale(state.X), "k": _scale(state.K), "y": _scale(*(partial_y or ()))},
        "p_all": p_all,
    }


def text_lines(state: ExplorerState, timing: str = "") -> dict:
    """The text beside the picture: the summary's parts, the notes, the message, the torch check, the timing."""
    torch_line = ""
    if state.torch_check is not None:
        line, same, diff = state.torch_check
        verdict = (_("{line} gives the same Y: yes (largest difference {diff})") if same else
                   _("{line} gives the same Y: NO (largest difference {diff})"))
        torch_line = verdict.format(line=line, diff=format_number(diff, paren=False) if diff else 0)
    return {"summary": list(state.lines), "notes": list(state.notes), "message": state.message,
            "torch": torch_line, "timing": timing}


def partials_item(partials: torch.Tensor | None, first: int) -> dict:
    """The partial maps (n, c_i / groups, m_h, m_w) of output channels first … first + n − 1, encoded (or {})."""
    item = encode(partials)
    if item:
        item["first"] = first
    return item


# The words of the picture that explorer.js draws: key -> text with {names} the browser fills in. English here,
# marked for the catalog; :func:`ui_strings` gives them in the language in use.
UI_STRINGS = {
    # the written sum of the picked element Y[o, u, v] ({name}; {by}: " + b[o]" with a bias)
    "sum_head": N_("{name} = Σ_i (X[i] ⋆ K[{o}, i])[{u}, {v}]{by}, one partial sum per input channel i:"),
    "sum_head_group": N_("{name} = Σ_i (X[i] ⋆ K[{o}, i])[{u}, {v}]{by}, one partial sum per input channel i of "
                         "its group:"),
    "sum_elsewhere": N_("{name} = {value} (its partial sums per input channel come from Python: run the notebook, "
                        "or pick in the output channel whose partial maps are drawn)"),
    "every_product": N_("every product:"),
    "every_product_padded": N_("every product:  ({padded} products with a padding zero left out)"),
    "products_hidden": N_("({n} products: tick 'every term' to write them all out)"),
    # the colour legends
    "legend_scale": N_("(value → colour, white = 0)"),
    "legend_padding": N_("padding (a zero)"),
    "legend_padding_grad": N_("padding (not part of X: no gradient)"),
    "legend_padding_window": N_("padding (a zero in the window)"),
    "legend_partials": N_("partial maps, their sum and Y"),
    # ▶ and ■, the page without Python
    "walk": N_("▶ walk"),
    "pause": N_("⏸ pause"),
    "walk_title": N_("walk the positions Y[o, u, v] one by one"),
    "stop_title": N_("stop and go back to Y[0, 0, 0]"),
    "no_kernel": N_("No Python here: point at a cell, click, the arrow keys, ▶ and the o, u, v sliders work; changing "
                    "the layer (the controls above, shown disabled) needs Python: run the notebook in Jupyter."),
    # the input X
    "input_head": N_("input X: c_i = {c_i} channels of n_h × n_w = {n_h} × {n_w}{padded}; the window of the picked "
                     "element Y[o, u, v] outlined{dilation}"),
    "input_padded": N_(", padded by {p} (grey, hatched)"),
    "input_dilation": N_("; dilation {d}: it reads only the marked taps, every {d}th row and column of the window, "
                         "not the cells between them"),
    "photo": N_("the photo (R, G, B)"),
    "photo_label": N_("the photo, {n_h} × {n_w} pixels, its three colour channels combined"),
    # the kernels K
    "kernels_head": N_("kernels K: c_o × c_i / groups = {c_o} × {c_ig} kernels of k_h × k_w = {k_h} × {k_w}{groups}"
                       "{dilation}, {k_name}; row K[o] makes output channel Y[o], the picked row outlined{values}"),
    "kernels_groups": N_(" in groups = {g} groups (output channel o reads the c_i / groups = {c_ig} input channels of "
                         "its group)"),
    "kernels_dilation": N_(", dilation {d} (taps {d} apart)"),
    "kernels_values": N_("; the picked row's values are written beside its partial maps"),
    "kernel_colours": N_("{kernel} (colours of K)"),
    "kernel_label": N_("kernel {kernel}, {k_h} × {k_w}, its values written in its cells"),
    "kernels_label": N_("the kernels K, {c_o} rows of {c_ig} kernels of {k_h} × {k_w}; row K[{o}] outlined"),
    # the partial maps of Y[o]
    "partials_head": N_("how Y[{o}] is made: one partial map X[i] ⋆ K[{o}, i] per input channel i, their sum{by}, "
                        "= Y[{o}]; the picked element outlined in each"),
    "partials_head_group": N_("how Y[{o}] is made: one partial map X[i] ⋆ K[{o}, i] per input channel i of its group, "
                              "their sum{by}, = Y[{o}]; the picked element outlined in each"),
    "partials_static": N_("the partial maps of Y[{o}] come from Python: shown here for Y[{shown}]"),
    "partials_coming": N_("the partial maps of Y[{o}] come from Python: on their way"),
    "the_sum": N_("the sum"),
    "y_sum": N_("Y[{o}] (= the sum)"),
    "y_sum_bias": N_("Y[{o}] (= the sum + b[{o}])"),
    # the output Y
    "output_head": N_("output Y: c_o = {c_o} channels of m_h × m_w = {m_h} × {m_w} (m = ⌊(n + 2p − {formula}) / s⌋ "
                      "+ 1); point at a cell to see how it is made, click to keep it"),
    # what is read aloud (aria-label) and the hint
    "input_label": N_("input channel X[{i}], {n_h} × {n_w}"),
    "input_label_padded": N_("input channel X[{i}], {n_h} × {n_w} padded to {rows} × {cols}"),
    "input_label_window": N_("; the window of Y[{o}, {u}, {v}]: padded rows {rows}, columns {cols}"),
    "input_label_unread": N_("; not read by the picked element"),
    "map_label_at": N_("; at ({u}, {v}): {value}"),
    "output_label": N_("output channel Y[{o}], {m_h} × {m_w}"),
    "output_label_picked": N_("; picked Y[{o}, {u}, {v}] = {value}"),
    "output_label_keys": N_("; arrow keys move the picked element"),
    "hint_preview": N_("previewing Y[{o}, {u}, {v}]: click to keep it"),
    "hint_picked": N_("picked Y[{o}, {u}, {v}]: point at a cell of an output map to preview, click to keep; arrow keys "
                      "move it"),
    # the 3-D view
    "view3d_head": N_("3-D view: Y[{o}, {u}, {v}] = the sum over the {c_ig} × {k_h} × {k_w} window (dark) times the "
                      "kernel block K[{o}] (blue){by}"),
    "view3d_label": N_("3-D view: the input volume, the kernel block K[{o}] and the output volume"),
    "view3d_padding": N_(" (+ padding {p})"),
    # the gradient view (notebook 9's backward pass, for one output element); the same words for every element (a
    # pick changes no line's length: nothing on the page moves)
    "grad_head": N_("gradient view: what the picked element Y[o, u, v] sends back. Take L = Y[o, u, v], so that ∂L/∂Y "
                    "is 1 at (o, u, v) and 0 elsewhere: each sum of notebook 9's dX and dW keeps at most one term"),
    "grad_dx": N_("dX[i] = ∂Y[o, u, v] / ∂X[i]: the kernel K[o, i] laid on the window, not flipped (on K's colour "
                  "scale; every tap marked when dilated): the window the forward pass read, now sent from Y back to X; "
                  "0 elsewhere{unread}{padding}"),
    "grad_dx_unread": N_(", and 0 in the input channels Y[o] does not read (other groups; i counts the channels of "
                         "Y[o]'s group)"),
    "grad_dx_padding": N_("; a tap on the padding sends no gradient back (the padding is not part of X)"),
    "grad_dw": N_("dW[o, i] = ∂Y[o, u, v] / ∂W[o, i] (W: notebook 9's name for the lecture's K): the window of X[i] (a "
                  "padding zero, hatched, where it overhangs; on X's colour scale); every other row dW[o′], o′ ≠ o, is "
                  "0{bias}"),
    "grad_db": N_("; db[o] = 1, db elsewhere 0"),
    "grad_sum": N_("Summed over every output element, each weighted by its ∂L/∂Y, these give notebook 9's "
                   "dW[o, i] = X[i] ⋆ dY[o] (a cross-correlation; at stride 1, no padding, no dilation) and dX, the "
                   "transposed convolution: written as one cross-correlation over dY, that is where K appears "
                   "flipped."),
    "grad_dx_label": N_("gradient dX[{i}] of Y[{o}, {u}, {v}], {rows} × {cols} with the padding"),
    "grad_dx_label_on": N_("; K[{o}, {il}] on padded rows {r0} to {r1}, columns {c0} to {c1}"),
    "grad_dx_label_unread": N_("; 0: not read by Y[{o}]"),
    "grad_dw_label": N_("gradient dW[{o}, {il}] of Y[{o}, {u}, {v}], {k_h} × {k_w}: the window of X[{i}]"),
}


def ui_strings() -> dict:
    """:data:`UI_STRINGS` in the language in use (what the ``strings`` trait sends)."""
    return {key: _(text) for key, text in UI_STRINGS.items()}
