"""`make grade` on a generated class (tests/gradeclass.py): honest failures cost only what they should,
the right student is graded on the right variant, and the instructor's outputs hold what they promise.
The attacks are in tests/test_grade_hostile.py; the sandbox's own tests in tests/test_sandbox.py."""

import re
import subprocess
import sys
from pathlib import Path

import gradeclass as gc
import pytest

from chanconv.exercises import EXERCISES, numbers

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from grading import identity, reports, written  # noqa: E402
from grading.submission import code_cells, exercise_of_cell, exercise_table, section_of  # noqa: E402

IDS = list(EXERCISES)
ALL = gc.full()  # right wherever the generator has a model answer (every exercise today)
NONE = dict.fromkeys(IDS, "not answered")


def st(graded, file):
    return gc.statuses(graded.long, file)


def test_every_notebook_gets_a_row_per_exercise_in_both_csvs(graded_class):
    files = sorted(p.name for p in graded_class.submissions.glob("*.ipynb"))
    assert sorted(graded_class.wide) == files
    assert len(graded_class.long) == len(files) * len(EXERCISES)
    assert {r["status"] for r in graded_class.long.values()} <= set(reports.STATUSES)


def test_model_solutions_blanks_and_wrong_answers(graded_class):
    assert st(graded_class, "ada.ipynb") == dict.fromkeys(IDS, "right")  # the instructor's own solutions
    assert st(graded_class, "bob.ipynb") == NONE
    assert st(graded_class, "cy.ipynb") == {ex: "not yet" if ex in gc.answered_by(gc.WRONG) else "not answered"
                                            for ex in IDS}
    assert "calls a convolution" in graded_class.long["cy.ipynb", "5"]["detail"]
    assert all(graded_class.long["cy.ipynb", ex]["detail"] for ex in IDS)


def test_a_syntax_error_costs_its_exercise_only(graded_class):
    assert st(graded_class, "dee.ipynb") == NONE | {"2": "error", "7": "not yet"}
    assert graded_class.long["dee.ipynb", "2"]["detail"] == "your cell raised SyntaxError"


def test_an_endless_loop_is_interrupted_and_the_rest_is_graded(graded_class):
    assert st(graded_class, "eve.ipynb") == NONE | {"3": "error", "6": "right"}
    assert "ran past 15 s" in graded_class.long["eve.ipynb", "3"]["detail"]


def test_a_file_that_is_not_json_is_an_error_everywhere(graded_class):
    assert st(graded_class, "fay.ipynb") == dict.fromkeys(IDS, "error")
    assert "not JSON" in graded_class.long["fay.ipynb", "1a"]["detail"]


def test_three_stray_loops_and_megabytes_of_output_cost_nothing_right(graded_class):
    """Issue 21: a fixed 180 s per notebook turned an all-right notebook with three stray loops
    into 0/9. Now each loop costs its cell's time limit, and only the exercises it holds if any."""
    assert st(graded_class, "loops.ipynb") == ALL
    assert graded_class.wide["loops.ipynb"]["total"] == str(list(ALL.values()).count("right"))


def test_a_cell_that_cannot_be_stopped_costs_only_what_comes_after_it(graded_class):
    """It ignores SIGALRM and SIGINT and catches BaseException: the kernel is killed there; the
    answers given before it count, the exercises after it are 'not run'."""
    s = st(graded_class, "stuck.ipynb")
    assert {ex: s[ex] for ex in ("1a", "1b", "2", "3")} == dict.fromkeys(("1a", "1b", "2", "3"), "right")
    for ex in IDS[4:]:  # the cells of every later exercise did not run
        assert s[ex] == "error" and "not run" in graded_class.long["stuck.ipynb", ex]["detail"], ex


# the right student ---------------------------------------------------------------------------------
def renamed(who):
    return gc.RENAMED[who]


@pytest.mark.parametrize("who", ["erin", "frank"])
def test_renamed_files_with_set_student_are_graded_on_their_own_variant(graded_class, who):
    """Issue 21: LMS downloads rename the files; set_student("erin") was graded on another variant."""
    assert numbers("3", who) != numbers("3", None) or numbers("8", who) != numbers("8", None)
    assert st(graded_class, renamed(who)) == ALL
    row = graded_class.wide[renamed(who)]
    assert (row["student_id"], row["lms_id"], row["name"]) == (who, gc.ROSTER[who], who.capitalize())
    assert row["flags"] == "" or row["flags"].startswith("2 files for") and who == "frank"


