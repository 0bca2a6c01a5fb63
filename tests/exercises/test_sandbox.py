"""The grader's parts on their own: answers as plain data (nothing executed when read back), the
sandbox (what a contained process can see, write, reach and keep), the runner (a student's function
re-run from source; its failures reported in the grader's words)."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from chanconv.exercises import answers, sandbox
from chanconv.exercises.answers import FunctionAnswer, RemoteFunction, StudentFunctionFailed, Unreadable
from chanconv.exercises.runner import Runner

ROOT = Path(__file__).resolve().parents[2]
PROTECTION = sandbox.probe()
needs_namespaces = pytest.mark.skipif(not PROTECTION.namespaces,
                                      reason=f"no namespaces on this machine: {PROTECTION.why_not}")


# answers as plain data -------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [None, True, 3, -2**70, 1.5, float("nan"), float("inf"), 2 + 1j, "text",
                                   np.int64(4), np.float32(0.5), [1, (2.0, "x")], {"a": [1, 2]},
                                   torch.arange(6.0).reshape(2, 3), torch.tensor(4.0),
                                   torch.ones(2, 2, dtype=torch.bfloat16), torch.zeros(0, 3, dtype=torch.int64),
                                   np.arange(4, dtype=np.uint16).reshape(2, 2), torch.Size([2, 3])])
def test_plain_data_round_trips(value):
    data = json.loads(json.dumps(answers.encode(value)))  # through JSON, as the grader reads it
    back = answers.decode(data)
    if isinstance(value, torch.Tensor):
        assert isinstance(back, torch.Tensor) and back.dtype == value.dtype and torch.equal(back, value)
    elif isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and np.array_equal(back, value)
    elif isinstance(value, float) and math.isnan(value):
        assert math.isnan(back)
    elif isinstance(value, torch.Size):
        assert back == tuple(value)
    else:
        assert back == value and type(back) is type(value)


def test_a_tensor_keeps_its_values_not_its_behaviour():
    class Liar(torch.Tensor):
        def __eq__(self, other):
            return True

    x = torch.arange(3.0).as_subclass(Liar)
    back = answers.decode(answers.encode(x))
    assert type(back) is torch.Tensor and back.tolist() == [0.0, 1.0, 2.0]
    assert answers.decode(answers.encode(x.requires_grad_())).requires_grad is False


@pytest.mark.parametrize("data", [
    {"t": "tensor", "dtype": "float32", "shape": [2, 2], "data": "AAAA"},  # too few bytes
    {"t": "tensor", "dtype": "object", "shape": [1], "data": ""},
    {"t": "tensor", "dtype": "float32", "shape": [-1], "data": ""},
    {"t": "int", "v": "1e5"}, {"t": "int", "v": "__import__('os')"}, {"t": "float", "v": "os.system('x')"},
    {"t": "pickle", "v": "gASVAAAA"}, {"t": "list", "items": "abc"}, {"t": "function", "program": 3},
    {"t": "function", "program": "x", "values": {"bad name": {}}, "entry": "f"}, [1, 2], "text", None,
])
def test_malformed_data_is_unreadable_and_nothing_runs(data):
    assert isinstance(answers.decode(data), Unreadable)


def test_reading_answers_back_never_executes_a_function():
    ran = []
    data = {"t": "function", "program": "import os\nran.append(1)\ndef f(): pass", "values": {}, "entry": "f"}
    back = answers.decode(data)
    assert isinstance(back, FunctionAnswer) and not callable(back) and ran == []


def test_huge_answers_are_refused():
    with pytest.raises(answers.AnswerTooLarge):
        answers.decode({"t": "tensor", "dtype": "float32", "shape": [10**5, 10**5], "data": ""})
    enc = answers.encode_answers({"big": torch.zeros(5_000_000)}, ["big"])
    assert enc["big"]["t"] == "unsupported"


def test_hostile_objects_in_a_namespace_become_unreadable_not_errors():
    class Boom:
        def __getattr__(self, name):
            raise RuntimeError("boom")

    class Spy(dict):  # a dict subclass with non-string keys
        pass

    enc = answers.encode_answers({"a": Boom(), "b": Spy({1: 2}), "c": object()}, ["a", "b", "c", "missing"])
    assert [enc[k]["t"] for k in "abc"] == ["unsupported"] * 3 and enc["missing"] == {"t": "none"}


def test_safe_type_names_show_builtins_only():
    assert answers.safe_type_name("ZeroDivisionError") == "ZeroDivisionError"
    assert answers.safe_type_name("TOP_SECRET_Error") == "an exception"
    assert answers.safe_type_name("print") == "an exception"  # a builtin, but no exception


# the sandbox ----------------------------------------------------------------------------------------
def run_contained(tmp_path, code: str, protection, files=None) -> subprocess.CompletedProcess:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    (inbox / "t.py").write_text(code, encoding="utf-8")
    box = tmp_path / "box"
    box.mkdir(exist_ok=True)
    argv = sandbox.command([sys.executable, "t.py"], box, protection, {"PATH": str(Path(sys.executable).parent)},
                           inbox=inbox)
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


PROBE = r'''
import os, socket, ctypes, json
out = {}
def attempt(name, fn):
    try:
        fn(); out[name] = "allowed"
    except Exception as e:
        out[name] = type(e).__name__
attempt("read", lambda: open(SECRET).read())
attempt("write", lambda: open(SECRET + ".new", "w").write("x"))
attempt("write venv", lambda: open(os.path.join(os.path.dirname(os.path.dirname(os.__file__)), "x"), "w"))
attempt("list repo", lambda: os.listdir(REPO))
attempt("model solutions", lambda: open(os.path.join(REPO, "instructor", "07_exercises.py")).read())
try:
    out["repo"] = sorted(os.listdir(REPO))
except OSError as e:
    out["repo"] = type(e).__name__
attempt("connect", lambda: socket.create_connection(("127.0.0.1", 1), timeout=1))
attempt("scratch", lambda: open("here.txt", "w").write("x"))
libc = ctypes.CDLL(None, use_errno=True)
out["remount"] = libc.mount(None, b"/", None, 32 | 4096, None)
try:
    out["caps"] = [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0]
except OSError as e:
    out["caps"] = type(e).__name__
out["pid"] = os.getpid()
out["env"] = sorted(os.environ)
print(json.dumps(out))
'''


def probe_in(tmp_path, protection):
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret", encoding="utf-8")
    code = f"SECRET = {str(secret)!r}\nREPO = {str(ROOT)!r}\n" + PROBE
    proc = run_contained(tmp_path, code, protection)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), secret


@needs_namespaces
def test_with_namespaces_only_the_python_environment_and_the_private_folder_exist(tmp_path):
    out, secret = probe_in(tmp_path, PROTECTION)
    assert out["read"] == "FileNotFoundError" and out["model solutions"] == "FileNotFoundError"
    assert out["repo"] in (["chanconv"], [".venv", "chanconv"], "FileNotFoundError")  # the package, not the repo
    assert out["write"] in ("FileNotFoundError", "PermissionError", "OSError")
    assert out["write venv"] in ("OSError", "PermissionError")  # read-only
    assert out["connect"] in ("OSError", "PermissionError", "ConnectionRefusedError")
    assert out["scratch"] == "allowed"
    assert out["remount"] == -1 and out["caps"] == "0000000000000000" and out["pid"] == 2
    assert out["env"] == ["CHANCONV_SCRATCH", "LC_CTYPE", "PATH"] or set(out["env"]) <= {"CHANCONV_SCRATCH", "LC_CTYPE",
                                                                                         "PATH"}
    assert not Path(str(secret) + ".new").exists()


@pytest.mark.skipif(not PROTECTION.landlock, reason="no Landlock on this kernel")
def test_without_namespaces_landlock_confines_files_and_tcp(tmp_path):
    out, secret = probe_in(tmp_path, sandbox.Protection(False, PROTECTION.landlock, "simulated"))
    assert out["read"] == "PermissionError" and out["write"] == "PermissionError" and out["list repo"] == "PermissionError"
    assert out["model solutions"] == "PermissionError"
    assert out["connect"] == "PermissionError" and out["scratch"] == "allowed"
    assert not Path(str(secret) + ".new").exists()


def test_the_probe_says_why_there_is_no_sandbox(monkeypatch):
    monkeypatch.setenv(sandbox.DISABLE_ENV, "namespaces")
    p = sandbox.probe()
    assert not p.contained and "switched off" in p.why_not and p.gives_up()
    monkeypatch.setenv(sandbox.DISABLE_ENV, "namespaces,landlock")
    p = sandbox.probe()
    assert p.landlock == 0 and "reads are NOT contained" in " ".join(p.gives_up())
    assert "NOT contained" in p.describe()
    monkeypatch.setattr(sandbox.sys, "platform", "darwin")
    assert "macOS" in sandbox._probe_namespaces(0)[1]


# the runner ------------------------------------------------------------------------------------------
def fa(program, entry, values=None):
    return FunctionAnswer(program, values or {}, entry)


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "scripts"))
    from grading.submission import Options, runner_argv

    protection = PROTECTION if PROTECTION.contained else sandbox.Protection(False, PROTECTION.landlock, "test")
    r = Runner(runner_argv(protection, Options(), tmp_path_factory.mktemp("runner")), call_seconds=3)
    yield r
    r.close()


def test_a_function_is_rebuilt_from_source_and_called_on_the_graders_inputs(runner):
    fns = runner.exercise({"f": fa("import torch\ndef f(X, k):\n    return X * k + K", "f",
                                   {"K": answers.encode(torch.ones(2))})})
    assert isinstance(fns["f"], RemoteFunction)
    out = fns["f"](torch.tensor([1.0, 2.0]), 3)
    assert torch.equal(out, torch.tensor([4.0, 7.0]))
    result, report = fns["f"].call((torch.ones(2), 1), {}, {"modules": [], "ops": True})
    assert report["arith_elements"] >= 2 and report["matmuls"] == 0
    runner.end_exercise()


@pytest.mark.parametrize("program, words", [
    ("def f(x):\n    raise ValueError('SECRET TEXT')", "f raised ValueError"),
    ("class SecretError(Exception):\n    pass\ndef f(x):\n    raise SecretError('x')", "f raised an exception"),
    ("def f(x):\n    while True:\n        pass", "ran past 3 s"),
    ("import os\ndef f(x):\n    os._exit(3)", "ended its process"),
    ("def f(x:\n    pass", "could not rebuild f"),
    ("def f(x):\n    return undefined_name", "f raised NameError"),
])
def test_failures_come_back_in_the_graders_words(runner, program, words):
    fns = runner.exercise({"f": fa(program, "f")})
    with pytest.raises(StudentFunctionFailed, match=words) as err:
        fns["f"](1)
    assert "SECRET" not in str(err.value)
    runner.end_exercise()


def test_one_exercises_functions_cannot_touch_anothers(runner):
    fns = runner.exercise({"f": fa("import torch\ndef f(x):\n    torch.allclose = lambda *a, **k: True\n"
                                   "    return float(torch.allclose(torch.zeros(1), torch.ones(1)))", "f")})
    assert fns["f"](0) == 1.0
    runner.end_exercise()
    fns = runner.exercise({"g": fa("import torch\ndef g(x):\n    return float(torch.allclose(torch.zeros(1), "
                                   "torch.ones(1)))", "g")})
    assert fns["g"](0) == 0.0  # a fresh child: the patch is gone
    runner.end_exercise()
