"""Who a submission belongs to, and which variant of the numbers it is graded on.

* The **student id** is the notebook's own ``set_student("...")`` when it has one (read from the
  source, never by running it), else the id the roster gives the file name, else the file name.
* The **LMS id** comes from the roster: the row of that student id, else the row whose LMS id
  appears in the file name as a token (LMS downloads are named like
  ``smithjohn_12345_678901_07_exercises.ipynb``).
* The **variant** is what the student saw: the ``set_student`` id when there is one, else the
  course's default numbers (a notebook without ``set_student`` showed those), unless the class
  ran with ``CHANCONV_STUDENT`` set per student (``--variant-from-id``).

Anything that does not fit (a ``set_student`` id that is not on the roster, a file that the
roster gives to someone else, an id computed at run time, two files of one student) is a
*flag*: shown in the summary, never resolved silently.
"""

from __future__ import annotations

import ast
import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

_MAGIC = re.compile(r"^\s*([%!].*|.*\?\s*)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def clean_id(s: str | None, limit: int = 80) -> str | None:
    """An id as the reports show it: no control or direction-changing characters, at most ``limit`` long."""
    if s is None:
        return None
    return _CONTROL.sub("", str(s)).strip()[:limit] or None


@dataclass
class Identity:
    file: str
    student_id: str
    lms_id: str = ""
    name: str = ""
    variant: str | None = None  # None: the course's default numbers
    source: str = "file name"  # where the id came from
    declared: str | None = None  # the notebook's literal set_student id
    dynamic: bool = False  # set_student called with something other than a literal
    flags: list[str] = field(default_factory=list)


def _parse(source: str) -> ast.AST | None:
    lines = ["pass" if _MAGIC.match(line) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def declared_student(code_cells: list[str]) -> tuple[str | None, bool, bool]:
    """The last ``set_student(...)`` call of the notebook's code: ``(id, called, dynamic)``.

    ``id`` is the literal string (None for ``set_student(None)`` or none at all), ``called`` whether
    there is a call, ``dynamic`` whether its argument is not a literal."""
    last = (None, False, False)
    for source in code_cells:
        tree = _parse(source)
        calls = []
        if tree is None:  # a cell that does not parse: a literal call may still be read
            for m in re.finditer(r"set_student\(\s*(?:(['\"])(.*?)\1|(None))\s*\)", source):
                calls.append(((0, m.start()), clean_id(m.group(2)) if m.group(3) is None else None, False))
        else:
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
                if name != "set_student":
                    continue
                arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "name"), None)
                if isinstance(arg, ast.Constant) and (arg.value is None or isinstance(arg.value, str)):
                    value = clean_id(arg.value) if isinstance(arg.value, str) else None
                    calls.append(((node.lineno, node.col_offset), value, False))
                else:
                    calls.append(((node.lineno, node.col_offset), None, True))
        for _, value, dynamic in sorted(calls, key=lambda c: c[0]):
            last = (value, True, dynamic)
    return last


