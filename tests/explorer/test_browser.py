"""A real browser: JupyterLab in headless Chromium runs explorers; a student points, clicks, types and walks.

- Random layers: clicking a cell of an output map Y[o] picks Y[o, u, v] there, and the page lights up the
  window that chanconv.explorer.state.explore() says that element reads (its rows and columns in every
  input channel of o's group, read back from the canvases and from their pixels), writes Python's sum,
  and the kernel gets the pick (the partial maps of another output channel come back from it).
- Hovering previews without moving anything on the page; the arrow keys move the picked cell; ▶ walks on
  from the element picked by hand and ■ goes back to Y[0, 0, 0].
- A student's first moves in notebook 6: c_i changes the number of input maps, a preset, projector mode
  (text of 18 px and more), and projector mode at 1280 × 720 (the controls in a bar that stays in view).
  Screenshots go to artifacts/ (gitignored).

Needs Debian's chromium (/usr/bin/chromium) and the playwright Python package (no browser download:
playwright drives the system Chromium through executable_path). Skipped, with the reason, where Chromium
is missing; `.ci/run` installs it so CI always runs this test.
"""

import json
import random
import shutil
from pathlib import Path

import pytest

from chanconv.course.element import format_number
from chanconv.explorer.state import Settings, explore
from tools.explorer_bench import (
    CHROMIUM,
    cell_point,
    jupyterlab,
    notebook,
    open_and_run,
    slider_handle,
    wait_attr,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: apt-get install chromium"),
]


def random_layers(count=3, seed=23):
    """Random integer layers with an output (so the written sums are exact), the last one large enough that only
    the picked output channel's partial maps travel."""
    rng = random.Random(seed)
    layers = []
    while len(layers) < count:
        kw = dict(source="random", preset="random", c_i=rng.randint(1, 4), c_o=rng.randint(2, 4),
                  k_h=rng.randint(1, 4), k_w=rng.randint(1, 4), n_h=rng.randint(4, 12), n_w=rng.randint(4, 12),
                  stride=rng.randint(1, 2), padding=rng.randint(0, 2), dilation=rng.randint(1, 2),
                  bias=rng.random() < 0.5, seed=rng.randint(0, 99))
        if len(layers) == count - 1:
            kw |= dict(c_i=6, c_o=5, n_h=30, n_w=30, k_h=3, k_w=3)
        if not explore(Settings(**kw)).message:
            layers.append(kw)
    return layers


