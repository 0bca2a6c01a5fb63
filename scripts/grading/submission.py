"""Grade one submitted notebook: run it contained, read its answers as data, check them here.

1. The notebook is read here as JSON (never imported); its code cells are the program.
2. ``chanconv.exercises.notebook_run`` runs them in a fresh kernel inside the sandbox
   (:mod:`chanconv.exercises.sandbox`), from a private copy, and hands back the answers as plain
   data plus each cell's fate (ran, raised ``NameError``, timed out, skipped...).
3. This process decodes the answers (numbers, strings, tensors; functions as source) and runs the
   checkers of :data:`chanconv.exercises.EXERCISES` on them, with the student's variant. Each
   student function is re-run by ``chanconv.exercises.runner`` in a second, fresh sandbox, on
   the checker's inputs; the references are computed here.
4. Cells that failed cost the exercises they hold (by the answer names they assign, else by the
   ``## Exercise N`` heading above them); a cell that had to be killed stops the run there, and
   only the exercises after it count as not run.

The verdicts never pass through the student's process, so nothing the notebook does to its own
kernel (patching ``display``, ``importlib.reload``, ``torch.allclose``, the checkers) changes them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import identity as identity_mod

MAX_NOTEBOOK_BYTES = 20_000_000
MAX_RESULT_BYTES = 200 * 2**20
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


@dataclass
class Options:
    cell_seconds: int = 60
    notebook_seconds: int = 600
    call_seconds: float = 20.0
    memory_gib: float = 6.0
    variant_from_id: bool = False


def exercise_table():
    from chanconv.exercises import EXERCISES

    return list(EXERCISES.values())


def sanitize(message: str, limit: int = 600) -> str:
    """A verdict's text as the reports show it: printable, one paragraph, bounded."""
    return _CONTROL.sub("", str(message)).replace("\n", " ")[:limit]


# ------------------------------------------------------------------------------------------------
# reading the notebook
def load(raw: bytes):
    """(notebook, None) or (None, reason)."""
    import nbformat

    if len(raw) > MAX_NOTEBOOK_BYTES:
        return None, f"the file is {len(raw):,} bytes, more than {MAX_NOTEBOOK_BYTES:,}"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not a notebook: the file is not UTF-8 text"
    try:
        json.loads(text)
    except json.JSONDecodeError as err:
        return None, f"not a notebook: not JSON ({err.msg} at line {err.lineno})"
    except RecursionError:
        return None, "not a notebook: JSON nested too deeply"
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as err:  # noqa: BLE001 - nbformat's many ways to reject a file
        return None, f"not a notebook: {type(err).__name__}"
    if not isinstance(nb.get("cells"), list):
        return None, "not a notebook: it has no cells"
    return nb, None


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


# an exercise's heading in each edition: English (``## Exercise 4 ...``, ``### Exercise 1, the converse``,
# ``## Beyond the book (exercise 8) ...``) and Chinese (``## 练习 4 ...``, ``### 练习 1 的逆命题``,
# ``## 书外的练习（练习 8）...``); i18n/zh/07_exercises.md holds the Chinese ones
_HEADING = re.compile(r"^#+\s*(?:Beyond the book \(exercise (\d+)\)|Exercise (\d+)|书外的练习[(（]练习\s*(\d+)[)）]"
                      r"|练习\s*(\d+))(.*)$", re.M)
_CONVERSE = ("converse", "逆命题")


def section_of(markdown: str, table) -> list[str] | None:
    """The exercises a markdown heading opens, in either edition's words (see ``_HEADING``)."""
    m = _HEADING.search(markdown)
    if not m:
        return None
    num = next(g for g in m.groups()[:4] if g)
    ids = [e.id for e in table if e.id.rstrip("abcdefgh") == num]
    if num == "1" and any(word in m.group(5) for word in _CONVERSE):
        ids = ["1b"]
    return ids


def exercise_of_cell(source: str, section: list[str], table) -> list[str]:
    """The exercises a code cell belongs to: those whose answer names it assigns or defines, else
    those of its section."""
    hits = [e.id for e in table
            if any(re.search(rf"(^|\n)\s*(def\s+)?{re.escape(n)}\b\s*(\(|=|,|:)", source) for n in e.names)]
    return hits or section


def code_cells(nb, table) -> list[tuple[str, list[str]]]:
    """(source, exercises) of every code cell, in order."""
    out, section = [], []
    for cell in nb.cells:
        if cell.get("cell_type") == "markdown":
            section = section_of(_source(cell), table) or section
        elif cell.get("cell_type") == "code":
            src = _source(cell)
            out.append((src, exercise_of_cell(src, section, table)))
    return out


