"""Import an LMS download into nbgrader's layout, with course student ids and submission times.

    python grading/collect.py <download.zip> --lesson 01-why-monitor --roster roster.csv [--tz Europe/Paris]

Each notebook in the zip becomes ``grading/submitted/<student>/<lesson>/<lesson>.ipynb`` with a
``timestamp.txt`` beside it (nbgrader's format, UTC), which ``nbgrader autograde`` compares with the
lesson's due date (``grading/penalties.py``). It does what ``nbgrader zip_collect`` does with a
``FileNameCollectorPlugin``, plus a roster and the checks below, and prints one line per file that
it skips or changes and never stops at a bad one:

- a student not in the roster: skipped (add them to the roster and run again);
- two files for one student: the latest is kept and the line says which;
- a file that is not the lesson's notebook (another extension, or a notebook holding less than half
  of the lesson's graded cells): skipped; a renamed notebook that holds them is collected, and said so.

File names, as each LMS writes them in its "download all submissions" zip:

===========  ====================================================================================
blackboard   ``<Assignment>_<username>_attempt_2027-01-25-23-41-07_<file>`` (time in the LMS's zone)
brightspace  ``<sub>-<user id> - <First Last> - Jan 25, 2027 1141 PM - <file>`` (LMS's time zone)
canvas       ``<lastfirst>[_LATE]_<user id>_<submission id>_<file>`` (resubmissions end ``-1``, ``-2``)
moodle       ``<First Last>_<participant id>_assignsubmission_file_<file>`` (also as a folder)
===========  ====================================================================================

Canvas and Moodle names carry no time: the time is then the zip entry's, which may be the
download's; the run says so once; check it before applying late penalties.

The roster is a CSV with a ``student_id`` column (the course's id, used in the gradebook) and any
of ``lms_id`` (Canvas, Brightspace and Moodle number), ``username`` (Blackboard) and ``name``
(First Last; Canvas's ``lastfirst`` and Moodle's full name are matched against it).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import shutil
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mlcheckup.errors import ValidationError

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["Collected", "Submission", "collect", "load_roster", "parse_name"]

_MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)}
PATTERNS = {
    "blackboard": re.compile(
        r"^(?P<assignment>.+)_(?P<username>[^_]+)_attempt_"
        r"(?P<time>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})(?:_(?P<file>.+)|\.txt)$"),
    "brightspace": re.compile(
        r"^(?P<submission>\d+)-(?P<lms_id>\d+) - (?P<name>.+?) - "
        r"(?P<mon>[A-Z][a-z]{2}) (?P<day>\d{1,2}), (?P<year>\d{4}) (?P<hour>\d{1,2})(?P<minute>\d{2}) "
        r"(?P<ampm>[AP]M) - (?P<file>.+)$"),
    "moodle": re.compile(r"^(?P<name>.+?)_(?P<lms_id>\d+)_assignsubmission_(?:file|onlinetext)_/?(?P<file>.+)$"),
    "canvas": re.compile(r"^(?P<name>[a-z]+)(?P<late>_LATE)?_(?P<lms_id>\d+)_(?P<submission>\d+)_(?P<file>.+)$"),
}
MAX_BYTES = 100 * 2**20  # a lesson notebook with outputs is a few MB; a zip bomb is not read
_CANVAS_COPY = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)$")


@dataclass
class Submission:
    """One file of the download, as its name describes it."""

    entry: str
    lms: str
    file: str
    time: dt.datetime | None
    keys: dict = field(default_factory=dict)
    attempt: int = 0  # Canvas's -1, -2 suffix: a later upload of the same file


def _brightspace_time(m: re.Match, tz) -> dt.datetime:
    hour = int(m["hour"]) % 12 + (12 if m["ampm"] == "PM" else 0)
    return dt.datetime(int(m["year"]), _MONTHS[m["mon"]], int(m["day"]), hour, int(m["minute"]), tzinfo=tz)


def parse_name(entry: str, tz=dt.UTC) -> Submission | None:
    """Describe a zip entry from its LMS file name, or return None if no LMS pattern fits.

    Parameters
    ----------
    entry : str
        The entry's path inside the zip (Moodle's folder form ``<name>_<id>_assignsubmission_file_/x``
        is joined back into one name).
    tz : tzinfo
        The LMS's time zone, for names that carry a local time (Blackboard, Brightspace).
    """
    parts = PurePosixPath(entry).parts
    folder = [i for i, part in enumerate(parts) if part.endswith("_assignsubmission_file_")]
    name = "".join(parts[folder[-1]:]) if folder else parts[-1]
    for lms, pattern in PATTERNS.items():
        m = pattern.match(name)
        if not m:
            continue
        groups = {k: v for k, v in m.groupdict().items() if v}
        time = None
        if lms == "blackboard":
            time = dt.datetime.strptime(m["time"], "%Y-%m-%d-%H-%M-%S").replace(tzinfo=tz)
        elif lms == "brightspace":
            time = _brightspace_time(m, tz)
        file = groups.get("file", "")
        attempt = 0
        if lms == "canvas":
            stem, suffix = PurePosixPath(file).stem, PurePosixPath(file).suffix
            copy = _CANVAS_COPY.match(stem)
            if copy:
                file, attempt = copy["stem"] + suffix, int(copy["n"])
        keys = {k: groups[k] for k in ("lms_id", "username", "name") if k in groups}
        return Submission(entry=entry, lms=lms, file=file, time=time, keys=keys, attempt=attempt)
    return None


def _name_keys(name: str) -> set[str]:
    """Forms an LMS writes a name in: 'ada lovelace' (Moodle, Brightspace), 'lovelaceada' (Canvas)."""
    words = re.sub(r"[^a-z ]", "", name.lower()).split()
    return {" ".join(words), "".join(words[-1:] + words[:-1])} if words else set()


def load_roster(path: str | Path) -> dict[tuple[str, str], str]:
    """Read a roster CSV into a map (kind, LMS value) -> course student id.

    Raises
    ------
    ValidationError
        If the file is missing, has no ``student_id`` column, or none of ``lms_id``, ``username``
        and ``name``.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise ValidationError(f"cannot read the roster {path} ({exc}); pass --roster <file.csv>") from None
    columns = set(rows[0]) if rows else set()
    if "student_id" not in columns or not columns & {"lms_id", "username", "name"}:
        raise ValidationError(
            f"the roster {path} needs a student_id column and at least one of lms_id, username, name "
            f"(got columns {sorted(columns)}); export it from the LMS and add student_id"
        )
    roster = {}
    for row in rows:
        student = (row.get("student_id") or "").strip()
        if not student:
            continue
        for kind in ("lms_id", "username"):
            if (row.get(kind) or "").strip():
                roster[(kind, row[kind].strip().lower())] = student
        for key in _name_keys(row.get("name") or ""):
            roster[("name", key)] = student
    return roster


