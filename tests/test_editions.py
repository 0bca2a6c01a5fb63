"""One source, two editions: the student notebook is the source's student edition (no solution in
it, checks that say "not answered yet"), the instructor edition's model solutions all pass."""

import json
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import editions  # noqa: E402

from chanconv.exercises import EXERCISES  # noqa: E402

STUDENT = ROOT / "notebooks" / "07_exercises.ipynb"


def tagged(nb, tag):
    return [c for c in nb.cells if tag in c.metadata.get("tags", [])]


def cells(nb):
    return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in nb.cells]


def test_the_source_has_blanks_solutions_and_answer_cells():
    nb = editions.read_source()
    assert len(tagged(nb, "solution")) >= 2 * len(EXERCISES)  # a model solution and a model answer per exercise
    code_blanks = [c for c in tagged(nb, "exercise") if c.cell_type == "code"]
    assert len(code_blanks) == len(EXERCISES)  # one blank cell per exercise (1a, 1b, 2 … 8 today)
    answers = tagged(nb, "answer")  # the ✍ cells: markdown, student edition only, each of them tagged
    assert answers and all(c.cell_type == "markdown" and "exercise" in c.metadata.tags for c in answers)
    assert len(answers) == sum(c.cell_type == "markdown" and c.source.lstrip().startswith("✍") for c in nb.cells)


def test_the_committed_student_notebook_is_what_the_source_generates():
    committed = nbformat.read(STUDENT, as_version=4)
    assert cells(committed) == cells(editions.student_notebook()), "run `make exercises`"
    pair = jupytext.read(STUDENT.with_suffix(".py"))
    assert cells(pair) == cells(committed)


def test_no_solution_text_reaches_the_student_notebook():
    source = editions.read_source()
    student_text = STUDENT.read_text(encoding="utf-8") + STUDENT.with_suffix(".py").read_text(encoding="utf-8")
    shared = {line for c in source.cells if "solution" not in c.metadata.get("tags", [])
              for line in c.source.splitlines()}
    for cell in tagged(source, "solution"):
        for line in cell.source.splitlines():
            if len(line.strip()) > 25 and line not in shared:  # long lines are specific to the solution
                assert json.dumps(line)[1:-1] not in student_text and line not in student_text, line
    for giveaway in ["**Model answer.**", "def conv_as_matmul(", "return k1 + k2 - 1", "k * (k + delta - 1) / delta",
                     "def split(", "2 * forward_macs"]:
        assert giveaway not in student_text, giveaway


def test_the_stored_student_notebook_says_not_answered_never_right():
    nb = json.loads(STUDENT.read_text(encoding="utf-8"))
    printed = "".join("".join(o.get("text", "")) for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"])
    assert printed.count("… not answered yet") == len(EXERCISES)
    assert "✓" not in printed and "✗" not in printed


def test_the_student_edition_is_the_student_notebook(tmp_path):
    [path] = editions.build("student", tmp_path, only=[STUDENT.name])
    assert cells(nbformat.read(path, as_version=4)) == cells(nbformat.read(STUDENT, as_version=4))


@pytest.mark.parametrize("kind, verdict", [("student", "… not answered yet"), ("instructor", "✓ right")])
def test_both_editions_execute(tmp_path, kind, verdict):
    [path] = editions.build(kind, tmp_path, execute_=True, only=[STUDENT.name])
    nb = nbformat.read(path, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not any(o.output_type == "error" for o in outputs)
    printed = "".join(o.get("text", "") for o in outputs)
    assert printed.count(verdict) == len(EXERCISES), printed  # one verdict per check: exercise 1 has two
    assert ("✓" in printed) == (kind == "instructor")
    assert "✗" not in printed


def test_other_notebooks_are_the_same_in_both_editions(tmp_path):
    s = editions.build("student", tmp_path / "s")
    i = editions.build("instructor", tmp_path / "i")
    assert [p.name for p in s] == [p.name for p in i]
    for a, b in zip(s, i):
        if a.name != STUDENT.name:
            assert cells(nbformat.read(a, as_version=4)) == cells(nbformat.read(b, as_version=4))


# The Chinese editions (#26) ---------------------------------------------------------------------------------
def test_every_markdown_cell_of_the_source_has_a_fixed_id_that_the_notebook_keeps():
    """The twins of notebook 7 are keyed by cell id: jupytext gives a cell with no id in the source a new random
    one at every read, so each markdown cell of the source names its own (id="..." in its marker)."""
    raw = jupytext.read(editions.SOURCE, fmt="py:percent")
    markdown = [c for c in raw.cells if c.cell_type == "markdown"]
    ids = [c.metadata.get("id") for c in markdown]
    assert None not in ids, "a markdown cell of instructor/07_exercises.py without id=\"...\": give it a new one"
    assert len(set(ids)) == len(ids), "two markdown cells share an id"
    source = editions.read_source()
    assert [c.id for c in source.cells if c.cell_type == "markdown"] == ids
    assert not any("id" in c.metadata for c in source.cells), "the id is the cell's, not metadata"
    committed = nbformat.read(STUDENT, as_version=4)
    assert [c.id for c in committed.cells if c.cell_type == "markdown"] == [
        c.id for c in editions.student_notebook().cells if c.cell_type == "markdown"], "run `make exercises`"


@pytest.mark.parametrize("kind", ["student", "instructor"])
def test_both_chinese_editions_have_every_markdown_cell_in_chinese(tmp_path, kind):
    import twins

    found = twins.read(twins.twin_path(STUDENT.stem, "zh"))
    [path] = editions.build(kind, tmp_path, only=[STUDENT.name], lang="zh")
    nb = nbformat.read(path, as_version=4)
    english = editions.edition(editions.read_source(), kind)
    assert [(c.cell_type, c.id, c.metadata) for c in nb.cells if c.cell_type == "markdown"] == [
        (c.cell_type, c.id, c.metadata) for c in english.cells if c.cell_type == "markdown"]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert cell.source == found[cell.id].text, cell.source[:80]
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert 'chanconv.set_language("zh")' in code.pop(1), "the language cell, after the Colab cell"
    assert code == [c.source for c in english.cells if c.cell_type == "code"], "the same code"
    tags = {t for c in nb.cells for t in c.metadata.get("tags", [])}
    assert ("solution" in tags) == (kind == "instructor") and ("exercise" in tags) == (kind == "student")


def test_the_chinese_student_edition_is_the_chinese_notebook(tmp_path):
    [path] = editions.build("student", tmp_path, only=[STUDENT.name], lang="zh")
    assert cells(nbformat.read(path, as_version=4)) == cells(nbformat.read(ROOT / "notebooks" / "zh" / STUDENT.name,
                                                                          as_version=4))


@pytest.mark.parametrize("kind", ["student", "instructor"])
def test_both_chinese_editions_execute(tmp_path, kind):
    """As the English ones; the verdicts' words are the checkers' (in Chinese once their catalog is there),
    so the marks are counted: one ✓ per check in the instructor's edition, none in the student's, never ✗."""
    [path] = editions.build(kind, tmp_path, execute_=True, only=[STUDENT.name], lang="zh")
    nb = nbformat.read(path, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not any(o.output_type == "error" for o in outputs)
    printed = "".join(o.get("text", "") for o in outputs)
    assert printed.count("✓") == (len(EXERCISES) if kind == "instructor" else 0), printed
    assert "✗" not in printed
