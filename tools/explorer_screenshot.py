"""A screenshot of the channel explorer in JupyterLab, in either edition: notebook 06 run top to bottom in headless
Chromium, the lecture's example with Y[1, 1, 0] = 148 picked by a click (its window outlined in X, row K[1], the
partial maps 57 + 91 and the written sum).

    python tools/explorer_screenshot.py OUT.png [--lang zh]

``assets/explorer-zh.png`` (the README's Chinese section) is made this way with ``--lang zh``. Needs Chromium at
/usr/bin/chromium and playwright (the dev pins).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from explorer_bench import FLAGS, cell_point, jupyterlab, open_and_run  # noqa: E402


def screenshot(out: Path, lang: str = "en") -> str:
    """Write the screenshot; returns the picked element as the page says it (``data-picked``)."""
    folder = ROOT / "notebooks" if lang == "en" else ROOT / "notebooks" / lang
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copy(folder / "06_channel_explorer.ipynb", root / "06.ipynb")
        with jupyterlab(root) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 2000})
                open_and_run(page, url, "06.ipynb", "() => document.querySelectorAll('.ccx2[data-redraw]').length >= 1")
                page.keyboard.press("Control+b")  # the file browser closed
                page.wait_for_timeout(1000)
                explorer = page.locator(".ccx2").first
                canvas = explorer.locator("canvas[data-map='Y[1]']").first
                canvas.scroll_into_view_if_needed()
                page.mouse.click(*cell_point(canvas, 1, 0))
                page.wait_for_function("r => r.dataset.picked === '1,1,0'", arg=explorer.element_handle())
                output = page.locator(".jp-CodeCell", has=page.locator(".ccx2")).first.locator(".jp-OutputArea")
                output.evaluate("o => o.scrollIntoView({block: 'start'})")
                page.wait_for_timeout(500)
                output.screenshot(path=str(out))
                return explorer.get_attribute("data-picked")
            finally:
                browser.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--lang", choices=["en", "zh"], default="en")
    args = parser.parse_args(argv)
    picked = screenshot(args.out, args.lang)
    print(f"{args.out}: Y[{picked}] picked")


if __name__ == "__main__":
    main()
