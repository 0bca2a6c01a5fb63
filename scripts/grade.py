"""Grade a class: run every student notebook of exercise 7 and write grades.csv and a summary.

    python scripts/grade.py SUBMISSIONS [--out DIR] [--timeout SECONDS]      (make grade SUBMISSIONS=dir)

Every ``*.ipynb`` in SUBMISSIONS is one student's notebook; the student id is the file name
without ``.ipynb`` (it also picks the student's variant of the numbers, as
``chanconv.exercises.set_student`` does). Each notebook is copied to its own scratch folder and
executed there in a fresh kernel, top to bottom, errors allowed (one failing cell does not hide
the other exercises), with a time limit per cell and per notebook, its printed output capped,
and no network. Then, in the same kernel, ``chanconv.exercises.grade`` runs every checker on the
student's answers and hands back a structured result (a display of MIME type
``application/vnd.chanconv.grades+json``), which the grader reads; nothing printed is parsed.

Isolation, in layers: where the kernel can be given its own user, mount and network namespaces
(``unshare -rmn``), everything but the scratch folder is mounted read-only and there is no network
at all; in any case an audit hook installed before the student's first cell refuses writes,
deletions and renames outside the scratch folder, sockets, subprocesses and signals to other
processes; files the kernel writes are capped in size. A notebook that raises, loops forever,
prints megabytes or is not JSON gets ``error`` with the reason; the run goes on.

Writes OUT/grades.csv (student, exercise, status, detail; status one of right / not yet / error /
not answered), OUT/summary.html (one page: how many got each exercise right, a bar chart,
each student's line) and OUT/summary.png (the chart).
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIME = "application/vnd.chanconv.grades+json"
MAX_NOTEBOOK_BYTES = 20_000_000
OUTPUT_CHARS = 200_000  # printed output kept per notebook; the rest is dropped
FILE_BYTES = 64 * 2**20  # the largest file the kernel may write
STATUSES = ("right", "not yet", "error", "not answered")


def exercise_ids() -> list[tuple[str, str, tuple[str, ...]]]:
    sys.path.insert(0, str(ROOT))
    from chanconv.exercises import EXERCISES

    return [(ex, title, names) for ex, (title, _, names) in EXERCISES.items()]


# ------------------------------------------------------------------------------------------------
# the cells the grader adds around the student's: sandbox first, grading last
SANDBOX = r'''
def _chanconv_grading_sandbox(root, limit):
    import os, sys
    root = os.path.realpath(root)
    WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    me = os.getpid()
    AT_DIR_FD = {"os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.utime", "shutil.rmtree"}
    # what the course imports, loaded before the hook (their shared libraries come through ctypes)
    import IPython.display, matplotlib, matplotlib.pyplot, numpy, torch, torch.nn.functional  # noqa: F401
    import chanconv, chanconv.exercises, chanconv.course.figures  # noqa: F401

    def inside(path, dir_fd=None):
        if isinstance(path, int):
            return True  # an open file descriptor: opening it was checked
        try:
            path = os.fsdecode(path)
        except TypeError:
            return False
        base = os.getcwd() if dir_fd is None else os.readlink(f"/proc/self/fd/{dir_fd}")
        full = os.path.realpath(os.path.join(base, path))
        return full == root or full.startswith(root + os.sep) or full == "/dev/null"

    def deny(what):
        raise PermissionError(f"not allowed while grading: {what}")

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(flags, int) and flags & WRITE) or (
                isinstance(mode, str) and any(c in mode for c in "wax+"))
            if writing and not inside(path):
                deny(f"writing {path!r} (outside the scratch folder)")
        elif event in ("os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.utime", "shutil.rmtree",
                       "os.truncate", "os.setxattr", "os.removexattr", "os.chflags", "os.lchflags"):
            dir_fd = args[-1] if event in AT_DIR_FD and len(args) > 1 else None
            dir_fd = dir_fd if isinstance(dir_fd, int) and dir_fd >= 0 else None
            if not inside(args[0], dir_fd):
                deny(f"{event} on {args[0]!r} (outside the scratch folder)")
        elif event in ("os.rename", "os.link", "os.symlink"):
            if not (inside(args[0]) and inside(args[1])):
                deny(f"{event} {args[0]!r} -> {args[1]!r} (outside the scratch folder)")
        elif event.startswith("socket.") and event not in ("socket.__new__",):
            deny("the network")
        elif event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                       "os.forkpty", "pty.spawn", "ctypes.dlopen", "ctypes.dlsym", "resource.setrlimit",
                       "os.startfile", "webbrowser.open", "sys.addaudithook", "os.killpg"):
            deny(event)
        elif event == "os.kill" and args[0] != me:
            deny("signals to other processes")

    sys.dont_write_bytecode = True
    sys.addaudithook(hook)

    # every cell gets a time limit, from inside the kernel (an alarm raising a BaseException)
    import signal

    class CellTimeLimit(BaseException):
        pass

    def on_alarm(signum, frame):
        raise CellTimeLimit(f"the cell ran past {limit} s")

    def start(*args):
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)

    def stop(*args):
        signal.setitimer(signal.ITIMER_REAL, 0)

    get_ipython().events.register("pre_run_cell", start)  # noqa: F821 - the kernel's
    get_ipython().events.register("post_run_cell", stop)  # noqa: F821


_chanconv_grading_sandbox(__ROOT__, __LIMIT__)
del _chanconv_grading_sandbox
'''

GRADING = r'''
def _chanconv_grade_all(answers):
    import importlib
    import signal

    import IPython.display
    signal.setitimer(signal.ITIMER_REAL, 0)  # each checker limits the student's functions itself
    for name in ("verdicts", "variants", "probes", "checkers"):  # undo any patching by the notebook
        importlib.reload(importlib.import_module("chanconv.exercises." + name))
    ex = importlib.reload(importlib.import_module("chanconv.exercises"))
    rows = ex.grade(answers, student_id={student!r})
    IPython.display.display({{{mime!r}: {{"nonce": {nonce!r}, "rows": rows}}}}, raw=True)


_chanconv_grade_all(dict(globals()))
'''


def exercise_of_cell(source: str, section: list[str], table) -> list[str]:
    """The exercises a student's cell belongs to: those whose answer names it assigns or defines,
    else those of the section (the ``## Exercise N`` heading above it)."""
    hits = [ex for ex, _, names in table
            if any(re.search(rf"(^|\n)\s*(def\s+)?{re.escape(n)}\b\s*(\(|=|,)", source) for n in names)]
    return hits or section


def section_of(markdown: str, table) -> list[str] | None:
    m = re.search(r"^#+\s*(?:Beyond the book \(exercise (\d+)\)|Exercise (\d+))(.*)$", markdown, re.M)
    if not m:
        return None
    num = m.group(1) or m.group(2)
    ids = [ex for ex, _, _ in table if ex.rstrip("ab") == num]
    if num == "1" and "converse" in m.group(3):
        ids = ["1b"]
    return ids


# ------------------------------------------------------------------------------------------------
def loopback_up() -> None:
    """Bring the loopback interface up (the kernel talks to its client over 127.0.0.1); no-op if it
    is up already or this process may not change it."""
    import fcntl
    import socket
    import struct

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, struct.pack("16sH", b"lo", 0))[:18])[1]  # GET
            if not flags & 1:
                fcntl.ioctl(s, 0x8914, struct.pack("16sH", b"lo", flags | 1))  # SIOCSIFFLAGS: IFF_UP
    except OSError:
        pass


