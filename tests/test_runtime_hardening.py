"""Hostile input, full disks, crashed workers and dead servers: nothing is lost silently (issue 13).

Each test is named after the item of the issue it proves. A full disk is simulated by
monkeypatching: file writes raise ``OSError(ENOSPC)`` after a byte budget (the sink writes
through ``open``), and SQLite's own ``max_page_count`` makes the telemetry store report
SQLITE_FULL, the very error a full disk gives. A tmpfs needs privileges, and an
``RLIMIT_FSIZE`` child gives EFBIG, not ENOSPC, and would need the whole server in the child.
"""

from __future__ import annotations

import errno
import gzip
import io
import json
import os
import signal
import socket
import stat
import threading
import time
import warnings
from collections import Counter

import pytest
import requests
from runtime_support import project_fixture  # noqa: F401 (pytest fixture)

from mlcheckup import datacollector
from mlcheckup._lifecycle import State
from mlcheckup._process import path_component, session_dir
from mlcheckup.alerts import WebhookReceiver
from mlcheckup.alerts._notify import Notification
from mlcheckup.appinsights import AppInsightsIngestion
from mlcheckup.datacollector import (
    DataCollectionWarning,
    DataCollectorSink,
    check_collections,
    read_collected,
)
from mlcheckup.endpoint import LocalEndpoint
from mlcheckup.errors import DiskFullError, ServerError, ValidationError
from mlcheckup.projects import digits_payload
from mlcheckup.serving import RequestError, parse_rows

TIME = "2026-11-27T14:21:40.469970Z"
SINK_HEADERS = {"ce-type": "azureml.inference.model_inputs", "ce-x-request-id": "r1", "ce-time": "1795000000",
                "Content-Type": "application/json"}


def _event(name="ok", **changes) -> dict:
    envelope = {"time": TIME, "data": {"baseType": "EventData", "baseData": {"name": name}}}
    envelope.update(changes)
    return envelope


@pytest.fixture
def ingestion(tmp_path):
    with AppInsightsIngestion(tmp_path / "ai.sqlite") as server:
        yield server


@pytest.fixture
def sink(tmp_path):
    with DataCollectorSink("digits-endpoint", "blue", root=tmp_path) as server:
        yield server


@pytest.fixture
def inbox():
    with WebhookReceiver() as server:
        yield server


def _targets(sink, ingestion, inbox):
    return [(sink.url + "/modeldata/log", SINK_HEADERS), (ingestion.url + "/v2.1/track", {}), (inbox.url, {})]


# -- 1. decompression bombs ---------------------------------------------------------------------
def test_1_a_gzip_bomb_is_refused_with_413_by_every_receiver(sink, ingestion, inbox):
    bomb = gzip.compress(b" " * (64 * 1024 * 1024), compresslevel=1)  # 64 MiB of spaces in ~64 KB
    for url, headers in _targets(sink, ingestion, inbox):
        answer = requests.post(url, data=bomb, headers={**headers, "Content-Encoding": "gzip"}, timeout=30)
        assert answer.status_code == 413, (url, answer.text)
        assert "decompresses to more than" in answer.text
    for server in (sink, ingestion, inbox):
        server.check()  # a client's bomb is not a server failure


def test_1_only_content_encoding_makes_a_body_gzip(sink, ingestion):
    sneaky = gzip.compress(json.dumps([{"a": 1}]).encode())  # gzip magic bytes, no Content-Encoding
    assert requests.post(sink.url + "/modeldata/log", data=sneaky, headers=SINK_HEADERS, timeout=5).status_code == 400
    assert sink.received["model_inputs"] == 0
    answer = requests.post(ingestion.url + "/v2.1/track", data=gzip.compress(json.dumps([_event()]).encode()),
                           timeout=5)
    assert answer.status_code == 400 and ingestion.count("customEvents") == 0


def test_1_the_route_is_checked_before_the_body_is_decompressed(sink, ingestion, inbox):
    truncated = gzip.compress(b"[]" * 1000)[:20]
    for url in (sink.url + "/elsewhere", ingestion.url + "/elsewhere", inbox.url + "/elsewhere"):
        answer = requests.post(url, data=truncated, headers={"Content-Encoding": "gzip"}, timeout=5)
        assert answer.status_code == 404, (url, answer.text)


