"""The exercises of notebook 7: checkers, per-student variants, and what the grader collects.

In a notebook::

    from chanconv.exercises import set_student, check_cost_factors, describe_3
    set_student("alice")         # optional; or the environment variable CHANCONV_STUDENT
    print(describe_3())          # this student's numbers for exercise 3
    check_cost_factors(4, 1.13)  # prints ✓ right / ✗ not yet: <hint> / … not answered yet

Every checker records a :class:`Verdict` (status ``right``, ``not yet``, ``error`` or
``not answered``, and the hint) under its exercise id; :func:`results` returns them, and
:func:`grade` runs every checker quietly on the answers found in a namespace (a test's, or an
instructor's own). A class is graded by ``scripts/grade.py`` (``make grade``), which runs the same
checkers in its own process on answers handed over as plain data (:mod:`.answers`), and re-runs
students' functions in a sandbox (:mod:`.sandbox`, :mod:`.runner`).

:data:`EXERCISES` is the one table of exercises: id -> :class:`Exercise` (title, checker, the
names of the answers in the notebook in the checker's order, points). Adding an exercise is one
row here, its checker, and its cells in ``instructor/07_exercises.py``; the tests and the grader
read their counts from this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from .checkers import (
    check_block_diagonal,
    check_combined_kernel_size,
    check_conv_as_matmul,
    check_converse,
    check_cost_factors,
    check_exactly_equal,
    check_forward_backward,
    check_grouped,
    check_strip_reads,
    compose_kernels,
    describe_3,
    describe_8,
)
from .probes import OpCounter, express_3x3
from .variants import numbers, set_student, student
from .verdicts import ERROR, NOT_ANSWERED, NOT_YET, RIGHT, STATUSES, Verdict, quiet, reset, results

__all__ = [
    "EXERCISES", "Exercise", "ERROR", "NOT_ANSWERED", "NOT_YET", "RIGHT", "STATUSES", "OpCounter", "Verdict",
    "check_block_diagonal", "check_combined_kernel_size", "check_conv_as_matmul", "check_converse",
    "check_cost_factors", "check_exactly_equal", "check_forward_backward", "check_grouped", "check_strip_reads",
    "answer_names", "compose_kernels", "describe_3", "describe_8", "express_3x3", "grade", "numbers", "quiet", "reset",
    "results", "set_student", "student",
]



@dataclass(frozen=True)
class Exercise:
    """One exercise: its id, title, checker, the answer names it reads (in the checker's order), points."""

    id: str
    title: str
    check: object
    names: tuple[str, ...]
    points: float = 1.0


EXERCISES: dict[str, Exercise] = {e.id: e for e in [
    Exercise("1a", "two convolutions: combined kernel size", check_combined_kernel_size, ("combined_kernel_size",)),
    Exercise("1b", "two convolutions: the converse", check_converse, ("middle_channels", "counterexample", "split")),
    Exercise("2", "forward and backward cost", check_forward_backward,
             ("forward_macs", "forward_memory", "backward_macs", "backward_memory")),
    Exercise("3", "what doubling costs", check_cost_factors, ("factor_double_channels", "factor_double_padding")),
    Exercise("4", "Y1 and Y2 not exactly equal", check_exactly_equal, ("X_differ", "K_differ")),
    Exercise("5", "convolution as one matrix product", check_conv_as_matmul, ("conv_as_matmul",)),
    Exercise("6", "a k × (k + Δ − 1) strip", check_strip_reads, ("reads_per_output",)),
    Exercise("7", "block-diagonal channel mixing", check_block_diagonal, ("speedup",)),
    Exercise("8", "grouped and separable convolutions", check_grouped,
             ("grouped_params", "separable_params", "separable")),
]}


def answer_names() -> list[str]:
    """Every answer name of every exercise, once each, in the table's order."""
    return list(dict.fromkeys(name for e in EXERCISES.values() for name in e.names))


def grade(namespace: dict, student_id: str | None = None) -> list[dict]:
    """Run every checker, without printing, on the answers in ``namespace`` (a notebook's globals).

    ``student_id`` fixes the variant (the grader passes the submission's student). Returns one
    dict per exercise: ``{"exercise", "title", "status", "message"}``. A missing name counts as
    unanswered; a checker that itself fails gives status ``error`` with the reason.
    """
    if student_id is not None:
        set_student(student_id)
    out = []
    with quiet():
        for ex in EXERCISES.values():
            args = [namespace.get(name) for name in ex.names]
            try:
                v = ex.check(*args)
            except BaseException as err:  # noqa: BLE001 - a KeyboardInterrupt from a student's loop too
                v = Verdict(ex.id, ERROR, f"checking failed: {type(err).__name__}")
            out.append({"exercise": ex.id, "title": ex.title, "status": v.status, "message": v.message})
    return out
