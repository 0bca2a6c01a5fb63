"""What a checker decides, printed for the student and recorded for the grader.

Every check ends in a :class:`Verdict` with one of four statuses:

* ``right``        — the answer passed every test the checker runs;
* ``not yet``      — it failed one; the message is a hint (never the expected value);
* ``error``        — the student's function raised or ran too long; the message says how;
* ``not answered`` — a blank was left at ``None``.

The checker prints one line (``✓ right``, ``✗ not yet: <hint>``, ``… not answered yet: …``) and
records the verdict under its exercise id, so :func:`results` (and the grader) read a structured
result instead of parsing printed text. Hints come in levels, counted per *part* of an exercise
(exercise 2's four functions, exercise 3's two factors, ...): the first wrong try of a part gets a
nudge, later tries of that part get more; fixing one part and stumbling on the next starts the
next part's hints at the nudge. No level states the formula or the answer.

While a class is graded (``CHANCONV_GRADING=1`` in the kernel's environment), the check cells of a
notebook do nothing: the grader runs the checkers itself, in its own process, on the answers.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from ..core.i18n import _

__all__ = ["RIGHT", "NOT_YET", "ERROR", "NOT_ANSWERED", "Verdict", "results", "reset", "grading_kernel"]

RIGHT, NOT_YET, ERROR, NOT_ANSWERED = "right", "not yet", "error", "not answered"
STATUSES = (RIGHT, NOT_YET, ERROR, NOT_ANSWERED)
GRADING_ENV = "CHANCONV_GRADING"

_RESULTS: dict[str, Verdict] = {}
_TRIES: dict[tuple[str, str], int] = {}
_QUIET = [False]


def grading_kernel() -> bool:
    """True in a student's kernel that the grader runs: check cells leave the checking to the grader."""
    return os.environ.get(GRADING_ENV) == "1"


@dataclass(frozen=True)
class Verdict:
    """A checker's decision on one exercise: truthy only when ``status == "right"``."""

    exercise: str
    status: str
    message: str = ""

    def __bool__(self):
        return self.status == RIGHT

    def __eq__(self, other):
        if isinstance(other, bool):
            return bool(self) == other
        return isinstance(other, Verdict) and (self.exercise, self.status, self.message) == (
            other.exercise, other.status, other.message)

    def __hash__(self):
        return hash((self.exercise, self.status, self.message))

    @property
    def line(self) -> str:
        if self.status == RIGHT:
            return _("✓ right ({note})").format(note=self.message) if self.message else _("✓ right")
        if self.status == NOT_ANSWERED:
            return _("… not answered yet: {message}").format(message=self.message)
        return _("✗ not yet: {message}").format(message=self.message)

    def as_dict(self) -> dict:
        return asdict(self)

    def __repr__(self):
        return f"Verdict({self.exercise!r}, {self.status!r})"

    def _ipython_display_(self):  # the printed line is the whole display
        pass


def record(exercise: str, status: str, message: str = "") -> Verdict:
    v = Verdict(exercise, status, message)
    _RESULTS[exercise] = v
    if not _QUIET[0]:
        print(v.line)
    return v


def right(exercise: str, note: str = "") -> Verdict:
    return record(exercise, RIGHT, note)


def wrong(exercise: str, levels, part: str = "") -> Verdict:
    """A wrong try: the hint at this part's level (a nudge first, more on later tries of the part)."""
    if isinstance(levels, str):
        levels = [levels]
    key = (exercise, part)
    tries = _TRIES[key] = _TRIES.get(key, 0) + 1
    hint = levels[min(tries, len(levels)) - 1]
    more = ""
    if tries < len(levels) and not _QUIET[0]:
        more = _(" (run the check again after a change: the next hint says more)")
    return record(exercise, NOT_YET, hint + more)


def error(exercise: str, message: str) -> Verdict:
    return record(exercise, ERROR, message)


def deferred(exercise: str) -> Verdict:
    """The verdict of a check cell in a kernel the grader runs: the grader checks, not the cell."""
    return record(exercise, NOT_ANSWERED, _("checked by the grader, outside this notebook"))


def unanswered(exercise: str, **answers) -> Verdict | None:
    """A NOT_ANSWERED verdict if any answer is None, else None (go on checking)."""
    blank = [name for name, value in answers.items() if value is None]
    if blank:
        return record(exercise, NOT_ANSWERED,
                      _("replace None in {names} with your answer, run that cell, then this check").format(
                          names=", ".join(blank)))
    return None


def results() -> dict[str, Verdict]:
    """The latest verdict of every exercise checked so far in this session, by exercise id."""
    return dict(_RESULTS)


def reset() -> None:
    """Forget recorded verdicts and hint levels (a fresh start)."""
    _RESULTS.clear()
    _TRIES.clear()


class quiet:
    """Within ``with quiet():`` checkers record but do not print (the grader's mode)."""

    def __enter__(self):
        self._was, _QUIET[0] = _QUIET[0], True
        return self

    def __exit__(self, *exc):
        _QUIET[0] = self._was
        return False
