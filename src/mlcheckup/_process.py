"""Server processes that never outlive the notebook that started them (private).

Three layers keep a lesson from leaving servers behind:

1. every server runs in its own process group (``start_new_session``), and :func:`terminate`
   signals the whole group (gunicorn master and workers) and waits for it; the exit hook of
   :mod:`mlcheckup._lifecycle` does that for every server still running when Python exits;
2. on Linux, a tiny launcher sets ``PR_SET_PDEATHSIG`` before ``exec``-ing the server, so the
   kernel sends it SIGTERM the moment the notebook kernel dies (a kernel restart, a crash,
   ``kill -9``); other systems (macOS) have no such call, and rely on layers 1 and 3;
3. each process writes its servers' pids into its own run folder (:func:`session_dir`); the next
   process to start a server reaps any server whose owner is gone.

``PR_SET_PDEATHSIG`` fires when the *thread* that started the child ends, so :func:`spawn`
called from any thread but the main one starts the child from a daemon thread that lives as long
as the process (a server started from a worker thread that ends keeps running).

Run files are private to the user: run folders are created 0700 and files 0600
(:func:`private_opener`), as collected data and telemetry may hold personal data. Names that
become parts of a path are checked by :func:`path_component` where the path is made.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from .errors import DiskFullError, ValidationError
from .paths import course_root, run_dir

#: errno values that mean "no space left" (a full disk, or a full quota).
_FULL = {errno.ENOSPC, errno.EDQUOT}
#: A safe path component: ASCII letters, digits, _ - and dots, not starting with a dot (so never ..).
_COMPONENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}", re.ASCII)


def path_component(what: str, value) -> str:
    """``value`` as a string that is safe as one folder or file name; else :class:`ValidationError`.

    ASCII letters, digits, ``_``, ``-`` and ``.`` only, 1-64 of them, not starting with ``.``:
    no ``/``, no ``..``, no absolute path, no trailing newline, no look-alike (full-width) letters.
    """
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _COMPONENT.fullmatch(text):
        raise ValidationError(f"{what} must be 1-64 ASCII letters, digits, _, - or dots, not starting with a dot "
                              f"(got {value!r}); it becomes a folder name, so slashes, '..' and spaces are refused")
    return text


def is_disk_full(error: BaseException) -> bool:
    """True if ``error`` says the disk (or the quota) is full: ENOSPC, EDQUOT, or SQLite's SQLITE_FULL."""
    if isinstance(error, OSError) and error.errno in _FULL:
        return True
    return getattr(error, "sqlite_errorcode", None) == 13  # SQLITE_FULL: "database or disk is full"


def disk_full_error(action: str, where, error: BaseException) -> DiskFullError:
    """The :class:`DiskFullError` for a write that failed because the disk is full."""
    return DiskFullError(f"disk full: could not {action} ({where}: {error}); free some space on the disk that "
                         f"holds {where} (old run folders under .mlcheckup/runtime/ can go), then try again")


def private_opener(path, flags):
    """``opener=`` for :func:`open` that creates files readable by this user only (0600)."""
    return os.open(path, flags, 0o600)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, created 0600."""
    with open(path, "w", encoding="utf-8", opener=private_opener) as out:
        out.write(text)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) if missing, and make the folder itself 0700."""
    path.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        path.chmod(0o700)
    return path


def _launcher(platform: str | None = None) -> str:
    """Code run in a fresh interpreter (-I -S: no site, no env) that becomes the server.

    On Linux it first asks the kernel to SIGTERM it when its parent dies (``prctl`` is Linux's);
    elsewhere it only checks that the parent is still there.
    """
    platform = sys.platform if platform is None else platform
    die_with_parent = ("import ctypes\nctypes.CDLL(None).prctl(1, signal.SIGTERM)\n"  # 1 = PR_SET_PDEATHSIG
                       if platform.startswith("linux") else "")
    return ("import os,signal,sys\n" + die_with_parent
            + "if os.getppid() != int(sys.argv[1]): sys.exit(70)\n"  # the parent died before prctl
            + "os.execv(sys.argv[2], sys.argv[2:])\n")


