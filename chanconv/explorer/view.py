"""The explorer's picture as a widget drawn in the browser (anywidget): Python sends numbers, ``explorer.js`` draws.

:class:`ExplorerView` holds what the browser needs to draw a state (the traits of
:mod:`chanconv.explorer.payload`: ``layer``, ``text``, the arrays ``x``, ``k``, ``b``, ``y``, ``p``) and the
picked element ``o``, ``u``, ``v``, which the browser changes when a student points and clicks, and Python
when code or a slider does. :meth:`ExplorerView.show` sends only the traits whose value changed, in one
message, with the picture's number (``redraw``) last, so that the page draws it once.

Another output channel's partial maps reach the page before it is picked: once the picture has been still for a
moment, the page asks for every output channel's partial maps (``{"kind": "partials?", "redraw": n}``) and
:meth:`ExplorerView.send_partials` answers in one message, off the picture's path; from then on a pick in any
Y[o] of that layer is drawn in the page and sends nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import anywidget
import torch
import traitlets

from .payload import P_ALL_BYTES, P_ALL_VALUES, encode, layer_info, partials_item, text_lines, ui_strings
from .state import ExplorerState, layer_of, partial_of

__all__ = ["ExplorerView", "HERE"]

HERE = Path(__file__).resolve().parent
PICTURE = ("layer", "x", "k", "b", "y", "p")
PREFETCH_MAX_BYTES = 512 * 1024  # every output channel's partial maps travel ahead when they encode to at most this


def _lean(source: str, comment: str) -> str:
    """The front end's source without its comment lines (those starting with ``comment``) and indentation: every
    notebook that shows an explorer stores it (a saved page draws from it), so fewer bytes there."""
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith(comment))


def _lean_css(source: str) -> str:
    """The style sheet without its comments (whole, also those over several lines) and indentation."""
    return _lean(re.sub(r"/\*.*?\*/", "", source, flags=re.S), "/*")


def _module() -> str:
    """The widget's one ES module: the vendored inflate (``inflate.js``), then ``explorer.js``, which imports it.

    anywidget loads one module from a string, where a relative import has nothing to resolve against, so the two
    files are joined here: inflate's default export becomes the name explorer.js imports.
    """
    inflate = (HERE / "inflate.js").read_text(encoding="utf-8")
    explorer = (HERE / "explorer.js").read_text(encoding="utf-8")
    parts = [(inflate, "export default tinf_uncompress;", "const inflate = tinf_uncompress;"),
             (explorer, 'import inflate from "./inflate.js";', "")]
    for source, old, _new in parts:
        if source.count(old) != 1:
            raise RuntimeError(f"the explorer's front end cannot be put together: {old!r} is not in it once")
    return "\n".join(_lean(source.replace(old, new), "//") for source, old, new in parts)


def _bytes(value) -> int:
    """What a trait's value weighs on the wire: its JSON without the binary buffers, plus the buffers."""
    if isinstance(value, dict):
        data = len(value.get("data", b"")) if isinstance(value.get("data"), (bytes, bytearray, memoryview)) else 0
        return data + len(json.dumps({k: v for k, v in value.items() if k != "data"}, ensure_ascii=False).encode())
    return len(json.dumps(value).encode())


