"""Grading a class end to end on lesson 00: collect, penalise, grade in parallel and in shards, return.

One scratch course, one release, one set of submissions, graded ONCE by nbgrader's own sequential
``autograde`` (run in this process: it is the reference, not the code under test):

- an LMS zip (Brightspace names, which carry the submission time) is imported with
  ``grading/collect.py``; its three students carry the late policy's cases (on time, 1 h late with
  full marks, 3 days late with 2 of 3 points) through ``penalties.CoursePenalty`` and the due date
  written by ``penalties.write_due_dates``; the CSV export has the penalised grades;
- the feedback (``nbgrader generate_feedback``) of that reference leaves the hidden tests out;
- ``batch.grade`` with 2 workers (each submission in its own worker and gradebook, merged) grades the
  3-days-late student (a partial score and a penalty: exactly as the reference) and the renamed and
  duplicated grade ids (which nbgrader alone scores 0: the batch grades a repaired copy);
- 2 shards (``shards.pack`` / ``shards.run``, as the Azure ML jobs run them), each in its own worker
  process and gradebook, merged by ``shards.merge_shards``, grade the 1-h-late student (exactly as the
  reference) and the bad input: not a notebook (exactly as the reference), and another lesson's
  notebook (which nbgrader alone refuses; the batch grades it against this lesson's cells), with
  one clear report line each and never a crash.

Kernels run only where a proof needs one (8 in all): bad inputs that never reach a kernel carry the
second shard, and a second batch run finds everything graded.
A merge that dropped a penalty, a timestamp or a cell's score, or feedback that kept a hidden test,
fails here. Gradebooks get nbgrader's tables from ``course.empty_gradebook`` (``Gradebook()`` on
an empty file would run ``alembic``, seconds).
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import html
import json
import re
import shutil
import zipfile
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.plugins import CsvExportPlugin

from course import ROOT, ScratchCourse, is_answer, is_test, replace_answers, source_path  # isort: skip
import batch  # grading/ is on sys.path once course.py is imported
import shards
from collect import collect, load_roster
from feedback import HIDDEN_NOTE, HideHiddenTests, feedback_preprocessors, hidden_lines
from gradebooks import COURSE_ID
from penalties import load_schedule, write_due_dates

pytestmark = pytest.mark.grading
LESSON = "00-start-here"
# Due 2027-01-18 23:59 UTC; Brightspace times below are UTC (the LMS's zone in this test).
SCHEDULE = '[policy]\ngrace_minutes = 15\npercent_per_day = 10\ncap_percent = 50\n\n[due]\n"00-start-here" = 2027-01-18T23:59:00Z\n'
# Passes every visible test and the Series one; fails the hidden empty-NumPy-array test (1 of 3 points).
HALF_RIGHT = (
    "def share_failed(status_codes):\n"
    "    if isinstance(status_codes, list) and not status_codes:\n"
    "        return 0.0\n"
    "    codes = list(status_codes)\n"
    "    return sum(int(code) >= 400 for code in codes) / len(codes)\n"
)
STUDENTS = {  # course id: (LMS user id, name, submitted at, expected fraction taken)
    "ontime": ("1001", "Ada Lovelace", "Jan 18, 2027 1150 PM", 0.0),
    "hourlate": ("1002", "Grace Hopper", "Jan 19, 2027 1259 AM", 0.1),
    "threedays": ("1003", "Alan Turing", "Jan 21, 2027 1159 PM", 0.3),
}
#: Graded again by the 2-worker batch: a partial, penalised score, and the two ids nbgrader alone scores 0.
BATCH = ("hal-renamed", "ida-duplicated", "threedays")
#: Graded again in 2 shards: a penalised full score, the bad inputs that are no notebook, and another lesson's.
SHARDED = ("dan-garbage", "eve-empty", "fay-json", "gus-lesson-01", "hourlate")
#: What nbgrader grades as it is, in the batch and in the shards: both must score it exactly as the reference.
PLAIN = ("threedays", "dan-garbage", "eve-empty", "fay-json", "hourlate")


def bad_inputs(solution) -> dict[str, object]:
    """student -> what they submit, for each kind of bad input."""
    renamed = copy.deepcopy(solution)  # an answer and its first test renamed: both still run, in order
    for cell in (next(c for c in renamed.cells if is_answer(c)), next(c for c in renamed.cells if is_test(c))):
        cell.metadata.nbgrader["grade_id"] += "_mine"
    duplicated = copy.deepcopy(solution)
    at = next(i for i, cell in enumerate(duplicated.cells) if is_answer(cell))
    duplicated.cells.insert(at + 1, copy.deepcopy(duplicated.cells[at]))
    duplicated.cells[at + 1].id = "a-second-try"
    other = nbformat.read(source_path("01-why-monitor"), as_version=4)  # its setup and first answers: quick to run
    other.cells = [c for c in other.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup" or is_answer(c)][:4]
    return {"dan-garbage": "\x00\x01\x02 not a notebook \xff", "eve-empty": "",
            "fay-json": json.dumps({"answer": 42}),
            "gus-lesson-01": other,
            "hal-renamed": renamed, "ida-duplicated": duplicated}


def lms_zip(path, solution):
    """A Brightspace "download all submissions" zip of :data:`STUDENTS` (threedays half right)."""
    with zipfile.ZipFile(path, "w") as zf:
        for i, (student, (lms_id, name, when, _)) in enumerate(STUDENTS.items()):
            nb = replace_answers(solution, {"ex0_1_share_failed": HALF_RIGHT}) if student == "threedays" else solution
            zf.writestr(f"{5000 + i}-{lms_id} - {name} - {when} - {LESSON}.ipynb", nbformat.writes(nb))
    return path


def nbgrader_api(course: ScratchCourse):
    """nbgrader's API on the scratch course with the course's settings (sandboxed kernels), in this process."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    for folder in ("release", "submitted", "autograded", "feedback"):
        setattr(config.CourseDirectory, f"{folder}_directory", f"{course.rel}/{folder}")
    config.CourseDirectory.db_url = course.db_url
    config.Execute.kernel_manager_class = "sandbox.SandboxKernelManager"
    return NbGraderAPI(CourseDirectory(config=config), config=config)