LAYERS = random_layers()
# the gradient view: dilation, stride, padding and a bias; and groups (two input channels read nothing); maps of
# more than 8 cells a side, so that no value is written over the colours the test reads
GRADIENT_LAYERS = [
    dict(source="random", c_i=3, c_o=4, k_h=3, k_w=2, n_h=10, n_w=9, stride=2, padding=1, dilation=2, bias=True,
         seed=4),
    dict(source="random", c_i=4, c_o=4, groups=2, k_h=3, k_w=3, n_h=9, n_w=10, padding=1, seed=8),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(ROOT / "notebooks" / "06_channel_explorer.ipynb", root)
    cells = ["from chanconv.explorer import ChannelExplorer"]
    cells += [f"ChannelExplorer(**{kw!r})" for kw in LAYERS]
    cells += [f"ChannelExplorer(gradient=True, **{kw!r})" for kw in GRADIENT_LAYERS]
    (root / "random.ipynb").write_text(json.dumps(notebook(cells + ["print('explorers ready')"])))
    with jupyterlab(root) as url:
        yield url


def read_windows(root):
    """{input channel: (data-window, data-taps, the pixel on the window's left outline)} of every input map."""
    return root.evaluate("""r => Object.fromEntries([...r.querySelectorAll('canvas[data-map^="X["]')].map(c => {
        const [r0, r1, c0] = (c.dataset.window || '-1,-1,-1').split(',').map(Number);
        const cell = +c.dataset.cell, m = +c.dataset.margin, dpr = c.width / parseFloat(c.style.width);
        const x = Math.round((m + c0 * cell - 1) * dpr), y = Math.round((m + (r0 + r1) / 2 * cell) * dpr);
        const px = c0 >= 0 ? [...c.getContext('2d').getImageData(x, y, 1, 1).data].slice(0, 3) : null;
        return [c.dataset.map, [c.dataset.window, c.dataset.taps, px]];
    }))""")


def check_pick(root, kw, o, u, v):
    """The page shows Y[o, u, v] as explore() computes it: the window in every input channel of o's group, the sum."""
    state = explore(Settings(**kw, o=o, u=u, v=v))
    e = state.element
    assert root.get_attribute("data-picked") == f"{o},{u},{v}"
    windows = read_windows(root)
    for i in range(kw["c_i"]):
        window, taps, pixel = windows[f"X[{i}]"]
        if i in e.channels:
            assert window == f"{e.rows[0]},{e.rows[-1] + 1},{e.cols[0]},{e.cols[-1] + 1}", (i, window, e)
            assert taps == ",".join(map(str, e.rows)) + ";" + ",".join(map(str, e.cols))
            assert max(pixel) < 70, f"X[{i}]: no dark outline drawn at the window's left edge: {pixel}"
        else:
            assert window == "", f"X[{i}] is not read by Y[{o}] but shows a window"
    written = root.locator("pre.sum").inner_text().splitlines()
    assert e.compact_text() in written
    assert "every product:" not in "\n".join(written) or e.full_text() in written
    # the row "how Y[o] is made" shows o's partial maps (drawn again in place when o changes), their sum and Y[o]:
    # each map's text alternative names it and holds its value at (u, v)
    labels = root.locator(".sp canvas.pick").evaluate_all("cs => cs.map(c => [c.dataset.map, c.getAttribute('aria-label')])")
    groups = kw.get("groups", 1)
    names = [f"X[{i}] ⋆ K[{o}, {i - e.channels[0] if groups > 1 else i}]" for i in e.channels]
    assert [name for name, _ in labels[:len(names)]] == names, labels
    values = [float(state.partial[j, u, v]) for j in range(len(names))] + [float(state.partial[:, u, v].sum()),
                                                                            float(state.Y[o, u, v])]
    assert len(labels) == len(values), labels
    for (name, label), value in zip(labels, values):
        assert label.endswith(f"; at ({u}, {v}): {format_number(value, paren=False)}"), (name, label, value)


def test_clicking_output_cells_lights_up_the_window_explore_computes(lab, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_and_run(page, lab, "random.ipynb", "() => document.body.innerText.includes('explorers ready') && "
                     f"document.querySelectorAll('.ccx2[data-redraw]').length >= {len(LAYERS)}")
        rng = random.Random(5)
        for index, kw in enumerate(LAYERS):
            root = page.locator(".ccx2").nth(index)
            state = explore(Settings(**kw))
            c_o, m_h, m_w = state.Y.shape
            picks = [(rng.randrange(c_o), rng.randrange(m_h), rng.randrange(m_w)) for _ in range(3)]
            for o, u, v in picks:
                page.mouse.click(*cell_point(root.locator(f"canvas[data-map='Y[{o}]']"), u, v))
                wait_attr(root, "data-picked", f"{o},{u},{v}")
                page.mouse.move(2, 2)  # off the map: the page shows the kept element, not a preview
                # the kernel got it: another output channel's partial maps come from Python (when not all are here)
                root.locator("h4", has_text=f"how Y[{o}] is made").wait_for(timeout=30_000)
                check_pick(root, kw, o, u, v)
            # the sliders followed the picks in the page
            cell = page.locator(".jp-CodeCell").nth(index + 1)
            readouts = cell.locator(".widget-readout").all_inner_texts()
            assert readouts[-3:] == [str(x) for x in picks[-1]], readouts
        page.locator(".ccx2").nth(0).scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "explorer-random-picked.png"))
    finally:
        page.close()


def read_signs(root, name):
    """The sign of every cell of map ``name`` as its colours show it (+1 red, -1 blue, 0 white, None the grey
    padding), read 3 pixels into each cell from its top left corner: inside the window's outline, above a
    written value."""
    return root.locator(f"canvas[data-map='{name}']").evaluate("""c => {
        const cell = +c.dataset.cell, m = +c.dataset.margin, dpr = c.width / parseFloat(c.style.width);
        const ctx = c.getContext('2d'), out = [];
        for (let r = 0; r < +c.dataset.rows; r++) {
            const row = [];
            for (let q = 0; q < +c.dataset.cols; q++) {
                const [R, G, B] = ctx.getImageData(Math.round((m + q * cell + 3) * dpr),
                                                   Math.round((m + r * cell + 3) * dpr), 1, 1).data;
                row.push(R > 250 && G > 250 && B > 250 ? 0 : R === 255 && B < 250 ? 1 : B === 255 && R < 250 ? -1 : null);
            }
            out.push(row);
        }
        return out;
    }""")