def _student(sub: Submission, roster) -> str | None:
    for kind in ("lms_id", "username"):
        if kind in sub.keys and (kind, sub.keys[kind].lower()) in roster:
            return roster[(kind, sub.keys[kind].lower())]
    for key in _name_keys(sub.keys.get("name", "")):
        if ("name", key) in roster:
            return roster[("name", key)]
    return None


def _grade_ids(data: bytes) -> set[str] | None:
    """The graded cells' ids of a notebook, or None if it is not a notebook."""
    try:
        nb = json.loads(data)
        return {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb["cells"]} - {None}
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


@dataclass
class Collected:
    """What an import did: the students collected and one line per file skipped or changed."""

    students: dict[str, Submission]
    lines: list[str]


def collect(zip_path: str | Path, lesson: str, roster: dict, submitted: str | Path,
            release: str | Path | None = None, tz=dt.UTC) -> Collected:
    """Copy the lesson's notebooks of an LMS zip into ``submitted/<student>/<lesson>/``.

    Parameters
    ----------
    zip_path : path
        The LMS's "download all submissions" zip.
    lesson : str
        The lesson id; its notebook is ``<lesson>.ipynb``.
    roster : dict
        From :func:`load_roster`.
    submitted : path
        nbgrader's submitted folder (``grading/submitted``).
    release : path, optional
        The lesson's released notebook, to recognise a renamed submission by its graded cells
        (default ``notebooks/<lesson>/<lesson>.ipynb``).
    tz : tzinfo
        The LMS's time zone, for names that carry a local time.

    Raises
    ------
    ValidationError
        If ``zip_path`` is not a readable zip file.
    """
    release = Path(release or ROOT / "notebooks" / lesson / f"{lesson}.ipynb")
    lesson_ids = _grade_ids(release.read_bytes()) if release.exists() else set()
    expected = f"{lesson}.ipynb"
    lines: list[str] = []
    chosen: dict[str, tuple[Submission, bytes]] = {}
    try:
        archive = zipfile.ZipFile(zip_path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ValidationError(f"{zip_path} is not a readable zip file ({exc}); download it again from the LMS") from None
    untimed = set()
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            sub = parse_name(info.filename, tz)
            if sub is None:
                lines.append(f"skipped {info.filename}: not an LMS submission name (Blackboard, Brightspace, "
                             "Canvas or Moodle)")
                continue
            if sub.time is None:
                sub.time = dt.datetime(*info.date_time, tzinfo=tz)
                untimed.add(sub.lms)
            student = _student(sub, roster)
            who = ", ".join(f"{k} {v!r}" for k, v in sub.keys.items())
            if student is None:
                lines.append(f"skipped {info.filename}: unknown student ({who}); add them to the roster")
                continue
            if info.file_size > MAX_BYTES:
                lines.append(f"skipped {info.filename} of {student}: {info.file_size / 2**20:.0f} MB, more than a "
                             f"notebook's {MAX_BYTES / 2**20:.0f} MB limit; ask the student for the notebook alone")
                continue
            data = archive.read(info)
            if sub.file != expected:
                ids = _grade_ids(data) if sub.file.endswith(".ipynb") else None
                if not ids or len(ids & lesson_ids) * 2 < len(lesson_ids):  # 'setup' is in every lesson
                    lines.append(f"skipped {info.filename} of {student}: not the notebook of {lesson} "
                                 f"(expected {expected}, got {sub.file or 'no file name'})")
                    continue
                lines.append(f"{student}: {sub.file} holds {lesson}'s graded cells; collected as {expected}")
            if student in chosen:
                kept, dropped = sorted([chosen[student], (sub, data)], key=lambda sd: (sd[0].time, sd[0].attempt))[::-1]
                lines.append(f"{student}: two files; kept the latest, {kept[0].entry} ({kept[0].time:%Y-%m-%d %H:%M %Z}), "
                             f"ignored {dropped[0].entry} ({dropped[0].time:%Y-%m-%d %H:%M %Z})")
                chosen[student] = kept
            else:
                chosen[student] = (sub, data)
    for lms in sorted(untimed):
        lines.append(f"{lms} file names carry no submission time: used each zip entry's time; check it "
                     "before applying late penalties")
    for student, (sub, data) in sorted(chosen.items()):
        folder = Path(submitted) / student / lesson
        if folder.exists():
            shutil.rmtree(folder)
            lines.append(f"{student}: replaced the earlier import of {lesson}")
        folder.mkdir(parents=True)
        (folder / expected).write_bytes(data)
        if _grade_ids(data) is None:
            lines.append(f"{student}: {sub.entry} is not a valid notebook; collected, it will score 0")
        utc = sub.time.astimezone(dt.UTC)
        (folder / "timestamp.txt").write_text(f"{utc:%Y-%m-%d %H:%M:%S.%f} UTC")
    return Collected(students={s: sd[0] for s, sd in chosen.items()}, lines=lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zip", help="the LMS's download of all submissions (.zip)")
    parser.add_argument("--lesson", required=True, help="lesson id, e.g. 01-why-monitor")
    parser.add_argument("--roster", required=True, help="CSV: student_id and lms_id / username / name")
    parser.add_argument("--submitted", default=str(ROOT / "grading" / "submitted"), help="nbgrader's submitted folder")
    parser.add_argument("--tz", default="UTC", help="the LMS's time zone for times in file names (default UTC)")
    args = parser.parse_args(argv)
    if not (ROOT / "notebooks" / args.lesson).is_dir():
        lessons = sorted(p.name for p in (ROOT / "notebooks").iterdir() if p.is_dir())
        print(f"error: no lesson {args.lesson!r} in notebooks/; use one of {lessons}", file=sys.stderr)
        return 2
    try:
        tz = ZoneInfo(args.tz)
        result = collect(args.zip, args.lesson, load_roster(args.roster), args.submitted, tz=tz)
    except ZoneInfoNotFoundError:
        print(f"error: unknown time zone {args.tz!r}; use an IANA name such as Europe/Paris or UTC", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in result.lines:
        print(line)
    print(f"collected {len(result.students)} submission(s) of {args.lesson} into {args.submitted}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
