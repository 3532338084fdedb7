"""Autograde a class in parallel: N worker processes, one gradebook, one report line per submission.

``make grade WORKERS=N`` runs it (default: one worker per core). Each submission is graded by
nbgrader in a worker process, into its *own* gradebook (a copy of :func:`gradebooks.template`), with
its kernel in the sandbox of ``sandbox.py``; so two submissions never share a database, a kernel
or a folder. The main process alone writes the course's gradebook: it merges each submission's
gradebook as it finishes (:func:`gradebooks.merge`). Scores are the same as one sequential
``nbgrader autograde`` (``tests/test_grading_class.py``).

Before grading, each submission is read once for bad input; what is found is the submission's one
line in the report, and nbgrader then grades it as far as it can:

- not a notebook (empty, garbage bytes, JSON that is not nbformat) or missing: 0 for the lesson;
- another lesson's notebook, renamed or duplicated grade ids: nbgrader 0.9.6 refuses the whole
  notebook (``KeyError`` while putting missing cells back: it restores missing test cells after
  their answer cell, but never a missing answer cell), so a repaired copy is graded instead, in
  which every cell whose grade id is not the lesson's, or repeats an earlier one, is an ordinary
  cell (it still runs), and every missing cell of the lesson is put back before the next one the
  submission has: a test cell as the instructor's, an answer cell as a placeholder (see
  :func:`_repaired`).

    python grading/batch.py [--workers N] [--lesson ID ...] [--force] [--report grading/batch-report.tsv]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gradebooks import COURSE_ID, merge, template

__all__ = ["Course", "Result", "find", "grade", "inspect", "lesson_cells", "lesson_ids", "write_report"]

ROOT = Path(__file__).resolve().parent.parent
REPORT_COLUMNS = ("student", "lesson", "score", "max_score", "seconds", "problem")


@dataclass(frozen=True)
class Course:
    """Where a batch reads and writes, relative to the repository (nbgrader's course root).

    The defaults are ``nbgrader_config.py``'s; tests point them at a scratch course.
    """

    submitted: str = "grading/submitted"
    autograded: str = "grading/autograded"
    db: str = "grading/gradebook.db"
    work: str = "build/batch"
    #: Extra nbgrader settings, e.g. ``{"Execute": {"timeout": 5}}``.
    config: dict = field(default_factory=dict)
    sandbox: bool = True


@dataclass
class Result:
    """One submission's line in the batch report."""

    student: str
    lesson: str
    score: float = 0.0
    max_score: float = 0.0
    seconds: float = 0.0
    problem: str = ""
    db: str = ""


def find(course: Course, lessons: list[str] | None = None) -> list[tuple[str, str]]:
    """(student, lesson) of every folder ``<submitted>/<student>/<lesson>/``, sorted."""
    base = ROOT / course.submitted
    pairs = [(s.name, lesson.name) for s in sorted(base.iterdir()) if s.is_dir()
             for lesson in sorted(s.iterdir()) if lesson.is_dir()] if base.is_dir() else []
    return [p for p in pairs if lessons is None or p[1] in lessons]


def lesson_cells(db: str | Path) -> dict[str, list]:
    """Lesson -> its nbgrader cells, in order, as they are put back into a submission missing them.

    From the gradebook: a test cell as the instructor wrote it (nbgrader overwrites a test cell's
    source from the gradebook in any case); an answer cell as a placeholder that says it was
    missing, so that it redefines nothing a renamed copy of it defines.
    """
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import OverwriteCells

    restore = OverwriteCells()
    lessons = {}
    with Gradebook(f"sqlite:///{db}", COURSE_ID) as gb:
        for assignment in gb.assignments:
            cells = []
            for notebook in assignment.notebooks:
                points = {c.name: c.max_score for c in notebook.grade_cells}
                answers = {c.name for c in notebook.solution_cells}
                for source in notebook.source_cells:
                    cell = nbformat.from_dict(restore.missing_cell_transform(
                        source, points.get(source.name, 0), is_solution=source.name in answers))
                    cell.source = source.source
                    if source.name in answers:
                        note = f"This answer cell ({source.name}) was missing from the submission."
                        cell.source = f"# {note}\n" if source.cell_type == "code" else note
                    if source.name not in points:  # an answer without points of its own: not a grade cell
                        cell.metadata.nbgrader.update(grade=False)
                        cell.metadata.nbgrader.pop("points", None)
                    cells.append(cell)
            lessons[assignment.name] = cells
    return lessons


def lesson_ids(db: str | Path) -> dict[str, list[str]]:
    """Lesson -> the grade ids of its nbgrader cells, in order, from a gradebook."""
    return _ids(lesson_cells(db))


def _ids(cells: dict[str, list]) -> dict[str, list[str]]:
    return {lesson: [c.metadata.nbgrader.grade_id for c in lesson_cells] for lesson, lesson_cells in cells.items()}


def inspect(path: Path, lesson: str, ids: dict[str, list[str]]) -> tuple[str, object]:
    """The problem with one submitted notebook (``""`` if none) and the notebook if it could be read."""
    import nbformat

    if not path.is_file():
        found = sorted(p.name for p in path.parent.glob("*")) if path.parent.is_dir() else []
        return f"no {path.name} in the submission (found: {', '.join(found) or 'nothing'}); scored 0", None
    data = path.read_bytes()
    if not data.strip():
        return f"empty file ({len(data)} bytes), not a notebook; scored 0", None
    try:
        raw = json.loads(data)
    except ValueError:
        return f"not a notebook: not JSON (starts {data[:16]!r}); scored 0", None
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # nbformat raises several kinds for JSON that is not a notebook
        reason = str(error).strip().splitlines()[0][:80]
        return f"JSON but not a Jupyter notebook ({reason}); scored 0", None
    got = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    got = [g for g in got if g]
    expected = set(ids.get(lesson, ()))
    unknown = sorted(set(got) - expected)
    if len(unknown) > len(set(got) & expected):
        other = max(ids, key=lambda name: len(set(ids[name]) & set(got)))
        like = f"its cells are {other}'s" if set(ids[other]) & set(unknown) else f"unknown grade ids {_few(unknown)}"
        return f"not this lesson's notebook ({like}); graded against the lesson's own test cells", nb
    twice = sorted({g for g in got if got.count(g) > 1})
    if twice:
        return f"grade ids duplicated: {_few(twice)}; each copy after the first graded as an ordinary cell", nb
    if unknown:
        missing = sorted(expected - set(got))
        return (f"grade ids renamed or unknown: {_few(unknown)} (graded as ordinary cells); the instructor's "
                f"{_few(missing) or 'cells'} put back and graded"), nb
    return "", nb


def _few(names: list[str], shown: int = 3) -> str:
    """``names`` joined, the first ``shown`` only."""
    more = f", ... ({len(names)} in all)" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _repaired(nb, cells: list) -> bool:
    """Make ``nb`` gradable against the lesson's ``cells`` (see :func:`lesson_cells`); say if it changed.

    Every cell whose grade id is not the lesson's, or repeats an earlier one, becomes an ordinary
    cell; every lesson cell then missing is put back just before the next lesson cell the
    submission has (at the end if none), so after the ordinary cells before it: a renamed answer
    still runs before its tests, and another lesson's notebook runs all of its code before them.
    """
    import copy

    expected = {c.metadata.nbgrader.grade_id for c in cells}
    seen, changed = set(), False
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid and (gid in seen or gid not in expected):
            del cell.metadata["nbgrader"]
            changed = True
        seen.add(gid)
    place = len(nb.cells)
    for cell in reversed(cells):
        found = next((i for i, c in enumerate(nb.cells) if _grade_id(c) == _grade_id(cell)), None)
        if found is None:
            nb.cells.insert(place, copy.deepcopy(cell))
            nb.cells[place]["id"] = f"restored-{_grade_id(cell)}"[:64]
            changed = True
        else:
            place = found
    return changed


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _config(course: Course, submitted: str, db: Path):
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    config.merge(Config(course.config))
    config.CourseDirectory.root = str(ROOT)
    config.CourseDirectory.submitted_directory = submitted
    config.CourseDirectory.autograded_directory = course.autograded
    config.CourseDirectory.db_url = f"sqlite:///{db}"
    if course.sandbox:
        config.Execute.kernel_manager_class = "sandbox.SandboxKernelManager"
    return config


def _quiet(log: str) -> None:
    """Send a worker's own output (kernel banners, nbgrader's log) to ``log``, off the progress bar."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(fd, 1)
    os.dup2(fd, 2)


def _grade_one(course: Course, student: str, lesson: str, blank: Path, cells: dict[str, list]) -> Result:
    """Autograde one submission into its own gradebook (runs in a worker process)."""
    start = time.perf_counter()
    result = Result(student, lesson)
    try:
        _autograde(course, result, blank, cells)
    except Exception as error:  # a report line, never a crashed batch
        result.problem = result.problem or f"could not be graded: {type(error).__name__}: {error}"
    result.seconds = time.perf_counter() - start
    return result


def _autograde(course: Course, result: Result, blank: Path, cells: dict[str, list]) -> None:
    import nbformat
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    student, lesson = result.student, result.lesson
    work = ROOT / course.work / student / lesson
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = shutil.copyfile(blank, work / "gradebook.db")
    result.db = str(db)
    path = ROOT / course.submitted / student / lesson / f"{lesson}.ipynb"
    result.problem, nb = inspect(path, lesson, _ids(cells))
    submitted = course.submitted
    if nb is not None and _repaired(nb, cells[lesson]):  # graded from a repaired copy
        submitted = str(work / "submitted")
        shutil.copytree(path.parent, ROOT / submitted / student / lesson)
        nbformat.write(nb, ROOT / submitted / student / lesson / path.name)
    config = _config(course, submitted, db)
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    done = api.autograde(lesson, student, force=True, create=True)
    if not done["success"] and "scored 0" not in result.problem:
        lines = (done.get("error") or done.get("log") or "no message").strip().splitlines()
        failed = f"nbgrader could not grade it ({lines[-1].strip()[:100]}); scored 0"
        result.problem = f"{result.problem}; {failed}" if result.problem else failed
    with Gradebook(f"sqlite:///{db}", COURSE_ID) as gb:
        result.max_score = float(gb.find_assignment(lesson).max_score)
        try:
            result.score = float(gb.find_submission(lesson, student).score)
        except MissingEntry:
            gb.update_or_create_student(student)
            gb.add_submission(lesson, student)  # so the gradebook says 0, as nbgrader does for a failed run


def _already_graded(course: Course, jobs: list[tuple[str, str]]) -> dict[tuple[str, str], Result]:
    """The submissions graded since they were last changed, with their scores from the course's gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    done = {}
    with Gradebook(f"sqlite:///{ROOT / course.db}", COURSE_ID) as gb:
        for student, lesson in jobs:
            out, sub = ROOT / course.autograded / student / lesson, ROOT / course.submitted / student / lesson
            changed = max(p.stat().st_mtime for p in [sub, *sub.iterdir()])
            if out.is_dir() and out.stat().st_mtime >= changed:
                try:
                    graded = gb.find_submission(lesson, student)
                except MissingEntry:
                    continue
                done[student, lesson] = Result(student, lesson, graded.score, graded.max_score,
                                               problem="already graded, unchanged since (--force regrades)")
    return done


def grade(course: Course = Course(), lessons: list[str] | None = None, workers: int | None = None,
          progress: bool = True, force: bool = True) -> list[Result]:
    """Autograde every submission of ``lessons`` (all by default) with ``workers`` processes.

    Parameters
    ----------
    course : Course
        Folders and gradebook; the lessons must already be registered in ``course.db``.
    lessons : list of str, optional
        Lesson ids to grade; every submitted lesson if omitted.
    workers : int, optional
        Worker processes; one per core if omitted.
    progress : bool
        Show a tqdm progress bar.
    force : bool
        Regrade every submission; if false, skip those graded since they last changed (as nbgrader does).

    Returns
    -------
    list of Result
        One per submission, sorted by student and lesson; each merged into ``course.db``.
    """
    from tqdm.auto import tqdm

    workers = workers or os.cpu_count() or 1
    if workers < 1:
        raise ValueError(f"workers must be at least 1; received {workers}")
    course_db = ROOT / course.db
    blank = template(course_db, ROOT / course.work / "template.db")
    cells = lesson_cells(blank)
    jobs = find(course, lessons)
    unknown = sorted({lesson for _, lesson in jobs} - set(cells))
    results = [Result(s, lesson, problem=f"lesson {lesson!r} is not in the gradebook (register it: "
                      "nbgrader generate_assignment); not graded") for s, lesson in jobs if lesson in unknown]
    jobs = [(s, lesson) for s, lesson in jobs if lesson not in unknown]
    if not force:
        skipped = _already_graded(course, jobs)
        results += skipped.values()
        jobs = [job for job in jobs if job not in skipped]
    log = str(ROOT / course.work / "workers.log")
    with ProcessPoolExecutor(workers, get_context("spawn"), initializer=_quiet, initargs=(log,)) as pool:
        futures = {pool.submit(_grade_one, course, s, lesson, blank, cells): (s, lesson) for s, lesson in jobs}
        for future in tqdm(as_completed(futures), total=len(futures), desc=f"grading ({workers} worker{'s' * (workers > 1)})",
                           unit="submission", disable=not progress):
            try:
                result = future.result()
            except Exception as error:  # the worker process itself died: a report line, not a crashed batch
                result = Result(*futures[future], problem=f"its grading process died ({type(error).__name__}); "
                                "not graded, run the batch again")
            if result.db and Path(result.db).is_file():
                merge(course_db, result.db)  # the only writer of the course's gradebook
                shutil.rmtree(Path(result.db).parent, ignore_errors=True)
            results.append(result)
    return sorted(results, key=lambda r: (r.student, r.lesson))


def write_report(results: list[Result], path: Path) -> str:
    """Write the batch report (tab-separated, one line per submission) and return it as a table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{k: v for k, v in asdict(r).items() if k in REPORT_COLUMNS} for r in results]
    path.write_text("\t".join(REPORT_COLUMNS) + "\n" + "".join(
        "\t".join(f"{row[k]:.1f}" if k == "seconds" else f"{row[k]:g}" if isinstance(row[k], float)
                  else str(row[k]) for k in REPORT_COLUMNS) + "\n" for row in rows))
    width = max([len(r.student) for r in results] + [7])
    return "\n".join(f"{r.student:<{width}}  {r.lesson:<18} {r.score:>5g}/{r.max_score:<4g} {r.seconds:6.1f} s  "
                     f"{r.problem or 'ok'}" for r in results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Autograde every submission in parallel into one gradebook.")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    parser.add_argument("--lesson", action="append", help="grade only this lesson (repeatable)")
    parser.add_argument("--report", default="grading/batch-report.tsv", help="the report, one line per submission")
    parser.add_argument("--force", action="store_true", help="regrade submissions already graded and unchanged")
    args = parser.parse_args(argv)
    results = grade(Course(), args.lesson, args.workers, force=args.force)
    print(write_report(results, ROOT / args.report))
    problems = sum(bool(r.problem) for r in results)
    print(f"{len(results)} submissions graded, {problems} with a problem; report: {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
