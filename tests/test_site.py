"""The course site (`make site`) opens from disk in Chromium with every http(s) request blocked:
every page reachable from the index, in lecture order, math rendered by the local MathJax (no
TeX left over, no local file missing), figures loaded and on a light card in dark mode, the
explorer live (it draws itself from its stored state and picks: a click, a tap, the arrow keys),
search working, and zero requests. Sphinx builds it without a warning (a broken link fails the
build), and it stays small enough to download. All of it in both languages: the Chinese site in
zh/, every page with a switch to the same page in the other language, search finding Chinese words.

Needs Debian's chromium and the playwright package (skipped with the reason otherwise).
Screenshots go to artifacts/ (gitignored).
"""

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urldefrag

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_site  # noqa: E402
import build_slides  # noqa: E402
import widget_embed  # noqa: E402
from browsers import ARTIFACTS, CHROMIUM  # noqa: E402

from chanconv.explorer.state import Settings, explore  # noqa: E402
from tools.explorer_bench import cell_point, wait_attr  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ZH_NOTEBOOKS = sorted((ROOT / "notebooks" / "zh").glob("[0-9][0-9]_*.ipynb"))
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: apt-get install chromium"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not all((build_slides.MODULES / m).exists() for m in ("reveal.js", "@jupyter-widgets/html-manager")) \
            and shutil.which("npm"):
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock", "--silent"],
                       cwd=ROOT / "slides", check=True)
    return build_site.build(tmp_path_factory.mktemp("site") / "site")


def offline_page(browser, requests, **options):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, **options)

    def block(route):  # anything not a local file fails, as it would with no network at all
        requests.append(route.request.url)
        route.abort()

    page.route("http*://**/*", block)
    page.route("ws*://**/*", block)
    # a local file that is not there (a MathJax font or extension trimmed too far) fails too; the search
    # page's fetches of result pages, which Chromium refuses from file:// (not missing), do not count
    page.on("requestfailed", lambda request: requests.append(request.url)
            if request.url.startswith("file:") and request.failure == "net::ERR_FILE_NOT_FOUND" else None)
    return page


def wait_for_math(page):
    page.wait_for_function("() => !window.MathJax || (window.MathJax.startup && window.MathJax.startup.promise)",
                           timeout=30_000)
    page.evaluate("() => window.MathJax && window.MathJax.startup.promise")


def test_every_page_offline_with_math_figures_and_no_request(site, browser):
    requests, seen, queue, pages = [], set(), [site.as_uri()], {}
    page = offline_page(browser, requests)
    root = site.parent.as_uri()
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        page.goto(url)
        wait_for_math(page)
        info = page.evaluate("""() => ({
            title: document.title,
            math: document.querySelectorAll('mjx-container').length,
            // TeX left in the prose; code (a figure's mathtext label in a code cell) is not typeset, by design
            rawmath: (() => { const a = (document.querySelector('article') || document.body).cloneNode(true);
                              a.querySelectorAll('pre, code, script, style').forEach(e => e.remove());
                              return a.textContent.match(/\\$[^$\\s][^$]*\\$/g) || []; })(),
            broken: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src.slice(0, 80)),
            images: document.images.length,
            links: [...document.querySelectorAll('a[href]')].map(a => a.href)
                   .concat([...document.querySelectorAll('form[action]')].map(f => f.action)),
            switch: [...document.querySelectorAll('.language-switch a')].map(a => a.href),
            lang: document.documentElement.lang,
            // the theme's words around the page (links to the next page, footer, skip link), not the page's own
            chrome: (() => { const b = document.body.cloneNode(true);
                             b.querySelectorAll('article, script, style, svg').forEach(e => e.remove());
                             return b.textContent; })(),
        })""")
        pages[url] = info
        assert not info["broken"], f"{url}: images that did not load: {info['broken']}"
        for link in info["links"]:
            link = urldefrag(link)[0]
            if link.startswith(root) and link.endswith(".html") and "/slides/" not in link and link not in seen:
                queue.append(link)
    assert requests == [], f"requests made with no network: {requests[:5]}"
    by_name = {str(Path(u.removeprefix(root + "/")).with_suffix("")): info for u, info in pages.items()}
    for prefix, notebooks in (("", NOTEBOOKS), ("zh/", ZH_NOTEBOOKS)):
        assert notebooks
        for nb in notebooks:
            assert prefix + nb.stem in by_name, f"{prefix}{nb.stem} not reachable from the index"
        typeset = [nb.stem for nb in notebooks if nb.stem[:2] in {"00", "01", "02", "03", "04", "05", "06", "09"}]
        for stem in typeset:  # the notebooks whose notation and formulas are written as LaTeX
            assert by_name[prefix + stem]["math"] > 10, f"{prefix}{stem}: no math rendered"
        for stem in ("01_multiple_input_channels", "02_multiple_output_channels", "03_1x1_convolution"):
            assert by_name[prefix + stem]["images"] > 0, f"{prefix}{stem}: no figure"
        assert prefix + "search" in by_name, "a search box on the pages, leading to the search page"
    for name, info in by_name.items():
        assert info["rawmath"] == [], f"{name}: math left as TeX: {info['rawmath'][:3]}"
        # every page switches to the same page in the other language, and that page is there
        other = name.removeprefix("zh/") if name.startswith("zh/") else "zh/" + name
        assert info["switch"] and {urldefrag(h)[0] for h in info["switch"]} == {f"{root}/{other}.html"}, name
        assert other in by_name, f"{name}: its other language's page {other} was not reached"
        assert info["lang"] == ("zh-CN" if name.startswith("zh/") else "en"), (name, info["lang"])
        if name.startswith("zh/"):  # the theme speaks the page's language too (build_site.THEME_WORDS)
            english = [w for w in ("Next", "Previous", "Back to top", "Skip to content", "On this page", "Made with",
                                   "Copyright") if w in info["chrome"]]
            assert english == [], f"{name}: the theme's words in English: {english}"
    page.close()


