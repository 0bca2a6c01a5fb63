"""requirements.txt is the one place with pins; environment.yml mirrors it exactly."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pins():
    out = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.txt: {line!r} is not pinned exactly (name==version)"
            out[name.lower()] = version
    return out


def conda_entries():
    text = (ROOT / "environment.yml").read_text()
    out = {}
    for m in re.finditer(r"^\s*-\s*([A-Za-z0-9_.-]+)\s*(==|=)\s*([0-9][^\s#]*)", text, re.M):
        out[m.group(1).lower()] = m.group(3)
    return out


def test_every_requirement_is_pinned_and_torch_is_2_13_0():
    p = pins()
    assert p["torch"] == "2.13.0"
    for needed in ["jupyterlab", "numpy", "torch", "matplotlib", "ipywidgets", "nbval", "jupytext"]:
        assert needed in p, needed


def test_environment_yml_mirrors_requirements():
    p, c = pins(), conda_entries()
    c.pop("python", None)
    assert c == p, f"differ: {set(p.items()) ^ set(c.items())}"
