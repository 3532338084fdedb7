"""Course-wide pytest hooks: notebook rules and the network guard.

* ``notebooks/`` (the student release): a cell may fail only because an exercise is still the
  release stub (``NotImplementedError``); that failure is reported as xfail, any other as a failure.
* ``solutions/``: every cell must run, and no cell may write to stderr (nbgrader zeroes a test
  cell that does, and a learner should not see warnings either).
* Network: every process the tests start may talk to 127.0.0.1 only (tests/netguard).
* Scheduling (``--dist=loadscope``): a test file is one scope, as with ``loadfile``, but a test class
  is its own (tests/test_autograde.py has one per lesson); the longest scopes start first.
  (Not ``loadgroup``: pytest 9.2 ignores the node-id rewrite xdist 3.8 uses for it, so groups split.)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
GUARD_DIR = ROOT / "tests" / "netguard"
STUB_ERRORS = {"NotImplementedError", "ExerciseNotStarted"}
#: Seconds the long scopes took under `make test` and `make test-grading` (2 cores, 2 workers): only their order
#: matters. A lesson's run not listed counts as the longest, a file not listed as short.
GROUP_SECONDS = {
    "tests/test_autograde_hostile.py": 100, "tests/test_drift_spark.py": 75, "tests/test_grading_class.py": 45,
    "autograde-05-app-insights": 49, "autograde-06-labels-later": 47, "autograde-07-capstone": 45,
    "tests/test_capstone.py": 45, "autograde-03-endpoint-health": 42, "autograde-04-data-drift": 34,
    "autograde-01-why-monitor": 33, "autograde-02-azureml-setup": 32, "tests/test_tryout.py": 30,
    "autograde-04a-drift-on-spark": 26, "autograde-00-start-here": 15,
    "wrong-answers-01-why-monitor": 72, "wrong-answers-06-labels-later": 68, "wrong-answers-05-app-insights": 65,
    "wrong-answers-03-endpoint-health": 65, "wrong-answers-02-azureml-setup": 65, "wrong-answers-04-data-drift": 61,
    "wrong-answers-07-capstone": 55, "wrong-answers-00-start-here": 25,
}


def group_seconds(group: str) -> float:
    """The expected seconds of a scope: ``autograde-<lesson>``, ``wrong-answers-<lesson>`` or a test file's path."""
    return GROUP_SECONDS.get(group, 1e6 if group.startswith(("autograde-", "wrong-answers-")) else 0)


def pytest_configure(config):
    # Offline and quiet, for this process and every process it starts.
    os.environ.setdefault("APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL", "true")
    os.environ["PYTHONWARNINGS"] = "ignore:Object of type:Warning"
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # alembic for nbgrader
    os.environ.pop("MLCHECKUP_MODE", None)
    # Run files (servers' logs, collected data, telemetry stores) of the whole session, and of every
    # kernel it starts, go to one temporary folder, removed at the end.
    if "MLCHECKUP_RUN_DIR" not in os.environ and not hasattr(config, "workerinput"):
        config._run_dir = tempfile.mkdtemp(prefix="mlcheckup-run-")
        os.environ["MLCHECKUP_RUN_DIR"] = config._run_dir
    if not GUARD_DIR.is_dir():  # the student bundle ships without tests/
        return
    log = Path(tempfile.mkdtemp(prefix="mlcheckup-netguard-")) / "violations.log"
    log.touch()
    config._netguard_log = log
    os.environ["MLCHECKUP_NETGUARD_LOG"] = str(log)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(GUARD_DIR), os.environ.get("PYTHONPATH")]))
    import importlib.util

    spec = importlib.util.spec_from_file_location("_netguard", GUARD_DIR / "sitecustomize.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))  # guard this process too


def _scope(item) -> str:
    scope = getattr(getattr(item, "cls", None), "SCOPE", None)  # a lesson's run in tests/test_autograde.py (nbval's cells have no cls)
    return scope or item.nodeid.rsplit("::", 1)[0]


def pytest_collection_modifyitems(config, items):
    """Longest scopes first: xdist hands out scopes in the order of the collection."""
    items.sort(key=lambda item: (-group_seconds(_scope(item)), _scope(item)))  # stable inside a scope


def pytest_unconfigure(config):
    run_dir = getattr(config, "_run_dir", None)
    if run_dir:
        import shutil

        shutil.rmtree(run_dir, ignore_errors=True)


def pytest_sessionfinish(session, exitstatus):
    log = getattr(session.config, "_netguard_log", None)
    if log and log.exists() and log.read_text().strip():
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_sep("=", "network guard: a process tried to leave 127.0.0.1", red=True)
            reporter.write_line(log.read_text()[:4000])
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _errors(item) -> list[str]:
    return [out.get("ename", "") for out in (getattr(item, "test_outputs", None) or []) if out.get("output_type") == "error"]


def _stderr(item) -> str:
    return "".join(
        out.get("text", "")
        for out in (getattr(item, "test_outputs", None) or [])
        if out.get("output_type") == "stream" and out.get("name") == "stderr"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when != "call" or not hasattr(item, "cell"):
        return
    tree = Path(str(item.fspath)).resolve().relative_to(ROOT).parts[0]
    if tree == "notebooks" and report.failed:
        errors = _errors(item)
        if errors and set(errors) <= STUB_ERRORS:
            report.outcome = "skipped"
            report.wasxfail = "exercise stub (NotImplementedError) in the student release"
    elif tree == "solutions" and report.passed:
        text = _stderr(item)
        if text.strip():
            report.outcome = "failed"
            report.longrepr = f"cell {item.name} wrote to stderr (nbgrader would zero a test cell for this):\n{text[:2000]}"