def test_pages_come_in_lecture_order_with_links_to_notebooks_and_slides(site, browser):
    requests = []
    page = offline_page(browser, requests)
    page.goto(site.as_uri())
    order = page.evaluate("() => [...document.querySelectorAll('.toctree-wrapper a.reference.internal')]"
                          ".map(a => a.getAttribute('href'))")
    assert [Path(h).stem for h in order] == [nb.stem for nb in NOTEBOOKS]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site-index.png"))
    page.goto((site.parent / "01_multiple_input_channels.html").as_uri())
    wait_for_math(page)
    page.screenshot(path=str(ARTIFACTS / "site-01.png"), full_page=False)
    page.locator("mjx-container").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "site-01-math.png"), full_page=False)
    links = page.evaluate("() => [...document.querySelectorAll('.course-links a')].map(a => a.getAttribute('href'))")
    assert "notebooks/01_multiple_input_channels.ipynb" in links
    assert (site.parent / "notebooks" / "01_multiple_input_channels.ipynb").exists()
    if "slides/01_multiple_input_channels.slides.html" in links:
        assert (site.parent / "slides" / "01_multiple_input_channels.slides.html").exists()
    else:
        assert not (build_slides.MODULES / "reveal.js").exists(), "decks were buildable but not linked"
    nxt = page.evaluate("() => (document.querySelector('a.next-page') || {}).href || ''")
    assert Path(nxt).stem == "02_multiple_output_channels", "the next page is the next section"
    page.goto((site.parent / "zh" / "index.html").as_uri())
    order = page.evaluate("() => [...document.querySelectorAll('.toctree-wrapper a.reference.internal')]"
                          ".map(a => a.getAttribute('href'))")
    assert [Path(h).stem for h in order] == [nb.stem for nb in ZH_NOTEBOOKS] == [nb.stem for nb in NOTEBOOKS]
    page.screenshot(path=str(ARTIFACTS / "site-zh-index.png"))
    page.goto((site.parent / "zh" / "01_multiple_input_channels.html").as_uri())
    wait_for_math(page)
    page.screenshot(path=str(ARTIFACTS / "site-zh-01.png"), full_page=False)
    links = page.evaluate("() => [...document.querySelectorAll('.course-links a')].map(a => a.getAttribute('href'))")
    assert links[0] == "notebooks/01_multiple_input_channels.ipynb" and links[-1] == "../01_multiple_input_channels.html"
    assert (site.parent / "zh" / "notebooks" / "01_multiple_input_channels.ipynb").read_bytes() == \
        (ROOT / "notebooks" / "zh" / "01_multiple_input_channels.ipynb").read_bytes()
    if (site.parent / "slides").exists():
        assert links[1] == "../slides/zh/01_multiple_input_channels.slides.html"
        assert (site.parent / "slides" / "zh" / "01_multiple_input_channels.slides.html").exists()
    assert "多输入通道" in page.title()
    assert requests == []
    page.close()