def test_1_a_truncated_gzip_body_is_a_400_not_a_server_failure(sink, ingestion, inbox):
    truncated = gzip.compress(json.dumps([_event()] * 50).encode())[:-30]
    for url, headers in _targets(sink, ingestion, inbox):
        answer = requests.post(url, data=truncated, headers={**headers, "Content-Encoding": "gzip"}, timeout=5)
        assert answer.status_code == 400 and "truncated" in answer.text, (url, answer.text)
    for server in (sink, ingestion, inbox):
        server.check()


# -- 5. poison input --------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [{"a": 1}, [1, 2], [{"a": 1}, "x"], None, 5, "text"])
def test_5_the_sink_refuses_data_that_is_not_a_list_of_objects(sink, data):
    answer = requests.post(sink.url + "/modeldata/log", data=json.dumps(data), headers=SINK_HEADERS, timeout=5)
    assert answer.status_code == 400 and "list of objects" in answer.text
    assert sink.read("model_inputs").empty  # and reading the collection still works
    sink.check()


def test_5_a_bad_item_is_its_own_400_and_the_rest_of_the_batch_is_stored(ingestion):
    bad = [_event(time="0001-01-01T00:00:00+05:00"), _event(sampleRate=5e-324),
           {"time": TIME, "data": {"baseType": "MetricData", "baseData": {"metrics": [{"name": "m", "value": 1,
                                                                                     "count": 1e400}]}}},
           {"time": TIME, "data": {"baseType": "MetricData", "baseData": {"metrics": [{"name": "m", "value": 1e400}]}}},
           _event(name=10**30), _event(name="\ud800"), 5, None, [], _event(tags=[1])]
    batch = [_event("first"), *bad, _event("last")]
    answer = requests.post(ingestion.url + "/v2.1/track", data=json.dumps(batch), timeout=5)
    assert answer.status_code == 206, answer.text
    result = answer.json()
    assert result["itemsAccepted"] == 2
    assert [error["index"] for error in result["errors"]] == list(range(1, len(bad) + 1))
    assert all(error["statusCode"] == 400 for error in result["errors"])
    assert list(ingestion.query("SELECT name FROM customEvents")["name"]) == ["first", "last"]  # no ServerError


@pytest.mark.parametrize("body", ["null", "5", '"text"', "[" * 100_000 + "]" * 100_000])
def test_5_a_body_that_is_not_a_batch_is_a_400(ingestion, body):
    answer = requests.post(ingestion.url + "/v2.1/track", data=body, timeout=5)
    assert answer.status_code == 400, answer.text
    assert ingestion.count("customEvents") == 0  # query() works: the server was not marked failed


def test_5_a_chunked_body_is_read_and_stored(ingestion, sink):
    def chunks(items):
        text = json.dumps(items).encode()
        yield from (text[i:i + 7] for i in range(0, len(text), 7))

    answer = requests.post(ingestion.url + "/v2.1/track", data=chunks([_event("a"), _event("b")]), timeout=5)
    assert answer.status_code == 200 and ingestion.count("customEvents") == 2
    answer = requests.post(sink.url + "/modeldata/log", data=chunks([{"pixel": 1.0}]), headers=SINK_HEADERS,
                           timeout=5)
    assert answer.status_code == 200 and len(sink.read("model_inputs")) == 1


@pytest.mark.parametrize("payload", [{"schemaId": "azureMonitorCommonAlertSchema"},
                                     {"schemaId": "azureMonitorCommonAlertSchema", "data": {"essentials": {}}}])
def test_5_the_webhook_refuses_an_incomplete_notification(inbox, payload):
    answer = requests.post(inbox.url, json=payload, timeout=5)
    assert answer.status_code == 400 and "essentials" in answer.text
    assert inbox.notifications == []
    with pytest.raises(ValidationError, match="essentials"):
        Notification(payload)


def test_5_a_scoring_body_nested_too_deep_is_a_400():
    with pytest.raises(RequestError, match="nested too deep") as caught:
        parse_rows('{"data": ' + "[" * 100_000 + "]" * 100_000 + "}", n_features=64)
    assert caught.value.status == 400


# -- 8. clear errors -----------------------------------------------------------------------------------
def test_8_form_data_is_named_as_the_wrong_content_type(ingestion, sink, inbox):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for url, headers in _targets(sink, ingestion, inbox):
        answer = requests.post(url, data="{'not': json}", headers={**headers, **form}, timeout=5)
        assert answer.status_code == 400 and "Content-Type: application/json" in answer.text, (url, answer.text)
    with pytest.raises(RequestError, match="curl -d sends form data"):
        parse_rows("", n_features=64)


