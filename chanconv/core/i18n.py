"""The language chanconv speaks to a student: English by default, Chinese (``zh``) in the Chinese edition.

    import chanconv
    chanconv.set_language("zh")      # the Chinese notebooks' setup cell does this
    chanconv.get_language()          # "zh"

The language comes from :func:`set_language`, else the environment variable ``CHANCONV_LANG``, else
English. Text a student reads from the code (error messages, figure labels, the explorer's text, the
checkers' verdicts, and, through :func:`tr`, what the notebooks' own code prints and draws) goes through
:func:`_`, the standard gettext lookup in the catalogs under ``chanconv/locale/<lang>/LC_MESSAGES/chanconv.mo``;
a message with no translation stays English.

Marking a message (``make i18n`` extracts the marked ones into ``chanconv/locale/chanconv.pot``, updates
the catalogs and compiles them)::

    raise ValueError(_("X has {got} input channels but the weight expects {want}").format(got=..., want=...))

* named placeholders, filled after the lookup (``.format``), never an f-string inside ``_()``: the catalog
  holds the message with its ``{names}``, and a translation may put them in another order;
* ``_()`` looks up at call time, in the language in use then. A module-level constant that a student reads
  is marked with :func:`N_` (which returns it unchanged, for the extractor) and translated where it is used:
  ``_(LABEL)``.

The course's terms have one Chinese rendering each (``chanconv/locale/terms.csv``, the lecture's notes and
d2l-zh: 通道, 卷积核, 互相关运算, 填充, 步幅, ...); :func:`term_problems` checks a translation against it (the
catalog's, and the Chinese notebooks').
"""

from __future__ import annotations

import csv
import gettext
import os
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["LANGUAGES", "LOCALE_DIR", "DOMAIN", "TERMS_FILE", "ENV", "set_language", "get_language", "language",
           "translator", "_", "N_", "ngettext", "tr", "pad", "Term", "terms", "term_problems", "symbol_problems"]

LANGUAGES = ("en", "zh")
DOMAIN = "chanconv"
ENV = "CHANCONV_LANG"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
TERMS_FILE = LOCALE_DIR / "terms.csv"
_current: str | None = None


def _check(lang, where: str = "set_language") -> str:
    """``lang`` as one of :data:`LANGUAGES` (case and surrounding blanks ignored), or a ValueError saying which."""
    name = lang.strip().lower() if isinstance(lang, str) else lang
    if name not in LANGUAGES:
        # English on purpose: the language is what is wrong
        raise ValueError(f"{where}: language {lang!r} is not one of chanconv's: {', '.join(LANGUAGES)} "
                         "(English: 'en', Chinese: 'zh')")
    return name


def set_language(lang: str) -> None:
    """Speak ``lang`` ("en" or "zh") from now on, in this process (a ValueError for any other)."""
    global _current
    _current = _check(lang)


def get_language() -> str:
    """The language in use: :func:`set_language`'s, else ``CHANCONV_LANG``'s, else "en"."""
    if _current is not None:
        return _current
    return _check(os.environ.get(ENV, "en") or "en", where=ENV)


@contextmanager
def language(lang: str):
    """``with language("en"): ...`` speaks ``lang`` inside the block, then the language before it again."""
    global _current
    before, _current = _current, _check(lang)
    try:
        yield _current
    finally:
        _current = before


