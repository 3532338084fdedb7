"""End to end: nbgrader grades every lesson correctly, and the release is what nbgrader makes.

Each lesson is graded in its own scratch course (grading/ci-*), two lessons at a time. Four
submissions per lesson, in one nbgrader run: the solution, the untouched release, and two with
half of the answers replaced by plausible wrong ones (odd-numbered exercises wrong, then
even-numbered ones). In those two, every *right* answer is also noisy: each function it defines
warns and writes to stderr whenever it is called, and must still earn every point.

The same runs prove every notebook runs, with the rules of ``conftest.py``: the solution's cells
raise nothing and write nothing to stderr; the release's cells fail only where an exercise is
still its stub. So ``make test`` executes each notebook through nbgrader only; ``pytest solutions
notebooks`` runs them through nbval (CI does, on its second Python).
"""

from __future__ import annotations

import filecmp
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from conftest import STUB_ERRORS
from course import (
    LESSONS,
    RELEASE,
    ROOT,
    ScratchCourse,
    answer_sources,
    answers_and_tests,
    nbgrader_meta,
    noisy,
    replace_answers,
    source_path,
)
from wrong_answers import WRONG_ANSWERS

pytestmark = pytest.mark.slow
STUDENTS = ("reference", "blank", "wrong-odd", "wrong-even")


class GradedLesson:
    """One lesson, generated and autograded in a scratch course."""

    def __init__(self, lesson: str) -> None:
        self.lesson, self.course, self.wrong = lesson, ScratchCourse(), {}
        self.course.generate(lesson)
        solution = nbformat.read(source_path(lesson), as_version=4)
        self.owners = answers_and_tests(solution)
        #: Grade ids of the cells a person grades (written answers).
        self.manual = {nbgrader_meta(c)["grade_id"] for c in solution.cells
                       if c.cell_type == "markdown" and nbgrader_meta(c).get("grade")}
        self.course.submit("reference", lesson, solution)
        self.course.submit("blank", lesson, nbformat.read(self.course.release / lesson / f"{lesson}.ipynb", as_version=4))
        wrong_code = WRONG_ANSWERS.get(lesson, {})
        for parity, student in ((0, "wrong-odd"), (1, "wrong-even")):
            self.wrong[student] = {gid for i, gid in enumerate(self.owners) if i % 2 == parity and gid in wrong_code}
            answers = {g: wrong_code[g] if g in self.wrong[student] else noisy(code)
                       for g, code in answer_sources(solution).items()}
            self.course.submit(student, lesson, replace_answers(solution, answers))
        self.done = self.course.autograde(lesson)
        if self.done.returncode == 0:
            self.write_table()

    def scores(self, student: str) -> dict[str, tuple[float, float]]:
        assert self.done.returncode == 0, self.done.stderr[-4000:]
        return self.course.scores(student, self.lesson)

    def write_table(self) -> None:
        """Write the per-cell scores to build/autograde/<lesson>.md, for reports and reviews."""
        table = {student: self.scores(student) for student in STUDENTS}
        lines = [f"# Autograde of {self.lesson}", "", "| test cell | " + " | ".join(STUDENTS) + " |",
                 "|---|" + "---:|" * len(STUDENTS)]
        for gid in table["reference"]:
            lines.append(f"| {gid} | " + " | ".join(f"{table[s][gid][0]:g}/{table[s][gid][1]:g}" for s in STUDENTS) + " |")
        totals = [sum(v[0] for v in table[s].values()) for s in STUDENTS]
        top = sum(v[1] for v in table["reference"].values())
        lines.append("| **total** | " + " | ".join(f"**{t:g}/{top:g}**" for t in totals) + " |")
        lines += ["", "wrong-odd: wrong answers for " + (", ".join(sorted(self.wrong["wrong-odd"])) or "none"),
                  "wrong-even: wrong answers for " + (", ".join(sorted(self.wrong["wrong-even"])) or "none")]
        out = ROOT / "build" / "autograde" / f"{self.lesson}.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def graded(request):
    """lesson -> its GradedLesson, waiting only for that lesson; the selected lessons grade two at a time."""
    selected = {item.callspec.params["lesson"] for item in request.session.items
                if item.path == request.path and "graded" in item.fixturenames and "lesson" in item.callspec.params}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {lesson: pool.submit(GradedLesson, lesson) for lesson in LESSONS if lesson in selected}
        yield lambda lesson: futures[lesson].result()
        for future in futures.values():
            future.result().course.remove()


