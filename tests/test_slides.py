"""The lecture decks, as an instructor presents them: every slide of every deck fits the screen.

Every deck is opened in headless Chromium with every http(s) request blocked, at the three screens
a lecture hall has (1280 × 720, 1366 × 768, 1920 × 1080). On every slide (and every fragment of
it): nothing reaches past the slide's box, no line of code or output is cut at the right edge, body
text is at least 28 px and code at least 24 px as the audience sees them at 1280 × 720. A failure
names the deck and the slide. Also: the marks are complete (no cell without one), each deck has a
title slide, slide numbers, speaker notes (the speaker view opens with s) and prints to a PDF. All of it
for the Chinese decks too (zh/NN_name.slides.html, from notebooks/zh/, loading the one lib/ one folder up).

Needs Debian's chromium, the playwright package, and npm (to fetch reveal.js, jQuery, RequireJS and
MathJax into slides/node_modules, pinned in slides/package.json); skipped with the reason otherwise.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_slides  # noqa: E402
from browsers import ARTIFACTS, CHROMIUM  # noqa: E402

from tools.explorer_bench import wait_attr  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "zh").glob("*.ipynb"))
# a deck's name under the decks' folder: NN_name (English) or zh/NN_name (Chinese)
NAMES = [str(p.relative_to(ROOT / "notebooks").with_suffix("")) for p in NOTEBOOKS]
SCREENS = [(1280, 720), (1366, 768), (1920, 1080)]
BODY_PX, CODE_PX = 28, 24

browser_only = [pytest.mark.browser,
                pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: apt-get install chromium")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_every_cell_says_where_it_goes(path):
    """One source: a cell is on a slide, in the speaker notes, or out of the deck, never there by accident."""
    nb = nbformat.read(path, as_version=4)
    assert build_slides.unmarked(nb) == [], f"{path.name}: cells without a slideshow mark"
    kinds = [build_slides.mark(c) for c in nb.cells]
    assert kinds.count("notes") >= 1, "the prose goes to the speaker notes"
    on_slides = [c for c in nb.cells if c.cell_type == "code" and build_slides.mark(c) not in ("notes", "skip")
                 and not {build_slides.OUTPUT_ONLY, build_slides.FIGURE_ONLY} & set(c.metadata.get("tags", []))]
    for cell in on_slides:  # code shown on a slide is short: a few lines that fit the width
        lines = cell.source.splitlines()
        assert len(lines) <= 8 and max(map(len, lines), default=0) <= 80, f"{path.name}: long code on a slide:\n{cell.source}"


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    if not all((build_slides.MODULES / m).exists() for m in ("reveal.js", "@jupyter-widgets/html-manager")):
        if not shutil.which("npm"):
            pytest.skip("npm is not installed: it fetches reveal.js for the slides")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock", "--silent"],
                       cwd=ROOT / "slides", check=True)
    out = tmp_path_factory.mktemp("slides")
    return out, build_slides.build(out)


# The current slide's formulas are on screen: MathJax is idle, its fonts are loaded, and every formula
# of the slide has its typeset output (reveal.js re-typesets a slide when it is shown).
MATH_SETTLED = """() => {
  if (document.fonts.status !== 'loaded') return false;
  if (!window.MathJax || !MathJax.Hub) return true;
  if (MathJax.Hub.queue.running !== 0 || MathJax.Hub.queue.pending !== 0) return false;
  const slide = window.Reveal && Reveal.getCurrentSlide();
  if (!slide) return true;
  return [...slide.querySelectorAll('script[type^="math/tex"]')].every(s => {
    if (s.closest('aside.notes') || (s.closest('.fragment') && !s.closest('.fragment.visible'))) return true;
    const o = s.previousElementSibling;
    const m = o && (o.classList.contains('MJXc-display') ? o.querySelector('.MathJax_CHTML') : o);
    return !!m && m.classList.contains('MathJax_CHTML') && !m.classList.contains('MJXc-processed')
           && m.getBoundingClientRect().width > 0;
  });
}"""


def open_deck(browser, deck: Path, size, query=""):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    requests = []
    page.route("http*://**/*", lambda route: (requests.append(route.request.url), route.abort()))
    page.goto(deck.as_uri() + query)
    page.wait_for_selector("body.deck-ready", timeout=30_000)
    page.wait_for_function(MATH_SETTLED, timeout=30_000)
    return page, requests


# What a slide's check measures, in the page: every element against the slide's box on screen.
MEASURE = """([bodyPx, codePx, strictFonts]) => {
  const R = window.Reveal, scale = R.getScale();
  const slide = R.getCurrentSlide();
  const box = document.querySelector('.reveal .slides').getBoundingClientRect();
  const problems = [];
  const visible = el => { const s = getComputedStyle(el); const r = el.getBoundingClientRect();
    return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0 &&
           !el.closest('aside.notes') && !(el.closest('.fragment') && !el.closest('.fragment.visible')); };
  const name = el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ?
                     '.' + el.className.split(' ')[0] : '');
  for (const el of slide.querySelectorAll('p, li, h1, h2, h3, td, th, pre, img, svg, table, .jp-OutputArea-output, mjx-container, .MathJax_Display')) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.bottom > box.bottom + 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.left < box.left - 1)
      problems.push(`${name(el)} reaches past the slide (${Math.round(r.right - box.right)} px right, ` +
                    `${Math.round(r.bottom - box.bottom)} px below): "${(el.textContent || el.alt || '').trim().slice(0, 60)}"`);
  }
  for (const el of slide.querySelectorAll('pre')) {
    if (visible(el) && el.scrollWidth > el.clientWidth + 1)
      problems.push(`a line is cut at the right edge: "${el.textContent.split('\\n').find(l => l.length > 60) || ''}"`.slice(0, 140));
  }
  if (strictFonts) {
    for (const el of slide.querySelectorAll('p, li, td, th, pre, code, span')) {
      if (!visible(el) || !el.textContent.trim() || el.closest('.title-slide .keys')) continue;
      if (el.closest('.ccx2 .picture > div:not(:last-child)')) continue;  // the explorer's maps: a figure, scaled as one
      const formula = el.closest('.MathJax_CHTML');  // a formula is measured at its base size (sub- and
      if (formula && formula !== el) continue;         // superscripts are smaller by design)
      if ([...el.children].some(c => c.textContent.trim() === el.textContent.trim())) continue;  // measured at the child
      const px = parseFloat(getComputedStyle(el).fontSize) * scale;
      const code = el.closest('pre, code') !== null;
      const least = code ? codePx : bodyPx;
      if (px < least - 0.5) problems.push(`${code ? 'code' : 'text'} at ${px.toFixed(1)} px (< ${least}): "${el.textContent.trim().slice(0, 50)}"`);
    }
  }
  return problems;
}"""


def walk(page):
    """Every slide and fragment state of the deck, in order: yields its label (h/v, fragment)."""
    page.evaluate("Reveal.slide(0, 0, -1)")
    seen = set()
    while True:
        h, v, f = page.evaluate("(() => { const i = Reveal.getIndices(); return [i.h, i.v, i.f ?? -1]; })()")
        if (h, v, f) in seen:
            return
        seen.add((h, v, f))
        yield f"slide {h + 1}" + (f".{v}" if v else "") + (f" (fragment {f + 1})" if f >= 0 else "")
        if page.evaluate("Reveal.isLastSlide() && !Reveal.availableFragments().next"):
            return
        page.evaluate("Reveal.next()")
        page.wait_for_timeout(50)  # reveal.js queues the slide's MathJax re-typesetting
        page.wait_for_function(MATH_SETTLED, timeout=30_000)  # the slide's formulas typeset, their fonts loaded


@pytest.mark.parametrize("size", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
@pytest.mark.parametrize("name", NAMES)
def test_every_slide_fits_the_screen(decks, browser, name, size):
    out, paths = decks
    deck = out / f"{name}.slides.html"
    page, requests = open_deck(browser, deck, size)
    problems = []
    try:
        for label in walk(page):
            for problem in page.evaluate(MEASURE, [BODY_PX, CODE_PX, size == (1280, 720)]):
                problems.append(f"{name} {label} at {size[0]}×{size[1]}: {problem}")
    finally:
        page.close()
    assert requests == [], f"the deck tried the network: {requests[:3]}"
    assert not problems, "\n".join(problems[:40])


def test_a_deck_has_a_title_slide_numbers_and_notes(decks, browser):
    out, _ = decks
    page, _ = open_deck(browser, out / "01_multiple_input_channels.slides.html", (1280, 720))
    try:
        title = page.evaluate("document.querySelector('.reveal .slides > section .title-slide h1').textContent")
        number = page.evaluate("document.querySelector('.reveal .slide-number') && "
                               "document.querySelector('.reveal .slide-number').textContent")
        notes = page.evaluate("document.querySelectorAll('.reveal aside.notes').length")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "slides-01-title.png"))
        with page.context.expect_page(timeout=15_000) as speaker:  # s opens the speaker view (reveal's notes plugin)
            page.keyboard.press("s")
        view = speaker.value
        view.wait_for_load_state()
        speaker_title = view.title()
    finally:
        page.close()
    assert "Multiple input channels" in title
    assert number and "/" in number
    assert notes >= 3
    assert "Speaker" in speaker_title or "speaker" in speaker_title.lower()


def test_a_chinese_deck_has_its_title_slide_in_chinese_and_loads_the_one_lib(decks, browser):
    out, paths = decks
    assert sorted(p.name for p in paths if p.parent == out / "zh") == sorted(
        p.stem + ".slides.html" for p in (ROOT / "notebooks" / "zh").glob("*.ipynb")), "a Chinese deck per notebook"
    assert not (out / "zh" / "lib").exists()
    deck = out / "zh" / "01_multiple_input_channels.slides.html"
    html = deck.read_text(encoding="utf-8")
    assert '<html lang="zh"' in html and '"../lib/reveal.js/dist/reveal.js"' in html and '"lib/' not in html
    page, requests = open_deck(browser, deck, (1280, 720))
    try:
        title = page.evaluate("document.querySelector('.reveal .slides > section .title-slide').innerText")
        notes = page.evaluate("document.querySelectorAll('.reveal aside.notes').length")
        page.screenshot(path=str(ARTIFACTS / "slides-zh-01-title.png"))
    finally:
        page.close()
    assert "多输入通道" in title and "课程的第 1 个笔记本" in title and "演讲者备注" in title, title
    assert notes >= 3 and requests == []


def test_the_lectures_numbers_and_math_typeset_offline(decks, browser):
    """Deck 02 shows the lecture's printed numbers, and every formula is typeset by the deck's own MathJax
    (a file it loads missing from the trimmed lib/ fails here)."""
    out, _ = decks
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    missing, requests = [], []
    page.route("http*://**/*", lambda route: (requests.append(route.request.url), route.abort()))
    page.on("requestfailed", lambda r: missing.append(r.url) if r.failure == "net::ERR_FILE_NOT_FOUND" else None)
    try:
        page.goto((out / "02_multiple_output_channels.slides.html").as_uri())
        page.wait_for_selector("body.deck-ready", timeout=30_000)
        page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 "
                               "&& document.querySelectorAll('script[type^=\"math/tex\"]').length > 0", timeout=30_000)
        math = page.evaluate(r"""() => ({
            tex: document.querySelectorAll('script[type^="math/tex"]').length,
            typeset: document.querySelectorAll('.MathJax_CHTML').length,
            errors: document.querySelectorAll('.mjx-merror, .MathJax_Error').length,
            raw: [...document.querySelectorAll('.reveal .slides .jp-MarkdownOutput, .reveal .slides .text_cell_render')]
                 .map(e => e.textContent).join(' ').match(/\$[^$\s][^$]*\$/g) || []})""")
        text = page.evaluate("document.querySelector('.reveal .slides').textContent")
    finally:
        page.close()
    assert math["tex"] > 5 and math["typeset"] == math["tex"] and math["errors"] == 0, math
    assert math["raw"] == [], f"TeX left unrendered: {math['raw'][:3]}"
    for number in ["56", "72", "104", "120", "76", "100", "148", "172"]:
        assert number in text
    assert requests == [] and missing == [], (requests[:3], missing[:3])


def test_decks_print_to_pdf(decks, browser, tmp_path):
    """reveal.js's ?print-pdf through Chromium: one page per slide, no blank page after the last."""
    out, paths = decks
    chosen = paths[:2] + [out / "zh" / "01_multiple_input_channels.slides.html"]
    pdfs = build_slides.print_pdfs(chosen, tmp_path, browser)
    assert pdfs[-1] == tmp_path / "zh" / "pdf" / "01_multiple_input_channels.pdf"
    for deck, pdf in zip(chosen, pdfs):
        page, _ = open_deck(browser, deck, (1280, 720))
        slides = page.evaluate("Reveal.getTotalSlides()")
        page.close()
        data = pdf.read_bytes()
        pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
        assert data.startswith(b"%PDF") and pages == slides >= 3, (pdf.name, pages, slides)


