"""What the instructor gets: grades.csv (one row per student, for the LMS), grades_long.csv (one row
per student and exercise), summary.html (printable: counts, chart, every verdict with its detail
in plain sight, and the flags that need a look) and written_answers.html (each written question
with every student's answer under it, for reading and marking).

Every text a student controls (file names, ids, flags quoting them, answers) is escaped for HTML
and defused for spreadsheets (a cell starting with ``=``, ``+``, ``-`` or ``@`` gets a ``'``);
the pages carry a Content-Security-Policy that loads nothing from outside the folder.
"""

from __future__ import annotations

import base64
import csv
import html
import re
import shutil
from datetime import datetime
from pathlib import Path

STATUSES = ("right", "not yet", "error", "not answered")
MARKS = {"right": "✓", "not yet": "✗", "error": "!", "not answered": "·"}
COLOURS = {"right": "#2a9d3f", "not yet": "#e9a23b", "error": "#c0392b", "not answered": "#b0b0b0"}
CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
       "script-src 'unsafe-inline' 'self' file:")
E = html.escape


def _cell(x) -> str:
    """A CSV cell that a spreadsheet will not read as a formula."""
    s = str(x)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def _num(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _total(r) -> tuple[float, float]:
    return sum(row["points"] for row in r["rows"]), sum(row["max"] for row in r["rows"])


def write_wide(results, path: Path, table) -> None:
    """One row per student: student_id, lms_id, name, file, points per exercise, total, max, flags."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student_id", "lms_id", "name", "file"] + [f"exercise {e.id}" for e in table]
                   + ["total", "max", "flags"])
        for r in results:
            ident = r["identity"]
            points = {row["exercise"]: row["points"] for row in r["rows"]}
            total, most = _total(r)
            w.writerow([_cell(ident["student_id"]), _cell(ident["lms_id"]), _cell(ident["name"]), _cell(r["file"])]
                       + [_num(points.get(e.id, 0)) for e in table] + [_num(total), _num(most),
                                                                      _cell("; ".join(ident["flags"]))])


def write_long(results, path: Path) -> None:
    """One row per student and exercise: the status and the checker's words."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student_id", "lms_id", "file", "exercise", "title", "status", "points", "max", "detail"])
        for r in results:
            ident = r["identity"]
            for row in r["rows"]:
                w.writerow([_cell(ident["student_id"]), _cell(ident["lms_id"]), _cell(r["file"]), row["exercise"],
                            row["title"], row["status"], _num(row["points"]), _num(row["max"]),
                            _cell(row["message"])])


def _chart(results, table, out: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ids = [e.id for e in table]
    counts = {s: [sum(1 for r in results for row in r["rows"] if row["exercise"] == ex and row["status"] == s)
                  for ex in ids] for s in STATUSES}
    fig, ax = plt.subplots(figsize=(8, 3.4), dpi=110)
    bottom = [0] * len(ids)
    for s in STATUSES:
        ax.bar(ids, counts[s], bottom=bottom, color=COLOURS[s], label=s, edgecolor="white", linewidth=0.5)
        bottom = [b + c for b, c in zip(bottom, counts[s])]
    ax.set_xlabel("exercise")
    ax.set_ylabel("students")
    ax.set_ylim(0, max(len(results), 1))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"Exercises of notebook 7: {len(results)} notebooks")
    ax.legend(ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False)
    fig.tight_layout()
    fig.savefig(out / "summary.png")
    plt.close(fig)
    return base64.b64encode((out / "summary.png").read_bytes()).decode()


STYLE = """
body{font:14px/1.4 system-ui,sans-serif;max-width:72em;margin:1em auto;padding:0 1em;color:#222}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0} td,th{border:1px solid #bbb;padding:2px 6px;vertical-align:top}
th{background:#f2f2f2} .c{text-align:center} .mark{font-weight:bold;text-align:center;min-width:1.6em}
.right{color:#1d7a30} .notyet{color:#a86500} .error{color:#b02a1a} .notanswered{color:#888}
.flag{background:#fff3cd;border-left:4px solid #e0a800;padding:2px 8px;margin:2px 0}
.student{break-inside:avoid;page-break-inside:avoid;margin:1em 0 1.4em}
.detail td:nth-child(3){max-width:48em} .meta{color:#555;font-size:.92em}
@media print{body{max-width:none;font-size:11px} h2{break-after:avoid} a{color:inherit;text-decoration:none}
 .noprint{display:none}}
"""


def _klass(status: str) -> str:
    return status.replace(" ", "")


def write_summary(results, out: Path, table, header: dict) -> None:
    png = _chart(results, table, out)
    ids = [e.id for e in table]
    n = len(results)
    counts = {e.id: {s: sum(1 for r in results for row in r["rows"] if row["exercise"] == e.id and row["status"] == s)
                     for s in STATUSES} for e in table}
    ex_rows = "".join(
        f"<tr><td class=c>{E(e.id)}</td><td>{E(e.title)}</td><td class=c>{_num(e.points)}</td>"
        + "".join(f"<td class=c>{counts[e.id][s]}</td>" for s in STATUSES)
        + f"<td class=c>{(100 * counts[e.id]['right'] / n if n else 0):.0f} %</td></tr>" for e in table)
    attention = []
    for r in results:
        for flag in r["identity"]["flags"] + r.get("notes", []):
            attention.append(f"<div class=flag><b>{E(r['file'])}</b>: {E(flag)}</div>")
    overview = []
    for r in results:
        ident = r["identity"]
        marks = {row["exercise"]: row for row in r["rows"]}
        total, most = _total(r)
        overview.append(
            f"<tr><td><a href='#s-{E(str(results.index(r)))}'>{E(ident['student_id'])}</a>"
            f"{' ⚑' if ident['flags'] else ''}</td><td>{E(ident['lms_id'] or '')}</td>"
            + "".join(f"<td class='mark {_klass(marks[i]['status'])}'>{MARKS[marks[i]['status']]}</td>"
                      if i in marks else "<td></td>" for i in ids)
            + f"<td class=c>{_num(total)} / {_num(most)}</td></tr>")
    details = []
    for k, r in enumerate(results):
        ident = r["identity"]
        total, most = _total(r)
        variant = "the course's default numbers" if ident["variant"] is None else f"the numbers of {ident['variant']!r}"
        fates = {k: v for k, v in (r.get("cells") or {}).items() if k != "ok"}
        fates = ("; cells: " + ", ".join(f"{v} {k}" for k, v in sorted(fates.items()))) if fates else ""
        rows = "".join(
            f"<tr><td class=c>{E(row['exercise'])}</td><td class='{_klass(row['status'])}'>"
            f"{MARKS[row['status']]} {E(row['status'])}</td><td>{E(row['message']) or '—'}</td>"
            f"<td class=c>{_num(row['points'])} / {_num(row['max'])}</td></tr>" for row in r["rows"])
        flags = "".join(f"<div class=flag>{E(f)}</div>" for f in ident["flags"] + r.get("notes", []))
        details.append(
            f"<div class=student id='s-{k}'><h3>{E(ident['student_id'])} — {_num(total)} / {_num(most)}</h3>"
            f"<div class=meta>file {E(r['file'])}; LMS id {E(ident['lms_id'] or '—')}"
            f"{'; ' + E(ident['name']) if ident['name'] else ''}; id from {E(ident['source'])}; graded on "
            f"{E(variant)}{E(fates)}; {r['seconds']:.0f} s</div>{flags}"
            f"<table class=detail><tr><th>exercise</th><th>verdict</th><th>detail (the checker's words)</th>"
            f"<th>points</th></tr>{rows}</table></div>")
    gives_up = "".join(f"<li>{E(g)}</li>" for g in header.get("gives_up", []))
    page = f"""<!doctype html><html lang=en><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>Grades: notebook 7</title><style>{STYLE}</style></head><body>
<h1>Grades: exercises of notebook 7</h1>
<p class=meta>{n} notebooks graded on {E(header.get('when', ''))} in {E(header.get('elapsed', ''))}
({E(header.get('jobs', ''))}); per cell {E(str(header.get('cell_seconds', '')))} s, per notebook
{E(str(header.get('notebook_seconds', '')))} s. Isolation: {E(header.get('protection', ''))}.</p>
{f"<div class=flag><b>--unsafe gives up:</b><ul>{gives_up}</ul></div>" if gives_up else ""}
<p class=meta>grades.csv: one row per student (points per exercise, total, max) for the LMS;
grades_long.csv: one row per student and exercise with the detail; written_answers.html: the written answers.</p>
<h2>Needs your attention ({len(attention)})</h2>
{"".join(attention) or "<p>Nothing: every file maps to one student, and every notebook ran as expected.</p>"}
<h2>Exercises</h2>
<table><tr><th>exercise</th><th>what</th><th>points</th>{"".join(f"<th>{s}</th>" for s in STATUSES)}<th>right</th></tr>
{ex_rows}</table>
<img src="data:image/png;base64,{png}" alt="how many students got each exercise right, not yet, error, not answered"
 width="720">
<h2>Students</h2>
<p class=meta>✓ right, ✗ not yet, ! error, · not answered; ⚑ a flag above. Each student's detail follows.</p>
<table><tr><th>student</th><th>LMS id</th>{"".join(f"<th>{E(i)}</th>" for i in ids)}<th>points</th></tr>
{"".join(overview)}</table>
<h2>Every verdict</h2>
{"".join(details)}
</body></html>"""
    (out / "summary.html").write_text(page, encoding="utf-8")


_MATH = re.compile(r"\$\$.+?\$\$|(?<![\\$])\$(?=\S)[^$\n]+?(?<=\S)\$", re.S)


def _with_math(text: str, render) -> str:
    """Render markdown with $...$ and $$...$$ kept verbatim (markdown would eat their _ and *)."""
    found = []

    def hold(m):
        found.append(m.group(0))
        return f"MATHPLACEHOLDER{len(found) - 1}X"

    out = render(_MATH.sub(hold, text))
    return re.sub(r"MATHPLACEHOLDER(\d+)X", lambda m: E(found[int(m.group(1))]), out)


def _mathjax(out: Path) -> str:
    """A local copy of MathJax for the written answers (none: the math shows as written)."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("sphinx-mathjax-offline") or importlib.util.find_spec("sphinx_mathjax_offline")
        origin = Path(spec.origin).parent if spec and spec.origin else None
    except (ImportError, ValueError):
        origin = None
    candidates = [origin / "static" / "mathjax" / "tex-svg.js"] if origin else []
    import sysconfig

    candidates.append(Path(sysconfig.get_paths()["purelib"]) / "sphinx-mathjax-offline" / "static" / "mathjax"
                      / "tex-svg.js")
    for c in candidates:
        if c.is_file():
            (out / "mathjax").mkdir(exist_ok=True)
            shutil.copyfile(c, out / "mathjax" / "tex-svg.js")
            return ("<script>window.MathJax={tex:{inlineMath:[['$','$'],['\\\\(','\\\\)']]},"
                    "svg:{fontCache:'global'}};</script><script src='mathjax/tex-svg.js'></script>")
    return ""


def _plain(markdown: str) -> str:
    """A prompt's words without markdown marks (for the table of contents)."""
    return re.sub(r"\*\*|[`✍]", "", markdown).strip().rstrip(":").strip()


def write_written(results, out: Path, questions, answers_by_file: dict) -> None:
    """Each question beside every answer written to it (the question stays in view while the
    answers scroll); who wrote nothing is listed once, at the end of the question."""
    from .written import render_markdown

    blocks, toc = [], []
    for qi, q in enumerate(questions):
        items, silent = [], []
        for r in results:
            text = answers_by_file.get(r["file"], {}).get(q.key, "")
            ident = r["identity"]
            if not text:
                silent.append(E(ident["student_id"]))
                continue
            items.append(f"<div class=answer><div class=who><b>{E(ident['student_id'])}</b>"
                         f"<span class=meta> {E(ident['lms_id'] or '')} · {E(r['file'])}</span>"
                         f"<span class=box>mark: ______</span></div>{_with_math(text, render_markdown)}</div>")
        if silent:
            items.append(f"<p class='notanswered silent'>Nothing written ({len(silent)}): {', '.join(silent)}</p>")
        toc.append(f"<li><a href='#q{qi}'>Exercise {E(q.exercise)}: {E(_plain(q.prompt)[:100])}</a> — "
                   f"{len(results) - len(silent)} of {len(results)} wrote an answer</li>")
        blocks.append(f"<section id='q{qi}'><h2>Exercise {E(q.exercise)}: {E(_plain(q.prompt)[:100])}</h2>"
                      f"<div class=pair><div class=question>{_with_math(q.heading, render_markdown)}"
                      f"<p><i>{_with_math(q.prompt, render_markdown)}</i></p></div>"
                      f"<div class=answers>{''.join(items)}</div></div></section>")
    style = STYLE + """
body{max-width:96em}
.pair{display:grid;grid-template-columns:minmax(18em,2fr) 3fr;gap:1.4em;align-items:start}
.question{background:#f4f7fb;border:1px solid #c9d6e8;padding:.2em 1em;position:sticky;top:.5em;
 max-height:95vh;overflow:auto;font-size:.95em}
.question h2,.question h3{font-size:1.05em;border:none;margin:.6em 0 .3em}
.answer{border-top:1px solid #ddd;padding:.3em 0 .5em;break-inside:avoid;page-break-inside:avoid}
.who{display:flex;gap:1em;align-items:baseline} .box{margin-left:auto;color:#555} .silent{margin-top:1em}
section{break-before:page} section:first-of-type{break-before:auto}
@media print{.pair{display:block} .question{position:static;max-height:none;break-inside:avoid;margin-bottom:.8em}}
"""
    page = f"""<!doctype html><html lang=en><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>Written answers: notebook 7</title><style>{style}</style>{_mathjax(out)}</head><body>
<h1>Written answers: exercises of notebook 7</h1>
<p class=meta>{len(results)} notebooks. Each question (from the course's own copy of the exercises) stands
beside every answer written to it: the student's markdown, rendered without HTML or pictures, math
typeset; who wrote nothing is listed under the answers.</p>
<ol class=noprint>{''.join(toc)}</ol>
{''.join(blocks)}
</body></html>"""
    (out / "written_answers.html").write_text(page, encoding="utf-8")


def write_all(results, out: Path, table, header: dict, questions, answers_by_file) -> None:
    out.mkdir(parents=True, exist_ok=True)
    header = {"when": datetime.now().strftime("%Y-%m-%d %H:%M"), **header}
    write_wide(results, out / "grades.csv", table)
    write_long(results, out / "grades_long.csv")
    write_summary(results, out, table, header)
    write_written(results, out, questions, answers_by_file)
