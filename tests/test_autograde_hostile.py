"""Autograding survives hostile or broken submissions and grades each one correctly.

All of them are graded in one nbgrader run (as an instructor would grade a class) on lesson 00,
in the sandbox of ``grading/sandbox.py`` (as ``make grade`` runs), with a short time limit on the
looping cell only (``SHORT_TIMEOUT_MARK``) so that the endless loop costs seconds, not minutes, while
every other cell keeps the course's limit (a short limit for all cells would cut slow imports too).

The sandbox's guarantees are proven the same way: one more student runs every attack, each in a
cell of its own before the right answer, and each cell prints whether its attack escaped; full
marks then also mean the kernel survived them all. The negative control: the same notebook, graded
in the same course WITHOUT the sandbox, where each attack succeeds (so the sandbox tests can fail).
"""

from __future__ import annotations

import copy
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from course import (
    ROOT,
    SHORT_TIMEOUT_MARK,
    ScratchCourse,
    is_test,
    nbgrader_meta,
    replace_answers,
    source_path,
)

pytestmark = [pytest.mark.slow, pytest.mark.grading]
LESSON = "00-start-here"
ANSWER = "ex0_1_share_failed"
RIGHT = """
import sys, warnings
import numpy as np
def share_failed(status_codes):
    codes = np.asarray(list(status_codes), dtype=int)
    return 0.0 if codes.size == 0 else float(np.mean(codes >= 400))
"""
WRONG = "def share_failed(status_codes):\n    return 0.5\n"

# student -> (how the submission is made, expected share of the autograded points)
CASES = {
    "loops-forever": ({ANSWER: f"while True:  {SHORT_TIMEOUT_MARK}\n    pass\n"}, 0.0),
    "exits-kernel": ({ANSWER: "import os\nos._exit(1)\n"}, 0.0),
    # a right answer, then a cell of the student's own that kills the kernel: only that cell is lost
    "exits-kernel-after-answering": ({ANSWER: RIGHT}, 1.0),
    "floods-output": ({ANSWER: "for i in range(20_000):\n    print('flood ' * 20)\n" + RIGHT}, 1.0),
    "prints-warnings": ({ANSWER: RIGHT.replace("    codes =", "    warnings.warn('careful')\n"
                                               "    print('debug', file=sys.stderr)\n    codes =")}, 1.0),
    "edits-tests": ({ANSWER: WRONG}, 0.0),
    "deletes-tests-right-answer": ({ANSWER: RIGHT}, 1.0),
    "deletes-tests-wrong-answer": ({ANSWER: WRONG}, 0.0),
    "not-json": (None, 0.0),
    "honest": ({}, 1.0),
}
#: Set in the environment nbgrader runs in; a kernel must not see it.
SECRET = ("AZURE_CLIENT_SECRET", "hostile-test-secret")
DAEMON = f"mlcheckup-hostile-daemon-{uuid.uuid4().hex}"
#: The daemon's token in the negative control (graded without the sandbox, where it does outlive its kernel).
CONTROL_DAEMON = f"mlcheckup-hostile-control-{uuid.uuid4().hex}"
ATTACKER, CONTROL = "sandboxed-attacks", "unsandboxed-attacks"
ATTACKS = ["sandbox-reads-secrets", "sandbox-opens-socket", "sandbox-allocates-20gb", "sandbox-writes-1gb",
           "sandbox-outlives-kernel"]


def attacks(course: ScratchCourse, port: int, daemon: str = DAEMON) -> dict[str, str]:
    """attack -> the code of its cell; it sets ``ESCAPED`` if the attack worked."""
    home = next((str(p) for p in Path.home().iterdir() if p.is_file()), str(Path.home()))
    secrets = [str(source_path(LESSON)), str(course.root / "gradebook.db"),
               str(course.root / "submitted" / "honest" / LESSON / f"{LESSON}.ipynb"), home]
    return {
        "sandbox-reads-secrets": f"""
import os
ESCAPED = bool(os.environ.get({SECRET[0]!r}))
for path in {secrets!r}:
    try:
        with open(path, "rb") as f:
            f.read(1)
        ESCAPED = True
    except OSError:
        pass
""",
        "sandbox-opens-socket": f"""
import _socket  # not socket: the test suite's network guard patches that one
mine = _socket.socket(); mine.bind(("127.0.0.1", 0)); mine.listen()
_socket.socket().connect(mine.getsockname())  # its own loopback works
try:
    out = _socket.socket(); out.settimeout(3); out.connect(("127.0.0.1", {port}))  # the host's loopback
    ESCAPED = True
except OSError:
    ESCAPED = False
""",
        # Reserved, not touched: the sandbox's limit is on address space, and touching 20 GiB would
        # cost the unsandboxed control a minute of page faults and most of this machine's memory.
        "sandbox-allocates-20gb": """
import mmap
try:
    hoard = mmap.mmap(-1, 20 * 2**30); ESCAPED = True; hoard.close()
except (MemoryError, OSError):
    ESCAPED = False
""",
        "sandbox-writes-1gb": """
import os
try:
    with open("big.bin", "wb") as f:
        for _ in range(1024):
            f.write(bytes(2**20))
    ESCAPED = True
except OSError:
    ESCAPED = False
os.remove("big.bin")
""",
        "sandbox-outlives-kernel": f"""
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", {daemon!r}], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ESCAPED = False
""",
    }