def test_erins_answers_would_be_wrong_on_the_default_numbers():
    """The two variants really differ where it matters: erin's literal answers are not the default's."""
    assert gc.model("erin")["factor_double_channels"] != gc.model(None)["factor_double_channels"] or (
        gc.model("erin")["grouped_params"] != gc.model(None)["grouped_params"])


def test_a_renamed_file_without_set_student_is_graded_on_the_default_numbers(graded_class):
    """Issue 21: a student who answered for the default numbers got 7/9 from a renamed file."""
    assert st(graded_class, renamed("jane")) == ALL
    row = graded_class.wide[renamed("jane")]
    assert (row["student_id"], row["lms_id"], row["flags"]) == ("jane", "45678", "")


def test_mismatches_are_flagged_never_resolved_silently(graded_class):
    gail = graded_class.wide[renamed("gail")]
    assert gail["student_id"] == "frank" and "belongs to 'gail'" in gail["flags"] and "34567" in gail["flags"]
    assert st(graded_class, renamed("gail")) == ALL  # graded on the numbers the notebook showed: frank's
    assert "2 files for 'frank'" in graded_class.wide[renamed("frank")]["flags"]
    assert "not on the roster" in graded_class.wide["mystery.ipynb"]["flags"]
    assert graded_class.wide["mystery.ipynb"]["student_id"] == "zed"
    page = (graded_class.out / "summary.html").read_text(encoding="utf-8")
    attention = page.split("<h2>Needs your attention")[1].split("<h2>")[0]
    for text in ("belongs to &#x27;gail&#x27;", "not on the roster", "2 files for &#x27;frank&#x27;"):
        assert text in attention, text


def test_the_id_comes_from_set_student_then_the_roster_then_the_file_name(tmp_path):
    roster_path = tmp_path / "r.csv"
    roster_path.write_text("student_id,lms_id,name\nerin,12345,Erin S\nbo,777,Bo\n", encoding="utf-8")
    roster = identity.Roster.read(roster_path)
    ident = identity.resolve("x_12345_9_07.ipynb", ["set_student('erin')"], roster)
    assert (ident.student_id, ident.lms_id, ident.variant, ident.flags) == ("erin", "12345", "erin", [])
    ident = identity.resolve("x_12345_9_07.ipynb", ["set_student(None)"], roster)
    assert (ident.student_id, ident.variant, ident.source) == ("erin", None, "roster (file name)")
    assert identity.resolve("x_12345_9_07.ipynb", [], roster, variant_from_id=True).variant == "erin"
    ident = identity.resolve("x_777_9.ipynb", ["from chanconv.exercises import set_student\nset_student('erin')"], roster)
    assert ident.student_id == "erin" and "belongs to 'bo'" in ident.flags[0]
    ident = identity.resolve("alone.ipynb", ["%time x = 1\nset_student(name='ann')"], None)
    assert (ident.student_id, ident.variant) == ("ann", "ann")
    ident = identity.resolve("dyn.ipynb", ["who = 'a' + 'b'\nset_student(who)"], None)
    assert ident.dynamic and ident.variant is None and "run time" in ident.flags[0]
    identity.after_run(ident, "ab")
    assert (ident.student_id, ident.variant) == ("ab", "ab")
    ident = identity.resolve("broken.ipynb", ["set_student('cy')\ndef f(:"], None)  # the cell does not parse
    assert ident.student_id == "cy"
    with pytest.raises(ValueError, match="student_id and lms_id"):
        bad = tmp_path / "bad.csv"
        bad.write_text("id,name\n1,a\n", encoding="utf-8")
        identity.Roster.read(bad)


# the instructor's outputs ---------------------------------------------------------------------------
def test_the_wide_csv_has_one_row_per_student_with_points_total_and_max(graded_class):
    header = (graded_class.out / "grades.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == ["student_id", "lms_id", "name", "file"] + [f"exercise {e}" for e in IDS] + ["total", "max",
                                                                                                  "flags"]
    ada = graded_class.wide["ada.ipynb"]
    assert [ada[f"exercise {e}"] for e in IDS] == ["1"] * len(IDS)
    assert (ada["total"], ada["max"], ada["lms_id"]) == (str(len(IDS)), str(len(IDS)), "10001")
    allclose = graded_class.wide["allclose.ipynb"]
    assert float(allclose["total"]) == sum(float(allclose[f"exercise {e}"]) for e in IDS)


