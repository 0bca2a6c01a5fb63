"""Every notebook names the standard python3 kernel and opens with the Colab cell; the cell's logic
works (a stand-in google.colab module, a local folder as the source) and does nothing elsewhere."""

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
from venvs import fresh_venv

from chanconv.course import distribute

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import notebook_header  # noqa: E402

NOTEBOOKS = notebook_header.notebooks()  # notebooks/*.ipynb and the Chinese edition notebooks/zh/*.ipynb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT / "notebooks")) for p in NOTEBOOKS])
def test_every_notebook_has_the_header(path):
    nb = nbformat.read(path, as_version=4)
    lang = notebook_header.language_of(path)
    assert notebook_header.missing(nb, path.stem, lang) == [], "run `make header` (scripts/notebook_header.py)"
    assert nb.metadata.kernelspec.name == "python3"
    first = nb.cells[0]
    assert first.outputs == [], "the Colab cell prints nothing outside Colab"
    assert first.metadata.slideshow.slide_type == "skip"
    if lang != "en":
        second = nb.cells[1]
        assert second.outputs == [] and second.metadata.slideshow.slide_type == "skip", "the language cell"
        assert f'chanconv.set_language("{lang}")' in second.source


def test_a_translation_gets_the_language_cell_and_its_links_and_an_english_notebook_none(tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "00_overview.ipynb", as_version=4)
    assert notebook_header.apply(nb, "00_overview", "zh")
    assert [c.get("id") for c in nb.cells[:2]] == ["colab-setup", "set-language"]
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), "the inserted cell counts as a clean run would"
    [links] = [c.source for c in nb.cells if notebook_header.LINKS_TAG in c.metadata.get("tags", [])]
    url = distribute.repository_url()
    assert distribute.colab_url("zh/00_overview.ipynb", url) in links and "在Colab中打开" in links
    assert distribute.binder_url("zh/00_overview.ipynb", url) in links
    assert not notebook_header.apply(nb, "00_overview", "zh"), "a second run changes nothing"
    assert notebook_header.apply(nb, "00_overview", "en") and not notebook_header.tagged(nb, notebook_header.LANGUAGE_TAG)
    assert notebook_header.missing(nb, "00_overview", "en") == []
    assert notebook_header.language_of(ROOT / "notebooks" / "zh" / "x.ipynb") == "zh"
    assert notebook_header.language_of(ROOT / "notebooks" / "x.ipynb") == "en"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT / "notebooks")) for p in NOTEBOOKS])
def test_header_script_changes_nothing_in_a_notebook_in_line(path):
    nb = nbformat.read(path, as_version=4)
    assert not notebook_header.apply(nb, path.stem, notebook_header.language_of(path)), "run `make header`"


def test_header_script_is_idempotent_and_keeps_the_outputs_consistent(tmp_path):
    src = ROOT / "notebooks" / "02_multiple_output_channels.ipynb"
    nb = nbformat.read(src, as_version=4)
    assert not notebook_header.apply(nb, src.stem), "a second run changes nothing"
    # take the header away (the notebook as another branch may have it), then put it back
    old = nbformat.read(src, as_version=4)
    old.cells.pop(0)
    for c in old.cells:
        if c.cell_type == "code" and c.execution_count:
            c.execution_count -= 1
            for o in c.outputs:
                if o.get("execution_count"):
                    o["execution_count"] -= 1
    old.metadata.kernelspec = {"name": "chanconv", "display_name": "chanconv (Python 3)", "language": "python"}
    assert notebook_header.apply(old, src.stem)
    assert nbformat.writes(old) == nbformat.writes(nb), "the header script restores exactly the stored notebook"
    counts = [c.execution_count for c in old.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))


def test_overview_links_colab_and_binder_from_the_one_url():
    url = distribute.repository_url()
    nb = nbformat.read(ROOT / "notebooks" / "00_overview.ipynb", as_version=4)
    text = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert distribute.colab_url("00_overview.ipynb", url) in text and distribute.binder_url("00_overview.ipynb", url) in text
    readme = (ROOT / "README.md").read_text()
    assert distribute.colab_url("00_overview.ipynb", url) in readme and distribute.binder_url("00_overview.ipynb", url) in readme
    # the Chinese edition's links: the README's and the Chinese overview's lead to notebooks/zh/
    zh = "".join(c.source for c in nbformat.read(ROOT / "notebooks" / "zh" / "00_overview.ipynb", as_version=4).cells
                 if c.cell_type == "markdown")
    for text in (readme, zh):
        assert distribute.colab_url("zh/00_overview.ipynb", url) in text
        assert distribute.binder_url("zh/00_overview.ipynb", url) in text
    assert distribute.requirement(url) == f"chanconv @ git+{url}"


def test_readme_and_citation_link_to_the_one_url():
    assert notebook_header.stale_links() == [], "run `make header`"
    url = distribute.repository_url()
    assert f'repository-code: "{url}"' in (ROOT / "CITATION.cff").read_text()
    assert f'"chanconv[lab] @ git+{url}"' in (ROOT / "README.md").read_text()


