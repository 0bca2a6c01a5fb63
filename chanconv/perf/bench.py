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
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from ..core import auto_table, conv2d, pick_method
from ..core.device import cpu_model, default_device, device_name
from ..core.methods import METHODS, compiled
from ..core.timing import median_seconds, sync
from . import autofit, roofline
from .figures import plot_roofline
from .grids import GRIDS, Shape
from .training import run_training

__all__ = ["GRIDS", "Shape", "run", "aten_calls", "describe_machine", "main"]

LOOPS_MAX_STEPS = 20_000  # batch · c_o · c_i · m_h · m_w Python-level steps allowed for "loops"


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
    k_h, k_w = shape.kernel
    W = (
        torch.randn(shape.c_o, shape.c_i // shape.groups, k_h, k_w, generator=g)
        / math.sqrt(shape.c_i // shape.groups * k_h * k_w)
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
    # chanconv's entry point, with a method or "auto" (what a caller gets: the rule and its dispatch timed too)
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
            if method not in ("torch", "auto") and not shape.applies(method):
                continue
            row = rows[shape.label, method] = _row(shape, method)
            if method == "loops" and row["macs"] // (shape.kernel[0] * shape.kernel[1]) > LOOPS_MAX_STEPS:
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
    for method in sorted({r["method"] for r in rows} - {"torch", "auto"}):
        ratios = [r["ratio_to_torch"] for r in rows if r["method"] == method and r["ratio_to_torch"]]
        if ratios:
            out[method] = dict(geomean_ratio=geomean(ratios), shapes=len(ratios))
    best = {}
    for r in rows:
        if r["method"] in ("torch", "loops", "auto") or r["ratio_to_torch"] is None:
            continue
        if r["shape"] not in best or r["ratio_to_torch"] < best[r["shape"]]["ratio_to_torch"]:
            best[r["shape"]] = r
    out["fastest from-scratch per shape"] = dict(
        geomean_ratio=geomean([r["ratio_to_torch"] for r in best.values()]), shapes=len(best)
    )
    out["auto"] = dict(geomean_ratio=geomean(list(auto_ratios(rows).values())), shapes=len(auto_ratios(rows)))
    return out, best


def auto_ratios(rows) -> dict:
    """Per shape, auto's time ÷ torch's: the row of "auto" where it was timed itself, else the row of the
    method it picks (the dispatch's few microseconds not counted then)."""
    out = {}
    for r in rows:
        if r["method"] == "auto" and r["ratio_to_torch"]:
            out[r["shape"]] = r["ratio_to_torch"]
    for r in rows:
        if r["method"] == "torch" and r.get("auto") and r["shape"] not in out:
            match = [x for x in rows if x["shape"] == r["shape"] and x["method"] == r["auto"]]
            if match and match[0]["ratio_to_torch"]:
                out[r["shape"]] = match[0]["ratio_to_torch"]
    return out


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


#: The methods timed on the validation and network grids: those that ever win (fft, unfold and the loops never
#: do at these sizes; the fit grid times them all), and auto itself, called as a caller would.
FAST = ("im2col", "im2row", "shift", "matmul1x1", "winograd", "compiled")
SECTIONS = ("fit", "validation", "networks", "training")


def _limits_report(device) -> dict:
    """Measure and print the machine's limits; returns them."""
    lim = limits(device)
    if "cpu" in lim:
        print("theoretical peak:", lim["cpu"].describe())
    peak = lim["attainable"].gflops
    print(f"attainable peak: {peak:.1f} GFLOP/s, the best float32 matrix product of:")
    print(lim["attainable"].format_table())
    bw = lim["bandwidth"]
    print(f"memory bandwidth: copy {bw.copy_gbs:.1f} GB/s, triad {bw.triad_gbs:.1f} GB/s "
          f"({bw.array_mib:.0f} MiB arrays); ridge point {roofline.ridge_point(peak, bw.gbs):.1f} FLOP/byte")
    return lim


def _fit_report(rows, shapes, write_table, cpu) -> dict:
    """The fit grid's summary, auto's decision table fitted on it (printed beside the one in use)."""
    summary, _ = summarize(rows)
    print("\ngeometric mean of time / torch's conv2d time (lower is faster; 1 = torch; spread over the rounds):")
    for name, s in summary.items():
        print(f"  {name:32} {s['geomean_ratio']:6.2f}×  over {s['shapes']} shapes")
    faster = sorted({r["family"] for r in rows
                     if r["method"] not in ("torch", "loops") and r["ratio_to_torch"] and r["ratio_to_torch"] < 1})
    print("families where a from-scratch method beats torch:", ", ".join(faster) or "none")
    tables = {"rung": autofit.fit(shapes, rows, rung=True), "python": autofit.fit(shapes, rows, rung=False)}
    print("\nauto's decision table: fitted on this grid now | in chanconv/core/auto_table.py "
          f"(fitted on {auto_table.FITTED.get('cpu', '?')}, {auto_table.FITTED.get('date', '?')})")
    for name, table in tables.items():
        used = auto_table.TABLE[name]
        for key in sorted(set(table) | set(used), key=str):
            mark = "" if table.get(key) == used.get(key) else "   (differs)"
            print(f"  {name:6} {str(key):28} {str(table.get(key, '-')):10} | {used.get(key, '-')}{mark}")
    if write_table:
        print("wrote", autofit.write(tables, cpu, "fit (make bench's 25 layers)"))
    return tables


def _grid_report(title, rows, shapes, device) -> dict:
    """A grid's rows as a table (torch, fastest from-scratch, compiled, auto), geometric means and time-weighted
    totals: the sum of a method's times ÷ the sum of torch's over the grid (what a forward pass feels)."""
    by = {}
    for r in rows:
        by.setdefault(r["shape"], {})[r["method"]] = r
    python = {e["shape"]: e for e in autofit.evaluate(shapes, rows, auto_table.TABLE["python"])}
    print(f"\n{title}: time ÷ torch's (median over rounds; spread min–max)")
    print(f"{'layer':58} {'torch ms':>9} {'fastest from scratch':>27} {'compiled':>9} {'auto':>15} "
          f"{'auto, no rung':>14}")
    best, auto, plain, seconds = [], [], [], dict(torch=0.0, best=0.0, auto=0.0)
    for s in shapes:
        m = by[s.label]
        cands = {k: v for k, v in m.items() if k not in ("torch", "auto", "loops") and v["ratio_to_torch"]}
        top = min(cands.values(), key=lambda r: r["ratio_to_torch"])
        a, p = m.get("auto"), python[s.label]["ratio"]
        best.append(top["ratio_to_torch"])
        auto.append(a["ratio_to_torch"])
        plain.append(p)
        seconds["torch"] += m["torch"]["seconds"]
        seconds["best"] += top["seconds"]
        seconds["auto"] += a["seconds"]
        comp = m.get("compiled", {}).get("ratio_to_torch")
        print(f"{s.label[:58]:58} {m['torch']['seconds'] * 1e3:9.3f} {top['method']:>10} {top['ratio_to_torch']:5.2f} "
              f"({top['ratio_min']:.2f}–{top['ratio_max']:.2f}) {comp or float('nan'):9.2f} "
              f"{a['ratio_to_torch']:5.2f} {pick_method(s.layer, device):>9} "
              f"{p if p else float('nan'):6.2f} {python[s.label]['picked']:>7}")
    out = dict(fastest_geomean=geomean(best), auto_geomean=geomean(auto),
               auto_no_rung_geomean=geomean([p for p in plain if p]), no_rung_layers=sum(1 for p in plain if p),
               fastest_total=seconds["best"] / seconds["torch"], auto_total=seconds["auto"] / seconds["torch"],
               layers=len(shapes))
    print(f"  geometric mean: fastest from scratch {out['fastest_geomean']:.2f}×, auto {out['auto_geomean']:.2f}×, "
          f"auto without the rung {out['auto_no_rung_geomean']:.2f}× (over the {out['no_rung_layers']} layers whose "
          "pick was timed)")
    print(f"  time-weighted total (sum of times ÷ sum of torch's): fastest from scratch {out['fastest_total']:.2f}×, "
          f"auto {out['auto_total']:.2f}×")
    return out


def _training_report(device) -> list:
    rows = run_training(device)
    print("\ntraining step (zero_grad, forward, loss, backward, SGD step): chanconv.nn.Conv2d ÷ torch.nn.Conv2d")
    for r in rows:
        print(f"  {r['network']:24} batch {r['batch']}: {r['chanconv_ms']:8.2f} ms against {r['torch_ms']:8.2f} ms: "
              f"{r['ratio']:.2f}× ({r['ratio_min']:.2f}–{r['ratio_max']:.2f})")
    return rows


def main(argv=None):
    """``make bench`` (signature: argparse's; length: the sections in turn, each a call)."""
    parser = argparse.ArgumentParser(prog="python -m chanconv.perf.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", choices=sorted(GRIDS), default="full", help="the fit grid (default: full)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"which of {','.join(SECTIONS)} to run")
    parser.add_argument("--write-table", action="store_true", help="write the fitted table into core/auto_table.py")
    parser.add_argument("--out", default="bench-results")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: chanconv.default_device())")
    args = parser.parse_args(argv)
    sections = args.sections.split(",")
    device = torch.device(args.device) if args.device else default_device()
    machine = describe_machine(device)
    print("machine:", ", ".join(f"{k} {v}" for k, v in machine.items()))
    load = roofline.OtherLoad()
    lim = _limits_report(device)
    peak, bw = lim["attainable"].gflops, lim["bandwidth"]
    print(compiled.prepare(device), "(not part of any timing below)")
    report = dict(machine=machine, peak_gflops=peak, bandwidth_gbs=dict(copy=bw.copy_gbs, triad=bw.triad_gbs),
                  theoretical=lim["cpu"].describe() if "cpu" in lim else None,
                  matmul_table=[dataclasses.asdict(r) for r in lim["attainable"].table])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"bench-{device.type}"
    if "fit" in sections:
        shapes = GRIDS[args.grid]()
        rows = run(shapes, device, repeat=args.repeat)
        print(format_table(rows, peak))
        tables = _fit_report(rows, shapes, args.write_table, machine["cpu"])
        report.update(summary=summarize(rows)[0], rows=rows, fitted_tables={k: {str(kk): v for kk, v in t.items()}
                                                                           for k, t in tables.items()})
        _write_csv(stem.with_suffix(".csv"), rows)
        peaks = roofline.roof_peaks(peak, lim.get("cpu"))
        report["peaks"] = peaks
        fig = plot_roofline(roofline_points(rows), peaks, bw.gbs, nominal=("winograd", "fft"), cpu=machine["cpu"])
        fig.savefig(stem.parent / f"roofline-{device.type}.png", dpi=110)
    for name, title in (("validation", "validation grid (layers the fit never saw)"),
                        ("networks", "real networks' layers (batch 1 and 8)")):
        if name in sections:
            shapes = GRIDS[name]()
            rows = run(shapes, device, repeat=args.repeat, methods=tuple(m for m in FAST if m in METHODS) + ("auto",))
            report[name] = dict(summary=_grid_report(title, rows, shapes, device), rows=rows)
            _write_csv(out / f"bench-{device.type}-{name}.csv", rows)
    if "training" in sections:
        report["training"] = _training_report(device)
    report["other_load"] = load.report()
    print("\n" + report["other_load"]["text"])
    stem.with_suffix(".json").write_text(json.dumps(report, indent=1))
    print(f"wrote {stem}.json and the CSV files beside it in {out}")


def _write_csv(path, rows):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
