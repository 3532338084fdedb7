"""Checks for notebook test cells: friendly, layered, and quiet on stderr.

A failed check raises :class:`~mlcheckup.errors.CheckFailed` (an ``AssertionError``) whose
message says what was checked, what the student's code gave, and one next step::

    ✗ share_failed([200, 500]) should be 0.5, but it is 1.0.
      Next step: divide by the number of responses, not by the number of failures.

nbgrader gives a test cell zero points when it writes anything to stderr, so :func:`call`
runs student code with warnings silenced and ``sys.stderr`` sent to stdout. Hidden tests pass
``reveal=False`` so that a message never shows a hidden expected value.

Taught in lesson 00, §3.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from . import _validate
from .errors import CheckFailed, ExerciseNotStarted, ValidationError

__all__ = [
    "call", "check", "expect", "expect_close", "expect_columns", "expect_equal", "expect_type", "passed",
    "rerun_visible_tests",
]


def _fail(message: str, hint: str | None) -> None:
    text = f"✗ {message}"
    if hint:
        text += f"\n  Next step: {hint}"
    raise CheckFailed(text)


def _show(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


@contextlib.contextmanager
def _quiet(stdout: Any) -> Iterator[None]:
    """Warnings off; ``sys.stderr`` and every logging handler that writes to stderr sent to ``stdout``.

    A logging handler made before (``logging.warning`` makes one on the root logger) holds the
    stream it was given, so redirecting ``sys.stderr`` alone does not quiet it.
    """
    loggers = [logging.getLogger(), *(one for one in logging.Logger.manager.loggerDict.values()
                                      if isinstance(one, logging.Logger))]
    errs = (sys.stderr, sys.__stderr__)
    handlers = {h for lg in loggers for h in lg.handlers
                if isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) in errs}
    moved = [(h, h.setStream(stdout)) for h in handlers]
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(stdout):
            warnings.simplefilter("ignore")
            yield
    finally:
        for handler, stream in moved:
            handler.setStream(stream)


def call(fn: Callable[..., Any], *args: Any, name: str | None = None, hint: str | None = None,
         **kwargs: Any) -> Any:
    """Call a student's function, quietly, and explain a stub or a crash.

    Warnings are silenced and anything written to ``sys.stderr`` or by a logging handler on
    stderr goes to stdout, so that nbgrader does not zero the test cell for a stray warning.

    Parameters
    ----------
    fn : callable
        The student's function.
    *args, **kwargs
        Passed to ``fn`` (so ``fn`` cannot take keyword arguments named ``name`` or ``hint``).
    name : str, optional
        How the message names the call, e.g. ``"share_failed([])"``; default ``fn.__name__``.
    hint : str, optional
        The test's own next step, shown if ``fn`` raises.

    Raises
    ------
    CheckFailed
        If the function is still the release stub, or if it raises.
    """
    label = name or getattr(fn, "__name__", "your function")
    with _quiet(sys.stdout):
        try:
            return fn(*args, **kwargs)
        except NotImplementedError:
            raise ExerciseNotStarted(
                f"✗ {label} is not written yet.\n"
                "  Next step: replace `raise NotImplementedError(...)` in its cell with your code, run that cell, then this one."
            ) from None
        except CheckFailed:
            raise
        except Exception as error:  # the student's bug, reported as a failed check
            step = "run it on the example above and read the traceback."
            _fail(f"{label} raised {type(error).__name__}: {error}", f"{hint} ({step})" if hint else step)


def expect(condition: bool, message: str, hint: str | None = None) -> None:
    """Fail with ``message`` (and ``hint``) unless ``condition`` holds."""
    if not condition:
        _fail(message, hint)


def expect_type(what: str, got: Any, types: type | tuple[type, ...], hint: str | None = None) -> None:
    """Check ``isinstance(got, types)``; the message names the type that was received."""
    if not isinstance(got, types):
        names = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
        _fail(f"{what} should be a {names}, but it is a {type(got).__name__}.", hint)


def expect_equal(what: str, got: Any, expected: Any, hint: str | None = None, *, reveal: bool = True) -> None:
    """Check ``got == expected``; arrays, Series and DataFrames must match in type, shape and values.

    With ``reveal=False`` the expected value is not shown.
    """
    should = f" should be {_show(expected)}," if reveal else " is not what was expected:"
    if isinstance(expected, pd.DataFrame | pd.Series | np.ndarray):
        expected_type = type(expected)
        if not isinstance(got, expected_type):
            _fail(f"{what} should be a {expected_type.__name__}, but it is a {type(got).__name__}.", hint)
        if got.shape != expected.shape:
            _fail(f"{what} should have shape {expected.shape}, but it has shape {got.shape}.", hint)
        try:
            if isinstance(expected, np.ndarray):
                same = bool(np.array_equal(got, expected, equal_nan=expected.dtype.kind in "fc"))
            else:
                (pd.testing.assert_frame_equal if isinstance(expected, pd.DataFrame) else pd.testing.assert_series_equal)(
                    got, expected, check_dtype=False)
                same = True
        except (AssertionError, TypeError, ValueError):
            same = False
    else:
        try:
            same = bool(got == expected)
        except (TypeError, ValueError):  # e.g. an array compared with a scalar
            same = False
    if not same:
        _fail(f"{what}{should} but it is {_show(got)}.", hint)


def expect_close(
    what: str,
    got: Any,
    expected: float,
    *,
    tol: float = 1e-9,
    hint: str | None = None,
    reveal: bool = True,
) -> None:
    """Check that a number is within ``tol`` (absolute, or relative to ``|expected|`` when larger).

    Layers: a real number first (``np.float64`` is fine), then finite, then close.

    Raises
    ------
    ValidationError
        If ``expected`` is not a finite number or ``tol`` not a number >= 0: the test, not the
        student, is wrong.
    """
    try:
        _validate.number("the expected value", expected)
        _validate.number("tol", tol, low=0.0)
    except ValidationError as error:
        raise ValidationError(f"expect_close({what!r}): {error}; fix the test") from None
    if isinstance(got, bool) or not isinstance(got, int | float | np.integer | np.floating):
        _fail(f"{what} should be a number, but it is a {type(got).__name__} ({_show(got)}).",
              hint or "return a single float, e.g. float(value).")
    got = float(got)
    if not math.isfinite(got):
        _fail(f"{what} should be a finite number, but it is {got}.", hint)
    if abs(got - expected) > tol * max(1.0, abs(expected)):
        if reveal:
            _fail(f"{what} should be {_show(expected)}, but it is {_show(got)}.", hint)
        _fail(f"{what} is {_show(got)}, which is not the expected value (tolerance {tol:g}).", hint)


def expect_columns(what: str, frame: Any, columns: Iterable[str], hint: str | None = None) -> None:
    """Check that a DataFrame has (at least) the given columns."""
    have = list(getattr(frame, "columns", []))
    missing = [c for c in columns if c not in have]
    if missing:
        _fail(f"{what} is missing the column(s) {missing}; it has {have}.", hint)


def check(label: str, checks: Iterable[Callable[[], None]]) -> None:
    """Run checks in order, stop at the first failure, and print a tick when all pass."""
    for one in checks:
        one()
    passed(label)


def passed(label: str) -> None:
    """Print the line a student sees when a test cell's visible checks pass."""
    print(f"✓ {label}")


