"""nbgrader_config.py does what the course needs: checked through nbgrader's own classes, not its literals.

nbgrader only logs an error in the config file and falls back to its defaults, and a setting
under a class nbgrader does not read (``ExecutePreprocessor.timeout``) is silently ignored. So
each test builds the nbgrader object that uses a setting and checks what it does with it.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearSolutions, Execute, OverwriteCells
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted(p.name for p in (ROOT / "solutions").iterdir() if (p / f"{p.name}.ipynb").exists())


def _config():
    return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()


def _ignored_by_git(path: Path) -> bool:
    return subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT, check=False).returncode == 0


@pytest.mark.parametrize("lesson", LESSONS)
def test_nbgrader_finds_each_lesson_source_and_writes_its_release_to_notebooks(lesson):
    course = CourseDirectory(config=_config())
    source = Path(course.format_path(course.source_directory, ".", lesson))
    release = Path(course.format_path(course.release_directory, ".", lesson))
    assert (source / f"{lesson}.ipynb").is_file(), f"nbgrader looks for {lesson} in {source}"
    assert release == ROOT / "notebooks" / lesson, "make release writes where nbgrader generates"


def test_grading_outputs_land_in_git_ignored_folders_inside_the_course():
    config = _config()
    course = CourseDirectory(config=config)
    folders = [Path(course.format_path(step, "student", "00-start-here"))
               for step in (course.submitted_directory, course.autograded_directory, course.feedback_directory)]
    folders.append(Path(config.Exchange.root))
    if course.db_url.startswith(f"sqlite:///{ROOT}"):  # unless NBGRADER_DB_URL points elsewhere
        folders.append(Path(course.db_url.removeprefix("sqlite:///")))
    for path in folders:
        assert path.resolve().is_relative_to(ROOT), f"{path} is outside the course"
        assert _ignored_by_git(path), f"{path} would be committed: a student's work or grades in git"


def test_autograde_runs_notebooks_with_the_reviving_execute():
    """grading/execute.py in place of nbgrader's Execute: a dead kernel costs only its cell."""
    from nbgrader.converters import Autograde

    steps = _config().Autograde.autograde_preprocessors
    assert [step.__name__ for step in steps].count("RevivingExecute") == 1 and Execute not in steps
    assert len(steps) == len(Autograde.class_traits()["autograde_preprocessors"].default())


def test_autograde_applies_the_course_cell_timeout_and_interrupts():
    config = _config()
    from execute import RevivingExecute

    execute = RevivingExecute(config=config)  # the preprocessor autograde runs (reads the c.Execute section)
    assert "timeout" in config.Execute and execute.timeout != Execute().timeout, "nbgrader's default applies"
    assert execute.timeout is not None and 0 < execute.timeout < math.inf, "a looping cell would hang grading"
    assert execute.interrupt_on_timeout is True
    assert "timeout" not in _config().ExecutePreprocessor  # ignored by autograde (nbgrader-notes pitfall 2)


def test_a_deleted_test_cell_is_restored_when_grading():
    assert OverwriteCells(config=_config()).add_missing_cells is True


def test_the_release_stub_raises_not_implemented_error():
    cell = nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n")
    cell.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False, "grade_id": "f",
                                 "schema_version": 3}
    stubbed, _ = ClearSolutions(config=_config()).preprocess_cell(cell, {"language": "python"}, 0)
    assert "return 1" not in stubbed.source
    namespace: dict = {}
    exec(stubbed.source, namespace)  # the stub nbgrader just wrote
    with pytest.raises(NotImplementedError):
        namespace["f"]()


def test_the_release_drops_run_details_and_keeps_grading_metadata():
    last = _config().GenerateAssignment.preprocessors[-1]
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"},
                                                  "language_info": {"name": "python", "version": "3.11.9"}})
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata.update({"nbgrader": {"grade_id": "x"}, "execution": {"iopub.status.busy": "2026-01-01"}})
    notebook.cells.append(cell)
    stripped, _ = last().preprocess(notebook, {})
    assert stripped.cells[0].metadata == {"nbgrader": {"grade_id": "x"}}
    assert stripped.metadata == {"kernelspec": {"name": "python3", "display_name": "Python 3"},
                                 "language_info": {"name": "python"}}