def snapshot(db, students) -> dict:
    """student -> timestamp, late penalty and every cell's scores and comments, from a gradebook."""
    out = {}
    with Gradebook(f"sqlite:///{db}", course_id=COURSE_ID) as gb:
        for student in students:
            sub = gb.find_submission(LESSON, student)
            nb = sub.notebooks[0]
            out[student] = {
                "timestamp": sub.timestamp, "penalty": nb.late_submission_penalty, "score": sub.score,
                "cells": {g.name: (g.auto_score, g.manual_score, g.max_score, g.needs_manual_grade) for g in nb.grades},
                "comments": {c.name: (c.auto_comment, c.manual_comment) for c in nb.comments},
            }
    return out


def visible_text(page: str) -> str:
    """What a browser shows of an HTML page: tags dropped, entities decoded."""
    page = re.sub(r"<(style|script)\b.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lms")
    course = ScratchCourse(sandbox=True)
    try:
        with pytest.MonkeyPatch.context() as env:  # the late policy of this test, here and in every worker
            (tmp / "schedule.toml").write_text(SCHEDULE)
            env.setenv("GRADING_SCHEDULE", str(tmp / "schedule.toml"))
            yield grade_the_class(course, tmp)
    finally:
        course.remove()


def grade_the_class(course: ScratchCourse, tmp) -> dict:
    """Collect, grade once sequentially (the reference), give feedback; grade again in a batch and in shards."""
    root, rel = course.root, course.rel
    api = nbgrader_api(course)
    done = api.generate_assignment(LESSON, force=True)
    assert done["success"], done
    write_due_dates(course.db_url, COURSE_ID, load_schedule())
    for name in ("batch.db", "shards.db"):
        shutil.copyfile(root / "gradebook.db", root / name)

    solution = nbformat.read(source_path(LESSON), as_version=4)
    roster = tmp / "roster.csv"
    roster.write_text("student_id,lms_id,name\n" + "".join(
        f"{s},{lms_id},{name}\n" for s, (lms_id, name, _, _) in STUDENTS.items()))
    collected = collect(lms_zip(tmp / "download.zip", solution), LESSON, load_roster(roster), root / "submitted")
    assert sorted(collected.students) == sorted(STUDENTS) and collected.lines == []
    for student, nb in bad_inputs(solution).items():
        course.submit(student, LESSON, nb)

    sequential = api.autograde(LESSON, "*")  # the reference: one nbgrader run, one kernel at a time
    feedback = api.generate_feedback(LESSON)  # HIDDEN_TESTS unset: hide
    assert feedback["success"], feedback
    with Gradebook(course.db_url, course_id=COURSE_ID) as gb:  # what `nbgrader export` runs
        CsvExportPlugin(to=str(tmp / "grades.csv")).export(gb)

    for student in BATCH:  # the batch grades a whole submitted folder
        shutil.copytree(root / "submitted" / student, root / "submitted-batch" / student)
    batch_course = batch.Course(submitted=f"{rel}/submitted-batch", autograded=f"{rel}/autograded-batch",
                                db=f"{rel}/batch.db", work=f"{rel}/work-batch")
    results = batch.grade(batch_course, [LESSON], workers=2, progress=False)
    report = batch.write_report(results, root / "report.tsv")
    folders = shards.pack(batch.Course(submitted=f"{rel}/submitted", db=f"{rel}/shards.db"), 2,
                          root / "shards", [(student, LESSON) for student in SHARDED])
    outputs = [root / "shard-outputs" / folder.name for folder in folders]
    with ThreadPoolExecutor(len(folders)) as pool:  # each shard: its own worker process and gradebook
        runs = pool.map(lambda f, o: shards.run(f, o, workers=1, progress=False), folders, outputs)
        sharded = [result for shard in runs for result in shard]
    merged = shards.merge_shards(root / "shards.db", outputs, root / "autograded-shards")
    return {"course": course, "tmp": tmp, "solution": solution, "sequential": sequential, "batch": batch_course,
            "results": {r.student: r for r in results + sharded}, "report": report, "folders": folders,
            "outputs": outputs, "merged": merged}


