"""The course in another language, built from the English notebooks and the twins of their markdown cells.

    python scripts/languages.py build  [NN_name ...] [--lang zh]   # notebooks/zh/NN_name.ipynb, unexecuted
    python scripts/languages.py status [NN_name ...] [--lang zh]   # what is missing or stale, the English beside it
    python scripts/languages.py restamp NN_name CELL_ID [--lang zh] # the twin stays, stamped with today's English

``make zh`` builds every notebook, executes each top to bottom on the CPU (as ``make notebooks``
does the English ones) and writes its jupytext pair ``notebooks/zh/NN_name.py``: the outputs come
only from that clean run.

A translated notebook is its English notebook (``notebooks/NN_name.ipynb``) with
- every markdown cell replaced by its twin in ``i18n/<lang>/NN_name.md`` (same cell id, same
  metadata: slide marks and tags), see ``scripts/twins.py``;
- every code cell as it is, outputs cleared;
- the header in its language (``scripts/notebook_header.py``): the Colab cell, then the language
  cell ``chanconv.set_language("zh")``, and notebook 0's Colab/Binder links to the translation.
The translation lives in ``notebooks/<lang>/`` beside the English, so the links between notebooks
(``01_multiple_input_channels.ipynb``) lead to the same language. Nothing in ``notebooks/<lang>/``
is edited by hand: change the English notebook or the twins, then ``make zh``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import editions  # scripts/ beside this file
import jupytext
import nbformat
import notebook_header
import twins

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = notebook_header.LANGUAGES[1:]  # the languages other than English


def english_notebooks(root: Path = ROOT) -> list[Path]:
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def english_cells(name: str, root: Path = ROOT) -> nbformat.NotebookNode:
    """The English cells the twins of ``name`` translate: the notebook's; notebook 7's one source
    (both editions' cells, instructor/07_exercises.py)."""
    if name == editions.STUDENT_NOTEBOOK.stem:
        return editions.read_source(root / editions.SOURCE.relative_to(ROOT))
    return nbformat.read(root / "notebooks" / f"{name}.ipynb", as_version=4)


def where(name: str, lang: str) -> str:
    return str(twins.twin_path(name, lang).relative_to(ROOT))


def translated(name: str, lang: str = "zh") -> nbformat.NotebookNode:
    """``notebooks/<lang>/<name>.ipynb`` as the sources make it, unexecuted."""
    english = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    nb = twins.translate(english, twins.read(twins.twin_path(name, lang)), where(name, lang))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    nb.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    notebook_header.apply(nb, name, lang)
    return nb


def build(names: list[str], lang: str = "zh") -> list[Path]:
    """Write the translated notebooks (unexecuted) and their .py pairs; returns the notebooks."""
    out = ROOT / "notebooks" / lang
    out.mkdir(exist_ok=True)
    written = []
    for name in names:
        nb = translated(name, lang)
        path = out / f"{name}.ipynb"
        nbformat.write(nb, path)
        path.with_suffix(".py").write_text(jupytext.writes(nb, fmt="py:percent"), encoding="utf-8")
        written.append(path)
    return written


def status(names: list[str], lang: str = "zh") -> int:
    """Print each cell whose twin is missing or stale, with its English text and the twin; 1 if any."""
    bad = 0
    for name in names:
        nb, found = english_cells(name), twins.read(twins.twin_path(name, lang))
        for problem in twins.problems(nb, found, where(name, lang)):
            bad += 1
            print(f"{name}: {problem}")
        for cell in twins.translatable(nb):
            twin = found.get(cell.id)
            if twin is None or twin.stamp != twins.stamp(cell.source):
                print(f"--- English, cell {cell.id} (en: {twins.stamp(cell.source)}):\n{cell.source}")
                print(f"--- twin:\n{twin.text if twin else '(none)'}\n")
    print(f"{bad} problems" if bad else f"every twin is current ({', '.join(names)})")
    return 1 if bad else 0


def restamp(name: str, cell_id: str, lang: str = "zh") -> Path:
    """Stamp the twin of ``cell_id`` with its English cell's text of today (the translation stays)."""
    path = twins.twin_path(name, lang)
    text = path.read_text(encoding="utf-8")
    cell = next((c for c in twins.translatable(english_cells(name)) if c.id == cell_id), None)
    twin = twins.read(path).get(cell_id)
    if cell is None or twin is None:
        raise SystemExit(f"{name}: no English markdown cell {cell_id} with a twin in {where(name, lang)}")
    old = f"<!-- cell: {cell_id} en: {twin.stamp} -->"
    path.write_text(text.replace(old, f"<!-- cell: {cell_id} en: {twins.stamp(cell.source)} -->", 1), encoding="utf-8")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["build", "status", "restamp"])
    parser.add_argument("names", nargs="*", help="notebooks (NN_name; default: all); restamp: NN_name CELL_ID")
    parser.add_argument("--lang", choices=TRANSLATIONS, default=TRANSLATIONS[0])
    args = parser.parse_intermixed_args(argv)
    if args.command == "restamp":
        if len(args.names) != 2:
            parser.error("restamp needs NN_name CELL_ID")
        print("restamped", restamp(*args.names, lang=args.lang).relative_to(ROOT))
        return 0
    names = [Path(n).stem for n in args.names] or [p.stem for p in english_notebooks()]
    if args.command == "status":
        return status(names, args.lang)
    try:
        for path in build(names, args.lang):
            print("wrote", path.relative_to(ROOT), "and its .py pair")
    except twins.TwinError as exc:
        print(f"error: {exc}\n(`python scripts/languages.py status` shows the English text beside each twin)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
