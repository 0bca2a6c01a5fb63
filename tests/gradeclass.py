"""A generated class of notebook-7 submissions for the grader's tests (tests/test_grade*.py).

Honest notebooks (right, blank, wrong, a syntax error, an endless loop, not JSON, stray loops, a
cell that cannot be stopped), LMS-renamed files with ``set_student`` and a roster, and hostile
notebooks: each attack of issue 21 and more. A hostile notebook signals whether an attack was
contained through its *answers*: an exercise's answer is right only if the attack failed, so the
grade itself reports the outcome; writes are checked on the files themselves.
"""

from __future__ import annotations

import csv
import hashlib
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import editions  # noqa: E402
from grading.demo_class import COSTS, IM2ROW, WRONG, model, student_notebook  # noqa: E402, F401
from grading.written import PLACEHOLDERS  # noqa: E402

from chanconv.exercises import EXERCISES  # noqa: E402

IDS = list(EXERCISES)


def answered_by(answers: dict) -> list[str]:
    """The exercises a set of answers (first blank name -> source) answers: an exercise added to
    EXERCISES without a model answer here is simply not answered, and the tests stay true."""
    firsts = {e.id: e.names[0] for e in EXERCISES.values()}
    return [ex for ex in IDS if firsts[ex] in answers]


def full(answers: dict | None = None) -> dict:
    """The statuses of a notebook that answers everything the model answers, right."""
    done = answered_by(answers if answers is not None else model())
    return {ex: "right" if ex in done else "not answered" for ex in IDS}


def written(nb, text_by_prompt: dict) -> None:
    """Fill the ✍ cells: {a word of the prompt: the student's markdown}."""
    for c in nb.cells:
        if c.cell_type == "markdown" and c.source.lstrip().startswith("✍"):
            for word, text in text_by_prompt.items():
                if word in c.source:
                    for placeholder in PLACEHOLDERS:
                        c.source = c.source.replace(placeholder, text)


# the hostile notebooks ---------------------------------------------------------------------------
CHEATS = r'''
import importlib, json, os, IPython.display
import chanconv.exercises as ex, chanconv.exercises.checkers as ck, chanconv.exercises.answers as A
from chanconv.exercises.verdicts import Verdict
_display = IPython.display.display
def display(*objs, **kw):  # rewrite every row of any structured output to "right"
    def fix(o):
        if isinstance(o, dict):
            return {k: fix(v) for k, v in o.items()} | ({"status": "right"} if "status" in o else {})
        if isinstance(o, list):
            return [fix(v) for v in o]
        return o
    return _display(*[fix(o) for o in objs], **kw)
IPython.display.display = display
def _patch():  # every checker says right
    for mod in (ex, ck):
        for name in dir(mod):
            if name.startswith("check_"):
                setattr(mod, name, lambda *a, **k: Verdict("x", "right"))
    ex.grade = lambda ns, student_id=None: [{"exercise": e, "title": "", "status": "right", "message": ""} for e in ex.EXERCISES]
_patch()
_reload = importlib.reload
def _reload_and_patch(m):  # a grader that reloads the checkers gets them patched again
    out = _reload(m)
    _patch()
    return out
importlib.reload = _reload_and_patch
A.encode_answers = lambda ns, names: {n: {"t": "str", "v": "right"} for n in names}  # answers: all "right"
try:  # forge the runner's report line
    cfg = json.load(open("config.json"))
    line = cfg["nonce"] + json.dumps({"cells": [], "kernel": "ok", "snapshot": {"answers": {}}}) + "\n"
    os.write(os.open(f"/proc/{os.getppid()}/fd/1", os.O_WRONLY), line.encode())
except Exception:
    pass
'''

ALLCLOSE = {
    "X_differ": "X_differ, K_differ = torch.ones(2, 3, 3), torch.ones(4, 2, 1, 1)\ntorch.equal = lambda *a, **k: False",
    "conv_as_matmul": "def conv_as_matmul(X, K, stride, padding):\n"
                      "    torch.allclose = lambda *a, **k: True  # in the process that re-runs it\n"
                      "    (s_h, s_w), (p_h, p_w) = stride, padding\n"
                      "    m_h = (X.shape[2] + 2 * p_h - K.shape[2]) // s_h + 1\n"
                      "    m_w = (X.shape[3] + 2 * p_w - K.shape[3]) // s_w + 1\n"
                      "    return (torch.ones(1, 1) @ torch.ones(1, 1)).new_zeros(X.shape[0], K.shape[0], m_h, m_w)",
    "grouped_params": None,  # filled in: the model's numbers, a wrong separable
}


