"""Benchmark every chanconv method against ``torch.nn.functional.conv2d``: ``make bench``.

    python -m chanconv.perf.bench [--grid full|small] [--out bench-results] [--repeat 5]

For every shape of the grid and every method that handles it: the median time (after a
warm-up; the grid is timed in three rounds, torch and the methods in turn), GFLOP/s (2 FLOPs per
multiply-add), the ratio to torch's conv2d (> 1: slower than torch) and the peak memory the
call added. The loop method runs only where it finishes
quickly; the output says where it was skipped. First the machine's limits are measured
(:mod:`chanconv.perf.roofline`: the theoretical peak read from the CPU, the attainable peak, the best
float32 matrix product over sizes and thread counts, and the memory bandwidth); each method's
GFLOP/s is also given as a share of the attainable peak. Results go to
``<out>/bench-<device>.csv``, ``.json`` and ``roofline-<device>.png``; the summary gives the
geometric mean of the ratios over the grid for each method and for the fastest from-scratch
method per shape.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import os
import platform
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from ..core import conv2d, conv2d_cost, pick_method
from ..core.device import cpu_model, default_device, device_name
from ..core.layer import Layer
from ..core.methods import METHODS, applies, compiled
from ..core.timing import median_seconds, sync
from . import roofline
from .figures import plot_roofline

__all__ = ["GRIDS", "Shape", "run", "aten_calls", "describe_machine", "main"]

LOOPS_MAX_STEPS = 20_000  # batch · c_o · c_i · m_h · m_w Python-level steps allowed for "loops"


@dataclass(frozen=True)
class Shape:
    family: str
    c_i: int
    c_o: int
    k: int
    n: int
    batch: int = 1
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    groups: int = 1

    @property
    def label(self) -> str:
        extra = (f" s{self.stride}" if self.stride > 1 else "") + (
            f" p{self.padding}" if self.padding else ""
        ) + (f" d{self.dilation}" if self.dilation > 1 else "") + (f" g{self.groups}" if self.groups > 1 else "")
        return f"{self.family}: b{self.batch} c_i{self.c_i} c_o{self.c_o} k{self.k} n{self.n}{extra}"

    @property
    def layer(self) -> Layer:
        """The validated layer description that conv2d, auto_method and conv2d_cost share."""
        return Layer.describe(self.c_i, self.c_o, self.k, self.k, self.n, self.n, self.stride, self.padding,
                              self.dilation, self.groups, batch=self.batch)

    def applies(self, method: str) -> bool:
        return applies(method, self.k, self.k, self.layer.stride, self.layer.dilation)

    def cost(self):
        return conv2d_cost(self.c_i, self.c_o, self.k, self.k, self.n, self.n, stride=self.stride,
                           padding=self.padding, batch=self.batch, dilation=self.dilation, groups=self.groups)


def _grid_full():
    g = [Shape("lecture", 100, 100, 5, 68)]
    g += [Shape("channels", c, c, 3, 32, padding=1) for c in (16, 64, 128, 256)]
    g += [Shape("c_i", c_i, 64, 3, 32, padding=1) for c_i in (3, 32, 128)]
    g += [Shape("kernel", 64, 64, k, 32, padding=k // 2) for k in (1, 3, 5, 7, 11)]
    g += [Shape("batch", 64, 64, 3, 32, batch=b, padding=1) for b in (1, 8, 32)]
    g += [Shape("1x1", 256, 64, 1, 28), Shape("1x1", 64, 256, 1, 28)]
    g += [
        Shape("stride", 64, 128, 3, 56, stride=2, padding=1),
        Shape("stride", 3, 64, 7, 112, stride=2, padding=3),
    ]
    g += [Shape("small", 2, 3, 2, 3), Shape("small", 3, 8, 3, 16, padding=1)]
    g += [Shape("dilation", 64, 64, 3, 32, padding=2, dilation=2)]
    g += [Shape("depthwise", 64, 64, 3, 56, padding=1, groups=64),
          Shape("depthwise", 256, 256, 3, 14, padding=1, groups=256)]
    return g


def _grid_small():
    return [
        Shape("lecture", 100, 100, 5, 68),
        Shape("channels", 16, 16, 3, 32, padding=1),
        Shape("channels", 64, 64, 3, 32, padding=1),
        Shape("kernel", 64, 64, 7, 32, padding=3),
        Shape("1x1", 256, 64, 1, 28),
        Shape("small", 3, 8, 3, 16, padding=1),
    ]


GRIDS = {"full": _grid_full, "small": _grid_small}


def _rss_peak_reset() -> bool:
    """Reset the process's peak resident memory (Linux: /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _rss_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_memory_mib(fn, device) -> float | None:
    """Memory one call of ``fn`` adds at its peak, in MiB (CUDA: allocator; CPU: resident set)."""
    device = torch.device(device)
    if device.type == "cuda":
        sync(device)
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        fn()
        sync(device)
        return (torch.cuda.max_memory_allocated(device) - base) / 2**20
    if not _rss_peak_reset():
        return None
    base = _rss_kib("VmRSS")
    fn()
    peak = _rss_kib("VmHWM")
    return None if base is None or peak is None else max(0, peak - base) / 1024