def expected_signs(grad, lim, pad=None):
    """Signs of a gradient as the page colours them (values within a hundredth of the scale are white)."""
    out = [[0 if abs(g) < lim / 100 else (1 if g > 0 else -1) for g in row] for row in grad.tolist()]
    if pad:  # the padded grid: grey all round
        width = len(out[0]) + 2 * pad
        out = [[None] * width] * pad + [[None] * pad + row + [None] * pad for row in out] + [[None] * width] * pad
    return out


def test_the_gradient_view_shows_what_autograd_computes(lab, browser):
    """For picked elements of two layers (dilation, stride, padding, bias; groups), each dX[i] and dW[o, i] map's
    colours have the signs of torch's autograd of Y[o, u, v] (dX: K[o] laid on the window; dW: the window of X),
    and picking moves nothing on the page."""
    import torch
    import torch.nn.functional as F

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        count = len(LAYERS) + len(GRADIENT_LAYERS)
        open_and_run(page, lab, "random.ipynb", "() => document.body.innerText.includes('explorers ready') && "
                     f"document.querySelectorAll('.ccx2[data-redraw]').length >= {count}")
        rng = random.Random(9)
        for index, kw in enumerate(GRADIENT_LAYERS, start=len(LAYERS)):
            root = page.locator(".ccx2").nth(index)
            state = explore(Settings(**kw))
            s = state.settings
            c_o, m_h, m_w = state.Y.shape
            assert "gradient view" in root.locator(".sg h4").inner_text()
            boxes = "r => [...r.querySelectorAll('.sg canvas, .sg .gnote, .sg h4')].map(e => JSON.stringify(e.getBoundingClientRect()))"
            before = None
            for o, u, v in [(c_o - 1, m_h - 1, 0)] + [(rng.randrange(c_o), rng.randrange(m_h), rng.randrange(m_w))
                                                      for _ in range(2)]:
                page.mouse.click(*cell_point(root.locator(f"canvas[data-map='Y[{o}]']"), u, v))
                wait_attr(root, "data-picked", f"{o},{u},{v}")
                page.mouse.move(2, 2)
                wait_attr(root, "data-shown", f"{o},{u},{v}")
                X = state.X.clone().requires_grad_()
                K = state.K.clone().requires_grad_()
                Y = F.conv2d(X[None], K, state.b, stride=s.stride, padding=s.padding, dilation=s.dilation,
                             groups=s.groups)
                Y[0, o, u, v].backward()
                assert not K.grad[torch.arange(c_o) != o].any()  # only row o of dW: the page draws that row alone
                lim_k, lim_x = float(state.K.abs().max()), float(state.X.abs().max())
                for i in range(s.c_i):
                    assert read_signs(root, f"dX[{i}]") == expected_signs(X.grad[i], lim_k, s.padding), (o, u, v, i)
                # dW: the window of X[i]; a tap on the padding is a zero there, drawn as padding (grey)
                element = explore(Settings(**kw, o=o, u=u, v=v)).element  # its rows and columns: of the padded input
                on_pad = [[not (s.padding <= r < s.padding + s.n_h and s.padding <= c < s.padding + s.n_w)
                           for c in element.cols] for r in element.rows]
                for il in range(s.c_i // s.groups):
                    want = [[None if on_pad[a][e] else sign for e, sign in enumerate(row)]
                            for a, row in enumerate(expected_signs(K.grad[o, il], lim_x))]
                    assert read_signs(root, f"dW[{o}, {il}]") == want, (o, u, v, il)
                now = root.evaluate(boxes)
                assert before is None or now == before, "a pick moved something in the gradient view"
                before = now
    finally:
        page.close()


def test_hover_previews_without_moving_the_page_keys_and_the_walk(lab, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_and_run(page, lab, "random.ipynb", "() => document.body.innerText.includes('explorers ready') && "
                     f"document.querySelectorAll('.ccx2[data-redraw]').length >= {len(LAYERS)}")
        kw = LAYERS[0]
        root = page.locator(".ccx2").first
        canvas = root.locator("canvas[data-map='Y[1]']")
        page.mouse.click(*cell_point(canvas, 0, 0))
        wait_attr(root, "data-picked", "1,0,0")
        boxes = "r => [r, ...r.querySelectorAll('canvas, pre, h4, .bar, .status')].map(e => JSON.stringify(e.getBoundingClientRect()))"
        before = root.evaluate(boxes)
        page.mouse.move(*cell_point(canvas, 1, 1))  # a preview: shown, not kept
        wait_attr(root, "data-shown", "1,1,1")
        assert root.get_attribute("data-picked") == "1,0,0"
        assert "previewing Y[1, 1, 1]" in root.locator(".hint").inner_text()
        assert root.evaluate(boxes) == before, "hovering moved something on the page"
        page.mouse.move(5, 5)
        wait_attr(root, "data-shown", "1,0,0")
        # the keyboard: a click gives the map the focus (a frame after the pick: see explorer.js), Tab reaches the
        # maps (tabindex), the arrows move the picked cell
        page.mouse.click(*cell_point(canvas, 0, 0))
        page.wait_for_function("c => document.activeElement === c", arg=canvas.element_handle(), timeout=5000)
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowDown")
        wait_attr(root, "data-picked", "1,1,1")
        check_pick(root, kw, 1, 1, 1)
        assert all(c.get_attribute("tabindex") == "0" for c in root.locator("canvas[data-map^='Y[']").all())
        labels = root.locator("canvas").evaluate_all("cs => cs.map(c => c.getAttribute('aria-label') || '')")
        assert all(labels) and any("picked Y[1, 1, 1]" in t for t in labels), labels
        root.locator("button.walk", has_text="walk").click()  # ▶: on from the element picked by hand
        m_w = explore(Settings(**kw)).Y.shape[2]
        after = "1,1,2" if m_w > 2 else "1,2,0"
        wait_attr(root, "data-picked", after)
        assert "pause" in root.locator("button.walk").first.inner_text()
        root.locator("button.walk", has_text="■").click()
        wait_attr(root, "data-picked", "0,0,0")
        page.wait_for_timeout(1000)  # stopped: the walk goes no further
        assert root.get_attribute("data-picked") == "0,0,0" and "walk" in root.locator("button.walk").first.inner_text()
    finally:
        page.close()


def test_a_students_first_moves_in_jupyterlab(lab, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_and_run(page, lab, "06_channel_explorer.ipynb",
                     "() => document.querySelectorAll('.ccx2[data-redraw]').length >= 2 && "
                     "document.body.innerText.includes('is larger than the padded 6×6 input')")
        cell = page.locator(".jp-CodeCell").filter(has=page.locator(".ccx2")).first  # the first explorer
        root = cell.locator(".ccx2").first

        def input_maps():
            return root.locator("canvas[data-map^='X[']").evaluate_all(
                "cs => cs.map(c => c.dataset.map).filter(m => /^X\\[\\d+\\]$/.test(m))")

        assert "X: (c_i, n_h, n_w) = (2, 3, 3), the lecture's X" in root.locator(".status pre").first.inner_text()
        assert input_maps() == ["X[0]", "X[1]"]
        slider_handle(cell, "c_i").focus()  # c_i: 2 -> 3 (released at once: the key press is the whole move)
        page.keyboard.press("ArrowRight")
        page.wait_for_function("r => !!r.querySelector('canvas[data-map=\"X[2]\"]')", arg=root.element_handle(),
                               timeout=30_000)
        assert "X: (c_i, n_h, n_w) = (3, 3, 3), random integers" in root.locator(".status pre").first.inner_text()
        assert "leaves the lecture's 2 × 3 × 3 X" in root.locator(".note").first.inner_text()
        assert root.locator("canvas[data-map='X[2] ⋆ K[0, 2]']").count() == 1  # a third partial map
        page.screenshot(path=str(ARTIFACTS / "explorer-jupyterlab.png"), full_page=False)
        select = cell.locator(".widget-dropdown", has=page.locator(".widget-label", has_text="kernels K")).locator("select")
        select.select_option(label="vertical edges")
        page.wait_for_function("r => r.querySelector('.status pre').innerText.includes('vertical edges')",
                               arg=root.element_handle(), timeout=30_000)
        cell.locator("button", has_text="projector mode").click()
        page.wait_for_function("r => r.classList.contains('proj')", arg=root.element_handle(), timeout=30_000)
        sizes = root.evaluate("""r => {
            const px = (el) => parseFloat(getComputedStyle(el).fontSize);
            const texts = [...r.querySelectorAll('h4, .cap, .lg, pre, .hint, .note')].filter(e => e.innerText.trim());
            const labels = [...document.querySelectorAll('.ccx-proj .widget-label')];
            const fonts = [...r.querySelectorAll('canvas')].length;
            return {picture: Math.min(...texts.map(px)), labels: Math.min(...labels.map(px)), n: texts.length, fonts};
        }""")
        root.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "explorer-projector.png"), full_page=False)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "explorer-jupyterlab-failure.png"))
        raise
    finally:
        page.close()
    assert sizes["n"] > 8 and sizes["picture"] >= 18 and sizes["labels"] >= 18, sizes


