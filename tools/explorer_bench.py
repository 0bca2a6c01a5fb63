"""``make bench-widgets``: the channel explorer in a real browser, its latency and what it sends.

End to end, the way a student sees it: JupyterLab runs a notebook with two explorers (the default, the
lecture's example; and the largest settings, c_i = c_o = 8, 7 × 7 kernels, a 48 × 48 input, padding 3,
bias) and a *floor* (a slider that changes one number: what JupyterLab, its server and Chromium take for
any widget on this machine). Headless Chromium then

- **picks by pointer**: clicks cells of an output map, timed from the click (the event's own time stamp)
  to the frame that shows it (a task queued from the next animation frame, which runs after that frame's
  rendering), and to the end of the explorer's drawing alone; the kernel's messages answering a pick are
  counted (a pick needs none: the picture is drawn from what the page holds);
- **changes a shape**: presses an arrow key on the c_o and n_h sliders, timed from the key press to the
  frame that shows the new picture from Python (``data-redraw``), next to the floor timed the same way;
- **picks in a saved page**: the same explorers embedded with the copied widget manager (what ``make
  site`` and ``make slides`` do), opened from disk with every http(s) request refused.

Beside them: the bytes each change sends (the picture's traits as Python sends them; and the kernel's
websocket frames as Chromium receives them), the first display, the Python callback alone, and the CPU
milliseconds per key press of each process (read from /proc). Medians and worst cases over every press;
results and screenshots in ``--out`` (artifacts/). Every figure names the CPU it was taken on.

Needs Debian's chromium (``/usr/bin/chromium``, or ``CHANCONV_CHROMIUM``) and the playwright package,
which drives it through ``executable_path`` (no browser download); the saved page needs slides/node_modules
(``npm install`` in slides/). The JupyterLab and browser helpers here are shared with the browser tests.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import ipywidgets
import ipywidgets.embed
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from chanconv.core.device import cpu_model
from chanconv.explorer import ChannelExplorer
from chanconv.explorer.state import PRESETS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import widget_embed  # noqa: E402

__all__ = ["CHROMIUM", "FLAGS", "LARGEST", "jupyterlab", "open_and_run", "notebook", "slider_handle", "press_and_time",
           "pick_and_time", "cell_point", "wait_attr", "KernelFrames", "saved_page", "benchmark_redraws", "payloads",
           "main"]

CHROMIUM = os.environ.get("CHANCONV_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
LARGEST = dict(source="random", preset="random", c_i=8, c_o=8, k_h=7, k_w=7, n_h=48, n_w=48, padding=3, bias=True)


def cpu_name() -> str:
    return f"{cpu_model()}, {os.cpu_count()} cores"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyterlab(root: Path, timeout: float = 60, user_settings: bool = True, windowing: str | None = "none"):
    """JupyterLab on 127.0.0.1 serving ``root``, token disabled (for this local run only); yields its URL.

    ``user_settings=False`` leaves the user settings empty, so Lab runs on the project's shipped
    settings alone (what `make lab` shows); by default it also starts the kernel without asking,
    fetches no news and renders every cell (``windowing="none"``); ``windowing=None`` keeps Lab's
    own default ("contentVisibility": cells out of view are in the page but not rendered).
    """
    port = _free_port()
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--ServerApp.root_dir={root}", "--IdentityProvider.token=", "--ServerApp.password=",
           "--ServerApp.disable_check_xsrf=True", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    settings = root / ".lab-settings"
    settings.mkdir(parents=True, exist_ok=True)
    for name, text in {} if not user_settings else {
        # start the notebook's kernel without asking (under load Lab may otherwise show "Select Kernel");
        # "none": render every cell (no windowing), so that an explorer stays in the page when scrolled
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": json.dumps(
            {"autoStartDefaultKernel": True} | ({"windowingMode": windowing} if windowing else {})),
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": '{"fetchNews": "false"}',
    }.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(text)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(root / ".jupyter-config"), JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(root / ".lab-workspaces"), CHANCONV_DEVICE="cpu")
    log_path = root / ".lab.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    urllib.request.urlopen(url + "/api/status", timeout=1)
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("JupyterLab did not start: " + log_path.read_text()[-2000:]) from None
                    time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _accept_kernel_dialog(page):
    """A "Select Kernel" dialog (the notebook's own kernel preselected) would block the menus: accept it."""
    button = page.locator(".jp-Dialog .jp-mod-accept")
    if button.count() and button.first.is_visible():
        button.first.click()
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)


