"""Azure's front end before the real inference server: request settings, status codes, log tables.

One front end (max_concurrent_requests_per_instance=1, request_timeout_ms=1500) before a server
whose score.py sleeps or fails on request takes a scripted set of requests in a module fixture;
each test checks one consequence.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import pandas as pd
import psutil
import pytest
import requests
from runtime_support import project_fixture  # noqa: F401 (pytest fixture)

from mlcheckup import platform_metrics
from mlcheckup._lifecycle import State
from mlcheckup.endpoint import LocalEndpoint
from mlcheckup.errors import ScoringError, ValidationError
from mlcheckup.frontend import FrontEnd
from mlcheckup.projects import digits_payload

pytestmark = pytest.mark.slow
SLOW_SCORE = """
import json, time

def init():
    print("slow model loaded")

def run(raw_data):
    request = json.loads(raw_data)
    if request.get("fail"):
        raise RuntimeError("the model failed on purpose")
    time.sleep(request.get("sleep", 0))
    return {"slept": request.get("sleep", 0)}
"""


def _wait_until(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slow")
    (folder / "score.py").write_text(SLOW_SCORE)
    (folder / "model.bin").write_bytes(b"x")
    record = {}
    server = LocalEndpoint(folder / "score.py", folder / "model.bin", collections=None, name="slow-endpoint")
    front = FrontEnd(server, max_concurrent_requests_per_instance=1, request_timeout_ms=1500, max_payload_bytes=4096,
                     sample_interval=0.2)
    with front:
        record["server_running"] = server.state
        record["ok"] = front.post({"sleep": 0}, headers={"x-request-id": "not-a-guid",
                                                        "x-ms-client-request-id": "my client/id!" + "x" * 60})
        guid = str(uuid.uuid4())
        record["guid"], record["kept"] = guid, front.post({"sleep": 0}, headers={"x-request-id": guid})
        record["failed"] = front.post({"fail": True})
        record["timeout"] = front.post({"sleep": 3})
        _wait_until(lambda: front.in_flight == 0)
        time.sleep(1.6)  # the timed-out request still holds the single worker: let it finish
        slow = [threading.Thread(target=lambda: record.setdefault("slow", []).append(front.post({"sleep": 0.6})))
                for _ in range(2)]
        for thread in slow:
            thread.start()
        _wait_until(lambda: front.in_flight == 2)
        record["refused"] = front.post({"sleep": 0})
        with pytest.raises(ScoringError) as refused:
            front.invoke({"sleep": 0})
        record["refused_error"] = refused.value
        for thread in slow:
            thread.join()
        record["after"] = front.post({"sleep": 0})
        record["too_large"] = front.post(b'{"sleep": 0, "pad": "' + b"x" * 5000 + b'"}')
        with pytest.raises(ScoringError) as caught:
            front.invoke({"fail": True})
        record["error"] = caught.value
        record["traffic"] = front.traffic_log()
        record["metrics"] = front.metrics()
        record["workers"] = server.worker_pids()
    record["front"], record["server"] = front, server
    record["console"], record["events"] = front.console_log(), front.event_log()
    return record


def test_a_good_request_passes_with_azures_headers(session):
    answer = session["ok"]
    assert answer.status_code == 200 and answer.json() == {"slept": 0}
    assert answer.headers["azureml-model-deployment"] == "blue"
    assert answer.headers["x-ms-server-version"] == "azmlinfsrv/1.5.1"


def test_request_ids_are_guids_and_client_ids_are_cleaned(session):
    replaced = session["ok"].headers["x-request-id"]
    assert replaced != "not-a-guid" and str(uuid.UUID(replaced)) == replaced
    assert session["ok"].headers["x-ms-client-request-id"] == ("myclientid" + "x" * 60)[:40]
    assert session["kept"].headers["x-request-id"] == session["guid"]


def test_a_model_error_is_424_with_the_models_status_in_headers(session):
    failed = session["failed"]
    assert failed.status_code == 424
    assert failed.headers["ms-azureml-model-error-statuscode"] == "500"
    assert session["error"].status == 424


def test_a_424_says_the_model_failed_and_where_to_look_not_fix_the_request(session):
    error = session["error"]
    assert (error.model_status, error.model_reason) == (500, "INTERNAL SERVER ERROR")
    text = str(error)
    assert "HTTP 424 Model Error" in text and "the model answered 500" in text
    for pointer in ("ms-azureml-model-error-statuscode", "ms-azureml-model-error-reason", "console_log()"):
        assert pointer in text
    assert "fix the request" not in text


def test_a_429_says_scale_out_and_a_408_says_the_timeout(session):
    refused = session["refused_error"]
    assert refused.status == 429 and refused.model_status is None
    assert "Too many pending requests" in str(refused) and "scale out" in str(refused)
    assert "fix the request" not in str(refused)
    timed_out = ScoringError(408, "the model did not answer within request_timeout_ms=1500", "front end")
    assert "request_timeout_ms" in str(timed_out) and "at most 180000" in str(timed_out)
    assert "fix the request" not in str(timed_out)
    bad = ScoringError(400, "row 0 has 3 values", "front end")
    assert str(bad).endswith("; fix the request")


def test_a_slow_model_gets_408_from_the_front_end(session):
    assert session["timeout"].status_code == 408
    assert "request_timeout_ms=1500" in session["timeout"].json()["message"]


def test_beyond_twice_the_concurrency_setting_is_429_and_nothing_else_degrades(session):
    assert session["refused"].status_code == 429
    assert "2 x max_concurrent_requests_per_instance=1" in session["refused"].json()["message"]
    assert sorted(r.status_code for r in session["slow"]) == [200, 200]  # both admitted: 2 x 1, not 1
    assert session["after"].status_code == 200


def test_a_body_over_the_limit_is_413_and_never_reaches_the_model(session):
    assert session["too_large"].status_code == 413


def test_the_traffic_log_has_one_row_per_request_with_both_status_codes(session):
    log = session["traffic"]
    assert list(log.columns) == list(platform_metrics.TRAFFIC_COLUMNS)
    assert str(log["TimeGenerated"].dtype) == "datetime64[ns, UTC]"
    assert sorted(log["ResponseCode"]) == [200] * 5 + [408, 413, 424, 424, 429, 429]
    model = log.groupby("ResponseCode")["ModelStatusCode"]
    assert model.apply(list)[424] == [500, 500] and model.apply(list)[200] == [200] * 5
    never_reached = log[log["ResponseCode"].isin([408, 413, 429])]
    assert len(never_reached) == 4 and never_reached["ModelStatusCode"].isna().all()


def test_durations_and_sizes_are_whole_and_ordered(session):
    log = session["traffic"]
    assert (log["RequestDurationMs"] <= log["ResponseDurationMs"]).all()
    assert (log["ResponseDurationMs"] <= log["TotalDurationMs"]).all()
    timed_out = log[log["ResponseCode"] == 408].iloc[0]
    assert timed_out["TotalDurationMs"] >= 1500
    ok = log[log["XRequestId"] == session["guid"]].iloc[0]
    assert ok["RequestPayloadSize"] == len(json.dumps({"sleep": 0}))
    assert ok["ResponsePayloadSize"] == len(session["kept"].content)
    assert log.loc[log["ResponseCode"] == 413, "RequestPayloadSize"].iloc[0] > 4096


def test_metrics_come_from_the_traffic_and_the_server_processes(session):
    metrics = session["metrics"]
    assert platform_metrics.series(metrics, "RequestsPerMinute").sum() == len(session["traffic"])
    cpu = metrics[metrics["MetricName"] == "CpuUtilizationPercentage"]
    assert len(cpu) >= 1 and cpu["Count"].sum() >= 5
    assert set(metrics["MetricName"]) >= {"RequestLatency_P95", "DeploymentCapacity", "CpuMemoryUtilizationPercentage"}


def test_console_and_event_logs_are_azures_tables(session):
    console = session["console"]
    assert list(console.columns) == ["TimeGenerated", "OperationName", "InstanceId", "DeploymentName",
                                     "ContainerName", "Message"]
    assert str(console["TimeGenerated"].dtype) == str(session["events"]["TimeGenerated"].dtype) == "datetime64[ns, UTC]"
    assert console["Message"].str.contains("slow model loaded").any()
    assert console["Message"].str.contains("the model failed on purpose").any()
    events = session["events"]
    assert events["Name"].tolist()[:2] == ["Created", "Started"] and events["Name"].iloc[-1] == "Killing"
    assert (events["DeploymentName"] == "blue").all()


def test_the_front_end_stops_the_endpoint_it_started(session):
    assert session["server_running"] is State.RUNNING
    assert session["front"].state is State.STOPPED and session["server"].state is State.STOPPED
    assert not any(psutil.pid_exists(pid) for pid in session["workers"])


def test_a_running_endpoint_is_left_running(project):
    with LocalEndpoint(project.score_script, project.model_dir, collections=None) as server:
        with FrontEnd(server) as front:
            assert front.invoke(digits_payload(1))["predictions"]
            assert front.port != server.port and front.scoring_uri.startswith("http://127.0.0.1:")
        assert server.state is State.RUNNING and front.state is State.STOPPED


def test_collected_waits_for_requests_scored_through_the_front_end(project):
    with FrontEnd(LocalEndpoint(project.score_script, project.model_dir, name="fe-collect")) as front:
        for _ in range(3):
            front.invoke(digits_payload(1))
        assert len(front.endpoint.collected("model_inputs")) == 3
        assert len(front.endpoint.collected("model_outputs")) == 3
        events = front.endpoint.collection_events()
        assert sorted(events["type"]) == ["model_inputs"] * 3 + ["model_outputs"] * 3
        metrics = front.metrics()
    assert platform_metrics.series(metrics, "DataCollectionEventsPerMinute").sum() == 6


def test_from_deployment_reads_the_request_settings(project):
    from azure.ai.ml.entities import OnlineRequestSettings
    from runtime_support import digits_entities

    _, deployment = digits_entities(project)
    deployment.request_settings = OnlineRequestSettings(max_concurrent_requests_per_instance=3,
                                                        request_timeout_ms=2500)
    front = FrontEnd.from_deployment(deployment)
    assert (front.max_concurrent_requests_per_instance, front.request_timeout_ms, front.admitted) == (3, 2500, 6)
    assert "SCORING_TIMEOUT_MS" not in front.endpoint.environment  # the front end, not the server, times out


@pytest.mark.parametrize("options, words", [
    ({"max_concurrent_requests_per_instance": 0}, r"max_concurrent_requests_per_instance must be a whole number "
                                                  r"of at least 1 \(Azure's default is 1\) \(got 0\)"),
    ({"request_timeout_ms": 200_000}, r"request_timeout_ms must be a whole number from 1 to 180000"),
    ({"request_timeout_ms": "soon"}, r"request_timeout_ms .*\(got 'soon'\)"),
    ({"max_payload_bytes": -1}, "max_payload_bytes"),
])
def test_bad_settings_are_validation_errors(project, options, words):
    with pytest.raises(ValidationError, match=words):
        FrontEnd(LocalEndpoint(project.score_script, project.model_dir, collections=None), **options)


def test_only_a_local_endpoint_can_stand_behind_it():
    with pytest.raises(ValidationError, match=r"endpoint must be a LocalEndpoint \(got str\)"):
        FrontEnd("http://127.0.0.1:5001")


def test_an_empty_traffic_log_still_has_the_columns(project):
    front = FrontEnd(LocalEndpoint(project.score_script, project.model_dir, collections=None))
    log = front.traffic_log()
    assert log.empty and list(log.columns) == list(platform_metrics.TRAFFIC_COLUMNS)
    assert isinstance(log["TimeGenerated"].dtype, pd.DatetimeTZDtype)


def test_a_spike_of_load_meets_429_and_the_traffic_log_tells_the_same_story(project):
    from mlcheckup import load

    arrivals = load.spike(20, 400, 2.0, at=0.5, length=0.5, rng=0)
    with FrontEnd(LocalEndpoint(project.score_script, project.model_dir, collections=None)) as front:
        results = load.run(front, arrivals, digits_payload(50))
        log = front.traffic_log()
    assert len(log) == len(results) == len(arrivals)
    assert set(log["XRequestId"]) == set(results["request_id"])  # GUIDs are kept by the front end
    assert (results["status"] == 429).sum() == (log["ResponseCode"] == 429).sum() > 0
    assert set(results["status"]) == {200, 429}


def test_a_dead_server_is_502_and_a_probe_failure_in_the_event_log(project):
    import os
    import signal

    front = FrontEnd(LocalEndpoint(project.score_script, project.model_dir, collections=None, name="doomed"))
    with front:
        os.killpg(front.endpoint.pid, signal.SIGKILL)
        _wait_until(lambda: front.endpoint.state is State.FAILED)
        http = requests.Session()
        http.trust_env = False  # the front end has failed, so front.post() refuses: ask it directly
        answer = http.post(front.scoring_uri, json=digits_payload(1), timeout=10)
        events = front.event_log()
    assert answer.status_code == 502 and "did not answer" in answer.json()["message"]
    assert {"ReadinessProbeFailed", "LivenessProbeFailed"} <= set(events["Name"])
    assert front.traffic_log()["ResponseCode"].tolist() == [502]


class _LateLogger(FrontEnd):
    """Logs each answer 0.3 s after the client has it, as a busy machine's scheduler can."""

    def _send(self, *args) -> None:
        super()._send(*args)
        time.sleep(0.3)


def test_a_chunked_body_is_read_whole_and_passed_on(project):
    """And traffic_log() holds the row even when the client reads its answer before it is logged."""
    http = requests.Session()
    http.trust_env = False
    body = json.dumps(digits_payload(2)).encode()
    with _LateLogger(LocalEndpoint(project.score_script, project.model_dir, collections=None)) as front:
        answer = http.post(front.scoring_uri, data=iter([body[:100], body[100:]]),
                           headers={"Content-Type": "application/json"}, timeout=10)
        log = front.traffic_log()
    assert answer.status_code == 200 and len(answer.json()["predictions"]) == 2
    assert log["RequestPayloadSize"].tolist() == [len(body)]