def test_a_file_name_that_a_spreadsheet_would_run_is_defused(graded_class):
    assert graded_class.wide["=SUM(1+1).ipynb"]["student_id"] == "'=SUM(1+1)"
    assert graded_class.wide["=SUM(1+1).ipynb"]["file"] == "'=SUM(1+1).ipynb"
    assert graded_class.long["=SUM(1+1).ipynb", "1a"]["student_id"] == "'=SUM(1+1)"


def test_the_summary_is_printable_and_shows_every_verdicts_detail(graded_class):
    page = (graded_class.out / "summary.html").read_text(encoding="utf-8")
    assert f"{len(graded_class.wide)} notebooks graded" in page and "data:image/png;base64," in page
    assert "title=" not in page  # nothing hides in a hover
    assert "@media print" in page and "Content-Security-Policy" in page
    for file, ex in (("cy.ipynb", "5"), ("eve.ipynb", "3"), ("dee.ipynb", "2")):
        assert f"<td>{reports.E(graded_class.long[file, ex]['detail'])}</td>" in page  # in plain sight
    assert "Isolation: " in page and ("contained: namespaces" in page or "NOT" in page)


def test_written_answers_sit_next_to_their_question(graded_class):
    page = (graded_class.out / "written_answers.html").read_text(encoding="utf-8")
    table = exercise_table()
    qs = written.questions(table)
    assert len(qs) >= 6 and page.count("<section") == len(qs)
    proof = page.split("<section id='q0'>")[1].split("</section>")[0]
    assert "Prove" in proof or "prove" in proof  # the question, from the course's own copy
    assert "<em>linear</em>" in proof and "$k_1 + k_2 - 1$" in proof  # markdown rendered, math kept for MathJax
    writers = [f for f in ("loops.ipynb", "leaker.ipynb")]
    assert proof.count("<div class=answer>") == len(writers)  # who wrote something, beside the question
    silent = re.search(r"Nothing written \((\d+)\)", proof)
    assert silent and int(silent.group(1)) == len(graded_class.wide) - len(writers)
    assert "mathjax/tex-svg.js" in page and (graded_class.out / "mathjax" / "tex-svg.js").exists()


