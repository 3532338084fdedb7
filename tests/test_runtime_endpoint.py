"""The local online endpoint end to end: real inference server, real Collector, real exporter.

One endpoint (with data collection and App Insights) takes a scripted day of traffic in a
module fixture; each test then checks one consequence. Faults get their own servers.
"""

from __future__ import annotations

import json
import os
import socket
import time
import warnings

import psutil
import pytest
from runtime_support import project_fixture  # noqa: F401 (pytest fixture)

from mlcheckup import _envelopes
from mlcheckup._lifecycle import State
from mlcheckup.appinsights import AppInsightsIngestion
from mlcheckup.datacollector import DataCollectionWarning, join_collected
from mlcheckup.endpoint import LocalEndpoint, ScoringError
from mlcheckup.errors import ServerError, ValidationError
from mlcheckup.projects import digits_payload

pytestmark = pytest.mark.slow
N_GOOD = 12
MALFORMED = {
    "not JSON": ("{'data': oops", 400, "invalid_json"),
    "wrong shape": ({"data": [[1.0] * 63]}, 400, "wrong_shape"),
    "NaN": ('{"data": [[NaN' + ", 0" * 63 + "]]}", 400, "not_finite"),
    "out of range": ({"data": [[99.0] * 64]}, 400, "out_of_range"),
    "too large": ({"data": [[1.0] * 64] * 1001}, 413, "too_large"),
}


def _listening(pid: int) -> list[tuple[str, int]]:
    return [(c.laddr.ip, c.laddr.port) for c in psutil.Process(pid).net_connections("inet") if c.status == "LISTEN"]


@pytest.fixture(scope="module")
def day(project):
    """Serve the digits model with 2 workers; send good and malformed requests; stop (flushes telemetry)."""
    record = {}
    with AppInsightsIngestion() as ingestion:
        endpoint = LocalEndpoint(project.score_script, project.model_dir, workers=2, app_insights=ingestion)
        with endpoint:
            record["listening"] = {pid: _listening(pid) for pid in [endpoint.pid, *endpoint.worker_pids()]}
            record["workers"] = endpoint.worker_pids()
            record["answers"] = [endpoint.post(digits_payload(2, start=i), headers={"x-request-id": f"good-{i}"})
                                 for i in range(N_GOOD)]
            record["refused"] = {name: endpoint.post(body, headers={"x-request-id": f"bad-{i}"})
                                 for i, (name, (body, _, _)) in enumerate(MALFORMED.items())}
            record["after"] = endpoint.post(digits_payload(1))
            record["inputs"] = endpoint.collected("model_inputs")
            record["outputs"] = endpoint.collected("model_outputs")
            record["state_running"] = endpoint.state
        record["endpoint"] = endpoint
        record["ingestion"] = ingestion
        yield record


def test_every_server_binds_loopback_only(day):
    assert day["listening"] and all(day["listening"].values())
    for pid, addresses in day["listening"].items():
        assert all(ip == "127.0.0.1" for ip, _ in addresses), f"pid {pid} listens on {addresses}"
    assert {port for addresses in day["listening"].values() for _, port in addresses} == {day["endpoint"].port}


def test_two_workers_serve(day):
    assert len(day["workers"]) == 2
    assert day["state_running"] is State.RUNNING and day["endpoint"].state is State.STOPPED


def test_good_requests_are_scored(day):
    assert [r.status_code for r in day["answers"]] == [200] * N_GOOD
    body = day["answers"][0].json()
    assert len(body["predictions"]) == 2 and all(0 <= c <= 1 for c in body["confidence"])
    assert day["answers"][0].headers["x-ms-server-version"] == "azmlinfsrv/1.5.1"


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_request_gets_a_clear_4xx(day, name):
    _, status, code = MALFORMED[name]
    response = day["refused"][name]
    assert response.status_code == status
    assert response.json()["error"] == code and len(response.json()["message"]) > 20


def test_the_server_stays_up_after_malformed_requests(day):
    assert day["after"].status_code == 200


def test_n_requests_give_n_input_rows_and_n_output_rows_joined_by_correlation_id(day):
    inputs, outputs = day["inputs"], day["outputs"]
    assert len(inputs) == 2 * N_GOOD + 1 and len(outputs) == 2 * N_GOOD + 1
    assert [c for c in inputs.columns if c.startswith("pixel_")] == [f"pixel_{i}" for i in range(64)]
    assert set(outputs.columns) == {"prediction", "confidence", "correlationid"}
    assert "good-0_0" in set(inputs["correlationid"]) and "good-0_1" in set(outputs["correlationid"])
    joined = join_collected(inputs, outputs)
    assert len(joined) == len(inputs)
    first = day["answers"][0].json()["predictions"]
    assert joined.set_index("correlationid").loc[["good-0_0", "good-0_1"], "prediction"].tolist() == first


