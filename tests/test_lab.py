"""`make lab` opens the course quietly: no news or update checks, and no instructor panels for students."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
INSTRUCTOR_PLUGINS = {"@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader"}
NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _lab(target: str):
    """Start `make <target>` on a free port; return (base URL with token, process)."""
    port = _free_port()
    process = subprocess.Popen(
        ["make", "--no-print-directory", "-o", ".venv/.installed", target, f"LAB_PORT={port}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        env={**os.environ, "JUPYTER_RUNTIME_DIR": os.environ.get("MLCHECKUP_RUN_DIR", "/tmp")},
    )
    token = re.search(r"token=([0-9a-f]+)", process.stdout.readline())[1]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/status", params={"token": token}, timeout=2).ok:
                return f"http://127.0.0.1:{port}", token, process
        except requests.ConnectionError:
            time.sleep(0.3)
    os.killpg(process.pid, signal.SIGTERM)
    raise AssertionError(f"make {target} did not answer on port {port} within 60 s")


def _page_config(base: str, token: str) -> dict:
    page = requests.get(f"{base}/lab", params={"token": token}, timeout=10).text
    return json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                page, flags=re.S)[1])


@pytest.mark.parametrize("target", ["lab", "lab-instructor"])
def test_lab_is_quiet_and_shows_instructor_panels_only_to_instructors(target):
    base, token, process = _lab(target)
    try:
        disabled = set(_page_config(base, token)["disabledExtensions"])
        assert NEWS_PLUGIN in disabled  # no "would you like to receive official Jupyter news?" prompt
        assert requests.get(f"{base}/lab/api/news", params={"token": token}, timeout=10).json()["news"] == []
        formgrader = requests.get(f"{base}/formgrader/api/assignments", params={"token": token}, timeout=30)
        if target == "lab":
            assert disabled >= INSTRUCTOR_PLUGINS and formgrader.status_code == 404
        else:
            assert not INSTRUCTOR_PLUGINS & disabled and formgrader.status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
