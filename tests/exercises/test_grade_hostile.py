"""The grader under attack (issue 21): every attack the adoption review found, and more, graded as
it should be; with namespaces, and without them (the grader refuses; with --unsafe it contains what
it can and says so).

A hostile notebook reports an attack's outcome through its answers: the answer of an exercise is
right only if the attack failed (tests/gradeclass.py), so "right" here means "contained". Writes
are checked on the files themselves (a sentinel folder, the victim classmate's notebook), signals
on a victim process, the network on a TCP listener of the test's own.
"""

import gradeclass as gc
import pytest

from chanconv.exercises import EXERCISES, sandbox

IDS = list(EXERCISES)
NONE = dict.fromkeys(IDS, "not answered")
PROTECTION = sandbox.probe()
needs_namespaces = pytest.mark.skipif(not PROTECTION.namespaces,
                                      reason=f"no namespaces on this machine: {PROTECTION.why_not}")


def st(grades, file):
    return gc.statuses(grades, file)


# what the attacks should get, in any mode that grades ---------------------------------------------
def expect_cheats_get_nothing(grades):
    """A blank notebook that wraps IPython.display.display, re-patches after importlib.reload,
    replaces every checker, rewrites the answer encoder and forges the runner's report line."""
    s = st(grades, "cheats.ipynb")
    assert "right" not in s.values(), s


def expect_allclose_changes_nothing(grades):
    """torch.allclose patched to always say True (in the kernel and inside the functions) and
    torch.equal to False, with three wrong answers: those stay wrong, the rest right."""
    s = st(grades, "allclose.ipynb")
    assert s == gc.full() | {"4": "not yet", "5": "not yet", "8": "not yet"}, s


def expect_intruder_contained(grades):
    s = st(grades, "intruder.ipynb")
    assert s["1a"] == "right", "read a classmate's notebook (and could run its cells)"
    assert s["3"] == "right", "read instructor/07_exercises.py, the model solutions"
    assert s["6"] == "right", "saw $SUBMISSIONS or HOME, or listed the class folder"
    assert s["7"] == "right", "reached the host's network, or signalled a process outside"
    for ex in ("2", "4", "5", "8"):  # what a classmate's executed cells would have answered
        assert s[ex] == "not answered", (ex, s[ex])


def expect_intruder_fn_contained(grades):
    """The same attacks from inside functions, which the grader re-runs in its own sandbox."""
    s = st(grades, "intruder_fn.ipynb")
    assert {ex: s[ex] for ex in ("1a", "2", "5", "6", "7")} == dict.fromkeys(("1a", "2", "5", "6", "7"), "right"), s


def expect_nothing_outside_changed(graded):
    assert graded.changed == [], graded.changed
    assert gc.digest(graded.submissions / "ada.ipynb") == graded.ada_before, "torch.save overwrote a classmate"
    assert st(graded.long, "ada.ipynb") == dict.fromkeys(IDS, "right")


# with namespaces: the shared class ------------------------------------------------------------------
@needs_namespaces
def test_rewriting_displays_reloads_checkers_encoders_or_reports_gets_nothing(graded_class):
    expect_cheats_get_nothing(graded_class.long)


@needs_namespaces
def test_patching_torch_allclose_changes_no_verdict(graded_class):
    expect_allclose_changes_nothing(graded_class.long)


@needs_namespaces
def test_classmates_model_solutions_home_and_submissions_are_out_of_reach(graded_class):
    expect_intruder_contained(graded_class.long)


@needs_namespaces
def test_functions_rerun_by_the_grader_are_contained_too(graded_class):
    expect_intruder_fn_contained(graded_class.long)


@needs_namespaces
def test_writes_signals_and_connections_reach_nothing_outside(graded_class):
    """torch.save over a classmate's notebook, torch.from_file(shared=True), sqlite3, os.mkfifo,
    open, os.remove, _posixsubprocess.fork_exec and subprocess._fork_exec running a shell that
    deletes a file, os.system; os.kill of a process outside; a TCP connection to the host; a
    decorator that writes when the grader rebuilds the function."""
    expect_nothing_outside_changed(graded_class)