def test_the_explorer_picks_offline(site, browser):
    """The explorer's page: the stored explorers draw themselves; a click, a tap and the arrow keys pick, the sum
    written is Python's for that element, the layer's controls are disabled and one line says why; no request."""
    requests = []
    page = offline_page(browser, requests)
    page.goto((site.parent / "06_channel_explorer.html").as_uri())
    page.wait_for_function("() => document.querySelectorAll('.ccx2[data-redraw]').length >= 2", timeout=60_000)
    root = page.locator(".ccx2").first  # the lecture's example
    start = page.evaluate("() => performance.now()")
    page.mouse.click(*cell_point(root.locator("canvas[data-map='Y[2]']"), 1, 0))
    wait_attr(root, "data-picked", "2,1,0")
    took = page.evaluate("() => performance.now()") - start
    e = explore(Settings(o=2, u=1, v=0)).element
    written = root.locator("pre.sum").inner_text().splitlines()
    assert e.compact_text() in written and e.full_text() in written  # Y[2, 1, 0] = 83 + 109 = 192
    assert root.locator("canvas[data-map='X[0]']").get_attribute("data-window") == "1,3,0,2"
    root.locator("canvas[data-map='Y[2]']").focus()
    page.keyboard.press("ArrowRight")
    wait_attr(root, "data-picked", "2,1,1")
    assert "224" in root.locator("pre.sum").inner_text()
    assert "changing the layer" in root.locator(".nokernel").inner_text()
    explorer = page.locator(".ccx-root").first
    layer = explorer.evaluate(f"""e => [...e.querySelectorAll('.{widget_embed.LAYER_CLASS}')].map(
        c => !!c.querySelector('[disabled], :disabled'))""")
    assert len(layer) == 14 and all(layer), layer  # every control that changes the layer is disabled
    readouts = explorer.locator(".widget-readout").all_inner_texts()
    assert readouts[-3:] == ["2", "1", "1"], readouts  # the o, u, v sliders followed (links in the page)
    root.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "site-06-explorer.png"))
    # the gradient view needs no Python either: a display switch, drawn from the arrays the page holds
    explorer.locator(".widget-checkbox", has_text="gradient view").locator("input").check()
    label = root.locator("canvas[data-map='dX[1]']").get_attribute("aria-label", timeout=10_000)
    assert label.endswith("K[2, 1] on padded rows 1 to 2, columns 1 to 2"), label  # Y[2, 1, 1]'s window
    assert root.locator(".sg .cap").all_inner_texts()[-2:] == ["dW[2, 0]", "dW[2, 1]"]
    photo = page.locator(".ccx2").nth(1)  # the photo: the partial maps of the picked o only are stored
    photo.locator("canvas[data-map='Y[3]']").scroll_into_view_if_needed()
    page.mouse.click(*cell_point(photo.locator("canvas[data-map='Y[3]']"), 20, 10))
    wait_attr(photo, "data-picked", "3,20,10")
    assert "come from Python" in photo.locator("pre.sum").inner_text()
    assert explore(Settings(source="photo", preset="edges", c_i=3, c_o=4, k_h=3, k_w=3, n_h=48, n_w=41, padding=1,
                            o=3, u=20, v=10)).element.full_text() in photo.locator("pre.sum").inner_text()
    page.close()
    touch = browser.new_page(viewport={"width": 900, "height": 900}, has_touch=True)
    touch.route("http*://**/*", lambda route: (requests.append(route.request.url), route.abort()))
    touch.goto((site.parent / "06_channel_explorer.html").as_uri())
    touch.wait_for_function("() => document.querySelectorAll('.ccx2[data-redraw]').length >= 2", timeout=60_000)
    root = touch.locator(".ccx2").first
    touch.touchscreen.tap(*cell_point(root.locator("canvas[data-map='Y[1]']"), 0, 1))
    wait_attr(root, "data-picked", "1,0,1")
    touch.close()
    assert requests == []
    print(f"pick in the saved page, click to its drawing: {took:.0f} ms")


def test_the_chinese_explorer_picks_offline(site, browser):
    """The Chinese explorer's page loads the widget manager from the English site's copy (one folder up) and picks
    as the English one does (its words are chanconv's, in Chinese where its catalog has them: not compared here)."""
    requests = []
    page = offline_page(browser, requests)
    page.goto((site.parent / "zh" / "06_channel_explorer.html").as_uri())
    html = (site.parent / "zh" / "06_channel_explorer.html").read_text(encoding="utf-8")
    assert 'data-jupyter-widgets-cdn="../_static/widgets/no-cdn/"' in html and "_static/../../_static/widgets" in html
    page.wait_for_function("() => document.querySelectorAll('.ccx2[data-redraw]').length >= 2", timeout=60_000)
    root = page.locator(".ccx2").first
    page.mouse.click(*cell_point(root.locator("canvas[data-map='Y[2]']"), 1, 0))
    wait_attr(root, "data-picked", "2,1,0")
    assert root.locator("canvas[data-map='X[0]']").get_attribute("data-window") == "1,3,0,2"
    assert "192" in root.locator("pre.sum").inner_text()  # Y[2, 1, 0] = 83 + 109 = 192
    root.locator("canvas[data-map='Y[2]']").focus()
    page.keyboard.press("ArrowRight")
    wait_attr(root, "data-picked", "2,1,1")
    assert "224" in root.locator("pre.sum").inner_text()
    layer = page.locator(".ccx-root").first.evaluate(f"""e => [...e.querySelectorAll('.{widget_embed.LAYER_CLASS}')].map(
        c => !!c.querySelector('[disabled], :disabled'))""")
    assert len(layer) == 14 and all(layer), layer
    root.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "site-zh-06-explorer.png"))
    page.close()
    assert requests == []


