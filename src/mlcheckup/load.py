"""A bounded, seeded, open-loop load generator for a local endpoint.

Real clients do not wait for each other: they arrive when they arrive. An *open-loop* generator
sends each request at its scheduled time whether or not earlier ones were answered, so a slow
server meets a growing queue (and Azure's front end answers 429), as in production; a closed
loop (send, wait, send) would slow down with the server and hide exactly that.

Schedules are arrays of arrival times in seconds from the start, drawn from a seeded generator:

* :func:`poisson` — a constant rate (exponential gaps);
* :func:`ramp` — a rate rising (or falling) linearly;
* :func:`spike` — a base rate with a burst.

:func:`run` sends a schedule to an endpoint (a :class:`~mlcheckup.frontend.FrontEnd` or a
:class:`~mlcheckup.endpoint.LocalEndpoint`) from a pool of client threads, with a tqdm progress
bar, optionally redrawing a :class:`~mlcheckup.live.LiveView`. It is bounded twice: at most
``max_requests`` requests, and nothing is sent after ``max_seconds``. It waits in real time
(the server is real); a simulated day needs no server: see
:func:`mlcheckup.platform_metrics.synthetic_traffic`.

Examples
--------
>>> arrivals = poisson(50, 2.0, rng=7)          # about 100 arrivals in 2 s
>>> bool(0 <= arrivals.min() and arrivals.max() < 2.0)
True
>>> len(spike(5, 100, 10.0, at=4.0, length=1.0, rng=1)) > len(poisson(5, 10.0, rng=1))
True

With a running endpoint::

    results = run(endpoint, spike(20, 200, 10, at=4, length=2, rng=0), digits_payload(2))
    results.groupby("status").size()             # 200s, and 429 during the spike

Taught in lesson 03.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import requests

from . import _validate
from ._progress import finish, progress
from .errors import ValidationError

__all__ = ["RESULT_COLUMNS", "poisson", "ramp", "run", "spike"]

#: Columns of :func:`run`'s table.
RESULT_COLUMNS = ("scheduled_s", "sent_s", "lag_ms", "status", "latency_ms", "request_id", "error")


def _generator(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(_validate.whole("rng", rng, 0, words="of at least 0 (a seed), or a Generator"))


def _arrivals(rate: Callable, top: float, seconds: float, rng) -> np.ndarray:
    """Arrival times in [0, seconds) of a Poisson process with rate ``rate(t)`` <= ``top``, by thinning."""
    generator = _generator(rng)
    seconds = _validate.seconds("seconds", seconds)
    if top <= 0:
        return np.empty(0)
    count = generator.poisson(top * seconds)
    times = np.sort(generator.uniform(0.0, seconds, count))
    return times[generator.uniform(0.0, top, count) < rate(times)]


def poisson(rate: float, seconds: float, *, rng=0) -> np.ndarray:
    """Arrival times (s) of ``rate`` requests per second on average, for ``seconds``.

    ``rng`` is a seed or a ``numpy.random.Generator``: the same seed gives the same schedule.
    """
    rate = _validate.threshold("rate", rate, 0)
    return _arrivals(lambda t: np.full_like(t, rate), rate, seconds, rng)


def ramp(start_rate: float, end_rate: float, seconds: float, *, rng=0) -> np.ndarray:
    """Arrival times (s) at a rate going linearly from ``start_rate`` to ``end_rate`` per second."""
    start_rate = _validate.threshold("start_rate", start_rate, 0)
    end_rate = _validate.threshold("end_rate", end_rate, 0)
    seconds = _validate.seconds("seconds", seconds)
    return _arrivals(lambda t: start_rate + (end_rate - start_rate) * t / seconds, max(start_rate, end_rate),
                     seconds, rng)


def spike(base_rate: float, peak_rate: float, seconds: float, *, at: float, length: float, rng=0) -> np.ndarray:
    """Arrival times (s) at ``base_rate``, and ``peak_rate`` from ``at`` for ``length`` seconds."""
    base_rate = _validate.threshold("base_rate", base_rate, 0)
    peak_rate = _validate.threshold("peak_rate", peak_rate, 0)
    at = _validate.threshold("at", at, 0)
    length = _validate.seconds("length", length)
    return _arrivals(lambda t: np.where((t >= at) & (t < at + length), peak_rate, base_rate),
                     max(base_rate, peak_rate), seconds, rng)


def _body(payload, index: int) -> tuple[bytes, dict]:
    value = payload(index) if callable(payload) else payload
    if isinstance(value, bytes):
        return value, {}
    if isinstance(value, str):
        return value.encode(), {}
    return json.dumps(value).encode(), {"Content-Type": "application/json"}


def run(endpoint, arrivals, payload, *, max_requests: int = 2000, max_seconds: float = 30.0, clients: int = 32,
        timeout: float = 30.0, live=None, desc: str = "sending load") -> pd.DataFrame:
    """Send one request per arrival time to ``endpoint``, open loop, and return what was sent and answered.

    Parameters
    ----------
    endpoint : FrontEnd or LocalEndpoint
        A running endpoint; requests go to its ``scoring_uri``.
    arrivals : array of float
        Arrival times in seconds from the start (:func:`poisson`, :func:`ramp`, :func:`spike`).
    payload : object, bytes, str or callable
        The body (JSON-encoded unless bytes or str), or ``payload(i)`` giving the i-th body.
    max_requests : int, default 2000
        Send at most this many (the first ones).
    max_seconds : float, default 30
        Send nothing scheduled after this many seconds.
    clients : int, default 32
        Client threads. A request whose time comes while all are busy is sent late: its
        ``lag_ms`` says by how much (the generator, not the server, fell behind).
    timeout : float, default 30
        Seconds a client waits for an answer.
    live : LiveView, optional
        Redrawn about once a second while the load runs, and once at the end.

    Returns
    -------
    DataFrame
        One row per request sent, in schedule order: ``scheduled_s``, ``sent_s`` (s from the start),
        ``lag_ms`` (sent late by), ``status`` (HTTP status; 0 if no answer), ``latency_ms`` (as the
        client saw it), ``request_id`` (the ``x-request-id`` sent, a GUID), ``error`` (why there was
        no answer, else "").

    Raises
    ------
    ValidationError
        If the arrival times are not finite, non-negative numbers, or a bound is not positive.
    """
    times = np.sort(np.asarray(arrivals, dtype=float).ravel())
    if times.size and (not np.isfinite(times).all() or times.min() < 0):
        raise ValidationError("arrivals must be finite times in seconds from the start, >= 0 (got "
                              f"{times[:3].tolist()}...); build them with load.poisson, ramp or spike")
    max_requests = _validate.whole("max_requests", max_requests, 1)
    max_seconds = _validate.seconds("max_seconds", max_seconds)
    clients = _validate.whole("clients", clients, 1, 256)
    timeout = _validate.seconds("timeout", timeout)
    times = times[times <= max_seconds][:max_requests]
    url = endpoint.scoring_uri
    counts = getattr(endpoint, "expect_payloads", None)  # a bare LocalEndpoint: collected() waits for these
    local = threading.local()
    rows: list[tuple | None] = [None] * len(times)

    def send(index: int, scheduled: float, began: float) -> None:
        http = getattr(local, "http", None)
        if http is None:
            http = local.http = requests.Session()
            http.trust_env = False
        body, headers = _body(payload, index)
        request_id = str(uuid.uuid4())
        sent = time.perf_counter() - began
        status, error = 0, ""
        try:
            answer = http.post(url, data=body, headers={"x-request-id": request_id, **headers}, timeout=timeout)
            status = answer.status_code
        except requests.RequestException as failure:
            error = f"{type(failure).__name__}: {failure}"[:200]
        latency = (time.perf_counter() - began - sent) * 1000
        if counts is not None and 200 <= status < 300:
            counts(1)
        rows[index] = (scheduled, sent, max(0.0, (sent - scheduled) * 1000), status, latency, request_id, error)
        bar.update(1)

    with progress(len(times), desc, unit="request") as bar, ThreadPoolExecutor(clients) as pool:
        began = time.perf_counter()
        next_draw = 1.0
        for index, scheduled in enumerate(times.tolist()):
            while True:
                now = time.perf_counter() - began
                if live is not None and now >= next_draw:
                    live.update(_table(rows), now)
                    next_draw = now + 1.0
                wait = scheduled - now
                if wait <= 0:
                    break
                time.sleep(min(wait, 0.05) if live is not None else wait)
            pool.submit(send, index, scheduled, began)
        pool.shutdown(wait=True)
        finish(bar)
    table = _table(rows)
    if live is not None:
        live.update(table, time.perf_counter() - began)
    return table


def _table(rows: list) -> pd.DataFrame:
    done = [row for row in rows if row is not None]
    return pd.DataFrame(done, columns=list(RESULT_COLUMNS)).sort_values("scheduled_s", ignore_index=True)
