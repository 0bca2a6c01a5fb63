"""``auto``'s decision table fitted by measurement, and judged on layers the fit never saw.

:func:`fit` reads the rows of ``make bench``'s fit grid (every method timed against torch on every layer)
and, for each class of :mod:`chanconv.core.auto_table` (kind × size), picks the method with the lowest
geometric mean of time ÷ torch's time over the class's layers, among the fast rungs (:data:`CANDIDATES`)
that ran on all of them. A kind's entry is fitted the same way over all its layers, and the whole
grid's over all layers; they serve the classes the grid has no layer of. Two tables: with the compiled rung among the
candidates, and without it (a process where the rung is not loaded).

:func:`evaluate` applies a table to measured rows (the fit grid's, or the validation grid's) and gives,
per layer, the ratio of the method the table picks and the best ratio measured. :func:`write` puts a
fitted table into ``chanconv/core/auto_table.py``, between its markers.
"""

from __future__ import annotations

import datetime
import pprint
from pathlib import Path

from ..core import auto_table
from ..core.auto_table import layer_class, lookup
from .grids import Shape

__all__ = ["fit", "evaluate", "table_source", "write", "CANDIDATES"]

#: The methods auto picks from: the fast rungs. The readable ones (the lecture's loops, ``unfold``) are there
#: to be read, and ``fft`` pays only for kernels far larger than these; all are still timed on the fit grid.
CANDIDATES = frozenset({"im2col", "im2row", "shift", "matmul1x1", "winograd", "compiled"})


def _ratios(shapes: list[Shape], rows) -> dict:
    """{shape label: {method: ratio}} for the candidates."""
    out = {s.label: {} for s in shapes}
    for r in rows:
        if r["shape"] in out and r["method"] in CANDIDATES and r["ratio_to_torch"]:
            out[r["shape"]][r["method"]] = r["ratio_to_torch"]
    return out


def _best(labels, ratios, allowed) -> str | None:
    """The method with the lowest geometric mean over ``labels`` among those timed on all of them."""
    common = None
    for label in labels:
        have = set(ratios[label]) & allowed
        common = have if common is None else common & have
    if not common:
        return None
    score = {}
    for m in common:
        product = 1.0
        for label in labels:
            product *= ratios[label][m]
        score[m] = product ** (1 / len(labels))
    return min(sorted(score), key=score.get)


def fit(shapes: list[Shape], rows, rung: bool) -> dict:
    """The decision table {(kind, size) | (kind, None) | (None, None): method} fitted on these rows."""
    ratios = _ratios(shapes, rows)
    allowed = {m for r in ratios.values() for m in r} - (set() if rung else {"compiled"})
    groups: dict = {}
    for s in shapes:
        kind, size = layer_class(s.layer)
        for key in ((kind, size), (kind, None), (None, None)):
            groups.setdefault(key, []).append(s.label)
    table = {}
    for key, labels in groups.items():
        method = _best(labels, ratios, allowed)
        if method is not None:
            table[key] = method
    if (None, None) not in table:  # no method ran on every layer: the one that handles every layer
        table[(None, None)] = "compiled" if rung and "compiled" in allowed else "im2col"
    return table


def evaluate(shapes: list[Shape], rows, table: dict) -> list[dict]:
    """Per layer: the class, the method the table picks, its ratio to torch (None where that method was not
    timed), and the best ratio measured with the method that reached it."""
    ratios = _ratios(shapes, rows)
    out = []
    for s in shapes:
        kind, size = layer_class(s.layer)
        picked = lookup(table, kind, size)
        have = ratios[s.label]
        best = min(have, key=have.get) if have else None
        out.append(dict(shape=s.label, kind=kind, size=size, picked=picked, ratio=have.get(picked),
                        best=best, best_ratio=have.get(best)))
    return out


def table_source(tables: dict, fitted: dict) -> str:
    """The Python text of the fitted part of ``auto_table.py``."""
    def literal(table):
        kinds = {k: i for i, k in enumerate((None,) + auto_table.KINDS)}
        sizes = {k: i for i, k in enumerate((None,) + auto_table.SIZES)}
        keys = sorted(table, key=lambda k: (kinds[k[0]], sizes[k[1]]))
        return "{\n" + "".join(f"        {k!r}: {table[k]!r},\n" for k in keys) + "    }"
    return ("FITTED = " + pprint.pformat(fitted, width=100, sort_dicts=False) + "\nTABLE = {\n"
            + "".join(f"    {name!r}: {literal(t)},\n" for name, t in tables.items()) + "}\n")


def write(tables: dict, cpu: str, grid: str, path: Path | None = None) -> Path:
    """Write the fitted tables into ``auto_table.py`` (or ``path``), between the markers; returns the path."""
    path = Path(path or auto_table.__file__)
    text = path.read_text(encoding="utf-8")
    begin = text.index("\n", text.index("# --- fitted by")) + 1
    end = text.index("# --- end of the fitted table ---")
    fitted = dict(cpu=cpu, grid=grid, date=datetime.date.today().isoformat())
    path.write_text(text[:begin] + table_source(tables, fitted) + text[end:], encoding="utf-8")
    return path
