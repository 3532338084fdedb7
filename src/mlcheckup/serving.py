"""What a course ``score.py`` needs inside the inference server: clear 4xx errors, no silent data loss.

This module runs *inside* ``azureml-inference-server-http``, locally and in an Azure ML
deployment, so it depends only on the standard library, numpy and what the inference image
already has. :func:`mlcheckup.projects.write_digits_project` copies it next to ``score.py`` as
``mlcheckup_serving.py``, so the same folder deploys to Azure unchanged.

**The error contract.** The server turns any exception in ``run()`` into an HTTP 500 with a
generic message. To answer 4xx, ``run()`` must *return* a response with that status (the
server passes a returned ``flask.Response``/``AMLResponse`` through untouched). So::

    try:
        X = parse_rows(raw_data, n_features=64, low=0, high=16)
    except RequestError as error:
        return error.response()          # 400 or 413 with {"message": ..., "error": <code>}

**Data collection.** ``Collector`` reports a dropped payload only to ``on_error`` (a full queue)
and a payload it could not deliver only in its log. :class:`CollectorGuard` counts both and
logs each at WARNING (as an App Insights custom event ``DataCollectionError`` when App
Insights is on). The marker text :data:`LOST_MARKER` lets the host count them from the log.

Taught in lessons 02 (score.py) and 05 (refused requests as telemetry).
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import os
import sys
import threading
import uuid
from collections import Counter

import numpy as np

__all__ = ["CUSTOM_EVENT", "LOST_MARKER", "TELEMETRY_LOGGER", "CollectorGuard", "RequestError", "meter",
           "parse_rows", "request_id", "telemetry_logger"]

#: Every line that reports lost collected data contains this text.
LOST_MARKER = "data collection lost a payload"
#: Logger whose records the inference server also sends to App Insights (traces/customEvents).
TELEMETRY_LOGGER = "azmlinfsrv.print.score"
#: ``extra`` key that turns a log record into an App Insights custom event.
CUSTOM_EVENT = "microsoft.custom_event.name"


def telemetry_logger(name: str = TELEMETRY_LOGGER) -> logging.Logger:
    """A logger at INFO whose records reach App Insights when the deployment has it enabled.

    The inference server attaches its App Insights handler to ``azmlinfsrv.print`` (where
    ``print`` goes); a child of that logger inherits it, locally and in Azure.
    """
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    return logger


class RequestError(ValueError):
    """A scoring request that cannot be scored; :meth:`response` is the 4xx answer.

    Parameters
    ----------
    message : str
        What was wrong, what was received, and what to send instead.
    code : str
        Short machine-readable reason (``invalid_json``, ``wrong_shape``, ``not_finite``, ...).
    status : int, default 400
        HTTP status: 400 for a malformed request, 413 for one that is too large.
    """

    def __init__(self, message: str, code: str = "bad_request", status: int = 400) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status

    def response(self):
        """The inference server response: ``{"message": ..., "error": code}`` with :attr:`status`."""
        from azureml_inference_server_http.api.aml_response import AMLResponse

        return AMLResponse({"message": self.message, "error": self.code}, self.status, json_str=True)


def _cell(rows, predicate):
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if predicate(value):
                return i, j, value
    return None


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_rows(raw, *, n_features: int, key: str = "data", low: float | None = None, high: float | None = None,
               max_rows: int = 1000, max_bytes: int = 1_000_000) -> np.ndarray:
    """Parse and check a ``{"data": [[...], ...]}`` request body; return a float array.

    Parameters
    ----------
    raw : str or bytes
        The request body, as an undecorated ``run(raw_data)`` receives it.
    n_features : int
        Values each row must have.
    key : str, default "data"
        Key of the rows in the JSON object.
    low, high : float, optional
        Inclusive range every value must lie in.
    max_rows, max_bytes : int
        Larger requests are refused with 413.

    Returns
    -------
    numpy.ndarray of shape (n_rows, n_features)

    Raises
    ------
    RequestError
        With status 400 (not JSON, no ``key``, wrong shape, not a number, NaN or infinite, out
        of range, empty) or 413 (too many bytes or rows); the message names the first offending
        row and column.

    Examples
    --------
    >>> parse_rows('{"data": [[1, 2], [3, 4]]}', n_features=2).shape
    (2, 2)
    >>> parse_rows('{"data": [[1, 99]]}', n_features=2, high=16)
    Traceback (most recent call last):
    ...
    mlcheckup.serving.RequestError: row 0, column 1 is 99, outside the allowed range [-inf, 16]

    Taught in lesson 05.
    """
    shape_hint = f'send {{"{key}": [[{n_features} numbers], ...]}}'
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > max_bytes:
        raise RequestError(f"the request body is {size:,} bytes; at most {max_bytes:,} are accepted, "
                           "split it into smaller requests", "too_large", 413)
    if not size:
        raise RequestError(f"the request body is empty; {shape_hint} with Content-Type: application/json "
                           "(curl -d sends form data, which the server does not pass on: add "
                           "-H 'Content-Type: application/json')", "invalid_json")
    try:
        body = json.loads(raw)
    except RecursionError:
        raise RequestError(f"the request body is JSON nested too deep to read; {shape_hint}", "invalid_json") from None
    except ValueError as error:
        raise RequestError(f"the request body is not JSON ({error}); {shape_hint}", "invalid_json") from None
    if not isinstance(body, dict) or key not in body:
        got = f"keys {sorted(body)[:5]}" if isinstance(body, dict) else f"a JSON {type(body).__name__}"
        raise RequestError(f'the request JSON has no "{key}" key (got {got}); {shape_hint}', "missing_key")
    rows = body[key]
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        raise RequestError(f'"{key}" must be a non-empty list of rows (lists of numbers); {shape_hint}',
                           "wrong_shape")
    if len(rows) > max_rows:
        raise RequestError(f"the request has {len(rows):,} rows; at most {max_rows:,} are scored per request, "
                           "split it into smaller batches", "too_large", 413)
    for i, row in enumerate(rows):
        if len(row) != n_features:
            raise RequestError(f"row {i} has {len(row)} values, expected {n_features}; {shape_hint}", "wrong_shape")
    bad = _cell(rows, lambda v: not _is_number(v))
    if bad:
        raise RequestError(f"row {bad[0]}, column {bad[1]} is {json.dumps(bad[2])}, not a number", "not_a_number")
    huge = _cell(rows, lambda v: isinstance(v, int) and not -sys.float_info.max <= v <= sys.float_info.max)
    if huge:  # float() of it raises OverflowError, which the server would turn into a 500
        raise RequestError(f"row {huge[0]}, column {huge[1]} is an integer of {len(str(abs(huge[2])))} digits, "
                           "too large for a finite number; every value must be a finite number", "not_finite")
    values = np.asarray(rows, dtype=float)
    if not np.isfinite(values).all():
        i, j = (int(k) for k in np.argwhere(~np.isfinite(values))[0])
        raise RequestError(f"row {i}, column {j} is {values[i, j]}; every value must be a finite number",
                           "not_finite")
    lo, hi = -math.inf if low is None else low, math.inf if high is None else high
    outside = (values < lo) | (values > hi)
    if outside.any():
        i, j = (int(k) for k in np.argwhere(outside)[0])
        raise RequestError(f"row {i}, column {j} is {rows[i][j]}, outside the allowed range [{lo:g}, {hi:g}]",
                           "out_of_range")
    return values


def request_id(headers: dict | None) -> str:
    """The request's ``x-request-id`` (or ``x-ms-client-request-id``), or a new uuid if it has none."""
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    return lowered.get("x-request-id") or lowered.get("x-ms-client-request-id") or str(uuid.uuid4())