def test_make_header_with_another_address_rewrites_every_link(tmp_path):
    """Someone hosting their own copy sets one value, [project.urls] Repository, and runs `make header`
    (scripts/notebook_header.py): no file of the checkout points at the old address any more."""
    from test_package import source_copy

    old = distribute.repository_url()
    old_name = old.removeprefix("https://github.com/")
    new = "https://github.com/a-university/channels-course"
    copy = source_copy(tmp_path / "copy")
    pyproject = copy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(f'Repository = "{old}"', f'Repository = "{new}"'))
    assert distribute.repository_url(pyproject) == new
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([sys.executable, "scripts/notebook_header.py"], cwd=copy, capture_output=True, text=True,
                         env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    check = subprocess.run([sys.executable, "scripts/notebook_header.py", "--check"], cwd=copy, capture_output=True,
                           text=True, env=env)
    assert check.returncode == 0, check.stdout
    left = [str(p.relative_to(copy)) for p in copy.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES
            and old_name in p.read_text(encoding="utf-8", errors="replace")]
    assert left == [], f"still pointing at {old}: {left}"
    notebooks = notebook_header.notebooks(copy)
    assert len(notebooks) == len(NOTEBOOKS)
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        assert f"git+{new}" in nb.cells[0].source, path.name
        assert f"git+{new}" in path.with_suffix(".py").read_text(), path.name
    for folder in ("", "zh/"):
        overview = (copy / "notebooks" / f"{folder}00_overview.ipynb").read_text()
        assert distribute.colab_url(f"{folder}00_overview.ipynb", new) in overview
        assert distribute.binder_url(f"{folder}00_overview.ipynb", new) in overview
    readme = (copy / "README.md").read_text()
    for link in (distribute.colab_url("00_overview.ipynb", new), distribute.binder_url("00_overview.ipynb", new),
                 f"chanconv[lab] @ git+{new}"):
        assert link in readme
    assert f'repository-code: "{new}"' in (copy / "CITATION.cff").read_text()


TEXT_SUFFIXES = {".md", ".py", ".ipynb", ".cff", ".toml", ".yml", ".yaml", ".txt", ".cfg", ".json", ".html", ""}


def test_the_cell_names_no_pin():
    cell = distribute.cell_source(distribute.repository_url())
    assert "==" not in cell and "--no-deps" not in cell and "torch" not in cell


def run_cell(python, cell, cwd, colab_stub=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    if colab_stub:
        env["PYTHONPATH"] = str(colab_stub)
    # the stand-in google.colab is imported first, as Colab's runtime does before any cell
    code = ("import google.colab\n" if colab_stub else "") + cell
    return subprocess.run([str(python), "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory):
    """A fresh virtual environment that sees this one's packages (as Colab has torch & co.) but not chanconv."""
    return fresh_venv(tmp_path_factory.mktemp("colab"))


def test_colab_cell_does_nothing_outside_colab_and_installs_chanconv_alone_in_colab(bare_python, tmp_path):
    from test_package import source_copy

    python, site = bare_python
    source = source_copy(tmp_path / "src")
    cell = distribute.cell_source(str(source))
    probe = "import importlib.util as u; print(u.find_spec('chanconv') is not None)"
    torch_before = subprocess.run([str(python), "-c", "import torch; print(torch.__file__, torch.__version__)"],
                                  capture_output=True, text=True, cwd=tmp_path, check=True).stdout

    outside = run_cell(python, cell + "\n" + probe, tmp_path)
    assert outside.returncode == 0, outside.stderr
    assert outside.stdout.strip() == "False", "outside Colab the cell installs nothing"

    stub = tmp_path / "stub"
    (stub / "google" / "colab").mkdir(parents=True)
    (stub / "google" / "__init__.py").write_text("")
    (stub / "google" / "colab" / "__init__.py").write_text('"""stand-in for Colab\'s runtime module"""\n')
    inside = run_cell(python, cell, tmp_path, colab_stub=stub)
    assert inside.returncode == 0, inside.stdout + inside.stderr
    check = subprocess.run([str(python), "-c", "import chanconv, torch; print(chanconv.__file__); "
                            "print(torch.__file__, torch.__version__); print(chanconv.conv2d_cost(100, 100, 5, 5, 68, 68).macs)"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    where, torch_after, macs = check.stdout.splitlines()
    assert Path(where).is_relative_to(site), "chanconv installed into the environment, not run from the checkout"
    assert torch_after + "\n" == torch_before, "the torch that was there stays (chanconv's dependencies are unpinned)"
    assert macs == "1024000000"
    listed = json.loads(subprocess.run([str(python), "-m", "pip", "list", "--path", str(site), "--format=json"],
                                       capture_output=True, text=True, check=True).stdout)
    assert {p["name"].lower() for p in listed} - {"pip", "setuptools"} == {"chanconv"}, "chanconv alone was installed"


def test_python3_kernel_is_this_interpreter():
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    exe = spec.argv[0]
    assert exe == sys.executable or Path(exe).absolute() == Path(sys.executable).absolute(), exe
    assert Path(sysconfig.get_paths()["purelib"]).exists()