def run_worker(nb_path: Path, work: Path, student: str, cell_timeout: int, nonce: str, table) -> dict:
    """In the child process: execute the notebook with the sandbox and grading cells added."""
    import signal

    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    # a kernel started from a shell's background job inherits SIGINT ignored, and then nothing
    # can interrupt an endless loop: give it the default back
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_BYTES, FILE_BYTES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass

    nb = nbformat.read(nb_path, as_version=4)
    student_cells = list(nb.cells)
    new = nbformat.v4.new_code_cell
    sandbox = SANDBOX.replace("__ROOT__", repr(str(work))).replace("__LIMIT__", str(cell_timeout))
    nb.cells = [new(sandbox)] + student_cells + [new(GRADING.format(mime=MIME, nonce=nonce, student=student))]
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs = []

    class Capped(NotebookClient):
        printed = 0

        def output(self, outs, msg, display_id, cell_index):
            if cell_index != len(nb.cells) - 1 and msg["msg_type"] != "error":  # errors and grading: kept
                size = len(json.dumps(msg.get("content", {})))
                self.printed += size
                if self.printed > OUTPUT_CHARS:
                    return None
            return super().output(outs, msg, display_id, cell_index)

    specs = work.parent / "kernels" / "grader"
    specs.mkdir(parents=True, exist_ok=True)
    (specs / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "grader", "language": "python"}))
    ksm = KernelSpecManager(kernel_dirs=[str(specs.parent)])
    loopback_up()  # in a fresh network namespace only lo exists, and it is down
    os.environ["JUPYTER_RUNTIME_DIR"] = str(work.parent / "runtime")  # the connection file: inside scratch
    km = KernelManager(kernel_name="grader", kernel_spec_manager=ksm)
    client = Capped(nb, km=km, timeout=cell_timeout + 30, allow_errors=True, interrupt_on_timeout=True,
                    record_timing=False, resources={"metadata": {"path": str(work)}})
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(HOME=str(work), TMPDIR=str(work), MPLCONFIGDIR=str(work / ".mpl"), MPLBACKEND="Agg",
               PYTHONDONTWRITEBYTECODE="1", CHANCONV_DEVICE="cpu", CHANCONV_STUDENT=student,
               OMP_NUM_THREADS="1", JUPYTER_RUNTIME_DIR=str(work.parent / "runtime"),
               IPYTHONDIR=str(work / ".ipython"))
    died = None
    try:
        client.execute(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except DeadKernelError as err:
        died = f"the kernel died ({str(err).splitlines()[0][:200] if str(err) else 'killed'})"
    except Exception as err:  # nbclient itself failed on this notebook
        died = f"could not run the notebook: {type(err).__name__}: {str(err)[:200]}"

    if os.environ.get("CHANCONV_GRADE_DEBUG"):  # keep the executed notebook beside the scratch copy
        nbformat.write(nb, work.parent / "executed.ipynb")
    # the errors of the student's cells, by exercise
    cell_errors: dict[str, str] = {}
    section: list[str] = []
    timed_out = False
    for cell in nb.cells[1:-1]:
        if cell.cell_type == "markdown":
            section = section_of(cell.source, table) or section
            continue
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                reason = f"{out.get('ename')}: {str(out.get('evalue'))[:200]}"
                if out.get("ename") in ("KeyboardInterrupt", "CellTimeLimit"):
                    reason, timed_out = f"a cell ran past {cell_timeout} s and was interrupted", True
                for ex in exercise_of_cell(cell.source, section, table):
                    cell_errors.setdefault(ex, reason)
    rows = None
    for out in nb.cells[-1].get("outputs", []):
        data = out.get("data", {}).get(MIME)
        if data is not None:
            data = json.loads(data) if isinstance(data, str) else data
            if data.get("nonce") == nonce:
                rows = data["rows"]
    if rows is None:
        reason = died or "the grading step did not run (" + (
            "a cell could not be interrupted" if timed_out else "the notebook stopped the kernel") + ")"
        return {"rows": [{"exercise": ex, "status": "error", "message": reason} for ex, _, _ in table]}
    final = []
    for row in rows:
        ex = row["exercise"]
        if row["status"] != "right" and ex in cell_errors:
            row = {**row, "status": "error", "message": "your cell raised " + cell_errors[ex]
                   if not cell_errors[ex].startswith("a cell ran") else cell_errors[ex]}
        final.append({"exercise": ex, "status": row["status"], "message": row["message"]})
    return {"rows": final}


# ------------------------------------------------------------------------------------------------
def can_unshare() -> bool:
    if not shutil.which("unshare") or not shutil.which("mount"):
        return False
    probe = tempfile.mkdtemp(prefix="chanconv-grade-probe-")
    try:  # the namespaces, and a bind mount inside them, as jailed() uses them
        return subprocess.run(["unshare", "-rmn", "sh", "-c", 'mount --bind "$0" "$0"', probe],
                              capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def jailed(cmd: list[str], scratch: Path) -> list[str]:
    """cmd inside new user, mount and network namespaces: every mount read-only but ``scratch``."""
    script = r'''
set -e
mount --bind "$1" "$1"
for m in $(awk '{print $2}' /proc/self/mounts | sort -u); do
  case "$m" in /proc*|/sys*|/dev|/dev/pts|"$1"|"$1"/*) continue;; esac
  mount -o remount,bind,ro "$m" 2>/dev/null || true
done
shift
exec "$@"
'''
    return ["unshare", "-rmn", "sh", "-c", script, "jail", str(scratch), *cmd]


def grade_one(path: Path, timeout: int, cell_timeout: int, sandbox: bool, table) -> dict:
    """Grade one submission; never raises. Returns {"student", "rows", "seconds"}."""
    student = path.stem
    t0 = time.monotonic()

    def all_error(reason):
        return {"student": student, "seconds": time.monotonic() - t0,
                "rows": [{"exercise": ex, "status": "error", "message": reason} for ex, _, _ in table]}

    try:
        raw = path.read_bytes()
    except OSError as err:
        return all_error(f"cannot read the file: {err}")
    if len(raw) > MAX_NOTEBOOK_BYTES:
        return all_error(f"the file is {len(raw):,} bytes, more than {MAX_NOTEBOOK_BYTES:,}")
    try:
        import nbformat

        nbformat.reads(raw.decode("utf-8"), as_version=4)
    except UnicodeDecodeError:
        return all_error("not a notebook: the file is not UTF-8 text")
    except json.JSONDecodeError as err:
        return all_error(f"not a notebook: not JSON ({err.msg} at line {err.lineno})")
    except Exception as err:
        return all_error(f"not a notebook: {type(err).__name__}: {str(err)[:200]}")

    scratch = Path(tempfile.mkdtemp(prefix="chanconv-grade-"))
    try:
        work = scratch / "work"
        work.mkdir()
        (work / "submission.ipynb").write_bytes(raw)
        nonce = os.urandom(16).hex()
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(work / "submission.ipynb"),
               student, str(cell_timeout), nonce]
        if sandbox:
            cmd = jailed(cmd, scratch)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=scratch)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            return all_error(f"timed out: the notebook ran past {timeout} s")
        finally:
            kill_group(proc)  # a kernel left behind goes too
        lines = [ln for ln in out.decode("utf-8", "replace").splitlines() if ln.startswith(nonce)]
        if not lines:
            return all_error(f"the grader's worker failed (exit code {proc.returncode})")
        result = json.loads(lines[-1][len(nonce):])
        return {"student": student, "rows": result["rows"], "seconds": time.monotonic() - t0}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, 9)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


