"""Feedback students may keep: scores per cell, and hidden tests left out unless asked for.

``nbgrader generate_feedback`` turns each autograded notebook into HTML. Autograded notebooks
hold the hidden tests (nbgrader puts them back before running), so by default the feedback would
hand them to students and they could not be reused next term. ``nbgrader_config.py`` sets
``GenerateFeedback.preprocessors`` to :func:`feedback_preprocessors`, which with
``HIDDEN_TESTS=hide`` (the default) adds :class:`HideHiddenTests`: it removes each test cell's
``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` block and every output line that quotes it
(a traceback shows the failing line), after nbgrader has read the cell's score, so the feedback
still shows each cell's points. ``HIDDEN_TESTS=show`` gives the full cells (e.g. after the term).

    HIDDEN_TESTS=hide nbgrader generate_feedback 01-why-monitor --force   # what make grade runs
"""

from __future__ import annotations

import os
import sys

from nbgrader.preprocessors import ClearHiddenTests

__all__ = ["HIDDEN_NOTE", "HideHiddenTests", "feedback_preprocessors", "hidden_lines"]

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
HIDDEN_NOTE = "# (hidden tests ran here; they are not shown, and count in this cell's points)"
_WITHHELD = "(a hidden test failed; its details are not shown)"


def hidden_lines(source: str) -> list[str]:
    """The meaningful lines (stripped, 6 characters or more) between the hidden-test markers."""
    lines, inside = [], False
    for line in source.splitlines():
        if BEGIN in line:
            inside = True
        elif END in line:
            inside = False
        elif inside and len(line.strip()) >= 6:
            lines.append(line.strip())
    return lines


def _quotes(text: str, hidden: list[str]) -> bool:
    return any(line in text for line in hidden)


class HideHiddenTests(ClearHiddenTests):
    """Remove hidden tests, and the outputs that quote them, from autograded test cells."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.enforce_metadata = False

    def preprocess_cell(self, cell, resources, cell_index):
        hidden = hidden_lines(cell.source) if cell.cell_type == "code" else []
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if hidden:
            cell.source = cell.source.rstrip("\n") + "\n" + HIDDEN_NOTE
            cell.outputs = [self._scrub(output, hidden) for output in cell.get("outputs", [])]
        return cell, resources

    @staticmethod
    def _scrub(output, hidden):
        if output.get("output_type") == "error":
            # The traceback quotes the failing line; keep the error's type, and its message if safe.
            message = output.get("evalue", "")
            output.evalue = _WITHHELD if _quotes(message, hidden) else message
            output.traceback = [f"{output.get('ename', 'Error')}: {output.evalue}"]
        elif output.get("output_type") == "stream":
            output.text = "".join(
                line for line in output.get("text", "").splitlines(keepends=True) if not _quotes(line, hidden)
            )
        else:
            for mime, value in list(output.get("data", {}).items()):
                text = value if isinstance(value, str) else "".join(value)
                if _quotes(text, hidden):
                    output.data[mime] = _WITHHELD
        return output


def feedback_preprocessors(environ=os.environ) -> list[str]:
    """``GenerateFeedback.preprocessors`` for ``HIDDEN_TESTS`` (``hide``, the default, or ``show``).

    Any value other than ``show`` hides (and says so on stderr): a typo must not publish the tests.
    """
    mode = environ.get("HIDDEN_TESTS", "hide").strip().lower() or "hide"
    if mode not in ("hide", "show"):
        print(f"HIDDEN_TESTS must be 'hide' or 'show' (got {mode!r}); hiding the hidden tests", file=sys.stderr)
    steps = ["nbgrader.preprocessors.GetGrades", "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
    if mode != "show":
        steps.insert(1, "feedback.HideHiddenTests")  # after GetGrades has read the scores
    return steps
