"""Shards on Azure ML, offline: the split, the shard folders, the command jobs and the gradebook merge.

No notebook runs here (that is ``tests/test_grading_class.py``, which grades shards in separate
processes and compares them with one sequential run). The jobs are azure-ai-ml entities validated
by the SDK and a YAML dump → ``load_job`` round trip; the merge is checked on small gradebooks
built with nbgrader's API, for every field a grade needs.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml

from course import ROOT, empty_gradebook  # isort: skip
import gradebooks  # grading/ is on sys.path once course.py is imported
import shards
from batch import Course

LESSON = "L1"


@pytest.fixture(scope="module")
def empty(tmp_path_factory) -> Path:
    """An empty gradebook: nbgrader's tables, made directly (``Gradebook()`` would run ``alembic``, seconds)."""
    return empty_gradebook(tmp_path_factory.mktemp("gradebooks") / "empty.db")


def gradebook(empty: Path, path: Path, *, with_submission: bool):
    """A gradebook with one lesson (a test cell and an answer cell), and optionally one graded submission."""
    from nbgrader.api import Gradebook

    shutil.copyfile(empty, path)
    with Gradebook(f"sqlite:///{path}", course_id=gradebooks.COURSE_ID) as gb:
        gb.add_assignment(LESSON, duedate=dt.datetime(2026, 5, 1, 12))
        gb.add_notebook(LESSON, LESSON)
        gb.add_grade_cell("test", LESSON, LESSON, max_score=2, cell_type="code")
        gb.add_solution_cell("answer", LESSON, LESSON)
        gb.add_source_cell("test", LESSON, LESSON, cell_type="code", source="assert True")
        gb.add_source_cell("answer", LESSON, LESSON, cell_type="code", source="x = 1")
        if with_submission:
            gb.add_student("ann", first_name="Ann", lms_user_id="u-17")
            sub = gb.add_submission(LESSON, "ann", timestamp="2026-05-03 12:00:00 UTC",
                                    extension=dt.timedelta(hours=6))
            nb = sub.notebooks[0]
            nb.late_submission_penalty, nb.flagged = 0.6, True
            grade = nb.grades[0]
            grade.auto_score, grade.manual_score, grade.extra_credit, grade.needs_manual_grade = 2, 1.5, 0.5, False
            nb.comments[0].auto_comment, nb.comments[0].manual_comment = "auto", "well argued"
            gb.db.commit()
    return path


def fields(path: Path) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{path}", course_id=gradebooks.COURSE_ID) as gb:
        sub = gb.find_submission(LESSON, "ann")
        nb = sub.notebooks[0]
        return {"student": (sub.student.first_name, sub.student.lms_user_id), "timestamp": sub.timestamp,
                "extension": sub.extension, "penalty": nb.late_submission_penalty, "flagged": nb.flagged,
                "grades": [(g.name, g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade) for g in nb.grades],
                "comments": [(c.name, c.auto_comment, c.manual_comment) for c in nb.comments]}


def test_the_merge_carries_everything_a_grade_needs(empty, tmp_path):
    source = gradebook(empty, tmp_path / "shard.db", with_submission=True)
    target = gradebook(empty, tmp_path / "course.db", with_submission=False)
    assert gradebooks.merge(target, source) == [("ann", LESSON)]
    merged = fields(target)
    assert merged == fields(source)
    assert merged["penalty"] == 0.6 and merged["timestamp"] == dt.datetime(2026, 5, 3, 12)
    assert gradebooks.merge(target, source) == [("ann", LESSON)]  # merging again replaces, never duplicates
    with sqlite3.connect(target) as db:
        assert db.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone() == (1,)


def test_the_merge_refuses_a_lesson_the_course_does_not_have(empty, tmp_path):
    source = gradebook(empty, tmp_path / "shard.db", with_submission=True)
    with pytest.raises(KeyError, match="lesson 'L1' is not in the gradebook"):
        gradebooks.merge(empty, source)


def test_the_template_keeps_lessons_and_drops_submissions(empty, tmp_path):
    blank = gradebooks.template(gradebook(empty, tmp_path / "course.db", with_submission=True), tmp_path / "t.db")
    with sqlite3.connect(blank) as db:
        assert db.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone() == (0,)
        assert db.execute("SELECT name, duedate FROM assignment").fetchall() == [(LESSON, "2026-05-01 12:00:00.000000")]
    with pytest.raises(ValueError, match="only SQLite gradebooks"):
        gradebooks.template("postgresql://db/course", tmp_path / "t.db")


