"""No server outlives its notebook: process groups, PR_SET_PDEATHSIG, and reaping recorded pids."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from mlcheckup import _lifecycle, _process
from mlcheckup._lifecycle import Managed
from mlcheckup._process import reap_orphans, session_dir
from mlcheckup.paths import run_dir

KERNEL = textwrap.dedent("""
    import json, sys, time
    from mlcheckup.endpoint import LocalEndpoint
    from mlcheckup.projects import write_digits_project
    project = write_digits_project(sys.argv[1])
    endpoint = LocalEndpoint(project.score_script, project.model_dir, collections=None).start()
    print(json.dumps({"master": endpoint.pid, "workers": endpoint.worker_pids(),
                      "record": str(endpoint.folder.parent.parent / "processes" / f"{endpoint.pid}.json")}), flush=True)
    time.sleep(120)
""")


def _gone(pids, timeout=15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_a_killed_kernel_takes_its_endpoint_with_it(tmp_path):
    """kill -9 of the notebook kernel (as a crash or a hard restart does) stops master and workers."""
    kernel = subprocess.Popen([sys.executable, "-c", KERNEL, str(tmp_path / "digits")], stdout=subprocess.PIPE,
                              text=True, cwd=os.getcwd())
    try:
        lines = (line.strip().split("\r")[-1] for line in kernel.stdout)  # skip the start-up progress bar
        started = json.loads(next(line for line in lines if line.startswith("{")))
        pids = [started["master"], *started["workers"]]
        assert len(pids) == 2 and all(psutil.pid_exists(p) for p in pids)
        assert os.path.exists(started["record"])  # recorded for reaping by a later session
    finally:
        kernel.send_signal(signal.SIGKILL)
        kernel.wait()
    assert _gone(pids), "the inference server survived its kernel"


def test_servers_of_a_dead_session_are_reaped(tmp_path):
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        session = tmp_path / "runtime" / "123-456"
        (session / "processes").mkdir(parents=True)
        (session / "owner.json").write_text(json.dumps({"pid": orphan.pid, "create_time": 1.0}))  # not that process
        record = {"pid": orphan.pid, "create_time": psutil.Process(orphan.pid).create_time(), "cmd": ["sleep"]}
        (session / "processes" / f"{orphan.pid}.json").write_text(json.dumps(record))
        assert reap_orphans(tmp_path / "runtime") == [orphan.pid]
        assert orphan.wait(timeout=5) == -signal.SIGTERM
        assert not list((session / "processes").iterdir())
    finally:
        if orphan.poll() is None:
            orphan.kill()


def test_old_run_folders_of_dead_processes_are_deleted(tmp_path):
    old, recent = tmp_path / "runtime" / "1-1", tmp_path / "runtime" / "2-2"
    for folder in (old, recent):
        (folder / "processes").mkdir(parents=True)
        (folder / "owner.json").write_text(json.dumps({"pid": 999_999_999, "create_time": 1.0}))
    os.utime(old / "owner.json", (time.time() - 2 * 86400, time.time() - 2 * 86400))
    reap_orphans(tmp_path / "runtime")
    assert not old.exists() and recent.exists()


def test_a_recycled_pid_is_never_killed(tmp_path):
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        session = tmp_path / "runtime" / "1-2"
        (session / "processes").mkdir(parents=True)
        (session / "owner.json").write_text(json.dumps({"pid": 999_999_999, "create_time": 1.0}))
        stale = {"pid": bystander.pid, "create_time": 1.0, "cmd": ["gunicorn"]}  # same pid, another process
        (session / "processes" / f"{bystander.pid}.json").write_text(json.dumps(stale))
        assert reap_orphans(tmp_path / "runtime") == []
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_the_run_folder_is_unique_per_process():
    code = "from mlcheckup._process import session_dir; print(session_dir())"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    mine = session_dir()
    assert other != str(mine) and mine.parent == run_dir("runtime")
    assert json.loads((mine / "owner.json").read_text())["pid"] == os.getpid()


class _Probe(Managed):
    """A server that only records when it is stopped (and may fail to stop)."""

    def __init__(self, name, stopped, fail=False):
        self.label, self.stopped, self.fail = name, stopped, fail

    def _start(self):
        pass

    def _stop(self):
        self.stopped.append(self.label)
        if self.fail:
            raise OSError(f"{self.label} would not stop")


def test_stop_all_stops_forgotten_servers_in_reverse_order_whatever_fails(monkeypatch):
    """F2: the exit registry holds servers strongly; one failing stop does not spare the others."""
    monkeypatch.setattr(_lifecycle, "_LIVE", {})
    stopped = []
    for name, fail in (("first", False), ("second", True), ("third", False)):
        _Probe(name, stopped, fail).start()  # the notebook keeps no reference
    kept = _Probe("stopped-already", stopped).start()
    kept.stop()
    gc.collect()
    with pytest.warns(RuntimeWarning, match="second would not stop"):
        _lifecycle.stop_all()
    assert stopped == ["stopped-already", "third", "second", "first"] and not _lifecycle._LIVE


@pytest.mark.slow
def test_a_dropped_endpoint_is_stopped_at_exit(monkeypatch, tmp_path):
    """F2: `LocalEndpoint(...).start()` re-run in a cell drops the old object; stop_all still stops its server."""
    from mlcheckup.endpoint import LocalEndpoint
    from mlcheckup.projects import write_digits_project

    monkeypatch.setattr(_lifecycle, "_LIVE", {})
    project = write_digits_project(tmp_path / "digits")
    endpoint = LocalEndpoint(project.score_script, project.model_dir, collections=None).start()
    pids = [endpoint.pid, *endpoint.worker_pids()]
    del endpoint
    gc.collect()
    _lifecycle.stop_all()
    assert _gone(pids, timeout=5), "a server nobody referenced survived stop_all()"


NO_PRCTL = ("import sys, types\n"
            "sys.modules['ctypes'] = types.SimpleNamespace(CDLL=lambda name: object())  # a libc without prctl\n"
            "sys.argv = ['-c', *sys.argv[1:]]\n"
            "exec(compile(open(sys.argv.pop(1)).read(), 'launcher', 'exec'))\n")


def test_the_launcher_needs_prctl_only_on_linux(tmp_path, monkeypatch):
    """F3: PR_SET_PDEATHSIG is Linux's; elsewhere the launcher just execs (process group, exit hook, reaping)."""
    assert "prctl" in _process._launcher("linux") and "prctl" not in _process._launcher("darwin")
    script = tmp_path / "launcher.py"
    script.write_text(_process._launcher("darwin"))
    done = subprocess.run([sys.executable, "-c", NO_PRCTL, str(script), str(os.getpid()), sys.executable, "-c",
                           "print('server running')"], capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout.strip()) == (0, "server running"), done.stderr
    with monkeypatch.context() as patched:
        patched.setattr(sys, "platform", "darwin")
        proc = _process.spawn([sys.executable, "-c", "print('spawned')"], env=dict(os.environ),
                              log_path=tmp_path / "out.log", session=session_dir())
    assert proc.wait(timeout=30) == 0 and (tmp_path / "out.log").read_text().strip() == "spawned"
    _process.terminate(proc, session_dir())


