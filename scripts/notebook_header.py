"""Give every notebook the course's standard header; safe to run again and again (idempotent).

    python scripts/notebook_header.py [NOTEBOOK.ipynb ...]      (default: notebooks/*.ipynb, notebooks/zh/*.ipynb)
    python scripts/notebook_header.py --check                    (exit 1 and name what is missing)

For each notebook it
- names the standard ``python3`` kernelspec (any environment's Jupyter has one; `make lab`,
  `make notebooks` and the tests run it with .venv's interpreter);
- makes its first cell the Colab cell (``chanconv.course.distribute.cell_source``, tagged ``colab-setup``,
  skipped in slides): in Colab it installs chanconv from the repository URL in pyproject.toml,
  anywhere else it does nothing;
- in a translated notebook (``notebooks/zh/``) puts the language cell right after it
  (``chanconv.set_language("zh")``, tagged ``language``, skipped in slides), so that chanconv's own
  text (figure labels, the explorer, the checks' verdicts, errors) and the notebook's own words
  (``chanconv.tr``) speak the notebook's language, and ``use_language_font()``, so that the figures
  the notebook's own code draws take a font that has its glyphs; English notebooks have none;
- in ``00_overview`` keeps the "Open in Colab" / Binder links (tagged ``open-links``) under the
  title, made from the same URL, in the notebook's language and to the notebook in that language;
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

from chanconv.core.i18n import LANGUAGES  # noqa: E402  (a translation lives in notebooks/<lang>/)
from chanconv.course import distribute  # noqa: E402

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LINKS_TAG = "open-links"
LANGUAGE_TAG = "language"

LINKS = {
    "en": ("**Open this course without installing anything**: "
           "[Open in Colab]({colab}) (Google's free notebooks; the first cell installs chanconv there) · "
           "[Launch on Binder]({binder}) (a JupyterLab with this repository's `environment.yml`, CPU only; "
           "it may take a few minutes to start)."),
    "zh": ("**无需安装即可打开本课程**：[在Colab中打开]({colab})（Google的免费笔记本服务；第一个单元格会在那里"
           "安装chanconv）· [在Binder上启动]({binder})（一个使用本仓库`environment.yml`环境的JupyterLab，只有CPU；"
           "启动可能需要几分钟）。"),
}

LANGUAGE_CELL = """\
# {comment}
import chanconv
from chanconv.core.fonts import use_language_font

chanconv.set_language("{lang}")
font = use_language_font()  # {font_comment}"""
LANGUAGE_COMMENTS = {"zh": ("中文版：chanconv 输出的文字（图的标注、探索器、练习检查的结论、错误信息）用中文",
                            "笔记本自己画的图也用中文字体（没有中文字体时保持英文，并有一行说明）")}


def language_of(path: Path) -> str:
    """A notebook's language: ``zh`` in notebooks/zh/, else English."""
    return path.parent.name if path.parent.name in LANGUAGES else "en"


def notebook_path(name: str, lang: str = "en") -> str:
    """The notebook's path under notebooks/ (``zh/00_overview.ipynb`` for the Chinese one)."""
    return f"{name}.ipynb" if lang == "en" else f"{lang}/{name}.ipynb"


def links_source(notebook: str = "00_overview.ipynb", lang: str = "en") -> str:
    """The overview's Colab and Binder links, to ``notebooks/<notebook>``, in ``lang``."""
    url = distribute.repository_url()
    return LINKS[lang].format(colab=distribute.colab_url(notebook, url), binder=distribute.binder_url(notebook, url))


def language_source(lang: str) -> str:
    """The cell of a translated notebook that switches chanconv's own text to ``lang``."""
    comment, font_comment = LANGUAGE_COMMENTS[lang]
    return LANGUAGE_CELL.format(comment=comment, font_comment=font_comment, lang=lang)


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


def _shift_counts(nb: nbformat.NotebookNode, start: int) -> None:
    """A new cell runs before the cells from ``start`` on: each of their counts moves up by one."""
    for c in nb.cells[start:]:
        if c.cell_type == "code" and c.get("execution_count"):
            c.execution_count += 1
            for out in c.get("outputs", []):
                if out.get("execution_count"):
                    out["execution_count"] += 1