@cache
def translator(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang`` (English: the messages as they are)."""
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str) -> str:
    """``message`` in the language in use (gettext)."""
    return translator(get_language()).gettext(message)


def tr(message: str, /, **fields) -> str:
    """``message`` in the language in use, its ``{fields}`` filled in: the words a notebook's own code prints or draws.

        print(tr("largest |response| in the red channel:"), value)
        ax.set_title(tr("time against channels"))
        print(tr("{method:9} same as torch: {same}", method=method, same=ok))

    :func:`_` under a name a notebook can use (there ``_`` is IPython's last result). ``make i18n`` extracts the
    messages from the English notebooks (``notebooks/*.py``) into the same catalog as chanconv's own.

    A notebook's words may end up in a figure it draws, so where no font on this machine can draw the language
    (Chinese without a CJK font: :func:`chanconv.core.fonts.figure_rc` is None) they stay English, as chanconv's
    own figure labels do, and the one-line note says why: never boxes of missing glyphs.
    """
    from . import fonts  # lazy: fonts imports this module (a cycle at import time)

    if get_language() != "en" and fonts.figure_rc() is None:
        fonts._note_once()
        with language("en"):
            return tr(message, **fields)
    text = _(message)
    return text.format(**fields) if fields else text


def pad(text: str, width: int, align: str = "<") -> str:
    """``f"{text:{align}{width}}"`` counting a Chinese character as two columns (it is drawn about twice as wide as
    a letter in a monospaced font), so that a printed table's columns line up in both editions."""
    wide = sum(unicodedata.east_asian_width(ch) in "WF" for ch in text)
    return f"{text:{align}{max(width - wide, 0)}}"


def N_(message: str) -> str:
    """Marks ``message`` for the catalog without translating it (a module-level constant): ``_(it)`` at use."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message for ``n``, in the language in use."""
    return translator(get_language()).ngettext(singular, plural, n)


# The terminology --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    """One English term of the course and its one Chinese rendering; ``avoid``: renderings that must not appear."""

    english: str
    chinese: str
    avoid: tuple[str, ...] = ()
    note: str = ""

    @property
    def pattern(self) -> re.Pattern:
        """The term as a word (plural "s"/"es" too), case-insensitive; "-" and " " inside it match either. Not in a
        unit (FLOP/byte)."""
        words = r"[\s-]".join(re.escape(w) for w in re.split(r"[\s-]", self.english))
        return re.compile(rf"(?<![\w-]){words}(?:s|es)?(?![\w-]|/\w)", re.IGNORECASE)


@cache
def terms(path: str | Path = TERMS_FILE) -> tuple[Term, ...]:
    """The terminology table (``english,chinese,avoid,note``; avoid: ``;``-separated), longest English first."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = [Term(r["english"].strip(), r["chinese"].strip(),
                     tuple(a.strip() for a in (r.get("avoid") or "").split(";") if a.strip()), (r.get("note") or ""))
                for r in csv.DictReader(f)]
    return tuple(sorted(rows, key=lambda t: -len(t.english)))


# what is notation, not words, in a message: a {placeholder}, "c_i / groups" (the lecture's symbols)
_NOTATION = re.compile(r"\{[^{}]*\}|[cknmspd]_[iohw]\s*/\s*groups\b")


def _found(en_text: str, table) -> list[Term]:
    """The terms in ``en_text``, longest first: a longer term's words are not counted again as a shorter term."""
    text, out = _NOTATION.sub(lambda m: "\0" * len(m.group()), en_text), []
    for term in table:
        if term.pattern.search(text):
            out.append(term)
            text = term.pattern.sub(lambda m: "\0" * len(m.group()), text)
    return out


def term_problems(en_text: str, zh_text: str, table=None) -> list[str]:
    """What breaks the terminology in the Chinese ``zh_text`` of ``en_text`` ([] when nothing).

    For every term of the table in ``en_text`` (a word, plural too, case-insensitive, longest match first:
    "input channel" before "channel"): ``zh_text`` holds its Chinese rendering, and none of the term's
    ``avoid`` renderings once every rendering of the table is blanked out (so 核 is refused, 卷积核 is not).
    Plus :func:`symbol_problems`: the lecture's symbols and shapes unchanged.
    """
    table = terms() if table is None else table
    problems = []
    masked = zh_text
    for term in sorted(table, key=lambda t: -len(t.chinese)):
        masked = masked.replace(term.chinese, "\0")
    for term in _found(en_text, table):
        if term.chinese not in zh_text:
            problems.append(f"{term.english!r} is {term.chinese!r} here, not found in the translation")
        for bad in term.avoid:
            if bad in masked:
                problems.append(f"{term.english!r} is {term.chinese!r}, not {bad!r}")
    return problems + symbol_problems(en_text, zh_text)


SYMBOL = re.compile(r"(?<![\w\\])[cknmspd]_[iohw](?![\w])")
# a shape in the lecture's symbols: (c_o, c_i, k_h, k_w), (c_i / groups, k_h, k_w), (c_o,), (batch, c_i, n_h, n_w)
_ITEM = r"(?:batch|[cknmspd]_[iohw](?:\s*/\s*groups)?)"
SHAPE = re.compile(rf"\(\s*{_ITEM}(?:\s*,\s*{_ITEM})*\s*,?\s*\)")


def symbol_problems(en_text: str, zh_text: str) -> list[str]:
    """The lecture's symbols (c_i, c_o, k_h, k_w, n_h, n_w, m_h, m_w, ...) and shapes such as (c_o, c_i, k_h, k_w)
    in ``en_text`` appear unchanged in ``zh_text``."""
    missing = sorted(set(SYMBOL.findall(en_text)) - set(SYMBOL.findall(zh_text)))
    problems = [f"the symbol {s} is missing from the translation" for s in missing]
    problems += [f"the shape {s} is not written as it is" for s in dict.fromkeys(SHAPE.findall(en_text))
                 if s not in zh_text]
    return problems
