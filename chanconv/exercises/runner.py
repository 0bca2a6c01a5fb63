"""Re-run a student's functions, from their source, in a fresh sandboxed process.

The grader starts ``python -m chanconv.exercises.runner`` inside the sandbox
(:mod:`chanconv.exercises.sandbox`) and talks to it over its standard input and output, one JSON
object a line. The runner imports torch, numpy and chanconv, and never runs student code itself:
for each exercise it forks a child that builds that exercise's functions from their source
(:class:`~chanconv.exercises.answers.FunctionAnswer`) in fresh namespaces and answers calls, so an
exercise's functions cannot touch another's. A call's arguments are the grader's inputs (plain
data); the result goes back as plain data, with a probe report when the checker asks how it was
computed (functions of chanconv reached; matrix products, convolutions and elementwise work
counted). A call that raises comes back as its exception *type* (sanitized), one that runs past
its time limit or kills its process as that fact; the runner kills a child that does not answer.

:class:`Runner` is the grader's side: it starts the process, and hands the checkers
:class:`RemoteFunction` objects that call through it.
"""

from __future__ import annotations

import builtins
import ctypes
import importlib
import json
import os
import select
import signal
import subprocess
import sys
import time

from .answers import (
    AnswerTooLarge,
    FunctionAnswer,
    RemoteFunction,
    StudentFunctionFailed,
    decode,
    encode,
    safe_type_name,
)

__all__ = ["Runner", "RemoteFunction", "serve"]

MAX_LINE = 200 * 2**20
CALL_SECONDS = 20.0  # a student's function that runs longer is stopped (as in the notebook's checks)
GRACE_SECONDS = 10.0  # then the child that does not answer is killed


# ------------------------------------------------------------------------------------------------
# inside the sandbox
def _read_line(fd: int, deadline: float | None = None, buf: bytearray | None = None) -> bytes | None:
    """One line from ``fd`` (None at EOF or past ``deadline``); ``buf`` carries what was read beyond it."""
    buf = buf if buf is not None else bytearray()
    while b"\n" not in buf:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return None
        buf += chunk
        if len(buf) > MAX_LINE:
            return None
    i = buf.index(b"\n")
    line = bytes(buf[:i])
    del buf[:i + 1]
    return line


def _write(fd: int, obj) -> None:
    data = (json.dumps(obj) + "\n").encode()
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _build(fa: FunctionAnswer):
    """The student's function, defined from its program in a fresh namespace."""
    ns = {"__name__": "__student__", "__builtins__": builtins}
    for name, enc in fa.values.items():
        ns[name] = decode(enc)
    exec(compile(fa.program, f"<{fa.entry}>", "exec"), ns)  # noqa: S102 - inside the sandbox, by design
    fn = ns.get(fa.entry)
    if not callable(fn):
        raise NameError(fa.entry)
    return fn


def _child(req_fd: int, resp_fd: int, functions: dict) -> None:
    """An exercise's process: build its functions, then answer calls until told to stop.

    (length: the child's whole life after the fork, one request loop; it must not return into the parent's code.)"""
    from .probes import OpCounter, TimeLimit, calls_into, time_limit  # lazy: in the forked child, after the fork

    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(devnull, fd)
    built, problems = {}, {}
    for name, enc in functions.items():
        fa = decode(enc)
        if not isinstance(fa, FunctionAnswer):
            problems[name] = "unreadable"
            continue
        try:
            with time_limit(CALL_SECONDS):
                built[name] = _build(fa)
        except TimeLimit:
            problems[name] = "timeout"
        except BaseException as err:  # noqa: BLE001 - any failure of a student's source
            problems[name] = safe_type_name(type(err).__name__)
    _write(resp_fd, {"ok": True, "problems": problems})
    buf = bytearray()
    while True:
        line = _read_line(req_fd, None, buf)
        if line is None:
            os._exit(0)
        req = json.loads(line)
        fn = built.get(req.get("name"))
        if fn is None:
            _write(resp_fd, {"ok": False, "failure": problems.get(req.get("name"), "missing")})
            continue
        args = decode(req.get("args") or {"t": "list", "items": []})
        kwargs = decode(req.get("kwargs") or {"t": "dict", "items": []})
        probe = req.get("probe") or {}
        modules = []
        for m in probe.get("modules", []) if isinstance(probe, dict) else []:
            if isinstance(m, str) and m.startswith("chanconv."):
                try:
                    modules.append(importlib.import_module(m))
                except ImportError:
                    pass
        report, out = {}, []
        counter = OpCounter() if probe.get("ops") else None
        try:
            kw = kwargs if isinstance(kwargs, dict) else {}
            args = args if isinstance(args, list) else []

            def go(fn=fn, args=args, kw=kw, out=out):
                out.append(fn(*args, **kw))

            with time_limit(min(float(req.get("seconds", CALL_SECONDS)), 600.0)):
                if counter is not None:
                    with counter:
                        seen = calls_into(go, (), modules)
                else:
                    seen = calls_into(go, (), modules) if modules else (go() or set())
            report["calls"] = sorted(seen)
            if counter is not None:
                report.update(matmuls=counter.matmuls, convs=list(counter.convs),
                              arith_elements=counter.arith_elements)
        except TimeLimit:
            _write(resp_fd, {"ok": False, "failure": "timeout"})
            continue
        except BaseException as err:  # noqa: BLE001 - a student's function may fail in any way
            _write(resp_fd, {"ok": False, "failure": "raised", "type": safe_type_name(type(err).__name__)})
            continue
        try:
            result = encode(out[0])
        except AnswerTooLarge:
            _write(resp_fd, {"ok": False, "failure": "too large"})
            continue
        except BaseException:  # noqa: BLE001 - a hostile result object
            result = {"t": "unsupported", "kind": "an object the grader cannot read"}
        _write(resp_fd, {"ok": True, "result": result, "report": report})


