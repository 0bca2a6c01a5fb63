"""Run a submitted notebook's code cells in a fresh kernel, inside the sandbox, and hand back answers.

``python -m chanconv.exercises.notebook_run CONFIG`` (the grader starts it in the sandbox; CONFIG
is a JSON file in the private folder: the code cells, the answer names, the time limits, the
audit hook's paths and a nonce). It starts an IPython kernel (over Unix sockets in the private
folder: no TCP), runs :func:`chanconv.exercises.kernel_side.install` first, then every code cell
top to bottom, errors allowed. Each cell has a time limit (the kernel raises
``CellTimeLimit``; then an interrupt; then the kernel is killed and the cells after it are not
run); the cells together have a budget (once spent, the rest are skipped). The check cells do
nothing here (``CHANCONV_GRADING=1``): the grader checks, outside.

It prints one line: the nonce, then JSON ``{"cells": [{"status", "ename"}...], "snapshot": ...}``
where ``snapshot`` is the last plain-data snapshot of the answers the kernel wrote. Everything in
it is student-controlled data, and the grader reads it as such.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import time

GRACE = 5.0  # seconds for a kernel to report after its own time limit, then after an interrupt
MAX_SNAPSHOT = 100 * 2**20


def _drain(kc) -> None:
    while True:
        try:
            kc.get_shell_msg(timeout=0)
        except queue.Empty:
            return


def run(config: dict) -> dict:
    """Run the submission's cells one by one in a fresh kernel, with the time limits, and collect the answers.

    (length: one kernel's life, start to shutdown, read top to bottom; the per-cell steps are the helpers above.)"""
    from jupyter_client.kernelspec import KernelSpecManager  # lazy: a grader's tool, not a dependency
    from jupyter_client.manager import KernelManager  # lazy: as above

    from .kernel_side import ANSWERS_FILE  # lazy: with the kernel it names, in the sandbox only

    scratch = os.environ.get("CHANCONV_SCRATCH", os.getcwd())
    specs = os.path.join(scratch, ".kernels", "grader")
    os.makedirs(specs, exist_ok=True)
    with open(os.path.join(specs, "kernel.json"), "w", encoding="utf-8") as f:
        json.dump({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                            "--HistoryManager.enabled=False", "--HistoryManager.hist_file=:memory:"],
                   "display_name": "grader", "language": "python"}, f)
    ksm = KernelSpecManager(kernel_dirs=[os.path.dirname(specs)])
    km = KernelManager(kernel_name="grader", kernel_spec_manager=ksm, transport="ipc",
                       ip=os.path.join(scratch, "k"), connection_file=os.path.join(scratch, "kernel.json"))
    cells = config["cells"]
    statuses = [{"status": "not run"} for _ in cells]
    result = {"cells": statuses, "snapshot": None, "kernel": "ok"}
    try:
        km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=scratch)
        kc = km.blocking_client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
    except Exception as err:  # noqa: BLE001
        result["kernel"] = f"the kernel did not start ({type(err).__name__})"
        return result

    def execute(code: str, seconds: float, grace: float = GRACE) -> dict:
        """Run one cell; past ``seconds + grace`` interrupt it, GRACE later give up on the kernel."""
        msg_id = kc.execute(code, store_history=True, allow_stdin=False, stop_on_error=False)
        deadline = time.monotonic() + seconds + grace
        ename, interrupted = None, False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                if interrupted:
                    return {"status": "stuck"}
                km.interrupt_kernel()
                interrupted, deadline = True, time.monotonic() + GRACE
                continue
            try:
                msg = kc.get_iopub_msg(timeout=min(left, 1.0))
            except queue.Empty:
                if not km.is_alive():
                    return {"status": "died"}
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg.get("msg_type")
            if kind == "error":
                ename = str(msg.get("content", {}).get("ename", ""))[:100]
            elif kind == "status" and msg.get("content", {}).get("execution_state") == "idle":
                break
        _drain(kc)
        if ename in ("CellTimeLimit",) or (interrupted and ename == "KeyboardInterrupt"):
            return {"status": "timeout"}
        return {"status": "ok"} if ename is None else {"status": "error", "ename": ename}

    prelude = ("import json as _j\nfrom chanconv.exercises import kernel_side as _k\n"
               f"_k.install(_j.loads({json.dumps(json.dumps(config['install']))}))\ndel _j, _k\n")
    first = execute(prelude, 300.0)
    if first["status"] != "ok":
        result["kernel"] = "the grader could not prepare the kernel"
    else:
        budget_end = time.monotonic() + float(config["budget_seconds"])
        cell_seconds = float(config["cell_seconds"])
        for i, code in enumerate(cells):
            left = budget_end - time.monotonic()
            if left <= 0:
                statuses[i] = {"status": "skipped"}
                continue
            if left < cell_seconds:  # the budget ends first: interrupt the cell right then
                st = execute(code, left, grace=0.0)
                st = {"status": "budget"} if st["status"] == "timeout" else st
            else:  # the kernel's own alarm stops the cell at cell_seconds; the interrupt is a backstop
                st = execute(code, cell_seconds)
            statuses[i] = st
            if st["status"] in ("stuck", "died"):
                break
    path = os.path.join(scratch, ANSWERS_FILE)
    try:
        if os.path.getsize(path) <= MAX_SNAPSHOT:
            with open(path, encoding="utf-8") as f:
                result["snapshot"] = json.load(f)
    except (OSError, ValueError):
        pass
    try:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    except Exception:  # noqa: BLE001 - a kernel that is gone already
        pass
    return result


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as f:
        config = json.load(f)
    nonce = config["nonce"]
    out = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    result = run(config)
    data = (nonce + json.dumps(result) + "\n").encode()
    view = memoryview(data)
    while view:
        view = view[os.write(out, view):]
    os._exit(0)  # no atexit of jupyter_client's: the sandbox goes away with this process


if __name__ == "__main__":
    sys.exit(main())
