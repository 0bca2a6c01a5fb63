"""Build the course as a static HTML site that opens from disk with no network: ``make site``.

    python scripts/build_site.py OUT_DIR [--no-slides]

Two languages: the English site in OUT_DIR, the Chinese one (the notebooks of notebooks/zh/) in
OUT_DIR/zh/, each a Sphinx build of its own (its own navigation, search and Sphinx's words in its
language). Every page has a switch to the same page in the other language (top right, and in the
sidebar); the Chinese pages load MathJax, the widget manager and the decks' libraries from the
English site's copies (one copy of each, ``SHARED``). The Chinese search indexes characters and pairs
of characters (``scripts/search_zh.py``: Sphinx's own needs jieba's dictionary, else finds no Chinese).

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
- the stored widgets stay live (``widget_embed``): the pages embed them with Jupyter's widget manager
  for static pages, copied into ``_static/widgets/`` with everything it loads (no CDN), so the channel
  explorer draws itself and picks there; the controls that change a layer are shown disabled;
- a line under the title links the notebook file and its slides.
Pages come in lecture order (file names ``NN_*``), with previous/next links and a sidebar.
The notebooks go to OUT_DIR/notebooks/ (OUT_DIR/zh/notebooks/) and the offline slide decks (``make
slides``' builder, when slides/node_modules is there) to OUT_DIR/slides/ (OUT_DIR/slides/zh/).

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
import widget_embed  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COLAB_TAG = "colab-setup"
HIDDEN_TAGS = {COLAB_TAG, "language"}  # the Colab cell and a translation's language cell: nothing for a reader

CONF = '''\
import os
import sys

sys.path.insert(0, os.path.abspath("_ext"))  # search_zh (the Chinese site's search)
author = "The chanconv authors"
copyright = "the chanconv authors; code MIT, text and figures CC BY-SA 4.0"
nb_execution_mode = "off"          # the stored outputs, as nbval checks them
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
html_theme = "furo"
html_static_path = ["_static"]  # chanconv.css; widgets/: the widget manager and what it loads (widget_embed.vendor)
html_css_files = ["chanconv.css"]
# the stored widgets drawn by the copied widget manager; its fallback "CDN" is a folder that does not exist
nb_ipywidgets_js = {
    "{shared}widgets/require.js": {},
    "{shared}widgets/config.js": {},
    "{shared}widgets/embed-amd.js": {"data-jupyter-widgets-cdn": "{shared_from_page}widgets/{no_cdn}"},
}
html_copy_source = False
html_show_sourcelink = False
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]
# the language switch: top right of every page (the place of Furo's "view this page" button) and in the sidebar
templates_path = ["_templates"]
html_theme_options = {"top_of_page_buttons": ["view"]}
html_sidebars = {"**": ["sidebar/brand.html", "language-switch.html", "sidebar/search.html",
                        "sidebar/scroll-start.html", "sidebar/navigation.html", "sidebar/ethical-ads.html",
                        "sidebar/scroll-end.html"]}
'''

# What differs between the two sites. "shared": where, from _static/ ("shared_from_page": from a page), the
# English site's copies of MathJax and the widget manager are (the English site has its own; the Chinese one,
# in zh/, loads them one folder up).
SITES = {
    "en": {
        "conf": {"project": "chanconv: multiple input and output channels", "language": "en",
                 "html_title": "Channels: multiple input and output channels",
                 "extensions": ["myst_nb", "sphinx-mathjax-offline"]},
        "shared": "", "shared_from_page": "_static/", "slides": "slides/", "folder": "",
        "notebook": "the notebook ({name})", "its_slides": "its slides",
        "switch": {"label": "中文", "lang": "zh", "title": "这一页的中文版", "to": "zh/"},
    },
    "zh": {
        "conf": {"project": "chanconv：多输入多输出通道", "language": "zh_CN",
                 "html_title": "通道：多输入多输出通道", "html_search_language": "zh",
                 "copyright": "chanconv 的作者们；代码采用 MIT 许可，文字和图采用 CC BY-SA 4.0 许可",
                 "extensions": ["myst_nb", "search_zh"], "mathjax_path": "../../_static/mathjax/tex-chtml.js",
                 "locale_dirs": ["locale"]},  # THEME_WORDS
        "shared": "../../_static/", "shared_from_page": "../_static/", "slides": "../slides/zh/", "folder": "zh",
        "notebook": "笔记本（{name}）", "its_slides": "幻灯片",
        "switch": {"label": "English", "lang": "en", "title": "This page in English", "to": "../"},
    },
}
# The theme's words that Sphinx's own catalog for the language lacks (Furo's page links, footer and skip link):
# the site's own catalog, staged as locale/<language>/LC_MESSAGES/sphinx.mo (Sphinx reads a project's
# locale_dirs before its own catalog, and falls back to it for every other word)
THEME_WORDS = {
    "zh": {
        "Next": "下一页",
        "Previous": "上一页",
        "Home": "首页",
        "On this page": "本页内容",
        "Back to top": "回到顶部",
        "Skip to content": "跳到正文",
        "Copyright &#169; %(copyright)s": "版权所有 &#169; %(copyright)s",
        "Made with ": "构建工具：",
        '<a href="https://www.sphinx-doc.org/">Sphinx</a> and ': '<a href="https://www.sphinx-doc.org/">Sphinx</a>、',
        "Last updated on %(last_updated)s": "最后更新于 %(last_updated)s",
        "Edit this page": "编辑本页",
        "View this page": "查看本页",
        "Please activate JavaScript to enable the search functionality.": "请启用 JavaScript 以使用搜索功能。",
    },
}
SHARED = ("mathjax", "widgets")  # in the English site's _static/, loaded by both
# the switch, on every page: the same page in the other language
SWITCH = """<div class="language-switch"><a class="muted-link" href="{{ switch.to }}{{ pagename }}.html"
  hreflang="{{ switch.lang }}" lang="{{ switch.lang }}" title="{{ switch.title }}">{{ switch.label }}</a></div>
