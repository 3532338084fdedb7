"""The student bundle has the release, data and toolkit, and no solutions or hidden tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "grading"))
from bundle import FORBIDDEN, build  # noqa: E402


def test_bundle_holds_what_students_need_and_no_answers(tmp_path):
    out = build(tmp_path / "bundle")
    for needed in ("notebooks/00-start-here/00-start-here.ipynb", "datasets", "src/mlcheckup/__init__.py",
                   "requirements.txt", "Makefile", "README.md", "jupyter/student/labconfig/page_config.json"):
        assert (out / needed).exists(), needed
    for absent in ("solutions", "tests", "grading", ".ci"):
        assert not (out / absent).exists(), absent
    # of the benchmarks, only the measured figures the Spark appendix draws (Figure 4.7)
    assert sorted(str(p.relative_to(out)) for p in (out / "benchmarks").rglob("*") if p.is_file()) == [
        "benchmarks/spark/results.json"]
    text = "".join(p.read_text(errors="ignore") for p in out.rglob("*.ipynb"))
    assert not any(marker in text for marker in FORBIDDEN)


def test_bundle_has_the_students_readme_and_makefile_not_the_instructors(tmp_path):
    out = build(tmp_path / "bundle")
    readme = (out / "README.md").read_text()
    for needed in ("make lab", "make check LESSON=", "make submission LESSON=", "## Lessons", "## How to submit",
                   "notebooks/07-capstone/07-capstone.ipynb", "per started day late", "| 00-start-here | "):
        assert needed in readme, needed
    makefile = (out / "Makefile").read_text()
    for instructor_only in ("solutions", "make release", "make grade", "make test", "lab-instructor",
                            "student-bundle", "autograding end to end", "gradebook", "{{"):
        assert instructor_only not in readme, instructor_only
        assert instructor_only not in makefile, instructor_only
    assert not (out / "nbgrader_config.py").exists()


@pytest.mark.slow
def test_every_student_target_is_listed_and_submission_runs_in_the_bundle(tmp_path):
    """`make help` lists exactly the student targets; `make submission` works in the exported bundle."""
    out = build(tmp_path / "bundle")
    venv = Path(sys.executable).parent.parent  # the existing environment: never rebuilt here
    stamp = venv / ".installed"
    make = ["make", "--no-print-directory", "-C", str(out), f"VENV={venv}", "-o", str(stamp)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    shown = subprocess.run([*make, "help"], capture_output=True, text=True, env=env, check=True).stdout
    assert re.findall(r"make (\S+)", shown) == ["help", "venv", "lab", "check", "submission", "clean"]
    dry = subprocess.run([*make, "-n", "submission", "LESSON=00-start-here"], capture_output=True, text=True, env=env)
    assert dry.returncode == 0 and "rm -rf" not in dry.stdout, dry.stdout + dry.stderr
    done = subprocess.run([*make, "submission", "LESSON=00-start-here"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    sent = nbformat.read(out / "submission" / "00-start-here.ipynb", as_version=4)
    release = nbformat.read(out / "notebooks" / "00-start-here" / "00-start-here.ipynb", as_version=4)
    assert [c.source for c in sent.cells] == [c.source for c in release.cells]
    assert "upload submission/00-start-here.ipynb" in done.stdout
    wrong = subprocess.run([*make, "check", "LESSON=99-nope"], capture_output=True, text=True, env=env)
    assert wrong.returncode != 0 and "LESSON must be one of: 00-start-here" in wrong.stderr
