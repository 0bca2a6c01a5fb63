"""`make grade`: a generated class folder — right, wrong, empty, a syntax error, an endless loop,
a file that is not JSON, a notebook that deletes files and prints megabytes — and every CSV row."""

import csv
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import editions  # noqa: E402
import grade  # noqa: E402

EXERCISES = ["1a", "1b", "2", "3", "4", "5", "6", "7", "8"]

WRONG = {  # the first name a blank assigns -> a wrong answer for it
    "combined_kernel_size": "combined_kernel_size = lambda k1, k2: k1 * k2",
    "middle_channels": "middle_channels, counterexample, split = 4, torch.eye(3), None",
    "forward_macs": "forward_macs = forward_memory = backward_macs = backward_memory = lambda *a: 0",
    "factor_double_channels": "factor_double_channels, factor_double_padding = 2, 1.0",
    "X_differ": "X_differ, K_differ = torch.ones(2, 3, 3), torch.ones(4, 2, 1, 1)",
    "conv_as_matmul": "import torch.nn.functional as F\nconv_as_matmul = lambda X, K, s, p: F.conv2d(X, K, stride=s, padding=p)",
    "reads_per_output": "reads_per_output = lambda k, d: k * k",
    "speedup": "speedup = lambda c, b: b * b",
    "grouped_params": "grouped_params, separable_params, separable = 1, 2, lambda *a: None",
}


def student_notebook(replace=None, extra=None):
    """The student notebook, blanks replaced by ``replace(first_name) -> source`` and ``extra``
    cells (source, after-which-first-name) added."""
    nb = nbformat.read(ROOT / "notebooks" / "07_exercises.ipynb", as_version=4)
    cells = []
    for c in nb.cells:
        cells.append(c)
        if c.cell_type == "code" and "exercise" in c.metadata.get("tags", []):
            first = c.source.split("=")[0].strip()
            if replace:
                c.source = replace(first) or c.source
            for src, after in extra or []:
                if after == first:
                    cells.append(nbformat.v4.new_code_cell(src))
    nb.cells = cells
    return nb


