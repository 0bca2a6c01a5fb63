"""Live slides in the real browser: JupyterLab (as `make setup` configures it) in headless Chromium
opens a notebook, RISE starts with Alt+R, and a slide shows its math rendered by MathJax.

Also checks what `make setup` ships: no extension Lab marks incompatible (the mathjax3
extension that jupyterlab-rise pulls in is switched off; Lab 4's own MathJax renders), and no
news pop-up. Needs Debian's chromium and playwright (skipped with the reason otherwise).
"""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browsers import ARTIFACTS, CHROMIUM, FLAGS

from tools.explorer_bench import jupyterlab, open_and_run

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "01_multiple_input_channels.ipynb"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: apt-get install chromium"),
]


def test_no_labextension_is_incompatible_and_mathjax3_is_off():
    run = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True, text=True)
    text = run.stdout + run.stderr
    assert "jupyterlab-rise" in text and "enabled" in text
    lines = [line.strip() for line in text.splitlines()]
    flagged = set()
    if any("incompatible with the current version" in line for line in lines):
        start = next(i for i, line in enumerate(lines) if "incompatible with the current version" in line)
        flagged = {line for line in lines[start + 1:] if line.startswith("@") or line.startswith("jupyterlab")}
        flagged = {line.split()[0] for line in flagged}
    disabled = set()
    if "Disabled extensions:" in lines:
        disabled = {line.split()[0] for line in lines[lines.index("Disabled extensions:") + 1:] if line}
    assert flagged <= disabled, f"incompatible extensions left enabled: {flagged - disabled}"
    assert "@jupyterlab/mathjax3-extension" in disabled, "Lab 4's own MathJax renders the math"
    overrides = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert json.loads(overrides.read_text()) == json.loads((ROOT / "jupyter" / "overrides.json").read_text()), \
        "make setup copies jupyter/overrides.json (no news pop-up)"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab as `make lab` runs it (the project's settings), token off for this test only."""
    root = tmp_path_factory.mktemp("rise")
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, root)
    with jupyterlab(root, user_settings=False) as url:
        yield url


def start_rise_at(page, cell):
    """Alt+R with ``cell`` active (RISE starts at the active cell); the slide it shows (a locator in RISE's frame)."""
    cell.scroll_into_view_if_needed()
    cell.click()
    page.keyboard.press("Escape")
    page.keyboard.press("Alt+r")
    # RISE opens its slideshow in an iframe beside the notebook (/rise/<notebook>?activeCellIndex=...)
    page.wait_for_selector("iframe[src*='/rise/']", timeout=60_000)
    frame = page.frame_locator("iframe[src*='/rise/']")
    frame.locator(".reveal.ready").wait_for(timeout=90_000)
    return frame.locator("section.present").last


def test_rise_shows_a_slide_with_math_rendered(lab):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        outside = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((lab, "data:", "blob:")) else None)
        page.goto(f"{lab}/lab/tree/{NOTEBOOK}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
        time.sleep(2)
        assert page.locator(".jp-Notification-Toast, .Toastify__toast").filter(has_text="news").count() == 0, \
            "no news pop-up"
        # make the cell with the formula the active one: RISE starts at the active cell
        cell = page.locator(".jp-MarkdownCell").filter(has_text="One kernel channel per input channel").filter(
            has=page.locator("mjx-container")).first
        present = start_rise_at(page, cell)
        present.locator("mjx-container").first.wait_for(timeout=60_000)
        math = present.locator("mjx-container").count()
        raw = "$$" in present.inner_text()
        title = present.inner_text().splitlines()[0]
        time.sleep(1)
        page.screenshot(path=str(ARTIFACTS / "rise-slide.png"))
        browser.close()
    assert title.lower().startswith("one kernel channel per input channel"), title
    assert math > 0 and not raw, "the slide shows its formula rendered, not TeX"
    assert not outside, f"requests outside the server: {outside[:5]}"


def test_lab_serves_the_projects_settings_no_news(lab):
    """What `make lab` shows: the news pop-up is off and RISE uses a theme without web fonts."""
    def defaults(plugin):  # overrides.json replaces the defaults of a plugin's schema
        with urllib.request.urlopen(f"{lab}/lab/api/settings/{plugin}") as r:
            body = json.loads(r.read())
        assert not body["settings"], "no user settings in this test: only the shipped ones count"
        return {k: v.get("default") for k, v in body["schema"]["properties"].items()}

    notification = defaults("@jupyterlab/apputils-extension:notification")
    assert notification["fetchNews"] == "false" and notification["checkForUpdates"] is False
    assert defaults("jupyterlab-rise:plugin")["theme"] == "white"


def test_binder_applies_the_same_settings():
    post = (ROOT / "postBuild").read_text()
    assert "jupyter/overrides.json" in post and "disable --level=sys_prefix @jupyterlab/mathjax3-extension" in post
    assert os.access(ROOT / "postBuild", os.X_OK)


def test_rise_shows_the_explorer_only_as_text(tmp_path):
    """What the README says: with the pinned versions a RISE slide shows the explorer's text line, not the
    widget (jupyterlab-contrib/rise #119, #126). When this starts to fail, RISE draws it: update the README."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    shutil.copy(ROOT / "notebooks" / "06_channel_explorer.ipynb", tmp_path)
    with jupyterlab(tmp_path, user_settings=False) as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        open_and_run(page, url, "06_channel_explorer.ipynb",
                     "() => document.querySelectorAll('.ccx2[data-redraw]').length >= 2")
        cell = page.locator(".jp-CodeCell").filter(has=page.locator(".ccx2")).first
        present = start_rise_at(page, cell)
        present.get_by_text("ChannelExplorer: X: (c_i, n_h, n_w)").first.wait_for(timeout=60_000)
        time.sleep(5)  # time for a widget to draw, were it going to
        drawn = present.locator(".ccx2 canvas").count()
        page.screenshot(path=str(ARTIFACTS / "rise-explorer.png"))
        browser.close()
    assert drawn == 0, "RISE now draws the explorer: say so in the README (Presenting live from JupyterLab)"
