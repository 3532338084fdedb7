"""Autograding survives hostile or broken submissions and grades each one correctly.

All of them are graded in one nbgrader run (as an instructor would grade a class) on lesson 00,
with a short cell timeout so that the endless loop costs seconds, not minutes.
"""

from __future__ import annotations

import copy

import nbformat
import pytest

from course import ScratchCourse, is_test, replace_answers, source_path

pytestmark = pytest.mark.slow
LESSON = "00-start-here"
ANSWER = "ex0_1_share_failed"
RIGHT = """
import sys, warnings
import numpy as np
def share_failed(status_codes):
    codes = np.asarray(list(status_codes), dtype=int)
    return 0.0 if codes.size == 0 else float(np.mean(codes >= 400))
"""
WRONG = "def share_failed(status_codes):\n    return 0.5\n"

# student -> (how the submission is made, expected share of the autograded points)
CASES = {
    "loops-forever": ({ANSWER: "while True:\n    pass\n"}, 0.0),
    "exits-kernel": ({ANSWER: "import os\nos._exit(1)\n"}, 0.0),
    "floods-output": ({ANSWER: "for i in range(20_000):\n    print('flood ' * 20)\n" + RIGHT}, 1.0),
    "prints-warnings": ({ANSWER: RIGHT.replace("    codes =", "    warnings.warn('careful')\n"
                                               "    print('debug', file=sys.stderr)\n    codes =")}, 1.0),
    "edits-tests": ({ANSWER: WRONG}, 0.0),
    "deletes-tests-right-answer": ({ANSWER: RIGHT}, 1.0),
    "deletes-tests-wrong-answer": ({ANSWER: WRONG}, 0.0),
    "not-json": (None, 0.0),
    "honest": ({}, 1.0),
}


@pytest.fixture(scope="module")
def graded():
    course = ScratchCourse()
    course.generate(LESSON)
    reference = nbformat.read(source_path(LESSON), as_version=4)
    for student, (answers, _) in CASES.items():
        if answers is None:
            course.submit(student, LESSON, '{"cells": [')  # a truncated upload
            continue
        nb = replace_answers(reference, answers)
        if student == "edits-tests":
            for cell in nb.cells:
                if is_test(cell):
                    cell.source = "pass"
        if student.startswith("deletes-tests"):
            nb = copy.deepcopy(nb)
            nb.cells = [cell for cell in nb.cells if not is_test(cell)]
        course.submit(student, LESSON, nb)
    done = course.autograde(LESSON, "--Execute.timeout=5")
    yield course, done
    course.remove()


@pytest.mark.parametrize("student", CASES)
def test_each_submission_gets_the_right_score(graded, student):
    course, _ = graded
    scores = course.scores(student, LESSON)
    earned, top = sum(s for s, _ in scores.values()), sum(m for _, m in scores.values())
    assert top > 0 and earned == CASES[student][1] * top, f"{student}: {earned}/{top}, {scores}"


def test_the_batch_reports_the_submissions_it_could_not_run(graded):
    _, done = graded
    assert "for student 'exits-kernel'" in done.stderr and "for student 'not-json'" in done.stderr
    assert "for student 'honest'" not in done.stderr