def make_class(folder: Path, sentinel: Path):
    folder.mkdir()
    nbformat.write(editions.edition(editions.read_source(), "instructor"), folder / "ada.ipynb")  # right
    nbformat.write(student_notebook(), folder / "bob.ipynb")  # untouched blanks
    nbformat.write(student_notebook(lambda name: WRONG.get(name)), folder / "cy.ipynb")  # all wrong
    nbformat.write(student_notebook(
        lambda name: "def forward_macs(c_i, c_o:\n    return 0" if name == "forward_macs" else
        "speedup = lambda c, b: b * b" if name == "speedup" else None), folder / "dee.ipynb")  # syntax error in 2
    nbformat.write(student_notebook(
        lambda name: "while True:\n    pass" if name == "factor_double_channels" else
        "reads_per_output = lambda k, d: k * (k + d - 1) / d" if name == "reads_per_output" else None),
        folder / "eve.ipynb")  # endless loop in 3
    (folder / "fay.ipynb").write_text('{"cells": [ this is not JSON', encoding="utf-8")
    hostile = [
        (f"import os, shutil\ntry:\n    os.remove({str(sentinel)!r})\nexcept Exception as e:\n    print(e)\n"
         f"try:\n    shutil.rmtree({str(sentinel.parent)!r})\nexcept Exception as e:\n    print(e)\n"
         f"try:\n    open({str(sentinel)!r}, 'w').write('overwritten')\nexcept Exception as e:\n    print(e)\n",
         "combined_kernel_size"),
        ("print('x' * 10_000_000)\nfor i in range(2000):\n    print('spam' * 1000)", "combined_kernel_size"),
        ("import urllib.request\nurllib.request.urlopen('http://example.com', timeout=5)", "middle_channels"),
        ("speedup = lambda c, b: b", "speedup"),  # right
    ]
    nbformat.write(student_notebook(extra=hostile), folder / "gus.ipynb")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    sentinel = base / "precious" / "keep.txt"
    sentinel.parent.mkdir()
    sentinel.write_text("still here", encoding="utf-8")
    make_class(base / "submissions", sentinel)
    out = base / "grades"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "grade.py"), str(base / "submissions"),
                           "--out", str(out), "--timeout", "150", "--cell-timeout", "15"],
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with (out / "grades.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {(r["student"], r["exercise"]): r for r in rows}, out, sentinel, base


def statuses(grades, student):
    return {ex: grades[student, ex]["status"] for ex in EXERCISES}


def test_every_notebook_gets_a_row_per_exercise(graded):
    grades, *_ = graded
    assert sorted({s for s, _ in grades}) == ["ada", "bob", "cy", "dee", "eve", "fay", "gus"]
    assert len(grades) == 7 * len(EXERCISES)
    assert {r["status"] for r in grades.values()} <= set(grade.STATUSES)


def test_model_solutions_are_right_in_the_students_own_variant(graded):
    grades, *_ = graded
    assert statuses(grades, "ada") == dict.fromkeys(EXERCISES, "right")


def test_untouched_blanks_are_not_answered(graded):
    grades, *_ = graded
    assert statuses(grades, "bob") == dict.fromkeys(EXERCISES, "not answered")


def test_wrong_answers_are_not_yet_with_a_hint(graded):
    grades, *_ = graded
    assert statuses(grades, "cy") == dict.fromkeys(EXERCISES, "not yet")
    assert "calls a convolution" in grades["cy", "5"]["detail"]
    assert all(grades["cy", ex]["detail"] for ex in EXERCISES)


def test_a_syntax_error_is_an_error_in_its_exercise_only(graded):
    grades, *_ = graded
    want = dict.fromkeys(EXERCISES, "not answered") | {"2": "error", "7": "not yet"}
    assert statuses(grades, "dee") == want
    assert "SyntaxError" in grades["dee", "2"]["detail"]


def test_an_endless_loop_is_interrupted_and_the_rest_is_graded(graded):
    grades, *_ = graded
    want = dict.fromkeys(EXERCISES, "not answered") | {"3": "error", "6": "right"}
    assert statuses(grades, "eve") == want
    assert "ran past 15 s" in grades["eve", "3"]["detail"]


def test_a_file_that_is_not_json_is_an_error_everywhere(graded):
    grades, *_ = graded
    assert statuses(grades, "fay") == dict.fromkeys(EXERCISES, "error")
    assert "not JSON" in grades["fay", "1a"]["detail"]


def test_deleting_files_printing_megabytes_and_the_network_touch_nothing(graded):
    grades, _, sentinel, base = graded
    assert sentinel.read_text(encoding="utf-8") == "still here"
    assert statuses(grades, "gus") == dict.fromkeys(EXERCISES, "not answered") | {"7": "right", "1b": "error"}
    assert "PermissionError" in grades["gus", "1b"]["detail"] or "URLError" in grades["gus", "1b"]["detail"]
    assert not list(base.glob("submissions/*.csv")) and sorted(p.name for p in (base / "submissions").iterdir()) == [
        f"{s}.ipynb" for s in ["ada", "bob", "cy", "dee", "eve", "fay", "gus"]]


def test_the_summary_page_counts_and_charts(graded):
    grades, out, *_ = graded
    page = (out / "summary.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "7 notebooks graded" in page
    png = (out / "summary.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # exercise 6: right for ada and eve
    assert "<tr><td>6</td><td>a k × (k + Δ − 1) strip</td><td>2</td>" in page
    assert "<tr><td>7</td><td>block-diagonal channel mixing</td><td>2</td>" in page  # ada and gus


def test_attribution_of_a_cell_to_its_exercise():
    table = grade.exercise_ids()
    assert grade.exercise_of_cell("def forward_macs(c_i):\n    pass", [], table) == ["2"]
    assert grade.exercise_of_cell("x = 1", ["3"], table) == ["3"]
    assert grade.section_of("## Exercise 4: are Y1 and Y2 exactly equal?", table) == ["4"]
    assert grade.section_of("### Exercise 1, the converse", table) == ["1b"]
    assert grade.section_of("## Beyond the book (exercise 8): grouped", table) == ["8"]


def test_without_namespaces_the_audit_hook_still_protects_files(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("still here", encoding="utf-8")
    hostile = [(f"import os\nos.remove({str(precious / 'keep.txt')!r})", "combined_kernel_size"),
               (f"import subprocess\nsubprocess.run(['rm', '-rf', {str(precious)!r}])", "forward_macs"),
               (f"import numpy\nnumpy.save({str(precious / 'x.npy')!r}, numpy.ones(3))", "factor_double_channels"),
               ("speedup = lambda c, b: b", "speedup")]
    (tmp_path / "subs").mkdir()
    nbformat.write(student_notebook(extra=hostile), tmp_path / "subs" / "mallory.ipynb")
    [result] = grade.grade_folder(tmp_path / "subs", tmp_path / "out", timeout=150, cell_timeout=30, sandbox=False,
                                  log=lambda *a: None)
    rows = {r["exercise"]: r for r in result["rows"]}
    assert [p.name for p in precious.iterdir()] == ["keep.txt"]
    assert rows["2"]["status"] == "error" and "subprocess.Popen" in rows["2"]["message"]
    assert rows["3"]["status"] == "error" and "outside the scratch folder" in rows["3"]["message"]
    assert rows["7"]["status"] == "right"