# -- 3. a full disk ------------------------------------------------------------------------------------
class _FullDisk(io.FileIO):
    """A file on a disk with ``room`` bytes left: writes beyond that raise ENOSPC (a partial write first)."""

    room = 0

    def write(self, data):
        if _FullDisk.room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        part = bytes(data[:_FullDisk.room])
        _FullDisk.room -= len(part)
        return super().write(part)


def _open_on_a_full_disk(path, mode="r", buffering=-1, encoding=None, opener=None, **kwargs):
    return _FullDisk(path, mode.replace("b", ""), opener=opener)


def test_3_a_full_disk_leaves_no_torn_line_and_the_loss_is_counted_and_named(sink, monkeypatch):
    post = lambda: requests.post(sink.url + "/modeldata/log", json=[{"pixel": 1.0}],  # noqa: E731
                                 headers=SINK_HEADERS, timeout=5)
    assert post().status_code == 200
    monkeypatch.setattr(datacollector, "open", _open_on_a_full_disk, raising=False)
    _FullDisk.room = 10  # the next line is torn after 10 bytes
    answers = [post().status_code for _ in range(3)]
    assert answers == [507, 507, 507]
    assert sink.lost == {"disk_full": 3}
    with pytest.raises(DiskFullError, match="disk full"):
        sink.check()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing torn is left behind: no damaged-line warning
        assert len(sink.read("model_inputs")) == 1


def test_3_a_torn_line_is_reported_and_every_intact_line_is_read(tmp_path):
    folder = datacollector.collection_folder(tmp_path, "e", "d", "model_inputs") / "2026/11/27/14"
    folder.mkdir(parents=True)
    good = json.dumps({"data": [{"a": 1}], "correlationid": "c"})
    (folder / "local.jsonl").write_text(f"{good}\n{good[:17]}\n{good}\n")
    with pytest.warns(DataCollectionWarning, match=r"local.jsonl, line 2"):
        rows = read_collected(tmp_path, "e", "d", "model_inputs")
    assert len(rows) == 2


def test_3_a_full_telemetry_store_says_disk_full_and_stays_usable(ingestion):
    ingestion.count("customEvents")
    pages = ingestion._db.execute("PRAGMA page_count").fetchone()[0]
    ingestion._db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite answers SQLITE_FULL, as on a full disk
    big = [_event("x" * 5000) for _ in range(50)]
    answer = requests.post(ingestion.url + "/v2.1/track", json=big, timeout=5)
    assert answer.status_code == 507 and "disk full" in answer.text
    assert ingestion.lost == {"disk_full": 50}
    with pytest.raises(DiskFullError, match="disk full") as caught:
        ingestion.query("SELECT 1")
    assert "rollback" not in str(caught.value)
    ingestion._db.execute("PRAGMA max_page_count = 1073741823")  # space again: the store goes on
    assert requests.post(ingestion.url + "/v2.1/track", json=[_event()], timeout=5).status_code == 200
    assert ingestion.count("customEvents") == 1


def test_3_a_new_endpoint_on_a_full_disk_says_disk_full(project, monkeypatch):
    from mlcheckup import endpoint as endpoint_module

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(endpoint_module.tempfile, "mkdtemp", full)
    server = LocalEndpoint(project.score_script, project.model_dir, name="full-disk")
    with pytest.raises(DiskFullError, match="disk full"):
        server.start()
    assert server.state is State.FAILED


def test_3_payloads_the_sink_could_not_store_count_even_when_the_log_cannot_say_so(project, tmp_path):
    server = LocalEndpoint(project.score_script, project.model_dir, name="full-log")
    server.folder = tmp_path
    (tmp_path / "server.log").write_text("data collection lost a payload (undelivered): x\n")  # 1 line made it
    server.sink = DataCollectorSink("full-log", "blue", root=tmp_path)
    server.sink.lost = Counter(disk_full=725)
    assert server.data_collection_errors() == {"disk_full": 725}


# -- 7. names and files ----------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["../..", "/abs", "a/b", "..", ".hidden", "digits\n", "ｄｉｇｉｔｓ", "", "a b"])
def test_7_names_that_become_paths_cannot_leave_their_folder(project, value):
    with pytest.raises(ValidationError, match="folder name"):
        path_component("model_name", value)
    for option in ("model_name", "model_version"):
        with pytest.raises(ValidationError):
            LocalEndpoint(project.score_script, project.model_dir, **{option: value})
    for option in ("endpoint", "deployment", "instance"):
        names = {"endpoint": "e", "deployment": "d", option: value}
        with pytest.raises(ValidationError):
            DataCollectorSink(names.pop("endpoint"), names.pop("deployment"), **names)