def test_the_blob_layout_and_fields_are_azures(day):
    sink = day["endpoint"].sink
    files = sorted(sink.folder("model_inputs").rglob("*.jsonl"))
    assert files and files[0].name == "local.jsonl"
    assert files[0].relative_to(sink.root).parts[:4] == ("modelDataCollector", "digits-endpoint", "blue",
                                                          "model_inputs")
    line = json.loads(files[0].read_text().splitlines()[0])
    assert set(line) == {"specversion", "id", "source", "type", "datacontenttype", "time", "data",
                         "correlationid", "xrequestid", "modelversion", "collectdatatype", "agent", "contentrange"}
    assert line["type"] == "azureml.inference.model_inputs" and line["agent"].startswith("azureml-ai-monitoring/")
    assert line["source"].endswith("/onlineEndpoints/digits-endpoint/deployments/blue")


def test_n_requests_give_n_request_rows_stored_as_azure_stores_them(day):
    stored = day["ingestion"].query("SELECT * FROM requests WHERE name = '/score'")
    assert len(stored) == N_GOOD + len(MALFORMED) + 1
    assert set(stored["resultCode"]) == {"0"} and stored["success"].all()  # as sent, for a 400 too
    served = day["ingestion"].served_requests()
    by_id = {json.loads(d)["Request Id"]: row for d, row in zip(served["customDimensions"],
                                                               served.itertuples(), strict=True)}
    assert len(by_id) == len(stored)
    assert by_id["good-0"].resultCode == "200" and by_id["good-0"].success
    for i, (_, status, _) in enumerate(MALFORMED.values()):
        row = by_id[f"bad-{i}"]
        assert row.resultCode == str(status) and not row.success
    assert (served["duration"] >= 0).all()  # the bucket is the duration's, however slow this machine is
    assert served["performanceBucket"].tolist() == served["duration"].map(_envelopes.performance_bucket).tolist()


def test_custom_events_carry_their_properties(day):
    events = day["ingestion"].query("SELECT name, customDimensions, operation_Id FROM customEvents")
    predictions = events[events["name"] == "Prediction"]
    assert len(predictions) == N_GOOD + 1
    props = json.loads(predictions["customDimensions"].iloc[0])
    assert {"request_id", "rows", "min_confidence"} <= set(props)
    refused = events[events["name"] == "InvalidRequest"]
    reasons = sorted(json.loads(d)["reason"] for d in refused["customDimensions"])
    assert reasons == sorted(code for _, _, code in MALFORMED.values())


def test_the_predict_span_and_its_events_share_an_operation_id(day):
    ingestion = day["ingestion"]
    joined = ingestion.query(
        "SELECT count(*) AS n FROM customEvents e JOIN dependencies d ON e.operation_Id = d.operation_Id "
        "WHERE e.name = 'Prediction' AND d.name = 'predict'")
    assert joined["n"].iloc[0] == N_GOOD + 1


def test_custom_metrics_arrive_when_the_endpoint_stops(day):
    metrics = day["ingestion"].query(
        "SELECT sum(valueSum) AS n FROM customMetrics WHERE name = 'predictions'")
    assert metrics["n"].iloc[0] == 2 * N_GOOD + 1


def test_nothing_is_left_running(day):
    endpoint = day["endpoint"]
    assert not psutil.pid_exists(endpoint.pid) or psutil.Process(endpoint.pid).status() == psutil.STATUS_ZOMBIE
    assert not any(psutil.pid_exists(pid) for pid in day["workers"])
    assert not list((endpoint.folder.parent.parent / "processes").glob(f"{endpoint.pid}.json"))


def test_misuse_gets_one_line_errors(day):
    endpoint = day["endpoint"]
    with pytest.raises(ServerError, match="cannot send a request: endpoint digits-endpoint/blue is stopped"):
        endpoint.invoke(digits_payload(1))
    with pytest.raises(ServerError, match="cannot restart"):
        endpoint.start()
    endpoint.stop()  # stopping again does nothing


