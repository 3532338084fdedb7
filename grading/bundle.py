"""Export what students get: the release, the data, the toolkit; no solutions, no hidden tests.

    python grading/bundle.py grading/student-bundle

Students get their own ``README.md`` (the two commands, the lesson map and due dates, how to
submit; filled from ``grading/student/README.md``, the course README and ``grading/schedule.toml``)
and ``Makefile`` (``grading/student/Makefile``: only the targets a student runs), not the
instructors'. Publish the resulting folder as the students' repository. The instructors' repository (this one)
keeps ``solutions/``, ``tests/`` and the gradebook: hidden tests are stored there and in
``gradebook.db``, so students must never get either.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from penalties import describe, load_schedule

ROOT = Path(__file__).resolve().parent.parent
# The course's README and Makefile are the instructors' (solutions, release, grade): students get
# their own, from grading/student/, and no nbgrader_config.py (it names solutions/ and the gradebook).
INCLUDE = [
    "LICENSE", "LICENSE-CONTENT.md", "pyproject.toml", "environment.yml",
    "requirements.in", "requirements.txt", "conftest.py", ".gitignore",
    "notebooks", "datasets", "src", "jupyter",
    "benchmarks/spark/results.json",  # Figure 4.7 of the Spark appendix
]
STUDENT = ROOT / "grading" / "student"
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
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    shutil.copy2(STUDENT / "Makefile", target / "Makefile")
    (target / "README.md").write_text(student_readme())
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


def _sections(markdown: str) -> dict[str, str]:
    """The course README's ``## `` sections by title (body only), and ``intro``: what precedes them."""
    parts = re.split(r"^## (.+)$", markdown, flags=re.M)
    sections = {"intro": parts[0].strip()}
    sections.update({title.strip(): body.strip() for title, body in zip(parts[1::2], parts[2::2], strict=True)})
    return sections


def student_readme() -> str:
    """grading/student/README.md with the course README's intro, lesson map and modes, and the schedule."""
    course = _sections((ROOT / "README.md").read_text())
    course = {name: course.get(name, "{{" + name + "}}") for name in ("intro", "Lessons", "Local mode and Azure mode")}
    schedule = load_schedule()
    due = "\n".join(f"| {lesson} | {when:%a %d %b %Y, %H:%M} UTC |" for lesson, when in sorted(schedule.due.items()))
    fields = {
        "intro": course["intro"],
        "Lessons": course["Lessons"].replace(", checked by the tests", ""),
        "Local mode and Azure mode": "## Local mode and Azure mode\n\n" + course["Local mode and Azure mode"],
        "due": f"Due dates (late work loses {describe(schedule.policy)}):\n\n| lesson | due |\n|---|---|\n{due}",
    }
    text = (STUDENT / "README.md").read_text()
    for name, value in fields.items():
        text = text.replace("{{" + name + "}}", value)
    left = re.findall(r"\{\{[^}]+\}\}", text)
    if left:
        raise SystemExit(f"grading/student/README.md has placeholders nothing fills: {left}; "
                         "the course README may have renamed a section")
    return text


if __name__ == "__main__":
    out = build(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "grading" / "student-bundle"))
    print(f"student bundle written to {out}")
