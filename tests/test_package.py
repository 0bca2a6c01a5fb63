"""`pip install .` (not editable) gives a working chanconv outside the checkout, and
`python -m chanconv.course DIR` writes the course there; its notebooks run with the default
python3 kernel of that environment.

A fresh virtual environment stands for the student's: it sees this environment's packages
through a .pth line (torch, numpy, Jupyter: what pip would install from chanconv's declared
dependencies, without downloading them again) but not chanconv, which comes from the wheel.
"""

import ast
import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names)


def fresh_venv(where: Path):
    """A new venv whose site-packages also reads this environment's, minus its editable chanconv."""
    # no pip of its own: pip, setuptools, torch & co. come from this environment, as a student's would have them
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where / "venv")], check=True)
    python = where / "venv" / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # a plain path line: the packages there are importable, their own .pth files (the editable
    # chanconv's finder) are not run
    (site / "_outer_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    probe = subprocess.run([str(python), "-c", "import importlib.util as u; print(u.find_spec('chanconv'))"],
                           capture_output=True, text=True, cwd=where, check=True).stdout.strip()
    assert probe == "None", f"the fresh environment must not see the checkout's chanconv: {probe}"
    return python, site


def source_copy(dest: Path) -> Path:
    """The checkout's files as git sees them (tracked and new, nothing ignored): what a clone holds."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_bytes(src.read_bytes())
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    src = source_copy(out / "src")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(out / "dist"), str(src)], check=True)
    [whl] = (out / "dist").glob("chanconv-*.whl")
    return whl


def test_wheel_holds_the_package_notebooks_assets_and_licences(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(Path(n).name for n in names if n.startswith("chanconv/course_notebooks/")) == notebooks
    assert any(n.startswith("chanconv/course_assets/") and n.endswith(".png") for n in names)
    assert not any(n.endswith(".py") and "course_notebooks" in n for n in names), "the .py pairs stay in the repository"
    assert any(n.endswith("licenses/LICENSE") for n in names) and any(n.endswith("LICENSE-CONTENT.md") for n in names)
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "Project-URL: Repository, https://github.com/" in meta


# chanconv's modules that only a developer runs, with requirements-dev.txt: `make bench-widgets`
# drives JupyterLab in Chromium through playwright (imported inside its functions, never at import)
# run only by developer and instructor tools, in the development environment: make bench-widgets, and the
# grader's parts that run inside its sandbox (jupyter_client drives the kernel, IPython is the kernel)
DEV_TOOLS = {"explorer_bench.py", "notebook_run.py", "kernel_side.py"}


def imported_top_level(paths):
    out = set()
    for path in paths:
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            text = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and not c.source.lstrip().startswith(("%", "!")))
        else:
            text = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                out |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                out.add(node.module.split(".")[0])
    return out - STDLIB - {"chanconv", "__future__", "google"}


def test_declared_dependencies_cover_every_import_of_chanconv_and_its_notebooks(wheel):
    meta = zipfile.ZipFile(wheel).read(next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith("METADATA"))).decode()
    declared = {line.split(":", 1)[1].strip().split(" ")[0].split(">")[0].split("=")[0].split(";")[0].lower()
                for line in meta.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line}
    modules = [p for p in (ROOT / "chanconv").rglob("*.py") if p.name not in DEV_TOOLS]
    used = imported_top_level(modules + sorted((ROOT / "notebooks").glob("*.ipynb")))
    assert used <= declared, f"imported but not declared in pyproject's dependencies: {used - declared}"


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    where = tmp_path_factory.mktemp("student")
    python, site = fresh_venv(where)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check", str(wheel)],
                   check=True)
    return python, site, where


def test_course_command_copies_the_notebooks_and_says_how_to_open_them(installed):
    python, site, where = installed
    dest = where / "my course"
    run = subprocess.run([str(python), "-m", "chanconv.course", str(dest)], cwd=where, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "jupyter lab" in run.stdout and "00_overview.ipynb" in run.stdout
    names = sorted(p.name for p in dest.glob("*.ipynb"))
    assert names == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert (dest / "assets").is_dir() and any((dest / "assets").glob("*.png"))
    exercises = dest / "07_exercises.ipynb"
    if exercises.exists():
        tags = [t for c in nbformat.read(exercises, as_version=4).cells for t in c.metadata.get("tags", [])]
        assert "solution" not in tags and "exercise" in tags, "the student's copy has the blanks, not the solutions"
    again = subprocess.run([str(python), "-m", "chanconv.course", str(dest)], cwd=where, capture_output=True, text=True)
    assert again.returncode == 1 and "--force" in again.stderr, "never overwrites a student's work silently"
    for nb in dest.glob("*.ipynb"):
        assert json.loads(nb.read_text())["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", ["01_multiple_input_channels.ipynb", "06_channel_explorer.ipynb"])
def test_a_copied_notebook_runs_with_the_default_kernel_and_the_installed_chanconv(installed, name):
    python, site, where = installed
    dest = where / "run"
    subprocess.run([str(python), "-m", "chanconv.course", str(dest), "--force"], cwd=where, check=True, capture_output=True)
    probe = "import chanconv; print(chanconv.__file__)"
    nb = nbformat.read(dest / name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(probe))
    nbformat.write(nb, dest / name)
    # plain `jupyter nbconvert --execute`: no kernel named, so the notebook's own (python3) is used
    run = subprocess.run([str(python), "-m", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                          "--ExecutePreprocessor.timeout=300", str(dest / name)], cwd=dest, capture_output=True,
                         text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(where), "CHANCONV_DEVICE": "cpu"})
    assert run.returncode == 0, run.stderr[-3000:]
    out = nbformat.read(dest / name, as_version=4).cells[-1].outputs[0]["text"].strip()
    assert Path(out).is_relative_to(site), f"the kernel imported {out}, not the installed chanconv"
