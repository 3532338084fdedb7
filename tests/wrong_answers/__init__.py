"""One plausible wrong answer per exercise: ``tests/wrong_answers/<lesson-id>.py`` defines
``WRONG = {answer grade id: code}``.

The end-to-end autograde test submits them (half of a lesson's answers wrong at a time) and checks
that every test cell of a wrong answer scores 0 while the others keep their points. A wrong answer
runs without raising NotImplementedError: it is a mistake a student would make.
"""

from __future__ import annotations

import runpy
from pathlib import Path

WRONG_ANSWERS: dict[str, dict[str, str]] = {
    path.stem: runpy.run_path(str(path))["WRONG"] for path in sorted(Path(__file__).parent.glob("[0-9][0-9]-*.py"))
}
