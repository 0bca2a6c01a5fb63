"""Figures in the language in use: a CJK font for Chinese labels, or English labels and one line saying why.

Every figure function of chanconv is wrapped in :func:`localized`: in English nothing changes; in Chinese
the figure's text is drawn with a CJK font found on the machine (:data:`CJK_FONTS`, e.g. Debian's
``fonts-noto-cjk``: "Noto Sans CJK SC") placed first in matplotlib's font family, with the usual family
behind it, so that Chinese, Latin and the symbols all have glyphs (matplotlib falls back from one family
to the next; the text around a formula is drawn in the first family alone, which is why the CJK font,
which has Latin too, comes first). Without a CJK font the labels stay English and one line, printed once,
says so: never boxes of missing glyphs.

For a notebook's own plots: :func:`use_language_font` sets the same font for every later figure.
"""

from __future__ import annotations

import functools
import sys
from contextlib import contextmanager
from functools import cache

import matplotlib as mpl
from matplotlib import font_manager

from .i18n import _, get_language, language

__all__ = ["CJK_FONTS", "cjk_font", "figure_rc", "figure_language", "localized", "use_language_font"]

# Simplified-Chinese fonts, the first one installed wins: Noto/Source Han (Linux, Colab with fonts-noto-cjk),
# WenQuanYi (older Linux), the ones macOS and Windows ship
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "PingFang SC", "Hiragino Sans GB", "Heiti SC", "Microsoft YaHei", "SimHei",
             "Arial Unicode MS")
_noted = [False]


@cache
def cjk_font() -> str | None:
    """The first of :data:`CJK_FONTS` that matplotlib's font manager knows on this machine, else None."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def figure_rc(lang: str | None = None) -> dict | None:
    """The matplotlib settings for figures in ``lang`` (default: the language in use): {} in English, the CJK
    font first in the family in Chinese, None when that language has no font here."""
    lang = lang or get_language()
    if lang == "en":
        return {}
    font = cjk_font()
    if font is None:
        return None
    rest = [f for f in mpl.rcParams["font.family"] if f != font]
    return {"font.family": [font, *rest]}


def _note_once() -> None:
    if not _noted[0]:
        _noted[0] = True
        print(_("chanconv: no Chinese font found (e.g. Noto Sans CJK SC: apt-get install fonts-noto-cjk), "
                "so the figures' labels, and what the notebook's own code prints and draws, stay in English"),
              file=sys.stderr)


@contextmanager
def figure_language():
    """Inside: figures drawn in the language in use (the CJK font in Chinese), or in English with one note
    (printed once per process) where no font can draw that language."""
    rc = figure_rc()
    if rc is None:
        _note_once()
        with language("en"):
            yield "en"
        return
    # only the settings it changes are put back afterwards: not mpl.rc_context, which puts back every setting,
    # also those that a backend set up inside (a notebook's inline backend, at its first figure, turns on the
    # interactive mode that shows the figures)
    before = {key: mpl.rcParams[key] for key in rc}
    mpl.rcParams.update(rc)
    try:
        yield get_language()
    finally:
        mpl.rcParams.update(before)


def localized(figure_function):
    """A figure function drawn in the language in use (see :func:`figure_language`)."""
    @functools.wraps(figure_function)
    def wrapper(*args, **kwargs):
        with figure_language():
            return figure_function(*args, **kwargs)
    return wrapper


def use_language_font() -> str | None:
    """For a notebook's own figures: the CJK font (its name) set in matplotlib's settings when the language in
    use needs one and one is installed; None otherwise (with the one-line note when none is found)."""
    rc = figure_rc()
    if rc is None:
        _note_once()
        return None
    mpl.rcParams.update(rc)
    return rc["font.family"][0] if rc else None
