"""Student and instructor editions from one source: no solution reaches students; both execute."""

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import editions  # noqa: E402

SOURCE = ROOT / "notebooks" / "07_exercises.ipynb"


def tagged(nb, tag):
    return [c for c in nb.cells if tag in c.metadata.get("tags", [])]


def test_the_source_has_solutions_and_blanks():
    nb = nbformat.read(SOURCE, as_version=4)
    assert len(tagged(nb, "solution")) >= 16  # prose and code for 8 exercises
    assert len(tagged(nb, "exercise")) == 8


def test_no_solution_text_reaches_the_student_edition(tmp_path):
    source = nbformat.read(SOURCE, as_version=4)
    editions.build("student", tmp_path)
    student_text = "\n".join(
        c.source for p in tmp_path.glob("*.ipynb") for c in nbformat.read(p, as_version=4).cells
    )
    for cell in tagged(source, "solution"):
        for line in cell.source.splitlines():
            if len(line.strip()) > 25:  # long lines are specific to the solution
                assert line not in student_text, line
    assert "**Solution.**" not in student_text
    assert "def conv_as_matmul(X, K):" not in student_text


@pytest.mark.parametrize("kind, verdicts", [("student", "not answered yet"), ("instructor", "✓ right")])
def test_both_editions_execute(tmp_path, kind, verdicts):
    [path] = editions.build(kind, tmp_path, execute=True, sources=[SOURCE])
    nb = nbformat.read(path, as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert not any(o.output_type == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert printed.count(verdicts) == 9  # one verdict per check: exercise 1 has two
    if kind == "student":
        assert "✓ right" not in printed


def test_other_notebooks_are_the_same_in_both_editions(tmp_path):
    s = editions.build("student", tmp_path / "s")
    i = editions.build("instructor", tmp_path / "i")
    for a, b in zip(s, i):
        if a.name != SOURCE.name:
            assert [c.source for c in nbformat.read(a, as_version=4).cells] == [
                c.source for c in nbformat.read(b, as_version=4).cells]