def test_projector_mode_presents_on_one_screen_of_1280_by_720(lab, browser):
    """Projector mode in JupyterLab at 1280 × 720, the left sidebar closed as a presenter would: the controls a lecture
    moves sit in one bar at the top, in view together with the picture, and stay in view (sticky) when the notebook
    scrolls to the output maps of a layer taller than the screen; the picture keeps the notebook's width."""
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        open_and_run(page, lab, "random.ipynb", "() => document.body.innerText.includes('explorers ready') && "
                     f"document.querySelectorAll('.ccx2[data-redraw]').length >= {len(LAYERS)}")
        page.keyboard.press("Control+b")  # the file browser closed
        index = len(LAYERS) - 1  # the largest layer: its picture is several screens tall
        cell = page.locator(".jp-CodeCell").nth(index + 1)
        root = page.locator(".ccx2").nth(index)
        cell.locator("button", has_text="projector mode").click()
        page.wait_for_function("r => r.classList.contains('proj') && r.closest('.ccx-proj')", arg=root.element_handle(),
                               timeout=30_000)
        view = page.locator(".jp-WindowedPanel-outer").first.bounding_box()
        bar = cell.locator(".ccx-proj > .widget-hbox").first
        shown = bar.evaluate("""b => [...b.querySelectorAll('.widget-label')].filter(l => l.offsetParent)
                                   .map(l => l.textContent.trim())""")
        assert shown == ["c_i", "c_o", "k_h", "k_w", "Y[o]: o", "row u", "column v"], shown
        root.evaluate("e => e.closest('.ccx-root').scrollIntoView({block: 'start', behavior: 'instant'})")
        page.wait_for_timeout(300)
        top, picture = bar.bounding_box(), root.bounding_box()
        assert top["height"] <= 110, top  # one bar: two rows of controls at most
        assert picture["y"] < view["y"] + view["height"] - 300, (picture, view)  # the picture starts on the screen
        assert picture["x"] + picture["width"] <= 1280, picture
        y_map = root.locator(f"canvas[data-map='Y[{LAYERS[-1]['c_o'] - 1}]']").last
        y_map.evaluate("e => e.scrollIntoView({block: 'center', behavior: 'instant'})")
        page.wait_for_timeout(300)
        for name in ("c_o", "Y[o]: o"):  # still in view, above the output maps
            box = bar.locator(".widget-slider", has=page.locator(".widget-label", has_text=name)).first.bounding_box()
            assert view["y"] - 1 <= box["y"] and box["y"] + box["height"] <= view["y"] + view["height"], (name, box)
        assert y_map.bounding_box()["y"] >= bar.bounding_box()["y"] + bar.bounding_box()["height"] - 1
        page.screenshot(path=str(ARTIFACTS / "explorer-presenter-1280x720.png"))
        # the gradient view ticked in the bar: under the two columns, within the screen, its words 18 px and more
        bar.locator(".widget-checkbox", has_text="gradient view").locator("input").check()
        root.locator(".sg canvas[data-map='dX[0]']").wait_for(timeout=30_000)
        page.wait_for_timeout(300)
        picture, grad = root.bounding_box(), root.locator(".sg").bounding_box()
        assert picture["x"] + picture["width"] <= 1280 and grad["x"] + grad["width"] <= 1280, (picture, grad)
        assert grad["y"] >= root.locator(".sy").bounding_box()["y"] + root.locator(".sy").bounding_box()["height"]
        smallest = root.evaluate("r => Math.min(...[...r.querySelectorAll('.sg .gnote div, .sg .cap, .sg .lg')]"
                                 ".map(e => parseFloat(getComputedStyle(e).fontSize)))")
        assert smallest >= 18, smallest
    finally:
        page.close()