# ------------------------------------------------------------------------------------------------
def write_csv(results: list[dict], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "exercise", "status", "detail"])
        for r in results:
            for row in r["rows"]:
                w.writerow([r["student"], row["exercise"], row["status"], row["message"]])


def write_summary(results: list[dict], out: Path, table, sandbox: bool) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ids = [ex for ex, _, _ in table]
    counts = {s: [sum(1 for r in results for row in r["rows"] if row["exercise"] == ex and row["status"] == s)
                  for ex in ids] for s in STATUSES}
    colours = {"right": "#2a9d3f", "not yet": "#e9a23b", "error": "#c0392b", "not answered": "#b0b0b0"}
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=110)
    bottom = [0] * len(ids)
    for s in STATUSES:
        ax.bar(ids, counts[s], bottom=bottom, color=colours[s], label=s, edgecolor="white", linewidth=0.5)
        bottom = [b + c for b, c in zip(bottom, counts[s])]
    ax.set_xlabel("exercise")
    ax.set_ylabel("students")
    ax.set_ylim(0, max(len(results), 1))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"Exercises of notebook 7: {len(results)} notebooks")
    ax.legend(ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
    fig.tight_layout()
    fig.savefig(out / "summary.png")
    plt.close(fig)

    import base64

    png = base64.b64encode((out / "summary.png").read_bytes()).decode()
    rows = "".join(
        f"<tr><td>{html.escape(ex)}</td><td>{html.escape(title)}</td>"
        + "".join(f"<td>{counts[s][i]}</td>" for s in STATUSES) + "</tr>"
        for i, (ex, title, _) in enumerate(table))
    marks = {"right": "✓", "not yet": "✗", "error": "!", "not answered": "·"}
    students = "".join(
        f"<tr><td>{html.escape(r['student'])}</td>"
        + "".join(f"<td title='{html.escape(row['message'], quote=True)}'>{marks[row['status']]}</td>"
                  for row in r["rows"])
        + f"<td>{sum(row['status'] == 'right' for row in r['rows'])}/{len(r['rows'])}</td></tr>"
        for r in results)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Grades: notebook 7</title>
<style>body{{font:14px sans-serif;max-width:60em;margin:1em auto}} table{{border-collapse:collapse;margin:.5em 0}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:center}} td:nth-child(2){{text-align:left}}</style></head>
<body><h1>Grades: exercises of notebook 7</h1>
<p>{len(results)} notebooks graded; isolation: {"read-only file system, no network (namespaces) and audit hook"
     if sandbox else "audit hook only (no user namespaces here)"}. Details per row: grades.csv.</p>
