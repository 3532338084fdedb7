"""nbgrader_config.py loads (nbgrader only logs errors in it) and holds the intended values."""

from __future__ import annotations

from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parent.parent


def _config():
    return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()


def test_course_directories():
    course = _config().CourseDirectory
    assert course.root == str(ROOT)
    assert course.course_id == "ml-checkup"
    assert (course.source_directory, course.release_directory) == ("solutions", "notebooks")
    assert course.submitted_directory == "grading/submitted"
    assert course.autograded_directory == "grading/autograded"
    assert course.feedback_directory == "grading/feedback"
    assert course.db_url == f"sqlite:///{ROOT / 'grading' / 'gradebook.db'}"


def test_autograde_timeout_is_set_where_autograde_reads_it():
    config = _config()
    assert config.Execute.timeout == 120 and config.Execute.interrupt_on_timeout is True
    assert "timeout" not in config.ExecutePreprocessor  # ignored by autograde (nbgrader-notes pitfall 2)


def test_deleted_test_cells_are_restored_when_grading():
    assert _config().OverwriteCells.add_missing_cells is True


def test_stub_raises_not_implemented_error():
    stub = _config().ClearSolutions.code_stub["python"]
    assert "# YOUR CODE HERE" in stub and "raise NotImplementedError" in stub


def test_release_strips_volatile_metadata():
    names = [p.__name__ for p in _config().GenerateAssignment.preprocessors]
    assert names[-1] == "StripVolatileMetadata" and "ClearSolutions" in names and "ClearHiddenTests" in names


def test_exchange_folder_is_inside_the_ignored_grading_folder():
    assert _config().Exchange.root == str(ROOT / "grading" / "exchange")
