"""The grader's sandbox: where a student's notebook, and later their functions, run.

A command runs *contained*: from a private folder that holds only what the grader put there, with
a scrubbed environment (no ``SUBMISSIONS``, no home, no proxy), and with nothing else on the
machine readable or writable. The layers, outermost first:

1. **Namespaces** (Linux; ``unshare`` from util-linux, unprivileged user namespaces): new user,
   mount, PID, network, IPC and UTS namespaces. The root is an empty read-only tmpfs holding
   read-only binds of *only* the Python environment (the interpreter, the virtual environment's
   site-packages, the ``chanconv`` package, the shared libraries they load), a minimal ``/dev``,
   its own ``/proc``, a private tmpfs ``/tmp``, ``/dev/shm`` and ``/scratch`` (the private
   folder; size-capped). No network interface but a loopback that stays down. The command runs
   with every capability dropped (empty bounding set, ``SECBIT_NOROOT``, ``no_new_privs``), under
   an init that takes every process of the sandbox down with it.
2. **Landlock** (Linux ≥ 5.13 with the LSM on): the kernel refuses file access beyond reading
   the Python environment and reading/writing the private folder, TCP bind/connect (ABI ≥ 4),
   and signals or abstract sockets to processes outside the sandbox (ABI ≥ 6).
3. **Resource limits**: file size, core dumps, address space, CPU time.
4. In a student's kernel, an **audit hook** (:mod:`.kernel_side`): Python-level file access
   outside the allowed paths, subprocesses, sockets, ``ctypes``; and wrappers round the C-level
   writers the hook cannot see (``torch.save``, ``torch.from_file``, ``os.mkfifo``...).

Where layer 1 is missing, :func:`probe` says why, and ``make grade`` refuses unless told
``--unsafe``; :meth:`Protection.gives_up` lists what is then not contained.

``python -m chanconv.exercises.sandbox init SPEC`` is the sandbox's init (inside the namespaces);
``... run SPEC`` is the contained start without namespaces. Neither is for calling by hand.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Protection", "probe", "command", "python_environment", "landlock_abi", "DISABLE_ENV"]

DISABLE_ENV = "CHANCONV_SANDBOX_DISABLE"  # "namespaces", "landlock": simulate their absence (tests)
SCRATCH = "/scratch"  # the private folder inside the namespaces

# mount(2) flags
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
# prctl(2)
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_SECUREBITS = 1, 4, 24, 28
PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 47, 4
SECBITS_LOCKED_NOROOT = 0x3 | 0xC | 0x30  # noroot, no_setuid_fixup, keep_caps: each with its lock
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
# Landlock (the same syscall numbers on every architecture)
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LL_EXECUTE, LL_WRITE_FILE, LL_READ_FILE, LL_READ_DIR = 1, 2, 4, 8
LL_FS_V1 = (1 << 13) - 1  # every file-system right of ABI 1 (execute ... make_sym)
LL_REFER, LL_TRUNCATE, LL_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
LL_FILE_RIGHTS = LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | LL_TRUNCATE | LL_IOCTL_DEV
LL_NET_BIND_TCP, LL_NET_CONNECT_TCP = 1, 2
LL_SCOPE_ABSTRACT_UNIX, LL_SCOPE_SIGNAL = 1, 2

_libc = None


def _c():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _check(ret, what):
    if ret == -1 or (isinstance(ret, int) and ret < 0):
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")
    return ret


# ------------------------------------------------------------------------------------------------
# what is there
def landlock_abi() -> int:
    """The Landlock ABI version the kernel offers (0: none)."""
    if sys.platform != "linux":
        return 0
    try:
        ret = _c().syscall(ctypes.c_long(SYS_LANDLOCK_CREATE_RULESET), None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except (AttributeError, OSError):
        return 0
    return max(int(ret), 0)


@dataclass
class Protection:
    """What containment this machine gives a submission."""

    namespaces: bool
    landlock: int  # ABI version, 0 = none
    why_not: str = ""  # why there are no namespaces
    disabled: set = field(default_factory=set)

    @property
    def contained(self) -> bool:
        return self.namespaces

    def describe(self) -> str:
        if self.namespaces:
            ll = f"; Landlock ABI {self.landlock} as a second layer" if self.landlock else ""
            return ("contained: namespaces (user, mount, PID, network, IPC), a tmpfs root with a read-only bind "
                    f"of only the Python environment, no network, capabilities dropped{ll}; rlimits; audit hook")
        if self.landlock:
            return (f"NOT fully contained (--unsafe): no namespaces ({self.why_not}); Landlock ABI {self.landlock} "
                    "confines files" + (", TCP" if self.landlock >= 4 else "")
                    + (" and signals" if self.landlock >= 6 else "") + "; rlimits; audit hook")
        return (f"NOT contained (--unsafe): no namespaces ({self.why_not}) and no Landlock; only rlimits and a "
                "Python audit hook")

    def gives_up(self) -> list[str]:
        """What --unsafe gives up here, in words for the instructor."""
        if self.namespaces:
            return []
        out = ["the notebooks run in your process tree and your network namespace (no PID or network isolation)"]
        if self.landlock:
            if self.landlock < 4:
                out.append("TCP connections are possible (this kernel's Landlock cannot refuse them)")
            out.append("UDP and raw network access are possible (Landlock confines only files and TCP)")
            if self.landlock < 6:
                out.append("a notebook can signal your other processes (Landlock ABI < 6 cannot scope signals)")
        else:
            out += ["reads are NOT contained: a notebook can read any file you can (classmates' notebooks, "
                    "instructor/07_exercises.py with the model solutions, your home)",
                    "writes from C code are NOT contained (the audit hook and wrappers stop Python-level writes, "
                    "torch.save, torch.from_file, sqlite3, os.mkfifo and the known subprocess routes, not "
                    "every C extension or ctypes trick)",
                    "the network is not isolated (the audit hook refuses Python sockets only)",
                    "a notebook can signal or trace your other processes"]
        return out


_PROBED: dict[tuple, Protection] = {}


def _disabled() -> set[str]:
    return {w.strip() for w in os.environ.get(DISABLE_ENV, "").split(",") if w.strip()}


def probe() -> Protection:
    """Which layers work here: namespaces (tried for real, with a mount and a pivot) and Landlock."""
    disabled = _disabled()
    key = tuple(sorted(disabled))
    if key in _PROBED:
        return _PROBED[key]
    ll = 0 if "landlock" in disabled else landlock_abi()
    if "namespaces" in disabled:
        ok, why = False, f"switched off by {DISABLE_ENV}"
    else:
        ok, why = _probe_namespaces(ll)
    _PROBED[key] = p = Protection(ok, ll, why, disabled)
    return p


def _probe_namespaces(ll: int) -> tuple[bool, str]:
    if sys.platform == "darwin":
        return False, ("this is macOS, which has no Linux namespaces: run `make grade` on Linux (a Linux VM, or a "
                       "container that allows unprivileged user namespaces)")
    if sys.platform != "linux":
        return False, f"{platform.system()} has no Linux namespaces: run `make grade` on Linux"
    if not shutil.which("unshare"):
        return False, "util-linux's `unshare` is not installed (Debian/Ubuntu: apt-get install util-linux)"
    if platform.machine() not in SYS_PIVOT_ROOT:
        return False, f"the sandbox does not know pivot_root's number on {platform.machine()}"
    box = tempfile.mkdtemp(prefix="chanconv-sandbox-probe-")
    try:
        argv = command([sys.executable, "-c", "import os; print('ok', os.getpid(), os.listdir('/'))"],
                       Path(box), Protection(True, ll), env={})
        r = subprocess.run(argv, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        if r.returncode == 0 and r.stdout.startswith(b"ok 2 "):
            return True, ""
        err = (r.stderr or r.stdout).decode("utf-8", "replace").strip().splitlines()
        detail = err[-1][:200] if err else f"exit status {r.returncode}"
        return False, ("unprivileged user namespaces are not available here (kernel.unprivileged_userns_clone=0, "
                       f"user.max_user_namespaces=0, or an AppArmor/SELinux restriction): {detail}")
    except (OSError, subprocess.SubprocessError) as err:
        return False, f"starting the sandbox failed: {type(err).__name__}: {err}"
    finally:
        shutil.rmtree(box, ignore_errors=True)


# ------------------------------------------------------------------------------------------------
# the Python environment: what the sandbox shows, read-only
_ENV_PATHS: list[str] | None = None
_MAPS_PROBE = ("import torch, numpy, matplotlib, matplotlib.pyplot, zmq, ipykernel.kernelapp, jupyter_client, "
               "nbformat, chanconv.exercises.checkers\n"
               "print('\\n'.join(sorted({l.split(None, 5)[5].strip() for l in open('/proc/self/maps') "
               "if len(l.split(None, 5)) == 6 and l.split(None, 5)[5].startswith('/')})))")


def python_environment() -> list[str]:
    """The paths the sandbox binds read-only: the interpreter's prefixes, the ``chanconv`` package,
    the folders of every shared library a kernel and a runner load, the loader's cache."""
    global _ENV_PATHS
    if _ENV_PATHS is not None:
        return list(_ENV_PATHS)
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(Path(__file__).resolve().parents[1])}  # the chanconv package itself
    paths |= {os.path.realpath(p) for p in list(paths)}
    exe = os.path.realpath(sys.executable)
    paths.add(os.path.dirname(exe))
    if sys.platform == "linux":
        try:
            out = subprocess.run([sys.executable, "-c", _MAPS_PROBE], capture_output=True, text=True, timeout=120,
                                 env={**os.environ, "MPLBACKEND": "Agg"}).stdout
            libs = [ln for ln in out.splitlines() if ln.startswith("/") and os.path.exists(ln)]
        except (OSError, subprocess.SubprocessError):
            libs = []
        prefixes = [p for p in paths if os.path.isdir(p)]
        for lib in libs:
            if not any(lib.startswith(p.rstrip("/") + "/") for p in prefixes):
                paths.add(os.path.dirname(lib))
        paths |= {p for p in ("/etc/ld.so.cache", "/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1")
                  if os.path.exists(p)}
        interp = _elf_interpreter(exe)
        if interp:
            paths.add(interp)
    _ENV_PATHS = sorted(p for p in paths if p and os.path.exists(p))
    return list(_ENV_PATHS)