def _identity(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def _alive(record: dict) -> bool:
    created = _identity(record["pid"])
    return created is not None and abs(created - record["create_time"]) < 0.05


@functools.cache
def _session_for(root: Path, pid: int) -> Path:
    base = run_dir("runtime", start=root)
    reap_orphans(base)
    folder = private_dir(base / f"{pid}-{int(_identity(pid) * 1000)}")
    private_dir(folder / "processes")
    write_private(folder / "owner.json", json.dumps({"pid": pid, "create_time": _identity(pid)}))
    return folder


def session_dir(start: str | os.PathLike | None = None) -> Path:
    """This process's own run folder, ``.mlcheckup/runtime/<pid>-<start ms>/``.

    It is unique per process, so notebooks graded in parallel never share files. The first call
    also reaps servers left behind by processes that have died.
    """
    return _session_for(course_root(start), os.getpid())


_CLAIM = ".reaping-"


def _stale_folders(runtime: Path):
    """Run folders whose owner is gone, and folders a reaper that died left claimed."""
    try:
        folders = sorted(runtime.iterdir())
    except OSError:
        return
    for folder in folders:
        if folder.name.startswith(_CLAIM):
            pid, _, name = folder.name[len(_CLAIM):].partition("-")
            if name and pid.isdigit() and not psutil.pid_exists(int(pid)):
                yield folder, folder.with_name(name)  # its reaper died half-way: finish its work
            continue
        try:
            owner = json.loads((folder / "owner.json").read_text())
        except (OSError, ValueError):  # not a run folder, one being created, or one another process took
            continue
        if not _alive(owner):
            yield folder, folder


def _reap_claimed(folder: Path, reaped: list[int]) -> None:
    for pid_file in folder.glob("processes/*.json"):
        with contextlib.suppress(OSError, ValueError):
            record = json.loads(pid_file.read_text())
            if _alive(record):
                _kill_group(record["pid"], timeout=5)
                reaped.append(record["pid"])
        pid_file.unlink(missing_ok=True)


def reap_orphans(runtime: Path, keep_hours: float = 24.0) -> list[int]:
    """Stop every recorded server whose owning process is gone; return their pids.

    The run folder of a dead process is kept ``keep_hours`` (its logs and collected data may
    explain a crash), then deleted. Several processes may reap at once (notebooks graded in
    parallel): each folder is first claimed by an atomic rename to ``.reaping-<pid>-<name>``,
    so exactly one process handles it, and files that vanish meanwhile are skipped.
    """
    reaped: list[int] = []
    for folder, home in _stale_folders(Path(runtime)):
        claimed = folder.with_name(f"{_CLAIM}{os.getpid()}-{home.name}")
        try:
            folder.rename(claimed)
        except OSError:  # another process claimed (or deleted) it first
            continue
        try:
            _reap_claimed(claimed, reaped)
        finally:
            try:
                age = time.time() - (claimed / "owner.json").stat().st_mtime
            except OSError:
                age = float("inf")  # no owner file left: nothing worth keeping
            if age > keep_hours * 3600:
                shutil.rmtree(claimed, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):  # keep it, under its own name, for its logs
                    claimed.rename(home)
    return reaped


_SPAWN_REQUESTS: queue.SimpleQueue = queue.SimpleQueue()
_SPAWNER: threading.Thread | None = None
_SPAWNER_LOCK = threading.Lock()


def _spawner_loop() -> None:
    while True:
        work, reply = _SPAWN_REQUESTS.get()
        try:
            reply.put((True, work()))
        except BaseException as error:  # handed back to the thread that asked
            reply.put((False, error))


def _from_a_lasting_thread(work):
    """Run ``work()`` on the main thread, or on a daemon thread that lives as long as the process.

    The kernel sends PR_SET_PDEATHSIG when the *thread* that forked the child ends: a server
    started from a short-lived thread (a thread pool, a callback) must not die with that thread.
    """
    global _SPAWNER
    if threading.current_thread() is threading.main_thread():
        return work()
    with _SPAWNER_LOCK:
        if _SPAWNER is None or not _SPAWNER.is_alive():
            _SPAWNER = threading.Thread(target=_spawner_loop, name="mlcheckup server spawner", daemon=True)
            _SPAWNER.start()
    reply: queue.SimpleQueue = queue.SimpleQueue()
    _SPAWN_REQUESTS.put((work, reply))
    ok, result = reply.get()
    if not ok:
        raise result
    return result


def spawn(cmd: list[str], *, env: dict, log_path: Path, session: Path, pass_fds=()) -> subprocess.Popen:
    """Start ``cmd`` in its own process group, tied to this process, output to ``log_path`` (0600).

    Raises
    ------
    DiskFullError
        If the log or the process record cannot be written because the disk is full.
    """
    launcher = [sys.executable, "-I", "-S", "-c", _launcher(), str(os.getpid())]

    def start() -> subprocess.Popen:
        with open(log_path, "ab", opener=private_opener) as log:
            return subprocess.Popen(
                [*launcher, *cmd], env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                pass_fds=tuple(pass_fds), start_new_session=True, close_fds=True,
            )

    try:
        proc = _from_a_lasting_thread(start)
    except OSError as error:
        if is_disk_full(error):
            raise disk_full_error("create the server log", log_path, error) from None
        raise
    record = {"pid": proc.pid, "create_time": _identity(proc.pid) or time.time(), "cmd": cmd[:6]}
    try:
        write_private(session / "processes" / f"{proc.pid}.json", json.dumps(record))
    except OSError as error:
        _kill_group(proc.pid, timeout=5, reap=proc.poll)  # unrecorded, it could outlive a crash unseen
        if is_disk_full(error):
            raise disk_full_error("record the server process", session / "processes", error) from None
        raise
    return proc


def _group_alive(pgid: int) -> bool:
    """True while a process of group ``pgid`` is alive (zombies waiting for their parent do not count)."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    for proc in psutil.process_iter(["status"]):
        with contextlib.suppress(ProcessLookupError, psutil.Error):
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                return True
    return False


def _kill_group(pid: int, timeout: float, reap=lambda: None) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reap()  # collect our own child
        if not _group_alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def terminate(proc: subprocess.Popen, session: Path, timeout: float = 10.0) -> int | None:
    """SIGTERM the process group of ``proc``, SIGKILL it after ``timeout`` s; return the exit code."""
    _kill_group(proc.pid, timeout, reap=proc.poll)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=2)
    (session / "processes" / f"{proc.pid}.json").unlink(missing_ok=True)
    return proc.returncode