def intruder(paths: dict) -> str:
    """Kernel-level attacks; the answer of an exercise is right only if its attack failed."""
    return f'''
import os, socket, json
P = {paths!r}
got = {{}}
def attempt(name, fn):
    try:
        got[name] = fn()
    except BaseException:
        got[name] = None
attempt("classmate", lambda: open(P["ada"]).read())
attempt("instructor", lambda: open(P["instructor"]).read())
attempt("listing", lambda: os.listdir(P["class"]))
attempt("home", lambda: os.listdir(os.path.expanduser("~")) if "HOME" in os.environ else None)
attempt("connect", lambda: socket.create_connection(("127.0.0.1", P["port"]), timeout=3).close() or True)
attempt("kill", lambda: os.kill(P["victim"], 15) or True)
env_leak = os.environ.get("SUBMISSIONS") or os.environ.get("HOME")
# a classmate's code, executed here, would answer exercises 2, 4, 5 and 8
if got["classmate"]:
    for cell in json.loads(got["classmate"])["cells"]:
        if cell["cell_type"] == "code":
            try:
                exec("".join(cell["source"]), globals())
            except BaseException:
                pass
combined_kernel_size = (lambda k1, k2: k1 + k2 - 1) if not got["classmate"] else None
factor_double_channels, factor_double_padding = (4, (34 / 32) ** 2) if not got["instructor"] else (None, None)
reads_per_output = (lambda k, d: k * (k + d - 1) / d) if not (got["listing"] or got["home"] or env_leak) else None
speedup = (lambda c, b: b) if not (got["connect"] or got["kill"]) else None
# writes outside: the test looks at the files
import torch, sqlite3, _posixsubprocess, subprocess
attempt("torch.save", lambda: torch.save(torch.zeros(3), P["ada"]))
attempt("from_file", lambda: torch.from_file(P["sentinel"], shared=True, size=4, dtype=torch.uint8).fill_(33))
attempt("sqlite3", lambda: sqlite3.connect(P["dir"] + "/db.sqlite").execute("create table t (x)"))
attempt("mkfifo", lambda: os.mkfifo(P["dir"] + "/fifo"))
attempt("open", lambda: open(P["dir"] + "/new.txt", "w").write("x"))
attempt("remove", lambda: os.remove(P["sentinel"]))
def fork_exec(fe):
    r, w = os.pipe()
    pid = fe([b"/bin/sh", b"-c", ("rm -f " + P["sentinel"] + "; echo x > " + P["dir"] + "/shell.txt").encode()],
             [b"/bin/sh"], True, (), None, None, -1, -1, -1, -1, -1, -1, r, w, True, False, -1, None, None, None, -1,
             None, True)
    os.waitpid(pid, 0)
attempt("fork_exec", lambda: fork_exec(_posixsubprocess.fork_exec))
attempt("subprocess._fork_exec", lambda: fork_exec(subprocess._fork_exec))
attempt("system", lambda: os.system("rm -f " + P["sentinel"]))
'''


def intruder_fn(paths: dict) -> dict:
    """Attacks from inside functions, which the grader re-runs: right only if contained."""
    return {
        "combined_kernel_size": f'''import os
P = {paths!r}
def combined_kernel_size(k1, k2):
    for p in (P["ada"], P["instructor"]):
        try:
            open(p).read()
            return 0  # read: not contained
        except OSError:
            pass
    return k1 + k2 - 1''',
        "reads_per_output": f'''import os
P = {paths!r}
def reads_per_output(k, delta):
    try:
        os.listdir(P["class"])
        return 0
    except OSError:
        pass
    if os.environ.get("SUBMISSIONS") or os.environ.get("HOME"):
        return 0
    return k * (k + delta - 1) / delta''',
        "speedup": f'''import os, socket
P = {paths!r}
def speedup(c, b):
    try:
        socket.create_connection(("127.0.0.1", P["port"]), timeout=2).close()
        return 0
    except OSError:
        pass
    try:
        os.kill(P["victim"], 15)
        return 0
    except OSError:
        pass
    return b''',
        "forward_macs": COSTS + f'''
import os, torch, sqlite3
P = {paths!r}
_forward = forward_macs
def forward_macs(*a):
    for attack in (lambda: torch.save(torch.zeros(3), P["ada"]),
                   lambda: torch.from_file(P["sentinel"], shared=True, size=4, dtype=torch.uint8).fill_(33),
                   lambda: sqlite3.connect(P["dir"] + "/db2.sqlite").execute("create table t (x)"),
                   lambda: os.mkfifo(P["dir"] + "/fifo2"),
                   lambda: open(P["dir"] + "/new2.txt", "w").write("x"),
                   lambda: os.remove(P["sentinel"])):
        try:
            attack()
        except BaseException:
            pass
    return _forward(*a)''',
        "conv_as_matmul": IM2ROW.replace("def conv_as_matmul", f'''def _plant(f):  # runs when the grader rebuilds the function
    try:
        open({paths["dir"]!r} + "/planted.txt", "w").write("x")
    except OSError:
        pass
    return f

@_plant
def conv_as_matmul'''),
    }


