"""Export what students get: the release, the data, the toolkit; no solutions, no hidden tests.

    python grading/bundle.py grading/student-bundle

Publish the resulting folder as the students' repository. The instructors' repository (this one)
keeps ``solutions/``, ``tests/`` and the gradebook: hidden tests are stored there and in
``gradebook.db``, so students must never get either.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = [
    "README.md", "LICENSE", "LICENSE-CONTENT.md", "Makefile", "pyproject.toml", "environment.yml",
    "requirements.in", "requirements.txt", "conftest.py", "nbgrader_config.py", ".gitignore",
    "notebooks", "datasets", "src", "jupyter",
]
IGNORE = shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints")
FORBIDDEN = ("### BEGIN HIDDEN TESTS", "### BEGIN SOLUTION")


def build(target: Path) -> Path:
    """Copy the student files into ``target`` (replaced if present) and check it holds no answers."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in INCLUDE:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=IGNORE)
        elif source.exists():
            shutil.copy2(source, target / name)
    leaks = [
        str(path.relative_to(target))
        for path in target.rglob("*")
        if path.is_file() and path.suffix in {".ipynb", ".py", ".md"}
        and any(marker in path.read_text(errors="ignore") for marker in FORBIDDEN)
    ]
    if leaks:
        shutil.rmtree(target)
        raise SystemExit(f"refusing to build a student bundle that contains answers: {leaks}")
    return target


if __name__ == "__main__":
    out = build(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "grading" / "student-bundle"))
    print(f"student bundle written to {out}")
