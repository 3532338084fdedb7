"""End to end: nbgrader grades every lesson correctly, and the release is what nbgrader makes.

One scratch course (grading/ci-*) generates the release and autogrades, in one nbgrader run,
four submissions per lesson: the solution, the untouched release, and two with half of the
answers replaced by plausible wrong ones (odd-numbered exercises wrong, then even-numbered).
"""

from __future__ import annotations

import filecmp

import nbformat
import pytest

from course import LESSONS, RELEASE, ScratchCourse, answers_and_tests, replace_answers, source_path
from wrong_answers import WRONG_ANSWERS

pytestmark = pytest.mark.slow


def _wrong_half(lesson: str, parity: int):
    nb = nbformat.read(source_path(lesson), as_version=4)
    answers = list(answers_and_tests(nb))
    wrong = {gid: WRONG_ANSWERS[lesson][gid] for i, gid in enumerate(answers) if i % 2 == parity}
    return replace_answers(nb, wrong), set(wrong)


@pytest.fixture(scope="module")
def graded():
    course = ScratchCourse()
    course.generate()
    wrong_sets = {}
    for lesson in LESSONS:
        course.submit("reference", lesson, nbformat.read(source_path(lesson), as_version=4))
        course.submit("blank", lesson, nbformat.read(course.release / lesson / f"{lesson}.ipynb", as_version=4))
        for parity, student in ((0, "wrong-odd"), (1, "wrong-even")):
            if lesson in WRONG_ANSWERS:
                nb, wrong = _wrong_half(lesson, parity)
                course.submit(student, lesson, nb)
                wrong_sets[student, lesson] = wrong
    done = course.autograde()
    assert done.returncode == 0, done.stderr[-4000:]
    yield course, wrong_sets
    course.remove()


def test_release_equals_a_fresh_generation(graded):
    course, _ = graded
    fresh, committed = course.release, RELEASE
    comparison = filecmp.dircmp(fresh, committed, ignore=[".ipynb_checkpoints"])
    differing = []

    def walk(cmp, prefix=""):
        differing.extend(prefix + name for name in cmp.left_only + cmp.right_only + cmp.diff_files)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        differing.extend(prefix + name for name in mismatch + errors)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(comparison)
    assert not differing, f"notebooks/ is out of date with solutions/ ({sorted(set(differing))}); run `make release`"


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_exercise_has_a_wrong_answer(lesson):
    answers = answers_and_tests(nbformat.read(source_path(lesson), as_version=4))
    missing = sorted(set(answers) - set(WRONG_ANSWERS.get(lesson, {})))
    assert not missing, f"add wrong answers for {missing} to tests/wrong_answers.py"


@pytest.mark.parametrize("lesson", LESSONS)
def test_solution_gets_every_autograded_point(graded, lesson):
    course, _ = graded
    scores = course.scores("reference", lesson)
    short = {gid: s for gid, s in scores.items() if s[0] < s[1] and not gid.startswith("written")}
    assert scores and not short, f"the solution loses points in {short}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_blank_release_gets_zero(graded, lesson):
    course, _ = graded
    scores = course.scores("blank", lesson)
    earned = {gid: s for gid, s in scores.items() if s[0] > 0}
    assert scores and not earned, f"the untouched release earns points in {earned}"


@pytest.mark.parametrize("student", ["wrong-odd", "wrong-even"])
@pytest.mark.parametrize("lesson", LESSONS)
def test_a_wrong_answer_loses_exactly_its_cells_points(graded, lesson, student):
    course, wrong_sets = graded
    if (student, lesson) not in wrong_sets:
        pytest.fail(f"{lesson} has no wrong answers in tests/wrong_answers.py")
    owners = answers_and_tests(nbformat.read(source_path(lesson), as_version=4))
    scores = course.scores(student, lesson)
    for answer, test_cells in owners.items():
        for gid in test_cells:
            score, top = scores[gid]
            if answer in wrong_sets[student, lesson]:
                assert score == 0, f"{gid} gives {score}/{top} to the wrong answer for {answer}"
            else:
                assert score == top, f"{gid} gives {score}/{top} although {answer} is right (another exercise's mistake leaked)"