def test_7_collection_names_are_whole_ascii_names():
    for bad in ("model_inputs\n", "ｍodel_inputs"):
        with pytest.raises(ValidationError):
            check_collections([bad])
    assert check_collections(["model_inputs"]) == ("model_inputs",)


def test_7_run_files_and_the_telemetry_store_are_private(sink):
    with AppInsightsIngestion() as store:  # in this process's run folder
        requests.post(store.url + "/v2.1/track", json=[_event()], timeout=5)
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(session_dir().stat().st_mode) == 0o700
    requests.post(sink.url + "/modeldata/log", json=[{"a": 1}], headers=SINK_HEADERS, timeout=5)
    written = next(sink.folder("model_inputs").rglob("*.jsonl"))
    assert stat.S_IMODE(written.stat().st_mode) == 0o600


# -- 6. lifecycle truth ------------------------------------------------------------------------------------
def test_6_a_receiver_whose_thread_ended_is_failed_not_running(inbox):
    inbox._server.shutdown()
    inbox._thread.join(timeout=5)
    assert inbox.state is State.FAILED and "thread has ended" in inbox.failure
    inbox.stop()
    assert inbox.state is State.FAILED


@pytest.mark.slow
def test_6_an_endpoint_started_from_a_thread_outlives_it_and_its_state_follows_its_process(project):
    started = []
    thread = threading.Thread(target=lambda: started.append(
        LocalEndpoint(project.score_script, project.model_dir, name="threaded", collections=None).start()))
    thread.start()
    thread.join(timeout=60)
    server = started[0]
    try:
        time.sleep(0.5)  # the kernel's PR_SET_PDEATHSIG would act at once
        assert server.invoke(digits_payload(1))["predictions"]  # still serving
        assert server.state is State.RUNNING
        os.kill(server.pid, signal.SIGKILL)  # the gunicorn master dies
        server._proc.wait(timeout=10)
        assert server.state is State.FAILED and "SIGKILL" in server.failure
        with pytest.raises(ServerError, match="SIGKILL"):
            server.invoke(digits_payload(1))
    finally:
        server.stop()
    assert server.state is State.FAILED


# -- 2. idle and slow clients --------------------------------------------------------------------------
@pytest.mark.slow
def test_2_idle_and_stalled_clients_do_not_block_the_endpoint(project):
    with LocalEndpoint(project.score_script, project.model_dir, name="slow-clients", collections=None,
                       request_timeout=15) as server:
        idle = socket.create_connection((server.host, server.port))  # connects, sends nothing
        stalled = socket.create_connection((server.host, server.port))
        stalled.sendall(b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n")  # half a request head
        try:
            answers = [server.post(digits_payload(1)).status_code for _ in range(18)]
        finally:
            idle.close()
            stalled.close()
        assert answers == [200] * 18
        assert server.state is State.RUNNING


# -- 4. crashed workers ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_4_a_worker_killed_with_payloads_in_its_queue_is_reported_with_the_loss(project):
    with LocalEndpoint(project.score_script, project.model_dir, name="crashing") as server:
        gate = threading.Event()
        handle = server.sink.handle
        server.sink.handle = lambda *args: (gate.wait(10), handle(*args))[1]  # payloads queue in the worker
        assert [server.post(digits_payload(1)).status_code for _ in range(20)] == [200] * 20
        worker = server.worker_pids()[0]
        os.kill(worker, signal.SIGKILL)
        gate.set()
        deadline = time.monotonic() + 20
        while not server.worker_restarts() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.worker_restarts() == [f"pid {worker} (SIGKILL)"]
        with pytest.warns(DataCollectionWarning, match=r"died and were restarted .* (\d+) of 20 model_inputs "
                                                      r"payloads are lost") as caught:
            rows = server.collected("model_inputs", timeout=15)
        lost = int(next(str(w.message) for w in caught if "died" in str(w.message)).split(": ")[1].split(" of")[0])
        assert lost > 0 and len(rows) + lost == 20
        assert server.invoke(digits_payload(1))["predictions"]  # the restarted worker serves