def serve() -> int:
    """The runner's main loop (in the sandbox): one child per exercise, calls relayed with a time limit.

    (length: one select loop over the grader's requests and the children's replies, read top to bottom.)"""
    import numpy  # noqa: F401  # lazy: loaded once in the sandbox, before any fork
    import torch  # lazy: loaded once in the sandbox, before any fork

    import chanconv  # noqa: F401  # lazy: the whole package, preloaded before any fork (not an import of it)
    import chanconv.exercises.checkers  # noqa: F401  # lazy: the modules a probe may name, before any fork

    from . import kernel_side  # lazy: the sandbox's hook, in the runner only

    torch.set_num_threads(1)
    try:
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: children may not trace the runner
    except (OSError, AttributeError):
        pass
    cfg = json.loads(os.environ.get("CHANCONV_RUNNER_CONFIG", "{}"))
    inp, out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    child = None  # (pid, req_fd, resp_fd, buf)
    buf = bytearray()

    def stop_child():
        nonlocal child
        if child is not None:
            pid, rq, rs, _ = child
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            os.close(rq)
            os.close(rs)
            child = None

    _write(out, {"ok": True, "ready": True})
    while True:
        line = _read_line(inp, None, buf)
        if line is None:
            stop_child()
            return 0
        try:
            req = json.loads(line)
        except ValueError:
            return 2
        op = req.get("op")
        if op == "load":
            stop_child()
            rq_r, rq_w = os.pipe()
            rs_r, rs_w = os.pipe()
            pid = os.fork()
            if pid == 0:
                try:
                    os.setpgid(0, 0)
                    os.close(rq_w)
                    os.close(rs_r)
                    os.close(inp)
                    os.close(out)
                    kernel_side.install_hook(cfg.get("hook", {}))
                    _child(rq_r, rs_w, req.get("functions", {}))
                finally:
                    os._exit(0)
            os.close(rq_r)
            os.close(rs_w)
            child = (pid, rq_w, rs_r, bytearray())
            resp = _read_line(rs_r, time.monotonic() + CALL_SECONDS + GRACE_SECONDS * 2, child[3])
            if resp is None:
                stop_child()
                _write(out, {"ok": False, "failure": "timeout"})
            else:
                out_obj = json.loads(resp)
                _write(out, out_obj)
        elif op == "call":
            if child is None:
                _write(out, {"ok": False, "failure": "died"})
                continue
            pid, rq, rs, cbuf = child
            try:
                _write(rq, req)
            except OSError:
                stop_child()
                _write(out, {"ok": False, "failure": "died"})
                continue
            seconds = min(float(req.get("seconds", CALL_SECONDS)), 600.0)
            resp = _read_line(rs, time.monotonic() + seconds + GRACE_SECONDS, cbuf)
            if resp is None:
                alive = os.waitpid(pid, os.WNOHANG) == (0, 0)
                stop_child()
                _write(out, {"ok": False, "failure": "timeout" if alive else "died"})
            else:
                try:
                    _write(out, json.loads(resp))
                except ValueError:
                    stop_child()
                    _write(out, {"ok": False, "failure": "died"})
        elif op == "end":
            stop_child()
            _write(out, {"ok": True})
        else:
            stop_child()
            return 0


# ------------------------------------------------------------------------------------------------
# the grader's side
FAILURES = {
    "timeout": "{name} ran past {seconds:g} s and was stopped (an endless loop?)",
    "died": "{name} ended its process (it crashed, or called exit)",
    "too large": "{name} returned more data than the grader reads",
    "unreadable": "the grader could not read {name}",
    "missing": "the grader could not rebuild {name} from your notebook",
}


