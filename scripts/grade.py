"""Grade a class: every submitted notebook 7, checked where the students' code cannot reach.

    python scripts/grade.py SUBMISSIONS [--out DIR] [--roster CSV] [-j N]
                            [--cell-timeout S] [--notebook-timeout S] [--unsafe] [--variant-from-id]
    make grade SUBMISSIONS=dir [ROSTER=roster.csv] [JOBS=2] [CELL_TIMEOUT=60] [NOTEBOOK_TIMEOUT=600] [UNSAFE=1]

Every ``*.ipynb`` in SUBMISSIONS is one student's notebook, whatever its name (LMS downloads such
as ``smithjohn_12345_678_07_exercises.ipynb`` are fine). For each:

* **who**: the notebook's own ``set_student("...")``, else the file name through the optional
  roster (a CSV with ``student_id,lms_id[,name]``), else the file name; the variant of the numbers
  is the ``set_student`` id (or the course's default numbers without one). Mismatches are flagged
  in the summary, never resolved silently (``scripts/grading/identity.py``).
* **run, contained**: the notebook's code cells run top to bottom in a fresh kernel inside a
  sandbox (``chanconv.exercises.sandbox``: user, mount, PID, network and IPC namespaces; a tmpfs
  root with a read-only bind of only the Python environment; no network; no capabilities;
  Landlock and an audit hook as further layers), from a private copy, with a scrubbed environment.
  Each cell has a time limit, the notebook a budget; what fails costs only its exercises. The
  kernel's only output is the answers, as plain data (functions as source).
* **checked, here**: this process runs the checkers of ``chanconv.exercises`` on those answers;
  each student function is re-run in a second fresh sandbox on the checker's inputs, the
  references computed here. Nothing in the student's kernel can change a verdict.

Where there are no namespaces (macOS; Linux that restricts unprivileged user namespaces) the
grader refuses and says why; ``--unsafe`` grades anyway and lists what it gives up.

Writes OUT/grades.csv (one row per student: student_id, lms_id, name, file, points per exercise,
total, max, flags), OUT/grades_long.csv (one row per student and exercise: status, points, the
checker's words), OUT/summary.html (printable: counts, chart, flags, every verdict with its
detail), OUT/summary.png and OUT/written_answers.html (each written question with every
student's answer).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from grading import identity, reports, written  # noqa: E402
from grading.submission import Options, code_cells, exercise_table, grade_submission, load  # noqa: E402

STATUSES = reports.STATUSES
REFUSED = 3  # exit status when there is no sandbox and --unsafe was not given


def _worker_init(env_paths):
    from chanconv.exercises import sandbox

    sandbox._ENV_PATHS = list(env_paths)
    import chanconv.exercises.checkers  # noqa: F401 - torch and the checkers, once per worker


def _one(path, ident, opts, protection):
    """One notebook; a failure of the grader itself costs that notebook, not the class's run."""
    try:
        return grade_submission(str(path), ident, opts, protection)
    except Exception as err:  # noqa: BLE001 - reported in the summary, the run goes on
        reason = f"the grader failed on this notebook ({type(err).__name__}): grade it again, or by hand"
        rows = [{"exercise": e.id, "title": e.title, "status": "error", "message": reason, "max": e.points,
                 "points": 0} for e in exercise_table()]
        return {"file": Path(path).name, "identity": ident, "rows": rows, "notes": [reason], "seconds": 0.0}


def refusal(protection) -> str:
    return ("make grade refuses to run: there is no sandbox here.\n"
            f"  why: {protection.why_not}\n"
            "  A submitted notebook is code from someone else: without the sandbox it could read the other "
            "submissions and the model solutions, and write anywhere you can.\n"
            "  To grade anyway, accept what that gives up: make grade ... UNSAFE=1 (scripts/grade.py --unsafe).\n"
            "  --unsafe would give up:\n" + "".join(f"    - {g}\n" for g in protection.gives_up()))


