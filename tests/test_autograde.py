"""End to end: nbgrader grades every lesson correctly, and the release is what nbgrader makes.

Each lesson is graded in scratch courses (grading/ci-*), in two nbgrader runs of two submissions.
``make test`` grades the solution and the untouched release. ``make test-grading`` (marker
``grading``) grades two more, with half of the answers replaced by plausible wrong ones
(odd-numbered exercises wrong, then even-numbered ones). In those two, every *right* answer is
also noisy: each function it defines warns and writes to stderr whenever it is called, and must
still earn every point. In wrong-odd, the first wrong answer also ends in an
endless loop: the per-cell time limit interrupts it and it costs only its own cells' points. In
wrong-even, the first wrong answer kills its kernel (``os._exit``): a fresh kernel re-runs the cells
above it (grading/execute.py) and, again, only that answer's cells lose points.

The same runs prove every notebook runs, with the rules of ``conftest.py``: the solution's cells
raise nothing and write nothing to stderr; the release's cells fail only where an exercise is
still its stub. So ``make test`` executes each notebook through nbgrader only; ``pytest solutions
notebooks`` runs them through nbval (CI does, on its second Python). A lesson without graded cells
(an appendix) is run once, as the solution, and not graded.

Each run is its own class, so its own xdist scope (``--dist=loadscope``): two workers grade two
runs at a time, the longest first; under ``-n 0`` the selected runs grade two at a time in threads.
"""

from __future__ import annotations

import filecmp
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from conftest import STUB_ERRORS, group_seconds
from course import (
    LESSONS,
    RELEASE,
    ROOT,
    SHORT_TIMEOUT_MARK,
    ScratchCourse,
    answer_sources,
    answers_and_tests,
    is_graded,
    nbgrader_meta,
    noisy,
    replace_answers,
    source_path,
)
from wrong_answers import WRONG_ANSWERS

pytestmark = pytest.mark.slow
#: The submissions of each run: ``make test`` grades the first, ``make test-grading`` the second.
RUNS = {"course": ("reference", "blank"), "wrong": ("wrong-odd", "wrong-even")}
#: Longest first (conftest.GROUP_SECONDS), so that two at a time finish together.
ORDER = sorted(LESSONS, key=lambda lesson: -group_seconds(f"autograde-{lesson}"))
GRADED = [lesson for lesson in ORDER if is_graded(lesson)]
#: Ends wrong-odd's first wrong answer: a loop a student left in (a short limit in the scratch course).
LOOP = f"\n\nimport time\nwhile True:  {SHORT_TIMEOUT_MARK}\n    time.sleep(0.05)\n"
LOOP_SECONDS = 3
#: Ends wrong-even's first wrong answer: a crash that takes the kernel down.
DIE = "\n\nimport os\nos._exit(1)\n"