# --- faults, each on its own server ------------------------------------------------------------------
def test_scoring_goes_on_when_the_sink_is_down_and_the_loss_is_counted(project):
    with LocalEndpoint(project.score_script, project.model_dir, name="sinkless") as endpoint:
        assert endpoint.invoke(digits_payload(1))["predictions"]
        assert len(endpoint.collected("model_inputs")) == 1
        assert len(endpoint.collected("model_outputs")) == 1  # both delivered before the sink goes down
        endpoint.sink.stop()
        assert [endpoint.post(digits_payload(1)).status_code for _ in range(5)] == [200] * 5
        deadline = time.monotonic() + 10
        while sum(endpoint.data_collection_errors().values()) < 10 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert endpoint.data_collection_errors() == {"undelivered": 10}  # 5 inputs + 5 outputs
        assert "data collection lost a payload (undelivered)" in endpoint.logs()
        with pytest.warns(DataCollectionWarning, match=r"lost 10 payload"):
            assert len(endpoint.collected("model_inputs")) == 1
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            endpoint.stop()
    said = [str(w.message) for w in caught if issubclass(w.category, DataCollectionWarning)]
    assert said and "sink did not take them" in said[0]
    assert "fewer requests" not in said[0]  # the cause is the sink, not the load


def test_a_taken_port_is_a_clear_error(project):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    endpoint = LocalEndpoint(project.score_script, project.model_dir, port=port, collections=None)
    with holder, pytest.raises(ServerError, match=rf"port {port} on 127.0.0.1 is already in use.*port=0"):
        endpoint.start()
    assert endpoint.state is State.FAILED and endpoint.pid is None


def test_init_failure_is_a_clear_error_with_the_log_tail(project, tmp_path):
    broken = tmp_path / "score.py"
    broken.write_text("def init():\n    raise RuntimeError('model file is corrupt')\n\n"
                      "def run(raw_data):\n    return raw_data\n")
    with AppInsightsIngestion() as ingestion:
        endpoint = LocalEndpoint(broken, project.model_dir, app_insights=ingestion)
        waited = []
        wait = endpoint._await_exception_telemetry

        def timed_wait(*args, **kwargs):
            began = time.monotonic()
            wait(*args, **kwargs)
            waited.append(time.monotonic() - began)

        endpoint._await_exception_telemetry = timed_wait
        with pytest.raises(ServerError) as caught:
            endpoint.start()
    assert waited and waited[0] < 2.0  # F32: at most ~1.5 s for the exception report, not up to 7 s
    message = str(caught.value)
    assert "failed to start" in message and "RuntimeError: model file is corrupt" in message
    head, tail = message.split("up to the error:\n")
    assert "The last 20 lines of" in head and len(tail.splitlines()) == 20
    assert "raise RuntimeError('model file is corrupt')" in tail
    assert ingestion.count("exceptions") >= 1  # the failure reached App Insights, as it would in Azure
    assert endpoint.state is State.FAILED
    assert not psutil.pid_exists(endpoint.pid) or psutil.Process(endpoint.pid).status() == psutil.STATUS_ZOMBIE
    assert endpoint.sink.state is State.STOPPED


def test_names_are_checked_before_anything_starts(project):
    with pytest.raises(ValidationError, match="3-32 letters"):
        LocalEndpoint(project.score_script, project.model_dir, name="../escape")


def test_invoke_raises_scoring_error_on_a_refused_request(project):
    with LocalEndpoint(project.score_script, project.model_dir, collections=None) as endpoint:
        with pytest.raises(ScoringError, match="refused the request with HTTP 400: row 0 has 3 values") as caught:
            endpoint.invoke({"data": [[1, 2, 3]]})
        assert caught.value.status == 400
        assert endpoint.invoke(digits_payload(1))["predictions"]
        log = endpoint.logs(lines=50)  # the same name as Deployed.logs and Azure's get_logs (F30)
    assert "refused request" in log and "data collection is off" in endpoint.logs()


def test_no_server_process_outlives_the_tests():
    leftovers = [p for p in psutil.Process(os.getpid()).children(recursive=True)
                 if "gunicorn" in " ".join(p.cmdline())]
    assert leftovers == []


@pytest.mark.parametrize("options, words", [
    ({"collections": "model_inputs"}, "not the string 'model_inputs'"),
    ({"collections": ["model_inputs", "../up"]}, "letters, digits and '_'"),
    ({"collections": {"model inputs": {"enabled": True, "sampleRatePercentage": 100}}}, "letters, digits and '_'"),
    ({"sampling_rate": 5}, r"sampling_rate must be in \(0, 1\] \(got 5\)"),
    ({"sampling_rate": 0}, r"sampling_rate must be in \(0, 1\]"),
    ({"sampling_rate": "all"}, r"sampling_rate must be in \(0, 1\]"),
])
def test_data_collection_options_are_checked_before_anything_starts(project, options, words):
    """F7: the same checks as build_deployment, before a server starts."""
    with pytest.raises(ValidationError, match=words):
        LocalEndpoint(project.score_script, project.model_dir, **options)