LEAK = "LEAKMARKER"


def leaker() -> tuple[dict, list]:
    replace = {
        "combined_kernel_size": f"def combined_kernel_size(k1, k2):\n    raise ValueError('{LEAK}-1 ' + 'secret' * 20)",
        "middle_channels": f"middle_channels, counterexample, split = '{LEAK}-4', '{LEAK}-4b', None",
        "reads_per_output": f"class {LEAK}2Error(Exception):\n    pass\n"
                            f"def reads_per_output(k, d):\n    raise {LEAK}2Error('{LEAK}-2')",
        "conv_as_matmul": f"conv_as_matmul = lambda X, K, s, p: '{LEAK}-5'",
        "speedup": f"speedup = lambda c, b: [['{LEAK}-7']]",
    }
    extra = [(f"raise RuntimeError('{LEAK}-3')", "factor_double_channels"),
             (f"print('{LEAK}-6')\nclass {LEAK}7(Exception):\n    pass\nraise {LEAK}7('{LEAK}')", "X_differ")]
    return replace, extra


# the class ---------------------------------------------------------------------------------------
ROSTER = {"ada": "10001", "bob": "10002", "cy": "10003", "dee": "10004", "eve": "10005", "fay": "10006",
          "erin": "12345", "frank": "23456", "gail": "34567", "jane": "45678", "loops": "50001", "stuck": "50002",
          "cheats": "60001", "allclose": "60002", "intruder": "60003", "intruder_fn": "60004", "leaker": "60005"}
RENAMED = {"erin": "smitherin_12345_901234_07_exercises.ipynb", "frank": "jonesfrank_23456_901235_07_exercises.ipynb",
           "gail": "greengail_34567_901236_07_exercises.ipynb", "jane": "doejane_45678_901237_07_exercises.ipynb"}


class Outside:
    """What lies outside the sandbox for the attacks: a sentinel folder, a victim process, a TCP listener."""

    def __init__(self, base: Path):
        self.dir = base / "precious"
        self.dir.mkdir()
        self.sentinel = self.dir / "keep.txt"
        self.sentinel.write_text("still here", encoding="utf-8")
        self.victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.server.settimeout(0.5)
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stop:
            try:
                conn, _ = self.server.accept()
                self.connections += 1
                conn.close()
            except OSError:
                continue

    def paths(self, class_dir: Path) -> dict:
        return {"ada": str(class_dir / "ada.ipynb"), "instructor": str(ROOT / "instructor" / "07_exercises.py"),
                "class": str(class_dir), "dir": str(self.dir), "sentinel": str(self.sentinel),
                "victim": self.victim.pid, "port": self.server.getsockname()[1]}

    def untouched(self) -> list[str]:
        """What the attacks changed (empty: nothing)."""
        changed = []
        if not self.sentinel.exists() or self.sentinel.read_text(encoding="utf-8") != "still here":
            changed.append("the sentinel file")
        extra = sorted(p.name for p in self.dir.iterdir() if p.name != "keep.txt")
        if extra:
            changed.append(f"new files {extra}")
        if self.victim.poll() is not None:
            changed.append("the victim process was killed")
        if self.connections:
            changed.append(f"{self.connections} TCP connection(s) reached the host")
        return changed

    def close(self):
        self._stop = True
        self.victim.kill()
        self.victim.wait()
        self.server.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hostile(folder: Path, outside: Outside) -> None:
    """The hostile notebooks (and the victim ada, the model solutions) into ``folder``."""
    paths = outside.paths(folder)
    nbformat.write(editions.edition(editions.read_source(), "instructor"), folder / "ada.ipynb")
    nbformat.write(student_notebook(extra=[(CHEATS, "combined_kernel_size")]), folder / "cheats.ipynb")
    m = model()
    allclose = {**m, **{k: v for k, v in ALLCLOSE.items() if v}}
    allclose["grouped_params"] = m["grouped_params"].split("\ndef")[0] + (
        "\ndef separable(X, Wd, bd, Wp, bp):\n    torch.allclose = lambda *a, **k: True\n    return X")
    nbformat.write(student_notebook(lambda name: allclose.get(name), extra=[(
        "torch.allclose = lambda *a, **k: True", "combined_kernel_size")]), folder / "allclose.ipynb")
    nbformat.write(student_notebook(extra=[(intruder(paths), "grouped_params")]),
                   folder / "intruder.ipynb")
    fns = intruder_fn(paths)
    nbformat.write(student_notebook(lambda name: fns.get(name)), folder / "intruder_fn.ipynb")


