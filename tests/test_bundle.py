"""The student bundle has the release, data and toolkit, and no solutions or hidden tests."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "grading"))
from bundle import FORBIDDEN, build  # noqa: E402


def test_bundle_holds_what_students_need_and_no_answers(tmp_path):
    out = build(tmp_path / "bundle")
    for needed in ("notebooks/00-start-here/00-start-here.ipynb", "datasets", "src/mlcheckup/__init__.py",
                   "requirements.txt", "Makefile", "README.md", "jupyter/student/labconfig/page_config.json"):
        assert (out / needed).exists(), needed
    for absent in ("solutions", "tests", "grading", "benchmarks", ".ci"):
        assert not (out / absent).exists(), absent
    text = "".join(p.read_text(errors="ignore") for p in out.rglob("*.ipynb"))
    assert not any(marker in text for marker in FORBIDDEN)
