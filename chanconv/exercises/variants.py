"""Per-student numbers: neighbours get different shapes in the numeric questions.

The student id is, in this order: the last ``set_student(name)`` call, else the environment
variable ``CHANCONV_STUDENT``, else none (the default variant: the numbers the course prints).
A variant is drawn from a hash of the id, so the same id always gets the same numbers, on any
machine; the checkers read the same variant as the notebook that shows the question.
"""

from __future__ import annotations

import hashlib
import os
import random

from ..core.i18n import _

__all__ = ["set_student", "student", "numbers", "DEFAULTS"]

ENV = "CHANCONV_STUDENT"
_STUDENT: list[str | None] = [None]
_SET = [False]

# the default variant: exercise 3 and the grouped-convolution exercise as the course states them
DEFAULTS = {
    "3": {"c": 64, "k": 3, "n": 32, "p": 1},
    "8": {"c": 64, "k": 3, "groups": 4},
}


def set_student(name: str | None) -> str | None:
    """Use the variant of student ``name`` (None: back to ``$CHANCONV_STUDENT`` or the default)."""
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ValueError(_("a student id is a non-empty string, got {name}").format(name=repr(name)))
    _STUDENT[0], _SET[0] = (name.strip() if name else None), name is not None
    return student()


def student() -> str | None:
    """The current student id, or None for the default variant."""
    if _SET[0]:
        return _STUDENT[0]
    return os.environ.get(ENV, "").strip() or None


def numbers(exercise: str, who: str | None = None) -> dict:
    """The numbers of ``exercise`` ("3" or "8") for student ``who`` (default: the current one)."""
    exercise = str(exercise)
    if exercise not in DEFAULTS:
        raise ValueError(_("exercise {exercise} has no per-student numbers; those that do: {those}").format(
            exercise=repr(exercise), those=sorted(DEFAULTS)))
    who = student() if who is None else who
    if not who:
        return dict(DEFAULTS[exercise])
    rng = random.Random(int.from_bytes(hashlib.sha256(f"{exercise}:{who}".encode()).digest()[:8], "big"))
    if exercise == "3":
        return {"c": rng.choice([16, 24, 32, 48, 64, 96, 128]), "k": rng.choice([3, 5]),
                "n": rng.choice([14, 16, 28, 32, 56]), "p": rng.choice([1, 2])}
    c = rng.choice([32, 48, 64, 96, 128])
    return {"c": c, "k": rng.choice([3, 5]), "groups": rng.choice([g for g in (2, 4, 8) if c % g == 0])}
