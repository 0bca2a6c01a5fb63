"""The exercises of notebook 7: checkers, per-student variants, and what the grader collects.

In a notebook::

    from chanconv.exercises import set_student, check_cost_factors, describe_3
    set_student("alice")         # optional; or the environment variable CHANCONV_STUDENT
    print(describe_3())          # this student's numbers for exercise 3
    check_cost_factors(4, 1.13)  # prints ✓ right / ✗ not yet: <hint> / … not answered yet

Every checker records a :class:`Verdict` (status ``right``, ``not yet``, ``error`` or
``not answered``, and the hint) under its exercise id; :func:`results` returns them, and
:func:`grade` runs every checker quietly on the answers found in a namespace (what
``scripts/grade.py`` calls inside each student's kernel).
"""

from __future__ import annotations

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
    "EXERCISES", "ERROR", "NOT_ANSWERED", "NOT_YET", "RIGHT", "STATUSES", "OpCounter", "Verdict",
    "check_block_diagonal", "check_combined_kernel_size", "check_conv_as_matmul", "check_converse",
    "check_cost_factors", "check_exactly_equal", "check_forward_backward", "check_grouped", "check_strip_reads",
    "compose_kernels", "describe_3", "describe_8", "express_3x3", "grade", "numbers", "quiet", "reset",
    "results", "set_student", "student",
]

# exercise id -> (title, checker, the names of the answers in the notebook, in the checker's order)
EXERCISES = {
    "1a": ("two convolutions: combined kernel size", check_combined_kernel_size, ("combined_kernel_size",)),
    "1b": ("two convolutions: the converse", check_converse, ("middle_channels", "counterexample", "split")),
    "2": ("forward and backward cost", check_forward_backward,
          ("forward_macs", "forward_memory", "backward_macs", "backward_memory")),
    "3": ("what doubling costs", check_cost_factors, ("factor_double_channels", "factor_double_padding")),
    "4": ("Y1 and Y2 not exactly equal", check_exactly_equal, ("X_differ", "K_differ")),
    "5": ("convolution as one matrix product", check_conv_as_matmul, ("conv_as_matmul",)),
    "6": ("a k × (k + Δ − 1) strip", check_strip_reads, ("reads_per_output",)),
    "7": ("block-diagonal channel mixing", check_block_diagonal, ("speedup",)),
    "8": ("grouped and separable convolutions", check_grouped, ("grouped_params", "separable_params", "separable")),
}


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
        for ex, (title, check, names) in EXERCISES.items():
            args = [namespace.get(name) for name in names]
            try:
                v = check(*args)
            except BaseException as err:  # noqa: BLE001 - a KeyboardInterrupt from a student's loop too
                v = Verdict(ex, ERROR, f"checking failed: {type(err).__name__}: {err}")
            out.append({"exercise": ex, "title": title, "status": v.status, "message": v.message})
    return out
