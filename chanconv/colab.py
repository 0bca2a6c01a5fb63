"""The first cell of every notebook: in Google Colab it installs chanconv, anywhere else it does nothing.

In Colab a notebook opened from the repository has no chanconv yet, so the cell cannot import
anything from here: ``scripts/notebook_header.py`` writes the text that :func:`cell_source`
returns into each notebook (a few lines, no dependency on chanconv), and the tests run that
same text with a stand-in ``google.colab`` module and a local path as the source.

The repository's address is written once, in ``pyproject.toml`` (``[project.urls] Repository``);
:func:`repository_url` reads it, and the Colab and Binder links are made from it.

chanconv is installed *alone*: its declared dependencies (torch, numpy, matplotlib, ipywidgets)
are unpinned, so pip keeps the torch build Colab ships (with CUDA on a GPU runtime) instead of
replacing it.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

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
    path = Path(pyproject) if pyproject else Path(__file__).resolve().parents[1] / "pyproject.toml"
    if path.exists():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        url = data.get("project", {}).get("urls", {}).get("Repository")
    else:
        from importlib.metadata import metadata

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
