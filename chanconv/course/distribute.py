"""How the course reaches a student: ``python -m chanconv.course DIR``, and the notebooks' Colab cell.

    python -m chanconv.course DIR [--force] [--lang zh]

Writes the student notebooks (``00_overview.ipynb`` …, in Chinese with ``--lang zh``: the
translations in ``notebooks/zh/``; notebook 7 holds the exercises' blanks and
checks, never their worked solutions, which only the instructor edition of a checkout has:
``make instructor``) and the course's pictures (``assets/``) into DIR, then
says how to open them. The notebooks name the standard ``python3`` kernel, so they run in
whatever Python environment has chanconv installed. Works from an installed chanconv (the
notebooks travel inside the wheel) and from a checkout.

The first cell of every notebook: in Google Colab it installs chanconv, anywhere else it does
nothing. In Colab a notebook opened from the repository has no chanconv yet, so the cell cannot
import anything from here: ``scripts/notebook_header.py`` writes the text that :func:`cell_source`
returns into each notebook (a few lines, no dependency on chanconv), and the tests run that same
text with a stand-in ``google.colab`` module and a local path as the source.

The repository's address is written once, in ``pyproject.toml`` (``[project.urls] Repository``);
:func:`repository_url` reads it, and the Colab and Binder links are made from it
(``make header`` rewrites them all).

chanconv is installed *alone*: its declared dependencies (torch, numpy, matplotlib, ipywidgets)
are unpinned, so pip keeps the torch build Colab ships (with CUDA on a GPU runtime) instead of
replacing it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from importlib.metadata import metadata
from pathlib import Path

from ..core.i18n import LANGUAGES, _, set_language

#: The package's folder and, in a checkout, the repository's (where pyproject.toml, notebooks/ and assets/ are).
PACKAGE = Path(__file__).resolve().parents[1]
REPOSITORY = PACKAGE.parent

EXERCISE_TAG = "exercise"  # the blanks and answer cells a student fills in


def _folder(installed_name: str, checkout_name: str) -> Path:
    """In a checkout (editable install) the repository's folder; in an installed chanconv its copy."""
    checkout = REPOSITORY / checkout_name
    if checkout.is_dir() and (REPOSITORY / "pyproject.toml").exists():
        return checkout
    return PACKAGE / installed_name


