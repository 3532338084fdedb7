"""Instructor tooling: build lesson notebooks, keep their generated cells current, read the lesson list.

    python grading/authoring.py nav [ID ...]   # rewrite the generated cells of every (or these) lessons

The generated cells close every lesson: "Check your whole notebook" (a code cell that re-runs
every visible test, hidden tests left out, and prints one line per exercise) and the navigation.

Lesson notebooks live in ``solutions/<id>/<id>.ipynb`` (the nbgrader source, edited by hand or
built with the cell helpers below); ``make release`` runs ``nav`` and then nbgrader.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
NAV_TAG = "navigation"
CHECKS_TAG = "visible-tests"
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.S | re.M)
SOLUTION = re.compile(r"^[ \t]*### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*\n?", re.S | re.M)
EXERCISE = re.compile(r"^ex(\d+)_(\d+)_")
LINK_TARGET = re.compile(r"\]\([^)]*\)")  # a link's address is not read
HEADING = re.compile(r"^#+\s+(Exercise \d+\.\d+)\b", re.M)
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


# --- cell builders -----------------------------------------------------------------------------
def _nbgrader(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution,
            "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def md(text: str, *, tags: list[str] | None = None):
    """A markdown cell (text is dedented and stripped)."""
    cell = nbformat.v4.new_markdown_cell(_clean(text))
    if tags:
        cell.metadata["tags"] = tags
    return cell


def code(source: str, *, locked_id: str | None = None, tags: list[str] | None = None):
    """A code cell; with ``locked_id`` it is read-only in the release (setup cells)."""
    cell = nbformat.v4.new_code_cell(_clean(source))
    if locked_id:
        cell.metadata.update(_nbgrader(locked_id, grade=False, solution=False, locked=True))
    if tags:
        cell.metadata["tags"] = tags
    return cell


def answer(grade_id: str, source: str):
    """An autograded answer cell: the solution sits between ``### BEGIN/END SOLUTION``."""
    cell = nbformat.v4.new_code_cell(_clean(source))
    cell.metadata.update(_nbgrader(grade_id, grade=False, solution=True, locked=False))
    return cell


def tests(grade_id: str, source: str, points: int):
    """A locked test cell worth ``points``; hidden tests sit between ``### BEGIN/END HIDDEN TESTS``."""
    cell = nbformat.v4.new_code_cell(_clean(source))
    cell.metadata.update(_nbgrader(grade_id, grade=True, solution=False, locked=True, points=points))
    return cell


def written(grade_id: str, text: str, points: int):
    """A manually graded markdown answer (at most 10 % of a lesson's points)."""
    cell = nbformat.v4.new_markdown_cell(_clean(text))
    cell.metadata.update(_nbgrader(grade_id, grade=True, solution=True, locked=False, points=points))
    return cell


def write_notebook(cells: list, path: Path) -> Path:
    """Write cells as a clean nbformat 4.5 notebook with stable cell ids (``c01``, grade ids kept)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for index, cell in enumerate(cells, start=1):
        cell["id"] = cell.metadata.get("nbgrader", {}).get("grade_id") or f"c{index:02d}"
    nb.cells = cells
    nbformat.validate(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _clean(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip("\n")


# --- lesson list and navigation ----------------------------------------------------------------
def lessons() -> list[str]:
    """Lesson ids in course order: the folders of ``solutions/`` that hold ``<id>.ipynb``."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if (p / f"{p.name}.ipynb").is_file())