def _elf_interpreter(path: str) -> str | None:
    """PT_INTERP of an ELF executable (the dynamic loader it names), or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2:
                return None
            e_phoff = int.from_bytes(head[32:40], "little")
            e_phentsize = int.from_bytes(head[54:56], "little")
            e_phnum = int.from_bytes(head[56:58], "little")
            for i in range(e_phnum):
                f.seek(e_phoff + i * e_phentsize)
                ph = f.read(e_phentsize)
                if int.from_bytes(ph[0:4], "little") == 3:  # PT_INTERP
                    off, size = int.from_bytes(ph[8:16], "little"), int.from_bytes(ph[32:40], "little")
                    f.seek(off)
                    return f.read(size).rstrip(b"\0").decode()
    except (OSError, ValueError, IndexError):
        return None
    return None


# ------------------------------------------------------------------------------------------------
# the command line
@dataclass
class Limits:
    memory_bytes: int = 6 * 2**30
    cpu_seconds: int = 3600
    file_bytes: int = 64 * 2**20
    scratch_mb: int = 512
    tmp_mb: int = 256


def command(argv: list[str], box: Path, protection: Protection, env: dict, limits: Limits | None = None,
            inbox: Path | None = None) -> list[str]:
    """The command line that runs ``argv`` contained, with exactly ``env`` as its environment.

    ``box`` is an empty folder the grader owns (removed afterwards); ``inbox``, if given, a folder
    whose files are copied into the private folder first. With namespaces the private folder is
    ``/scratch`` (a tmpfs); without, ``box/scratch`` on disk. The command's working folder is the
    private folder; ``$CHANCONV_SCRATCH`` names it."""
    limits = limits or Limits()
    box = Path(box).resolve()
    spec = {"argv": argv, "env": env, "inbox": str(inbox) if inbox else None, "ro": python_environment(),
            "landlock": protection.landlock, "limits": limits.__dict__, "box": str(box)}
    spec_path = box / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    launcher = [sys.executable, "-I", "-S", str(Path(__file__).resolve()), "init" if protection.namespaces else "run",
                str(spec_path)]
    if not protection.namespaces:
        return launcher
    return ["unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "--kill-child", "--net", "--ipc",
            "--uts", *launcher]


# ------------------------------------------------------------------------------------------------
# inside: the init (namespaces) and the plain start (--unsafe)
def _mount(src, dst, fstype, flags, data=None):
    def enc(s):
        return s.encode() if isinstance(s, str) else s

    _check(_c().mount(enc(src), enc(dst), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {dst}")


def _locked_flags(path: str) -> int:
    """The flags a read-only remount of a bind of ``path`` must keep (a user namespace may not drop them)."""
    st = os.statvfs(path)
    out = 0
    for bit, flag in ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC)):
        if st.f_flag & bit:
            out |= flag
    return out


def _expose(path: str, root: str, bound: list[str]) -> None:
    """Show host ``path`` at the same place under ``root``, read-only, with the symbolic links on
    the way recreated (``/lib64`` -> ``usr/lib64`` ...)."""
    path = os.path.normpath(os.path.abspath(path))
    parts = [p for p in path.split("/") if p]
    cur = "/"
    for i, part in enumerate(parts):
        nxt = os.path.join(cur, part)
        if any(nxt == b or nxt.startswith(b.rstrip("/") + "/") for b in bound):
            return  # already visible through a bind above it
        if os.path.islink(nxt):
            target = os.readlink(nxt)
            dst = root + nxt
            if not os.path.lexists(dst):
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                os.symlink(target, dst)
            rest = "/".join(parts[i + 1:])
            resolved = os.path.normpath(os.path.join(cur, target))
            _expose(os.path.join(resolved, rest) if rest else resolved, root, bound)
            return
        cur = nxt
    dst = root + path
    if os.path.isdir(path):
        os.makedirs(dst, exist_ok=True)
    elif os.path.exists(path):
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        open(dst, "a").close()
    else:
        return
    _mount(path, dst, None, MS_BIND)
    _mount(None, dst, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | _locked_flags(path))
    bound.append(path)


def _copy_inbox(inbox: str | None, dest: str) -> None:
    if not inbox:
        return
    for name in os.listdir(inbox):
        src = os.path.join(inbox, name)
        if os.path.isfile(src) and not os.path.islink(src):
            shutil.copyfile(src, os.path.join(dest, name))


def _landlock(ro: list[str], rw: list[str], abi: int, files_rw: list[str] = ()) -> None:
    """Restrict this process (and what it starts) with Landlock: read+execute ``ro``, everything
    in ``rw``, TCP nothing, signals and abstract sockets only within the sandbox."""
    if abi <= 0:
        return
    fs = LL_FS_V1 | (LL_REFER if abi >= 2 else 0) | (LL_TRUNCATE if abi >= 3 else 0) | (LL_IOCTL_DEV if abi >= 5 else 0)
    net = (LL_NET_BIND_TCP | LL_NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL) if abi >= 6 else 0
    attr = (ctypes.c_uint64 * 3)(fs, net, scoped)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    c = _c()
    fd = _check(c.syscall(ctypes.c_long(SYS_LANDLOCK_CREATE_RULESET), ctypes.byref(attr), ctypes.c_size_t(size),
                          ctypes.c_uint32(0)), "landlock_create_ruleset")

    class PathBeneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]

    def allow(path, access):
        try:
            pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        try:
            if not os.path.isdir(path):
                access &= LL_FILE_RIGHTS
            rule = PathBeneath(access & fs, pfd)
            _check(c.syscall(ctypes.c_long(SYS_LANDLOCK_ADD_RULE), ctypes.c_int(fd), ctypes.c_int(1),
                             ctypes.byref(rule), ctypes.c_uint32(0)), f"landlock_add_rule {path}")
        finally:
            os.close(pfd)

    for p in ro:
        allow(p, LL_EXECUTE | LL_READ_FILE | LL_READ_DIR)
    for p in rw:
        allow(p, fs)
    for p in files_rw:
        allow(p, LL_READ_FILE | LL_WRITE_FILE | LL_TRUNCATE)
    _check(c.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _check(c.syscall(ctypes.c_long(SYS_LANDLOCK_RESTRICT_SELF), ctypes.c_int(fd), ctypes.c_uint32(0)),
           "landlock_restrict_self")
    os.close(fd)


def _rlimits(limits: dict) -> None:
    for res, value in ((resource.RLIMIT_FSIZE, limits["file_bytes"]), (resource.RLIMIT_CORE, 0),
                       (resource.RLIMIT_AS, limits["memory_bytes"]), (resource.RLIMIT_CPU, limits["cpu_seconds"])):
        try:
            soft, hard = resource.getrlimit(res)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(res, (value, value))
        except (ValueError, OSError):
            pass


def _drop_capabilities() -> None:
    c = _c()
    _check(c.prctl(PR_SET_SECUREBITS, SECBITS_LOCKED_NOROOT, 0, 0, 0), "securebits")
    for cap in range(64):
        if c.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == errno.EINVAL:
            break
    c.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    _check(c.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _init(spec: dict) -> int:
    """PID 1 of the sandbox: build the root, pivot into it, start the command without privileges,
    reap, and exit with the command's status (which ends every other process in the namespace)."""
    c = _c()
    limits = spec["limits"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = os.path.join(spec["box"], "root")
    os.makedirs(root, exist_ok=True)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=755")
    bound: list[str] = []
    for path in sorted(spec["ro"], key=len):
        _expose(path, root, bound)
    os.makedirs(root + "/dev", exist_ok=True)
    for name in ("null", "zero", "full", "random", "urandom"):
        open(f"{root}/dev/{name}", "a").close()
        _mount(f"/dev/{name}", f"{root}/dev/{name}", None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")
    for sub, size in (("/dev/shm", 64), ("/tmp", limits["tmp_mb"]), (SCRATCH, limits["scratch_mb"])):
        os.makedirs(root + sub, exist_ok=True)
        _mount("tmpfs", root + sub, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size}m,mode=1777")
    os.makedirs(root + "/proc", exist_ok=True)
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _copy_inbox(spec.get("inbox"), root + SCRATCH)
    os.chdir(root)
    os.makedirs(".oldroot", exist_ok=True)
    _check(c.syscall(ctypes.c_long(SYS_PIVOT_ROOT[platform.machine()]), b".", b".oldroot"), "pivot_root")
    os.chdir("/")
    _check(c.umount2(b"/.oldroot", MNT_DETACH), "umount old root")
    os.rmdir("/.oldroot")
    _mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    try:
        c.sethostname(b"grader", 6)
    except AttributeError:
        pass
    env = {**spec["env"], "CHANCONV_SCRATCH": SCRATCH}
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            os.chdir(SCRATCH)
            _rlimits(limits)
            _drop_capabilities()
            _landlock(["/"], [SCRATCH, "/tmp", "/dev/shm"], spec["landlock"], files_rw=["/dev/null"])
            os.execve(spec["argv"][0], spec["argv"], env)
        except BaseException as err:  # noqa: BLE001 - report and leave: the init exits with 127
            os.write(2, f"sandbox: could not start the command: {err}\n".encode())
        os._exit(127)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(143))
    while True:
        try:
            done, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 127
        if done == pid:
            return os.waitstatus_to_exitcode(status) if status else 0


def _run(spec: dict) -> int:
    """The start without namespaces (--unsafe): a private folder, the environment, rlimits, Landlock."""
    scratch = os.path.join(spec["box"], "scratch")
    os.makedirs(scratch, mode=0o700, exist_ok=True)
    tmp = os.path.join(scratch, "tmp")
    os.makedirs(tmp, exist_ok=True)
    _copy_inbox(spec.get("inbox"), scratch)
    def here(v):  # a path in the private folder, as the command names it inside the namespaces
        return scratch + v[len(SCRATCH):] if isinstance(v, str) and (v == SCRATCH or v.startswith(SCRATCH + "/")) else v

    env = {k: here(v) for k, v in spec["env"].items()} | {"CHANCONV_SCRATCH": scratch, "TMPDIR": tmp}
    argv = [here(a) for a in spec["argv"]]
    os.chdir(scratch)
    try:
        os.setsid()
    except PermissionError:  # a session leader already (the grader starts it in a new session)
        pass
    _c().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    _rlimits(spec["limits"])
    ro = spec["ro"] + [p for p in ("/proc/cpuinfo", "/sys/devices/system/cpu") if os.path.exists(p)]
    _landlock(ro, [scratch], spec["landlock"], files_rw=["/dev/null"] + [
        f"/dev/{n}" for n in ("zero", "urandom", "random")])
    if not spec["landlock"]:
        _c().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    os.execve(argv[0], argv, env)
    return 127


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] not in ("init", "run"):
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    return _init(spec) if argv[0] == "init" else _run(spec)


if __name__ == "__main__":
    sys.exit(main())
