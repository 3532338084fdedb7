"""Local App Insights ingestion: the real Azure Monitor exporters in, App Insights tables out."""

from __future__ import annotations

import gzip
import json
import logging

import pandas as pd
import pytest
import requests

from mlcheckup import _envelopes
from mlcheckup._lifecycle import State
from mlcheckup.appinsights import (
    LOCAL_INSTRUMENTATION_KEY,
    TABLES,
    AppInsightsIngestion,
    connection_string,
    served_requests,
    telemetry_environment,
)
from mlcheckup.errors import ServerError, ValidationError


@pytest.fixture
def ingestion(tmp_path):
    with AppInsightsIngestion(tmp_path / "ai.sqlite") as server:
        yield server


def _envelope(base_type, base, *, time="2026-11-27T14:21:40.46997Z", tags=None, name="x"):
    return {"ver": 1, "name": name, "time": time, "sampleRate": 100.0, "iKey": LOCAL_INSTRUMENTATION_KEY,
            "tags": {"ai.operation.id": "op1", "ai.cloud.role": "digits", **(tags or {})},
            "data": {"baseType": base_type, "baseData": base}}


def test_connection_string_points_at_the_local_endpoint():
    assert connection_string("http://127.0.0.1:5319/") == (
        f"InstrumentationKey={LOCAL_INSTRUMENTATION_KEY};IngestionEndpoint=http://127.0.0.1:5319")
    with pytest.raises(ValidationError, match="must be an http"):
        connection_string("127.0.0.1:5319")
    env = telemetry_environment("http://127.0.0.1:1")
    assert env["APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL"] == "true"
    assert env["OTEL_EXPERIMENTAL_RESOURCE_DETECTORS"] == "otel"  # no Azure VM metadata probe


def test_it_binds_loopback_only_and_reads_the_port_back(ingestion):
    assert ingestion.host == "127.0.0.1" and ingestion.port > 0
    assert ingestion.url == f"http://127.0.0.1:{ingestion.port}" and ingestion.state is State.RUNNING
    with pytest.raises(ServerError, match="already running"):
        ingestion.start()


def test_a_taken_port_is_a_clear_error(ingestion, tmp_path):
    with pytest.raises(ServerError, match=rf"port {ingestion.port} on 127.0.0.1 is already in use.*port=0"):
        AppInsightsIngestion(tmp_path / "b.sqlite", port=ingestion.port).start()


def test_every_table_exists_with_app_insights_columns(ingestion):
    for table in TABLES:
        assert list(ingestion.query(f"SELECT * FROM {table}").columns) == list(_envelopes.columns(table))
    requests_columns = set(_envelopes.columns("requests"))
    assert {"timestamp", "name", "duration", "success", "resultCode", "operation_Id", "operation_ParentId",
            "customDimensions", "customMeasurements", "itemCount", "cloud_RoleName"} <= requests_columns
    assert {"value", "valueSum", "valueCount", "valueMin", "valueMax"} <= set(_envelopes.columns("customMetrics"))
    assert {"type", "outerMessage", "severityLevel"} <= set(_envelopes.columns("exceptions"))


@pytest.mark.parametrize("path", ["/v2.1/track", "//v2.1/track"])
def test_gzip_batches_are_accepted_on_both_paths(ingestion, path):
    batch = [_envelope("EventData", {"name": f"E{i}", "properties": {"i": str(i)}}) for i in range(3)]
    body = gzip.compress(json.dumps(batch).encode())
    answer = requests.post(ingestion.url + path, data=body, headers={"Content-Encoding": "gzip"}, timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"itemsReceived": 3, "itemsAccepted": 3, "errors": []}
    events = ingestion.query("SELECT name, json_extract(customDimensions, '$.i') AS i FROM customEvents")
    assert events["name"].tolist() == ["E0", "E1", "E2"] and events["i"].tolist() == ["0", "1", "2"]


def test_unknown_items_and_bad_bodies_are_refused_not_stored(ingestion):
    batch = [_envelope("PageViewData", {}), _envelope("MessageData", {"message": "ok", "severityLevel": "1"})]
    answer = requests.post(ingestion.url + "/v2.1/track", json=batch, timeout=5)
    assert answer.status_code == 206
    assert answer.json()["itemsAccepted"] == 1 and answer.json()["errors"][0]["index"] == 0
    assert "unsupported baseType 'PageViewData'" in answer.json()["errors"][0]["message"]
    assert requests.post(ingestion.url + "/v2.1/track", data=b"{nope", timeout=5).status_code == 400
    assert requests.get(ingestion.url + "/v2.1/track", timeout=5).status_code == 404
    assert ingestion.count("traces") == 1 and ingestion.rejected == 1