def attacking(reference, code: dict[str, str]):
    """The right answer, after one cell per attack that prints ``ESCAPED <attack> <True|False>``."""
    nb = replace_answers(reference, {ANSWER: RIGHT})
    at = next(i for i, cell in enumerate(nb.cells) if nbgrader_meta(cell).get("grade_id") == ANSWER)
    nb.cells[at:at] = [nbformat.v4.new_code_cell(f"{attack}\nprint('ESCAPED', {name!r}, ESCAPED)")
                       for name, attack in code.items()]
    return nb


def escaped(course: ScratchCourse, student: str) -> dict[str, bool | None]:
    """attack -> whether it escaped, as its cell printed (None: the cell never finished)."""
    printed = "".join(out.get("text", "") for cell in course.executed(student, LESSON).cells
                      for out in cell.get("outputs", []) if out.get("output_type") == "stream")
    return {name: True if f"ESCAPED {name} True" in printed else False if f"ESCAPED {name} False" in printed
            else None for name in ATTACKS}


def daemons(token: str = DAEMON) -> list[int]:
    """Host pids whose command line carries the daemon's token."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and token.encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def graded():
    course = ScratchCourse(sandbox=True, short_timeout=3)
    course.generate(LESSON)
    reference = nbformat.read(source_path(LESSON), as_version=4)
    host = socket.socket()
    host.bind(("127.0.0.1", 0))
    host.listen()
    course.submit(ATTACKER, LESSON, attacking(reference, attacks(course, host.getsockname()[1])))
    for student, (answers, _) in CASES.items():
        if answers is None:
            course.submit(student, LESSON, '{"cells": [')  # a truncated upload
            continue
        nb = replace_answers(reference, answers)
        if student == "edits-tests":
            for cell in nb.cells:
                if is_test(cell):
                    cell.source = "pass"
        if student == "exits-kernel-after-answering":
            at = next(i for i, cell in enumerate(nb.cells) if nbgrader_meta(cell).get("grade_id") == ANSWER)
            nb.cells.insert(at + 1, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
        if student.startswith("deletes-tests"):
            nb = copy.deepcopy(nb)
            nb.cells = [cell for cell in nb.cells if not is_test(cell)]
        course.submit(student, LESSON, nb)
    done = course.autograde(LESSON, env=dict([SECRET]))
    control = run_the_attacks_unsandboxed(course, reference, host.getsockname()[1])
    host.close()
    yield course, done, control
    course.remove()


def run_the_attacks_unsandboxed(course: ScratchCourse, reference, port: int) -> dict[str, bool]:
    """The negative control: attack name -> whether it succeeded, in the attacker's notebook graded without the sandbox.

    Its daemon (another token) is looked for once the kernel is gone, then killed.
    """
    course.submit(CONTROL, LESSON, attacking(reference, attacks(course, port, CONTROL_DAEMON)))
    course.sandbox = False
    try:
        done = course.autograde(LESSON, f"--student={CONTROL}", env=dict([SECRET]))
    finally:
        course.sandbox = True
    assert done.returncode == 0, done.stderr[-3000:]
    result = escaped(course, CONTROL)
    outlived = daemons(CONTROL_DAEMON)
    for pid in outlived:
        os.kill(pid, 9)
    result["sandbox-outlives-kernel"] = bool(outlived)
    return result


def _share(course, student) -> float:
    scores = course.scores(student, LESSON)
    earned, top = sum(s for s, _ in scores.values()), sum(m for _, m in scores.values())
    assert top > 0, f"{student}: nothing graded"
    return earned / top


@pytest.mark.parametrize("student", CASES)
def test_each_submission_gets_the_right_score(graded, student):
    course, _, _ = graded
    assert _share(course, student) == CASES[student][1], course.scores(student, LESSON)


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_sandbox_stops_each_attack(graded, attack):
    """The attack's cell ran to its end and says it failed (the daemon's escape is checked below)."""
    course, _, _ = graded
    assert escaped(course, ATTACKER)[attack] is False, f"{attack}: {escaped(course, ATTACKER)}"


def test_the_kernel_survives_every_attack(graded):
    """Full marks: the right answer after the attacks' cells was run and graded in the same kernel."""
    course, _, _ = graded
    cells = course.executed(ATTACKER, LESSON).cells
    assert not any(out.get("ename") == "DeadKernelError" for cell in cells for out in cell.get("outputs", []))
    assert _share(course, ATTACKER) == 1.0, course.scores(ATTACKER, LESSON)


