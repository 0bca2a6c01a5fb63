"""The pins: requirements.txt (what a student needs), requirements-dev.txt (what development and CI
add), environment.yml (the student's and Binder's environment) and pyproject.toml kept in step."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDENT = {"torch", "numpy", "matplotlib", "ipywidgets", "anywidget", "jupyterlab", "jupyterlab-rise", "ipykernel"}
TOOLS = {"pytest", "hypothesis", "nbval", "jupytext", "playwright", "ruff", "sphinx", "myst-nb", "babel"}


def pins(name):
    """name -> version for every line of a requirements file; each must be name==version, one a line, sorted."""
    out, names = {}, []
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line == "-r requirements.txt":
            continue
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][\w.+-]*", line), f"{name}: {line!r} is not pinned exactly (name==version)"
        pkg, _, version = line.partition("==")
        out[pkg.lower()] = version
        names.append(pkg.lower())
    assert names == sorted(names), f"{name}: keep the pins sorted, one a line (easy to merge)"
    return out


def conda_entries():
    text = (ROOT / "environment.yml").read_text()
    out = {}
    for m in re.finditer(r"^\s*-\s*([A-Za-z0-9_.-]+)\s*(==|=)\s*([0-9][^\s#]*)", text, re.M):
        out[m.group(1).lower()] = m.group(3)
    return out


def test_student_requirements_hold_what_a_student_needs_and_no_tool():
    p = pins("requirements.txt")
    assert p["torch"] == "2.13.0"
    assert STUDENT <= set(p), STUDENT - set(p)
    assert not TOOLS & set(p), f"development tools in the student's requirements: {TOOLS & set(p)}"


def test_dev_requirements_add_the_tools_to_the_student_ones():
    text = (ROOT / "requirements-dev.txt").read_text()
    assert "-r requirements.txt" in text.splitlines(), "requirements-dev.txt includes requirements.txt"
    dev, student = pins("requirements-dev.txt"), pins("requirements.txt")
    assert TOOLS <= set(dev), TOOLS - set(dev)
    assert not set(dev) & set(student), f"pinned twice: {set(dev) & set(student)}"


def test_environment_yml_is_the_student_environment():
    p, c = pins("requirements.txt"), conda_entries()
    c.pop("python", None)
    assert c == p, f"differ: {set(p.items()) ^ set(c.items())}"
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s*-\s*\.\s*$", text, re.M), "environment.yml installs chanconv itself (pip: .)"


def test_pyproject_declares_what_chanconv_imports_unpinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=!~ \[]", d)[0].lower() for d in project["dependencies"]}
    assert names == {"torch", "numpy", "matplotlib", "ipywidgets", "anywidget", "traitlets"}
    assert not any("==" in d for d in project["dependencies"]), "chanconv's own dependencies stay unpinned (Colab keeps its torch)"
    assert names <= set(pins("requirements.txt"))
    lab = {re.split(r"[<>=!~ \[]", d)[0].lower() for d in project["optional-dependencies"]["lab"]}
    assert lab <= set(pins("requirements.txt"))


def test_the_repository_url_is_written_once_and_cited_the_same():
    url = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    cff = (ROOT / "CITATION.cff").read_text()
    assert f'repository-code: "{url}"' in cff
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "CC BY-SA 4.0" in (ROOT / "LICENSE-CONTENT.md").read_text()


def test_the_citation_states_both_licences_as_pyproject_does():
    """pyproject.toml: MIT AND CC-BY-SA-4.0. CITATION.cff must not name MIT alone, nor list the two
    under `license` (CFF reads a list as OR, a choice between them)."""
    expression = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert expression == "MIT AND CC-BY-SA-4.0"
    cff = (ROOT / "CITATION.cff").read_text()
    assert not re.search(r"^license:", cff, re.M), "CFF's license key is MIT alone or an OR-list: neither is right"
    for key in ("message:", "abstract:"):
        line = next(ln for ln in cff.splitlines() if ln.startswith(key))
        assert "MIT" in line and "CC BY-SA 4.0" in line, key