def _server_span_envelope(status: int) -> dict:
    """The envelope the real exporter makes of the inference server's request span (its own conversion)."""
    from azure.monitor.opentelemetry.exporter.export.trace._exporter import _convert_span_to_envelope
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    # As azureml_inference_server_http's appinsights_client.log_request does, after the response.
    with provider.get_tracer("azmlinfsrv").start_as_current_span("/score", kind=trace.SpanKind.SERVER) as span:
        for key, value in {"Request Id": "r-1", "name": "/score", "url": "http://127.0.0.1:1/score",
                           "start_time": "2026-11-27T14:21:39.5Z", "duration": "00:00:01.250",
                           "resultCode": str(status), "success": status < 400, "http_method": "POST"}.items():
            span.set_attribute(key, value)
    provider.shutdown()
    envelope = _convert_span_to_envelope(spans.get_finished_spans()[0])
    return json.loads(json.dumps(envelope.serialize()))


def test_the_inference_servers_request_rows_are_stored_as_the_exporter_sent_them(ingestion):
    # The server ends its span after the response: the envelope says 0 / true / ~0 ms for an HTTP 500,
    # and App Insights stores exactly that. The real values are only in customDimensions.
    envelope = _server_span_envelope(500)
    sent = envelope["data"]["baseData"]
    assert (sent["responseCode"], sent["success"]) == ("0", True)  # the exporter's own conversion
    requests.post(ingestion.url + "/v2.1/track", json=[envelope], timeout=5)
    row = ingestion.query("SELECT * FROM requests").iloc[0]
    assert (row.resultCode, bool(row.success)) == (sent["responseCode"], sent["success"])
    assert row.duration == pytest.approx(_envelopes.duration_ms(sent["duration"])) and row.duration < 100
    assert str(row.timestamp) == str(pd.Timestamp(envelope["time"]).tz_convert("UTC"))
    assert ingestion.count("requests", "success = 0") == 0  # `where success == false` finds nothing, as on Azure
    dims = json.loads(row.customDimensions)
    assert (dims["resultCode"], dims["success"], dims["duration"]) == ("500", "False", "00:00:01.250")


def test_served_requests_reads_what_the_server_served_from_custom_dimensions(ingestion):
    exporter_row = _envelope("RequestData", {"id": "def", "name": "score", "duration": "0.00:00:00.120",
                                             "success": True, "responseCode": "200", "properties": {"k": "v"}})
    requests.post(ingestion.url + "/v2.1/track", json=[_server_span_envelope(500), _server_span_envelope(200),
                                                       exporter_row], timeout=5)
    served = ingestion.served_requests().sort_values("resultCode")
    assert served["resultCode"].tolist() == ["200", "500"]  # the exporter's own row is not a server row
    assert served["success"].tolist() == [True, False] and served["duration"].tolist() == [1250.0, 1250.0]
    assert (served["performanceBucket"] == "1sec-3sec").all()
    assert str(served["timestamp"].iloc[0]) == "2026-11-27 14:21:39.500000+00:00"
    assert json.loads(served["customDimensions"].iloc[0])["resultCode"] == "200"  # kept as sent
    with pytest.raises(ValidationError, match="customDimensions"):
        served_requests(pd.DataFrame({"resultCode": ["0"]}))


@pytest.mark.parametrize("text, ms", [("0.00:00:00.001", 1.0), ("00:00:01.250", 1250.0), ("1.02:03:04.5", 93784500.0)])
def test_durations_are_milliseconds(text, ms):
    assert _envelopes.duration_ms(text) == pytest.approx(ms)


def test_queries_explain_their_mistakes(ingestion):
    with pytest.raises(ValidationError, match="tables are requests, dependencies"):
        ingestion.query("SELECT * FROM AppRequests")
    with pytest.raises(ValidationError, match="unknown table 'request'"):
        ingestion.count("request")
    with pytest.raises(ServerError, match=r"only 0 of 1 customEvents rows arrived"):
        ingestion.wait_for("customEvents", 1, timeout=0.3)


