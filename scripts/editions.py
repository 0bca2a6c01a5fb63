"""Build the student and the instructor edition of the notebooks from the one source.

    python scripts/editions.py generate                      # notebooks/07_exercises.(py|ipynb) from the source
    python scripts/editions.py student    OUT_DIR [--execute] [--lang zh]
    python scripts/editions.py instructor OUT_DIR [--execute] [--lang zh]

The exercises have one source, ``instructor/07_exercises.py`` (py:percent). Cells tagged
``solution`` (model solutions and model answers) appear only in the instructor edition; cells
tagged ``exercise`` (the blanks and the ✍ answer cells) only in the student edition; cells tagged
``source`` in neither. The student edition of the source *is* ``notebooks/07_exercises``, what
``make lab`` shows (``generate`` writes it; a test keeps the committed one equal to it; ``make
notebooks`` executes it). The other notebooks are the same in both editions. Outputs are
cleared; ``--execute`` runs every notebook of the edition top to bottom.

Every markdown cell of the source carries a fixed id (``id="..."`` in its cell marker): the
generated notebook keeps it, and the cell's Chinese twin in ``i18n/zh/07_exercises.md`` is keyed
by it (``scripts/twins.py``). ``--lang zh`` builds the edition in Chinese: the other notebooks are
``notebooks/zh/``'s, notebook 7 is the source with every markdown cell replaced by its twin, the
instructor's model answers included.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat
import notebook_header  # scripts/ beside this file
import twins

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "instructor" / "07_exercises.py"
STUDENT_NOTEBOOK = ROOT / "notebooks" / "07_exercises.ipynb"
DROP = {"student": {"solution", "source"}, "instructor": {"exercise", "source"}}


def read_source(path: Path = SOURCE, lang: str = "en") -> nbformat.NotebookNode:
    """The one source in ``lang``, with the course's standard header (python3 kernel, the Colab cell first).

    A cell's ``id`` in the source becomes its cell id (the key of its twins); in another language
    than English every markdown cell is its twin (``i18n/<lang>/07_exercises.md``).
    """
    nb = jupytext.read(path, fmt="py:percent")
    for cell in nb.cells:
        if "id" in cell.metadata:
            cell.id = cell.metadata.pop("id")
    if lang != "en":
        where = twins.twin_path(STUDENT_NOTEBOOK.stem, lang)
        nb = twins.translate(nb, twins.read(where), str(where.relative_to(ROOT)))
    notebook_header.apply(nb, STUDENT_NOTEBOOK.stem, lang)
    return nb


def edition(nb: nbformat.NotebookNode, kind: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` without the cells the edition ``kind`` drops, outputs cleared."""
    drop = DROP[kind]
    nb = nbformat.from_dict(nb)
    nb.cells = [c for c in nb.cells if not drop & set(c.get("metadata", {}).get("tags", []))]
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("jupytext", None)  # an edition is a plain notebook, not paired
    return nb


def student_notebook() -> nbformat.NotebookNode:
    """notebooks/07_exercises as the source defines it (unexecuted, paired with its .py)."""
    nb = edition(read_source(), "student")
    nb.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    return nb


def generate() -> list[Path]:
    """Write notebooks/07_exercises.py and .ipynb (unexecuted: `make notebooks` executes it)."""
    nb = student_notebook()
    py = STUDENT_NOTEBOOK.with_suffix(".py")
    py.write_text(jupytext.writes(nb, fmt="py:percent"), encoding="utf-8")
    written = jupytext.read(py)
    for cell, source_cell in zip(written.cells, nb.cells, strict=True):  # the .py holds no ids: the source's
        cell.id = source_cell.id
    nbformat.write(written, STUDENT_NOTEBOOK)
    return [py, STUDENT_NOTEBOOK]


def notebook_folder(lang: str = "en") -> Path:
    """notebooks/, or its translation notebooks/<lang>/."""
    return ROOT / "notebooks" if lang == "en" else ROOT / "notebooks" / lang


def sources(kind: str, lang: str = "en") -> list[tuple[str, nbformat.NotebookNode]]:
    """(file name, notebook) of every notebook of the edition in ``lang``, 07 from the one source."""
    out = []
    for path in sorted(notebook_folder(lang).glob("*.ipynb")):
        nb = read_source(lang=lang) if path.name == STUDENT_NOTEBOOK.name else nbformat.read(path, as_version=4)
        out.append((path.name, edition(nb, kind)))
    return out


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 300) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def build(kind: str, out: Path, execute_: bool = False, only: list[str] | None = None,
          lang: str = "en") -> list[Path]:
    """Write the edition ``kind`` in ``lang`` to ``out`` (only the notebooks named in ``only``, if given)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, nb in sources(kind, lang):
        if only and name not in only:
            continue
        if execute_:
            execute(nb, out)
        path = out / name
        nbformat.write(nb, path)
        written.append(path)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=sorted(DROP) + ["generate"])
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--execute", action="store_true")
    parser.add_argument("--lang", choices=notebook_header.LANGUAGES, default="en",
                        help="the edition's language (zh: notebooks/zh/ and notebook 7's Chinese twins)")
    args = parser.parse_args(argv)
    if args.kind == "generate":
        paths = generate()
    else:
        if args.out is None:
            parser.error(f"{args.kind} needs OUT_DIR")
        paths = build(args.kind, args.out, args.execute, lang=args.lang)
    for path in paths:
        print("wrote", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    sys.exit(main())