"""
SWITCH_CSS = """
/* the language switch (written by scripts/build_site.py) */
.content-icon-container .language-switch { font-size: var(--font-size--small); line-height: 1.25rem; }
.sidebar-container .language-switch { padding: 0 var(--sidebar-item-spacing-horizontal) 0.5rem; }
"""

INDEX = {"en": '''\
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

<a href="zh/index.html" hreflang="zh" lang="zh">中文版</a>: the same course in Chinese.
''', "zh": '''\
# 通道：多输入多输出通道

一门交互式课程，讲解卷积层如何处理通道，内容依据讲座“多输入多输出通道”（《动手学深度学习》；UC Berkeley STAT 157）。\
这些页面展示的是各个笔记本最近一次运行的结果；想自己运行的话，可以下载笔记本（每个标题下都有链接），\
或者在 Jupyter、Colab 或 Binder 中打开本课程（见概览）。

```{{toctree}}
:maxdepth: 1
:caption: 讲座，一节一节来

{pages}
```

代码采用 MIT 许可；文字和图采用 CC BY-SA 4.0 许可（它们改编自《动手学深度学习》的这一节）。\
照片是 Grace Hopper 的美国海军肖像（公有领域），来自 matplotlib 的示例数据。

<a href="../index.html" hreflang="en" lang="en">English</a>：英文版的同一门课。
'''}


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


def page_links(stem: str, slides: bool, lang: str = "en") -> str:
    """The line under a page's title: the notebook, its slides, the page in the other language."""
    site, name = SITES[lang], f"{stem}.ipynb"
    links = [f'<a href="notebooks/{name}" download>{site["notebook"].format(name=name)}</a>']
    if slides:
        links.append(f'<a href="{site["slides"]}{stem}.slides.html">{site["its_slides"]}</a>')
    switch = site["switch"]
    links.append(f'<a href="{switch["to"]}{stem}.html" hreflang="{switch["lang"]}" lang="{switch["lang"]}">'
                 f'{switch["label"]}</a>')
    return "<p class=\"course-links\">" + " · ".join(links) + "</p>"


def stage_notebook(src: Path, dest: Path, slides: bool, lang: str = "en") -> None:
    nb = json.loads(src.read_text(encoding="utf-8"))
    nb["cells"] = [c for c in nb["cells"] if not HIDDEN_TAGS & set(c.get("metadata", {}).get("tags", []))]
    nb = widget_embed.static_state(nb, where=src.name)
    nb["metadata"].pop("jupytext", None)
    title = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown")
    nb["cells"].insert(title + 1, {"cell_type": "markdown", "metadata": {},
                                   "source": page_links(src.stem, slides, lang)})
    for i, c in enumerate(nb["cells"]):
        c["id"] = c.get("id") or f"cell-{i}"
    dest.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