def test_split_deals_students_in_turn_and_keeps_each_student_in_one_shard():
    pairs = [(s, lesson) for s in ("a", "b", "c", "d", "e") for lesson in ("00", "01")]
    dealt = shards.split(pairs, 2)
    assert [sorted({s for s, _ in shard}) for shard in dealt] == [["a", "c", "e"], ["b", "d"]]
    assert sorted(p for shard in dealt for p in shard) == sorted(pairs)
    assert len(shards.split(pairs[:2], 8)) == 1  # never an empty shard
    with pytest.raises(ValueError, match="received 0"):
        shards.split(pairs, 0)


def test_pack_writes_each_shard_with_its_submissions_and_a_blank_gradebook(empty, tmp_path):
    course_db = gradebook(empty, tmp_path / "course.db", with_submission=True)
    submitted = tmp_path / "submitted"
    for student in ("ann", "bob", "cyd"):
        (submitted / student / LESSON).mkdir(parents=True)
        (submitted / student / LESSON / f"{LESSON}.ipynb").write_text("{}")
    folders = shards.pack(Course(submitted=str(submitted), db=str(course_db)), 2, tmp_path / "out")
    assert [f.name for f in folders] == ["shard-1", "shard-2"]
    assert sorted(p.name for p in (folders[0] / "submitted").iterdir()) == ["ann", "cyd"]
    assert (folders[1] / "submitted" / "bob" / LESSON / f"{LESSON}.ipynb").is_file()
    with sqlite3.connect(folders[0] / "template.db") as db:
        assert db.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone() == (0,)
    shards.pack(Course(submitted=str(submitted), db=str(course_db)), 3, tmp_path / "out")  # replaces a pack
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["shard-1", "shard-2", "shard-3"]
    with pytest.raises(FileExistsError, match="not shards"):
        shards.pack(Course(submitted=str(submitted), db=str(course_db)), 2, tmp_path)  # never wipes other files


@pytest.fixture(scope="module")
def job_yaml(tmp_path_factory):
    out = tmp_path_factory.mktemp("jobs")
    context = shards.environment_context(out / "environment")
    job = shards.command_job(2, f"{shards.DATASTORE}/shard-2/", context, compute="gpu-free-cluster", workers=4)
    return job, shards.validated_yaml(job, out / "shard-2.yml"), context


def test_each_shard_is_an_azure_ml_command_job_that_survives_a_yaml_round_trip(job_yaml):
    job, text, _ = job_yaml
    spec = yaml.safe_load(text)
    assert spec["type"] == "command" and spec["compute"] == "azureml:gpu-free-cluster"
    assert spec["inputs"]["submissions"] == {"type": "uri_folder", "path": f"{shards.DATASTORE}/shard-2/",
                                             "mode": "ro_mount"}
    assert spec["outputs"]["gradebook"]["type"] == "uri_folder"
    assert "--input ${{inputs.submissions}} --output ${{outputs.gradebook}} --workers 4" in spec["command"]
    assert spec["environment_variables"]["SANDBOX"] == "refuse"
    assert job.code == str(ROOT)


def test_the_job_environment_is_built_from_the_course_lock_with_bubblewrap(job_yaml):
    _, text, context = job_yaml
    assert yaml.safe_load(text)["environment"]["build"]["path"] == str(context)
    assert (context / "requirements.txt").read_bytes() == (ROOT / "requirements.txt").read_bytes()
    dockerfile = (context / "Dockerfile").read_text()
    assert "bubblewrap" in dockerfile and "-r /tmp/requirements.txt" in dockerfile and "python=3.11" in dockerfile


def test_a_job_with_an_unknown_sandbox_mode_is_refused(tmp_path):
    with pytest.raises(ValueError, match="received 'maybe'"):
        shards.command_job(1, "azureml:shard:1", tmp_path, sandbox="maybe")


def test_a_round_trip_that_changes_the_job_is_caught(job_yaml, tmp_path, monkeypatch):
    import azure.ai.ml

    real = azure.ai.ml.load_job

    def lossy(path):  # a schema that drops what the job runs
        loaded = real(path)
        loaded.command = "python something-else.py"
        return loaded

    monkeypatch.setattr(azure.ai.ml, "load_job", lossy)
    with pytest.raises(ValueError, match=r"changes in a YAML round trip, in \['command'\]"):
        shards.validated_yaml(job_yaml[0], tmp_path / "job.yml")
