"""Write a reveal.js slide deck per notebook that opens offline: ``make slides``.

    python scripts/build_slides.py OUT_DIR [NOTEBOOK ...]

reveal.js, jQuery, RequireJS and MathJax come from slides/node_modules (``npm install`` in
slides/, versions pinned in slides/package.json) and are copied to OUT_DIR/lib, so every
deck refers only to files beside it. Only what a deck loads is copied (``KEEP``): the npm
packages hold sources, tests, other renderers and fonts as well (MathJax 2 alone is 73 MB, of
which a deck needs 6; the course site carries these decks to every student who downloads it).
The notebooks' slideshow metadata (slide, subslide, fragment, skip) makes the slides; stored
outputs are shown, nothing is re-executed. A widget output shows its saved state
(scripts/widget_snapshot.py), e.g. the channel explorer's last picture.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter

sys.path.insert(0, str(Path(__file__).resolve().parent))
import widget_snapshot  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODULES = ROOT / "slides" / "node_modules"
LIBS = {  # what the template loads -> the file inside lib/
    "reveal.js": "reveal.js",
    "jquery": "jquery/dist/jquery.min.js",
    "requirejs": "requirejs/require.js",
    "mathjax": "mathjax/MathJax.js",
}


# What the decks load from each package (files or whole folders), and the licences. The template
# loads reveal.js's dist/ files, its white theme (with its fonts) and the notes plugin; MathJax 2
# with the config "TeX-AMS_CHTML-full,Safe": the TeX input, the CommonHTML output and its TeX
# fonts, the fast preview, and the extensions its menu and accessibility options load on demand.
# The other renderers (HTML-CSS, SVG), their fonts, the unpacked sources, the other combined
# configs and translations are left out. tests/test_slides.py opens a deck with every request
# recorded: a file a deck needs and that is not here fails that test.
KEEP = {
    "reveal.js": ["LICENSE", "dist/reveal.css", "dist/reveal.js", "dist/theme", "plugin/notes"],
    "jquery": ["LICENSE.txt", "dist/jquery.min.js"],
    "requirejs": ["require.js"],
    "mathjax": ["LICENSE", "MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "config/local",
                "extensions", "jax/input/TeX", "jax/element", "jax/output/CommonHTML", "jax/output/PreviewHTML",
                "fonts/HTML-CSS/TeX/woff", "fonts/HTML-CSS/TeX/otf", "localization/en"],
}


def copy_libs(out: Path) -> None:
    missing = [name for name in LIBS if not (MODULES / name).exists()]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)} in slides/node_modules: run `npm install` in slides/ "
                         "(make slides does)")
    for name in LIBS:
        for part in KEEP[name]:
            src, dest = MODULES / name / part, out / "lib" / name / part
            if dest.exists():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dest)
            else:
                shutil.copy2(src, dest)


def exporter() -> SlidesExporter:
    ex = SlidesExporter(
        extra_template_basedirs=[str(ROOT / "slides")],
        template_name="template",
        reveal_url_prefix="lib/reveal.js",
        reveal_scroll=True,
        reveal_theme="white",  # its fonts ship with reveal.js ("simple" loads web fonts)
        jquery_url="lib/" + LIBS["jquery"],
        require_js_url="lib/" + LIBS["requirejs"],
        mathjax_url="lib/" + LIBS["mathjax"] + "?config=TeX-AMS_CHTML-full,Safe",
    )
    return ex


def build(out: Path, notebooks=None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    copy_libs(out)
    ex = exporter()
    written = []
    for src in notebooks or sorted((ROOT / "notebooks").glob("*.ipynb")):
        # widget outputs as the HTML of their saved state (the explorer's last picture), not text only
        nb = nbformat.from_dict(widget_snapshot.static_outputs(nbformat.read(src, as_version=4)))
        body, _ = ex.from_notebook_node(nb, resources={"metadata": {"name": src.stem}})
        path = out / f"{Path(src).stem}.slides.html"
        path.write_text(body, encoding="utf-8")
        written.append(path)
    return written


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        raise SystemExit(__doc__)
    out = Path(argv[0])
    for path in build(out, [Path(a) for a in argv[1:]] or None):
        print("wrote", path)


if __name__ == "__main__":
    main()
