"""Collect, penalise, return, end to end on lesson 00 through nbgrader itself.

An LMS zip (Brightspace names, which carry the submission time) is imported with
grading/collect.py into a scratch course; the schedule's due date goes into the gradebook
(grading/penalties.py); ``nbgrader autograde`` applies the course's late policy
(``penalties.CoursePenalty``, set in nbgrader_config.py); ``nbgrader generate_feedback`` leaves the
hidden tests out unless ``HIDDEN_TESTS=show``; nbgrader's CSV export (``nbgrader export``'s plugin,
run in this process to save a start-up) writes the penalised grades.
"""

from __future__ import annotations

import csv
import html
import json
import re
import sys
import zipfile

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.plugins import CsvExportPlugin

from course import ROOT, ScratchCourse, answer_sources, replace_answers, source_path

sys.path.insert(0, str(ROOT / "grading"))
from collect import collect, load_roster
from feedback import HIDDEN_NOTE, HideHiddenTests, feedback_preprocessors, hidden_lines
from penalties import load_schedule, write_due_dates

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


def visible_text(page: str) -> str:
    """What a browser shows of an HTML page: tags dropped, entities decoded."""
    page = re.sub(r"<(style|script)\b.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lms")
    course = ScratchCourse()
    try:
        course.generate(LESSON)
        solution = nbformat.read(source_path(LESSON), as_version=4)
        wrong = replace_answers(solution, {"ex0_1_share_failed": HALF_RIGHT})
        archive = tmp / "download.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for i, (student, (lms_id, name, when, _)) in enumerate(STUDENTS.items()):
                nb = wrong if student == "threedays" else replace_answers(solution, answer_sources(solution))
                zf.writestr(f"{5000 + i}-{lms_id} - {name} - {when} - {LESSON}.ipynb", nbformat.writes(nb))
        roster = tmp / "roster.csv"
        roster.write_text("student_id,lms_id,name\n" + "".join(
            f"{s},{lms_id},{name}\n" for s, (lms_id, name, _, _) in STUDENTS.items()))
        result = collect(archive, LESSON, load_roster(roster), course.root / "submitted")
        assert sorted(result.students) == sorted(STUDENTS) and result.lines == []
        schedule_file = tmp / "schedule.toml"
        schedule_file.write_text(SCHEDULE)
        write_due_dates(course.db_url, "ml-checkup", load_schedule(schedule_file))
        env = {"GRADING_SCHEDULE": str(schedule_file)}
        done = course.autograde(LESSON, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
        hidden = course.nbgrader("generate_feedback", LESSON, env=env)  # HIDDEN_TESTS unset: hide
        assert hidden.returncode == 0, hidden.stderr[-3000:]
        with Gradebook(course.db_url, course_id="ml-checkup") as gb:  # what `nbgrader export` runs
            CsvExportPlugin(to=str(tmp / "grades.csv")).export(gb)
        yield course, tmp, solution
    finally:
        course.remove()


@pytest.mark.slow
def test_penalties_are_in_the_gradebook_and_the_export(graded):
    course, tmp, _ = graded
    with open(tmp / "grades.csv", newline="") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    with Gradebook(course.db_url, course_id="ml-checkup") as gb:
        for student, (*_, fraction) in STUDENTS.items():
            sub = gb.find_submission(LESSON, student)
            raw, penalty = sub.code_score + sub.written_score, sub.late_submission_penalty
            assert raw > 0
            assert penalty == pytest.approx(raw * fraction), student
            row = rows[student]
            assert float(row["raw_score"]) == pytest.approx(raw)
            assert float(row["late_submission_penalty"]) == pytest.approx(penalty)
            assert float(row["score"]) == pytest.approx(raw - penalty)
    assert float(rows["ontime"]["late_submission_penalty"]) == 0
    assert rows["ontime"]["duedate"].startswith("2027-01-18 23:59:00")


@pytest.mark.slow
def test_feedback_hides_hidden_tests_but_keeps_every_cells_points(graded):
    course, _, solution = graded
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