def grade_folder(submissions: Path, out: Path, opts: Options | None = None, jobs: int = 1, roster: Path | None = None,
                 unsafe: bool = False, log=print) -> list[dict]:
    """Grade every notebook in ``submissions``; write the reports to ``out``; return the results.

    Raises SystemExit(REFUSED) with the reason when there is no sandbox and ``unsafe`` is False."""
    from chanconv.exercises import sandbox

    opts = opts or Options()
    protection = sandbox.probe()
    if not protection.contained and not unsafe:
        log(refusal(protection))
        raise SystemExit(REFUSED)
    if not protection.contained:
        log("WARNING: grading without a sandbox (--unsafe). " + protection.describe())
        for g in protection.gives_up():
            log(f"  - gives up: {g}")
    table = exercise_table()
    the_roster = identity.Roster.read(roster) if roster else None
    files = sorted(p for p in submissions.glob("*.ipynb") if p.is_file())
    idents, written_by_file = {}, {}
    for path in files:
        try:
            nb, _ = load(path.read_bytes())
        except OSError:
            nb = None
        cells = [src for src, _ in code_cells(nb, table)] if nb is not None else []
        idents[path] = identity.resolve(path.name, cells, the_roster, opts.variant_from_id)
        written_by_file[path.name] = written.answers(nb, table)
    t0 = time.monotonic()
    env_paths = sandbox.python_environment()
    results = []

    def report(r):
        right = sum(row["status"] == "right" for row in r["rows"])
        total, most = reports._total(r)
        log(f"{r['file']} -> {r['identity']['student_id']}: {right}/{len(r['rows'])} right, "
            f"{total:g}/{most:g} points ({r['seconds']:.0f} s)")

    if jobs <= 1:
        _worker_init(env_paths)
        for path in files:
            r = _one(path, asdict(idents[path]), opts, protection)
            report(r)
            results.append(r)
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init,
                                 initargs=(env_paths,)) as pool:
            futures = {pool.submit(_one, path, asdict(idents[path]), opts, protection): path for path in files}
            for fut in as_completed(futures):
                r = fut.result()
                report(r)
                results.append(r)
    results.sort(key=lambda r: (r["identity"]["student_id"], r["file"]))
    all_idents = [identity.Identity(**r["identity"]) for r in results]
    identity.flag_duplicates(all_idents)
    for r, ident in zip(results, all_idents):
        r["identity"] = asdict(ident)
    elapsed = time.monotonic() - t0
    header = {"elapsed": f"{elapsed:.0f} s", "jobs": f"{jobs} worker{'s' if jobs != 1 else ''}",
              "cell_seconds": opts.cell_seconds, "notebook_seconds": opts.notebook_seconds,
              "protection": protection.describe(), "gives_up": protection.gives_up()}
    reports.write_all(results, out, table, header, written.questions(table), written_by_file)
    log(f"graded {len(results)} notebooks in {elapsed:.0f} s with {jobs} worker(s)")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", type=Path, help="a folder of submitted notebooks (*.ipynb)")
    parser.add_argument("--out", type=Path, default=None, help="where the reports go (default: _build/grades)")
    parser.add_argument("--roster", type=Path, default=None, help="CSV with student_id,lms_id[,name]")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="notebooks graded in parallel (default 1)")
    parser.add_argument("--cell-timeout", type=int, default=60, help="seconds per cell (default 60)")
    parser.add_argument("--notebook-timeout", type=int, default=600,
                        help="seconds for all the cells of a notebook together (default 600); the cells after "
                             "it are skipped, what ran still counts")
    parser.add_argument("--call-timeout", type=float, default=20.0,
                        help="seconds for one call of a student's function by a checker (default 20)")
    parser.add_argument("--variant-from-id", action="store_true",
                        help="students' kernels had CHANCONV_STUDENT set to their id: grade notebooks without "
                             "set_student on that id's numbers (default: the course's default numbers)")
    parser.add_argument("--unsafe", action="store_true",
                        help="grade even where there is no sandbox (no user namespaces); says what it gives up")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder")
    if args.jobs < 1 or args.cell_timeout < 1 or args.notebook_timeout < 1:
        parser.error("-j, --cell-timeout and --notebook-timeout take positive numbers")
    out = args.out or ROOT / "_build" / "grades"
    opts = Options(cell_seconds=args.cell_timeout, notebook_seconds=args.notebook_timeout,
                   call_seconds=args.call_timeout, variant_from_id=args.variant_from_id)
    try:
        results = grade_folder(args.submissions, out, opts, args.jobs, args.roster, args.unsafe)
    except ValueError as err:  # a roster that cannot be read
        parser.error(str(err))
    if not results:
        print(f"no *.ipynb in {args.submissions}")
    print(f"wrote {out / 'grades.csv'}, grades_long.csv, summary.html and written_answers.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