class ExplorerView(anywidget.AnyWidget):
    """The picture of the channel explorer, drawn on canvases in the browser (see ``explorer.js``).

    Traits sent to the browser: ``layer``, ``text``, ``x``, ``k``, ``b``, ``y``, ``p``, ``strings`` (what each
    holds: :mod:`chanconv.explorer.payload`), ``redraw`` (the picture's number), the display switches ``projector``,
    ``full_terms``, ``view3d``, ``gradient``, and ``static`` (set by the site and slide builds: no Python behind the
    page).
    ``o``, ``u``, ``v``: the picked element Y[o, u, v], changed by either side.
    """

    _esm = _module()
    _css = _lean_css((HERE / "explorer.css").read_text(encoding="utf-8"))
    layer = traitlets.Dict().tag(sync=True)
    text = traitlets.Dict().tag(sync=True)
    strings = traitlets.Dict().tag(sync=True)
    x = traitlets.Dict().tag(sync=True)
    k = traitlets.Dict().tag(sync=True)
    b = traitlets.Dict().tag(sync=True)
    y = traitlets.Dict().tag(sync=True)
    p = traitlets.Dict().tag(sync=True)
    redraw = traitlets.Int(0).tag(sync=True)
    o = traitlets.Int(0).tag(sync=True)
    u = traitlets.Int(0).tag(sync=True)
    v = traitlets.Int(0).tag(sync=True)
    projector = traitlets.Bool(False).tag(sync=True)
    full_terms = traitlets.Bool(False).tag(sync=True)
    view3d = traitlets.Bool(False).tag(sync=True)
    gradient = traitlets.Bool(False).tag(sync=True)
    static = traitlets.Bool(False).tag(sync=True)

    def __init__(self, device="cpu", **kwargs):
        super().__init__(**kwargs)
        self.device = device
        self.sent_bytes = 0  # what the last change sent (the traits whose value changed)
        self._encoded: dict[str, tuple] = {}  # trait -> (the tensor it was made from, its encoding)
        self._state: ExplorerState | None = None  # the state shown
        self._ahead: tuple | None = None  # the layer whose every output channel's partial maps the page holds
        self.add_class("ccx-view")
        for name in ("o", "u", "v"):  # the browser that moved them has them already: no echo
            setattr(self, f"_{name}_metadata", {"echo_update": False})
        self.on_msg(self._answer)

    def _answer(self, _widget, content, buffers):
        """The page asks whether Python is there (a saved page gets no answer and says what needs Python), or for
        every output channel's partial maps of the picture it shows."""
        if not isinstance(content, dict):
            return
        if content.get("kind") == "ping":
            self.send({"kind": "pong"})
        elif content.get("kind") == "partials?" and content.get("redraw") == self.redraw:
            self.send_partials()

    def send_partials(self) -> int:
        """Send the partial maps of every output channel of the picture shown (``{"kind": "partials", "redraw",
        dtype, shape, scale, z, first}`` and the data as a buffer); the bytes sent (0 when there is nothing to send,
        or when they would weigh more than ``PREFETCH_MAX_BYTES``: picks in another Y[o] then ask Python)."""
        state = self._state
        if state is None or state.Y is None or (self.layer or {}).get("p_all"):
            return 0
        item = partials_item(torch.stack([partial_of(state, o, self.device) for o in range(state.settings.c_o)]), 0)
        data = item.pop("data")
        if len(data) > PREFETCH_MAX_BYTES:
            return 0
        self.send({"kind": "partials", "redraw": self.redraw, **item}, buffers=[data])
        self._ahead = (layer_of(state.settings), self.redraw)
        return len(data) + len(json.dumps(item))

    def _encode(self, name: str, tensor, make=encode, source=None):
        """An array's encoding, made again only when its source tensor is another one (the state's are cached)."""
        source = tensor if source is None else source
        cached = self._encoded.get(name)
        if cached is None or cached[0] is not source:  # the tensor itself is kept, so its id is not reused
            cached = self._encoded[name] = (source, make(tensor))
        return cached[1]

    def partials(self, state: ExplorerState) -> dict:
        """The ``p`` trait: every output channel's partial maps when they are small, else the picked o's."""
        if state.Y is None:
            return {}
        s = state.settings
        if self._ahead == (layer_of(state.settings), self.redraw):
            return self.p  # the page holds every output channel's: nothing to send
        if s.c_o * state.partial.numel() <= P_ALL_VALUES:
            every = partials_item(torch.stack([partial_of(state, o, self.device) for o in range(s.c_o)]), 0)
            if len(every["data"]) <= P_ALL_BYTES:
                return every
        return self._encode("p", state.partial[None], lambda t: partials_item(t, s.o), source=state.partial)

    def show(self, state: ExplorerState, timing: str = "", linked: bool = True, **switches) -> int:
        """Send what changed for ``state`` in one message (the picture's number last); the bytes it sent.

        ``linked=False``: the picked element and the display ``switches`` are left as they are (the page changed
        them, or nothing did).
        """
        self._state = state
        p = self.partials(state)
        new = {
            "x": self._encode("x", state.X), "k": self._encode("k", state.K), "b": self._encode("b", state.b),
            "y": self._encode("y", state.Y),
            "p": p, "layer": layer_info(state, p_all=bool(p) and p["shape"][0] == state.settings.c_o > 1),
            "text": text_lines(state, timing), "strings": ui_strings(),
        }
        s = state.settings
        if linked:
            new |= switches | {"o": s.o, "u": s.u, "v": s.v}
        changed = {k: v for k, v in new.items() if getattr(self, k) != v}
        if any(k in PICTURE for k in changed):
            changed["redraw"] = self.redraw + 1
        with self.hold_sync():
            for key, value in changed.items():
                setattr(self, key, value)
        self.sent_bytes = sum(_bytes(v) for v in changed.values())
        return self.sent_bytes