def notebook_sources(lang: str = "en") -> list[Path]:
    """The course's notebooks in ``lang`` ("en", or "zh": the translations in notebooks/zh/), in lecture order."""
    folder = _folder("course_notebooks", "notebooks")
    found = sorted((folder if lang == "en" else folder / lang).glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise FileNotFoundError(_("no course notebooks found beside chanconv: reinstall it (pip install chanconv)"))
    return found


def asset_sources() -> list[Path]:
    return sorted(_folder("course_assets", "assets").glob("*.png"))


def student_notebook(nb: dict) -> dict:
    """A notebook as a student gets it: a plain notebook (no .py pair).

    Stored outputs stay, so the figures are there before a cell is run; in notebooks with
    exercises every output is cleared, so that each check first speaks when the student runs it.
    """
    nb = json.loads(json.dumps(nb))
    tags = [c.get("metadata", {}).get("tags", []) for c in nb["cells"]]
    if any(EXERCISE_TAG in t for t in tags):
        for c in nb["cells"]:
            if c["cell_type"] == "code":
                c["outputs"], c["execution_count"] = [], None
        nb["metadata"].pop("widgets", None)
    nb["metadata"].pop("jupytext", None)  # a plain notebook, no .py pair beside it
    return nb


def copy_course(dest: str | Path, force: bool = False, lang: str = "en") -> list[Path]:
    """Write the notebooks in ``lang`` and the assets into ``dest``; returns the paths written."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for src in notebook_sources(lang):
        target = dest / src.name
        if target.exists() and not force:
            raise FileExistsError(_("{path} exists: it may hold your work. Choose another folder or pass --force")
                                  .format(path=target))
        nb = student_notebook(json.loads(src.read_text(encoding="utf-8")))
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    for src in asset_sources():
        (dest / "assets").mkdir(exist_ok=True)
        target = dest / "assets" / src.name
        target.write_bytes(src.read_bytes())
        written.append(target)
    return written


def how_to_open(dest: Path) -> str:
    return _(
        "Open them with JupyterLab, in this same Python environment:\n"
        "    jupyter lab {dest}\n"
        "(no JupyterLab yet? `pip install jupyterlab jupyterlab-rise` installs it, with live slides: Alt+R).\n"
        "Start with 00_overview.ipynb; run a notebook top to bottom with Run > Run All Cells.\n"
        "Any Jupyter front end works (VS Code, classic notebook): choose the Python 3 kernel of the\n"
        "environment that has chanconv."
    ).format(dest=dest)


# The Colab cell and the links -----------------------------------------------------------------
TAG = "colab-setup"  # the cell tag that marks the Colab cell (the header script and the site find it by this)

CELL_TEMPLATE = """\
# Only in Google Colab (anywhere else this cell does nothing): install chanconv from its repository.
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", {requirement}], check=True)"""


def repository_url(pyproject: str | Path | None = None) -> str:
    """The project's repository address, from ``[project.urls] Repository`` in ``pyproject.toml``.

    In a checkout it reads ``pyproject.toml``; in an installed copy (no checkout beside it) the
    same address from the package's metadata (``Project-URL: Repository, ...``).
    """
    path = Path(pyproject) if pyproject else REPOSITORY / "pyproject.toml"
    if path.exists():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        url = data.get("project", {}).get("urls", {}).get("Repository")
    else:
        urls = dict(u.split(", ", 1) for u in metadata("chanconv").get_all("Project-URL") or [])
        url = urls.get("Repository")
    if not url:
        raise ValueError("pyproject.toml has no [project.urls] Repository")
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise ValueError(f"Repository URL {url!r} is not https://github.com/OWNER/NAME (Colab and Binder need one)")
    return url


def requirement(source: str) -> str:
    """What pip installs: ``chanconv @ git+URL`` for a repository address, the path itself for a local folder."""
    if source.startswith(("https://", "http://")):
        return f"chanconv @ git+{source}"
    return str(source)


def cell_source(source: str) -> str:
    """The text of the Colab cell that installs chanconv from ``source`` (a repository URL or a local path)."""
    return CELL_TEMPLATE.format(requirement=json.dumps(requirement(source)))


def _owner_name(url: str) -> str:
    return url.removeprefix("https://github.com/")


def colab_url(notebook: str, url: str | None = None, branch: str = "main") -> str:
    """The "Open in Colab" address of ``notebooks/<notebook>`` on ``branch``."""
    repo = _owner_name(url or repository_url())
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/notebooks/{notebook}"


def binder_url(notebook: str, url: str | None = None, branch: str = "main") -> str:
    """The Binder address that opens ``notebooks/<notebook>`` in JupyterLab (Binder builds environment.yml)."""
    repo = _owner_name(url or repository_url())
    return f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=lab/tree/notebooks/{notebook}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chanconv.course", description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path, help="the folder to write the course into (created if missing)")
    parser.add_argument("--force", action="store_true", help="overwrite notebooks already in DEST")
    parser.add_argument("--lang", choices=LANGUAGES, default="en",
                        help="the notebooks' language: en (English) or zh (中文, Chinese)")
    args = parser.parse_args(argv)
    set_language(args.lang)
    try:
        written = copy_course(args.dest, args.force, args.lang)
    except (FileExistsError, FileNotFoundError) as exc:
        print(_("error: {problem}").format(problem=exc), file=sys.stderr)
        return 1
    notebooks = [p for p in written if p.suffix == ".ipynb"]
    dest = args.dest.resolve()
    print(_("Copied {notebooks} notebooks and {pictures} pictures into {dest}").format(
        notebooks=len(notebooks), pictures=len(written) - len(notebooks), dest=dest))
    print(how_to_open(dest))
    return 0