def test_release_equals_a_fresh_generation():
    course = ScratchCourse()
    try:
        course.generate("*")
        differing = []

        def walk(cmp, prefix=""):
            differing.extend(prefix + name for name in cmp.left_only + cmp.right_only)
            _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
            differing.extend(prefix + name for name in mismatch + errors)
            for name, sub in cmp.subdirs.items():
                walk(sub, f"{prefix}{name}/")

        walk(filecmp.dircmp(course.release, RELEASE, ignore=[".ipynb_checkpoints"]))
        assert not differing, f"notebooks/ is out of date with solutions/ ({sorted(differing)}); run `make release`"
    finally:
        course.remove()


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_exercise_has_a_wrong_answer(lesson):
    answers = answers_and_tests(nbformat.read(source_path(lesson), as_version=4))
    missing = sorted(set(answers) - set(WRONG_ANSWERS.get(lesson, {})))
    assert not missing, f"add wrong answers for {missing} to tests/wrong_answers.py"


@pytest.mark.parametrize("lesson", LESSONS)
def test_solution_gets_every_autograded_point(graded, lesson):
    scores = graded(lesson).scores("reference")
    manual = graded(lesson).manual  # nbgrader scores a written answer 0 until a person grades it
    short = {gid: s for gid, s in scores.items() if s[0] < s[1] and gid not in manual}
    assert scores and not short, f"the solution loses points in {short}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_blank_release_gets_zero(graded, lesson):
    scores = graded(lesson).scores("blank")
    earned = {gid: s for gid, s in scores.items() if s[0] > 0}
    assert scores and not earned, f"the untouched release earns points in {earned}"


def _problems(nb, allowed_errors=frozenset(), stderr=True) -> list[str]:
    """One line per cell that raised an error not in ``allowed_errors`` (or, if ``stderr``, wrote to stderr)."""
    found = []
    for number, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and out.get("ename") not in allowed_errors:
                found.append(f"cell {number} raised {out.get('ename')}: {out.get('evalue', '')[:300]}")
            elif stderr and out.get("output_type") == "stream" and out.get("name") == "stderr" and out["text"].strip():
                found.append(f"cell {number} wrote to stderr (nbgrader zeroes a test cell for this): {out['text'][:300]}")
    return found


def test_an_executed_notebook_is_read_for_errors_and_stderr():
    """The two checks above can fail: an error, a stub's error and a line on stderr are each found."""
    cell = nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook(cells=[
        cell("1", outputs=[nbformat.v4.new_output("stream", name="stdout", text="fine\n")]),
        cell("2", outputs=[nbformat.v4.new_output("stream", name="stderr", text="UserWarning: careful\n")]),
        cell("3", outputs=[nbformat.v4.new_output("error", ename="NotImplementedError", evalue="", traceback=[])]),
        cell("4", outputs=[nbformat.v4.new_output("error", ename="KeyError", evalue="'x'", traceback=[])]),
    ])
    assert [line.split(" ", 2)[1] for line in _problems(nb)] == ["1", "2", "3"]
    assert _problems(nb, STUB_ERRORS, stderr=False) == ["cell 3 raised KeyError: 'x'"]


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_solution_runs_with_no_error_and_nothing_on_stderr(graded, lesson):
    result = graded(lesson)
    problems = _problems(result.course.executed("reference", lesson))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_release_fails_only_in_exercise_stubs(graded, lesson):
    result = graded(lesson)
    problems = _problems(result.course.executed("blank", lesson), STUB_ERRORS, stderr=False)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("student", ["wrong-odd", "wrong-even"])
@pytest.mark.parametrize("lesson", LESSONS)
def test_a_wrong_answer_loses_exactly_its_cells_points(graded, lesson, student):
    result = graded(lesson)
    scores = result.scores(student)
    for answer, test_cells in result.owners.items():
        for gid in test_cells:
            score, top = scores[gid]
            if answer in result.wrong[student]:
                assert score == 0, f"{gid} gives {score}/{top} to the wrong answer for {answer}"
            else:
                assert score == top, (f"{gid} gives {score}/{top} although {answer} is right (another answer's "
                                      "mistake leaked, or its warnings or stderr reached the test cell)")
