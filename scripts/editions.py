"""Build the student and the instructor edition of the notebooks from the one source.

    python scripts/editions.py student    OUT_DIR [--execute]
    python scripts/editions.py instructor OUT_DIR [--execute]

Cells tagged ``solution`` (worked solutions, code and prose) appear only in the instructor
edition; cells tagged ``exercise`` (the blanks a student fills in) only in the student edition.
Outputs are cleared; ``--execute`` runs every notebook of the edition top to bottom.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
DROP = {"student": "solution", "instructor": "exercise"}


def edition(nb: nbformat.NotebookNode, kind: str) -> nbformat.NotebookNode:
    drop = DROP[kind]
    nb = nbformat.from_dict(nb)
    nb.cells = [c for c in nb.cells if drop not in c.get("metadata", {}).get("tags", [])]
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("jupytext", None)  # an edition is a plain notebook, not paired
    return nb


def build(kind: str, out: Path, execute: bool = False, sources=None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sources or sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = edition(nbformat.read(src, as_version=4), kind)
        if execute:
            from nbclient import NotebookClient

            NotebookClient(nb, timeout=300, kernel_name="python3",
                           resources={"metadata": {"path": str(out)}}).execute()
        path = out / src.name
        nbformat.write(nb, path)
        written.append(path)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=sorted(DROP))
    parser.add_argument("out", type=Path)
    parser.add_argument("--execute", action="store_true")
    args = parser.parse_args(argv)
    for path in build(args.kind, args.out, args.execute):
        print("wrote", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    sys.exit(main())