<img src="data:image/png;base64,{png}" alt="how many students got each exercise right" width="720">
<table><tr><th>exercise</th><th>what</th>{"".join(f"<th>{s}</th>" for s in STATUSES)}</tr>{rows}</table>
<h2>Students</h2><p>✓ right, ✗ not yet, ! error, · not answered (hover for the detail)</p>
<table><tr><th>student</th>{"".join(f"<th>{html.escape(ex)}</th>" for ex in ids)}<th>right</th></tr>{students}
</table></body></html>"""
    (out / "summary.html").write_text(page, encoding="utf-8")


def grade_folder(submissions: Path, out: Path, timeout: int = 180, cell_timeout: int = 60,
                 sandbox: bool | None = None, log=print) -> list[dict]:
    table = exercise_ids()
    sandbox = can_unshare() if sandbox is None else sandbox
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for path in sorted(submissions.glob("*.ipynb")):
        r = grade_one(path, timeout, min(cell_timeout, timeout), sandbox, table)
        results.append(r)
        right = sum(row["status"] == "right" for row in r["rows"])
        log(f"{r['student']}: {right}/{len(r['rows'])} right ({r['seconds']:.0f} s)")
    write_csv(results, out / "grades.csv")
    write_summary(results, out, table, sandbox)
    return results


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        nb_path, student, cell_timeout, nonce = Path(argv[1]), argv[2], int(argv[3]), argv[4]
        result = run_worker(nb_path, nb_path.parent, student, cell_timeout, nonce, exercise_ids())
        sys.stdout.write(nonce + json.dumps(result) + "\n")
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="a folder of student notebooks, STUDENT.ipynb each")
    parser.add_argument("--out", type=Path, default=None, help="where grades.csv and the summary go "
                                                               "(default: _build/grades)")
    parser.add_argument("--timeout", type=int, default=180, help="seconds per notebook (default 180)")
    parser.add_argument("--cell-timeout", type=int, default=60, help="seconds per cell (default 60)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder")
    out = args.out or ROOT / "_build" / "grades"
    results = grade_folder(args.submissions, out, args.timeout, args.cell_timeout)
    if not results:
        print(f"no *.ipynb in {args.submissions}")
    print(f"wrote {out / 'grades.csv'} and {out / 'summary.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