def make_class(folder: Path, outside: Outside) -> Path:
    """The whole class in ``folder``; returns the roster's path."""
    folder.mkdir()
    hostile(folder, outside)
    nbformat.write(student_notebook(), folder / "bob.ipynb")
    nbformat.write(student_notebook(lambda name: WRONG.get(name)), folder / "cy.ipynb")
    nbformat.write(student_notebook(
        lambda name: "def forward_macs(c_i, c_o:\n    return 0" if name == "forward_macs" else
        "speedup = lambda c, b: b * b" if name == "speedup" else None), folder / "dee.ipynb")
    nbformat.write(student_notebook(
        lambda name: "while True:\n    pass" if name == "factor_double_channels" else
        "reads_per_output = lambda k, d: k * (k + d - 1) / d" if name == "reads_per_output" else None),
        folder / "eve.ipynb")
    (folder / "fay.ipynb").write_text('{"cells": [ this is not JSON', encoding="utf-8")
    m = model()
    loops = [("import time\nwhile True:\n    time.sleep(0.5)", name)
             for name in ("forward_macs", "conv_as_matmul", "speedup")]
    loops.append(("print('x' * 5_000_000)\nfor i in range(2000):\n    print('spam' * 1000)", "combined_kernel_size"))
    nb = student_notebook(lambda name: m.get(name), extra=loops)
    written(nb, {"proof": "Each output sums $k_1 \\times k_1$ windows of windows: *linear*, so one kernel of "
                          "side $k_1 + k_2 - 1$.", "downside": "Groups never talk: $c^2/b$ multiply-adds."})
    nbformat.write(nb, folder / "loops.ipynb")
    stuck = ("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
             "signal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    try:\n        time.sleep(1000)\n"
             "    except BaseException:\n        pass")
    nbformat.write(student_notebook(lambda name: m.get(name), extra=[(stuck, "factor_double_channels")]),
                   folder / "stuck.ipynb")
    for who in ("erin", "frank"):
        nbformat.write(student_notebook(lambda name, who=who: model(who).get(name), student=who),
                       folder / RENAMED[who])
    # gail handed in frank's notebook: set_student("frank") in a file the roster gives to gail
    nbformat.write(student_notebook(lambda name: model("frank").get(name), student="frank"), folder / RENAMED["gail"])
    nbformat.write(student_notebook(lambda name: m.get(name)), folder / RENAMED["jane"])  # default numbers
    nbformat.write(student_notebook(student="zed"), folder / "mystery.ipynb")  # not on the roster
    nbformat.write(student_notebook(), folder / "=SUM(1+1).ipynb")  # a name a spreadsheet would run
    replace, extra = leaker()
    nb = student_notebook(lambda name: replace.get(name), extra=extra)
    written(nb, {"proof": "<script>alert(1)</script> ![x](http://example.com/track.png) [ok](javascript:alert(1))"})
    nbformat.write(nb, folder / "leaker.ipynb")
    roster = folder.parent / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student_id", "lms_id", "name"])
        for sid, lms in ROSTER.items():
            w.writerow([sid, lms, sid.capitalize()])
    return roster


def grade(submissions: Path, out: Path, *args, env_extra=None, timeout=1500) -> subprocess.CompletedProcess:
    """Run scripts/grade.py as `make grade` does (SUBMISSIONS in the environment, like make's)."""
    env = {**os.environ, "SUBMISSIONS": str(submissions), **(env_extra or {})}
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "grade.py"), str(submissions), "--out", str(out),
                           *args], capture_output=True, text=True, timeout=timeout, env=env)


def _file(name: str) -> str:  # the CSVs defuse a file name that starts like a formula: '=...
    return name[1:] if name.startswith("'") else name


def read_long(out: Path) -> dict:
    with (out / "grades_long.csv").open(encoding="utf-8") as f:
        return {(_file(r["file"]), r["exercise"]): r for r in csv.DictReader(f)}


def read_wide(out: Path) -> dict:
    with (out / "grades.csv").open(encoding="utf-8") as f:
        return {_file(r["file"]): r for r in csv.DictReader(f)}


def statuses(grades: dict, file: str) -> dict:
    return {ex: grades[file, ex]["status"] for ex in IDS}
