"""``make bench-widgets``: the channel explorer's latency in a real browser, and its payload.

End to end, the way a student sees it: JupyterLab runs a notebook with two explorers (the
default, the lecture's example; and the largest settings, c_i = c_o = 8, 7 × 7 kernels, a
48 × 48 input, padding 3, bias), headless Chromium focuses a slider and presses an arrow key,
and the page measures from that key press to the frame after the new picture is in the page
with its images decoded (two animation frames after the last change): the slider's message to
the kernel, the redraw in Python, the HTML back over the websocket, the DOM update and the
paint. Medians and worst cases over every press; the payload (bytes of HTML per redraw) and the
Python side alone (:func:`benchmark_redraws`) are reported beside them, and
the kernel's messages that answer one key press (websocket frames as Chromium receives them,
counted in two more presses per slider: DevTools' network capture would slow the timed ones).

Two figures say whose time it is. The *floor*: a slider that changes one number in the same page,
timed the same way: what JupyterLab, its server and Chromium take for any widget on this machine.
And the CPU milliseconds per key press of each process (the kernel, the Jupyter server,
Chromium's renderer and its other processes), read from /proc: a steadier figure than latency on
a shared machine, where the medians move by tens of milliseconds from one run to the next.

Needs Debian's chromium (``/usr/bin/chromium``, or ``CHANCONV_CHROMIUM``) and the playwright
package, which drives it through ``executable_path`` (no browser download). The JupyterLab and
browser helpers here are shared with ``tests/test_browser.py``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from chanconv.core.device import cpu_model
from chanconv.explorer import ChannelExplorer
from chanconv.explorer.state import PRESETS

__all__ = ["CHROMIUM", "FLAGS", "jupyterlab", "open_and_run", "press_and_time", "KernelFrames",
           "benchmark_redraws", "main"]

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
        page.goto(f"{url}/lab/tree/{name}", timeout=90_000)
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
_ARM = """(root) => {
  const stamp = () => Math.max(-1, ...[...root.querySelectorAll('[data-redraw]')].map(e => +e.dataset.redraw));
  const before = stamp();
  const box = window.__ccxBench = {t0: null, dom: null, paint: null};
  const onKey = () => { if (box.t0 === null) box.t0 = performance.now(); };
  document.addEventListener('keydown', onKey, {capture: true, once: true});
  const obs = new MutationObserver(() => {
    if (stamp() === before || box.dom !== null) return;
    box.dom = performance.now();
    obs.disconnect();
    const imgs = [...root.querySelectorAll('img')].map(i => i.decode().catch(() => null));
    Promise.all(imgs).then(() => requestAnimationFrame(() => requestAnimationFrame(() => {
      box.paint = performance.now();
    })));
  });
  obs.observe(root, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


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


def press_and_time(page, cell, handle, key: str, timeout_ms: int = 30_000, frames: KernelFrames | None = None) -> dict:
    """Press ``key`` on a slider handle; the milliseconds to the new picture in the DOM and to its paint.

    With ``frames``, also the kernel's messages that answered the key press (``messages``: their
    count; ``message_types``: what each was), counted after the paint once the kernel is idle.
    """
    handle.focus()
    if frames is not None:
        frames.clear()
    cell.evaluate(_ARM)
    page.keyboard.press(key)
    page.wait_for_function("window.__ccxBench && window.__ccxBench.paint !== null", timeout=timeout_ms)
    box = page.evaluate("window.__ccxBench")
    out = {"dom_ms": box["dom"] - box["t0"], "paint_ms": box["paint"] - box["t0"]}
    if frames is not None:
        replies = frames.replies(page)
        if replies is not None:
            out["messages"] = len(replies)
            out["message_bytes"] = sum(m["bytes"] for m in replies)
            out["message_types"] = [m["type"] for m in replies]
    return out


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
FLOOR_CELL = """import ipywidgets as W
floor_slider = W.IntSlider(value=5, min=0, max=10, description="floor", continuous_update=False)
floor_view = W.HTML()
def _floor(change):
    floor_view.value = f'<div data-redraw="{change["new"] + 1000}">{change["new"]}</div>'
floor_slider.observe(_floor, names="value")
W.VBox([floor_slider, floor_view])"""


def _notebook(cells: list[str]) -> dict:
    return {
        "cells": [{"cell_type": "code", "execution_count": None, "id": f"cell-{k}", "metadata": {}, "outputs": [],
                   "source": src} for k, src in enumerate(cells)],
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }


def browser_latency(presses: int = 12, screenshot: Path | None = None, cpu: dict | None = None,
                    windowing: str | None = "none") -> dict:
    """{setting: {control: [{dom_ms, paint_ms}, ...]}} for the default and the largest settings, and the floor.

    The floor is a slider that changes one number in the same page (:data:`FLOOR_CELL`): the part of
    the latency that JupyterLab, its server and Chromium take for any widget on this machine. With
    ``cpu`` (a dict), ``cpu[setting][control]`` receives the CPU milliseconds per timed press of
    each process role (:func:`process_cpu`).
    """
    args = ", ".join(f"{k}={v!r}" for k, v in LARGEST.items())
    cells = [
        "from chanconv.explorer import ChannelExplorer\ndefault = ChannelExplorer()\ndefault",
        f"largest = ChannelExplorer({args})\nlargest",
        FLOOR_CELL,
        "print('bench ready')",
    ]
    plan = {  # (cell index, slider label, keys pressed in turn: each press is one redraw)
        "floor": (2, [("floor", ["ArrowRight", "ArrowLeft"])]),
        "default": (0, [("c_o", ["ArrowRight", "ArrowLeft"]), ("row u", ["ArrowRight", "ArrowLeft"])]),
        "largest": (1, [("c_o", ["ArrowLeft", "ArrowRight"]), ("n_h", ["ArrowLeft", "ArrowRight"]),
                        ("row u", ["ArrowRight", "ArrowLeft"])]),
    }
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "bench.ipynb").write_text(json.dumps(_notebook(cells)))
        with jupyterlab(root, windowing=windowing) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            frames = KernelFrames(page)
            try:
                open_and_run(page, url, "bench.ipynb",
                             "() => document.querySelectorAll('.ccx-view').length >= 2 && "
                             "document.body.innerText.includes('bench ready')")
                for setting, (index, controls) in plan.items():
                    cell = page.locator(".jp-CodeCell").nth(index)
                    for label, keys in controls:
                        handle = slider_handle(cell, label)
                        press_and_time(page, cell, handle, keys[0])  # a warm-up press (caches, first paint)
                        press_and_time(page, cell, handle, keys[1])
                        before = process_cpu()
                        runs = [press_and_time(page, cell, handle, keys[k % 2]) for k in range(presses)]
                        if cpu is not None:
                            page.wait_for_timeout(200)  # what a press leaves to do after its paint counts too
                            cpu.setdefault(setting, {})[label] = cpu_per_press(before, process_cpu(), presses)
                        with frames.watching():  # two more presses, not timed: the kernel's messages
                            counted = [press_and_time(page, cell, handle, keys[(presses + k) % 2], frames=frames)
                                       for k in range(2)]
                        for run, count in zip(runs, counted):
                            run.update({k: v for k, v in count.items() if k.startswith("message")})
                        if setting != "floor":  # the explorer's own share: each press right after a floor press
                            floor_cell = page.locator(".jp-CodeCell").nth(plan["floor"][0])
                            floor_handle = slider_handle(floor_cell, "floor")
                            for k, run in enumerate(runs):
                                key = ("ArrowRight", "ArrowLeft")[k % 2]
                                floor = press_and_time(page, floor_cell, floor_handle, key)
                                paired = press_and_time(page, cell, handle, keys[(presses + k) % 2])
                                run["share_ms"] = paired["paint_ms"] - floor["paint_ms"]
                        results.setdefault(setting, {})[label] = runs
                    if screenshot is not None and setting == "largest":
                        cell.locator(".ccx-view").first.scroll_into_view_if_needed()
                        page.screenshot(path=str(screenshot))
            except Exception:
                if screenshot is not None:
                    page.screenshot(path=str(screenshot.with_name("bench-widgets-failure.png")))
                raise
            finally:
                browser.close()
    return results


def payloads() -> dict:
    """Bytes of HTML in the whole picture (status + every part), default and largest, plain and projector with
    every term and the 3-D view; and the most one change of c_o, n_h or row u sends (only the parts it changes)."""
    out = {}
    for name, kw in (("default", {}), ("largest", LARGEST)):
        ex = ChannelExplorer(device="cpu", **kw)
        out[name] = ex.picture_bytes
        sent = []
        for control in ("c_o", "n_h", "u"):
            widget = ex.controls[control]
            start = widget.value
            widget.value = start - 1 if start > widget.min else start + 1
            sent.append(ex.payload_bytes)
            widget.value = start
        out[name + ": one change of c_o, n_h or u sends at most"] = max(sent)
        ex.controls["projector"].value = True
        ex.controls["full_terms"].value = True
        ex.controls["view3d"].value = True
        out[name + " (projector, every term, 3-D)"] = ex.picture_bytes
    return out


def benchmark_redraws(explorer: ChannelExplorer | None = None, repeat: int = 3):
    """Time the widget's own callback (Python only, no browser) for every value of every control.

    Returns ``{control: [seconds, ...]}``; settings without an output count too. The end-to-end
    figure (slider moved → picture repainted in a browser) is :func:`browser_latency`'s.
    """
    ex = explorer or ChannelExplorer(source="random", c_i=3, c_o=4, k_h=3, k_w=3, n=8)
    start = ex.values()
    sweeps = {
        "c_i": range(1, 9), "c_o": range(1, 9), "k_h": range(1, 8), "k_w": range(1, 8),
        "stride": range(1, 4), "padding": range(0, 4), "n_h": range(3, 49, 5), "n_w": range(3, 49, 5),
        "seed": range(0, 5), "bias": [True, False], "groups": [1], "dilation": range(1, 4),
        "o": range(0, 4), "u": range(0, 6),
        "v": range(0, 6), "preset": list(PRESETS.values()), "projector": [True, False],
        "source": ["photo", "random", "lecture", "random"],
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=12, help="timed key presses per slider (after 2 warm-up)")
    parser.add_argument("--out", default="artifacts", help="folder for bench-widgets.json and the screenshot")
    parser.add_argument("--no-browser", action="store_true", help="only the payload and the Python side")
    parser.add_argument("--windowing", default="none", help="JupyterLab's notebook windowing mode; 'default' keeps "
                        "Lab's own (contentVisibility)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {"cpu": cpu_name(), "python": platform.python_version(), "payload_bytes": payloads()}
    print(f"channel explorer on {report['cpu']} (timings on a shared machine move with its load)")
    print("\npayload (HTML sent to the browser; limit 150 KB per redraw):")
    for name, size in report["payload_bytes"].items():
        print(f"  {name:58} {size / 1000:7.1f} KB")
    times = benchmark_redraws(repeat=2)
    every = [t for ts in times.values() for t in ts]
    report["python_redraw_ms"] = {k: [t * 1e3 for t in v] for k, v in times.items()}
    med, worst = _stats(every)
    print(f"\nPython side alone (the widget's callback, no browser), every value of every control: "
          f"median {med * 1e3:.1f} ms, worst {worst * 1e3:.1f} ms over {len(every)} redraws")
    if not args.no_browser:
        if not Path(CHROMIUM).exists() or shutil.which(sys.executable) is None:
            print(f"\nno Chromium at {CHROMIUM}: the browser latency is not measured (apt-get install chromium)")
        else:
            shot = out / "bench-widgets-largest.png"
            cpu: dict = {}
            windowing = None if args.windowing == "default" else args.windowing
            latency = browser_latency(args.presses, screenshot=shot, cpu=cpu, windowing=windowing)
            report["browser_ms"] = latency
            report["cpu_ms_per_press"] = cpu
            print("\nend to end in headless Chromium + JupyterLab: key press on a slider → new picture painted")
            print(f"  {'setting':8} {'slider':7} {'presses':>7} {'median ms':>10} {'worst ms':>9}"
                  f" {'(in DOM: median / worst)':>26} {'kernel messages':>16}")
            kinds = {}
            for setting, controls in latency.items():
                all_paint = []
                for label, runs in controls.items():
                    paint = [r["paint_ms"] for r in runs]
                    dom = [r["dom_ms"] for r in runs]
                    counted = [r for r in runs if "messages" in r]
                    all_paint += paint
                    pm, pw = _stats(paint)
                    dm, dw = _stats(dom)
                    msgs = "?"
                    if counted:
                        kb = statistics.median(r["message_bytes"] for r in counted) / 1000
                        msgs = f"{statistics.median(r['messages'] for r in counted):g} ({kb:.0f} KB)"
                        kinds[f"{setting} {label}"] = statistics.median_low([r["message_types"] for r in counted])
                    print(f"  {setting:8} {label:7} {len(runs):7} {pm:10.0f} {pw:9.0f} {dm:15.0f} / {dw:<8.0f}"
                          f" {msgs:>16}")
                pm, pw = _stats(all_paint)
                shares = [r["share_ms"] for runs in controls.values() for r in runs if "share_ms" in r]
                summary = {"median": pm, "worst": pw}
                share = ""
                if shares:
                    summary["share_median"] = statistics.median(shares)
                    share = f"   own share: {summary['share_median']:.0f} ms"
                print(f"  {setting:8} {'all':7} {len(all_paint):7} {pm:10.0f} {pw:9.0f}{share}")
                report.setdefault("browser_summary_ms", {})[setting] = summary
            print(f"  target at the largest settings: median ≤ 100 ms, worst ≤ 300 ms; screenshot: {shot}")
            print("  floor: a slider that changes one number in the same page (what JupyterLab, its server and")
            print("  Chromium take for any widget here); own share: the median of (a press − a floor press just")
            print("  before it), press by press, so that the machine's load cancels out")
            if cpu:
                roles = sorted({role for controls in cpu.values() for per in controls.values() for role in per})
                print("\nCPU milliseconds per key press, by process (this benchmark's processes only; 2 cores here"
                      if os.cpu_count() == 2 else "\nCPU milliseconds per key press, by process (this benchmark's only")
                print("  " + " " * 16 + "".join(f"{role:>10}" for role in roles) + f"{'all':>10}")
                for setting, controls in cpu.items():
                    for label, per in controls.items():
                        print(f"  {setting:8} {label:7}" + "".join(f"{per.get(role, 0):10.0f}" for role in roles)
                              + f"{sum(per.values()):10.0f}")
            print("\nthe kernel's messages answering one key press (a typical press; websocket frames in Chromium):")
            for name, types in kinds.items():
                print(f"  {name}: {len(types)}: " + ", ".join(types))
    (out / "bench-widgets.json").write_text(json.dumps(report, indent=1))
    print(f"\nwritten: {out / 'bench-widgets.json'}")


if __name__ == "__main__":
    main()