def _place(nb: nbformat.NotebookNode, index: int, tag: str, source: str, cell_id: str) -> None:
    """The one code cell tagged ``tag`` at ``index``: ``source``, no output, skipped in slides.

    A cell inserted into an executed notebook gets the count a clean run would give it, and every
    later count moves up by one, so the stored outputs stay valid (`make notebooks` re-executes anyway).
    """
    found = tagged(nb, tag)
    if found:
        cell = nb.cells.pop(found[0])
        for i in reversed(found[1:]):
            nb.cells.pop(i - 1)
    else:
        ran = any(c.cell_type == "code" and c.get("execution_count") for c in nb.cells)
        _shift_counts(nb, index)
        cell = nbformat.v4.new_code_cell(source)
        cell.execution_count = sum(c.cell_type == "code" for c in nb.cells[:index]) + 1 if ran else None
    cell.source = source
    cell.outputs = []
    cell.metadata = {"slideshow": {"slide_type": "skip"}, "tags": [tag]}
    cell.pop("id", None)
    cell["id"] = cell_id
    nb.cells.insert(index, cell)


def apply(nb: nbformat.NotebookNode, name: str, lang: str = "en") -> bool:
    """Bring one notebook's header in line (``lang``: the notebook's language); returns whether anything changed."""
    before = nbformat.writes(nb)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    _place(nb, 0, distribute.TAG, distribute.cell_source(distribute.repository_url()), "colab-setup")
    if lang == "en":
        for i in reversed(tagged(nb, LANGUAGE_TAG)):
            nb.cells.pop(i)
    else:
        _place(nb, 1, LANGUAGE_TAG, language_source(lang), "set-language")
    if name == "00_overview":
        _place_links(nb, links_source(notebook_path(name, lang), lang))
    return nbformat.writes(nb) != before


def _place_links(nb: nbformat.NotebookNode, source: str) -> None:
    """The overview's links cell: where it is (among the title slide's notes), else right under the title."""
    found = tagged(nb, LINKS_TAG)
    for i in reversed(found[1:]):
        nb.cells.pop(i)
    if found:
        links = nb.cells[found[0]]
    else:
        title = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown")
        links = nbformat.v4.new_markdown_cell("")
        links["id"] = "open-links"
        nb.cells.insert(title + 1, links)
    links.source = source
    links.metadata = {"slideshow": {"slide_type": "notes"}, "tags": [LINKS_TAG]}  # in a deck: the speaker notes


def missing(nb: nbformat.NotebookNode, name: str, lang: str = "en") -> list[str]:
    """What the header lacks (empty when the notebook is in line)."""
    out = []
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        out.append("the python3 kernelspec")
    first = nb.cells[0] if nb.cells else None
    if not (first and first.cell_type == "code" and distribute.TAG in first.metadata.get("tags", [])
            and first.source == distribute.cell_source(distribute.repository_url())):
        out.append("the Colab cell (first, current)")
    second = nb.cells[1] if len(nb.cells) > 1 else None
    if lang != "en" and not (second and second.cell_type == "code" and second.source == language_source(lang)
                             and LANGUAGE_TAG in second.metadata.get("tags", [])):
        out.append(f"the language cell (second, set_language({lang!r}))")
    if lang == "en" and tagged(nb, LANGUAGE_TAG):
        out.append("no language cell (an English notebook speaks English)")
    links = links_source(notebook_path(name, lang), lang)
    if name == "00_overview" and not any(c.source == links for c in nb.cells if c.cell_type == "markdown"):
        out.append("the Colab/Binder links")
    return out


def notebooks(root: Path = ROOT) -> list[Path]:
    """Every notebook of the course: the English ones and their translations (notebooks/zh/)."""
    return sorted((root / "notebooks").glob("*.ipynb")) + [
        p for lang in LANGUAGES[1:] for p in sorted((root / "notebooks" / lang).glob("*.ipynb"))]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"] or notebooks()
    if check:
        bad = {notebook_path(p.stem, language_of(p)): m for p in paths
               if (m := missing(nbformat.read(p, as_version=4), p.stem, language_of(p)))}
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
        if apply(nb, path.stem, language_of(path)):
            nbformat.write(nb, path)
            print("header updated:", notebook_path(path.stem, language_of(path)))
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
