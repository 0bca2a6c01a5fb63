"""The reveal.js slides open offline in headless Chromium, with several slides, the lecture's numbers and
every formula typeset by the deck's own MathJax (no file it loads missing from the trimmed lib/).

Needs Debian's chromium, the playwright package, and npm (to fetch reveal.js, jQuery, RequireJS and
MathJax into slides/node_modules, pinned in slides/package.json); skipped with the reason otherwise.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_slides  # noqa: E402
from browsers import CHROMIUM, FLAGS  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: apt-get install chromium"),
]


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    if not (ROOT / "slides" / "node_modules" / "reveal.js").exists():
        if not shutil.which("npm"):
            pytest.skip("npm is not installed: it fetches reveal.js for the slides")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock", "--silent"],
                       cwd=ROOT / "slides", check=True)
    out = tmp_path_factory.mktemp("slides")
    [path] = build_slides.build(out, [ROOT / "notebooks" / "02_multiple_output_channels.ipynb"])
    return path


def test_deck_refers_only_to_local_files(deck):
    html = deck.read_text(encoding="utf-8")
    for needed in ['src="lib/requirejs/require.js"', "lib/reveal.js/dist/reveal.js", 'href="lib/reveal.js/dist/reveal.css"']:
        assert needed in html
    assert "unpkg.com" not in html and "cdnjs" not in html and "cdn.jsdelivr" not in html


def test_slides_open_offline_with_the_lectures_numbers(deck):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    requests = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 800})

        def offline(route):  # anything not a local file fails, as it would without a network
            requests.append(route.request.url)
            route.abort()

        page.route("http*://**/*", offline)
        page.on("requestfailed", lambda request: requests.append(request.url)  # a local file not there
                if request.failure == "net::ERR_FILE_NOT_FOUND" else None)
        page.goto(deck.as_uri())
        page.wait_for_selector(".reveal.ready", timeout=30_000)
        page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 "
                               "&& document.querySelectorAll('script[type^=\"math/tex\"]').length > 0", timeout=30_000)
        math = page.evaluate(r"""() => ({
            tex: document.querySelectorAll('script[type^="math/tex"]').length,
            typeset: document.querySelectorAll('.MathJax_CHTML').length,
            errors: document.querySelectorAll('.mjx-merror, .MathJax_Error').length,
            raw: [...document.querySelectorAll('.reveal .slides .jp-MarkdownOutput, .reveal .slides .text_cell_render')]
                 .map(e => e.textContent).join(' ').match(/\$[^$\s][^$]*\$/g) || []})""")
        slides = page.evaluate("document.querySelectorAll('.reveal .slides > section').length")
        text = page.evaluate("document.querySelector('.reveal .slides').textContent")
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(1000)  # let the slide transition finish before the screenshot
        (ROOT / "artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "artifacts" / "slides-02.png"))
        browser.close()
    assert slides > 1
    assert math["tex"] > 20 and math["typeset"] == math["tex"] and math["errors"] == 0, math
    assert math["raw"] == [], f"TeX left unrendered: {math['raw'][:3]}"
    for number in ["56", "72", "104", "120", "76", "100", "148", "172", "96", "128", "192", "224"]:
        assert number in text
    assert "(3, 2, 2, 2)" in text
    assert requests == [], f"the deck tried the network: {requests[:3]}"


def test_explorer_deck_shows_the_saved_picture(tmp_path):
    """The offline deck of the explorer shows its last picture (the saved widget state), not text only."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    if not (build_slides.MODULES / "reveal.js").exists():
        pytest.skip("reveal.js is not in slides/node_modules (make slides fetches it)")
    [path] = build_slides.build(tmp_path, [ROOT / "notebooks" / "06_channel_explorer.ipynb"])
    html = path.read_text(encoding="utf-8")
    assert "widget-snapshot" in html and "application/vnd.jupyter.widget-view+json" not in html
    requests = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("http*://**/*", lambda route: (requests.append(route.request.url), route.abort()))
        page.goto(path.as_uri())
        page.wait_for_selector(".reveal.ready", timeout=30_000)
        # go to the slide that holds the picture: h steps right, then v steps down
        h, v = page.evaluate("""() => {
            const slide = document.querySelector('.widget-snapshot').closest('section');
            const top = slide.parentElement.tagName === 'SECTION' ? slide.parentElement : slide;
            const hs = [...document.querySelectorAll('.reveal .slides > section')];
            return [hs.indexOf(top), top === slide ? 0 : [...top.children].filter(c => c.tagName === 'SECTION').indexOf(slide)];
        }""")
        for key, n in (("ArrowRight", h), ("ArrowDown", v)):
            for _ in range(n):
                page.keyboard.press(key)
                page.wait_for_timeout(150)
        page.wait_for_timeout(1000)
        box = page.locator(".widget-snapshot").first.bounding_box()
        text = page.locator(".widget-snapshot").first.inner_text()
        (ROOT / "artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "artifacts" / "slides-06-explorer.png"))
        browser.close()
    assert box and box["height"] > 150 and "X: (c_i, n_h, n_w)" in text
    assert requests == []
