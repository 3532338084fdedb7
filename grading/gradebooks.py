"""Gradebooks for grading in pieces: an empty template to grade into, and a merge of the pieces.

nbgrader's gradebook is one SQLite file; two processes that autograde into it at once can
disturb each other. So :mod:`batch` grades each submission into its *own* copy of
:func:`template` (the course's gradebook with every submission removed, so lessons, due dates and
students are the instructor's), and :mod:`shards` grades each Azure ML shard into one; then
:func:`merge` copies every submission into the course's gradebook, by name (student, lesson,
notebook, cell), with everything a grade needs: cell scores (auto, manual, extra credit, needs a
manual grade), comments, the late-submission penalty, the flag, the timestamp and the extension.

    python grading/gradebooks.py merge TARGET.db SOURCE.db...     # e.g. the shards' gradebooks
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import warnings
from pathlib import Path

__all__ = ["COURSE_ID", "merge", "template"]

#: ``CourseDirectory.course_id`` in ``nbgrader_config.py``.
COURSE_ID = "ml-checkup"
#: The tables that hold submissions, children first.
SUBMISSION_TABLES = ("grade", "comment", "submitted_notebook", "submitted_assignment")


def _path(db: str | Path) -> Path:
    text = str(db)
    if text.startswith("sqlite:///"):
        return Path(text[len("sqlite:///"):])
    if "://" in text:
        raise ValueError(f"only SQLite gradebooks can be copied and merged; received {text!r}. Set "
                         "CourseDirectory.db_url to sqlite:///<path> (the course's default).")
    return Path(text)


def _url(db: str | Path) -> str:
    return f"sqlite:///{_path(db)}"


def template(course_db: str | Path, out: str | Path) -> Path:
    """Copy the course's gradebook to ``out`` without any submission.

    Parameters
    ----------
    course_db : str or pathlib.Path
        The course's gradebook (a path or ``sqlite:///`` URL) with the lessons registered.
    out : str or pathlib.Path
        Where to write the template; it is replaced.

    Returns
    -------
    pathlib.Path
        ``out``: lessons, notebooks, cells, due dates and students, no submission.
    """
    source, out = _path(course_db), Path(out)
    if not source.is_file():
        raise FileNotFoundError(f"no gradebook at {source}; register the lessons first "
                                "(nbgrader generate_assignment <lesson> --force)")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(out) as dst:
        src.backup(dst)
        for table in SUBMISSION_TABLES:
            dst.execute(f"DELETE FROM {table}")
    with sqlite3.connect(out) as dst:
        dst.execute("VACUUM")
    return out


def merge(target: str | Path, source: str | Path) -> list[tuple[str, str]]:
    """Copy every submission of the ``source`` gradebook into ``target``, replacing earlier grades.

    Parameters
    ----------
    target : str or pathlib.Path
        The course's gradebook (path or ``sqlite:///`` URL); each lesson must be registered in it.
    source : str or pathlib.Path
        A gradebook graded apart (one submission's, or one shard's).

    Returns
    -------
    list of (str, str)
        The (student, lesson) pairs copied.
    """
    from nbgrader.api import Gradebook, MissingEntry

    copied = []
    with (warnings.catch_warnings(), Gradebook(_url(source), COURSE_ID) as src,
          Gradebook(_url(target), COURSE_ID) as dst):
        # SQLAlchemy's "Object of type <SubmittedNotebook> not in session" from nbgrader's own
        # add_submission is harmless (nbgrader-notes pitfall 10).
        warnings.filterwarnings("ignore", "Object of type")
        for assignment in src.assignments:
            try:
                dst.find_assignment(assignment.name)
            except MissingEntry:
                raise KeyError(f"lesson {assignment.name!r} is not in the gradebook {target}; register it "
                               "first (nbgrader generate_assignment <lesson> --force)") from None
            for sub in assignment.submissions:
                _copy_submission(dst, sub)
                copied.append((sub.student.id, assignment.name))
    return copied


def _copy_submission(dst, sub) -> None:
    """Replace ``sub``'s student's submission in ``dst`` by a copy of ``sub``."""
    from nbgrader.api import MissingEntry

    student = sub.student
    dst.update_or_create_student(student.id, first_name=student.first_name, last_name=student.last_name,
                                 email=student.email, lms_user_id=student.lms_user_id)
    with contextlib.suppress(MissingEntry):
        dst.remove_submission(sub.assignment.name, student.id)
    new = dst.add_submission(sub.assignment.name, student.id, timestamp=sub.timestamp, extension=sub.extension)
    by_name = {nb.name: nb for nb in new.notebooks}
    for old_nb in sub.notebooks:
        new_nb = by_name[old_nb.name]
        new_nb.flagged, new_nb.late_submission_penalty = old_nb.flagged, old_nb.late_submission_penalty
        grades = {g.name: g for g in new_nb.grades}
        for old in old_nb.grades:
            grade = grades[old.name]
            grade.auto_score, grade.manual_score = old.auto_score, old.manual_score
            grade.extra_credit, grade.needs_manual_grade = old.extra_credit, old.needs_manual_grade
        comments = {c.name: c for c in new_nb.comments}
        for old in old_nb.comments:
            comments[old.name].auto_comment = old.auto_comment
            comments[old.name].manual_comment = old.manual_comment
    dst.db.commit()


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "merge":
        for source in argv[2:]:
            done = merge(argv[1], source)
            print(f"merged {len(done)} submissions from {source}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
