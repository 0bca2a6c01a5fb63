"""A real browser: JupyterLab in headless Chromium runs the explorer notebook; a student's first moves.

Default → move c_i → the picture shows the new number of input channels (and says it left the
lecture's example); change the kernel preset; projector mode on (text of 18 px and more). The
screenshots go to artifacts/ (gitignored).

Needs Debian's chromium (/usr/bin/chromium) and the playwright Python package (no browser
download: playwright drives the system Chromium through executable_path). Skipped, with the
reason, where Chromium is missing; `.ci/run` installs it so CI always runs this test.
"""

import re
import shutil
from pathlib import Path

import pytest

from tools.explorer_bench import CHROMIUM, FLAGS, jupyterlab, open_and_run, slider_handle

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: apt-get install chromium"),
]

# done: the first explorer's summary is shown and the last code cell (the one-line message) has run
READY = ("() => [...document.querySelectorAll('.ccx pre')].some(e => e.textContent.includes('Y: (c_o, m_h, m_w)'))"
         " && document.body.innerText.includes('is larger than the padded 6×6 input')")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(ROOT / "notebooks" / "06_channel_explorer.ipynb", root)
    with jupyterlab(root) as url:
        yield url


def text_of(cell, selector):
    return cell.locator(selector).first.inner_text()


def test_a_students_first_moves_in_jupyterlab(lab):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            open_and_run(page, lab, "06_channel_explorer.ipynb", READY)
            cell = page.locator(".jp-CodeCell").filter(has=page.locator(".ccx-view")).first  # the first explorer
            picture = cell.locator(".ccx-view").first

            def input_maps():
                return sorted(set(re.findall(r"^X\[(\d)\](?: \([RGB]\))?$", picture.inner_text(), re.M)))

            # default: the lecture's example, two input channels
            assert "X: (c_i, n_h, n_w) = (2, 3, 3), the lecture's X" in text_of(cell, ".ccx pre")
            assert input_maps() == ["0", "1"]
            # move c_i: 2 -> 3 (released at once: the key press is the whole move)
            slider_handle(cell, "c_i").focus()
            page.keyboard.press("ArrowRight")
            # (each redraw replaces the picture's elements: look them up afresh)
            page.wait_for_function(
                "() => document.querySelector('.jp-CodeCell .ccx-view').innerText.includes('X[2]')",
                timeout=30_000)
            assert input_maps() == ["0", "1", "2"]  # the picture shows the new number of channels
            status = text_of(cell, ".ccx pre")
            assert "X: (c_i, n_h, n_w) = (3, 3, 3), random integers" in status
            assert "leaves the lecture's 2 × 3 × 3 X" in cell.locator(".ccx .note").first.inner_text()
            assert "X[2] ⋆ K[0, 2]" in picture.inner_text()  # a third partial map
            page.screenshot(path=str(ARTIFACTS / "explorer-jupyterlab.png"), full_page=False)
            # change the kernel preset
            select = cell.locator(".widget-dropdown", has=page.locator(".widget-label", has_text="kernels K")).locator(
                "select")
            select.select_option(label="vertical edges")
            page.wait_for_function(
                "() => document.querySelector('.jp-CodeCell .ccx pre').innerText.includes('vertical edges')",
                timeout=30_000)
            # projector mode on
            cell.locator("button", has_text="projector mode").click()
            page.wait_for_selector(".jp-CodeCell .ccx-view .ccx.proj", timeout=30_000)
            sizes = page.evaluate("""() => {
                const root = document.querySelector('.jp-CodeCell .ccx-view');
                const px = (el) => parseFloat(getComputedStyle(el).fontSize);
                const texts = [...root.querySelectorAll('h4, .cap, .lg, .sum, .kv pre, td, th')].filter(e => e.innerText.trim());
                const labels = [...document.querySelectorAll('.ccx-proj .widget-label')];
                return {picture: Math.min(...texts.map(px)), labels: Math.min(...labels.map(px)), n: texts.length};
            }""")
            cell.locator(".ccx-view").first.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "explorer-projector.png"), full_page=False)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "explorer-jupyterlab-failure.png"))
            raise
        finally:
            browser.close()
    assert sizes["n"] > 10 and sizes["picture"] >= 18 and sizes["labels"] >= 18, sizes
