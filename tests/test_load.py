"""The load generator's schedules and bounds, open-loop sending, and the live view (against a tiny stdlib server)."""

from __future__ import annotations

import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pandas as pd
import pytest

from mlcheckup import load
from mlcheckup.errors import ValidationError
from mlcheckup.live import LiveView, sparkline


class _Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(self.server.delay)
        status = 429 if self.server.refuse_every and next(self.server.counter) % self.server.refuse_every == 0 else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


class _Target:
    """Anything with a scoring_uri is a target."""

    def __init__(self, delay=0.0, refuse_every=0):
        import itertools

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
        self.server.daemon_threads = True
        self.server.delay, self.server.refuse_every, self.server.counter = delay, refuse_every, itertools.count(1)
        self.scoring_uri = f"http://127.0.0.1:{self.server.server_address[1]}/score"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_schedules_are_seeded_sorted_and_at_the_asked_rate():
    a, b = load.poisson(200, 5.0, rng=3), load.poisson(200, 5.0, rng=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, load.poisson(200, 5.0, rng=4))
    assert np.all(np.diff(a) >= 0) and a.min() >= 0 and a.max() < 5.0
    assert abs(len(a) - 1000) < 4 * np.sqrt(1000)


def test_a_ramp_and_a_spike_put_their_arrivals_where_they_say():
    rising = load.ramp(10, 190, 10.0, rng=1)
    assert (rising >= 5).sum() > 2 * (rising < 5).sum()
    burst = load.spike(10, 500, 10.0, at=4.0, length=1.0, rng=1)
    inside = ((burst >= 4.0) & (burst < 5.0)).sum()
    assert abs(inside - 500) < 4 * np.sqrt(500) and abs((len(burst) - inside) - 90) < 4 * np.sqrt(90)


def test_a_generator_can_be_passed_instead_of_a_seed():
    rng = np.random.default_rng(5)
    assert len(load.poisson(20, 1.0, rng=rng)) == len(load.poisson(20, 1.0, rng=np.random.default_rng(5)))


def test_run_sends_each_arrival_once_and_returns_what_was_answered():
    arrivals = load.poisson(100, 0.5, rng=2)
    with _Target(refuse_every=5) as target:
        results = load.run(target, arrivals, {"data": [[0.0]]})
    assert list(results.columns) == list(load.RESULT_COLUMNS)
    assert len(results) == len(arrivals)
    np.testing.assert_allclose(results["scheduled_s"], arrivals)
    assert (results["sent_s"] >= results["scheduled_s"] - 1e-3).all()
    assert set(results["status"]) == {200, 429} and (results["status"] == 429).sum() == len(arrivals) // 5
    assert results["request_id"].map(lambda r: str(uuid.UUID(r)) == r).all() and results["request_id"].is_unique
    assert (results["error"] == "").all() and (results["latency_ms"] > 0).all()


def test_run_is_open_loop_a_slow_server_does_not_hold_back_the_next_request():
    arrivals = np.arange(0.0, 0.5, 0.05)  # every 50 ms; the server takes 300 ms
    with _Target(delay=0.3) as target:
        results = load.run(target, arrivals, b"{}", clients=16)
    answered = results["sent_s"] + results["latency_ms"] / 1000
    overlapped = (results["sent_s"].iloc[1:].to_numpy() < answered.iloc[:-1].to_numpy())
    assert overlapped.all()  # each request left before the previous one was answered


def test_run_is_bounded_in_count_and_time():
    arrivals = load.poisson(100, 10.0, rng=0)
    with _Target() as target:
        few = load.run(target, arrivals, b"{}", max_requests=7)
        early = load.run(target, arrivals, b"{}", max_seconds=0.3)
    assert len(few) == 7
    assert len(early) == int((arrivals <= 0.3).sum()) and early["scheduled_s"].max() <= 0.3


def test_a_payload_function_gets_each_request_index():
    seen = []
    with _Target() as target:
        load.run(target, [0.0, 0.01, 0.02], lambda i: seen.append(i) or {"i": i})
    assert sorted(seen) == [0, 1, 2]


def test_an_unreachable_endpoint_is_recorded_not_raised():
    class Gone:
        scoring_uri = "http://127.0.0.1:9/score"

    results = load.run(Gone(), [0.0], b"{}", timeout=2)
    assert results["status"].tolist() == [0] and "ConnectionError" in results["error"].iloc[0]


@pytest.mark.parametrize("call, words", [
    (lambda: load.poisson(-1, 1.0), r"rate must be between 0 and inf \(got -1\)"),
    (lambda: load.poisson(5, 0), r"seconds must be a positive number of seconds \(got 0\)"),
    (lambda: load.poisson(5, 1.0, rng="x"), r"rng must be a whole number of at least 0 \(a seed\), or a Generator"),
    (lambda: load.spike(1, 5, 10, at=2, length=0), r"length must be a positive number of seconds"),
    (lambda: load.run(object(), [-1.0], b"{}"), r"arrivals must be finite times .* >= 0"),
    (lambda: load.run(object(), [0.0], b"{}", max_requests=0), r"max_requests must be a whole number from 1"),
    (lambda: load.run(object(), [0.0], b"{}", clients=1000), r"clients must be a whole number from 1 to 256"),
])
def test_bad_input_is_a_validation_error(call, words):
    with pytest.raises(ValidationError, match=words):
        call()


def test_the_live_view_counts_per_second_and_draws_sparklines():
    results = pd.DataFrame({"sent_s": [0.1, 0.2, 0.9, 1.1, 1.5, 2.2], "status": [200, 429, 200, 200, 0, 200],
                            "latency_ms": [2.0, 0.5, 3.0, 4.0, 10.0, 1.0]})
    view = LiveView(window=5)
    table = view.per_second(results, now=2.5)
    assert table.loc[0, "requests"] == 3 and table.loc[0, "throttled"] == 1 and table.loc[1, "failed"] == 1
    assert table.loc[1, "p95_ms"] == 10.0
    text = view.render(results, now=2.5)
    assert text.splitlines()[1].split()[-2:] == ["2/s", sparkline([3, 2])]
    assert sparkline([0, 7]) == "▁█" and sparkline([np.nan, 1]) == " ▁"


def test_the_live_view_redraws_while_load_runs(capsys):
    view = LiveView(window=5)
    with _Target() as target:
        load.run(target, load.poisson(50, 1.5, rng=1), b"{}", live=view)
    lines = capsys.readouterr().out.strip().splitlines()
    assert view.drawings >= 2 and sum(line.startswith("live metrics at") for line in lines) == view.drawings
