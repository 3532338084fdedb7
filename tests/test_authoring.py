"""Authoring lint: every lesson follows the course's notebook rules (COURSE.md, STYLE.md)."""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from course import (
    CHECKS_TAG,
    GRADED_LESSONS,
    LESSONS,
    NAV_TAG,
    RELEASE,
    ROOT,
    checks_cells,
    is_answer,
    is_test,
    missing_lesson_references,
    navigation,
    nbgrader_meta,
    source_path,
    stated_minutes,
    study_minutes,
)

GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
OPENERS = ("**What you'll do.**", "**What you'll learn.**", "**What you'll need.**")
CLOSERS = ("## Recap", "## Further reading")


def _nb(lesson):
    return nbformat.read(source_path(lesson), as_version=4)


def test_the_course_has_lessons():
    assert LESSONS and LESSONS[0] == "00-start-here"
    assert all(re.fullmatch(r"\d\d[a-z]?-[a-z0-9-]+", lesson) for lesson in LESSONS)


@pytest.mark.parametrize("tree", ["solutions", "notebooks"])
def test_notebooks_are_committed_without_outputs(tree):
    dirty = [
        f"{path.relative_to(ROOT)} cell {i}"
        for path in sorted((ROOT / tree).glob("*/*.ipynb"))
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count)
    ]
    assert not dirty, f"clear outputs before committing: {dirty[:5]}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_is_a_valid_python3_notebook(lesson):
    nb = _nb(lesson)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert (RELEASE / lesson / f"{lesson}.ipynb").is_file(), "run `make release`"


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_has_the_skeleton(lesson):
    cells = _nb(lesson).cells
    first = cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "start with '# Title'"
    for opener in OPENERS:
        assert opener in first.source, f"the first cell needs {opener}"
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    for closer in CLOSERS:
        assert re.search(rf"^{re.escape(closer)}\s*$", text, flags=re.M), f"missing section {closer!r}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_navigation_is_current(lesson):
    cells = _nb(lesson).cells
    nav = [c for c in cells if NAV_TAG in c.metadata.get("tags", [])]
    assert len(nav) == 1 and nav[0] is cells[-1], "the last cell, and only it, is the navigation"
    assert nav[0].source == navigation(lesson), "run `make release` to regenerate navigation"


@pytest.mark.parametrize("lesson", GRADED_LESSONS)
def test_the_last_check_reruns_every_visible_test_and_no_hidden_one(lesson):
    cells = _nb(lesson).cells
    generated = [c for c in cells if CHECKS_TAG in c.metadata.get("tags", [])]
    kept = [c for c in cells if CHECKS_TAG not in c.metadata.get("tags", []) and NAV_TAG not in c.metadata.get("tags", [])]
    assert generated == cells[-3:-1], "the visible-test check comes last, just before the navigation"
    assert [c.source for c in generated] == [c.source for c in checks_cells(nbformat.from_dict({"cells": kept}))], \
        "run `make release` to regenerate the visible-test check"
    rerun = generated[1].source
    tests = [c for c in kept if is_test(c)]
    assert tests and "HIDDEN TESTS" not in rerun
    for cell in tests:
        hidden = re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, flags=re.S)
        assert not any(block.strip() and repr(block.strip())[1:-1] in rerun for block in hidden), \
            f"{nbgrader_meta(cell)['grade_id']}: a hidden test leaked into the visible-test check"


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_markdown_cell_has_one_job(lesson):
    """A caption holds no heading; an exercise and each closing section start their own cell."""
    mixed = []
    for i, cell in enumerate(_nb(lesson).cells):
        if cell.cell_type != "markdown":
            continue
        body = re.sub(r"\A(---\s*\n)?", "", cell.source, count=1)
        later = re.findall(r"^(#{1,3} .*)$", body, flags=re.M)[1 if re.match(r"#{1,3} ", body) else 0:]
        if "*Figure" in cell.source and re.search(r"^#{1,3} ", cell.source, flags=re.M):
            mixed.append(f"cell {i}: a caption and a heading")
        mixed += [f"cell {i}: '{h[:40]}' does not start its cell" for h in later
                  if re.match(r"### Exercise|## (Recap|On Azure|Further reading)\s*$", h)]
    assert not mixed, f"{lesson}: split these cells, one job each: {mixed}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_stated_duration_is_the_measured_pace(lesson):
    nb = _nb(lesson)
    stated, estimate = stated_minutes(nb), study_minutes(nb)
    assert stated, "say how long the lesson takes in **What you'll need.** ('... about N minutes')"
    assert abs(stated - estimate) <= max(5, 0.15 * estimate), (
        f"{lesson} says about {stated} minutes; at the course's reading pace it takes {estimate:.0f}: "
        "state that, or shorten the lesson")


