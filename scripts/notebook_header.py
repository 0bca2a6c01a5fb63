"""Give every notebook the course's standard header; safe to run again and again (idempotent).

    python scripts/notebook_header.py [NOTEBOOK.ipynb ...]      (default: notebooks/*.ipynb)
    python scripts/notebook_header.py --check                    (exit 1 and name what is missing)

For each notebook it
- names the standard ``python3`` kernelspec (any environment's Jupyter has one; `make lab`,
  `make notebooks` and the tests run it with .venv's interpreter);
- makes its first cell the Colab cell (``chanconv.course.distribute.cell_source``, tagged ``colab-setup``,
  skipped in slides): in Colab it installs chanconv from the repository URL in pyproject.toml,
  anywhere else it does nothing;
- in ``00_overview`` keeps the "Open in Colab" / Binder links (tagged ``open-links``) under the
  title, made from the same URL;
and rewrites the notebook's py:percent pair. Outside the notebooks it points every other copy of
the address at the same URL (``LINKED_FILES``): the README's Colab and Binder badges and its
``pip install "chanconv[lab] @ git+..."`` line, and ``repository-code`` in CITATION.cff. So someone
hosting their own copy of the course changes ``[project.urls] Repository`` in pyproject.toml and
runs ``make header``; ``--check`` names any file still pointing elsewhere. A newly inserted Colab cell shifts the stored
execution counts by one, exactly as a clean re-run would (the cell prints nothing), so the
stored outputs stay valid; `make notebooks` re-executes anyway.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's chanconv, so that its pyproject.toml is the one read

import jupytext  # noqa: E402
import nbformat  # noqa: E402

from chanconv.course import distribute  # noqa: E402

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LINKS_TAG = "open-links"


def links_source(notebook: str = "00_overview.ipynb") -> str:
    url = distribute.repository_url()
    return (
        "**Open this course without installing anything**: "
        f"[Open in Colab]({distribute.colab_url(notebook, url)}) (Google's free notebooks; the first cell installs "
        "chanconv there) · "
        f"[Launch on Binder]({distribute.binder_url(notebook, url)}) (a JupyterLab with this repository's "
        "`environment.yml`, CPU only; it may take a few minutes to start)."
    )


# Files outside the notebooks that carry the repository's address, and the forms it takes there
# (OWNER/NAME are rewritten, whatever they were): Colab's and Binder's links, pip's git+ address,
# the citation's repository-code.
LINKED_FILES = ("README.md", "CITATION.cff")
_OWNER_NAME = r"[\w.-]+/[\w.-]+"
LINK_FORMS = (
    (rf"https://colab\.research\.google\.com/github/{_OWNER_NAME}/blob/",
     "https://colab.research.google.com/github/{}/blob/"),
    (rf"https://mybinder\.org/v2/gh/{_OWNER_NAME}/", "https://mybinder.org/v2/gh/{}/"),
    (rf"@ git\+https://github\.com/{_OWNER_NAME}\b", "@ git+https://github.com/{}"),
    (rf'repository-code: "https://github\.com/{_OWNER_NAME}"', 'repository-code: "https://github.com/{}"'),
)


def retarget(text: str, url: str) -> str:
    """``text`` with every Colab, Binder, pip and citation link pointing at the repository ``url``."""
    owner_name = url.removeprefix("https://github.com/")
    for pattern, form in LINK_FORMS:
        text = re.sub(pattern, lambda _, form=form: form.format(owner_name), text)
    return text


def stale_links(root: Path = ROOT) -> list[str]:
    """The files of LINKED_FILES whose links do not point at pyproject.toml's address."""
    url = distribute.repository_url(root / "pyproject.toml")
    return [name for name in LINKED_FILES
            if (root / name).exists() and retarget((root / name).read_text(encoding="utf-8"), url)
            != (root / name).read_text(encoding="utf-8")]


def tagged(nb, tag):
    return [i for i, c in enumerate(nb.cells) if tag in c.get("metadata", {}).get("tags", [])]


def apply(nb: nbformat.NotebookNode, name: str) -> bool:
    """Bring one notebook's header in line; returns whether anything changed."""
    before = nbformat.writes(nb)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    source = distribute.cell_source(distribute.repository_url())
    found = tagged(nb, distribute.TAG)
    if found:
        cell = nb.cells.pop(found[0])
        for i in reversed(found[1:]):
            nb.cells.pop(i)
    else:
        ran = any(c.cell_type == "code" and c.get("execution_count") for c in nb.cells)
        for c in nb.cells:  # the new cell runs first: every later count moves up by one
            if c.cell_type == "code" and c.get("execution_count"):
                c.execution_count += 1
                for out in c.get("outputs", []):
                    if out.get("execution_count"):
                        out["execution_count"] += 1
        cell = nbformat.v4.new_code_cell(source)
        cell.execution_count = 1 if ran else None
    cell.source = source
    cell.outputs = []
    cell.metadata = {"slideshow": {"slide_type": "skip"}, "tags": [distribute.TAG]}
    cell.pop("id", None)
    cell["id"] = "colab-setup"
    nb.cells.insert(0, cell)
    if name == "00_overview":
        for i in reversed(tagged(nb, LINKS_TAG)):
            nb.cells.pop(i)
        title = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown")
        links = nbformat.v4.new_markdown_cell(links_source(), metadata={"tags": [LINKS_TAG]})
        links["id"] = "open-links"
        nb.cells.insert(title + 1, links)
    return nbformat.writes(nb) != before


def missing(nb: nbformat.NotebookNode, name: str) -> list[str]:
    """What the header lacks (empty when the notebook is in line)."""
    out = []
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        out.append("the python3 kernelspec")
    first = nb.cells[0] if nb.cells else None
    if not (first and first.cell_type == "code" and distribute.TAG in first.metadata.get("tags", [])
            and first.source == distribute.cell_source(distribute.repository_url())):
        out.append("the Colab cell (first, current)")
    if name == "00_overview" and not any(c.source == links_source() for c in nb.cells if c.cell_type == "markdown"):
        out.append("the Colab/Binder links")
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if check:
        bad = {p.name: m for p in paths if (m := missing(nbformat.read(p, as_version=4), p.stem))}
        for name, what in bad.items():
            print(f"{name}: lacks {', '.join(what)}")
        stale = stale_links()
        for name in stale:
            print(f"{name}: links to another repository than pyproject.toml's")
        if bad or stale:
            print("run `make header`")
        return 1 if bad or stale else 0
    pairs = [p.with_suffix(".py") for p in paths if p.with_suffix(".py").exists()]
    if pairs:  # take in any edit made to a .py pair first, so that nothing is overwritten
        subprocess.run([sys.executable, "-m", "jupytext", "--quiet", "--sync", *map(str, pairs)], check=True)
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if apply(nb, path.stem):
            nbformat.write(nb, path)
            print("header updated:", path.name)
        pair = path.with_suffix(".py")
        text = jupytext.writes(nb, fmt="py:percent")
        if not pair.exists() or pair.read_text(encoding="utf-8") != text:
            pair.write_text(text, encoding="utf-8")
    url = distribute.repository_url()
    for name in stale_links():
        path = ROOT / name
        path.write_text(retarget(path.read_text(encoding="utf-8"), url), encoding="utf-8")
        print("links updated:", name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
