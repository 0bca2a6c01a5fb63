"""A lecture deck per notebook, generated from the cells the notebook marks: ``make slides``.

    python scripts/build_slides.py OUT_DIR [NOTEBOOK ...] [--pdf]

Without NOTEBOOK: a deck for every notebook in both languages, OUT_DIR/NN_name.slides.html from
notebooks/ and OUT_DIR/zh/NN_name.slides.html from the Chinese edition notebooks/zh/ (its title slide
in Chinese; it loads the same OUT_DIR/lib/, one copy for both).

One source. Every cell of a notebook says where it goes, with Jupyter's own slideshow metadata
(the same marks RISE presents live in JupyterLab):

    slide, subslide   starts a slide with this cell          fragment  appears on the next key press
    -                 continues the current slide             notes     the slide's speaker notes (s)
    skip              not in the deck

so a slide holds the key sentence, the equation, the figure or the short code that matters, and the
prose around them goes to the speaker notes. Two tags refine a code cell on a slide:
``slide-output-only`` (the figure or printout without its code), ``slide-figure-only`` (the figure
without its code and printout) and ``slide-code-only`` (the code without its output). A cell with no
mark is an error: nothing lands on a slide by accident.

Each deck opens with a title slide (the notebook's title), numbers its slides, and is a 1280 × 720
slide that reveal.js scales to the screen (slides/template). reveal.js, jQuery, RequireJS and
MathJax come from slides/node_modules (``npm install`` in slides/, pinned in slides/package.json)
and are copied to OUT_DIR/lib: every deck refers only to files beside it. Only what a deck loads is
copied (``KEEP``): the npm packages hold sources, tests, other renderers and fonts as well (MathJax 2
alone is 73 MB, of which a deck needs 6; the course site carries these decks to every student).
Stored outputs are shown; nothing is re-executed. Stored widgets stay live (scripts/widget_embed.py:
Jupyter's widget manager for static pages and what it loads, copied to OUT_DIR/lib/widgets, no CDN):
the channel explorer draws itself and picks in the deck. With ``--pdf`` each deck is also printed to
OUT_DIR/pdf/NAME.pdf (OUT_DIR/zh/pdf/NAME.pdf) by Chromium (reveal.js's ?print-pdf: one page per slide).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from nbconvert.preprocessors import TagRemovePreprocessor

sys.path.insert(0, str(Path(__file__).resolve().parent))
import widget_embed  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODULES = ROOT / "slides" / "node_modules"
LIBS = {  # what the template loads -> the file inside lib/
    "reveal.js": "reveal.js",
    "jquery": "jquery/dist/jquery.min.js",
    "requirejs": "requirejs/require.js",
    "mathjax": "mathjax/MathJax.js",
}
MARKS = ("slide", "subslide", "fragment", "-", "notes", "skip")
OUTPUT_ONLY, CODE_ONLY, FIGURE_ONLY = "slide-output-only", "slide-code-only", "slide-figure-only"
# The title slide's words, per language (a deck's language is its notebook's: notebooks/zh/ is Chinese)
TITLE_SLIDE = {
    "en": {"course": "Multiple input and multiple output channels", "overview": "Overview",
           "notebook": "Notebook {n} of the course",
           "keys": "s: speaker notes · Esc: all slides · f: full screen · ?print-pdf: print"},
    "zh": {"course": "多输入多输出通道", "overview": "概览", "notebook": "课程的第 {n} 个笔记本",
           "keys": "s：演讲者备注 · Esc：全部幻灯片 · f：全屏 · ?print-pdf：打印"},
}


def language_of(path: Path) -> str:
    """A notebook's (or a deck's) language: that of its folder, notebooks/zh/ or OUT_DIR/zh/; else English."""
    return path.parent.name if path.parent.name in TITLE_SLIDE else "en"


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
                "fonts/HTML-CSS/TeX/woff", "fonts/HTML-CSS/TeX/otf", "localization/en",
                "localization/zh-hans"],  # MathJax's menu follows the browser's language
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


def exporter(lang: str = "en", lib: str = "lib") -> SlidesExporter:
    """The deck's exporter for a notebook in ``lang`` (``<html lang>``), loading the libraries from ``lib``."""
    ex = SlidesExporter(
        extra_template_basedirs=[str(ROOT / "slides")],
        template_name="template",
        language_code=lang,  # the browser picks the glyphs (Chinese, not Japanese forms of the same characters)
        reveal_url_prefix=f"{lib}/reveal.js",
        reveal_scroll=False,
        reveal_theme="white",  # its fonts ship with reveal.js ("simple" loads web fonts)
        jquery_url=f"{lib}/" + LIBS["jquery"],
        require_js_url=f"{lib}/" + LIBS["requirejs"],
        mathjax_url=f"{lib}/" + LIBS["mathjax"] + "?config=TeX-AMS_CHTML-full,Safe",
    )
    ex.register_preprocessor(TagRemovePreprocessor(remove_input_tags={OUTPUT_ONLY, FIGURE_ONLY},
                                                   remove_all_outputs_tags={CODE_ONLY}), enabled=True)
    return ex


def mark(cell) -> str | None:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


