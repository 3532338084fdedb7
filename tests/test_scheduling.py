"""conftest.py's scheduling: which xdist scope an item belongs to, and the longest scopes first."""

from __future__ import annotations

from types import SimpleNamespace

from conftest import _scope, pytest_collection_modifyitems


class _Run:
    SCOPE = "autograde-00-start-here"


def _item(nodeid: str, **attrs):
    return SimpleNamespace(nodeid=nodeid, **attrs)


def test_a_lesson_run_a_function_and_a_notebook_cell_each_get_a_scope():
    """A notebook cell under nbval has no ``cls`` at all (CI's second Python collects them)."""
    run = _item("tests/test_autograde.py::TestLesson00_start_here::test_x[00-start-here]", cls=_Run)
    function = _item("tests/test_core.py::test_y", cls=None)
    cell = _item("solutions/00-start-here/00-start-here.ipynb::Cell 3")
    assert [_scope(i) for i in (run, function, cell)] == [
        "autograde-00-start-here", "tests/test_core.py", "solutions/00-start-here/00-start-here.ipynb"]


def test_the_longest_scopes_are_handed_out_first_and_a_scope_stays_together():
    items = [_item("tests/test_core.py::test_a", cls=None),
             _item("tests/test_autograde_hostile.py::test_b", cls=None),
             _item("tests/test_core.py::test_c", cls=None),
             _item("tests/test_autograde.py::TestLesson00_start_here::test_d", cls=_Run)]
    pytest_collection_modifyitems(None, items)
    assert [i.nodeid.rsplit("::", 1)[1] for i in items] == ["test_b", "test_d", "test_a", "test_c"]