def title(lesson: str) -> str:
    """The lesson's H1 title, read from its first markdown cell."""
    nb = nbformat.read(SOLUTIONS / lesson / f"{lesson}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if match:
                return match.group(1).strip()
    raise ValueError(f"{lesson}: the first markdown cell has no '# Title' line")


def navigation(lesson: str, order: list[str] | None = None) -> str:
    """The navigation line of ``lesson``: previous | contents | next."""
    order = order or lessons()
    i = order.index(lesson)
    parts = []
    if i > 0:
        prev = order[i - 1]
        parts.append(f"[← {prev[:2]} {title(prev)}](../{prev}/{prev}.ipynb)")
    parts.append("[Contents](../../README.md#lessons)")
    if i + 1 < len(order):
        nxt = order[i + 1]
        parts.append(f"[{nxt[:2]} {title(nxt)} →](../{nxt}/{nxt}.ipynb)")
    return "---\n" + " | ".join(parts) + "\n\n<!-- generated by `make release`; do not edit -->"


def visible_tests(nb) -> dict[str, list[str]]:
    """Exercise label → the visible part of each of its test cells, in order.

    The label is the exercise's heading ("### Exercise 4.2 — ..." gives "Exercise 4.2"), so that
    text can renumber exercises while grade ids stay; a test cell with no heading above it is
    labelled by its grade id's ``exN_M_`` prefix, or the grade id itself.
    """
    tests: dict[str, list[str]] = {}
    heading = None
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown":
            found = HEADING.findall(cell.source)
            heading = found[-1] if found else heading
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        match = EXERCISE.match(meta["grade_id"])
        label = heading or (f"Exercise {int(match[1])}.{int(match[2])}" if match else meta["grade_id"])
        tests.setdefault(label, []).append(HIDDEN.sub("", cell.source).rstrip() + "\n")
    return tests


def checks_cells(nb) -> list:
    """The lead-in and the locked code cell that re-run every visible test of ``nb`` (none for an ungraded lesson)."""
    tests = visible_tests(nb)
    if not tests:
        return []
    lead = md("""
        ---
        ## Check your whole notebook

        Before you submit: **Kernel → Restart Kernel and Run All Cells**, then read the cell below. It
        re-runs every visible test of this lesson and prints one line per exercise. Hidden tests run
        only when your work is graded.
        """, tags=[CHECKS_TAG])
    lead["id"] = "visible-tests-lead"
    body = ",\n".join(
        f"    {label!r}: [\n" + "".join(f"        {source!r},\n" for source in sources) + "    ]"
        for label, sources in tests.items()
    )
    source = ("# Generated by `make release` from this lesson's test cells (hidden tests left out); do not edit.\n"
              "from mlcheckup.grading import rerun_visible_tests\n\n"
              f"rerun_visible_tests(globals(), {{\n{body},\n}});")
    cell = code(source, locked_id="visible-tests", tags=[CHECKS_TAG])
    cell.metadata["jupyter"] = {"source_hidden": True}
    cell["id"] = "visible-tests"
    return [lead, cell]


_LESSON_WORDS = re.compile(r"\b[Ll]essons?\s+(\d\d(?:\s*(?:,|and|or|to|–|-)\s*\d\d)*)")
_LESSON_LINK = re.compile(r"\]\([^)]*?\b(\d\d)-[a-z0-9-]+(?:/|\.ipynb)")


def missing_lesson_references(text: str, order: list[str] | None = None) -> list[str]:
    """References in ``text`` ("lesson 03", "lessons 01–06", a link to ``../03-x/``) to lessons not in solutions/."""
    have = {lesson[:2] for lesson in (order or lessons())}
    found = []
    for match in _LESSON_WORDS.finditer(text):
        numbers = [int(n) for n in re.findall(r"\d\d", match[1])]
        if re.search(r"\d\s*(?:to|–|-)\s*\d", match[1]):  # a range: every lesson in it
            numbers = list(range(min(numbers), max(numbers) + 1))
        found += [f"{match[0]!r} names lesson {n:02d}" for n in numbers if f"{n:02d}" not in have]
    found += [f"a link to lesson {m[1]} ({m[0]}...)" for m in _LESSON_LINK.finditer(text) if m[1] not in have]
    return found


#: A learner's pace for :func:`study_minutes`: prose words and code lines read per minute, and
#: minutes per exercise (read the contract, answer, run its tests, fix once).
READING_PACE = {"words": 200, "code_lines": 15, "exercise": 6}
_STATED = re.compile(r"\*\*What you'll need\.\*\*.*?about (\d+)\s+minutes", re.S)


def study_minutes(nb) -> float:
    """Minutes a learner needs for a lesson, at :data:`READING_PACE`.

    Counts what the student release shows: no solutions (a stub instead), no hidden tests, no
    generated cells.
    """
    cells = [c for c in nb.cells if not {NAV_TAG, CHECKS_TAG} & set(c.metadata.get("tags", []))]
    words = sum(len(re.findall(r"\w+", LINK_TARGET.sub("]", c.source))) for c in cells if c.cell_type == "markdown")
    lines = sum(len(SOLUTION.sub("", HIDDEN.sub("", c.source)).splitlines()) + 1  # + the release's stub
                if SOLUTION.search(c.source) else len(HIDDEN.sub("", c.source).splitlines())
                for c in cells if c.cell_type == "code")
    exercises = sum(1 for c in cells if c.metadata.get("nbgrader", {}).get("solution"))
    return (words / READING_PACE["words"] + lines / READING_PACE["code_lines"]
            + exercises * READING_PACE["exercise"])


def stated_minutes(nb) -> int | None:
    """The duration the lesson's "What you'll need" states ("... about N minutes")."""
    match = _STATED.search(nb.cells[0].source)
    return int(match[1]) if match else None


def _shape(cell) -> tuple:
    return cell.get("id"), cell.cell_type, cell.source, cell.metadata


def update_generated(only: list[str] | None = None) -> list[str]:
    """Rewrite (or append) the generated closing cells of the lessons; return the lessons changed."""
    order, changed = lessons(), []
    unknown = sorted(set(only or []) - set(order))
    if unknown:
        raise SystemExit(f"unknown lesson(s) {unknown}; lessons are {order}")
    for lesson in only or order:
        path = SOLUTIONS / lesson / f"{lesson}.ipynb"
        nb = nbformat.read(path, as_version=4)
        kept = [c for c in nb.cells if not {NAV_TAG, CHECKS_TAG} & set(c.metadata.get("tags", []))]
        nav = md(navigation(lesson, order), tags=[NAV_TAG])
        nav["id"] = "navigation"
        cells = [*kept, *checks_cells(nbformat.from_dict({"cells": kept})), nav]
        if [_shape(c) for c in cells] == [_shape(c) for c in nb.cells]:
            continue
        nb.cells = cells
        nbformat.write(nb, path)
        changed.append(lesson)
    return changed


if __name__ == "__main__":
    if sys.argv[1:2] == ["nav"]:
        changed = update_generated(sys.argv[2:] or None)
        print(f"generated cells: {len(changed)} lesson(s) updated" + (f" ({', '.join(changed)})" if changed else ""))
    else:
        sys.exit(__doc__)
