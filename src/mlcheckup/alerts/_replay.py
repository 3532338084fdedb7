"""Write a scenario's traffic into the App Insights tables, on the scenario's own clock (private).

A real endpoint's telemetry carries the wall-clock time it was sent, so two weeks of production
would take two weeks to watch. :func:`replay_scenario` writes what the lesson's instrumented
``score.py`` would have sent for every request of a digits scenario, through the same Azure
Monitor exporters, but with the scenario's timestamps: OpenTelemetry lets a span be given its
start and end time and a log record its timestamp, and the exporter stamps each envelope with
them. Status codes and latencies come from the scenario's stream; predictions, if a model is
given, from that model. Nothing sleeps.
"""

from __future__ import annotations

import numpy as np

from .._progress import progress
from ..errors import ServerError, ValidationError

_CHUNK = 1000
LOW_CONFIDENCE = 0.6
_EVENT = "microsoft.custom_event.name"
#: What ``span.record_exception`` names the error of ``parse_rows`` inside ``score.py``.
_ERROR_TYPE = "mlcheckup_serving.RequestError"


def _attributes(request_id: str, status: int) -> dict:
    return {"http.request.method": "POST", "http.route": "/score", "http.response.status_code": int(status),
            "request_id": request_id}


def replay_scenario(scenario, store, *, model=None, low_confidence: float = LOW_CONFIDENCE,
                    service_name: str = "digits-endpoint") -> dict:
    """Send a digits scenario's requests to ``store`` as the instrumented ``score.py`` reports them.

    For every request of ``scenario.stream``, at its simulated time:

    * a ``requests`` row (a server span ``POST /score``): its duration is ``latency_ms``, its
      ``resultCode`` the ``status_code``, ``success`` false for 4xx and 5xx, and the property
      ``request_id``;
    * for a refused request (4xx): an ``exceptions`` row (``mlcheckup_serving.RequestError``) and an
      ``InvalidInput`` custom event with ``request_id``, ``reason`` and ``status``;
    * with a ``model``, for a scored request whose top probability is below ``low_confidence``:
      a ``LowConfidencePrediction`` custom event with ``request_id``, ``digit`` and ``confidence``.

    Events share the ``operation_Id`` of their request, as in ``score.py``.

    Parameters
    ----------
    scenario : Scenario
        A digits scenario (``scenarios.make("latency", ...)``).
    store : AppInsightsIngestion
        A running ingestion endpoint.
    model : classifier with ``predict_proba``, optional
        The deployed model, to decide which predictions were doubtful.
    low_confidence : float, default 0.6
    service_name : str
        ``cloud_RoleName`` of the rows.

    Returns
    -------
    dict
        Rows sent per table: ``{"requests": ..., "customEvents": ..., "exceptions": ...}``.

    Raises
    ------
    ValidationError
        If the scenario is not a digits scenario or the store is not running.
    ServerError
        If the ingestion endpoint refused the telemetry.

    Examples
    --------
    >>> from mlcheckup import scenarios
    >>> from mlcheckup.appinsights import AppInsightsIngestion
    >>> traffic = scenarios.make("latency", seed=1, days=1, requests_per_hour=10)
    >>> with AppInsightsIngestion() as store:
    ...     sent = replay_scenario(traffic, store)
    ...     stored = store.count("requests")
    >>> sent["requests"] == stored == len(traffic.stream)
    True

    Taught in lesson 05, §3.
    """
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.trace import SpanKind, Status, StatusCode

    from ..appinsights import AppInsightsIngestion, quiet_telemetry

    if getattr(scenario, "dataset", None) != "digits":
        raise ValidationError(f"replay_scenario needs a digits scenario, e.g. scenarios.make('latency'); got "
                              f"{getattr(scenario, 'dataset', type(scenario).__name__)!r}")
    if not isinstance(store, AppInsightsIngestion) or store.state.value != "running":
        raise ValidationError("store must be a running AppInsightsIngestion (use `with AppInsightsIngestion() as "
                              f"store:`); got {store!r}")
    quiet_telemetry()
    stream = scenario.stream
    starts = stream["timestamp"].dt.as_unit("ns").to_numpy().astype("int64")
    ends = starts + np.round(stream["latency_ms"].to_numpy(float) * 1e6).astype("int64")
    codes = stream["status_code"].to_numpy(int)
    ids = stream["request_id"].astype(str).tolist()
    doubtful = _doubtful(scenario, model, codes, low_confidence)

    class _Keep(SpanProcessor):
        def __init__(self):
            self.spans = []

        def on_end(self, span):
            self.spans.append(span)

    resource = Resource.create({"service.name": service_name})
    kept = _Keep()
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(kept)
    tracer = provider.get_tracer("digits")
    logs = []
    for i in range(len(stream)):
        span = tracer.start_span("POST /score", kind=SpanKind.SERVER, start_time=int(starts[i]),
                                 attributes=_attributes(ids[i], codes[i]))
        if codes[i] >= 500:
            span.set_status(Status(StatusCode.ERROR))
        elif codes[i] >= 400:
            n_values = int(stream["n_values"].iat[i]) if "n_values" in stream else 0
            message = f"row 0 has {n_values} values, expected 64; send {{\"data\": [[64 numbers], ...]}}"
            span.add_event("exception", {"exception.type": _ERROR_TYPE, "exception.message": message,
                                         "exception.escaped": "False"}, timestamp=int(ends[i]))
            logs.append((int(ends[i]), span, "invalid input", {_EVENT: "InvalidInput", "request_id": ids[i],
                                                                "reason": "wrong_shape", "status": int(codes[i])}))
        if i in doubtful:
            digit, confidence = doubtful[i]
            logs.append((int(ends[i]), span, "low confidence", {_EVENT: "LowConfidencePrediction",
                                                                 "request_id": ids[i], "digit": digit,
                                                                 "confidence": confidence}))
        span.end(end_time=int(ends[i]))
    provider.shutdown()
    _export(store, kept.spans, _log_data(logs, resource))
    return {"requests": len(kept.spans), "customEvents": len(logs),
            "exceptions": int(((codes >= 400) & (codes < 500)).sum())}