def test_figures_sit_on_a_light_card_in_dark_mode(site, browser):
    """The figures are drawn on white: on the dark theme each sits on a light card with a margin."""
    requests = []
    for scheme, light in (("dark", True), ("light", False)):
        page = offline_page(browser, requests, color_scheme=scheme)
        page.goto((site.parent / "02_multiple_output_channels.html").as_uri())
        wait_for_math(page)
        img = page.locator(".cell_output img").first
        img.scroll_into_view_if_needed()
        style = img.evaluate("e => { const s = getComputedStyle(e); return [s.backgroundColor, s.paddingTop]; }")
        page_bg = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        if light:
            assert style[0] not in ("rgba(0, 0, 0, 0)", "transparent") and float(style[1].rstrip("px")) > 4, style
            assert page_bg != style[0], "the card stands out from the dark page"
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "site-02-dark.png"))
        else:
            assert style[0] in ("rgba(0, 0, 0, 0)", "transparent"), "light mode: figures as they are"
        page.close()
    assert requests == []


def test_the_build_has_no_warning_and_the_site_stays_small(site):
    """Sphinx runs with -W (a broken link, say to a moved source file, fails `make site`); what a student
    downloads stays small: MathJax and reveal.js trimmed to what the pages and decks load (it was 118 MB)."""
    args = build_site.sphinx_args(Path("src"), Path("out"))
    assert "-W" in args
    folder = site.parent
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    largest = sorted(((sum(q.stat().st_size for q in p.rglob("*") if q.is_file()), p.name)
                      for p in folder.iterdir() if p.is_dir()), reverse=True)[:4]
    assert size < 60e6, f"the site is {size / 1e6:.0f} MB; largest folders: {largest}"
    assert not (folder / "_static" / "mathjax" / "tex-svg-full.js").exists()
    assert not (folder / "slides" / "lib" / "mathjax" / "unpacked").exists()
    # the Chinese site and decks load MathJax, the widget manager and reveal.js from the English site's copies
    chinese = sum(p.stat().st_size for d in (folder / "zh", folder / "slides" / "zh") for p in d.rglob("*") if p.is_file())
    assert chinese < 20e6, f"the Chinese site and decks are {chinese / 1e6:.0f} MB"
    assert not any((folder / "zh" / "_static" / name).exists() for name in build_site.SHARED)
    assert not (folder / "slides" / "zh" / "lib").exists()
    assert not (folder / "jupyter_execute").exists() and not (folder / ".doctrees").exists()


def search(page, page_url):
    """The titles of the pages the site's search page lists for a query (its own JavaScript, offline)."""
    page.goto(page_url)
    # the summary line is written when the search has finished (after the last result), found or not
    page.wait_for_function("() => { const s = document.querySelector('#search-results .search-summary');"
                           " return !!s && s.textContent.trim().length > 0; }", timeout=30_000)
    return page.evaluate("() => [...document.querySelectorAll('#search-results li a')].map(a => a.getAttribute('href'))")


def test_search_works_offline(site, browser):
    requests = []
    page = offline_page(browser, requests)
    hits = search(page, (site.parent / "search.html").as_uri() + "?q=grayscale")
    assert hits, "search found nothing for 'grayscale'"
    page.screenshot(path=str(ARTIFACTS / "site-search.png"))
    assert requests == []
    page.close()


@pytest.mark.parametrize("query, where", [
    ("卷积核", "01_multiple_input_channels"),      # a word of three characters
    ("输出通道", "02_multiple_output_channels"),   # a term no dictionary of everyday Chinese holds as one word
    ("灰度", "01_multiple_input_channels"),        # grayscale
    ("核", "01_multiple_input_channels"),          # a single character
    ("逐元素", "01_multiple_input_channels"),
    ("im2col", "08_performance"),                  # a Latin word on the Chinese pages
])
def test_search_finds_chinese_words_offline(site, browser, query, where):
    requests = []
    page = offline_page(browser, requests)
    hits = search(page, (site.parent / "zh" / "search.html").as_uri() + "?q=" + query)
    if query == "输出通道":
        page.screenshot(path=str(ARTIFACTS / "site-zh-search.png"))
    page.close()
    assert f"{where}.html" in [h.split("#")[0].split("?")[0] for h in hits], (query, hits)
    assert requests == []


def test_chinese_search_does_not_find_what_the_pages_do_not_say(site, browser):
    requests = []
    page = offline_page(browser, requests)
    assert search(page, (site.parent / "zh" / "search.html").as_uri() + "?q=天气预报") == []
    page.close()
    assert requests == []
