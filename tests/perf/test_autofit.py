"""auto's table fitted on measured rows, judged on others, and written back into core/auto_table.py."""

import importlib.util

from chanconv.core import auto_table
from chanconv.perf import autofit
from chanconv.perf.grids import Shape

SHAPES = [Shape("a", 64, 64, 3, 32, padding=1), Shape("b", 32, 32, 3, 16, padding=1),
          Shape("c", 256, 64, 1, 28), Shape("d", 64, 128, 3, 56, stride=2, padding=1)]


def _rows(ratios):
    """Rows as bench.run makes them, for {label: {method: ratio}} (torch's row included)."""
    rows = []
    for s in SHAPES:
        rows.append(dict(shape=s.label, method="torch", ratio_to_torch=1.0))
        rows += [dict(shape=s.label, method=m, ratio_to_torch=r) for m, r in ratios[s.family].items()]
    return rows


RATIOS = {"a": dict(im2col=1.5, winograd=1.2, compiled=1.0, loops=0.1, unfold=0.2),  # never candidates
          "b": dict(im2col=1.1, winograd=1.3, compiled=0.9),
          "c": dict(im2col=0.9, matmul1x1=0.6, compiled=0.7),
          "d": dict(im2col=1.4, shift=1.2, compiled=1.0)}


def test_fit_picks_the_lowest_geometric_mean_per_class_and_kind():
    rung = autofit.fit(SHAPES, _rows(RATIOS), rung=True)
    plain = autofit.fit(SHAPES, _rows(RATIOS), rung=False)
    assert rung[("3x3", "large")] == "compiled" and rung[("1x1", "large")] == "matmul1x1"
    # without the rung: a (large) prefers winograd, b (small) im2col
    assert plain[("3x3", "large")] == "winograd" and plain[("3x3", "small")] == "im2col"
    # the kind over both 3×3 layers: im2col (1.5 · 1.1)^½ = 1.28 against winograd (1.2 · 1.3)^½ = 1.25
    assert plain[("3x3", None)] == "winograd"
    # the whole grid: only methods timed on every layer (im2col, compiled) count
    assert plain[(None, None)] == "im2col" and rung[(None, None)] == "compiled"
    assert "compiled" not in plain.values() and not {"loops", "unfold"} & set(rung.values())


def test_evaluate_reports_the_pick_and_the_best():
    table = {("3x3", None): "winograd", (None, None): "im2col"}
    out = {e["shape"]: e for e in autofit.evaluate(SHAPES, _rows(RATIOS), table)}
    a = out[SHAPES[0].label]
    assert (a["picked"], a["ratio"], a["best"], a["best_ratio"]) == ("winograd", 1.2, "compiled", 1.0)
    assert out[SHAPES[2].label]["picked"] == "im2col" and out[SHAPES[2].label]["ratio"] == 0.9


def test_write_puts_the_table_between_the_markers(tmp_path):
    copy = tmp_path / "auto_table.py"
    copy.write_text(open(auto_table.__file__, encoding="utf-8").read(), encoding="utf-8")
    tables = {"rung": {("3x3", "large"): "compiled", (None, None): "compiled"},
              "python": {("1x1", None): "matmul1x1", (None, None): "im2col"}}
    autofit.write(tables, "Some CPU", "fit", copy)
    autofit.write(tables, "Some CPU", "fit", copy)  # twice: the same file (the markers stay)
    text = copy.read_text(encoding="utf-8")
    assert text.count("# --- fitted by") == 1 and text.count("# --- end of the fitted table ---") == 1
    spec = importlib.util.spec_from_file_location("written_table", copy)
    module = importlib.util.module_from_spec(spec)
    text = text.replace("from .layer import Layer", "Layer = object")  # load it outside the package
    exec(compile(text, str(copy), "exec"), module.__dict__)
    assert module.TABLE == tables and module.FITTED["cpu"] == "Some CPU"