def unmarked(nb) -> list[int]:
    """The cells (by index) that do not say where they go: each is a mistake in the one source."""
    return [i for i, c in enumerate(nb.cells) if mark(c) not in MARKS]


def title_of(nb, name: str) -> str:
    """The notebook's title: its first markdown heading, without the number before it."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if found:
                return re.sub(r"^\d+\.\s*", "", found.group(1).strip())
    return name


def title_cell(nb, name: str, lang: str = "en"):
    """The deck's first slide: the course, the notebook's title, its place in the course, the keys (in ``lang``)."""
    words = TITLE_SLIDE[lang]
    number = name.split("_", 1)[0]
    place = words["overview"] if number == "00" else words["notebook"].format(n=int(number))
    text = (f'<div class="title-slide">\n<p class="course">{html.escape(words["course"])}</p>\n'
            f"<h1>{html.escape(title_of(nb, name))}</h1>\n"
            f'<p class="section">{place}</p>\n<p class="keys">{html.escape(words["keys"])}</p>\n</div>')
    return nbformat.v4.new_markdown_cell(text, metadata={"slideshow": {"slide_type": "slide"}})


def deck_notebook(src: Path):
    """The notebook as the deck shows it: checked marks, a title slide first, stored widgets kept live
    (the template loads the copied widget manager)."""
    nb = nbformat.from_dict(widget_embed.static_state(nbformat.read(src, as_version=4), where=src.name))
    missing = unmarked(nb)
    if missing:
        raise SystemExit(f"{src.name}: cells {missing} have no slideshow mark ({', '.join(MARKS)}): "
                         "say where each goes (View > Cell Toolbar > Slideshow in Jupyter, or the .py pair)")
    for cell in nb.cells:  # a figure whose printout is too wide for a slide: the figure alone
        if cell.cell_type == "code" and FIGURE_ONLY in cell.metadata.get("tags", []):
            cell.outputs = [o for o in cell.get("outputs", [])
                            if any(k.startswith("image/") for k in o.get("data", {}))]
    nb.cells.insert(0, title_cell(nb, src.stem, language_of(src)))
    return nb


def course_notebooks() -> list[Path]:
    """Every notebook, English first, then the Chinese edition (notebooks/zh/)."""
    return sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "zh").glob("*.ipynb"))


def build(out: Path, notebooks=None) -> list[Path]:
    """A deck per notebook: OUT/NN_name.slides.html, a Chinese one in OUT/zh/; one OUT/lib/ for all."""
    out.mkdir(parents=True, exist_ok=True)
    copy_libs(out)
    widget_embed.vendor(out / "lib" / "widgets")
    exporters = {}
    written = []
    for src in map(Path, notebooks or course_notebooks()):
        lang = language_of(src)
        folder, lib = (out, "lib") if lang == "en" else (out / lang, "../lib")
        ex = exporters.setdefault(lang, exporter(lang, lib))
        nb = deck_notebook(src)
        body, _ = ex.from_notebook_node(nb, resources={"metadata": {"name": src.stem}, "lib": lib})
        widget_embed.check_page(body, src.name)
        folder.mkdir(exist_ok=True)
        path = folder / f"{src.stem}.slides.html"
        path.write_text(body, encoding="utf-8")
        written.append(path)
    return written


def print_pdfs(decks, out: Path, browser) -> list[Path]:
    """Each deck printed by Chromium (a playwright ``browser``) through reveal.js's ?print-pdf view:
    OUT/pdf/NAME.pdf (a Chinese deck: OUT/zh/pdf/NAME.pdf), one page a slide, offline as the deck is meant to be."""
    written = []
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.route("http*://**/*", lambda route: route.abort())
    for deck in decks:
        page.goto(Path(deck).resolve().as_uri() + "?print-pdf")  # make slides passes a relative OUT
        page.wait_for_selector("body.deck-ready", timeout=30_000)
        page.wait_for_timeout(500)  # MathJax's last typesetting
        lang = language_of(deck)
        pdf = (out if lang == "en" else out / lang) / "pdf" / deck.name.replace(".slides.html", ".pdf")
        pdf.parent.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
        written.append(pdf)
    page.close()
    return written


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = [a for a in argv if not a.startswith("--")]
    if not args:
        raise SystemExit(__doc__)
    out = Path(args[0])
    decks = build(out, [Path(a) for a in args[1:]] or None)
    for path in decks:
        print("wrote", path)
    if "--pdf" in argv:
        chromium = os.environ.get("CHANCONV_CHROMIUM", "/usr/bin/chromium")  # as tools/explorer_bench.py
        if not Path(chromium).exists():
            print(f"no Chromium at {chromium}: no PDFs (apt-get install chromium)")
            return
        try:
            import playwright  # noqa: F401  # lazy: a developer's tool (requirements-dev), only for --pdf
        except ImportError:
            print("no playwright package: no PDFs (pip install -r requirements-dev.txt)")
            return
        from playwright.sync_api import sync_playwright  # lazy: a developer's tool, only for --pdf

        flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=flags, headless=True)
            for path in print_pdfs(decks, out, browser):
                print("wrote", path)
            browser.close()


if __name__ == "__main__":
    main()