def _inputs(shape: Shape, device):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(shape.batch, shape.c_i, shape.n, shape.n, generator=g).to(device)
    W = (
        torch.randn(shape.c_o, shape.c_i // shape.groups, shape.k, shape.k, generator=g)
        / math.sqrt(shape.c_i // shape.groups * shape.k * shape.k)
    ).to(device)
    b = torch.randn(shape.c_o, generator=g).to(device)
    return X, W, b


def _row(shape: Shape, method: str) -> dict:
    return dict(
        family=shape.family,
        shape=shape.label,
        method=method,
        batch=shape.batch,
        c_i=shape.c_i,
        c_o=shape.c_o,
        k=shape.k,
        n=shape.n,
        stride=shape.stride,
        padding=shape.padding,
        dilation=shape.dilation,
        groups=shape.groups,
        macs=shape.cost().macs,
        intensity=roofline.arithmetic_intensity(shape.cost()),
        seconds=None,
        gflops=None,
        ratio_to_torch=None,
        ratio_min=None,
        ratio_max=None,
        peak_mib=None,
        auto=None,
        note="",
    )


def _timed(shape: Shape, method: str, device):
    """The call that is timed: torch's conv2d itself, or chanconv's public entry point (checks included)."""
    X, W, b = _inputs(shape, device)
    if method == "torch":
        return lambda: torch.nn.functional.conv2d(X, W, b, shape.stride, shape.padding, shape.dilation, shape.groups)
    return lambda: conv2d(X, W, b, shape.stride, shape.padding, shape.dilation, shape.groups, method=method)


def run(grid="full", device=None, *, repeat=5, methods=METHODS, progress=True, max_seconds=3.0, min_seconds=0.1,
        rounds=3):
    """Time the grid; returns a list of row dicts (one per shape and method, torch included).

    ``torch`` is ``torch.nn.functional.conv2d`` called directly; every other method is called
    through :func:`chanconv.conv2d`, checks included. The whole grid is timed ``rounds`` times
    over, torch and the methods in turn for each shape: in each round a method's time is the
    median of at least ``repeat`` runs (as many as fit in ``min_seconds / rounds`` for fast
    calls), its ratio that time over torch's time in the same round. A row holds the median over
    the rounds of both, so that a burst of load on a shared machine moves one round, not the
    figures. ``loops`` runs once, in the first round only.
    """
    device = torch.device(device) if device is not None else default_device()
    shapes = GRIDS[grid]() if isinstance(grid, str) else list(grid)
    rows, timed = {}, {}  # (shape label, method) -> row, and -> the timed call
    if "compiled" in methods:  # CPU code, built (or loaded) before any timing; left out where it cannot be
        compiled.prepare(device)
        if not (torch.device(device).type == "cpu" and compiled.loaded()):
            methods = tuple(m for m in methods if m != "compiled")
    for shape in shapes:
        for method in ("torch", *methods):
            if method != "torch" and not shape.applies(method):
                continue
            row = rows[shape.label, method] = _row(shape, method)
            if method == "loops" and row["macs"] // (shape.k * shape.k) > LOOPS_MAX_STEPS:
                row["note"] = f"skipped: more than {LOOPS_MAX_STEPS:,} Python-level steps"
                continue
            timed[shape.label, method] = _timed(shape, method, device)
    times = {key: [] for key in timed}
    started = time.perf_counter()
    for r in range(rounds):  # the whole grid once per round: a burst of load hits one round of a shape
        for number, shape in enumerate(shapes):
            if progress:
                _progress(r * len(shapes) + number + 1, rounds * len(shapes), started, f"round {r + 1}: {shape.label}")
            for (label, method), fn in timed.items():
                if label != shape.label:
                    continue
                if method == "loops":  # once, in the first round
                    if r == 0:
                        times[label, method].append(median_seconds(fn, device=device, repeat=1, warmup=0))
                    continue
                times[label, method].append(median_seconds(
                    fn, device=device, repeat=repeat, warmup=1 if r == 0 else 0, max_seconds=max_seconds,
                    min_seconds=min_seconds / rounds))
    if progress:
        sys.stderr.write("\n")
    for (label, method), ts in times.items():
        t = statistics.median(ts)
        torch_ts = times[label, "torch"]
        if method == "loops":  # timed in one round only
            ratios = [t / statistics.median(torch_ts)]
        else:
            ratios = [x / y for x, y in zip(ts, torch_ts)]
        rows[label, method].update(seconds=t, gflops=2 * rows[label, method]["macs"] / t / 1e9,
                                   ratio_to_torch=statistics.median(ratios), ratio_min=min(ratios),
                                   ratio_max=max(ratios), peak_mib=peak_memory_mib(timed[label, method], device))
    for shape in shapes:
        picked = pick_method(shape.layer, device)
        rows[shape.label, "torch"].update(auto=picked, note=f"auto picks {picked}")
    return list(rows.values())


#: aten operations that only describe memory (views, shapes, empty buffers): no pass over the data.
VIEWS = frozenset({"view", "reshape", "_reshape_alias", "_unsafe_view", "as_strided", "select", "slice", "narrow",
                   "permute", "expand", "unsqueeze", "squeeze", "t", "transpose", "unfold", "alias", "empty",
                   "empty_like", "empty_strided", "resolve_conj", "resolve_neg", "detach", "lift_fresh"})


def aten_calls(fn) -> tuple[Counter, Counter]:
    """The aten operations one call of ``fn()`` dispatches: (passes over the data, views and buffers).

    Counted with a ``TorchDispatchMode``, which sees every operation that goes through PyTorch's
    dispatcher, from Python or from C++ (an extension's ``at::addmm_out`` included); loops
    written in C++ inside an extension are not operations and do not appear.
    """
    passes, views = Counter(), Counter()

    class _Count(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            name = func.overloadpacket.__name__
            (views if name in VIEWS else passes)[name] += 1
            return func(*args, **(kwargs or {}))

    with _Count():
        fn()
    return passes, views


def _progress(done, total, started, what):
    width = 30
    filled = width * done // total
    elapsed = time.perf_counter() - started
    sys.stderr.write(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {elapsed:5.0f}s {what[:60]:60}"
    )
    sys.stderr.flush()


def geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def summarize(rows):
    """Per method: geometric mean of the ratio to torch over the shapes it ran; and the best per shape."""
    out = {}
    for method in sorted({r["method"] for r in rows} - {"torch"}):
        ratios = [r["ratio_to_torch"] for r in rows if r["method"] == method and r["ratio_to_torch"]]
        if ratios:
            out[method] = dict(geomean_ratio=geomean(ratios), shapes=len(ratios))
    best = {}
    for r in rows:
        if r["method"] in ("torch", "loops") or r["ratio_to_torch"] is None:
            continue
        if r["shape"] not in best or r["ratio_to_torch"] < best[r["shape"]]["ratio_to_torch"]:
            best[r["shape"]] = r
    out["fastest from-scratch per shape"] = dict(
        geomean_ratio=geomean([r["ratio_to_torch"] for r in best.values()]), shapes=len(best)
    )
    auto = []
    for r in rows:
        if r["method"] == "torch" and r.get("auto"):
            picked = r["auto"]
            match = [x for x in rows if x["shape"] == r["shape"] and x["method"] == picked]
            if match and match[0]["ratio_to_torch"]:
                auto.append(match[0]["ratio_to_torch"])
    out["auto"] = dict(geomean_ratio=geomean(auto), shapes=len(auto))
    return out, best


def format_table(rows, peak):
    lines = [
        f"{'shape':44} {'method':10} {'ms':>9} {'GFLOP/s':>8} {'% peak':>7} {'×torch':>7} {'rounds':>11} "
        f"{'MiB':>7}  note"
    ]
    for r in rows:
        if r["seconds"] is None:
            lines.append(
                f"{r['shape']:44} {r['method']:10} {'-':>9} {'-':>8} {'-':>7} {'-':>7} {'-':>11} {'-':>7}  {r['note']}"
            )
            continue
        mem = "-" if r["peak_mib"] is None else f"{r['peak_mib']:.1f}"
        lines.append(
            f"{r['shape']:44} {r['method']:10} {r['seconds'] * 1e3:9.3f} {r['gflops']:8.1f} "
            f"{100 * r['gflops'] / peak:6.1f}% {r['ratio_to_torch']:7.2f} {r['ratio_min']:5.2f}–{r['ratio_max']:<5.2f} "
            f"{mem:>7}  {r['note']}"
        )
    return "\n".join(lines)


def describe_machine(device) -> dict:
    """The device, the CPU's model and the versions."""
    device = torch.device(device)
    return dict(
        device=device_name(device),
        cpu=cpu_model(),
        cores=os.cpu_count(),
        torch_threads=torch.get_num_threads(),
        torch=torch.__version__,
        python=platform.python_version(),
    )


def limits(device) -> dict:
    """The machine's limits, measured right (:mod:`chanconv.perf.roofline`): the theoretical peak read
    from the CPU, the attainable peak (best float32 matrix product over sizes and thread counts)
    and the memory bandwidth (copy and triad of 256 MiB arrays). About 10 s."""
    device = torch.device(device)
    out = dict(attainable=roofline.attainable_peak(device), bandwidth=roofline.memory_bandwidth(device))
    if device.type == "cpu":
        out["cpu"] = roofline.cpu_description()
    return out


def roofline_points(rows, methods=None) -> list[dict]:
    """The rows as points of :func:`chanconv.perf.figures.plot_roofline`: (family, intensity, GFLOP/s, method)."""
    return [dict(label=r["family"], intensity=r["intensity"], gflops=r["gflops"], method=r["method"])
            for r in rows if r["gflops"] and r["method"] != "loops" and (methods is None or r["method"] in methods)]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m chanconv.perf.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", choices=sorted(GRIDS), default="full")
    parser.add_argument("--out", default="bench-results")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: chanconv.default_device())")
    args = parser.parse_args(argv)
    device = torch.device(args.device) if args.device else default_device()
    machine = describe_machine(device)
    print("machine:", ", ".join(f"{k} {v}" for k, v in machine.items()))
    lim = limits(device)
    if "cpu" in lim:
        print("theoretical peak:", lim["cpu"].describe())
    peak = lim["attainable"].gflops
    print(f"attainable peak: {peak:.1f} GFLOP/s, the best float32 matrix product of:")
    print(lim["attainable"].format_table())
    bw = lim["bandwidth"]
    print(f"memory bandwidth: copy {bw.copy_gbs:.1f} GB/s, triad {bw.triad_gbs:.1f} GB/s "
          f"({bw.array_mib:.0f} MiB arrays); ridge point {roofline.ridge_point(peak, bw.gbs):.1f} FLOP/byte")
    print(compiled.prepare(device), "(not part of any timing below)")
    rows = run(args.grid, device, repeat=args.repeat)
    print(format_table(rows, peak))
    summary, _ = summarize(rows)
    print("\ngeometric mean of time / torch's conv2d time (lower is faster; 1 = torch; spread over the rounds):")
    for name, s in summary.items():
        print(f"  {name:32} {s['geomean_ratio']:6.2f}×  over {s['shapes']} shapes")
    faster = sorted(
        {
            r["family"]
            for r in rows
            if r["method"] not in ("torch", "loops") and r["ratio_to_torch"] and r["ratio_to_torch"] < 1
        }
    )
    print("families where a from-scratch method beats torch:", ", ".join(faster) or "none")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"bench-{device.type}"
    with open(stem.with_suffix(".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    peaks = {"attainable peak (matrix product)": peak}
    if "cpu" in lim:
        peaks = {"theoretical peak": lim["cpu"].theoretical_peak_gflops, **peaks}
    stem.with_suffix(".json").write_text(json.dumps(dict(
        machine=machine, peak_gflops=peak, peaks=peaks, bandwidth_gbs=dict(copy=bw.copy_gbs, triad=bw.triad_gbs),
        theoretical=lim["cpu"].describe() if "cpu" in lim else None,
        matmul_table=[dataclasses.asdict(r) for r in lim["attainable"].table],
        summary=summary, rows=rows), indent=1))
    fig = plot_roofline(roofline_points(rows), peaks, bw.gbs, nominal=("winograd", "fft"), cpu=machine["cpu"])
    fig.savefig(stem.parent / f"roofline-{device.type}.png", dpi=110)
    print(f"wrote {stem}.csv, {stem}.json and {stem.parent / f'roofline-{device.type}.png'}")


if __name__ == "__main__":
    main()