class GradedLesson:
    """One lesson, generated and autograded in a scratch course: the submissions of one of ``RUNS``."""

    def __init__(self, lesson: str, run: str) -> None:
        self.lesson, self.run, self.wrong, self.looping, self.dying = lesson, run, {}, None, None
        self.course = ScratchCourse(short_timeout=LOOP_SECONDS)
        self.course.generate(lesson)
        solution = nbformat.read(source_path(lesson), as_version=4)
        self.owners = answers_and_tests(solution)
        #: Grade ids of the cells a person grades (written answers).
        self.manual = {nbgrader_meta(c)["grade_id"] for c in solution.cells
                       if c.cell_type == "markdown" and nbgrader_meta(c).get("grade")}
        self.students = RUNS[run] if is_graded(lesson) else ("reference",)  # an appendix is only run
        if "reference" in self.students:
            self.course.submit("reference", lesson, solution)
        if "blank" in self.students:
            self.course.submit("blank", lesson, nbformat.read(self.course.release / lesson / f"{lesson}.ipynb",
                                                              as_version=4))
        if "wrong-odd" in self.students:
            self.submit_wrong_answers(solution)
        self.done = self.course.autograde(lesson)
        if self.done.returncode == 0 and is_graded(lesson):
            self.write_table()

    def submit_wrong_answers(self, solution) -> None:
        """The wrong-odd and wrong-even submissions (the first wrong answer loops, or dies)."""
        lesson = self.lesson
        wrong_code = WRONG_ANSWERS.get(lesson, {})
        for parity, student in ((0, "wrong-odd"), (1, "wrong-even")):
            self.wrong[student] = [gid for i, gid in enumerate(self.owners) if i % 2 == parity and gid in wrong_code]
            answers = {g: wrong_code[g] if g in self.wrong[student] else noisy(code)
                       for g, code in answer_sources(solution).items()}
            if student == "wrong-odd" and self.wrong[student]:
                self.looping = self.wrong[student][0]
                answers[self.looping] += LOOP
            if student == "wrong-even" and self.wrong[student]:
                self.dying = self.wrong[student][0]
                answers[self.dying] += DIE
            self.course.submit(student, lesson, replace_answers(solution, answers))

    def scores(self, student: str) -> dict[str, tuple[float, float]]:
        assert self.done.returncode == 0, self.done.stderr[-4000:]
        return self.course.scores(student, self.lesson)

    def write_table(self) -> None:
        """Write the per-cell scores to build/autograde/<lesson>.<run>.md, for reports and reviews."""
        students = self.students
        table = {student: self.scores(student) for student in students}
        lines = [f"# Autograde of {self.lesson} ({self.run} run)", "", "| test cell | " + " | ".join(students) + " |",
                 "|---|" + "---:|" * len(students)]
        for gid in table[students[0]]:
            lines.append(f"| {gid} | " + " | ".join(f"{table[s][gid][0]:g}/{table[s][gid][1]:g}" for s in students) + " |")
        totals = [sum(v[0] for v in table[s].values()) for s in students]
        top = sum(v[1] for v in table[students[0]].values())
        lines.append("| **total** | " + " | ".join(f"**{t:g}/{top:g}**" for t in totals) + " |")
        if self.wrong:
            lines += ["", "wrong-odd: wrong answers for " + (", ".join(sorted(self.wrong["wrong-odd"])) or "none")
                      + (f" ({self.looping} also loops forever)" if self.looping else ""),
                      "wrong-even: wrong answers for " + (", ".join(sorted(self.wrong["wrong-even"])) or "none")
                      + (f" ({self.dying} also kills its kernel)" if self.dying else "")]
        out = ROOT / "build" / "autograde" / f"{self.lesson}.{self.run}.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def graded(request):
    """(lesson, run) -> its GradedLesson, graded once, when first asked for.

    Under xdist each worker grades the runs (scopes) it is given, one at a time; without it, the
    selected runs start at once, two at a time, in the collection's order (longest first).
    """
    futures = {}
    under_xdist = hasattr(request.config, "workerinput")
    with ThreadPoolExecutor(max_workers=1 if under_xdist else 2) as pool:
        if not under_xdist:
            selected = dict.fromkeys((item.cls.LESSON, item.cls.RUN) for item in request.session.items
                                     if item.path == request.path and hasattr(item.cls, "RUN"))
            futures = {key: pool.submit(GradedLesson, *key) for key in selected}

        def get(lesson, run):
            if (lesson, run) not in futures:
                futures[lesson, run] = pool.submit(GradedLesson, lesson, run)
            return futures[lesson, run].result()

        yield get
        for future in futures.values():
            future.result().course.remove()


def test_the_release_has_a_folder_for_each_lesson_and_no_other():
    folders = {p.name for p in RELEASE.iterdir() if not p.name.startswith(".")}
    assert folders == set(LESSONS), f"notebooks/ is out of date with solutions/ ({sorted(folders ^ set(LESSONS))})"


@pytest.mark.parametrize("lesson", [lesson for lesson in ORDER if lesson not in GRADED])
def test_a_lesson_without_graded_cells_is_released_as_it_is_written(lesson):
    """An appendix: the release holds the solution's cells unchanged (nothing to strip)."""
    solution = nbformat.read(source_path(lesson), as_version=4)
    release = nbformat.read(RELEASE / lesson / f"{lesson}.ipynb", as_version=4)
    assert [c.source for c in release.cells] == [c.source for c in solution.cells]


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_exercise_has_a_wrong_answer(lesson):
    answers = answers_and_tests(nbformat.read(source_path(lesson), as_version=4))
    missing = sorted(set(answers) - set(WRONG_ANSWERS.get(lesson, {})))
    assert not missing, f"add wrong answers for {missing} to tests/wrong_answers.py"


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


