"""What the grader adds inside a student's kernel (and inside the runner's children).

* :func:`install` (first cell of a graded notebook): after every cell, the answers as plain data
  (:func:`chanconv.exercises.answers.encode_answers`) are written to the private folder, so that
  whatever happens later (a loop that cannot be stopped, a crash) the answers given so far
  count; every cell gets a time limit; then :func:`install_hook`.
* :func:`install_hook`: a Python audit hook that refuses file access outside the allowed paths
  (reads outside the Python environment and the private folder, writes outside the private
  folder), subprocesses, sockets, ``ctypes`` loading and signals to other processes; and wrappers
  round the C-level routes the hook cannot see (``torch.save`` / ``torch.load`` by path,
  ``torch.from_file``, ``os.mkfifo``, ``os.mknod``, ``_posixsubprocess.fork_exec``).

Nothing here decides a grade: the kernel only hands over answers. With namespaces and Landlock
(:mod:`.sandbox`) this layer is a backstop; without them (``--unsafe``) it is what is left, and it
is not a sandbox (PEP 578: audit hooks are for auditing, C code can go around them).
"""

from __future__ import annotations

import _posixsubprocess
import json
import os
import posix
import signal
import sys

__all__ = ["install", "install_hook"]

ANSWERS_FILE = ".chanconv-answers.json"
_INSTALLED = [False]


class CellTimeLimit(BaseException):
    """A cell ran past the grader's time limit (a BaseException: ``except Exception`` does not catch it)."""


def _under(path: str, roots) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def install_hook(config: dict) -> None:
    """Refuse, from now on, what a graded student's code may not do (see the module's docstring).

    ``config``: ``read`` (paths that may be read), ``write`` (paths that may be written); a path
    may start with ``$SCRATCH`` (the private folder) or ``$TMPDIR``.

    (length: the hook is one closure over the functions and roots it checks against, bound before the
    student's first cell: split into module-level helpers, those would be names a student could rebind.)"""
    if _INSTALLED[0] or not config:
        return
    _INSTALLED[0] = True

    def expand(p):
        for var, env in (("$SCRATCH", "CHANCONV_SCRATCH"), ("$TMPDIR", "TMPDIR")):
            if p.startswith(var):
                p = os.environ.get(env, "/nonexistent") + p[len(var):]
        return os.path.realpath(p)

    read_roots = [expand(p) for p in config.get("read", [])]
    write_roots = [expand(p) for p in config.get("write", [])]
    read_roots += write_roots
    me = os.getpid()
    WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    realpath, getcwd, readlink, fsdecode = os.path.realpath, os.getcwd, os.readlink, os.fsdecode
    join = os.path.join

    def resolve(path, dir_fd=None):
        try:
            path = fsdecode(path)
        except TypeError:
            return None
        base = getcwd() if dir_fd is None else readlink(f"/proc/self/fd/{dir_fd}")
        return realpath(join(base, path))

    def deny(what):
        raise PermissionError(f"not allowed while grading: {what}")

    def check(path, writing, dir_fd=None, what="access"):
        if isinstance(path, int):
            return  # an open file descriptor: opening it was checked
        full = resolve(path, dir_fd)
        if full is None:
            deny(what)
        if not _under(full, write_roots if writing else read_roots):
            deny(f"{what} outside the private folder")

    DIR_FD_EVENTS = {"os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.utime"}
    PATH_WRITES = {"os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.utime", "shutil.rmtree",
                   "os.truncate", "os.setxattr", "os.removexattr", "os.chflags", "os.lchflags"}
    DENIED = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
              "pty.spawn", "ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle", "ctypes.cdata",
              "ctypes.call_function", "resource.setrlimit", "resource.prlimit", "os.startfile", "webbrowser.open",
              "sys.addaudithook", "os.killpg", "signal.pthread_kill", "socket.bind", "socket.connect",
              "socket.sendto", "socket.sendmsg", "socket.getaddrinfo", "socket.gethostbyname",
              "mmap.__new__"}

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(flags, int) and flags & WRITE) or (
                isinstance(mode, str) and any(c in mode for c in "wax+"))
            check(path, writing, what="writing" if writing else "reading")
        elif event in ("os.listdir", "os.scandir"):
            if args and args[0] is not None:
                check(args[0], False, what="listing a folder")
        elif event in PATH_WRITES:
            dir_fd = args[-1] if event in DIR_FD_EVENTS and len(args) > 1 else None
            dir_fd = dir_fd if isinstance(dir_fd, int) and dir_fd >= 0 else None
            check(args[0], True, dir_fd, what=event)
        elif event in ("os.rename", "os.link", "os.symlink"):
            check(args[0], event != "os.symlink", what=event)
            check(args[1], True, what=event)
        elif event == "sqlite3.connect":
            db = args[0] if args else None
            if db not in (":memory:", b":memory:", ""):
                check(db, True, what="a database file")
        elif event in DENIED:
            if event == "mmap.__new__" and args and args[0] == -1:
                return  # anonymous memory
            deny(event)
        elif event == "os.kill" and args[0] != me:
            deny("signals to other processes")

    def refuse(name):
        def f(*args, **kwargs):
            deny(name)
        f.__name__ = name.rsplit(".", 1)[-1]
        return f

    # C-level routes round the hook
    for mod, name in ((os, "mkfifo"), (posix, "mkfifo"), (os, "mknod"), (posix, "mknod")):
        if hasattr(mod, name):
            setattr(mod, name, refuse(f"os.{name}"))
    _posixsubprocess.fork_exec = refuse("_posixsubprocess.fork_exec")
    subprocess = sys.modules.get("subprocess")
    if subprocess is not None and hasattr(subprocess, "_fork_exec"):
        subprocess._fork_exec = refuse("_posixsubprocess.fork_exec")  # its own reference to the C function
    torch = sys.modules.get("torch")
    if torch is not None:
        def guarded(cls, what, writing):
            class Guarded:
                def __new__(_cls, name, *args, **kwargs):
                    if isinstance(name, str | bytes | os.PathLike):
                        check(name, writing, what=what)
                    return cls(name, *args, **kwargs)
            return Guarded

        torch._C.PyTorchFileWriter = guarded(torch._C.PyTorchFileWriter, "torch.save", True)
        torch._C.PyTorchFileReader = guarded(torch._C.PyTorchFileReader, "torch.load", False)
        _from_file = torch.from_file

        def from_file(filename, *args, **kwargs):
            shared = kwargs.get("shared", args[0] if args else False)
            check(filename, bool(shared), what="torch.from_file")
            return _from_file(filename, *args, **kwargs)

        torch.from_file = from_file
        for cls in (torch.UntypedStorage, torch.TypedStorage):
            _orig = cls.from_file

            def storage_from_file(filename, *args, _orig=_orig, **kwargs):
                shared = kwargs.get("shared", args[0] if args else False)
                check(filename, bool(shared), what="Storage.from_file")
                return _orig(filename, *args, **kwargs)

            try:
                cls.from_file = staticmethod(storage_from_file)
            except (TypeError, AttributeError):
                pass
    sys.dont_write_bytecode = True
    sys.addaudithook(hook)