def deck_cell_point(canvas, r: int, c: int) -> tuple[float, float]:
    """Where cell (r, c) of a map's canvas is on screen, without scrolling: the slide fits the screen (tested
    above), and reveal.js puts back any scroll of its viewport, which would move the map under the click."""
    box = canvas.bounding_box()
    d = canvas.evaluate("e => ({...e.dataset, cw: parseFloat(e.style.width)})")
    scale = box["width"] / d["cw"]  # the maps' zoom on the slide, and reveal.js's scale
    cell, margin = float(d["cell"]), float(d["margin"])
    return box["x"] + (margin + (c + 0.5) * cell) * scale, box["y"] + (margin + (r + 0.5) * cell) * scale


@pytest.mark.parametrize("lib, name", [("lib", "06_channel_explorer"), ("../lib", "zh/06_channel_explorer")])
def test_the_explorer_picks_in_the_offline_deck(decks, browser, lib, name):
    """The explorer's slide draws it live from its stored state, offline: a click on an output cell picks it."""
    out, _ = decks
    deck = out / f"{name}.slides.html"
    html = deck.read_text(encoding="utf-8")
    assert re.search(f'<script data-jupyter-widgets-cdn="{lib}/widgets/no-cdn/" src="{lib}/widgets/embed-amd.js">', html)
    assert "application/vnd.jupyter.widget-view+json" in html and "unpkg.com" not in html
    page, requests = open_deck(browser, deck, (1280, 720))
    try:
        page.wait_for_function("() => document.querySelectorAll('.ccx2[data-redraw]').length >= 1", timeout=60_000)
        page.evaluate("""() => { const i = Reveal.getIndices(document.querySelector('.ccx2').closest('section'));
                                 Reveal.slide(i.h, i.v); }""")
        root = page.locator(".ccx2").first
        canvas = root.locator("canvas[data-map='Y[1]']")
        # the slide fits its maps once the widget has drawn (a zoom): click where the cell is once nothing moves
        page.wait_for_function("""c => { const r = c.getBoundingClientRect(), k = r.x + ',' + r.y + ',' + r.width;
                                         const same = c.dataset.lastBox === k; c.dataset.lastBox = k; return same; }""",
                               arg=canvas.element_handle(), polling=250, timeout=30_000)
        page.mouse.click(*deck_cell_point(canvas, 1, 1))
        wait_attr(root, "data-picked", "1,1,1")
        written = root.locator("pre.sum").inner_text()
        problems = page.evaluate(MEASURE, [BODY_PX, CODE_PX, False])
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"slides-{name.replace('/', '-')}-explorer.png"))
    finally:
        page.close()
    assert "Y[1, 1, 1] = " in written and "= 172" in written  # K + 1 on the lecture's X: 148 172 at the bottom
    assert problems == [], problems  # the explorer's slide fits 1280 × 720
    assert requests == []