@dataclass
class Roster:
    rows: list[dict]
    by_id: dict[str, dict]
    by_lms: dict[str, dict]

    @classmethod
    def read(cls, path: Path) -> Roster:
        """A CSV with the columns ``student_id`` and ``lms_id`` (and optionally ``name``)."""
        with Path(path).open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            fields = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
            if "student_id" not in fields or "lms_id" not in fields:
                raise ValueError(f"the roster {path} needs the columns student_id and lms_id (and optionally "
                                 f"name); it has {', '.join(reader.fieldnames or []) or 'none'}")
            rows = []
            for raw in reader:
                row = {"student_id": (raw.get(fields["student_id"]) or "").strip(),
                       "lms_id": (raw.get(fields["lms_id"]) or "").strip(),
                       "name": (raw.get(fields["name"]) or "").strip() if "name" in fields else ""}
                if row["student_id"]:
                    rows.append(row)
        by_id, by_lms = {}, {}
        for row in rows:
            if row["student_id"] in by_id:
                raise ValueError(f"the roster {path} lists the student id {row['student_id']!r} twice")
            by_id[row["student_id"]] = row
            if row["lms_id"]:
                if row["lms_id"] in by_lms:
                    raise ValueError(f"the roster {path} lists the LMS id {row['lms_id']!r} twice")
                by_lms[row["lms_id"]] = row
        return cls(rows, by_id, by_lms)

    def match_file(self, stem: str) -> list[dict]:
        """The rows a file name points at: the whole stem is a student id, or a token is an LMS id
        or a student id."""
        if stem in self.by_id:
            return [self.by_id[stem]]
        tokens = [t for t in re.split(r"[_\s]+", stem) if t]
        hits = {id(r): r for t in tokens for r in (self.by_lms.get(t), self.by_id.get(t)) if r is not None}
        return list(hits.values())


def resolve(file: str, code_cells: list[str], roster: Roster | None, variant_from_id: bool = False) -> Identity:
    """The identity of one submission (before the notebook runs; see :func:`after_run`)."""
    stem = clean_id(Path(file).stem, 120) or "unnamed"
    declared, called, dynamic = declared_student(code_cells)
    ident = Identity(file=file, student_id=stem, declared=declared, dynamic=dynamic)
    file_rows = roster.match_file(stem) if roster else []
    if len(file_rows) > 1:
        ident.flags.append("the file name matches several roster rows (" + ", ".join(
            r["student_id"] for r in file_rows) + ")")
    file_row = file_rows[0] if len(file_rows) == 1 else None
    if declared:
        ident.student_id, ident.source = declared, "set_student in the notebook"
        row = roster.by_id.get(declared) if roster else None
        if roster and row is None:
            ident.flags.append(f"set_student({declared!r}) is not on the roster")
        if file_row is not None and file_row["student_id"] != declared:
            ident.flags.append(f"the file name belongs to {file_row['student_id']!r} (LMS id "
                               f"{file_row['lms_id'] or '-'}) but the notebook says set_student({declared!r}); "
                               f"graded on the numbers of {declared!r}: check who handed it in")
        row = row or (file_row if file_row is not None and file_row["student_id"] == declared else None)
        if row:
            ident.lms_id, ident.name = row["lms_id"], row["name"]
        ident.variant = declared
    else:
        if file_row is not None:
            ident.student_id, ident.lms_id, ident.name = file_row["student_id"], file_row["lms_id"], file_row["name"]
            ident.source = "roster (file name)"
        elif roster:
            ident.flags.append("not on the roster: neither set_student nor the file name names a student")
        ident.variant = ident.student_id if variant_from_id else None
        if dynamic:
            ident.flags.append("set_student is called with a value computed at run time: graded on the id the "
                               "notebook reported")
    return ident


def after_run(ident: Identity, reported: str | None) -> None:
    """Take the id the running notebook reported into account (student-controlled: flags only,
    except for a ``set_student`` whose argument could not be read from the source)."""
    reported = clean_id(reported) if isinstance(reported, str) else None
    if ident.dynamic and not ident.declared:
        ident.variant = reported or None
        if reported:
            ident.student_id, ident.source = reported, "set_student at run time"
    elif ident.declared and reported and reported != ident.declared:
        ident.flags.append(f"the notebook ran as {reported!r}, though its set_student says {ident.declared!r}; "
                           f"graded on the numbers of {ident.declared!r}")


def flag_duplicates(idents: list[Identity]) -> None:
    seen: dict[str, list[Identity]] = {}
    for ident in idents:
        seen.setdefault(ident.student_id, []).append(ident)
    for same in seen.values():
        if len(same) > 1:
            files = ", ".join(i.file for i in same)
            for ident in same:
                ident.flags.append(f"{len(same)} files for {ident.student_id!r}: {files}")