def install(config: dict) -> None:
    """The graded kernel's first cell: preload the course's modules, snapshot answers after every
    cell, limit every cell's time, then the audit hook."""
    import IPython  # lazy: the graded kernel's own, preloaded before the hook (the grader never needs it)
    import IPython.display  # noqa: F401  # lazy: what notebook 7 imports, loaded before the hook
    import numpy  # noqa: F401  # lazy: preloaded before the hook refuses reading files
    import torch  # lazy: preloaded before the hook refuses reading files
    import torch.nn.functional  # noqa: F401  # lazy: preloaded before the hook refuses reading files

    import chanconv  # noqa: F401  # lazy: the whole package, preloaded before the hook (not an import of it)
    import chanconv.exercises  # noqa: F401  # lazy: preloaded before the hook refuses reading files

    from .answers import encode_answers  # lazy: loads torch, which the grader's parent process need not
    from .variants import student  # lazy: with encode_answers, inside the sandboxed kernel only

    torch.set_num_threads(1)  # (matplotlib, if a notebook imports it, loads later: MPLBACKEND=Agg)
    ip = IPython.get_ipython()
    names = list(config["names"])
    limit = float(config["cell_seconds"])
    path = os.path.join(os.environ.get("CHANCONV_SCRATCH", os.getcwd()), ANSWERS_FILE)
    count = [0]

    def snapshot(*_):
        count[0] += 1
        try:
            data = {"answers": encode_answers(ip.user_ns, names), "student": student(), "after": count[0]}
            text = json.dumps(data)
        except BaseException as err:  # noqa: BLE001 - a hostile namespace: report that, keep going
            text = json.dumps({"error": type(err).__name__, "after": count[0]})
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)

    def on_alarm(signum, frame):
        raise CellTimeLimit(f"the cell ran past {limit:g} s")

    def start(*_):
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)

    def stop(*_):
        signal.setitimer(signal.ITIMER_REAL, 0)

    ip.events.register("pre_run_cell", start)
    ip.events.register("post_run_cell", stop)
    ip.events.register("post_run_cell", snapshot)
    install_hook(config.get("hook", {}))
    snapshot()
