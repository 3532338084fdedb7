"""A month's request telemetry into App Insights, on the month's own clock (private to :mod:`mlcheckup.capstone`).

What the payments ``score.py`` and the inference server report for each request of a
:class:`~mlcheckup.capstone.Month`, sent through the real Azure Monitor exporters to the local
ingestion endpoint, stamped with the simulated time (OpenTelemetry lets a span be given its start
and end time and a log record its timestamp): a ``requests`` row per request (``POST /score``,
its latency and status) and an ``InvalidRequest`` custom event per refused one. Nothing sleeps.
"""

from __future__ import annotations

import numpy as np

from ..errors import ServerError

_CHUNK = 2000
_EVENT = "microsoft.custom_event.name"


def send_month_telemetry(month, store, *, service_name: str = "payments-endpoint") -> int:
    """Export every request of ``month`` to the running ``store``; return the number of requests sent."""
    from azure.monitor.opentelemetry.exporter import AzureMonitorLogExporter, AzureMonitorTraceExporter
    from opentelemetry._logs import SeverityNumber
    from opentelemetry.sdk._logs import LogData, LogRecord
    from opentelemetry.sdk._logs.export import LogExportResult
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import SpanExportResult
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import SpanKind, Status, StatusCode

    from ..appinsights import quiet_telemetry

    quiet_telemetry()
    requests = month.requests
    starts = requests["timestamp"].dt.as_unit("ns").to_numpy().astype("int64")
    ends = starts + np.round(requests["latency_ms"].to_numpy(float) * 1e6).astype("int64")
    codes = requests["status_code"].to_numpy(int)
    ids = requests["request_id"].tolist()

    class _Keep(SpanProcessor):
        def __init__(self):
            self.spans = []

        def on_end(self, span):
            self.spans.append(span)

    resource = Resource.create({"service.name": service_name})
    kept = _Keep()
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(kept)
    tracer = provider.get_tracer("payments")
    scope = InstrumentationScope("payments")
    logs = []
    for i in range(len(requests)):
        span = tracer.start_span("POST /score", kind=SpanKind.SERVER, start_time=int(starts[i]),
                                 attributes={"http.request.method": "POST", "http.route": "/score",
                                             "http.response.status_code": int(codes[i]), "request_id": ids[i]})
        if codes[i] >= 500:
            span.set_status(Status(StatusCode.ERROR))
        elif codes[i] >= 400:
            context = span.get_span_context()
            record = LogRecord(timestamp=int(ends[i]), observed_timestamp=int(ends[i]), trace_id=context.trace_id,
                               span_id=context.span_id, trace_flags=context.trace_flags, severity_text="WARNING",
                               severity_number=SeverityNumber.WARN, body="refused request", resource=resource,
                               attributes={_EVENT: "InvalidRequest", "request_id": ids[i], "reason": "out_of_range",
                                           "status": int(codes[i])})
            logs.append(LogData(record, scope))
        span.end(end_time=int(ends[i]))
    provider.shutdown()
    options = {"connection_string": store.connection_string, "disable_offline_storage": True}
    batches = [(AzureMonitorTraceExporter, kept.spans[k:k + _CHUNK], SpanExportResult.SUCCESS)
               for k in range(0, len(kept.spans), _CHUNK)]
    batches += [(AzureMonitorLogExporter, logs[k:k + _CHUNK], LogExportResult.SUCCESS)
                for k in range(0, len(logs), _CHUNK)]
    exporters = {kind: kind(**options) for kind in {kind for kind, _, _ in batches}}
    try:
        for kind, batch, success in batches:
            if exporters[kind].export(batch) != success:
                store.check()
                raise ServerError(f"the ingestion endpoint at {store.url} refused {len(batch)} telemetry items")
    finally:
        for exporter in exporters.values():
            exporter.shutdown()
    return len(kept.spans)