def _doubtful(scenario, model, codes: np.ndarray, threshold: float) -> dict:
    """Row -> (digit, confidence) for every scored request whose top probability is below ``threshold``."""
    if model is None:
        return {}
    X = np.asarray(scenario.X, dtype=float)
    scored = np.flatnonzero((codes < 400) & np.isfinite(X).all(axis=1))
    if not scored.size:
        return {}
    proba = model.predict_proba(X[scored])
    best = proba.argmax(axis=1)
    confidence = np.round(proba.max(axis=1), 4)
    low = confidence < threshold
    return {int(row): (int(model.classes_[b]), float(c)) for row, b, c in zip(scored[low], best[low], confidence[low],
                                                                                strict=True)}


def _log_data(logs, resource):
    from opentelemetry._logs import SeverityNumber
    from opentelemetry.sdk._logs import LogData, LogRecord
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope

    scope = InstrumentationScope("digits")
    out = []
    for stamp, span, body, attributes in logs:
        context = span.get_span_context()
        warning = attributes[_EVENT] == "InvalidInput"
        record = LogRecord(timestamp=stamp, observed_timestamp=stamp, trace_id=context.trace_id,
                           span_id=context.span_id, trace_flags=context.trace_flags,
                           severity_text="WARNING" if warning else "INFO",
                           severity_number=SeverityNumber.WARN if warning else SeverityNumber.INFO,
                           body=body, resource=resource, attributes=attributes)
        out.append(LogData(record, scope))
    return out


def _export(store, spans, logs) -> None:
    from azure.monitor.opentelemetry.exporter import AzureMonitorLogExporter, AzureMonitorTraceExporter
    from opentelemetry.sdk._logs.export import LogExportResult
    from opentelemetry.sdk.trace.export import SpanExportResult

    options = {"connection_string": store.connection_string, "disable_offline_storage": True}
    batches = [(AzureMonitorTraceExporter, spans[k:k + _CHUNK], SpanExportResult.SUCCESS)
               for k in range(0, len(spans), _CHUNK)]
    batches += [(AzureMonitorLogExporter, logs[k:k + _CHUNK], LogExportResult.SUCCESS)
                for k in range(0, len(logs), _CHUNK)]
    exporters = {kind: kind(**options) for kind in {kind for kind, _, _ in batches}}
    try:
        with progress(len(spans) + len(logs), "replaying telemetry", unit="item") as bar:
            for kind, batch, success in batches:
                if exporters[kind].export(batch) != success:
                    store.check()
                    raise ServerError(f"the ingestion endpoint at {store.url} refused a batch of {len(batch)} items; "
                                      "is it still running?")
                bar.update(len(batch))
    finally:
        for exporter in exporters.values():
            exporter.shutdown()