class _Remote(RemoteFunction):
    def __init__(self, runner: Runner, name: str, missing: int = 0):
        self.runner, self.name, self.missing = runner, name, missing

    def call(self, args, kwargs, probe):
        return self.runner.call(self, args, kwargs, probe)

    def __repr__(self):
        return f"<student function {self.name}>"


class Runner:
    """The grader's handle on a sandboxed runner process (started lazily, one per submission)."""

    def __init__(self, argv: list[str], call_seconds: float = CALL_SECONDS):
        self.argv, self.call_seconds = argv, call_seconds
        self.proc: subprocess.Popen | None = None
        self.buf = bytearray()
        self.failed: str | None = None

    def _start(self):
        if self.proc is None and self.failed is None:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, start_new_session=True)
            ready = self._recv(120.0)
            if not (isinstance(ready, dict) and ready.get("ready")):
                self.failed = "the sandbox for your functions did not start"
                self.close()

    def _send(self, obj) -> None:
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())
        self.proc.stdin.flush()

    def _recv(self, seconds: float):
        line = _read_line(self.proc.stdout.fileno(), time.monotonic() + seconds, self.buf)
        if line is None:
            return None
        try:
            return json.loads(line)
        except ValueError:
            return None

    def exercise(self, functions: dict) -> dict:
        """Load one exercise's functions ({answer name: FunctionAnswer}); returns {name: RemoteFunction}."""
        self._start()
        remotes = {name: _Remote(self, name, fa.missing) for name, fa in functions.items()}
        self.problems = {}
        if self.proc is None:
            self.problems = dict.fromkeys(functions, "sandbox")
            return remotes
        try:
            self._send({"op": "load", "functions": {n: fa.as_dict() for n, fa in functions.items()}})
            resp = self._recv(self.call_seconds + 3 * GRACE_SECONDS)
        except (OSError, ValueError):
            resp = None
        if not isinstance(resp, dict) or not resp.get("ok"):
            self.problems = dict.fromkeys(functions, "timeout" if isinstance(resp, dict) else "sandbox")
        else:
            problems = resp.get("problems") if isinstance(resp.get("problems"), dict) else {}
            self.problems = {k: v for k, v in problems.items() if k in functions}
        return remotes

    def call(self, fn: _Remote, args, kwargs, probe):
        name = fn.name
        problem = self.problems.get(name)
        if problem is not None or self.proc is None:
            raise StudentFunctionFailed(self._problem_words(name, problem or "sandbox", fn.missing))
        req = {"op": "call", "name": name, "args": encode(list(args)), "kwargs": encode(dict(kwargs)),
               "probe": probe, "seconds": self.call_seconds}
        try:
            self._send(req)
            resp = self._recv(self.call_seconds + 2 * GRACE_SECONDS)
        except (OSError, ValueError):
            resp = None
        if not isinstance(resp, dict):
            self.close()
            self.failed = "the sandbox for your functions stopped answering"
            raise StudentFunctionFailed(f"{name}: {self.failed}")
        if resp.get("ok"):
            return decode(resp.get("result")), resp.get("report")
        failure = resp.get("failure")
        if failure == "raised":
            typ = safe_type_name(resp.get("type"))
            hint = " (it uses a name the grader could not rebuild from your notebook: define what it needs " \
                   "inside the function, or from plain values)" if typ == "NameError" and fn.missing else ""
            raise StudentFunctionFailed(f"{name} raised {typ}{hint}")
        if failure == "died":  # the child is gone: rebuild it for the next call of this exercise
            raise StudentFunctionFailed(FAILURES["died"].format(name=name))
        raise StudentFunctionFailed(FAILURES.get(failure, FAILURES["missing"]).format(
            name=name, seconds=self.call_seconds))

    def _problem_words(self, name, problem, missing) -> str:
        if problem == "sandbox":
            return f"{name}: {self.failed or 'the sandbox for your functions did not start'}"
        if problem in FAILURES:
            return FAILURES[problem].format(name=name, seconds=self.call_seconds)
        hint = " (it uses a name the grader could not rebuild from your notebook)" if missing else ""
        return (f"the grader could not rebuild {name} from your notebook: its source raised "
                f"{safe_type_name(problem)}{hint}")

    def end_exercise(self) -> None:
        if self.proc is not None:
            try:
                self._send({"op": "end"})
                self._recv(GRACE_SECONDS)
            except (OSError, ValueError):
                self.close()

    def close(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    f.close()
                except OSError:
                    pass
            self.proc = None


if __name__ == "__main__":
    sys.exit(serve())