for _test in (test_every_slide_fits_the_screen, test_a_deck_has_a_title_slide_numbers_and_notes,
              test_a_chinese_deck_has_its_title_slide_in_chinese_and_loads_the_one_lib,
              test_the_lectures_numbers_and_math_typeset_offline, test_decks_print_to_pdf,
              test_the_explorer_picks_in_the_offline_deck):
    for _mark in browser_only:
        _mark(_test)


def test_pdfs_are_printed_from_a_relative_out_folder(tmp_path, monkeypatch):
    """`make slides` passes a relative OUT (_build/slides): each deck is opened by its absolute file URI and its PDF
    goes to OUT/pdf/ (a Chinese deck's to OUT/zh/pdf/). A stand-in browser records what it was asked."""
    monkeypatch.chdir(tmp_path)
    out = Path("_build/slides")
    decks = [out / "01_x.slides.html", out / "zh" / "01_x.slides.html"]
    asked = []

    class Page:
        def route(self, *a): pass
        def goto(self, url): asked.append(url)
        def wait_for_selector(self, *a, **k): pass
        def wait_for_timeout(self, *a): pass
        def pdf(self, path, **k): Path(path).write_bytes(b"%PDF")
        def close(self): pass

    class Browser:
        def new_page(self, **k): return Page()

    pdfs = build_slides.print_pdfs(decks, out, Browser())
    assert asked == [(tmp_path / d).as_uri() + "?print-pdf" for d in decks]
    assert pdfs == [out / "pdf" / "01_x.pdf", out / "zh" / "pdf" / "01_x.pdf"] and all(p.exists() for p in pdfs)
