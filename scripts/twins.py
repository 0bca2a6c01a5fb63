"""The translated twins of the notebooks' markdown cells: one file per notebook and language.

    i18n/<lang>/NN_name.md          (i18n/zh/01_multiple_input_channels.md ...)

The English notebooks are the source. Each of their markdown cells has, in that file, one twin:

    <!-- cell: 8d1c89ba en: 3f0a51c2e7d4 -->
    ## 多个输入通道
    ...

the marker line names the English cell by its id and by the first 12 hex digits of the SHA-1 of its
text (the ``en:`` stamp), and the Markdown under it, up to the next marker, is the translation. The
pair (cell id, stamp) is what ties a twin to its cell: when the English text changes its stamp no
longer matches, and the tests name the cell and the file to update (``python scripts/languages.py
status`` shows the English text beside its twin; ``restamp`` takes the new English as translated
when the change does not touch the meaning, a typo). Comments before the first marker are notes to
the translator. Code cells are shared: they have no twin.

Not translated here: the cells the header script writes (``open-links``: it writes them in each
language) and notebook 7's editor's note (``source``: in no edition). Notebook 7's twins follow its
one source, ``instructor/07_exercises.py``, whose markdown cells carry fixed ids (``id="..."``), so
that both editions (student and instructor) have a twin for every markdown cell.

A twin keeps what the reader must find unchanged: math ($...$, $$...$$), code spans (it may add
some, an English term kept beside its translation, never lose one), fenced code, link targets,
HTML tags and the heading levels (:func:`kept`).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
I18N = ROOT / "i18n"
#: markdown cells that have no twin: written by the header script in each language, or in no edition
UNTRANSLATED_TAGS = {"open-links", "source"}

MARKER = re.compile(r"^<!-- cell: (?P<id>[A-Za-z0-9_-]+) en: (?P<stamp>[0-9a-f]{12}) -->$", re.M)
PREAMBLE = re.compile(r"(\s*<!--(?:(?!-->).)*-->)*\s*", re.S)  # only comments before the first twin


class TwinError(ValueError):
    """A twin file that cannot be read, or a notebook whose twins are missing or stale."""


@dataclass(frozen=True)
class Twin:
    cell_id: str
    stamp: str  # the stamp of the English text it translates
    text: str
    line: int  # of its marker, for messages


def stamp(source: str) -> str:
    """The first 12 hex digits of the SHA-1 of an English cell's text (UTF-8)."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:12]


def twin_path(name: str, lang: str, root: Path = ROOT) -> Path:
    """The twin file of notebook ``name`` (``01_multiple_input_channels``) in ``lang``."""
    return root / "i18n" / lang / f"{name}.md"


def parse(text: str, where: str = "twin file") -> dict[str, Twin]:
    """The twins in a file's text, by cell id."""
    marks = list(MARKER.finditer(text))
    if not PREAMBLE.fullmatch(text[: marks[0].start()] if marks else text):
        raise TwinError(f"{where}: only comments may come before the first '<!-- cell: ... -->' line")
    twins: dict[str, Twin] = {}
    for mark, end in zip(marks, [m.start() for m in marks[1:]] + [len(text)]):
        line = text.count("\n", 0, mark.start()) + 1
        cell_id = mark["id"]
        if cell_id in twins:
            raise TwinError(f"{where}:{line}: a second twin of cell {cell_id} (the first is on line "
                            f"{twins[cell_id].line})")
        body = text[mark.end(): end].strip("\n")
        twins[cell_id] = Twin(cell_id, mark["stamp"], body.rstrip(), line)
    return twins


def read(path: Path) -> dict[str, Twin]:
    """The twins of one file (an empty dict when there is no file)."""
    if not path.exists():
        return {}
    return parse(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path))


def render(entries: list[tuple[str, str, str]], note: str = "") -> str:
    """A twin file's text from (cell id, stamp, translation) in the notebook's order."""
    head = f"<!-- {note} -->\n\n" if note else ""
    return head + "\n\n".join(f"<!-- cell: {i} en: {s} -->\n{text.strip()}" for i, s, text in entries) + "\n"


