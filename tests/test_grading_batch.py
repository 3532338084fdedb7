"""Grading a class in parallel (grading/batch.py) and in shards (grading/shards.py), on lesson 00.

One scratch course, one ``generate_assignment``. The same submissions are graded three ways:

- sequentially, by one ``nbgrader autograde`` (what ``make grade`` did before): the reference;
- by :func:`batch.grade` with 2 workers, each submission into its own gradebook, merged;
- in 2 shards (:func:`shards.pack` / :func:`shards.run`, as the Azure ML jobs run them), each graded
  by its own worker process into its own gradebook, then merged (:func:`shards.merge_shards`).

Every cell score, comment, late penalty and timestamp must be the same. One student with full marks
is three days late, so a merge that dropped penalties or timestamps would fail. Bad input (not a notebook, the
wrong lesson, renamed or duplicated grade ids) is in the batch too: one line each, never a crash.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from course import ROOT, ScratchCourse, is_answer, is_test, replace_answers, source_path  # isort: skip
import batch  # noqa: I001  (grading/ is on sys.path once course.py is imported)
import shards
from wrong_answers import WRONG_ANSWERS

pytestmark = pytest.mark.slow
LESSON = "00-start-here"
DUE = dt.datetime(2026, 5, 1, 12, 0)
#: ann is three days late (full marks, so a penalty), cat on time.
LATE = {"ann-reference": "2026-05-04 13:00:00.000000 UTC", "cat-wrong": "2026-04-30 09:00:00.000000 UTC"}
#: Submissions nbgrader grades as they are: the batch must score them exactly as one sequential run.
PLAIN = ("ann-reference", "cat-wrong", "dan-garbage", "eve-empty", "fay-json")
#: The three gradings use the same late-penalty plugin setting (nbgrader_config.py may set its own).
LATE_CONFIG = {"LateSubmissionPlugin": {"penalty_method": "zero"}}


def bad_inputs(reference) -> dict[str, object]:
    """student -> what they submit, for each kind of bad input."""
    renamed = copy.deepcopy(reference)
    test = next(cell for cell in renamed.cells if is_test(cell))
    test.metadata.nbgrader["grade_id"] += "_mine"
    duplicated = copy.deepcopy(reference)
    at = next(i for i, cell in enumerate(duplicated.cells) if is_answer(cell))
    duplicated.cells.insert(at + 1, copy.deepcopy(duplicated.cells[at]))
    duplicated.cells[at + 1].id = "a-second-try"
    return {"dan-garbage": "\x00\x01\x02 not a notebook \xff", "eve-empty": "",
            "fay-json": json.dumps({"answer": 42}),
            "gus-lesson-01": nbformat.read(source_path("01-why-monitor"), as_version=4),
            "hal-renamed": renamed, "ida-duplicated": duplicated}


def snapshot(db, students) -> dict:
    """student -> timestamp, late penalty and every cell's scores and comments, from a gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{db}", course_id="ml-checkup") as gb:
        for student in students:
            sub = gb.find_submission(LESSON, student)
            nb = sub.notebooks[0]
            out[student] = {
                "timestamp": sub.timestamp, "penalty": nb.late_submission_penalty, "score": sub.score,
                "cells": {g.name: (g.auto_score, g.manual_score, g.max_score, g.needs_manual_grade) for g in nb.grades},
                "comments": {c.name: (c.auto_comment, c.manual_comment) for c in nb.comments},
            }
    return out