def open_and_run(page, url: str, name: str, ready: str, attempts: int = 3):
    """Open notebook ``name`` with its own kernel, Run All Cells, and wait until the JavaScript predicate ``ready``.

    Under load JupyterLab can run the cells before its widget manager is connected ("model not
    found") or drop the request: then the page is loaded again and the cells run again.
    """
    for attempt in range(attempts):
        page.goto(f"{url}/lab/tree/{name}?reset", timeout=90_000)  # reset: that notebook alone, no tab of before
        page.wait_for_selector(".jp-Notebook", timeout=90_000)
        try:
            _accept_kernel_dialog(page)
            page.wait_for_function("() => [...document.querySelectorAll('.jp-Toolbar-kernelName')]"
                                   ".some(e => e.textContent.includes('Python 3'))", timeout=60_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
            page.wait_for_timeout(1000)  # let the widget manager connect to the kernel
            _accept_kernel_dialog(page)
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            page.wait_for_function(ready, timeout=60_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
            return
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise


def slider_handle(cell, label: str):
    """The noUiSlider handle of the slider whose label is exactly ``label`` in this cell's output."""
    slider = cell.locator(".widget-slider", has=cell.page.locator(".widget-label", has_text=re.compile(
        "^" + re.escape(label) + "$"))).first
    slider.scroll_into_view_if_needed()
    return slider.locator(".noUi-handle")


# In the page: from the next key press (capture phase) to two animation frames after the explorer's
# picture carries a new redraw stamp and its images are decoded.
# The stamp (the redraw's number) rides on the last widget of the picture that a redraw sends: the
# newest is the largest number in the cell.
def kernel_message(payload: str, binary: bool) -> dict | None:
    """One websocket frame between JupyterLab and its kernel as {channel, type, msg_id, parent, bytes}.

    Lab speaks the ``v1.kernel.websocket.jupyter.org`` protocol (binary frames: offsets, the
    channel, header, parent header, metadata, content); older servers send JSON text. Frames of
    other websockets (Lab's events) give None.
    """

    try:
        if binary:
            raw = base64.b64decode(payload)
            n = int.from_bytes(raw[:8], "little")
            offsets = [int.from_bytes(raw[8 * (k + 1):8 * (k + 2)], "little") for k in range(n)] + [len(raw)]
            channel = raw[offsets[0]:offsets[1]].decode()
            header, parent, _, content = (json.loads(raw[offsets[k]:offsets[k + 1]]) for k in range(1, 5))
            size = len(raw)
        else:
            msg = json.loads(payload)
            channel, header, parent, content = msg["channel"], msg["header"], msg["parent_header"], msg["content"]
            size = len(payload.encode())
        kind = header["msg_type"]
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    if kind == "status":
        kind += ": " + str(content.get("execution_state"))
    elif kind == "comm_msg":
        data = content.get("data") or {}
        kind += f": {data.get('method')} {sorted(data.get('state') or {})}"
    return {"channel": channel, "type": kind, "msg_id": header.get("msg_id"), "parent": (parent or {}).get("msg_id"),
            "bytes": size}


class KernelFrames:
    """The kernel's websocket frames as Chromium sees them (DevTools protocol), to count messages per redraw."""

    def __init__(self, page):
        self.sent: list[dict] = []
        self.received: list[dict] = []
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.on("Network.webSocketFrameSent", lambda ev: self._add(self.sent, ev))
        self.cdp.on("Network.webSocketFrameReceived", lambda ev: self._add(self.received, ev))

    @contextmanager
    def watching(self):
        """Record frames inside the block only: DevTools' network capture slows the page, so timed presses
        run without it."""
        self.cdp.send("Network.enable")
        try:
            yield self
        finally:
            self.cdp.send("Network.disable")

    @staticmethod
    def _add(into, ev):
        frame = ev["response"]
        msg = kernel_message(frame["payloadData"], frame["opcode"] == 2)
        if msg is not None:
            into.append(msg)

    def clear(self):
        self.sent.clear()
        self.received.clear()

    def replies(self, page, timeout_ms: int = 3000) -> list[dict] | None:
        """The kernel's messages answering the slider's update(s) since :meth:`clear`, once its idle arrived."""
        updates = {m["msg_id"] for m in self.sent if m["type"].startswith("comm_msg")}
        if not updates:
            return None
        for _ in range(timeout_ms // 50):
            idle = [m for m in self.received if m["parent"] in updates and m["type"] == "status: idle"]
            if len(idle) >= len(updates):
                break
            page.wait_for_timeout(50)
        else:
            return None
        return [m for m in self.received if m["parent"] in updates]



# -- where the CPU goes: the processes of this benchmark, read from /proc (Linux) ----------------------

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _role(cmdline: list[str]) -> str | None:
    """The part a process of this benchmark plays: "kernel", "server", "renderer", "browser" or None.

    Chromium rewrites its command line into one string (its process title), so the words are
    looked for in the whole line.
    """
    line = " ".join(cmdline).strip()
    if "ipykernel" in line:
        return "kernel"
    if re.search(r"jupyter[- ]lab\b", line):
        return "server"
    if "chrom" in Path(line.split(" ", 1)[0]).name:
        return "renderer" if "--type=renderer" in line else "browser"  # browser: also its GPU and utility ones
    return None


def process_cpu() -> dict[str, float]:
    """CPU seconds (user + system) used so far by this process's descendants, summed by :func:`_role`.

    Only this benchmark's processes count (descendants of this Python process: JupyterLab, its
    kernel, and the Chromium that playwright starts), not other programs on a shared machine.
    Empty where /proc is not there.
    """
    procs = {}
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return {}
    for pid in entries:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except (OSError, ValueError):
            continue
        procs[int(pid)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK, cmdline)
    ours, grew = {os.getpid()}, True
    while grew:
        new = {pid for pid, (ppid, _, _) in procs.items() if ppid in ours and pid not in ours}
        ours |= new
        grew = bool(new)
    out: dict[str, float] = {}
    for pid in ours - {os.getpid()}:
        if pid in procs:
            role = _role(procs[pid][2])
            if role is not None:
                out[role] = out.get(role, 0.0) + procs[pid][1]
    return out


def cpu_per_press(before: dict, after: dict, presses: int) -> dict[str, float]:
    """Milliseconds of CPU per key press, by role, between two :func:`process_cpu` readings."""
    return {role: 1e3 * (after[role] - before.get(role, 0.0)) / presses for role in sorted(after)}


# a slider that changes one number in the same page: what JupyterLab and Chromium take on their own


# In the page. The picture's number (data-redraw, on the explorer's root .ccx2; the floor writes one too)
# changes when a new picture from Python is drawn; data-picked when a pick is drawn. From the input event
# (its time stamp) to: ``drawn``, the explorer's drawing done (a mutation observer sees the attribute, which
# the drawing sets before it returns, after the drawing); ``frame``, the frame that shows it (a task queued
# from the next animation frame runs after that frame's style, layout and paint).
_ARM = """([root, attr, kinds]) => {
  const read = () => {  // the root's attribute, or its child's (the floor's HTML is replaced at each change)
    const e = root.hasAttribute(attr) ? root : root.querySelector(`[${attr}]`);
    return e ? e.getAttribute(attr) : null;
  };
  const before = read();
  const box = window.__ccxBench = {t0: null, drawn: null, frame: null};
  const onInput = (ev) => { if (box.t0 === null) box.t0 = ev.timeStamp; };
  for (const kind of kinds) document.addEventListener(kind, onInput, {capture: true, once: true});
  const done = () => {
    if (box.drawn !== null || read() === before) return;
    box.drawn = performance.now();
    obs.disconnect();
    requestAnimationFrame(() => setTimeout(() => { box.frame = performance.now(); }, 0));
  };
  const obs = new MutationObserver(done);
  obs.observe(root, {subtree: true, attributes: true, attributeFilter: [attr], childList: true});
}"""


def _timed(page, root, attr: str, kinds: list[str], act, frames: KernelFrames | None, timeout_ms: int) -> dict:
    if frames is not None:
        frames.clear()
    page.evaluate(_ARM, [root.element_handle(), attr, kinds])  # the page calls it with the arguments alone
    act()
    try:
        page.wait_for_function("window.__ccxBench && window.__ccxBench.frame !== null", timeout=timeout_ms)
    except PlaywrightTimeout:
        raise AssertionError(f"{attr} stayed {root.get_attribute(attr)!r} after the action; the page's record: "
                             f"{page.evaluate('window.__ccxBench')}") from None
    box = page.evaluate("window.__ccxBench")
    out = {"drawn_ms": box["drawn"] - box["t0"], "frame_ms": box["frame"] - box["t0"]}
    took = root.get_attribute("data-took") if attr == "data-redraw" else None
    if took:  # the explorer's own share of a new picture: decoding its arrays, laying out and drawing
        out["decode_ms"], out["build_ms"] = (float(t) for t in took.split(","))
    if frames is not None:
        replies = frames.replies(page)
        out["messages"] = [] if replies is None else [m["type"] for m in replies]
        out["message_bytes"] = 0 if replies is None else sum(m["bytes"] for m in replies)
        out["widget_updates"] = sum(t.startswith("comm_msg") for t in out["messages"])
    return out


def press_and_time(page, root, handle, key: str, timeout_ms: int = 30_000, frames: KernelFrames | None = None) -> dict:
    """Press ``key`` on a slider handle; milliseconds to the explorer's (or the floor's) new picture from Python."""
    handle.focus()
    return _timed(page, root, "data-redraw", ["keydown"], lambda: page.keyboard.press(key), frames, timeout_ms)


def pick_and_time(page, root, canvas, r: int, c: int, timeout_ms: int = 10_000, frames: KernelFrames | None = None):
    """Click cell (r, c) of a map's canvas; milliseconds to the pick drawn and to its frame."""
    point = cell_point(canvas, r, c)
    page.mouse.move(*point)
    return _timed(page, root, "data-picked", ["click"], lambda: page.mouse.down() or page.mouse.up(), frames,
                  timeout_ms)


def wait_attr(element, name: str, value: str, timeout_s: float = 15):
    """Wait until ``element``'s attribute ``name`` is ``value`` (a pick drawn, a preview shown)."""
    deadline = time.monotonic() + timeout_s
    while (now := element.get_attribute(name)) != value:
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} is {now!r}, not {value!r}")
        element.page.wait_for_timeout(20)


def cell_point(canvas, r: int, c: int) -> tuple[float, float]:
    """The page coordinates of cell (r, c) of a map's canvas (placed by its data-cell and data-margin), brought
    into view by the page's own scrolling (a reveal.js slide taller than the screen scrolls where playwright's
    would not), at once: the site's theme scrolls smoothly, and a box read mid-scroll points elsewhere."""
    canvas.evaluate("c => c.scrollIntoView({block: 'center', inline: 'nearest', behavior: 'instant'})")
    box = canvas.bounding_box()
    for _ in range(20):  # until it stays put (JupyterLab lays out the cells that scrolled into view)
        canvas.page.wait_for_timeout(30)
        again = canvas.bounding_box()
        if again == box:
            break
        box = again
    d = canvas.evaluate("e => ({...e.dataset, w: e.getBoundingClientRect().width, cw: parseFloat(e.style.width)})")
    scale = d["w"] / d["cw"]  # a reveal.js slide scales its content
    cell, margin = float(d["cell"]), float(d["margin"])
    return box["x"] + (margin + (c + 0.5) * cell) * scale, box["y"] + (margin + (r + 0.5) * cell) * scale




# a slider that changes one number in the same page: what JupyterLab and Chromium take on their own
FLOOR_CELL = """import ipywidgets as W
floor_slider = W.IntSlider(value=5, min=0, max=10, description="floor", continuous_update=False)
floor_view = W.HTML()
def _floor(change):
    floor_view.value = f'<div class="floor" data-redraw="{change["new"] + 1000}">{change["new"]}</div>'
floor_slider.observe(_floor, names="value")
_floor({"new": 5})
W.VBox([floor_slider, floor_view])"""


def notebook(cells: list[str]) -> dict:
    """A notebook of code cells (no outputs) on the python3 kernel."""
    return {
        "cells": [{"cell_type": "code", "execution_count": None, "id": f"cell-{k}", "metadata": {}, "outputs": [],
                   "source": src} for k, src in enumerate(cells)],
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }


def _picks(m_h: int, m_w: int, count: int) -> list[tuple[int, int]]:
    """Cells to click in turn, spread over the map (each differs from the one before)."""
    return [((7 * k + 1) % m_h, (11 * k + 2) % m_w) for k in range(count)]


def _explorer_cells() -> list[str]:
    args = ", ".join(f"{k}={v!r}" for k, v in LARGEST.items())
    return ["from chanconv.explorer import ChannelExplorer\ndefault = ChannelExplorer()\ndefault",
            f"largest = ChannelExplorer({args})\nlargest"]


def lab_latency(presses: int = 15, out: Path | None = None, cpu: dict | None = None) -> dict:
    """{setting: {action: [{drawn_ms, frame_ms, ...}, ...]}} in JupyterLab: picks by pointer, shape changes, floor.

    Each action is done ``presses`` times after two untimed warm-up ones; two more, not timed, count the
    kernel's messages (DevTools' network capture would slow the timed ones). With ``cpu`` (a dict), the CPU
    milliseconds per action of each process role.
    """
    plan = {"floor": (2, [("floor", None)]), "default": (0, [("pick", 0), ("pick Y[o'] ", 1), ("c_o", None)]),
            "largest": (1, [("pick", 0), ("pick Y[o'] ", 1), ("c_o", None), ("n_h", None)])}
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        root_dir = Path(tmp)
        (root_dir / "bench.ipynb").write_text(json.dumps(notebook(_explorer_cells() + [FLOOR_CELL,
                                                                                        "print('bench ready')"])))
        with jupyterlab(root_dir) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            frames = KernelFrames(page)
            try:
                open_and_run(page, url, "bench.ipynb", "() => document.querySelectorAll('.ccx2[data-redraw]').length "
                             ">= 2 && document.body.innerText.includes('bench ready')")
                page.wait_for_timeout(1500)
                for setting, (index, actions) in plan.items():
                    cell = page.locator(".jp-CodeCell").nth(index)
                    # the floor: its HTML widget's content, whose .floor child is replaced at each change
                    root = (cell.locator(".widget-html-content", has=page.locator(".floor")).first if setting == "floor"
                            else cell.locator(".ccx2").first)
                    for name, other in actions:
                        act = _action(page, cell, root, name.strip(), other, setting)
                        for k in range(2):
                            act(k, None)  # warm-up
                        before = process_cpu()
                        runs = [act(k, None) for k in range(2, presses + 2)]
                        if cpu is not None:
                            page.wait_for_timeout(200)
                            cpu.setdefault(setting, {})[name] = cpu_per_press(before, process_cpu(), presses)
                        with frames.watching():
                            counted = [act(presses + 2 + k, frames) for k in range(2)]
                        results.setdefault(setting, {})[name] = {"runs": runs, "counted": counted}
                    if out is not None and setting != "floor":
                        root.scroll_into_view_if_needed()
                        page.screenshot(path=str(out / f"bench-widgets-{setting}.png"))
            except Exception:
                if out is not None:
                    page.screenshot(path=str(out / "bench-widgets-failure.png"))
                raise
            finally:
                browser.close()
    return results


def _action(page, cell, root, name: str, other: int | None, setting: str):
    """The k-th timed action of a kind: a key press on a slider (back and forth), or a click on an output cell."""
    if name in ("floor", "c_o", "n_h"):
        handle = slider_handle(cell, name)
        keys = ("ArrowLeft", "ArrowRight") if setting == "largest" else ("ArrowRight", "ArrowLeft")
        return lambda k, frames: press_and_time(page, root, handle, keys[k % 2], frames=frames)
    m = root.locator("canvas[data-map='Y[0]']").first.evaluate("c => [+c.dataset.rows, +c.dataset.cols]")
    cells = _picks(*m, 64)

    def pick(k, frames):
        o = other if other and k % 2 else 0  # "pick Y[o']": every other click in another output channel
        r, c = cells[k % len(cells)]
        if root.get_attribute("data-picked") == f"{o},{r},{c}":  # picked already (the action before ended there)
            r, c = cells[(k + 1) % len(cells)]
        return pick_and_time(page, root, root.locator(f"canvas[data-map='Y[{o}]']").first, r, c, frames=frames)
    return pick


def saved_page(folder: Path, explorers: list[ChannelExplorer]) -> Path:
    """A page that embeds these explorers as ``make site`` and ``make slides`` do (their widget state, the copied
    widget manager, the layer controls disabled), written to ``folder``; returns its path."""
    views = [ex.widget for ex in explorers]
    links = [link for ex in explorers for link in ex.links]  # no view refers to them: named, so that they come too
    state = ipywidgets.embed.dependency_state(views + links, drop_defaults=False)  # the source is a default
    data = ipywidgets.embed.embed_data(views=views, state=state, drop_defaults=False)
    nb = {"metadata": {"widgets": {widget_embed.STATE: data["manager_state"]}}}
    state = widget_embed.static_state(nb, where="bench page")["metadata"]["widgets"][widget_embed.STATE]
    widget_embed.vendor(folder / "widgets")
    views = "".join(f'<div><script type="{widget_embed.VIEW}">{json.dumps(v)}</script></div>'
                    for v in data["view_specs"])
    page = folder / "explorers.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>saved explorers</title>'
        '<script src="widgets/require.js"></script><script src="widgets/config.js"></script>'
        f'<script src="widgets/embed-amd.js" data-jupyter-widgets-cdn="widgets/{widget_embed.NO_CDN}"></script>'
        f'</head><body><script type="{widget_embed.STATE}">{json.dumps(state)}</script>{views}</body></html>',
        encoding="utf-8")
    widget_embed.check_page(page.read_text(encoding="utf-8"), page.name)
    return page


def saved_latency(presses: int = 15, out: Path | None = None) -> dict:
    """{setting: [{drawn_ms, frame_ms}, ...]}: picks by pointer in a saved page opened from disk, network refused."""
    explorers = [ChannelExplorer(device="cpu"), ChannelExplorer(device="cpu", **LARGEST)]
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        page_path = saved_page(Path(tmp), explorers)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        refused = []
        page.route("http*://**/*", lambda route: (refused.append(route.request.url), route.abort()))
        try:
            page.goto(page_path.as_uri())
            page.wait_for_function("() => document.querySelectorAll('.ccx2[data-redraw]').length >= 2", timeout=60_000)
            for index, setting in enumerate(("default", "largest")):
                root = page.locator(".ccx2").nth(index)
                act = _action(page, None, root, "pick", 1, setting)
                for k in range(2):
                    act(k, None)
                results[setting] = [act(k, None) for k in range(2, presses + 2)]
                if out is not None:
                    root.scroll_into_view_if_needed()
                    page.screenshot(path=str(out / f"bench-widgets-saved-{setting}.png"))
                if out is not None and setting == "default":  # the README's picture: Y[2, 1, 0] = 192 picked
                    page.mouse.click(*cell_point(root.locator("canvas[data-map='Y[2]']"), 1, 0))
                    wait_attr(root, "data-picked", "2,1,0")
                    page.mouse.move(2, 2)
                    page.locator(".ccx-root").nth(index).screenshot(path=str(out / "explorer-saved.png"))
        finally:
            browser.close()
    results["requests"] = refused
    return results


def first_display_bytes(ex: ChannelExplorer) -> int:
    """Every model the explorer's display opens (controls, layouts, styles, links, the picture with its source)."""
    state = ipywidgets.embed.dependency_state([ex.widget, *ex.links], drop_defaults=False)  # the source is a default
    return len(json.dumps(ipywidgets.embed.embed_data(views=[ex.widget], state=state, drop_defaults=False)
                          ["manager_state"]).encode())


def payloads() -> dict:
    """Bytes of the picture's traits that each change sends (what Python sends, buffers as raw bytes), default and
    largest; and the first display (every model of the explorer, as stored in a notebook: buffers in base64)."""
    out = {}
    for name, kw in (("default", {}), ("largest", LARGEST)):
        ex = ChannelExplorer(device="cpu", **kw)
        row = {"first display (stored, base64)": first_display_bytes(ex)}
        for control, value in (("c_o", kw.get("c_o", 3) - 1), ("n_h", kw.get("n_h", 3) + 1), ("seed", 1)):
            start = ex.controls[control].value
            ex.controls[control].value = value
            row[f"{control} changed" if control != "seed" else "everything new (seed)"] = ex.payload_bytes
            ex.controls[control].value = start
        # a click in the page: its links move the sliders there, which tell Python (nothing comes back) ...
        ex.controls["u"].set_state({"value": 1})
        ex.controls["v"].set_state({"value": 1})
        row["pick, same Y[o]"] = ex.payload_bytes
        ex.controls["o"].set_state({"value": 1})  # ... unless another output channel's partial maps are needed
        row["pick, another Y[o]"] = ex.payload_bytes
        out[name] = row
    return out


def benchmark_redraws(explorer: ChannelExplorer | None = None, repeat: int = 3):
    """Time the widget's own callback (Python only, no browser) for every value of every control.

    Returns ``{control: [seconds, ...]}``; settings without an output count too. The end-to-end figures are
    :func:`lab_latency`'s.
    """
    ex = explorer or ChannelExplorer(source="random", c_i=3, c_o=4, k_h=3, k_w=3, n=8)
    start = ex.values()
    sweeps = {
        "c_i": range(1, 9), "c_o": range(1, 9), "k_h": range(1, 8), "k_w": range(1, 8),
        "stride": range(1, 4), "padding": range(0, 4), "n_h": range(3, 49, 5), "n_w": range(3, 49, 5),
        "seed": range(0, 5), "bias": [True, False], "groups": [1], "dilation": range(1, 4),
        "o": range(0, 4), "u": range(0, 6), "v": range(0, 6), "preset": list(PRESETS.values()),
        "projector": [True, False], "source": ["photo", "random", "lecture", "random"],
    }
    times: dict[str, list[float]] = {}
    for _ in range(repeat):
        for name, values in sweeps.items():
            for value in values:
                widget = ex.controls[name]
                if name in ("o", "u", "v") and value > widget.max:
                    continue
                t0 = time.perf_counter()
                widget.value = value
                times.setdefault(name, []).append(time.perf_counter() - t0)
            if name != "source":
                ex.controls[name].value = start[name]
    return times


def _stats(values) -> tuple[float, float]:
    return statistics.median(values), max(values)


def _print_latency(lab: dict, saved: dict) -> dict:
    """The table of medians and worst cases; returns the summary for the JSON report."""
    summary, shares = {}, []
    print(f"  {'setting':8} {'action':12} {'n':>3} {'to the frame: median / worst':>30} {'drawn: median':>14}"
          f" {'widget messages from the kernel':>32}")
    for setting, actions in lab.items():
        for name, data in actions.items():
            frame = [r["frame_ms"] for r in data["runs"]]
            drawn = [r["drawn_ms"] for r in data["runs"]]
            (fm, fw), (dm, _) = _stats(frame), _stats(drawn)
            counted = data["counted"]
            updates = "/".join(str(c.get("widget_updates", "?")) for c in counted)
            kb = statistics.median(c.get("message_bytes", 0) for c in counted) / 1000
            print(f"  {setting:8} {name:12} {len(frame):3} {fm:17.1f} / {fw:<10.1f} {dm:14.1f}"
                  f" {updates:>20} ({kb:.1f} KB)")
            summary[f"{setting} {name.strip()}"] = {"median": fm, "worst": fw, "drawn_median": dm}
            if all("build_ms" in r for r in data["runs"]):
                dec, bld = (statistics.median(r[k] for r in data["runs"]) for k in ("decode_ms", "build_ms"))
                shares.append(f"  {setting:8} {name:12} decode {dec:.1f}, lay out and draw {bld:.1f}; the rest of "
                              f"'drawn' ({dm - dec - bld:.1f}) is the kernel, the server, the websocket and Lab")
                summary[f"{setting} {name.strip()}"] |= {"decode_median": dec, "build_median": bld}
    for setting, runs in saved.items():
        if setting == "requests":
            continue
        frame = [r["frame_ms"] for r in runs]
        (fm, fw), (dm, _) = _stats(frame), _stats([r["drawn_ms"] for r in runs])
        print(f"  {'saved':8} {setting + ' pick':12} {len(frame):3} {fm:17.1f} / {fw:<10.1f} {dm:14.1f}"
              f" {'(no kernel)':>20}")
        summary[f"saved page {setting} pick"] = {"median": fm, "worst": fw, "drawn_median": dm}
    print(f"  requests the saved page made with the network refused: {len(saved.get('requests', []))}")
    if shares:
        print("the explorer's own share of a new picture (ms, medians; in the page, after the message arrived):")
        print("\n".join(shares))
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=15, help="timed actions of each kind (after 2 warm-up)")
    parser.add_argument("--out", default="artifacts", help="folder for bench-widgets.json and the screenshots")
    parser.add_argument("--no-browser", action="store_true", help="only the payload and the Python side")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {"cpu": cpu_name(), "python": platform.python_version(), "payload_bytes": payloads()}
    print(f"channel explorer on {report['cpu']} (timings on a shared machine move with its load)")
    print("\nbytes sent (the picture's traits as Python sends them; targets: a pick ≤ 1 KB, everything new at the"
          "\nlargest settings ≤ 100 KB, the first display ≤ 250 KB):")
    for setting, row in report["payload_bytes"].items():
        print(f"  {setting}: " + "; ".join(f"{k} {v / 1000:.1f} KB" for k, v in row.items()))
    times = benchmark_redraws(repeat=2)
    every = [t for ts in times.values() for t in ts]
    report["python_redraw_ms"] = {k: [t * 1e3 for t in v] for k, v in times.items()}
    med, worst = _stats(every)
    print(f"\nPython side alone (the widget's callback, no browser), every value of every control: "
          f"median {med * 1e3:.1f} ms, worst {worst * 1e3:.1f} ms over {len(every)} changes")
    if args.no_browser or not Path(CHROMIUM).exists():
        if not args.no_browser:
            print(f"\nno Chromium at {CHROMIUM}: the browser latency is not measured (apt-get install chromium)")
    else:
        cpu: dict = {}
        lab = lab_latency(args.presses, out=out, cpu=cpu)
        saved = saved_latency(args.presses, out=out)
        report["lab_ms"] = lab
        report["saved_ms"] = saved
        report["cpu_ms_per_action"] = cpu
        print("\nin headless Chromium: JupyterLab (picks by pointer, shape changes, the floor) and a saved page"
              "\n(ms from the input event; 'to the frame': the frame that shows it; 'drawn': the explorer's drawing)")
        report["summary_ms"] = _print_latency(lab, saved)
        print("  targets: a pick ≤ 16 ms median with no kernel message; a shape change ≤ the floor + 30 ms;"
              "\n  a pick in a saved page ≤ 50 ms")
        roles = sorted({role for actions in cpu.values() for per in actions.values() for role in per})
        print("\nCPU milliseconds per action, by process (this benchmark's processes only)")
        print("  " + " " * 22 + "".join(f"{role:>10}" for role in roles) + f"{'all':>10}")
        for setting, actions in cpu.items():
            for name, per in actions.items():
                print(f"  {setting:8} {name:12}" + "".join(f"{per.get(role, 0):10.0f}" for role in roles)
                      + f"{sum(per.values()):10.0f}")
    (out / "bench-widgets.json").write_text(json.dumps(report, indent=1))
    print(f"\nwritten: {out / 'bench-widgets.json'}")


if __name__ == "__main__":
    main()
