"""Model data collection offline: the real Collector → the loopback sink → Azure's blob layout → DataFrames."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
import requests

from mlcheckup.datacollector import (
    DataCollectionWarning,
    DataCollectorSink,
    collection_folder,
    join_collected,
    read_collected,
)
from mlcheckup.errors import ServerError, ValidationError

COLLECT = textwrap.dedent("""
    import json, os, sys
    import pandas as pd
    from azureml.ai.monitoring import Collector
    from azureml.ai.monitoring.context import BasicCorrelationContext
    from azureml.ai.monitoring.init import teardown
    errors = []
    inputs = Collector(name="model_inputs", on_error=errors.append)
    outputs = Collector(name="model_outputs", on_error=errors.append)
    for i in range(int(sys.argv[1])):
        frame = pd.DataFrame({"pixel_0": [float(i), float(i) + 0.5], "pixel_1": [1.0, 2.0]})
        context = inputs.collect(frame, BasicCorrelationContext(id=f"req-{i}"))
        outputs.collect(pd.DataFrame({"prediction": [i % 10, (i + 1) % 10]}), context)
    teardown(wait_for_flush=True)
    print(json.dumps([str(e) for e in errors]))
""")


def _collect_in_a_child(sink: DataCollectorSink, tmp_path, n: int) -> list[str]:
    config = tmp_path / "mdc.json"
    config.write_text(json.dumps({"collections": {"model_inputs": {"enabled": True, "sampleRatePercentage": 100},
                                                  "model_outputs": {"enabled": True, "sampleRatePercentage": 100}},
                                  "runMode": "cloud"}))
    env = {**__import__("os").environ, **sink.collector_environment(), "AZUREML_MDC_CONFIG_PATH": str(config)}
    done = subprocess.run([sys.executable, "-c", COLLECT, str(n)], env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    root = tmp_path_factory.mktemp("mdc")
    with DataCollectorSink("digits-endpoint", "blue", root=root) as sink:
        errors = _collect_in_a_child(sink, root, 25)
    return sink, errors


def test_the_real_collector_delivers_every_payload(collected):
    sink, errors = collected
    assert errors == [] and sink.received == {"model_inputs": 25, "model_outputs": 25}


def test_one_jsonl_line_per_payload_in_azures_hourly_layout(collected):
    sink, _ = collected
    files = sorted(collection_folder(sink.root, "digits-endpoint", "blue", "model_inputs").rglob("*.jsonl"))
    assert len(files) >= 1
    year, month, day, hour = files[0].parts[-5:-1]
    assert len(year) == 4 and len(month) == len(day) == len(hour) == 2
    lines = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    assert len(lines) == 25
    first = lines[0]
    assert first["specversion"] == "1.0" and first["datacontenttype"] == "application/json"
    assert first["type"] == "azureml.inference.model_inputs" and first["modelversion"] == "default"
    assert first["correlationid"] == first["xrequestid"] == "req-0"
    # as the Collector sends it; Azure's docs show "pandas.core.frame.DataFrame" (pandas < 3)
    assert first["collectdatatype"] == "pandas.DataFrame"
    assert first["data"] == [{"pixel_0": 0.0, "pixel_1": 1.0}, {"pixel_0": 0.5, "pixel_1": 2.0}]
    size = len(json.dumps(first["data"], separators=(",", ":")))
    assert first["contentrange"] == f"bytes 0-{size - 1}/{size}"
    assert first["time"].endswith("Z") and len(first["time"]) == 20


def test_the_reader_gives_one_row_per_record_with_azures_row_correlation_ids(collected):
    sink, _ = collected
    inputs = sink.read("model_inputs")
    assert len(inputs) == 50 and list(inputs.columns) == ["pixel_0", "pixel_1", "correlationid"]
    assert inputs["correlationid"].iloc[:2].tolist() == ["req-0_0", "req-0_1"]
    outputs = read_collected(sink.root, "digits-endpoint", "blue", "model_outputs", with_time=True)
    assert str(outputs["time"].dtype).startswith("datetime64") and len(outputs) == 50
    joined = join_collected(inputs, outputs)
    assert len(joined) == 50 and joined.loc[joined.correlationid == "req-3_1", "prediction"].item() == 4
    assert joined.loc[joined.correlationid == "req-3_1", "pixel_0"].item() == 3.5


def test_the_reader_keeps_the_hours_of_a_data_window(collected):
    """F21: whatever the clock said, even if the 25 payloads straddle an hour boundary."""
    sink, _ = collected
    hours = sink.read("model_inputs", with_time=True)["time"].dt.floor("h")
    first, last, hour = hours.min(), hours.max(), pd.Timedelta("1h")
    assert len(sink.read("model_inputs", start=first, end=first + hour)) == (hours == first).sum()
    assert len(sink.read("model_inputs", start=first, end=last + hour)) == 50
    assert len(sink.read("model_inputs", start=last + hour)) == 0
    assert len(sink.read("model_inputs", end=first)) == 0


def test_payloads_either_side_of_an_hour_go_to_their_own_hourly_files(tmp_path):
    """F21: the hour boundary itself, on a fixed clock (ce-time), instead of whatever time the test runs."""
    with DataCollectorSink("e", "d", root=tmp_path) as sink:
        for stamp, value in ((1795787999, 1.0), (1795788000, 2.0)):  # 2026-11-27 13:59:59 and 14:00:00 UTC
            requests.post(sink.url + "/modeldata/log", data=json.dumps([{"x": value}]), timeout=5,
                          headers={"ce-type": "azureml.inference.model_inputs", "ce-time": str(stamp)})
        sink.check()
    hours = sorted(p.relative_to(sink.folder("model_inputs")).parent.as_posix()
                   for p in sink.folder("model_inputs").rglob("*.jsonl"))
    assert hours == ["2026/11/27/13", "2026/11/27/14"]
    assert sink.read("model_inputs", start="2026-11-27 13:00", end="2026-11-27 14:00")["x"].tolist() == [1.0]
    assert sink.read("model_inputs", start="2026-11-27 14:00")["x"].tolist() == [2.0]


def test_nothing_collected_is_an_empty_frame(tmp_path):
    empty = read_collected(tmp_path, "digits-endpoint", "blue", "model_inputs")
    assert len(empty) == 0 and list(empty.columns) == ["correlationid"]


def test_a_damaged_line_is_named_and_skipped(tmp_path):
    folder = collection_folder(tmp_path, "e", "d", "model_inputs") / "2026/11/27/14"
    folder.mkdir(parents=True)
    (folder / "local.jsonl").write_text('{"data": [{"a": 1}]}\n{oops\n')
    with pytest.warns(DataCollectionWarning, match=r"local.jsonl, line 2"):
        assert len(read_collected(tmp_path, "e", "d", "model_inputs")) == 1


def test_join_refuses_tables_without_row_ids():
    with pytest.raises(ValidationError, match="outputs has no 'correlationid' column"):
        join_collected(pd.DataFrame({"correlationid": ["a_0"]}), pd.DataFrame({"prediction": [1]}))
    with pytest.raises(ValidationError, match="repeated"):
        join_collected(pd.DataFrame({"correlationid": ["a_0", "a_0"]}), pd.DataFrame({"correlationid": ["a_0"]}))


def test_the_sink_answers_only_its_route(tmp_path):
    with DataCollectorSink("e", "d", root=tmp_path) as sink:
        assert sink.host == "127.0.0.1"
        assert requests.post(sink.url + "/other", data="[]", timeout=5).status_code == 404
        bad = requests.post(sink.url + "/modeldata/log", data="[]", headers={"ce-type": "nope"}, timeout=5)
        assert bad.status_code == 400 and "azureml.inference.<collection>" in bad.json()["error"]
        sink.check()
    with pytest.raises(ServerError, match="cannot restart"):
        sink.start()


def test_an_unreachable_sink_is_the_collectors_error_not_the_notebooks(tmp_path):
    with DataCollectorSink("e", "d", root=tmp_path) as sink:
        pass  # started and stopped: nothing listens on its port any more
    assert _collect_in_a_child(sink, tmp_path, 3) == []  # on_error is not called for delivery failures...
    assert sink.received == {}  # ...which is why score.py needs CollectorGuard.watch() (test_runtime_serving)


def test_a_sink_error_reaches_collected(tmp_path, monkeypatch):
    """F18: a payload the sink failed to write makes the endpoint's collected() raise, not return less data."""
    from mlcheckup.endpoint import LocalEndpoint
    from mlcheckup.projects import write_digits_project

    project = write_digits_project(tmp_path / "digits")
    endpoint = LocalEndpoint(project.score_script, project.model_dir)
    with DataCollectorSink("digits-endpoint", "blue", root=tmp_path) as endpoint.sink:
        def disk_full(collection):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(endpoint.sink, "folder", disk_full)
        answer = requests.post(endpoint.sink.url + "/modeldata/log", data="[]", timeout=5,
                               headers={"ce-type": "azureml.inference.model_inputs"})
        assert answer.status_code == 500
        with pytest.raises(ServerError, match="No space left on device"):
            endpoint.collected("model_inputs")


def test_the_collection_name_cannot_leave_the_collection_folder(tmp_path):
    """F10: the ce-type header names a folder; anything but [A-Za-z0-9_-]+ is a 400, and nothing is written."""
    outside = tmp_path / "escaped"
    with DataCollectorSink("e", "d", root=tmp_path / "blob") as sink:
        for kind in (f"azureml.inference.x./{outside}", "azureml.inference.model_inputs/../../up",
                     "azureml.inference.", "azureml.inference.model inputs"):
            answer = requests.post(sink.url + "/modeldata/log", data="[]", headers={"ce-type": kind}, timeout=5)
            assert answer.status_code == 400, kind
            assert "collection name" in answer.json()["error"]
        not_json = requests.post(sink.url + "/modeldata/log", data="{oops", timeout=5,
                                 headers={"ce-type": "azureml.inference.model_inputs"})
        assert not_json.status_code == 400 and "not JSON" in not_json.json()["error"]
        sink.check()
    assert not outside.exists() and list(tmp_path.rglob("*.jsonl")) == [] and sink.received == {}
