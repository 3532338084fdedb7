"""Benchmark ``grading/batch.py``: submissions per minute against workers, and the per-submission overhead.

One run, one scratch course in ``grading/ci-bench-*`` (inside the repository, as graded notebooks
need): the lesson's solution submitted by ``--students`` students, graded by the batch (sandboxed, as
``make grade`` does) with 1 worker, then again with 2. The notebook's own run time is the same notebook
executed once by nbclient in a fresh kernel, nothing else (no nbgrader, no sandbox).

    python benchmarks/grading/bench_grading.py [--lesson 00-start-here] [--students 8]

Writes ``benchmarks/grading/results.json`` and the table in ``benchmarks/grading/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "grading"))
import batch  # noqa: E402
from gradebooks import template  # noqa: E402

BEGIN, END = "<!-- bench-grading:begin -->", "<!-- bench-grading:end -->"


def own_run_seconds(notebook: Path, folder: Path) -> float:
    """Seconds nbclient takes to execute ``notebook`` in a fresh kernel, run from ``folder``."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(folder)}}).execute()
    return time.perf_counter() - start


def nbgrader(course: Path, *args: str) -> None:
    rel = course.relative_to(ROOT)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run([str(Path(sys.executable).parent / "nbgrader"), *args,
                    f"--CourseDirectory.release_directory={rel}/release", f"--CourseDirectory.db_url=sqlite:///{course}/gradebook.db",
                    "--log-level=ERROR"], cwd=ROOT, env=env, check=True, capture_output=True)


def measure(lesson: str, students: int) -> dict:
    course = Path(tempfile.mkdtemp(prefix="ci-bench-", dir=ROOT / "grading"))
    try:
        nbgrader(course, "generate_assignment", lesson, "--force")
        solution = ROOT / "solutions" / lesson / f"{lesson}.ipynb"
        for i in range(students):
            folder = course / "submitted" / f"s{i + 1:02d}" / lesson
            folder.mkdir(parents=True)
            shutil.copyfile(solution, folder / f"{lesson}.ipynb")
        runs = course / "own-run"
        runs.mkdir()
        own = min(own_run_seconds(solution, runs) for _ in range(2))
        rel = course.relative_to(ROOT)
        blank = template(course / "gradebook.db", course / "blank.db")
        rows = []
        for workers in (1, 2):
            db = shutil.copyfile(blank, course / f"gradebook-{workers}.db")
            where = batch.Course(submitted=f"{rel}/submitted", autograded=f"{rel}/autograded-{workers}",
                                 db=str(db.relative_to(ROOT)), work=f"{rel}/work-{workers}")
            start = time.perf_counter()
            results = batch.grade(where, [lesson], workers=workers)
            wall = time.perf_counter() - start
            full = sum(r.score == r.max_score > 0 for r in results)
            rows.append({"workers": workers, "wall_s": round(wall, 1), "per_minute": round(60 * students / wall, 2),
                         "mean_submission_s": round(sum(r.seconds for r in results) / len(results), 2),
                         "full_marks": full})
        base = rows[0]
        return {"lesson": lesson, "students": students, "cores": os.cpu_count(), "python": platform.python_version(),
                "sandbox": os.environ.get("SANDBOX", "refuse"), "own_run_s": round(own, 2), "rows": rows,
                "speedup_2_vs_1": round(rows[1]["per_minute"] / base["per_minute"], 2),
                "overhead_per_submission": round(base["mean_submission_s"] / own, 2),
                "overhead_amortized": round(base["wall_s"] / students / own, 2),
                "load_average": [round(x, 1) for x in os.getloadavg()]}
    finally:
        shutil.rmtree(course, ignore_errors=True)


def table(r: dict) -> str:
    lines = [f"Lesson `{r['lesson']}`, {r['students']} submissions (the solution), {r['cores']} cores, Python "
             f"{r['python']}, SANDBOX={r['sandbox']}; load average after the run {r['load_average']}.", "",
             "| workers | wall (s) | submissions / min | mean seconds per submission (in its worker) | full marks |",
             "|---:|---:|---:|---:|---:|"]
    lines += [f"| {x['workers']} | {x['wall_s']} | {x['per_minute']} | {x['mean_submission_s']} | "
              f"{x['full_marks']}/{r['students']} |" for x in r["rows"]]
    lines += ["", f"- speed-up from 1 to 2 workers: **{r['speedup_2_vs_1']}×** (target ≥ 1.8×)",
              f"- the notebook's own run (nbclient, fresh kernel, no nbgrader, no sandbox): {r['own_run_s']} s",
              f"- per-submission time at 1 worker / own run: **{r['overhead_per_submission']}×** in the worker, "
              f"**{r['overhead_amortized']}×** with start-up and merge amortized (target ≤ 1.2×)"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", default="00-start-here")
    parser.add_argument("--students", type=int, default=8)
    args = parser.parse_args()
    result = measure(args.lesson, args.students)
    (HERE / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    readme = HERE / "README.md"
    text = readme.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    readme.write_text(text[:start] + "\n" + table(result) + "\n" + text[end:])
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
