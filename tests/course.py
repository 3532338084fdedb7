"""Helpers for the course-level tests: the lesson list and a scratch nbgrader course.

A scratch course lives in ``grading/ci-<random>/`` *inside* the repository, because lesson
notebooks find ``datasets/`` by walking up from the folder they run in.
"""

from __future__ import annotations

import ast
import copy
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
RELEASE = ROOT / "notebooks"
BIN = Path(sys.executable).parent

sys.path.insert(0, str(ROOT / "grading"))
from authoring import (  # noqa: E402, F401  (re-exported for the tests)
    CHECKS_TAG,
    NAV_TAG,
    checks_cells,
    lessons,
    missing_lesson_references,
    navigation,
    stated_minutes,
    study_minutes,
)

LESSONS = lessons()
#: A line that gives its cell a short time limit in a scratch course made with ``short_timeout``: a
#: submission's endless loop then costs seconds, not the course's ``Execute.timeout`` (the same
#: interrupt, sooner), and no other cell's limit changes.
SHORT_TIMEOUT_MARK = "# (scratch course: this cell has a short time limit)"


def source_path(lesson: str) -> Path:
    return SOLUTIONS / lesson / f"{lesson}.ipynb"


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_answer(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and meta.get("solution") and not meta.get("grade")


def is_test(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")


def answers_and_tests(nb) -> dict[str, list[str]]:
    """Map each answer cell's grade id to the grade ids of the test cells that follow it."""
    owner, result = None, {}
    for cell in nb.cells:
        if is_answer(cell):
            owner = nbgrader_meta(cell)["grade_id"]
            result[owner] = []
        elif is_test(cell) and owner:
            result[owner].append(nbgrader_meta(cell)["grade_id"])
    return result


def is_graded(lesson: str) -> bool:
    """Whether the lesson's solution has any graded cell (an appendix without exercises has none)."""
    nb = nbformat.read(source_path(lesson), as_version=4)
    return any(nbgrader_meta(cell).get("grade") for cell in nb.cells)


GRADED_LESSONS = [lesson for lesson in LESSONS if is_graded(lesson)]


def course_cell_timeout() -> float:
    """The course's per-cell limit while autograding (``Execute.timeout`` in nbgrader_config.py)."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config().Execute.timeout


def empty_gradebook(path: Path) -> Path:
    """A new gradebook at ``path``: nbgrader's tables, made directly.

    ``Gradebook()`` on a new file runs ``alembic heads`` in a subprocess (2.5 s here) to stamp its
    schema version; on a file that has the tables it does not, and nothing else reads the stamp.
    """
    from nbgrader.api import Base
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


class ScratchCourse:
    """An nbgrader course in grading/ci-*/ with its own release, submissions and gradebook."""

    def __init__(self, sandbox: bool = False, short_timeout: float | None = None) -> None:
        (ROOT / "grading").mkdir(exist_ok=True)
        #: Autograde in the sandbox of ``grading/sandbox.py``, as ``make grade`` does.
        self.sandbox = sandbox
        self.root = Path(tempfile.mkdtemp(prefix="ci-", dir=ROOT / "grading"))
        self.rel = self.root.relative_to(ROOT)
        self.db_url = f"sqlite:///{empty_gradebook(self.root / 'gradebook.db')}"
        self.release = self.root / "release"
        self.config = []
        if short_timeout:  # cells carrying SHORT_TIMEOUT_MARK get it; every other cell keeps the course's limit
            extra = self.root / "scratch_config.py"
            extra.write_text(f"c = get_config()  # noqa: F821\nc.Execute.timeout_func = lambda cell: "
                             f"{short_timeout!r} if {SHORT_TIMEOUT_MARK!r} in cell.source else {course_cell_timeout()!r}\n")
            self.config = [f"--JupyterApp.config_file={extra}"]

    def nbgrader(self, *args: str, timeout: float = 1800, env: dict | None = None) -> subprocess.CompletedProcess:
        overrides = [
            f"--CourseDirectory.release_directory={self.rel}/release",
            f"--CourseDirectory.submitted_directory={self.rel}/submitted",
            f"--CourseDirectory.autograded_directory={self.rel}/autograded",
            f"--CourseDirectory.feedback_directory={self.rel}/feedback",
            f"--CourseDirectory.db_url={self.db_url}",
        ]
        path = os.pathsep.join(filter(None, [str(ROOT / "grading"), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": path, **(env or {})}
        return subprocess.run(
            [str(BIN / "nbgrader"), *args, *overrides, *self.config, "--log-level=WARN"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
        )

    def generate(self, lesson: str = "*") -> None:
        done = self.nbgrader("generate_assignment", lesson, "--force")
        assert done.returncode == 0, done.stderr[-3000:]

    def submit(self, student: str, lesson: str, nb) -> None:
        folder = self.root / "submitted" / student / lesson
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{lesson}.ipynb"
        if isinstance(nb, str):
            path.write_text(nb)
        else:
            nbformat.write(nb, path)

    def autograde(self, lesson: str = "*", *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        sandbox = ["--Execute.kernel_manager_class=sandbox.SandboxKernelManager"] if self.sandbox else []
        return self.nbgrader("autograde", lesson, *sandbox, *args, env=env)

    def scores(self, student: str, lesson: str) -> dict[str, tuple[float, float]]:
        """grade id -> (score, max score) for every graded cell of one submission."""
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url, course_id="ml-checkup") as gb:
            nb = gb.find_submission_notebook(lesson, lesson, student)
            return {g.name: (float(g.score), float(g.max_score)) for g in nb.grades}

    def executed(self, student: str, lesson: str):
        """The notebook as nbgrader ran it for ``student``, outputs included."""
        return nbformat.read(self.root / "autograded" / student / lesson / f"{lesson}.ipynb", as_version=4)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def replace_answers(nb, new_sources: dict[str, str]):
    """A copy of ``nb`` whose answer cells named in ``new_sources`` hold the given code."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if is_answer(cell) and gid in new_sources:
            cell.source = new_sources[gid]
    return nb


#: Appended to a correct answer by :func:`noisy`: each function it defines warns, writes to stderr
#: and logs a warning (root logger) on every call, as a student's debugging leftovers do.
_NOISE = """
import functools as _noise_functools, logging as _noise_logging, sys as _noise_sys, warnings as _noise_warnings


def _noisy(fn):
    @_noise_functools.wraps(fn)
    def noisy_fn(*args, **kwargs):
        _noise_warnings.warn(f"{fn.__name__}: a warning from the student's code", UserWarning, stacklevel=2)
        print(f"{fn.__name__}: a line on stderr from the student's code", file=_noise_sys.stderr)
        _noise_logging.warning(f"{fn.__name__}: a log line from the student's code")  # a root handler on stderr
        return fn(*args, **kwargs)
    return noisy_fn
"""


def noisy(source: str) -> str:
    """``source`` with every top-level function it defines wrapped to warn and print to stderr when called."""
    names = [node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)]
    wraps = "".join(f"{name} = _noisy({name})\n" for name in names)
    return f"{source}\n{_NOISE}\n{wraps}" if names else source


def answer_sources(nb) -> dict[str, str]:
    """Answer grade id -> the answer cell's code."""
    return {nbgrader_meta(cell)["grade_id"]: cell.source for cell in nb.cells if is_answer(cell)}