class _Lesson:
    """What every lesson's course run proves; a ``TestLesson<id>`` class below binds each lesson.

    A class per run makes each run one xdist scope (``SCOPE``, ``--dist=loadscope``), so two workers
    grade two runs at a time, the longest first (conftest.py orders them).
    """

    RUN = "course"

    def test_release_equals_a_fresh_generation(self, graded, lesson):
        """notebooks/<lesson>/ is byte for byte what nbgrader generated in the lesson's scratch course."""
        differing = []

        def walk(cmp, prefix=""):
            differing.extend(prefix + name for name in cmp.left_only + cmp.right_only)
            _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
            differing.extend(prefix + name for name in mismatch + errors)
            for name, sub in cmp.subdirs.items():
                walk(sub, f"{prefix}{name}/")

        walk(filecmp.dircmp(graded(lesson, self.RUN).course.release / lesson, RELEASE / lesson, ignore=[".ipynb_checkpoints"]))
        assert not differing, (f"notebooks/{lesson} is out of date with solutions/ ({sorted(differing)}); "
                               f"run `make release ASSIGNMENT={lesson}`")

    def test_the_solution_runs_with_no_error_and_nothing_on_stderr(self, graded, lesson):
        result = graded(lesson, self.RUN)
        problems = _problems(result.course.executed("reference", lesson))
        assert not problems, "\n".join(problems)


class _GradedLesson(_Lesson):
    """What a lesson with graded cells proves besides."""

    def test_solution_gets_every_autograded_point(self, graded, lesson):
        scores = graded(lesson, self.RUN).scores("reference")
        manual = graded(lesson, self.RUN).manual  # nbgrader scores a written answer 0 until a person grades it
        short = {gid: s for gid, s in scores.items() if s[0] < s[1] and gid not in manual}
        assert scores and not short, f"the solution loses points in {short}"

    def test_blank_release_gets_zero(self, graded, lesson):
        scores = graded(lesson, self.RUN).scores("blank")
        earned = {gid: s for gid, s in scores.items() if s[0] > 0}
        assert scores and not earned, f"the untouched release earns points in {earned}"

    def test_the_release_fails_only_in_exercise_stubs(self, graded, lesson):
        result = graded(lesson, self.RUN)
        problems = _problems(result.course.executed("blank", lesson), STUB_ERRORS, stderr=False)
        assert not problems, "\n".join(problems)



class _WrongAnswers:
    """What a lesson's wrong run proves (``make test-grading``); ``TestWrongAnswers<id>`` binds each lesson."""

    RUN = "wrong"

    @pytest.mark.parametrize("student", RUNS["wrong"])
    def test_a_wrong_answer_loses_exactly_its_cells_points(self, graded, lesson, student):
        """Only the wrong answers' test cells score 0: not the right ones, nor after an endless loop or a dead kernel."""
        result = graded(lesson, self.RUN)
        scores = result.scores(student)
        stopped, why = {"wrong-odd": (result.looping, "CellTimeoutError"), "wrong-even": (result.dying, "DeadKernelError")}[student]
        if stopped:  # the loop ran and was stopped by the time limit; the kernel died and a fresh one went on
            errors = [out.get("ename") for cell in result.course.executed(student, lesson).cells
                      if nbgrader_meta(cell).get("grade_id") == stopped for out in cell.get("outputs", [])]
            assert why in errors, f"{stopped} should have ended in {why}: {errors}"
        for answer, test_cells in result.owners.items():
            for gid in test_cells:
                score, top = scores[gid]
                if answer in result.wrong[student]:
                    assert score == 0, f"{gid} gives {score}/{top} to the wrong answer for {answer}"
                else:
                    assert score == top, (f"{gid} gives {score}/{top} although {answer} is right (another answer's "
                                          "mistake leaked, or its warnings or stderr reached the test cell)")


for _lesson in ORDER:
    _id = _lesson.replace("-", "_")
    globals()["TestLesson" + _id] = type("TestLesson" + _id, (_GradedLesson if _lesson in GRADED else _Lesson,), {
        "LESSON": _lesson, "SCOPE": f"autograde-{_lesson}", "pytestmark": [pytest.mark.parametrize("lesson", [_lesson])]})
    if _lesson in GRADED:
        globals()["TestWrongAnswers" + _id] = type("TestWrongAnswers" + _id, (_WrongAnswers,), {
            "LESSON": _lesson, "SCOPE": f"wrong-answers-{_lesson}",
            "pytestmark": [pytest.mark.parametrize("lesson", [_lesson]), pytest.mark.grading]})
