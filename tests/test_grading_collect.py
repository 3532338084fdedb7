"""Importing an LMS download (grading/collect.py) and the late policy (grading/penalties.py).

The zips are built here as each LMS names the files of its "download all submissions" archive;
the end-to-end run through nbgrader (penalties in the gradebook and grades.csv, feedback) is in
tests/test_grading_class.py.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from course import GRADED_LESSONS, ROOT, source_path

sys.path.insert(0, str(ROOT / "grading"))
from collect import collect, load_roster, parse_name
from penalties import Policy, load_schedule

from mlcheckup.errors import ValidationError

LESSON = "00-start-here"
NOTEBOOK = nbformat.writes(nbformat.read(source_path(LESSON), as_version=4)).encode()
OTHER = nbformat.writes(nbformat.read(source_path("01-why-monitor"), as_version=4)).encode()
ROSTER = (
    "student_id,name,lms_id,username\n"
    "s001,Ada Lovelace,305672,alovelace\n"
    "s002,Grace Hopper,305673,ghopper\n"
    "s003,Alan Turing,305674,aturing\n"
    "s004,Edsger Dijkstra,305675,edijkstra\n"
)


def make_zip(path: Path, entries: dict[str, bytes], when=(2027, 1, 20, 9, 0, 0)) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=when), data)
    return path


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER)
    return load_roster(path)


def stamp(submitted: Path, student: str) -> str:
    return (submitted / student / LESSON / "timestamp.txt").read_text()


def test_brightspace_download_lands_in_nbgrader_layout_with_utc_timestamps(tmp_path, roster):
    """Times in Brightspace names are the LMS's local time; timestamp.txt is UTC, as nbgrader reads it."""
    bs = "{} - {} - {} - {}"
    archive = make_zip(tmp_path / "download.zip", {
        bs.format("9001-305672", "Ada Lovelace", "Jan 18, 2027 1100 PM", f"{LESSON}.ipynb"): NOTEBOOK,
        bs.format("9002-305673", "Grace Hopper", "Jan 19, 2027 1259 AM", f"{LESSON}.ipynb"): NOTEBOOK,
        # Edsger uploaded twice: the later one counts, whatever the order in the zip
        bs.format("9004-305675", "Edsger Dijkstra", "Jan 20, 2027 905 AM", f"{LESSON}.ipynb"): NOTEBOOK,
        bs.format("9003-305675", "Edsger Dijkstra", "Jan 18, 2027 1000 AM", f"{LESSON}.ipynb"): b"{}",
        # Alan renamed his notebook: it still holds the lesson's graded cells
        bs.format("9005-305674", "Alan Turing", "Jan 18, 2027 1230 PM", f"{LESSON} (1).ipynb"): NOTEBOOK,
        bs.format("9006-305674", "Alan Turing", "Jan 18, 2027 1231 PM", "notes.pdf"): b"%PDF-1.7",
        bs.format("9007-305673", "Grace Hopper", "Jan 18, 2027 0800 AM", "01-why-monitor.ipynb"): OTHER,
        bs.format("9008-999999", "Mallory Unknown", "Jan 18, 2027 0800 AM", f"{LESSON}.ipynb"): NOTEBOOK,
        "index.html": b"<html></html>",
    })
    submitted = tmp_path / "submitted"
    result = collect(archive, LESSON, roster, submitted, tz=dt.timezone(dt.timedelta(hours=1)))

    assert sorted(result.students) == ["s001", "s002", "s003", "s004"]
    for student in result.students:
        assert (submitted / student / LESSON / f"{LESSON}.ipynb").read_bytes() == NOTEBOOK
    assert stamp(submitted, "s001") == "2027-01-18 22:00:00.000000 UTC"  # 11 PM at UTC+1
    assert stamp(submitted, "s002") == "2027-01-18 23:59:00.000000 UTC"  # 12:59 AM is 00:59
    assert stamp(submitted, "s004") == "2027-01-20 08:05:00.000000 UTC"
    text = "\n".join(result.lines)
    assert "unknown student (lms_id '999999', name 'Mallory Unknown')" in text
    assert "s004: two files; kept the latest, 9004-305675" in text
    assert f"s003: {LESSON} (1).ipynb holds {LESSON}'s graded cells; collected as {LESSON}.ipynb" in text
    assert "of s003: not the notebook of 00-start-here (expected 00-start-here.ipynb, got notes.pdf)" in text
    assert "of s002: not the notebook of 00-start-here (expected 00-start-here.ipynb, got 01-why-monitor.ipynb)" in text
    assert "skipped index.html: not an LMS submission name" in text
    assert len(result.lines) == 6  # one line each, nothing else


