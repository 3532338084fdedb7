"""The front end's overhead over the bare inference server, p50, in one run.

One LocalEndpoint (1 sync worker, no data collection, no telemetry) and one FrontEnd before it;
the same 2-row digits payload is sent sequentially, alternating rounds of ROUNDS x PER_ROUND
requests straight to the server and through the front end, so that load from other processes
hits both alike. Two client modes: "keep-alive" (one requests.Session: the front end keeps the
connection open, the bare server closes it after each answer, as azmlinfsrv does) and "new
connection" (Connection: close on every request, so both paths pay one TCP connect from the
client and the difference is the front end's own work). Writes results.json next to this file
and prints Markdown rows.

Run: .venv/bin/python benchmarks/frontend/bench_frontend.py
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import requests

from mlcheckup.endpoint import LocalEndpoint
from mlcheckup.frontend import FrontEnd
from mlcheckup.projects import digits_payload, write_digits_project

ROUNDS, PER_ROUND, WARMUP = 10, 100, 50


def timed(http: requests.Session, url: str, body: str, n: int, close: bool = False) -> list[float]:
    out = []
    headers = {"Content-Type": "application/json", **({"Connection": "close"} if close else {})}
    for _ in range(n):
        began = time.perf_counter()
        answer = http.post(url, data=body, headers=headers, timeout=10)
        out.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200, answer.status_code
    return out


def main() -> None:
    project = write_digits_project(tempfile.mkdtemp())
    body = json.dumps(digits_payload(2))
    runs = {mode: ([], []) for mode in ("keep-alive", "new connection")}
    with LocalEndpoint(project.score_script, project.model_dir, collections=None) as server, \
            FrontEnd(server, max_concurrent_requests_per_instance=4) as front_end:
        http = requests.Session()
        http.trust_env = False
        timed(http, server.scoring_uri, body, WARMUP)
        timed(http, front_end.scoring_uri, body, WARMUP)
        for _ in range(ROUNDS):
            for mode, (bare, front) in runs.items():
                bare += timed(http, server.scoring_uri, body, PER_ROUND, close=mode != "keep-alive")
                front += timed(http, front_end.scoring_uri, body, PER_ROUND, close=mode != "keep-alive")
        logged = len(front_end.traffic_log())
    result = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "traffic_log_rows": logged,
              "python": platform.python_version(), "cpus": os.cpu_count(), "load_average_1min": os.getloadavg()[0]}
    rows = []
    for mode, (bare, front) in runs.items():
        p50_bare, p50_front = float(np.median(bare)), float(np.median(front))
        result[mode] = {
            "requests_each": len(bare), "bare_p50_ms": round(p50_bare, 3), "front_end_p50_ms": round(p50_front, 3),
            "overhead_p50_ms": round(p50_front - p50_bare, 3), "ratio_p50": round(p50_front / p50_bare, 3),
            "bare_p95_ms": round(float(np.percentile(bare, 95)), 3),
            "front_end_p95_ms": round(float(np.percentile(front, 95)), 3)}
        rows.append(f"| {mode} | {len(bare)} | {p50_bare:.2f} | {p50_front:.2f} | {p50_front - p50_bare:+.2f} | "
                    f"{p50_front / p50_bare:.2f}x |")
    (Path(__file__).parent / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print("\n".join(rows))

if __name__ == "__main__":
    main()