# --- collect, penalties, export, feedback: the reference grading -------------------------------------


@pytest.mark.slow
def test_penalties_are_in_the_gradebook_and_the_export(graded):
    course, tmp = graded["course"], graded["tmp"]
    with open(tmp / "grades.csv", newline="") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    with Gradebook(course.db_url, course_id=COURSE_ID) as gb:
        for student, (*_, fraction) in STUDENTS.items():
            sub = gb.find_submission(LESSON, student)
            raw, penalty = sub.code_score + sub.written_score, sub.late_submission_penalty
            assert raw == (2 if student == "threedays" else 3), student
            assert penalty == pytest.approx(raw * fraction), student
            row = rows[student]
            assert float(row["raw_score"]) == pytest.approx(raw)
            assert float(row["late_submission_penalty"]) == pytest.approx(penalty)
            assert float(row["score"]) == pytest.approx(raw - penalty)
    assert rows["ontime"]["duedate"].startswith("2027-01-18 23:59:00")


@pytest.mark.slow
def test_feedback_hides_hidden_tests_but_keeps_every_cells_points(graded):
    course, solution = graded["course"], graded["solution"]
    secrets = sorted({line for cell in solution.cells for line in hidden_lines(cell.source) if len(line) >= 12})
    assert secrets, "lesson 00 has hidden tests"
    for student in STUDENTS:
        ran = "".join(cell.source + json.dumps(cell.get("outputs", [])) for cell in course.executed(student, LESSON).cells)
        assert [s for s in secrets if s in ran] == secrets  # nbgrader ran them: the check below can fail
        page = visible_text((course.root / "feedback" / student / LESSON / f"{LESSON}.html").read_text())
        assert [s for s in secrets if s in page] == [], student
        assert HIDDEN_NOTE in page
        scores = re.findall(r"Score: ([\d.]+) / ([\d.]+)", page)
        assert len(scores) == 5, student  # the total, then each test cell in the summary and at the cell
    # the half-right answer fails a hidden test: the cell shows 0 of 1, the error's type, not its traceback
    page = visible_text((course.root / "feedback" / "threedays" / LESSON / f"{LESSON}.html").read_text())
    assert "Score: 0.0 / 1.0" in page and "Traceback" not in page and "ZeroDivisionError" in page


def test_hidden_tests_are_hidden_unless_asked_and_a_typo_hides(capsys):
    assert "feedback.HideHiddenTests" in feedback_preprocessors({})
    assert "feedback.HideHiddenTests" not in feedback_preprocessors({"HIDDEN_TESTS": "show"})
    assert "feedback.HideHiddenTests" in feedback_preprocessors({"HIDDEN_TESTS": "shwo"})
    assert "HIDDEN_TESTS must be 'hide' or 'show' (got 'shwo'); hiding" in capsys.readouterr().err


def test_a_failing_hidden_test_leaves_no_trace_of_its_source():
    secret = "expect_close('p', share(codes_check), 0.4127, reveal=False)"
    cell = nbformat.v4.new_code_cell(
        f"expect(True, 'visible')\n### BEGIN HIDDEN TESTS\n{secret}\n### END HIDDEN TESTS\n",
        metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}})
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=f"ok\n  {secret}\n"),
        nbformat.v4.new_output("error", ename="CheckFailed", evalue=f"failed: {secret}",
                               traceback=["Traceback (most recent call last)", f"----> 3 {secret}"]),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell])
    out, _ = HideHiddenTests().preprocess(nb, {})
    assert secret not in json.dumps(out)
    assert out.cells[0].outputs[0].text == "ok\n"
    assert out.cells[0].outputs[1].traceback == ["CheckFailed: (a hidden test failed; its details are not shown)"]
    assert out.cells[0].source.endswith(HIDDEN_NOTE) and "expect(True, 'visible')" in out.cells[0].source