def test_the_real_exporters_fill_every_table(ingestion):
    """Spans, logs, events, exceptions and metrics from the Azure Monitor exporters, without global providers."""
    from azure.monitor.opentelemetry.exporter import (
        AzureMonitorLogExporter,
        AzureMonitorMetricExporter,
        AzureMonitorTraceExporter,
    )
    from opentelemetry import trace
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    options = {"connection_string": ingestion.connection_string + "/", "disable_offline_storage": True}
    resource = Resource.create({"service.name": "digits-test"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(AzureMonitorTraceExporter(**options)))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(AzureMonitorLogExporter(**options)))
    reader = PeriodicExportingMetricReader(AzureMonitorMetricExporter(**options), export_interval_millis=600_000)
    meter_provider = MeterProvider(metric_readers=[reader], resource=resource)
    log = logging.getLogger("test.mlcheckup.exporter")
    log.setLevel(logging.INFO)
    log.propagate = False
    handler = LoggingHandler(logger_provider=logger_provider)
    log.addHandler(handler)
    try:
        tracer = tracer_provider.get_tracer("digits")
        with tracer.start_as_current_span("score", kind=trace.SpanKind.SERVER) as span:
            span.set_attribute("rows", 2)
            with tracer.start_as_current_span("predict"):
                pass
            log.info("scored", extra={"batch_size": 2})
            log.info("x", extra={"microsoft.custom_event.name": "LowConfidence", "confidence": 0.42})
            try:
                raise ZeroDivisionError("division by zero")
            except ZeroDivisionError:
                log.exception("scoring failed")
        counter = meter_provider.get_meter("digits").create_counter("predictions")
        counter.add(2, {"digit": "7"})
        meter_provider.get_meter("digits").create_histogram("latency_ms").record(3.5)
        meter_provider.force_flush()
    finally:
        log.removeHandler(handler)
        for provider in (tracer_provider, logger_provider, meter_provider):
            provider.shutdown()
    request = ingestion.query("SELECT * FROM requests").iloc[0]
    dependency = ingestion.query("SELECT * FROM dependencies").iloc[0]
    assert request["name"] == "score" and dependency["type"] == "InProc"
    assert dependency.operation_Id == request.operation_Id and dependency.operation_ParentId == request.id
    assert request.cloud_RoleName == "digits-test" and json.loads(request.customDimensions)["rows"] == "2"
    event = ingestion.query("SELECT * FROM customEvents").iloc[0]
    assert event["name"] == "LowConfidence" and json.loads(event.customDimensions)["confidence"] == "0.42"
    trace_row = ingestion.query("SELECT * FROM traces").iloc[0]
    assert (trace_row.message, trace_row.severityLevel) == ("scored", 1)
    exception = ingestion.query("SELECT * FROM exceptions").iloc[0]
    assert (exception.type, exception.outerMessage, exception.severityLevel) == ("ZeroDivisionError",
                                                                                  "scoring failed", 3)
    metrics = ingestion.query("SELECT * FROM customMetrics ORDER BY name")
    assert metrics["name"].tolist() == ["latency_ms", "predictions"]  # no _OTELRESOURCE_ row
    assert metrics.set_index("name").loc["predictions", "valueSum"] == 2.0
    assert metrics.set_index("name").loc["latency_ms", "valueMax"] == 3.5


def test_a_thousand_items_in_parallel_batches_are_all_stored(ingestion):
    from concurrent.futures import ThreadPoolExecutor

    def send(start):
        batch = [_envelope("EventData", {"name": "Tick", "properties": {"n": str(start + i)}}) for i in range(100)]
        return requests.post(ingestion.url + "/v2.1/track", json=batch, timeout=10).json()["itemsAccepted"]

    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(send, range(0, 1000, 100))) == 1000
    assert ingestion.count("customEvents") == 1000
    assert ingestion.query("SELECT count(DISTINCT json_extract(customDimensions, '$.n')) AS n FROM customEvents")[
        "n"].iloc[0] == 1000