def rerun_visible_tests(namespace: dict, tests: dict[str, list[str]]) -> dict[str, str | None]:
    """Re-run a lesson's visible test cells and print one line per exercise.

    The last cell of every lesson calls this (``make release`` generates it from the lesson's
    test cells, hidden tests left out). Each test runs in ``namespace`` (the notebook's
    globals), quietly; the first failure of an exercise is its line.

    Parameters
    ----------
    namespace : dict
        Where the tests run: pass ``globals()``.
    tests : dict
        Exercise label → the source of each of its visible test cells, in order.

    Returns
    -------
    dict
        Exercise label → ``None`` when its visible tests pass, else the first failure's message.
    """
    results: dict[str, str | None] = {}
    for label, sources in tests.items():
        results[label] = None
        for index, source in enumerate(sources, start=1):
            sink = io.StringIO()
            with contextlib.redirect_stdout(sink), _quiet(sink):
                try:
                    exec(compile(source, f"<{label}, test cell {index}>", "exec"), namespace)
                except Exception as error:  # a failed check, a stub, or any other error of the answer
                    text = str(error).strip() or type(error).__name__
                    if not isinstance(error, CheckFailed):
                        text = f"{type(error).__name__}: {text}"
                    results[label] = text.removeprefix("✗ ").splitlines()[0]
            if results[label]:
                break
    for label, failure in results.items():
        print(f"✓ {label}: visible tests pass" if failure is None else f"✗ {label}: {failure}")
    passing = sum(failure is None for failure in results.values())
    print(f"{passing} of {len(results)} exercises pass their visible tests; "
          "hidden tests run when your work is graded.")
    return results