class _SenderWatch(logging.Handler):
    """Counts the Collector worker's 'send payload ... failed' records."""

    def __init__(self, guard: CollectorGuard) -> None:
        super().__init__(level=logging.ERROR)
        self.guard = guard

    def emit(self, record: logging.LogRecord) -> None:
        text = str(record.msg)
        if "send payload" in text and ("failed" in text or "raise exception" in text):
            args = record.args if isinstance(record.args, tuple) else ()
            collection = args[1] if len(args) > 1 else "?"
            self.guard._lose("undelivered", f"{collection}: {args[-1] if args else record.getMessage()}")


class CollectorGuard:
    """Make the data collector's losses visible: pass :meth:`on_error` to every ``Collector``.

    Parameters
    ----------
    logger : logging.Logger, optional
        Where warnings go; :func:`telemetry_logger` by default.

    Attributes
    ----------
    lost : collections.Counter
        Payloads lost, by reason: ``queue_full`` (the Collector's in-memory queue, 1 500 payloads,
        was full), ``undelivered`` (the sink did not accept it), ``error`` (anything else).
    disabled : str or None
        Why collection is off (no data collector configured), if it is.

    Examples
    --------
    In ``init()`` of score.py (it needs the inference server's data collector config)::

        guard = CollectorGuard()
        inputs_collector = Collector(name="model_inputs", on_error=guard.on_error)
        outputs_collector = Collector(name="model_outputs", on_error=guard.on_error)
        guard.watch()    # after the Collectors exist: count undelivered payloads, flush at exit

    Taught in lesson 02.
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.lost: Counter = Counter()
        self.disabled: str | None = None
        self._log = logger or telemetry_logger()
        self._lock = threading.Lock()
        self._handler: _SenderWatch | None = None

    def on_error(self, error: Exception) -> None:
        """The ``on_error`` callback for ``Collector``: count the drop and log it at WARNING."""
        text = str(error)
        if "not enabled" in text or "not initialized" in text:
            if self.disabled is None:
                self.disabled = text
                self._log.warning("data collection is off (%s); deploy with a data_collector to collect", text)
            return
        self._lose("queue_full" if "queue is full" in text else "error", text)

    def _lose(self, reason: str, detail: str) -> None:
        with self._lock:
            self.lost[reason] += 1
            total = sum(self.lost.values())
        self._log.warning("%s (%s): %s; %d lost so far in pid %d", LOST_MARKER, reason, detail, total, os.getpid(),
                          extra={CUSTOM_EVENT: "DataCollectionError", "reason": reason, "lost_total": total})

    def watch(self) -> CollectorGuard:
        """Count payloads the Collector's sender fails to deliver, and flush its queue at exit.

        Call it after the Collectors are created: creating the first one reconfigures the
        ``mdc`` loggers, which would drop a handler attached earlier.
        """
        if self._handler is None:
            self._handler = _SenderWatch(self)
            logging.getLogger("mdc.worker").addHandler(self._handler)
            from azureml.ai.monitoring.init import teardown

            atexit.register(teardown, wait_for_flush=True)
        return self


def meter(name: str = "score"):
    """An OpenTelemetry meter whose metrics go to App Insights ``customMetrics``.

    The inference server sets up traces and logs only, so score.py needs its own
    ``MeterProvider``. It exports to the deployment's App Insights resource
    (``AML_APP_INSIGHTS_KEY``; the ingestion endpoint comes from
    ``APPLICATIONINSIGHTS_CONNECTION_STRING`` when set, as it is locally), every
    ``OTEL_METRIC_EXPORT_INTERVAL`` ms (60 000 by default). Without App Insights the meter is a
    no-op.

    Taught in lesson 05.
    """
    from opentelemetry import metrics

    key = os.environ.get("AML_APP_INSIGHTS_KEY")
    if os.environ.get("AML_APP_INSIGHTS_ENABLED", "").lower() != "true" or not key:
        return metrics.NoOpMeter(name)
    from azure.monitor.opentelemetry.exporter import AzureMonitorMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    exporter = AzureMonitorMetricExporter(connection_string=f"InstrumentationKey={key}", disable_offline_storage=True)
    provider = MeterProvider(metric_readers=[PeriodicExportingMetricReader(exporter)])
    return provider.get_meter(name)