def note_for(name: str) -> str:
    return (f"The Chinese twins of the markdown cells of notebooks/{name}: scripts/twins.py explains "
            "the format, `python scripts/languages.py status` what is missing or stale")


def translatable(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The markdown cells of an English notebook that have a twin."""
    return [c for c in nb.cells if c.cell_type == "markdown"
            and not UNTRANSLATED_TAGS & set(c.get("metadata", {}).get("tags", []))]


def problems(nb: nbformat.NotebookNode, twins: dict[str, Twin], where: str, orphans: bool = True) -> list[str]:
    """What ties the English cells and their twins badly: a cell without a twin, a stale twin, and (``orphans``)
    a twin without a cell. Without ``orphans`` the notebook may be one edition of the cells the twins cover."""
    out = []
    cells = translatable(nb)
    ids = [c.get("id") for c in cells]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        out.append(f"two markdown cells share the id {dup}: give each its own")
    for cell in cells:
        twin = twins.get(cell.get("id"))
        first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
        if twin is None:
            out.append(f"cell {cell.get('id')} ({first!r}) has no twin in {where}")
        elif twin.stamp != stamp(cell.source):
            out.append(f"cell {cell.get('id')} ({first!r}) changed since its twin in {where}:{twin.line} was "
                       f"written (en: {twin.stamp}, now {stamp(cell.source)}): update the translation and its stamp")
        elif not twin.text.strip():
            out.append(f"cell {cell.get('id')} ({first!r}): its twin in {where}:{twin.line} is empty")
    for twin in twins.values() if orphans else ():
        if twin.cell_id not in ids:
            out.append(f"{where}:{twin.line}: the twin of cell {twin.cell_id} has no English cell (removed? "
                       "its id changed?): delete it or move it to the cell it translates")
    return out


def translate(nb: nbformat.NotebookNode, twins: dict[str, Twin], where: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` with each markdown cell's text replaced by its twin (id, metadata, code cells kept).

    Raises :class:`TwinError` naming every missing or stale twin.
    """
    found = problems(nb, twins, where, orphans=False)
    if found:
        raise TwinError(f"{where} does not match the English notebook:\n  " + "\n  ".join(found))
    nb = nbformat.from_dict(nb)
    for cell in translatable(nb):
        cell.source = twins[cell.id].text
    return nb


# What a twin keeps ------------------------------------------------------------------------------
KEPT = {
    "math": re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.S),
    "code span": re.compile(r"`[^`\n]+`"),
    "fenced code": re.compile(r"```.*?```", re.S),
    "link target": re.compile(r"\]\(([^)]+)\)"),
    "HTML tag": re.compile(r"<[a-zA-Z/][^>]*>"),
}
HEADING = re.compile(r"^(#+) ", re.M)


def _outside_fences(text: str) -> str:
    return KEPT["fenced code"].sub("", text)


def kept(en: str, translation: str) -> list[str]:
    """What the translation of ``en`` lost or changed of the parts a reader must find unchanged."""
    out = []
    for name, pattern in KEPT.items():
        a = Counter(pattern.findall(en if name == "fenced code" else _outside_fences(en)))
        b = Counter(pattern.findall(translation if name == "fenced code" else _outside_fences(translation)))
        lost, added = a - b, b - a
        if name == "code span":
            added = Counter()  # an English term may be kept as code beside its translation
        if lost:
            out.append(f"{name} lost or changed: {', '.join(sorted(lost))[:200]}")
        if added:
            out.append(f"{name} added: {', '.join(sorted(added))[:200]}")
    levels = [len(m) for m in HEADING.findall(_outside_fences(en))]
    if levels != [len(m) for m in HEADING.findall(_outside_fences(translation))]:
        out.append(f"headings differ: the English has levels {levels}")
    return out