# ------------------------------------------------------------------------------------------------
# running it, contained
def sandbox_env(extra: dict | None = None) -> dict:
    """The whole environment a sandboxed process gets: nothing inherited (no SUBMISSIONS, no HOME)."""
    env = {
        "PATH": os.path.dirname(sys.executable), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1", "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/scratch/.config/matplotlib", "IPYTHONDIR": "/scratch/.ipython",
        "JUPYTER_CONFIG_DIR": "/scratch/.jupyter", "JUPYTER_DATA_DIR": "/scratch/.local/share/jupyter",
        "JUPYTER_RUNTIME_DIR": "/scratch/.runtime", "JUPYTER_PLATFORM_DIRS": "1",
        "XDG_CACHE_HOME": "/scratch/.cache", "XDG_CONFIG_HOME": "/scratch/.config", "TMPDIR": "/tmp",
        "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        "CHANCONV_DEVICE": "cpu", "CUDA_VISIBLE_DEVICES": "", "CHANCONV_GRADING": "1",
    }
    env.update(extra or {})
    return env


def hook_config(protection) -> dict:
    """The audit hook's paths ($SCRATCH and $TMPDIR are filled in inside)."""
    from chanconv.exercises import sandbox

    read = sandbox.python_environment() + ["/dev", "/proc/self", "/proc/cpuinfo", "/sys/devices/system/cpu"]
    write = ["$SCRATCH", "/dev/null"]
    if protection.namespaces:
        write += ["$TMPDIR", "/dev/shm"]
    return {"read": read, "write": write}


def _limits(opts: Options, seconds: float):
    from chanconv.exercises.sandbox import Limits

    return Limits(memory_bytes=int(opts.memory_gib * 2**30), cpu_seconds=int(seconds) + 60)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass


def run_notebook(cells: list[str], names: list[str], opts: Options, protection, variant_env: str | None) -> dict:
    """Run the code cells in the sandbox; the worker's report (student-controlled data) or a failure."""
    from chanconv.exercises import sandbox

    box = Path(tempfile.mkdtemp(prefix="chanconv-grade-"))
    try:
        inbox = box / "inbox"
        inbox.mkdir()
        nonce = os.urandom(16).hex()
        config = {"cells": cells, "nonce": nonce, "cell_seconds": opts.cell_seconds,
                  "budget_seconds": opts.notebook_seconds,
                  "install": {"names": names, "cell_seconds": opts.cell_seconds, "hook": hook_config(protection)}}
        (inbox / "config.json").write_text(json.dumps(config), encoding="utf-8")
        hard = opts.notebook_seconds + opts.cell_seconds + 420
        env = sandbox_env({"CHANCONV_STUDENT": variant_env} if variant_env else None)
        argv = sandbox.command([sys.executable, "-m", "chanconv.exercises.notebook_run", "/scratch/config.json"],
                               box, protection, env, _limits(opts, hard), inbox=inbox)
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=hard)
        except subprocess.TimeoutExpired:
            _kill(proc)
            return {"failed": f"the grader had to stop the notebook after {hard} s"}
        finally:
            _kill(proc)
        for line in reversed(out[:MAX_RESULT_BYTES].decode("utf-8", "replace").splitlines()):
            if line.startswith(nonce):
                try:
                    report = json.loads(line[len(nonce):])
                except ValueError:
                    break
                return report if isinstance(report, dict) else {"failed": "the notebook's run sent no report"}
        return {"failed": f"the notebook's run sent no report (exit status {proc.returncode})"}
    finally:
        shutil.rmtree(box, ignore_errors=True)


def runner_argv(protection, opts: Options, box: Path) -> list[str]:
    from chanconv.exercises import sandbox

    env = sandbox_env({"CHANCONV_RUNNER_CONFIG": json.dumps({"hook": hook_config(protection)})})
    return sandbox.command([sys.executable, "-m", "chanconv.exercises.runner"], box, protection, env,
                           _limits(opts, 3600))


# ------------------------------------------------------------------------------------------------
# checking, here
def check(answers: dict, variant: str | None, runner) -> list[dict]:
    """Every exercise's verdict on the decoded answers; student functions go through ``runner``."""
    from chanconv.exercises import answers as answers_mod
    from chanconv.exercises import checkers, set_student
    from chanconv.exercises.verdicts import ERROR, Verdict, quiet, reset

    reset()
    set_student(variant)
    rows = []
    with quiet():
        for ex in exercise_table():
            functions = {n: answers.get(n) for n in ex.names if isinstance(answers.get(n), answers_mod.FunctionAnswer)}
            remotes = runner.exercise(functions) if functions else {}
            args = [remotes.get(n, answers.get(n)) for n in ex.names]
            try:
                v = ex.check(*args)
            except BaseException as err:  # noqa: BLE001 - a checker's own failure: say so, go on
                v = Verdict(ex.id, ERROR, f"the checker failed ({checkers.error_type(err)}): tell the instructor")
            finally:
                if functions:
                    runner.end_exercise()
            rows.append({"exercise": ex.id, "title": ex.title, "status": v.status,
                         "message": sanitize(v.message), "max": ex.points})
    set_student(None)
    return rows


