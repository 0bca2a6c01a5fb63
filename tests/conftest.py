import pytest
import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "chanconv", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("chanconv")

CUDA = torch.cuda.is_available()
cuda_only = pytest.mark.skipif(not CUDA, reason="no CUDA device here (torch sees none); runs on a GPU machine")


@pytest.fixture(autouse=True)
def _seed_and_clean_env(monkeypatch):
    torch.manual_seed(0)
    monkeypatch.delenv("CHANCONV_DEVICE", raising=False)
    monkeypatch.delenv("CHANCONV_LANG", raising=False)  # English unless a test asks for another language
    yield


@pytest.fixture
def zh():
    """chanconv speaks Chinese inside the test, and the language before it again afterwards."""
    from chanconv.core.i18n import language

    with language("zh"):
        yield


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium as tests/browsers.py launches it (Debian's, the project's flags), one per test module;
    skipped where the playwright package is not installed."""
    from browsers import CHROMIUM, FLAGS  # tests/: the browser tests' one place for them

    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def built():
    """The compiled rung, built or loaded from the cache (for its tests, which skip where it is absent)."""
    from chanconv.core.methods import compiled

    try:
        compiled.load()
    except RuntimeError as exc:  # a compiler that is there but fails is a failure, not a skip
        pytest.fail(str(exc))
    return compiled


def devices():
    """CPU always; CUDA where it exists (otherwise the parameter is skipped with the reason)."""
    return ["cpu", pytest.param("cuda", marks=cuda_only)]



@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """One generated class (tests/gradeclass.py: honest, renamed and hostile notebooks) graded once
    with `make grade`'s script, -j 2, a roster and short time limits; shared by the grader's tests.
    Contained with namespaces where the machine has them, else with --unsafe (the tests that need
    namespaces skip then)."""
    import time
    from types import SimpleNamespace

    import gradeclass as gc

    from chanconv.exercises import sandbox

    base = tmp_path_factory.mktemp("class")
    outside = gc.Outside(base)
    roster = gc.make_class(base / "submissions", outside)
    ada_before = gc.digest(base / "submissions" / "ada.ipynb")
    protection = sandbox.probe()
    args = ["--roster", str(roster), "-j", "2", "--cell-timeout", "15", "--notebook-timeout", "120"]
    t0 = time.monotonic()
    proc = gc.grade(base / "submissions", base / "grades", *args, *([] if protection.contained else ["--unsafe"]))
    seconds = time.monotonic() - t0
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = base / "grades"
    yield SimpleNamespace(base=base, out=out, proc=proc, long=gc.read_long(out), wide=gc.read_wide(out),
                          outside=outside, changed=outside.untouched(), ada_before=ada_before,
                          protection=protection, seconds=seconds, submissions=base / "submissions")
    outside.close()