def _reap_quietly(runtime):
    try:
        reap_orphans(runtime)
        return "ok"
    except Exception as error:  # what a notebook starting a server would see
        return f"{type(error).__name__}: {error}"


def _dead_run_folders(runtime, count, age_days):
    for i in range(count):
        folder = runtime / f"{i}-{age_days}"
        (folder / "processes").mkdir(parents=True)
        (folder / "owner.json").write_text(json.dumps({"pid": 999_999_999, "create_time": 1.0}))
        for j in range(10):
            (folder / "processes" / f"{j}.log").write_text("x" * 1000)
        os.utime(folder / "owner.json", (time.time() - age_days * 86400,) * 2)


def test_sessions_starting_together_reap_without_tripping_over_each_other(tmp_path):
    """F4: eight processes reap the same stale run folders at once; none fails, each folder goes once."""
    import multiprocessing

    runtime = tmp_path / "runtime"
    failures = []
    for _ in range(3):
        _dead_run_folders(runtime, 120, age_days=3)
        with multiprocessing.get_context("fork").Pool(8) as pool:
            failures += [r for r in pool.map(_reap_quietly, [runtime] * 8) if r != "ok"]
    assert failures == [] and list(runtime.iterdir()) == []
    _dead_run_folders(runtime, 5, age_days=0)  # recent: kept for their logs, under their own names
    with multiprocessing.get_context("fork").Pool(4) as pool:
        assert pool.map(_reap_quietly, [runtime] * 4) == ["ok"] * 4
    assert sorted(p.name for p in runtime.iterdir()) == [f"{i}-0" for i in range(5)]
    _dead_run_folders(runtime, 1, age_days=3)
    (runtime / "0-3").rename(runtime / ".reaping-999999999-0-3")  # its reaper died half-way
    assert reap_orphans(runtime) == [] and not (runtime / ".reaping-999999999-0-3").exists()