@pytest.fixture(scope="module")
def graded():
    from nbgrader.api import Gradebook

    course = ScratchCourse(sandbox=True)
    course.generate(LESSON)
    with Gradebook(course.db_url, course_id="ml-checkup") as gb:
        gb.update_or_create_assignment(LESSON, duedate=DUE)
    for name in ("batch.db", "shards.db"):
        shutil.copyfile(course.root / "gradebook.db", course.root / name)
    reference = nbformat.read(source_path(LESSON), as_version=4)
    course.submit("ann-reference", LESSON, reference)
    course.submit("cat-wrong", LESSON, replace_answers(reference, WRONG_ANSWERS[LESSON]))
    for student, nb in bad_inputs(reference).items():
        course.submit(student, LESSON, nb)
    for student, stamp in LATE.items():
        (course.root / "submitted" / student / LESSON / "timestamp.txt").write_text(stamp)

    sequential = course.autograde(LESSON, "--LateSubmissionPlugin.penalty_method=zero")
    rel = course.rel
    options = {"submitted": f"{rel}/submitted", "config": LATE_CONFIG, "sandbox": True}
    results = batch.grade(batch.Course(autograded=f"{rel}/autograded-batch", db=f"{rel}/batch.db",
                                       work=f"{rel}/work-batch", **options), [LESSON], workers=2, progress=False)
    report = batch.write_report(results, course.root / "report.tsv")
    folders = shards.pack(batch.Course(db=f"{rel}/shards.db", **options), 2, course.root / "shards",
                          [("ann-reference", LESSON), ("cat-wrong", LESSON)])
    outputs = [course.root / "shard-outputs" / folder.name for folder in folders]
    with ThreadPoolExecutor(len(folders)) as pool:  # each shard: its own worker process and gradebook
        list(pool.map(lambda f, o: shards.run(f, o, workers=1, config=LATE_CONFIG, progress=False), folders, outputs))
    merged = shards.merge_shards(course.root / "shards.db", outputs, course.root / "autograded-shards")
    yield {"course": course, "sequential": sequential, "results": {r.student: r for r in results},
           "report": report, "folders": folders, "merged": merged, "options": options}
    course.remove()


def test_the_batch_scores_exactly_as_one_sequential_run(graded):
    root = graded["course"].root
    sequential = snapshot(root / "gradebook.db", PLAIN)
    assert sequential["ann-reference"]["penalty"] > 0 and not sequential["cat-wrong"]["penalty"]
    assert sequential["cat-wrong"]["timestamp"] == dt.datetime(2026, 4, 30, 9)
    assert snapshot(root / "batch.db", PLAIN) == sequential


def test_the_shards_merged_score_exactly_as_one_sequential_run(graded):
    root, students = graded["course"].root, ("ann-reference", "cat-wrong")
    assert len(graded["folders"]) == 2 and len(graded["merged"]) == 2
    assert snapshot(root / "shards.db", students) == snapshot(root / "gradebook.db", students)
    for student in students:  # the graded notebooks came back too, for the feedback
        assert (root / "autograded-shards" / student / LESSON / f"{LESSON}.ipynb").is_file()
    assert not list(ROOT.glob("grading/autograded-shard-*"))


def test_one_report_line_per_submission_and_none_crashed(graded):
    lines = (graded["course"].root / "report.tsv").read_text().splitlines()
    assert lines[0].split("\t") == list(batch.REPORT_COLUMNS)
    assert sorted(line.split("\t")[0] for line in lines[1:]) == sorted(graded["results"])
    assert len(graded["results"]) == 8 and all(r.max_score == 3 for r in graded["results"].values())
    assert len(graded["report"].splitlines()) == 8


@pytest.mark.parametrize(("student", "score", "said"), [
    ("ann-reference", 3, ""),
    ("cat-wrong", 0, ""),
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
    assert "\n" not in result.problem


def test_nbgrader_alone_gives_renamed_or_duplicated_ids_nothing(graded):
    """Why the batch repairs them: one sequential nbgrader run scores both 0 (KeyError 'grade_id')."""
    seq = snapshot(graded["course"].root / "gradebook.db", ("hal-renamed", "ida-duplicated"))
    assert [seq[s]["score"] for s in seq] == [0, 0]
    assert "for student 'hal-renamed'" in graded["sequential"].stderr


def test_a_second_run_skips_what_is_graded_and_unchanged(graded):
    """As nbgrader does without --force: nothing already graded runs again (so no kernel starts here)."""
    rel = graded["course"].rel
    again = batch.grade(batch.Course(autograded=f"{rel}/autograded-batch", db=f"{rel}/batch.db",
                                     work=f"{rel}/work-batch", **graded["options"]), [LESSON], workers=1,
                        progress=False, force=False)
    skipped = {r.student: r.score for r in again if r.problem.startswith("already graded")}
    assert {"ann-reference", "cat-wrong", "hal-renamed", "ida-duplicated"} <= set(skipped)
    assert skipped["ann-reference"] == graded["results"]["ann-reference"].score
