"""Copy the course into a folder of your own: ``python -m chanconv.course DIR``.

    python -m chanconv.course DIR [--force]

Writes the student notebooks (``00_overview.ipynb`` …; notebook 7 holds the exercises' blanks and
checks, never their worked solutions, which only the instructor edition of a checkout has:
``make instructor``) and the course's pictures (``assets/``) into DIR, then
says how to open them. The notebooks name the standard ``python3`` kernel, so they run in
whatever Python environment has chanconv installed. Works from an installed chanconv (the
notebooks travel inside the wheel) and from a checkout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXERCISE_TAG = "exercise"  # the blanks and answer cells a student fills in


def _folder(installed_name: str, checkout_name: str) -> Path:
    """In a checkout (editable install) the repository's folder; in an installed chanconv its copy."""
    here = Path(__file__).resolve().parent
    checkout = here.parent / checkout_name
    if checkout.is_dir() and (here.parent / "pyproject.toml").exists():
        return checkout
    return here / installed_name


def notebook_sources() -> list[Path]:
    """The course's notebooks, in lecture order."""
    found = sorted(_folder("course_notebooks", "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise FileNotFoundError("no course notebooks found beside chanconv: reinstall it (pip install chanconv)")
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


def copy_course(dest: str | Path, force: bool = False) -> list[Path]:
    """Write the notebooks and assets into ``dest``; returns the paths written."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for src in notebook_sources():
        target = dest / src.name
        if target.exists() and not force:
            raise FileExistsError(f"{target} exists: it may hold your work. Choose another folder or pass --force")
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
    return (
        f"Open them with JupyterLab, in this same Python environment:\n"
        f"    jupyter lab {dest}\n"
        "(no JupyterLab yet? `pip install jupyterlab jupyterlab-rise` installs it, with live slides: Alt+R).\n"
        "Start with 00_overview.ipynb; run a notebook top to bottom with Run > Run All Cells.\n"
        "Any Jupyter front end works (VS Code, classic notebook): choose the Python 3 kernel of the\n"
        "environment that has chanconv."
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chanconv.course", description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path, help="the folder to write the course into (created if missing)")
    parser.add_argument("--force", action="store_true", help="overwrite notebooks already in DEST")
    args = parser.parse_args(argv)
    try:
        written = copy_course(args.dest, args.force)
    except (FileExistsError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    notebooks = [p for p in written if p.suffix == ".ipynb"]
    dest = args.dest.resolve()
    print(f"Copied {len(notebooks)} notebooks and {len(written) - len(notebooks)} pictures into {dest}")
    print(how_to_open(dest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
