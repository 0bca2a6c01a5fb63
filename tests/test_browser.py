"""A real browser: JupyterLab in headless Chromium runs the explorer notebook and moves a slider.

Needs Debian's chromium (/usr/bin/chromium) and the playwright Python package (no browser
download: playwright drives the system Chromium through executable_path). Skipped, with the
reason, where Chromium is missing; `.ci/run` installs it so CI always runs this test.
The screenshot goes to artifacts/ (gitignored).
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from labserver import lab_server

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHANCONV_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: apt-get install chromium"),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1, token disabled for this test only, serving a copy of notebooks/."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(ROOT / "notebooks" / "06_channel_explorer.ipynb", root)
    settings = root / "settings"
    for name, text in {
        # render every cell (no windowing), so that the explorer stays in the page when scrolled;
        # start the notebook's kernel without asking (under load Lab may otherwise show "Select Kernel")
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
            '{"windowingMode": "none", "autoStartDefaultKernel": true}',
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": '{"fetchNews": "false"}',
    }.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(text)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(root / "config"), JUPYTERLAB_SETTINGS_DIR=str(settings),
               CHANCONV_DEVICE="cpu")
    with lab_server(root, env, ["--LabApp.news_url=None",
                                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]) as url:
        yield url


def accept_kernel_dialog(page):
    """A "Select Kernel" dialog (the notebook's own kernel preselected) would block the menus: accept it."""
    button = page.locator(".jp-Dialog .jp-mod-accept")
    if button.count() and button.first.is_visible():
        button.first.click()
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)


def test_explorer_slider_changes_the_summary_in_jupyterlab(lab, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{lab}/lab/tree/06_channel_explorer.ipynb", timeout=60_000)
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            # wait for the kernel, then Run > Run All Cells; a kernel that reports idle while it is
            # still connecting can drop the request, so try again (three times at most)
            accept_kernel_dialog(page)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
            # done: the explorer's summary is shown and the last code cell (the one-line message) has run
            ready = ("() => [...document.querySelectorAll('.ccx pre')].some(e => e.textContent.includes('Y: (c_o, m_h, m_w)'))"
                     " && document.body.innerText.includes('is larger than the padded 6×6 input')")
            for attempt in range(3):
                accept_kernel_dialog(page)
                page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
                page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
                try:
                    page.wait_for_function(ready, timeout=30_000)
                    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=30_000)
                    break
                except sync_api.TimeoutError:
                    if attempt == 2:
                        raise
            summary = page.locator(".ccx pre").first
            before = summary.inner_text()
            slider = page.locator(".widget-slider", has=page.locator(".widget-label", has_text=re.compile(r"^c_o$"))).first
            slider.scroll_into_view_if_needed()
            slider.locator(".noUi-handle").focus()
            page.keyboard.press("ArrowRight")  # c_o: 3 -> 4
            page.wait_for_function(
                "(before) => document.querySelector('.ccx pre').innerText !== before", arg=before, timeout=20_000
            )
            after = summary.inner_text()
            page.screenshot(path=str(ARTIFACTS / "explorer-jupyterlab.png"), full_page=False)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "explorer-jupyterlab-failure.png"))
            raise
        finally:
            browser.close()
    assert "K: (c_o, c_i, k_h, k_w) = (3, 3, 3, 3)" in before
    assert "K: (c_o, c_i, k_h, k_w) = (4, 3, 3, 3)" in after  # the displayed summary followed the slider
