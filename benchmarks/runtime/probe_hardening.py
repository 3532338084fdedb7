"""The adversarial probe of issue 13, re-runnable: what each hostile input does to the local runtime.

Run:  .venv/bin/python benchmarks/runtime/probe_hardening.py [--json out.json]

Each probe prints one line, ``<probe> | <outcome>``; run it against another checkout with
``PYTHONPATH=<that checkout>/src`` (from that checkout's folder) to compare before and after.
Everything binds 127.0.0.1; every server is stopped here. A full disk is simulated by
monkeypatching (file writes raise ENOSPC, SQLite's max_page_count gives SQLITE_FULL).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import gzip
import io
import json
import os
import resource
import signal
import socket
import stat
import tempfile
import threading
import time
import warnings

import requests

from mlcheckup import datacollector
from mlcheckup import endpoint as endpoint_module
from mlcheckup.alerts import WebhookReceiver
from mlcheckup.appinsights import AppInsightsIngestion
from mlcheckup.datacollector import DataCollectorSink, check_collections
from mlcheckup.endpoint import LocalEndpoint
from mlcheckup.projects import digits_payload, write_digits_project

TIME = "2026-11-27T14:21:40.469970Z"
SINK = {"ce-type": "azureml.inference.model_inputs", "ce-x-request-id": "r", "ce-time": "1795000000",
        "Content-Type": "application/json"}
RESULTS: dict[str, str] = {}


def event(name="ok", **changes):
    item = {"time": TIME, "data": {"baseType": "EventData", "baseData": {"name": name}}}
    item.update(changes)
    return item


def probe(name):
    def run(function):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                outcome = function()
            said = [str(w.message)[:110] for w in caught if "Deprecat" not in w.category.__name__]
            if said:
                outcome += f"; warns: {said[0]}"
        except Exception as error:  # the outcome of a probe, whatever it is
            outcome = f"raises {type(error).__name__}: {str(error)[:140]}"
        RESULTS[name] = outcome.replace("\n", " ")
        print(f"{name} | {RESULTS[name]}", flush=True)
        return function
    return run


def status(answer) -> str:
    return f"{answer.status_code} {answer.text[:90]!r}"


class FullDisk(io.FileIO):
    room = 0

    def write(self, data):
        if FullDisk.room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        part = bytes(data[:FullDisk.room])
        FullDisk.room -= len(part)
        return super().write(part)


def open_on_full_disk(path, mode="r", buffering=-1, encoding=None, opener=None, **kwargs):
    raw = FullDisk(path, mode.replace("b", "").replace("t", ""), opener=opener)
    if "b" in mode:
        return raw
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding=encoding or "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="probe-")
    project = write_digits_project(os.path.join(tmp, "digits"))
    sink = DataCollectorSink("digits-endpoint", "blue", root=tmp).start()
    ingestion = AppInsightsIngestion(os.path.join(tmp, "ai.sqlite")).start()
    inbox = WebhookReceiver().start()
    try:
        @probe("1 gzip bomb (64 KB → 64 MiB) to the ingestion: status, peak RSS growth")
        def _():
            bomb = gzip.compress(b" " * (64 << 20), compresslevel=1)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            answer = requests.post(ingestion.url + "/v2.1/track", data=bomb, headers={"Content-Encoding": "gzip"},
                                   timeout=60)
            grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
            return f"{answer.status_code}, +{grown:.0f} MiB ({len(bomb) // 1024} KB sent)"

        @probe("1 gzip magic bytes without Content-Encoding to the sink")
        def _():
            return status(requests.post(sink.url + "/modeldata/log", data=gzip.compress(b'[{"a": 1}]'),
                                        headers=SINK, timeout=5))

        @probe("1 truncated gzip to a wrong path of the webhook")
        def _():
            return status(requests.post(inbox.url + "/nope", data=gzip.compress(b"[]" * 99)[:20],
                                        headers={"Content-Encoding": "gzip"}, timeout=5))

        @probe("5 sink data that is not a list of objects, then read")
        def _():
            answer = requests.post(sink.url + "/modeldata/log", data='{"a": 1}', headers=SINK, timeout=5)
            return f"{status(answer)}; read: {len(sink.read('model_inputs'))} rows"

        @probe("5 ingestion batch [good, year-1 with offset, sampleRate 5e-324, count 1e400], then query")
        def _():
            batch = [event("good"), event(time="0001-01-01T00:00:00+05:00"), event(sampleRate=5e-324),
                     {"time": TIME, "data": {"baseType": "MetricData",
                                             "baseData": {"metrics": [{"name": "m", "value": 1, "count": 1e400}]}}}]
            answer = requests.post(ingestion.url + "/v2.1/track", data=json.dumps(batch), timeout=5)
            return f"{answer.status_code}; query: {len(ingestion.query('SELECT * FROM customEvents'))} events"

        for label, body in (("null", "null"), ("5", "5"), ("nested 100k deep", "[" * 100000 + "]" * 100000)):
            @probe(f"5 ingestion body {label}")
            def _(body=body):
                answer = requests.post(ingestion.url + "/v2.1/track", data=body, timeout=5)
                try:
                    ingestion.check()
                    after = "server not failed"
                except Exception as error:
                    after = f"check() raises {type(error).__name__}"
                return f"{answer.status_code}; {after}"

        @probe("5 ingestion truncated gzip")
        def _():
            body = gzip.compress(json.dumps([event()] * 50).encode())[:-30]
            return status(requests.post(ingestion.url + "/v2.1/track", data=body, headers={"Content-Encoding": "gzip"},
                                        timeout=5))

        @probe("5 ingestion chunked body of 2 events")
        def _():
            before = ingestion.count("customEvents")
            text = json.dumps([event("c1"), event("c2")]).encode()
            answer = requests.post(ingestion.url + "/v2.1/track", data=iter([text[:10], text[10:]]), timeout=5)
            return f"{answer.status_code}; stored {ingestion.count('customEvents') - before}"

        @probe("5 webhook payload with only schemaId, then read notifications")
        def _():
            answer = requests.post(inbox.url, json={"schemaId": "azureMonitorCommonAlertSchema"}, timeout=5)
            return f"{answer.status_code}; notifications: {[str(n) for n in inbox.notifications]}"

        @probe("8 JSON-ish body sent as form data (curl -d) to the ingestion")
        def _():
            return status(requests.post(ingestion.url + "/v2.1/track", data="{'a': 1}",
                                        headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=5))

        @probe("3 sink on a full disk: 3 posts, then read the collection")
        def _():
            requests.post(sink.url + "/modeldata/log", data='[{"a": 1}]', headers=SINK, timeout=5)
            original = getattr(datacollector, "open", None)
            datacollector.open = open_on_full_disk
            FullDisk.room = 10
            try:
                codes = [requests.post(sink.url + "/modeldata/log", data='[{"a": 1}]', headers=SINK,
                                       timeout=5).status_code for _ in range(3)]
            finally:
                if original is None:
                    del datacollector.open
                else:
                    datacollector.open = original
            try:
                sink.check()
                check = "check() quiet"
            except Exception as error:
                check = f"check(): {str(error)[:60]}"
            try:
                read = f"read {len(sink.read('model_inputs'))} rows"
            except Exception as error:
                read = f"read raises {str(error)[-60:]}"
            return f"{codes}; {check}; {read}; lost={dict(getattr(sink, 'lost', {}))}"

        @probe("3 telemetry store full (SQLITE_FULL): status, next query")
        def _():
            store = AppInsightsIngestion(os.path.join(tmp, "full.sqlite")).start()
            try:
                pages = store._db.execute("PRAGMA page_count").fetchone()[0]
                store._db.execute(f"PRAGMA max_page_count = {pages}")
                answer = requests.post(store.url + "/v2.1/track", json=[event("x" * 5000)] * 50, timeout=5)
                try:
                    store.query("SELECT 1")
                    after = "query ok"
                except Exception as error:
                    after = f"query raises {type(error).__name__}: {str(error)[:80]}"
                return f"{answer.status_code}; {after}"
            finally:
                store.stop()

        @probe("3 new endpoint on a full disk")
        def _():
            original = endpoint_module.tempfile.mkdtemp

            def full(*a, **k):
                raise OSError(errno.ENOSPC, "No space left on device")

            endpoint_module.tempfile.mkdtemp = full
            try:
                LocalEndpoint(project.score_script, project.model_dir, name="full-disk").start()
                return "started"
            finally:
                endpoint_module.tempfile.mkdtemp = original

        @probe("7 model_name='../..', model_version='/abs', full-width model name")
        def _():
            accepted = []
            for options in ({"model_name": "../.."}, {"model_version": "/abs"}, {"model_name": "ｄｉｇｉｔｓ"}):
                try:
                    LocalEndpoint(project.score_script, project.model_dir, **options)
                    accepted.append(f"{options} accepted")
                except ValueError:
                    accepted.append(f"{options} refused")
            return "; ".join(accepted)

        @probe("7 sink endpoint='../..', collection 'model_inputs\\n'")
        def _():
            out = []
            try:
                DataCollectorSink("../..", "blue", root=tmp)
                out.append("sink accepted")
            except ValueError:
                out.append("sink refused")
            try:
                check_collections(["model_inputs\n"])
                out.append("collection accepted")
            except ValueError:
                out.append("collection refused")
            return "; ".join(out)

        @probe("7 mode of the telemetry store and a collected file")
        def _():
            with AppInsightsIngestion() as store:
                mode = oct(stat.S_IMODE(store.path.stat().st_mode))
            written = next(sink.folder("model_inputs").rglob("*.jsonl"))
            return f"store {mode}, jsonl {oct(stat.S_IMODE(written.stat().st_mode))}"

        server = LocalEndpoint(project.score_script, project.model_dir, name="probe-idle", collections=None,
                               request_timeout=1).start()
        try:
            @probe("2 one idle socket held open, 18 requests (1 s timeout each): answered")
            def _():
                idle = socket.create_connection((server.host, server.port))
                answered = 0
                try:
                    for _ in range(18):
                        with contextlib.suppress(Exception):  # a timeout is "not answered"
                            answered += server.post(digits_payload(1)).status_code == 200
                finally:
                    idle.close()
                return f"{answered}/18"

            @probe("5 scoring body nested 1,500 deep")
            def _():
                return status(server.post('{"data": ' + "[" * 1500 + "]" * 1500 + "}", timeout=10))

            @probe("8 scoring JSON sent as form data (curl -d)")
            def _():
                return status(server.post(json.dumps(digits_payload(1)), timeout=10,
                                          headers={"Content-Type": "application/x-www-form-urlencoded"}))

            @probe("6 gunicorn master killed: state")
            def _():
                os.kill(server.pid, signal.SIGKILL)
                server._proc.wait(timeout=10)
                return f"state {server.state.value}"
        finally:
            server.stop()

        @probe("6 endpoint started from a thread that ends: serves 1 s later? state")
        def _():
            started = []
            thread = threading.Thread(target=lambda: started.append(
                LocalEndpoint(project.score_script, project.model_dir, name="probe-thread", collections=None).start()))
            thread.start()
            thread.join(60)
            threaded = started[0]
            try:
                time.sleep(1)
                try:
                    threaded.invoke(digits_payload(1), timeout=3)
                    serves = "serves"
                except Exception as error:
                    serves = f"does not serve ({type(error).__name__})"
                return f"{serves}; state {threaded.state.value}"
            finally:
                threaded.stop()

        crashing = LocalEndpoint(project.score_script, project.model_dir, name="probe-crash").start()
        try:
            @probe("4 worker SIGKILLed with 20 payloads queued: what collected() says")
            def _():
                gate = threading.Event()
                handle = crashing.sink.handle
                crashing.sink.handle = lambda *a: (gate.wait(10), handle(*a))[1]
                for _ in range(20):
                    crashing.post(digits_payload(1))
                os.kill(crashing.worker_pids()[0], signal.SIGKILL)
                gate.set()
                time.sleep(3)
                rows = crashing.collected("model_inputs", timeout=5)
                return f"{len(rows)} rows"
        finally:
            crashing.stop()
    finally:
        for server in (inbox, ingestion, sink):
            server.stop()
    if args.json:
        with open(args.json, "w") as out:
            json.dump(RESULTS, out, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