def test_a_students_markdown_cannot_inject_markup_or_fetch_anything(graded_class):
    page = (graded_class.out / "written_answers.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and 'href="javascript:' not in page


def test_the_makefile_exposes_the_grader_options():
    out = subprocess.run(["make", "-n", "grade", "SUBMISSIONS=subs", "ROSTER=r.csv", "JOBS=3", "CELL_TIMEOUT=7",
                          "NOTEBOOK_TIMEOUT=99", "UNSAFE=1"], cwd=ROOT, capture_output=True, text=True).stdout
    line = " ".join(out.split())
    for part in ("scripts/grade.py \"subs\"", "-j 3", "--cell-timeout 7", "--notebook-timeout 99",
                 "--roster \"r.csv\"", "--unsafe"):
        assert part in line, (part, out)


def test_the_notebook_budget_skips_the_rest_and_keeps_what_ran(tmp_path):
    """Past the notebook's budget the remaining cells are skipped (not everything zeroed): the
    answers given before count; the cell running when the budget ends costs its exercises."""
    subs = tmp_path / "subs"
    subs.mkdir()
    m = gc.model()
    sleep = "import time\ntime.sleep(12)\n"
    m["X_differ"] = sleep + m["X_differ"]  # exercise 4's own cell is running when the budget ends
    gc.nbformat.write(gc.student_notebook(lambda name: m.get(name), extra=[(sleep, "forward_macs")]),
                      subs / "slow.ipynb")
    from chanconv.exercises import sandbox

    unsafe = [] if sandbox.probe().contained else ["--unsafe"]
    proc = gc.grade(subs, tmp_path / "out", "--cell-timeout", "15", "--notebook-timeout", "18", *unsafe)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    grades = gc.read_long(tmp_path / "out")
    s = gc.statuses(grades, "slow.ipynb")
    assert {ex: s[ex] for ex in ("1a", "1b", "2", "3")} == dict.fromkeys(("1a", "1b", "2", "3"), "right")
    assert s["4"] == "error" and "time budget (18 s) ran out" in grades["slow.ipynb", "4"]["detail"]
    for ex in IDS[5:]:
        assert s[ex] == "error" and "budget (18 s) was spent" in grades["slow.ipynb", ex]["detail"], ex


# attribution of cells, and the summary's counts ----------------------------------------------------
def test_attribution_of_a_cell_to_its_exercise():
    table = exercise_table()
    assert exercise_of_cell("def forward_macs(c_i):\n    pass", [], table) == ["2"]
    assert exercise_of_cell("x = 1", ["3"], table) == ["3"]
    assert section_of("## Exercise 4: are Y1 and Y2 exactly equal?", table) == ["4"]
    assert section_of("### Exercise 1, the converse", table) == ["1b"]
    assert section_of("## Beyond the book (exercise 8): grouped", table) == ["8"]
    nb = gc.student_notebook()
    cells = code_cells(nb, table)
    assert {ex for _, exs in cells for ex in exs} == set(IDS)  # every exercise has cells


def test_a_chinese_notebook_opens_the_same_exercises_as_its_english_twin():
    """The Chinese edition's headings (练习 4, 练习 1 的逆命题, 书外的练习（练习 8）) open the same sections, so
    its code cells and its ✍ cells belong to the same exercises and questions as the English ones."""
    table = exercise_table()
    assert section_of("## 练习 4：Y1 和 Y2 完全相等吗？", table) == ["4"]
    assert section_of("### 练习 1 的逆命题", table) == ["1b"]
    assert section_of("## 书外的练习（练习 8）：分组卷积", table) == ["8"]
    en, zh = gc.student_notebook(), gc.student_notebook(lang="zh")
    zh_cells = code_cells(zh, table)
    assert [exs for source, exs in zh_cells if "set_language" in source] == [[]], "its one extra cell: the language"
    assert [cell for cell in zh_cells if "set_language" not in cell[0]] == code_cells(en, table)
    gc.written(en, {"proof": "Because it is *linear*: $k_1 + k_2 - 1$."})
    gc.written(zh, {"证明": "Because it is *linear*: $k_1 + k_2 - 1$."})
    answers_en, answers_zh = written.answers(en, table), written.answers(zh, table)
    assert answers_zh == answers_en and len(answers_en) == len(written.questions(table))
    assert sum(bool(text) for text in answers_zh.values()) == 1, "the blanks are empty, the placeholder taken off"
    assert "Because it is *linear*" in next(text for text in answers_zh.values() if text)
    assert written.answer_text("✍ **你的证明**（为什么它是一次互相关运算？）：*双击此处作答*") == ""


def test_a_chinese_class_is_graded_like_an_english_one(tmp_path):
    """The model answers in the Chinese edition get every exercise right, a blank one none, as in English;
    the Chinese student's proof sits beside its question."""
    subs = tmp_path / "subs"
    subs.mkdir()
    m = gc.model()
    for lang in ("en", "zh"):
        nb = gc.student_notebook(lambda name: m.get(name), lang=lang)
        gc.written(nb, {"proof" if lang == "en" else "证明": f"({lang}) 互相关是*线性*的。"})
        gc.nbformat.write(nb, subs / f"right_{lang}.ipynb")
    gc.nbformat.write(gc.student_notebook(lang="zh"), subs / "blank_zh.ipynb")
    from chanconv.exercises import sandbox

    unsafe = [] if sandbox.probe().contained else ["--unsafe"]
    proc = gc.grade(subs, tmp_path / "out", *unsafe)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    grades = gc.read_long(tmp_path / "out")
    assert gc.statuses(grades, "right_zh.ipynb") == gc.statuses(grades, "right_en.ipynb") == ALL
    assert gc.statuses(grades, "blank_zh.ipynb") == NONE
    page = (tmp_path / "out" / "written_answers.html").read_text(encoding="utf-8")
    proof = page.split("<section id='q0'>")[1].split("</section>")[0]
    assert "(zh) 互相关是<em>线性</em>的。" in proof and "(en) " in proof and "双击此处作答" not in page


def test_the_summary_counts_each_exercise(graded_class):
    page = (graded_class.out / "summary.html").read_text(encoding="utf-8")
    right6 = sum(graded_class.long[f, "6"]["status"] == "right" for f in graded_class.wide)
    assert re.search(rf"<td class=c>6</td><td>a k × \(k \+ Δ − 1\) strip</td><td class=c>1</td><td class=c>{right6}</td>",
                     page)


def test_a_failure_of_the_grader_on_one_notebook_costs_that_notebook_only(monkeypatch):
    import grade

    def broken(*args):
        raise KeyError("a bug")

    monkeypatch.setattr(grade, "grade_submission", broken)
    r = grade._one(Path("x/ann.ipynb"), {"student_id": "ann", "flags": []}, None, None)
    assert r["file"] == "ann.ipynb" and {row["status"] for row in r["rows"]} == {"error"}
    assert "grader failed on this notebook (KeyError)" in r["notes"][0] and len(r["rows"]) == len(IDS)
