"""The benchmark's bookkeeping (not its timings): rows, ratios, summary, files, the torch reference."""

import json

import pytest
import torch

from chanconv.core.timing import median_seconds
from chanconv.perf import bench

TINY = [bench.Shape("small", 2, 3, 2, 5), bench.Shape("k", 3, 4, 3, 9, padding=1)]


def test_median_seconds_repeats_fast_calls_until_min_seconds():
    calls = []
    median_seconds(lambda: calls.append(1), repeat=3, warmup=2, min_seconds=0.01)
    assert len(calls) > 2 + 3  # warm-up, the repeats, and more until 10 ms had passed
    calls.clear()
    median_seconds(lambda: calls.append(1), repeat=3, warmup=2)
    assert len(calls) == 5


def test_run_times_every_method_against_torch_itself(monkeypatch):
    called = []
    real = torch.nn.functional.conv2d

    def spy(*args, **kwargs):
        called.append(args[0].shape)
        return real(*args, **kwargs)

    monkeypatch.setattr(torch.nn.functional, "conv2d", spy)
    rows = bench.run(TINY, "cpu", repeat=1, progress=False, min_seconds=0)
    assert called, "the torch row calls torch.nn.functional.conv2d"
    for shape in TINY:
        by = {r["method"]: r for r in rows if r["shape"] == shape.label}
        assert by["torch"]["ratio_to_torch"] == 1.0
        assert by["torch"]["note"].startswith("auto picks ")
        assert ("winograd" in by) == (shape.k == 3)  # Winograd only where it applies: 3×3, stride 1
        for r in by.values():
            assert r["seconds"] > 0 and r["ratio_to_torch"] > 0
            assert r["gflops"] == pytest.approx(2 * r["macs"] / r["seconds"] / 1e9)
    summary, best = bench.summarize(rows)
    assert set(best) == {s.label for s in TINY}
    assert all(r["method"] not in ("torch", "loops") for r in best.values())
    assert summary["fastest from-scratch per shape"]["shapes"] == len(TINY)


def test_loops_are_skipped_on_large_shapes_and_say_so():
    rows = bench.run([bench.Shape("big", 64, 64, 3, 32, padding=1)], "cpu", repeat=1, progress=False,
                     methods=("loops", "im2col"), min_seconds=0)
    loops = next(r for r in rows if r["method"] == "loops")
    assert loops["seconds"] is None and loops["note"].startswith("skipped: more than")


def test_main_writes_csv_and_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(bench.GRIDS, "small", lambda: TINY)
    from chanconv.perf import roofline

    def quick_limits(device):  # the real measurements, on small sizes
        return dict(attainable=roofline.attainable_peak(device, sizes=(64, 128), repeat=1),
                    bandwidth=roofline.memory_bandwidth(device, mib=8, repeat=1), cpu=roofline.cpu_description())

    monkeypatch.setattr(bench, "limits", quick_limits)
    bench.main(["--grid", "small", "--out", str(tmp_path), "--repeat", "1", "--sections", "fit"])
    out = capsys.readouterr().out
    assert "geometric mean" in out and "fastest from-scratch per shape" in out
    assert "auto's decision table: fitted on this grid now" in out and "other processes used" in out
    assert "theoretical peak:" in out and "memory bandwidth: copy" in out and "GFLOP/s, the best float32" in out
    data = json.loads((tmp_path / "bench-cpu.json").read_text())
    assert data["peak_gflops"] > 0 and len(data["rows"]) > len(TINY)
    assert data["peaks"]["theoretical peak"] == pytest.approx(roofline.cpu_description().theoretical_peak_gflops)
    assert data["bandwidth_gbs"]["triad"] > 0 and data["matmul_table"]
    for r in data["rows"]:  # intensity = FLOPs / bytes of X, W, b and Y once each
        cost = bench.Shape(r["family"], r["c_i"], r["c_o"], r["k"], r["n"], r["batch"], r["stride"], r["padding"],
                           r["dilation"], r["groups"]).cost()
        assert r["intensity"] == pytest.approx(cost.flops / cost.total_bytes)
    assert (tmp_path / "bench-cpu.csv").read_text().startswith("family,shape,method")
    assert (tmp_path / "roofline-cpu.png").stat().st_size > 10_000


def test_shapes_share_the_layer_description_and_the_grid_has_a_dilated_layer():
    grid = bench.GRIDS["full"]()
    dilated = [s for s in grid if s.dilation > 1]
    assert dilated and all(" d" in s.label for s in dilated)
    for s in grid:
        assert s.cost().out_shape[1:] == (s.layer.m_h, s.layer.m_w)
        assert s.cost().macs == s.layer.macs
    rows = bench.run([bench.Shape("d", 4, 4, 3, 9, padding=2, dilation=2)], "cpu", repeat=1, progress=False,
                     min_seconds=0)
    methods = {r["method"] for r in rows}
    assert "winograd" not in methods, "Winograd declines dilation, so the bench does not time it"
    assert {"im2col", "shift", "fft"} <= methods and all(r["dilation"] == 2 for r in rows)


def test_main_reports_validation_networks_and_training(tmp_path, monkeypatch, capsys):
    """The other sections on tiny stand-ins: auto timed as a caller calls it, geometric means and time-weighted
    totals, the training steps; all in the JSON."""
    from chanconv.perf import roofline, training

    monkeypatch.setitem(bench.GRIDS, "validation", lambda: TINY)
    monkeypatch.setitem(bench.GRIDS, "networks", lambda: [bench.Shape("net", 4, 8, (1, 3), 8, padding=(0, 1))])
    monkeypatch.setattr(bench, "limits", lambda device: dict(
        attainable=roofline.attainable_peak(device, sizes=(64,), repeat=1),
        bandwidth=roofline.memory_bandwidth(device, mib=8, repeat=1)))
    case = training.Training("tiny", training.SmallCNN, (4, 3, 6, 6), 4)
    monkeypatch.setattr(bench, "run_training", lambda device: training.run_training(device, 1, 0, (case,)))
    bench.main(["--out", str(tmp_path), "--repeat", "1", "--sections", "validation,networks,training"])
    out = capsys.readouterr().out
    assert "validation grid (layers the fit never saw)" in out and "real networks' layers" in out
    assert out.count("time-weighted total") == 2 and "training step" in out and "tiny" in out
    data = json.loads((tmp_path / "bench-cpu.json").read_text())
    for name in ("validation", "networks"):
        summary = data[name]["summary"]
        assert summary["fastest_geomean"] > 0 and summary["auto_total"] > 0
        assert {r["method"] for r in data[name]["rows"]} >= {"torch", "auto", "im2col"}
    assert data["training"][0]["ratio"] > 0