CELL_WORDS = {
    "timeout": "a cell of this exercise ran past {cell} s and was interrupted",
    "budget": "a cell of this exercise was interrupted: the notebook's time budget ({budget} s) ran out",
    "stuck": "a cell of this exercise could not be stopped; the kernel was killed there",
    "died": "the kernel died in a cell of this exercise",
    "skipped": "not run: the notebook's time budget ({budget} s) was spent before this exercise's cells",
    "not run": "not run: the kernel had been stopped at an earlier cell",
}


def apply_cell_fates(rows: list[dict], cells: list[tuple[str, list[str]]], fates: list[dict], opts: Options) -> None:
    """What failed cells cost: only the exercises they hold (see the module's docstring)."""
    from chanconv.exercises.answers import safe_type_name

    reasons: dict[str, str] = {}
    for (_, exercises), fate in zip(cells, fates):
        status = fate.get("status") if isinstance(fate, dict) else "not run"
        if status == "ok":
            continue
        if status == "error":
            reason = f"your cell raised {safe_type_name(fate.get('ename'))}"
        else:
            reason = CELL_WORDS.get(status, CELL_WORDS["not run"]).format(cell=opts.cell_seconds,
                                                                          budget=opts.notebook_seconds)
        for ex in exercises:
            reasons.setdefault(ex, reason)
    for row in rows:
        reason = reasons.get(row["exercise"])
        if reason is None or row["status"] == "right":
            continue
        if row["status"] == "not answered":
            row["status"], row["message"] = "error", reason
        else:
            row["message"] = sanitize(f"{row['message']} (also: {reason})")


def grade_submission(path: str, ident: dict, opts: Options, protection) -> dict:
    """Grade one file; never raises. ``ident``: :class:`identity.Identity` as a dict."""
    from chanconv.exercises import answer_names
    from chanconv.exercises.answers import AnswerTooLarge, decode
    from chanconv.exercises.runner import Runner

    t0 = time.monotonic()
    table = exercise_table()
    ident = identity_mod.Identity(**ident)

    def done(rows, notes=()):
        for r in rows:
            r["points"] = r["max"] if r["status"] == "right" else 0
        return {"file": ident.file, "identity": asdict(ident), "rows": rows, "notes": list(notes),
                "seconds": time.monotonic() - t0}

    def all_error(reason):
        return done([{"exercise": e.id, "title": e.title, "status": "error", "message": reason, "max": e.points}
                     for e in table])

    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        return all_error(f"cannot read the file ({type(err).__name__})")
    nb, why = load(raw)
    if nb is None:
        return all_error(why)
    cells = code_cells(nb, table)
    report = run_notebook([src for src, _ in cells], answer_names(), opts, protection,
                          ident.variant if opts.variant_from_id else None)
    if "failed" in report:
        return all_error(sanitize(report["failed"]))
    notes = []
    if report.get("kernel") != "ok":
        return all_error(sanitize(str(report.get("kernel"))))
    snapshot = report.get("snapshot") if isinstance(report.get("snapshot"), dict) else {}
    raw_answers = snapshot.get("answers") if isinstance(snapshot.get("answers"), dict) else {}
    try:
        answers = {name: decode(raw_answers.get(name, {"t": "none"})) for name in answer_names()}
    except AnswerTooLarge:
        answers = {}
        notes.append("the notebook's answers were larger than the grader reads")
    identity_mod.after_run(ident, snapshot.get("student"))
    box = Path(tempfile.mkdtemp(prefix="chanconv-runner-"))
    runner = Runner(runner_argv(protection, opts, box), call_seconds=opts.call_seconds)
    try:
        rows = check(answers, ident.variant, runner)
    finally:
        runner.close()
        shutil.rmtree(box, ignore_errors=True)
    fates = report.get("cells") if isinstance(report.get("cells"), list) else []
    fates = (fates + [{"status": "not run"}] * len(cells))[:len(cells)]
    apply_cell_fates(rows, cells, fates, opts)
    counts = {}
    for f in fates:
        counts[f.get("status", "?") if isinstance(f, dict) else "?"] = counts.get(
            f.get("status", "?") if isinstance(f, dict) else "?", 0) + 1
    result = done(rows, notes)
    result["cells"] = counts
    return result
