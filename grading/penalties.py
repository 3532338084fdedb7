"""Late penalties: the course's due dates and policy (``grading/schedule.toml``), applied by nbgrader.

nbgrader computes how late a submission is from its ``timestamp.txt`` and the lesson's due date in
the gradebook, and asks a ``LateSubmissionPlugin`` for the penalty of each late notebook; the
gradebook stores it, and ``nbgrader export`` writes ``raw_score``, ``late_submission_penalty`` and
``score`` (raw minus penalty) to ``grades.csv``. This module supplies both ends:

- ``python grading/penalties.py due`` writes the schedule's due dates into the gradebook (run it
  before ``nbgrader autograde``; ``make grade`` does);
- :class:`CoursePenalty`, set in ``nbgrader_config.py`` as ``AssignLatePenalties.plugin_class``.

Policy (the ``[policy]`` table): no penalty within ``grace_minutes`` of the due date; after that
``percent_per_day`` of the notebook's score for every started day (24 h) late, at most
``cap_percent``. ``GRADING_SCHEDULE`` names another schedule file.

    python grading/penalties.py due [--schedule FILE] [--db sqlite:///...]
    python grading/penalties.py show [--schedule FILE]        # the policy as a table of examples
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin

from mlcheckup.errors import ValidationError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEDULE = ROOT / "grading" / "schedule.toml"
DAY = 86_400.0

__all__ = ["CoursePenalty", "Policy", "Schedule", "load_schedule", "write_due_dates"]


@dataclass(frozen=True)
class Policy:
    """A late policy: a grace period, then a percentage per started day late, capped."""

    grace_minutes: float = 15
    percent_per_day: float = 10
    cap_percent: float = 50

    def fraction(self, seconds_late: float) -> float:
        """Fraction of the score taken for a submission ``seconds_late`` after the due date.

        Parameters
        ----------
        seconds_late : float
            Seconds after the due date (0 or less: on time).

        Returns
        -------
        float
            0 within the grace period; otherwise ``percent_per_day`` for each started day, at
            most ``cap_percent``, as a fraction (0.1 for 10 %).
        """
        if seconds_late <= self.grace_minutes * 60:
            return 0.0
        days = math.ceil(seconds_late / DAY)
        return min(self.cap_percent, self.percent_per_day * days) / 100


@dataclass(frozen=True)
class Schedule:
    """The course's due dates (lesson id -> aware UTC datetime) and its late policy."""

    due: dict[str, dt.datetime]
    policy: Policy
    source: Path


def _utc(value, lesson: str, source: Path) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise ValidationError(
            f"{source}: the due date of {lesson!r} must be a TOML date-time such as "
            f"2027-01-18T23:59:00Z (got {value!r}); write it unquoted, with the time"
        )
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def load_schedule(path: str | Path | None = None) -> Schedule:
    """Read a schedule file (default: ``GRADING_SCHEDULE`` or ``grading/schedule.toml``).

    Raises
    ------
    ValidationError
        If the file is missing, is not TOML, or holds an unknown policy key, a negative number or
        a due date that is not a date-time.
    """
    source = Path(path or os.environ.get("GRADING_SCHEDULE") or DEFAULT_SCHEDULE)
    try:
        data = tomllib.loads(source.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValidationError(
            f"cannot read the grading schedule {source} ({exc}); fix the file or point "
            "GRADING_SCHEDULE at grading/schedule.toml"
        ) from None
    raw = data.get("policy", {})
    unknown = set(raw) - set(Policy.__dataclass_fields__)
    if unknown:
        raise ValidationError(
            f"{source}: unknown key(s) in [policy]: {sorted(unknown)} (got {raw}); "
            f"use {sorted(Policy.__dataclass_fields__)}"
        )
    for key, value in raw.items():
        if not isinstance(value, (int, float)) or value < 0:
            raise ValidationError(f"{source}: [policy] {key} must be a number >= 0 (got {value!r})")
    due = {lesson: _utc(value, lesson, source) for lesson, value in data.get("due", {}).items()}
    return Schedule(due=due, policy=Policy(**raw), source=source)


def write_due_dates(db_url: str, course_id: str, schedule: Schedule) -> list[str]:
    """Set each scheduled lesson's due date in the gradebook; return one line per lesson.

    nbgrader stores due dates as naive UTC; ``update_or_create_assignment`` keeps the lesson's
    notebooks and grades.
    """
    from nbgrader.api import Gradebook

    lines = []
    with Gradebook(db_url, course_id=course_id) as gb:
        for lesson, due in sorted(schedule.due.items()):
            gb.update_or_create_assignment(lesson, duedate=due.replace(tzinfo=None))
            lines.append(f"{lesson}: due {due:%Y-%m-%d %H:%M} UTC")
    return lines


class CoursePenalty(LateSubmissionPlugin):
    """nbgrader's late-penalty hook with the course's policy (``nbgrader_config.py`` sets it)."""

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        """Points taken from ``score`` for a notebook ``total_seconds_late`` late (see :class:`Policy`)."""
        policy = load_schedule().policy
        penalty = round(score * policy.fraction(total_seconds_late), 6)
        self.log.warning(
            "%s: %.1f h late, penalty %s of %s points (%s)",
            student_id, total_seconds_late / 3600, penalty, score, describe(policy),
        )
        return penalty


def describe(policy: Policy) -> str:
    """The policy in one sentence, for logs, the README and the feedback."""
    return (f"{policy.percent_per_day:g} % of the score per started day late after a "
            f"{policy.grace_minutes:g}-minute grace period, at most {policy.cap_percent:g} %")


def _course_settings() -> tuple[str, str]:
    """The gradebook URL and course id, as nbgrader_config.py sets them."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    return config.CourseDirectory.db_url, config.CourseDirectory.course_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["due", "show"])
    parser.add_argument("--schedule", help="schedule file (default: GRADING_SCHEDULE or grading/schedule.toml)")
    parser.add_argument("--db", help="gradebook URL (default: nbgrader_config.py's)")
    args = parser.parse_args(argv)
    try:
        schedule = load_schedule(args.schedule)
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "show":
        print(f"policy: {describe(schedule.policy)}")
        for label, seconds in [("on time", 0), ("10 min late", 600), ("1 h late", 3600),
                               ("3 days late", 3 * DAY), ("2 weeks late", 14 * DAY)]:
            print(f"  {label:<13} -> {schedule.policy.fraction(seconds):.0%} off")
        return 0
    db_url, course_id = _course_settings()
    for line in write_due_dates(args.db or db_url, course_id, schedule):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