def test_the_toolkit_says_it_is_taught_only_in_lessons_that_exist():
    have = {lesson[:2] for lesson in LESSONS}
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in sorted((ROOT / "src").rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), start=1)
             if "Taught in" in line and set(re.findall(r"(?<![§.\d])\b(\d\d)\b", line)) - have]
    assert not found, f"name only lessons in solutions/: {found}"


def test_the_reference_lint_finds_missing_lessons():
    order = ["00-start-here", "01-why-monitor", "04-data-drift"]
    found = missing_lesson_references("as lesson 04 showed; lessons 01–04 and [later](../07-capstone/07-capstone.ipynb)",
                                      order)
    assert found == ["'lessons 01–04' names lesson 02", "'lessons 01–04' names lesson 03",
                     "a link to lesson 07 (](../07-capstone/...)"]
    assert missing_lesson_references("lessons 00 and 01; [next](../01-why-monitor/01-why-monitor.ipynb)", order) == []


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_reference_to_a_lesson_that_does_not_exist(lesson):
    found = [f"cell {i}: {ref}" for i, cell in enumerate(_nb(lesson).cells)
             for ref in missing_lesson_references(cell.source)]
    assert not found, f"{lesson} refers to lessons not in solutions/ (say 'a later lesson'): {found}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_grade_cells_are_well_formed(lesson):
    seen = set()
    for cell in _nb(lesson).cells:
        meta = nbgrader_meta(cell)
        if not meta:
            continue
        gid = meta.get("grade_id", "")
        assert GRADE_ID.match(gid) and gid not in seen, f"grade id {gid!r} is malformed or repeated"
        assert not re.fullmatch(r"cell-[0-9a-f]+", gid), f"{gid}: name the behaviour, not a hash"
        seen.add(gid)
        assert cell.get("id") == gid, f"{gid}: the cell id should equal the grade id (stable diffs)"
        if meta.get("grade"):
            points = meta.get("points")
            assert isinstance(points, int) and points >= 1, f"{gid}: points must be a whole number >= 1"
        else:
            assert "points" not in meta, f"{gid}: only grade cells carry points"
        if is_test(cell):
            assert meta.get("locked"), f"{gid}: test cells must be locked"
            assert re.match(r'^"""[^\n]+"""', cell.source), f'{gid}: open with a one-line """docstring"""'
            visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
            assert "expect" in visible or "assert" in visible, f"{gid}: keep at least one visible check"
            assert "### BEGIN HIDDEN TESTS" in cell.source, f"{gid}: add hidden tests (fresh data)"
        if is_answer(cell):
            assert "### BEGIN SOLUTION" in cell.source, f"{gid}: mark the solution"
        if "BEGIN SOLUTION" in cell.source:
            assert meta.get("solution"), f"{gid}: solution markers outside an answer cell"
        if "BEGIN HIDDEN TESTS" in cell.source:
            assert is_test(cell), f"{gid}: hidden tests outside a test cell"


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_answer_is_followed_by_its_tests(lesson):
    cells = _nb(lesson).cells
    for i, cell in enumerate(cells):
        if not is_answer(cell):
            continue
        gid = nbgrader_meta(cell)["grade_id"]
        following = []
        for later in cells[i + 1:]:
            if is_answer(later) or (later.cell_type == "markdown" and later.source.startswith("## ")):
                break
            following.append(later)
        assert any(is_test(c) for c in following), f"{gid} has no test cell before the next exercise"
        ungraded = [c for c in following[: next(j for j, c in enumerate(following) if is_test(c))] if c.cell_type == "code"]
        assert len(ungraded) <= 1, f"{gid}: at most one 'try it' cell between an answer and its tests"


@pytest.mark.parametrize("lesson", GRADED_LESSONS)
def test_written_answers_are_at_most_ten_percent(lesson):
    cells = [c for c in _nb(lesson).cells if nbgrader_meta(c).get("grade")]
    total = sum(nbgrader_meta(c)["points"] for c in cells)
    manual = sum(nbgrader_meta(c)["points"] for c in cells if c.cell_type == "markdown")
    assert total > 0 and manual <= 0.1 * total


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_figure_has_a_caption(lesson):
    cells = _nb(lesson).cells
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and "plt.show()" in cell.source:
            after = cells[i + 1] if i + 1 < len(cells) else None
            assert after is not None and after.cell_type == "markdown" and re.match(r"^\*Figure \d+\.\d+ — ", after.source), (
                f"cell {i} draws a figure; follow it with '*Figure N.M — caption.*'"
            )


@pytest.mark.parametrize("lesson", LESSONS)
def test_test_cells_do_not_end_in_a_bare_number(lesson):
    # nbgrader reads a test cell whose result is a number as partial credit
    for cell in filter(is_test, _nb(lesson).cells):
        body = ast.parse(cell.source).body
        last = body[-1] if body else None
        assert not (isinstance(last, ast.Expr) and not isinstance(last.value, ast.Call | ast.Constant)), (
            f"{nbgrader_meta(cell)['grade_id']}: its last line is a value, which nbgrader would read as a score"
        )
