"""The path a student takes without a checkout: the wheel (what `pip install`, the README's "just the
course" route, and Colab's first cell install), in a new virtual environment outside the repository
with the student's pins (requirements.txt); `python -m chanconv.course DIR` writes the course there,
and every notebook runs top to bottom with that environment's default python3 kernel.

The environment is made as a student makes it: `python -m venv`, then `pip install -r
requirements.txt chanconv-*.whl` (pip's cache makes the second time quick). Nothing of the
checkout is importable there: a notebook that needs a module the wheel lacks stops, as it would for
the student (a hand-made package list once left `chanconv.exercises` out of the wheel).
"""

import ast
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from venvs import student_venv

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names)


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
    notebooks = sorted(str(p.relative_to(ROOT / "notebooks")) for p in (ROOT / "notebooks").rglob("*.ipynb"))
    assert any(n.startswith("zh/") for n in notebooks), "the Chinese edition (make zh)"
    assert sorted(n.removeprefix("chanconv/course_notebooks/") for n in names
                  if n.startswith("chanconv/course_notebooks/")) == notebooks
    assert any(n.startswith("chanconv/course_assets/") and n.endswith(".png") for n in names)
    assert not any(n.endswith(".py") and "course_notebooks" in n for n in names), "the .py pairs stay in the repository"
    assert any(n.endswith("licenses/LICENSE") for n in names) and any(n.endswith("LICENSE-CONTENT.md") for n in names)
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "Project-URL: Repository, https://github.com/" in meta


def test_the_wheel_ships_the_compiled_message_catalogs(wheel):
    """gettext reads chanconv/locale/<lang>/LC_MESSAGES/chanconv.mo: the wheel carries each, as compiled here."""
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())
    for mo in sorted((ROOT / "chanconv" / "locale").glob("*/LC_MESSAGES/chanconv.mo")):
        name = str(mo.relative_to(ROOT))
        assert name in names, f"{name} is not in the wheel"
        assert archive.read(name) == mo.read_bytes()
    assert "chanconv/locale/zh/LC_MESSAGES/chanconv.mo" in names
    assert "chanconv/locale/terms.csv" in names, "term_problems() reads the terminology table"


# chanconv's modules that only an instructor's tool runs, in the development environment: the grader's parts
# that run inside its sandbox (jupyter_client drives the kernel, IPython is the kernel)
DEV_TOOLS = {"notebook_run.py", "kernel_side.py"}


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
    python, site = student_venv(where, wheel)
    return python, site, where


def test_the_wheel_holds_every_module_of_the_package(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "chanconv").rglob("*.py")}
    assert modules <= names, f"modules missing from the wheel: {sorted(modules - names)}"
    assert "chanconv/core/methods/csrc/conv_fused.cpp" in names, "the compiled rung's source"
    assert not any(n.startswith("tools/") for n in names), "developer tools stay out of the wheel"


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


def test_the_installed_chanconv_speaks_chinese_when_asked(installed):
    python, site, where = installed
    code = ("import torch, chanconv\n"
            "try:\n    chanconv.conv2d(torch.ones(3, 5, 5), torch.ones(2, 2, 3, 3))\n"
            "except ValueError as e:\n    print(e)\n")
    for lang, words in (("zh", "X 有 3 个输入通道，但权重需要 2 个"), ("en", "X has 3 input channels but the weight expects 2")):
        run = subprocess.run([str(python), "-c", code], cwd=where, capture_output=True, text=True,
                             env={"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(where), "CHANCONV_LANG": lang})
        assert run.returncode == 0, run.stderr[-2000:]
        assert run.stdout.startswith(words), run.stdout


def test_course_command_in_chinese_copies_the_chinese_notebooks(installed):
    python, site, where = installed
    dest = where / "中文课程"
    run = subprocess.run([str(python), "-m", "chanconv.course", str(dest), "--lang", "zh"], cwd=where,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    names = sorted(p.name for p in dest.glob("*.ipynb"))
    assert names == sorted(p.name for p in (ROOT / "notebooks" / "zh").glob("*.ipynb"))
    assert names == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")), "every notebook in both languages"
    assert (dest / "assets").is_dir() and any((dest / "assets").glob("*.png"))
    for path in dest.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert 'chanconv.set_language("zh")' in nb.cells[1].source, path.name  # the language cell, after Colab's
        shipped = nbformat.read(ROOT / "notebooks" / "zh" / path.name, as_version=4)
        assert [c.source for c in nb.cells] == [c.source for c in shipped.cells], path.name
    tags = [t for c in nbformat.read(dest / "07_exercises.ipynb", as_version=4).cells for t in c.metadata.get("tags", [])]
    assert "solution" not in tags and "exercise" in tags, "the student's copy has the blanks, not the solutions"
    unknown = subprocess.run([str(python), "-m", "chanconv.course", str(where / "x"), "--lang", "fr"], cwd=where,
                             capture_output=True, text=True)
    assert unknown.returncode == 2 and "zh" in unknown.stderr, "a language it does not have: says which it has"


def test_a_chinese_notebook_runs_from_the_installed_chanconv_in_chinese(installed):
    """One of them (running all ten twice is slow; nbval runs every one in the checkout): the overview, whose
    language cell switches the installed chanconv to Chinese."""
    python, site, where = installed
    dest = where / "zh-run"
    subprocess.run([str(python), "-m", "chanconv.course", str(dest), "--lang", "zh"], cwd=where, check=True,
                   capture_output=True)
    path = dest / "00_overview.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import chanconv; print(chanconv.__file__, chanconv.get_language())"))
    nbformat.write(nb, path)
    env = {"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(where), "CHANCONV_DEVICE": "cpu"}
    run = subprocess.run([str(python), "-m", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                          "--ExecutePreprocessor.timeout=600", str(path)], cwd=dest, capture_output=True, text=True,
                         env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    where_from, lang = nbformat.read(path, as_version=4).cells[-1].outputs[0]["text"].split()
    assert Path(where_from).is_relative_to(site) and lang == "zh"


@pytest.fixture(scope="module")
def course(installed):
    """The course as `python -m chanconv.course DIR` writes it in the student's environment."""
    python, site, where = installed
    dest = where / "run"
    subprocess.run([str(python), "-m", "chanconv.course", str(dest), "--force"], cwd=where, check=True, capture_output=True)
    return dest


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_every_copied_notebook_runs_with_the_default_kernel_and_the_installed_chanconv(installed, course, name):
    python, site, where = installed
    probe = "import chanconv; print(chanconv.__file__)"
    nb = nbformat.read(course / name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(probe))
    nbformat.write(nb, course / name)
    # the compiled rung (notebook 8) built once per machine, as on a student's: the runner's cache of it
    extensions = os.environ.get("TORCH_EXTENSIONS_DIR", str(Path.home() / ".cache" / "torch_extensions"))
    env = {"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(where), "CHANCONV_DEVICE": "cpu",
           "TORCH_EXTENSIONS_DIR": extensions}
    # plain `jupyter nbconvert --execute`: no kernel named, so the notebook's own (python3) is used
    run = subprocess.run([str(python), "-m", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                          "--ExecutePreprocessor.timeout=600", str(course / name)], cwd=course, capture_output=True,
                         text=True, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    out = nbformat.read(course / name, as_version=4).cells[-1].outputs[0]["text"].strip()
    assert Path(out).is_relative_to(site), f"the kernel imported {out}, not the installed chanconv"
