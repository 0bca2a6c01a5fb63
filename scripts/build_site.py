"""Build the course as a static HTML site that opens from disk with no network: ``make site``.

    python scripts/build_site.py OUT_DIR [--no-slides]

Sphinx with MyST-NB, the Furo theme and MathJax 3 as local files (sphinx-mathjax-offline).
Why Sphinx + MyST-NB and not Jupyter Book 2 (the MyST engine): Jupyter Book 2 builds with the
Node.js ``mystmd`` tool, which fetches its site theme over the network at build time, and its
pages load fonts and scripts at run time; Sphinx is pure Python, pinned like every other
dependency, builds with no network and writes plain HTML with a client-side search
(``search.html`` + ``searchindex.js``) that works from ``file://``. MyST-NB renders the
notebooks' stored outputs (``nb_execution_mode = "off"``: nothing is executed, so the site
shows exactly what nbval checks and picks up whichever notebooks exist).

Before Sphinx sees them, the notebooks are copied to a staging folder where
- the Colab cell (tag ``colab-setup``) is left out: it does nothing outside Colab;
- each widget output becomes the HTML of its saved state (``widget_snapshot``): the channel
  explorer's last picture, with no ipywidgets JavaScript from a CDN;
- a line under the title links the notebook file and its slides.
Pages come in lecture order (file names ``NN_*``), with previous/next links and a sidebar.
The notebooks go to OUT_DIR/notebooks/ and the offline slide decks (``make slides``' builder,
when slides/node_modules is there) to OUT_DIR/slides/.

Math: MyST's ``dollarmath`` turns the notebooks' ``$...$`` and ``$$...$$`` into math that MathJax 3
typesets from ``_static/mathjax``. sphinx-mathjax-offline copies all of MathJax 3 there (24 MB: every
combined build, the SVG output, the MathML and AsciiMath inputs); the pages load ``tex-chtml.js``
only, with its fonts and the TeX extensions it loads on demand, so the rest is removed
(``trim_mathjax``). In dark mode each figure sits on a light card (``SITE_CSS``): the figures
are drawn on white, and their colour scales are read against it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import widget_snapshot  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COLAB_TAG = "colab-setup"

CONF = '''\
project = "chanconv: multiple input and output channels"
author = "The chanconv authors"
copyright = "the chanconv authors; code MIT, text and figures CC BY-SA 4.0"
extensions = ["myst_nb", "sphinx-mathjax-offline"]
nb_execution_mode = "off"          # the stored outputs, as nbval checks them
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
html_theme = "furo"
html_title = "Channels: multiple input and output channels"
html_static_path = ["_static"]
html_css_files = ["chanconv.css"]
html_copy_source = False
html_show_sourcelink = False
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]
'''

INDEX = '''\
# Channels: multiple input and multiple output channels

An interactive course on how a convolutional layer handles channels, after the lecture
"Multiple Input and Multiple Output Channels" (Dive into Deep Learning; UC Berkeley STAT 157).
These pages show the notebooks as they were last run; to run them yourself, download a notebook
(link under each title) or open the course in Jupyter, Colab or Binder (see the overview).

```{{toctree}}
:maxdepth: 1
:caption: The lecture, section by section

{pages}
```

Code MIT; text and figures CC BY-SA 4.0 (they adapt Dive into Deep Learning's section). The
photo is Grace Hopper's U.S. Navy portrait (public domain), from matplotlib's sample data.
'''


# The figures are PNGs drawn on white. On Furo's dark theme (chosen, or "auto" with a dark system
# setting) a bare white rectangle glares and its edge cuts the page; a light card with a margin of
# its own, a little dimmed, reads as a figure and keeps its colours (white = 0 on every colourbar).
SITE_CSS = """/* chanconv: figures in dark mode (written by scripts/build_site.py) */
body[data-theme="dark"] .cell_output img {
  background: #ececec; padding: 0.6rem; border-radius: 0.5rem; filter: brightness(0.9);
}
@media (prefers-color-scheme: dark) {
  body:not([data-theme="light"]) .cell_output img {
    background: #ececec; padding: 0.6rem; border-radius: 0.5rem; filter: brightness(0.9);
  }
}
"""
# what the pages load from MathJax 3 (relative to _static/mathjax); everything else is removed
MATHJAX_KEEP = ("tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2", "a11y", "sre", "ui")


def trim_mathjax(folder: Path) -> None:
    """Remove from the site's copy of MathJax 3 what ``tex-chtml.js`` never loads (see the module's doc)."""
    if not (folder / "tex-chtml.js").exists():
        raise FileNotFoundError(f"{folder}: no tex-chtml.js (sphinx-mathjax-offline changed its layout?)")
    keep = [folder / k for k in MATHJAX_KEEP]
    for path in sorted(folder.rglob("*"), reverse=True):  # files before their folders
        if any(path == k or k in path.parents for k in keep):
            continue
        if path.is_dir():
            if not any(path in k.parents for k in keep):
                shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()


def page_links(stem: str, slides: bool) -> str:
    links = [f'<a href="notebooks/{stem}.ipynb" download>the notebook ({stem}.ipynb)</a>']
    if slides:
        links.append(f'<a href="slides/{stem}.slides.html">its slides</a>')
    return "<p class=\"course-links\">" + " · ".join(links) + "</p>"


def stage_notebook(src: Path, dest: Path, slides: bool) -> None:
    nb = json.loads(src.read_text(encoding="utf-8"))
    nb["cells"] = [c for c in nb["cells"] if COLAB_TAG not in c.get("metadata", {}).get("tags", [])]
    nb = widget_snapshot.static_outputs(nb)
    nb["metadata"].pop("jupytext", None)
    title = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown")
    nb["cells"].insert(title + 1, {"cell_type": "markdown", "metadata": {}, "source": page_links(src.stem, slides)})
    for i, c in enumerate(nb["cells"]):
        c["id"] = c.get("id") or f"cell-{i}"
    dest.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


def sphinx_args(stage: Path, out: Path) -> list[str]:
    """The Sphinx command: quiet, and every warning an error (-W; --keep-going lists them all first)."""
    return [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-j", "1", str(stage), str(out)]


def build(out: Path, notebooks=None, slides: bool = True) -> Path:
    notebooks = notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    stage = out.parent / (out.name + "-src")
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    import build_slides

    decks = slides and all((build_slides.MODULES / name).exists() for name in build_slides.LIBS)
    if slides and not decks:
        print("site: no slide decks (reveal.js & co. missing in slides/node_modules: `make slides` fetches them)",
              file=sys.stderr)
    for src in notebooks:
        stage_notebook(src, stage / src.name, decks)
    pages = "\n".join(p.stem for p in notebooks)
    (stage / "index.md").write_text(INDEX.format(pages=pages), encoding="utf-8")
    (stage / "conf.py").write_text(CONF, encoding="utf-8")
    (stage / "_static").mkdir()
    (stage / "_static" / "chanconv.css").write_text(SITE_CSS, encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run(sphinx_args(stage, out), check=True)
    trim_mathjax(out / "_static" / "mathjax")
    (out / "notebooks").mkdir(exist_ok=True)
    for src in notebooks:
        shutil.copy2(src, out / "notebooks" / src.name)
    if decks:
        build_slides.build(out / "slides", notebooks)
    return out / "index.html"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--no-slides", action="store_true", help="leave the slide decks out (no npm needed)")
    args = parser.parse_args(argv)
    index = build(args.out.resolve(), slides=not args.no_slides)
    print("wrote", index)


if __name__ == "__main__":
    main()
