"""The language chanconv speaks to a student: English by default, Chinese (``zh``) in the Chinese edition.

    import chanconv
    chanconv.set_language("zh")      # the Chinese notebooks' setup cell does this
    chanconv.get_language()          # "zh"

The language comes from :func:`set_language`, else the environment variable ``CHANCONV_LANG``, else
English. Text a student reads from the code (error messages, figure labels, the explorer's text, the
checkers' verdicts) goes through :func:`_`, the standard gettext lookup in the catalogs under
``chanconv/locale/<lang>/LC_MESSAGES/chanconv.mo``; a message with no translation stays English.
"""

from __future__ import annotations

import gettext
import os
from functools import cache
from pathlib import Path

__all__ = ["LANGUAGES", "LOCALE_DIR", "DOMAIN", "set_language", "get_language", "translator", "_", "ngettext"]

LANGUAGES = ("en", "zh")
DOMAIN = "chanconv"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
_current: str | None = None


def _check(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not one of chanconv's: {', '.join(LANGUAGES)}")
    return lang


def set_language(lang: str) -> None:
    """Speak ``lang`` ("en" or "zh") from now on, in this process."""
    global _current
    _current = _check(lang)


def get_language() -> str:
    """The language in use: :func:`set_language`'s, else ``CHANCONV_LANG``'s, else "en"."""
    if _current is not None:
        return _current
    return _check(os.environ.get("CHANCONV_LANG", "en") or "en")


@cache
def translator(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang`` (English: the messages as they are)."""
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str) -> str:
    """``message`` in the language in use (gettext)."""
    return translator(get_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message for ``n``, in the language in use."""
    return translator(get_language()).ngettext(singular, plural, n)