def sphinx_args(stage: Path, out: Path) -> list[str]:
    """The Sphinx command: quiet, and every warning an error (-W; --keep-going lists them all first)."""
    return [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-j", "1",
            "-d", str(stage / ".doctrees"), str(stage), str(out)]  # Sphinx's cache stays out of the site


def conf(lang: str) -> str:
    """The site's conf.py in ``lang``."""
    site = SITES[lang]
    text = (CONF.replace("{no_cdn}", widget_embed.NO_CDN).replace("{shared_from_page}", site["shared_from_page"])
            .replace("{shared}", site["shared"]))
    settings = {**site["conf"], "html_context": {"switch": site["switch"]}}
    return text + "".join(f"{key} = {value!r}\n" for key, value in settings.items())


def stage_site(stage: Path, lang: str, notebooks: list[Path], decks: bool) -> None:
    """The Sphinx project of the site in ``lang``: its pages, conf.py, static files and templates."""
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    for src in notebooks:
        stage_notebook(src, stage / src.name, decks, lang)
    (stage / "index.md").write_text(INDEX[lang].format(pages="\n".join(p.stem for p in notebooks)), encoding="utf-8")
    (stage / "conf.py").write_text(conf(lang), encoding="utf-8")
    (stage / "_static").mkdir()
    (stage / "_static" / "chanconv.css").write_text(SITE_CSS + SWITCH_CSS, encoding="utf-8")
    if not SITES[lang]["shared"]:
        widget_embed.vendor(stage / "_static" / "widgets")
    (stage / "_templates" / "components").mkdir(parents=True)
    for name in ("language-switch.html", "components/view-this-page.html"):
        (stage / "_templates" / name).write_text(SWITCH, encoding="utf-8")
    (stage / "_ext").mkdir()
    shutil.copy2(Path(__file__).with_name("search_zh.py"), stage / "_ext" / "search_zh.py")
    if lang in THEME_WORDS:
        write_theme_words(stage / "locale", SITES[lang]["conf"]["language"], THEME_WORDS[lang])


def write_theme_words(locale_dir: Path, language: str, words: dict[str, str]) -> Path:
    """``words`` (English -> translation) as Sphinx's catalog ``sphinx.mo`` in ``locale_dir`` for ``language``."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    catalog = Catalog(locale=language, domain="sphinx")
    for english, translated in words.items():
        catalog.add(english, translated)
    path = locale_dir / language / "LC_MESSAGES" / "sphinx.mo"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_mo(f, catalog)
    return path


def course_notebooks() -> list[Path]:
    """The English notebooks, then the Chinese edition's (notebooks/zh/)."""
    return [*sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")),
            *sorted((ROOT / "notebooks" / "zh").glob("[0-9][0-9]_*.ipynb"))]


def build(out: Path, notebooks=None, slides: bool = True) -> Path:
    """The site in OUT (English) and OUT/zh (Chinese, when there are Chinese notebooks); returns OUT/index.html."""
    import build_slides

    groups: dict[str, list[Path]] = {}
    for src in map(Path, notebooks or course_notebooks()):
        groups.setdefault(build_slides.language_of(src), []).append(src)
    decks = slides and all((build_slides.MODULES / name).exists() for name in build_slides.LIBS)
    if slides and not decks:
        print("site: no slide decks (reveal.js & co. missing in slides/node_modules: `make slides` fetches them)",
              file=sys.stderr)
    shutil.rmtree(out, ignore_errors=True)
    for lang in (lang for lang in SITES if lang in groups):  # English first: the other sites load its shared files
        dest = out / SITES[lang]["folder"]
        suffix = "" if lang == "en" else f"-{lang}"
        stage, built = out.parent / f"{out.name}-src{suffix}", out.parent / f"{out.name}-html{suffix}"
        stage_site(stage, lang, groups[lang], decks)
        # built beside OUT, then moved into it (MyST-NB writes its jupyter_execute/ next to the build folder)
        shutil.rmtree(built, ignore_errors=True)
        subprocess.run(sphinx_args(stage, built if lang != "en" else dest), check=True)
        if lang != "en":
            shutil.move(built, dest)
        if not SITES[lang]["shared"]:
            trim_mathjax(dest / "_static" / "mathjax")
        for page in dest.glob("*.html"):
            widget_embed.check_page(page.read_text(encoding="utf-8"), page.name)
        (dest / "notebooks").mkdir(exist_ok=True)
        for src in groups[lang]:
            shutil.copy2(src, dest / "notebooks" / src.name)
    if decks:
        build_slides.build(out / "slides", [src for lang in SITES for src in groups.get(lang, [])])
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