def _room_for_20gb() -> bool:
    """Whether this machine lets a process reserve 20 GiB (RAM and swap, or overcommit always on)."""
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    total = sum(int(meminfo[key].split()[0]) * 1024 for key in ("MemTotal", "SwapTotal"))
    return Path("/proc/sys/vm/overcommit_memory").read_text().strip() == "1" or total > 20 * 2**30


@pytest.mark.parametrize("attack", ATTACKS)
def test_without_the_sandbox_each_attack_succeeds(graded, attack):
    """The negative control of the test above: each attack does what it tries, so the sandbox is what stops it."""
    _, _, control = graded
    if attack == "sandbox-allocates-20gb" and not _room_for_20gb():
        pytest.skip("this machine cannot reserve 20 GiB even without the sandbox's limit")
    assert control[attack], f"{attack} failed even without the sandbox, so its sandbox test proves nothing: {control}"


def test_nothing_a_submission_starts_outlives_its_kernel(graded):
    deadline = time.monotonic() + 10  # the namespace's processes are killed as its kernel exits
    while daemons() and time.monotonic() < deadline:
        time.sleep(0.2)
    left = daemons()
    for pid in left:
        os.kill(pid, 9)
    assert not left, f"processes started by a submission outlived its kernel: {left}"


def test_the_daemon_check_can_fail():
    """A process started outside the sandbox with the daemon's token is found."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", DAEMON])
    try:
        deadline = time.monotonic() + 10
        while proc.pid not in daemons() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.pid in daemons()
    finally:
        proc.kill()
        proc.wait()


def test_the_wall_time_limit_stops_a_kernel(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "grading" / "sandbox.py"), "run", "--", "sleep", "30"],
                          cwd=tmp_path, env={**os.environ, "SANDBOX_WALL": "1"}, capture_output=True, text=True,
                          timeout=20)
    assert done.returncode != 0 and "longer than SANDBOX_WALL=1 s" in done.stderr, done.stderr


def test_a_missing_sandbox_is_said_once_and_refused_unless_the_instructor_chooses(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no bwrap on it
    check = [sys.executable, str(ROOT / "grading" / "sandbox.py"), "check"]
    refused = subprocess.run(check, env=env, capture_output=True, text=True)
    assert refused.returncode == 3 and "bubblewrap" in refused.stderr and len(refused.stderr.splitlines()) == 1
    for choice, said in (("degrade", "DEGRADED"), ("off", "OFF")):
        chosen = subprocess.run(check, env={**env, "SANDBOX": choice}, capture_output=True, text=True)
        assert chosen.returncode == 0 and said in chosen.stdout, chosen.stdout + chosen.stderr


def test_the_batch_reports_the_submissions_it_could_not_run(graded):
    """Only the notebook that is no notebook; a kernel that died was replaced (grading/execute.py)."""
    _, done, _ = graded
    assert "for student 'not-json'" in done.stderr
    assert "for student 'exits-kernel" not in done.stderr and "for student 'honest'" not in done.stderr


def test_a_cell_that_kills_the_kernel_is_marked_and_the_rest_runs_in_a_fresh_one(graded):
    course, _, _ = graded
    cells = course.executed("exits-kernel-after-answering", LESSON).cells
    died = [i for i, cell in enumerate(cells) for out in cell.get("outputs", []) if out.get("ename") == "DeadKernelError"]
    assert len(died) == 1 and "os._exit" in cells[died[0]].source
    after = [out for cell in cells[died[0] + 1:] for out in cell.get("outputs", [])]
    assert after and not any(out.get("output_type") == "error" for out in after)