# --- the batch and the shards score exactly as the reference -----------------------------------------


@pytest.mark.slow
def test_the_batch_scores_exactly_as_one_sequential_run(graded):
    root = graded["course"].root
    sequential = snapshot(root / "gradebook.db", ["threedays"])
    assert sequential["threedays"]["penalty"] == pytest.approx(0.6)  # 30 % of 2 points: the check can fail
    assert sequential["threedays"]["timestamp"] == dt.datetime(2027, 1, 21, 23, 59)
    assert snapshot(root / "batch.db", ["threedays"]) == sequential


@pytest.mark.slow
def test_the_shards_merged_score_exactly_as_one_sequential_run(graded):
    root, plain = graded["course"].root, [s for s in SHARDED if s in PLAIN]
    assert len(graded["folders"]) == 2 and sorted(graded["merged"]) == [(s, LESSON) for s in SHARDED]
    sequential = snapshot(root / "gradebook.db", plain)
    assert sequential["hourlate"]["penalty"] == pytest.approx(0.3) and sequential["hourlate"]["score"] == 3
    assert snapshot(root / "shards.db", plain) == sequential
    # the graded notebooks came back too, for the feedback
    assert (root / "autograded-shards" / "hourlate" / LESSON / f"{LESSON}.ipynb").is_file()
    assert not list(ROOT.glob("grading/autograded-shard-*"))


@pytest.mark.slow
def test_one_report_line_per_submission_and_none_crashed(graded):
    lines = (graded["course"].root / "report.tsv").read_text().splitlines()
    assert lines[0].split("\t") == list(batch.REPORT_COLUMNS)
    assert sorted(line.split("\t")[0] for line in lines[1:]) == sorted(BATCH)
    assert len(graded["report"].splitlines()) == len(BATCH)
    shard_lines = [line for out in graded["outputs"] for line in (out / "report.tsv").read_text().splitlines()[1:]]
    assert sorted(line.split("\t")[0] for line in shard_lines) == sorted(SHARDED)
    assert sorted(graded["results"]) == sorted(BATCH + SHARDED)
    assert all(r.max_score == 3 for r in graded["results"].values())


@pytest.mark.slow
@pytest.mark.parametrize(("student", "score", "said"), [
    ("threedays", 2, ""),
    ("dan-garbage", 0, "not a notebook: not JSON"),
    ("eve-empty", 0, "empty file (0 bytes)"),
    ("fay-json", 0, "JSON but not a Jupyter notebook"),
    ("gus-lesson-01", 0, "not this lesson's notebook"),
    ("hal-renamed", 3, "grade ids renamed or unknown: ex0_1_share_failed_counts_mine"),
    ("ida-duplicated", 3, "grade ids duplicated: ex0_1_share_failed"),
])
def test_bad_input_is_graded_as_far_as_possible_with_one_clear_line(graded, student, score, said):
    result = graded["results"][student]
    assert result.score == score, result
    assert (said in result.problem) if said else not result.problem, result.problem
    assert "\n" not in result.problem and "could not grade" not in result.problem, result.problem


@pytest.mark.slow
def test_nbgrader_alone_gives_renamed_or_duplicated_ids_nothing(graded):
    """Why the batch repairs them: one sequential nbgrader run scores both 0 (KeyError 'grade_id')."""
    seq = snapshot(graded["course"].root / "gradebook.db", ("hal-renamed", "ida-duplicated"))
    assert [seq[s]["score"] for s in seq] == [0, 0]
    assert not graded["sequential"]["success"]
    assert "for student 'hal-renamed'" in graded["sequential"]["log"]


@pytest.mark.slow
def test_a_second_run_skips_what_is_graded_and_unchanged(graded):
    """As nbgrader does without --force: nothing already graded runs again (so no kernel starts here)."""
    again = batch.grade(graded["batch"], [LESSON], workers=1, progress=False, force=False)
    skipped = {r.student: r.score for r in again if r.problem.startswith("already graded")}
    assert sorted(skipped) == sorted(BATCH) and len(again) == len(BATCH)
    assert skipped["threedays"] == graded["results"]["threedays"].score