def test_an_object_where_a_scalar_belongs_is_one_refused_item_not_a_wedged_store(ingestion):
    """F1: a dict in ``name`` is rejected into errors[] (206); the next batches are stored as usual."""
    good = _envelope("EventData", {"name": "Hello"})
    bad = _envelope("EventData", {"name": {"nested": 1}})
    answer = requests.post(ingestion.url + "/v2.1/track", json=[bad, good], timeout=5)
    assert answer.status_code == 206
    body = answer.json()
    assert (body["itemsReceived"], body["itemsAccepted"], body["errors"][0]["index"]) == (2, 1, 0)
    assert "name" in body["errors"][0]["message"] and "dict" in body["errors"][0]["message"]
    metric = _envelope("MetricData", {"metrics": [{"name": "m", "value": 1.0, "min": [1]}]})
    assert requests.post(ingestion.url + "/v2.1/track", json=[metric], timeout=5).json()["itemsAccepted"] == 0
    for _ in range(2):
        assert requests.post(ingestion.url + "/v2.1/track", json=[good], timeout=5).status_code == 200
    assert ingestion.count("customEvents") == 3 and ingestion.count("customMetrics") == 0
    ingestion.check()  # nothing failed inside the server


def test_a_failed_insert_is_rolled_back_and_the_next_batch_is_stored(ingestion):
    """F1: whatever fails inside the transaction, it is rolled back, so no later BEGIN finds one open."""
    import sqlite3

    class FailOnce:
        def __init__(self, db):
            self.db, self.failed = db, False

        def executemany(self, *args):
            if not self.failed:
                self.failed = True
                raise sqlite3.OperationalError("disk I/O error (simulated)")
            return self.db.executemany(*args)

        def __getattr__(self, name):
            return getattr(self.db, name)

    real = ingestion._db
    ingestion._db = FailOnce(real)
    try:
        good = [_envelope("EventData", {"name": "Hello"})]
        assert requests.post(ingestion.url + "/v2.1/track", json=good, timeout=5).status_code == 500
        with pytest.raises(ServerError, match="simulated"):
            ingestion.check()
        assert requests.post(ingestion.url + "/v2.1/track", json=good, timeout=5).status_code == 200
    finally:
        ingestion._db = real
    assert ingestion.count("customEvents") == 1


def test_an_item_without_a_time_is_refused_and_queries_keep_working(ingestion):
    """F6: no ``time`` (or an unreadable one) is a rejected item, never a row that breaks every query."""
    timeless = _envelope("EventData", {"name": "NoTime"})
    del timeless["time"]
    garbled = _envelope("EventData", {"name": "Garbled"}, time="yesterday")
    good = _envelope("EventData", {"name": "Hello"}, time="2026-11-27T14:21:40+02:00")
    body = requests.post(ingestion.url + "/v2.1/track", json=[timeless, garbled, good], timeout=5).json()
    assert body["itemsAccepted"] == 1 and [e["index"] for e in body["errors"]] == [0, 1]
    assert "time" in body["errors"][0]["message"] and "'yesterday'" in body["errors"][1]["message"]
    events = ingestion.query("SELECT name, timestamp FROM customEvents")
    assert events["name"].tolist() == ["Hello"]
    assert str(events["timestamp"].iloc[0]) == "2026-11-27 12:21:40+00:00"  # stored in UTC


def test_an_unreadable_timestamp_in_a_result_is_a_validation_error(ingestion):
    """F6: a query whose timestamp column is not a time says so, instead of a pandas traceback."""
    with pytest.raises(ValidationError, match=r"timestamp column.*'\.000000Z'"):
        ingestion.query("SELECT '.000000Z' AS timestamp")


def test_server_side_errors_reach_query_and_wait_for_once_and_bounded(ingestion, monkeypatch):
    """F18: an error inside the server is raised by the next query/wait_for, with a count, then forgotten."""
    def broken(envelope):
        raise RuntimeError("the store is broken")

    monkeypatch.setattr(_envelopes, "rows", broken)
    for _ in range(30):
        assert requests.post(ingestion.url + "/v2.1/track", json=[_envelope("EventData", {})],
                             timeout=5).status_code == 500
    with pytest.raises(ServerError, match=r"RuntimeError: the store is broken \(and 29 more since the last check\)"):
        ingestion.query("SELECT * FROM customEvents")
    assert ingestion.query("SELECT * FROM customEvents").empty  # reported once, then forgotten
    requests.post(ingestion.url + "/v2.1/track", json=[_envelope("EventData", {})], timeout=5)
    with pytest.raises(ServerError, match=r"the store is broken$"):
        ingestion.wait_for("customEvents", 0)
    assert ingestion._error_count == 0