@needs_namespaces
def test_feedback_holds_no_student_controlled_text(graded_class):
    """Exception messages, exception class names, answer strings, printed text and cell errors of
    a notebook full of a marker never reach the CSVs or the summary: only the checker's words
    and a sanitized error type."""
    for name in ("grades.csv", "grades_long.csv", "summary.html"):
        assert gc.LEAK not in (graded_class.out / name).read_text(encoding="utf-8"), name
    detail = {ex: graded_class.long["leaker.ipynb", ex]["detail"] for ex in IDS}
    assert detail["1a"] == "combined_kernel_size raised ValueError"
    assert detail["6"] == "reads_per_output raised an exception"  # a class of its own: no name shown
    assert "a string" in detail["1b"] and "your cell raised an exception" in detail["4"]
    assert "your cell raised RuntimeError" in detail["3"]


@needs_namespaces
def test_the_summary_says_how_it_was_contained(graded_class):
    page = (graded_class.out / "summary.html").read_text(encoding="utf-8")
    assert "contained: namespaces" in page and "--unsafe gives up" not in page


# without namespaces ---------------------------------------------------------------------------------
def test_without_namespaces_make_grade_refuses_and_says_why(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    gc.nbformat.write(gc.student_notebook(), subs / "bob.ipynb")
    proc = gc.grade(subs, tmp_path / "out", env_extra={sandbox.DISABLE_ENV: "namespaces"})
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "refuses" in proc.stdout and "no sandbox" in proc.stdout and "UNSAFE=1" in proc.stdout
    assert "switched off" in proc.stdout  # the why
    assert not (tmp_path / "out").exists()  # nothing ran


def small_hostile_class(tmp_path, disable: str):
    base = tmp_path
    outside = gc.Outside(base)
    subs = base / "submissions"
    subs.mkdir()
    gc.hostile(subs, outside)
    (subs / "allclose.ipynb").unlink()  # independent of the sandbox; graded in the shared class
    before = gc.digest(subs / "ada.ipynb")
    proc = gc.grade(subs, base / "out", "--unsafe", "-j", "2", "--cell-timeout", "15", "--notebook-timeout", "120",
                    env_extra={sandbox.DISABLE_ENV: disable})
    from types import SimpleNamespace

    graded = SimpleNamespace(proc=proc, out=base / "out", submissions=subs, ada_before=before,
                             changed=outside.untouched())
    outside.close()
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    graded.long = gc.read_long(base / "out")
    return graded


@pytest.mark.skipif(not PROTECTION.landlock, reason="no Landlock on this kernel")
def test_unsafe_without_namespaces_landlock_contains_the_attacks_and_says_what_is_given_up(tmp_path):
    graded = small_hostile_class(tmp_path, "namespaces")
    assert "WARNING: grading without a sandbox" in graded.proc.stdout and "gives up: UDP" in graded.proc.stdout
    expect_cheats_get_nothing(graded.long)
    expect_intruder_contained(graded.long)
    expect_intruder_fn_contained(graded.long)
    expect_nothing_outside_changed(graded)
    page = (graded.out / "summary.html").read_text(encoding="utf-8")
    assert "NOT fully contained (--unsafe)" in page and "--unsafe gives up" in page


def test_unsafe_without_namespaces_or_landlock_the_hook_stops_these_attacks_and_says_reads_are_open(tmp_path):
    """The weakest mode (macOS-like): only the audit hook and the wrappers round C-level writers.
    It stops every attack of the issue here, and the grader says plainly that this is no sandbox."""
    graded = small_hostile_class(tmp_path, "namespaces,landlock")
    assert "reads are NOT contained" in graded.proc.stdout
    expect_cheats_get_nothing(graded.long)
    expect_intruder_contained(graded.long)
    expect_intruder_fn_contained(graded.long)
    expect_nothing_outside_changed(graded)
    page = (graded.out / "summary.html").read_text(encoding="utf-8")
    assert "NOT contained (--unsafe)" in page and "writes from C code are NOT contained" in page
