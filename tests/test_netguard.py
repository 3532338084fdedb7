"""The network guard refuses, and records, any connection beyond 127.0.0.1 in spawned processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

GUARD = Path(__file__).resolve().parent / "netguard"

PROBE = """
import socket
results = []
for host, port in [("127.0.0.1", {port}), ("10.255.255.1", 80), ("example.com", 443)]:
    try:
        socket.create_connection((host, port), timeout=2).close()
        results.append("ok")
    except OSError as error:
        results.append("guard" if "network guard" in str(error) else type(error).__name__)
print(",".join(results))
"""


def test_spawned_processes_reach_loopback_only(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    threading.Thread(target=lambda: server.accept()[0].close(), daemon=True).start()
    log = tmp_path / "violations.log"
    env = {**os.environ, "PYTHONPATH": str(GUARD), "MLCHECKUP_NETGUARD_LOG": str(log)}
    out = subprocess.run([sys.executable, "-c", PROBE.format(port=port)], env=env,
                         capture_output=True, text=True, timeout=30)
    server.close()
    assert out.stdout.strip() == "ok,guard,guard", out.stderr
    recorded = log.read_text()
    assert "10.255.255.1" in recorded and "example.com" in recorded


def test_this_test_process_is_guarded_too():
    assert socket.getaddrinfo.__module__ == "_netguard"