def test_a_non_json_answer_and_a_zero_line_log_are_handled(project, tmp_path, monkeypatch):
    """F14: a 200 whose body is not JSON is a ServerError quoting it; logs of 0 lines are empty."""
    import requests

    endpoint = LocalEndpoint(project.score_script, project.model_dir, collections=None)
    answer = requests.Response()
    answer.status_code, answer._content = 200, b"<html>" + b"x" * 500
    monkeypatch.setattr(endpoint, "post", lambda *args, **kwargs: answer)
    with pytest.raises(ServerError, match=r"HTTP 200 with a body that is not JSON: '<html>x+'") as caught:
        endpoint.invoke(digits_payload(1))
    assert len(str(caught.value)) < 400  # quotes the first 200 characters only
    endpoint.folder = tmp_path
    (tmp_path / "server.log").write_text("one\ntwo\nthree\n")
    assert endpoint.logs(lines=0) == "" and endpoint.logs(lines=2) == "two\nthree"
    assert endpoint.logs() == "one\ntwo\nthree\n"


def test_a_deployment_without_code_configuration_is_a_clear_error(project):
    """F15: from_deployment says what is missing and how to add it, instead of an AttributeError."""
    from runtime_support import digits_entities

    _, deployment = digits_entities(project)
    deployment.code_configuration = None
    with pytest.raises(ValidationError, match=r"deployment blue has no code_configuration.*build_deployment"):
        LocalEndpoint.from_deployment(deployment)


@pytest.mark.parametrize("options, words", [
    ({"workers": "two"}, r"workers must be a whole number of at least 1 \(got 'two'\)"),
    ({"workers": 0}, r"workers must be a whole number of at least 1 \(got 0\)"),
    ({"workers": 1.5}, r"workers must be a whole number"),
    ({"port": "abc"}, r"port must be a whole number from 0 to 65535 \(got 'abc'\)"),
    ({"port": 70000}, r"port must be a whole number from 0 to 65535"),
    ({"start_timeout": -1}, r"start_timeout must be a positive number of seconds \(got -1\)"),
    ({"request_timeout": "soon"}, r"request_timeout must be a positive number of seconds"),
])
def test_server_options_are_checked_with_validation_errors(project, options, words):
    """F17: bad workers, port or timeouts are ValidationErrors that say what was given."""
    with pytest.raises(ValidationError, match=words):
        LocalEndpoint(project.score_script, project.model_dir, collections=None, **options)


def test_the_server_log_is_read_from_where_the_last_read_stopped(project, tmp_path, monkeypatch):
    """F33: losses and log tails come from the new bytes (or the end) of server.log, never a full re-read."""
    from pathlib import Path

    from mlcheckup.serving import LOST_MARKER

    endpoint = LocalEndpoint(project.score_script, project.model_dir, collections=None)
    endpoint.folder = tmp_path
    log = tmp_path / "server.log"
    log.write_text("booting\n" * 5000 + f"{LOST_MARKER} (queue_full): x\n")
    real_read_text = Path.read_text

    def no_full_reads(path, *args, **kwargs):
        assert path.name != "server.log", "server.log was read whole"
        return real_read_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", no_full_reads)
    assert endpoint.data_collection_errors() == {"queue_full": 1}
    with open(log, "a") as out:
        out.write(f"{LOST_MARKER} (undelivered): model_inputs: refused\n{LOST_MARKER} (undel")
    assert endpoint.data_collection_errors() == {"queue_full": 1, "undelivered": 1}  # the half line waits
    with open(log, "a") as out:
        out.write("ivered): model_outputs: refused\nlast line\n")
    assert endpoint.data_collection_errors() == {"queue_full": 1, "undelivered": 2}
    assert endpoint.logs(lines=2) == f"{LOST_MARKER} (undelivered): model_outputs: refused\nlast line"


def test_collected_waits_for_one_payload_per_scored_request(project):
    """F9: collected() waits for every scored request's payload, however slow the sink, and warns on timeout."""
    with LocalEndpoint(project.score_script, project.model_dir, name="slow-sink") as endpoint:
        handle = endpoint.sink.handle

        def slow(*args):  # gaps longer than the old 0.5 s "quiet" period
            time.sleep(0.7)
            return handle(*args)

        endpoint.sink.handle = slow
        for _ in range(3):
            endpoint.invoke(digits_payload(1))
        with warnings.catch_warnings():
            warnings.simplefilter("error", DataCollectionWarning)
            assert len(endpoint.collected("model_inputs")) == 3
        endpoint.invoke(digits_payload(1))
        with pytest.warns(DataCollectionWarning, match=r"only \d of 4 model_outputs payloads arrived within 0\.1 s"):
            endpoint.collected("model_outputs", timeout=0.1)