def test_canvas_moodle_and_blackboard_names(tmp_path, roster):
    """Canvas's -1 resubmission wins; Moodle's folder form and Blackboard's username are matched."""
    canvas = make_zip(tmp_path / "canvas.zip", {
        f"lovelaceada_305672_7001_{LESSON}.ipynb": b"{}",
        f"lovelaceada_LATE_305672_7002_{LESSON}-1.ipynb": NOTEBOOK,
        f"hoppergrace_305673_7003_{LESSON}.ipynb": NOTEBOOK,
    })
    result = collect(canvas, LESSON, roster, tmp_path / "canvas")
    assert (tmp_path / "canvas" / "s001" / LESSON / f"{LESSON}.ipynb").read_bytes() == NOTEBOOK
    assert any("kept the latest, lovelaceada_LATE_305672_7002" in line for line in result.lines)
    assert any(line.startswith("canvas file names carry no submission time") for line in result.lines)
    assert stamp(tmp_path / "canvas", "s002") == "2027-01-20 09:00:00.000000 UTC"

    moodle = make_zip(tmp_path / "moodle.zip", {
        f"Alan Turing_4411_assignsubmission_file_/{LESSON}.ipynb": NOTEBOOK,
        f"Grace Hopper_4412_assignsubmission_file_{LESSON}.ipynb": NOTEBOOK,
    })
    assert sorted(collect(moodle, LESSON, roster, tmp_path / "moodle").students) == ["s002", "s003"]

    blackboard = make_zip(tmp_path / "bb.zip", {
        f"Lesson 00_aturing_attempt_2027-01-19-10-15-00_{LESSON}.ipynb": NOTEBOOK,
        "Lesson 00_aturing_attempt_2027-01-19-10-15-00.txt": b"receipt",
    })
    result = collect(blackboard, LESSON, roster, tmp_path / "bb")
    assert stamp(tmp_path / "bb", "s003") == "2027-01-19 10:15:00.000000 UTC"
    assert len(result.lines) == 1 and result.lines[0].startswith(
        "skipped Lesson 00_aturing_attempt_2027-01-19-10-15-00.txt of s003: not the notebook")


def test_bad_inputs_get_one_clear_error(tmp_path, roster):
    (tmp_path / "not.zip").write_text("hello")
    with pytest.raises(ValidationError, match="not a readable zip file"):
        collect(tmp_path / "not.zip", LESSON, roster, tmp_path / "s")
    (tmp_path / "roster.csv").write_text("id,email\n1,a@b.c\n")
    with pytest.raises(ValidationError, match=r"needs a student_id column .* \(got columns \['email', 'id'\]\)"):
        load_roster(tmp_path / "roster.csv")
    assert parse_name("README.md") is None
    done = subprocess.run([sys.executable, str(ROOT / "grading" / "collect.py"), str(tmp_path / "not.zip"),
                           "--lesson", "99-nope", "--roster", str(tmp_path / "roster.csv")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "no lesson '99-nope' in notebooks/" in done.stderr


def test_a_notebook_that_is_not_json_is_collected_and_said(tmp_path, roster):
    archive = make_zip(tmp_path / "d.zip", {f"lovelaceada_305672_7001_{LESSON}.ipynb": b"not json"})
    result = collect(archive, LESSON, roster, tmp_path / "s")
    assert "s001" in result.students
    assert any("is not a valid notebook; collected, it will score 0" in line for line in result.lines)


@pytest.mark.parametrize(("seconds", "fraction"), [
    (0, 0), (15 * 60, 0), (15 * 60 + 1, 0.1), (3600, 0.1), (86400, 0.1), (86401, 0.2),
    (3 * 86400, 0.3), (3 * 86400 + 1, 0.4), (30 * 86400, 0.5),
])
def test_policy_grace_then_ten_percent_per_started_day_capped(seconds, fraction):
    assert Policy().fraction(seconds) == pytest.approx(fraction)


def test_schedule_file_is_read_and_checked(tmp_path):
    schedule = load_schedule()
    assert set(schedule.due) == set(GRADED_LESSONS)
    assert schedule.policy == Policy(grace_minutes=15, percent_per_day=10, cap_percent=50)
    bad = tmp_path / "s.toml"
    bad.write_text('[policy]\npercent_a_day = 10\n')
    with pytest.raises(ValidationError, match=r"unknown key\(s\) in \[policy\]: \['percent_a_day'\]"):
        load_schedule(bad)
    bad.write_text('[due]\n"00-start-here" = "tomorrow"\n')
    with pytest.raises(ValidationError, match=r"must be a TOML date-time .* \(got 'tomorrow'\)"):
        load_schedule(bad)
    naive = tmp_path / "n.toml"
    naive.write_text('[due]\n"00-start-here" = 2027-01-18T23:59:00\n')
    assert load_schedule(naive).due[LESSON] == dt.datetime(2027, 1, 18, 23, 59, tzinfo=dt.UTC)
    assert json.loads(json.dumps(str(schedule.policy)))  # printable
