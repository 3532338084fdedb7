"""Platform metrics from a traffic log, and the synthetic traffic log: checked against independent computations."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from mlcheckup import platform_metrics as pm
from mlcheckup.errors import ValidationError


@pytest.fixture(scope="module")
def day():
    return pm.synthetic_traffic(seed=11)


@pytest.fixture(scope="module")
def metrics(day):
    return pm.compute(day, capacity=2)


def _nearest_rank(values, q):
    ordered = np.sort(np.asarray(values, dtype=float))
    return ordered[int(np.ceil(q / 100 * len(ordered))) - 1]


def test_the_synthetic_log_has_azures_columns_and_types(day):
    assert list(day.columns) == list(pm.TRAFFIC_COLUMNS)
    assert str(day["TimeGenerated"].dtype) == "datetime64[ns, UTC]"
    assert day["ResponseCode"].dtype == "int64" and day["TotalDurationMs"].dtype == "int64"
    assert day["TimeGenerated"].is_monotonic_increasing
    uuid.UUID(day["XRequestId"].iloc[0])
    assert day["XRequestId"].is_unique


def test_the_same_seed_gives_the_same_day_and_another_seed_another():
    a, b = pm.synthetic_traffic(seed=3, hours=3), pm.synthetic_traffic(seed=3, hours=3)
    pd.testing.assert_frame_equal(a, b)
    assert len(pm.synthetic_traffic(seed=4, hours=3)) != len(a)


def test_response_code_and_model_status_code_differ_exactly_when_something_went_wrong(day):
    ok = day["ResponseCode"] == 200
    assert (day.loc[ok, "ModelStatusCode"] == 200).all()
    assert (day.loc[day["ResponseCode"] == 424, "ModelStatusCode"] == 500).all()
    assert day.loc[day["ResponseCode"].isin([429, 408]), "ModelStatusCode"].isna().all()
    assert {200, 424, 429} <= set(day["ResponseCode"])


def test_429_comes_in_the_bursts(day):
    hour = day["TimeGenerated"].dt.hour + day["TimeGenerated"].dt.minute / 60
    refused = hour[day["ResponseCode"] == 429]
    in_bursts = ((refused >= 9.5) & (refused < 9.55)) | ((refused >= 18.0) & (refused < 18.04))
    assert in_bursts.mean() > 0.95


def test_the_regression_raises_latency_in_its_hours_only(day):
    hour = day["TimeGenerated"].dt.hour
    served = day[day["ResponseCode"] == 200]
    during = served.loc[hour.loc[served.index].between(13, 15), "TotalDurationMs"].median()
    before = served.loc[hour.loc[served.index].between(10, 12), "TotalDurationMs"].median()
    assert during > 2.5 * before


def test_the_queue_refuses_beyond_twice_the_setting():
    arrivals = np.array([0.0, 0.0, 0.0, 0.0, 5.0])
    wait, refused = pm._queue(arrivals, np.ones(5), servers=1, admitted=2)
    assert refused.tolist() == [False, False, True, True, False]
    assert wait[[0, 1, 4]].tolist() == [0.0, 1.0, 0.0]


def test_requests_per_minute_counts_every_request_by_status_class(day, metrics):
    by_class = pm.series(metrics, "RequestsPerMinute", by="statusCodeClass")
    expected = day.groupby([day["TimeGenerated"].dt.floor("min"), (day["ResponseCode"] // 100).astype(str) + "xx"]
                           ).size().unstack(fill_value=0)
    expected.index.name = "TimeGenerated"
    pd.testing.assert_frame_equal(by_class[expected.columns].astype(int), expected, check_names=False,
                                  check_index_type=False, check_freq=False)
    assert pm.series(metrics, "RequestsPerMinute").sum() == len(day)


def test_minute_percentiles_are_nearest_rank_over_the_minutes_requests(day, metrics):
    p95 = pm.series(metrics, "RequestLatency_P95")
    minute = day["TimeGenerated"].dt.floor("min")
    for when in p95.index[[0, 500, 830, 1300]]:
        assert p95[when] == _nearest_rank(day.loc[minute == when, "TotalDurationMs"], 95)


def test_every_minute_percentile_matches_an_independent_nearest_rank():
    traffic = pm.synthetic_traffic(seed=5, hours=3, bursts=((1.0, 2, 30),))
    metrics = pm.compute(traffic)
    minute = traffic["TimeGenerated"].dt.floor("min")
    for name, q in pm.LATENCY_PERCENTILES.items():
        expected = traffic.groupby(minute)["TotalDurationMs"].agg(lambda v, q=q: _nearest_rank(v, q))
        got = pm.series(metrics, name)
        assert got.to_numpy().tolist() == expected.to_numpy().astype(float).tolist(), name


def test_the_traffic_log_can_be_queried_with_kql():
    kql = pytest.importorskip("mlcheckup.kql")
    traffic = pm.synthetic_traffic(seed=1, hours=1, bursts=((0.1, 2, 80),))
    counted = kql.query("AmlOnlineEndpointTrafficLog | where isnull(ModelStatusCode) | summarize n=count() "
                        "by ResponseCode", {"AmlOnlineEndpointTrafficLog": traffic})
    assert counted.set_index("ResponseCode")["n"].to_dict() == {429: int((traffic["ResponseCode"] == 429).sum())}


def test_an_hourly_p95_is_recomputed_from_requests_not_averaged(day, metrics):
    hourly = pm.series(metrics, "RequestLatency_P95", grain="1h", traffic=day)
    hour = day["TimeGenerated"].dt.floor("h")
    when = hourly.index[14]
    assert hourly[when] == _nearest_rank(day.loc[hour == when, "TotalDurationMs"], 95)
    minutes = pm.series(metrics, "RequestLatency_P95")
    mean_of_minutes = minutes[minutes.index.floor("h") == when].mean()
    assert hourly[when] != pytest.approx(mean_of_minutes)
    with pytest.raises(ValidationError, match="pass traffic="):
        pm.series(metrics, "RequestLatency_P95", grain="1h")


def test_quiet_minutes_have_no_latency_and_zero_requests():
    traffic = pm.synthetic_traffic(seed=1, hours=1, peak_rps=0.01, night_rps=0.01, bursts=(), regression=None)
    metrics = pm.compute(traffic)
    rate = pm.series(metrics, "RequestsPerMinute")
    latency = pm.series(metrics, "RequestLatency_P50")
    assert (rate == 0).any() and len(latency) == traffic["TimeGenerated"].dt.floor("min").nunique()


def test_capacity_cpu_and_collection_events_become_metrics(day):
    start = day["TimeGenerated"].min().floor("min")
    cpu = pd.DataFrame({"TimeGenerated": [start, start + pd.Timedelta("10s"), start + pd.Timedelta("70s")],
                        "instanceId": "i0", "cpu_percent": [10.0, 30.0, 50.0], "memory_percent": [5.0, 5.0, 6.0]})
    events = pd.DataFrame({"TimeGenerated": [start] * 3, "type": ["model_inputs", "model_outputs", "model_inputs"],
                           "DeploymentName": "blue"})
    capacity = pd.DataFrame({"TimeGenerated": [start], "instances": [3], "State": ["Succeeded"]})
    metrics = pm.compute(day.head(50), cpu=cpu, capacity=capacity, data_collection=events)
    cpu_rows = metrics[metrics["MetricName"] == "CpuUtilizationPercentage"]
    assert cpu_rows["Average"].tolist() == [20.0, 50.0] and cpu_rows["Maximum"].tolist() == [30.0, 50.0]
    assert pm.series(metrics, "DataCollectionEventsPerMinute", by="type").iloc[0].to_dict() == \
        {"model_inputs": 2.0, "model_outputs": 1.0}
    assert pm.series(metrics, "DeploymentCapacity").iloc[0] == 3.0
    assert set(metrics.columns) >= {"TimeGenerated", "MetricName", "Total", "Average", "UnitName", "statusCodeClass"}


def test_a_process_sampler_reads_cpu_and_memory_of_processes():
    with pm.ProcessSampler(lambda: [os.getpid()], interval=0.05) as sampler:
        sum(range(200_000))
        sampler.sample()
    samples = sampler.samples()
    assert list(samples.columns) == ["TimeGenerated", "instanceId", "cpu_percent", "memory_percent"]
    assert len(samples) >= 2 and (samples["memory_percent"] > 0).all()


@pytest.mark.parametrize("call, words", [
    (lambda: pm.compute(pd.DataFrame({"x": [1]})), r"lacks the columns \[.*'TimeGenerated'.*pass endpoint"),
    (lambda: pm.compute([1, 2]), r"traffic must be a DataFrame \(got list\)"),
    (lambda: pm.compute(pm.synthetic_traffic(hours=1), cpu=pd.DataFrame({"x": [1]})), "cpu must be a DataFrame"),
    (lambda: pm.compute(pd.DataFrame({"TimeGenerated": [pd.Timestamp.now(tz="UTC")]})), "lacks the columns"),
    (lambda: pm.series(pd.DataFrame(), "RequestsPerSecond"), r"name must be one of .*RequestsPerMinute"),
    (lambda: pm.series(pd.DataFrame(), "RequestsPerMinute", by="instanceId"), "by must be one of"),
    (lambda: pm.synthetic_traffic(seed=-1), r"seed must be a whole number from 0 \(got -1\)"),
    (lambda: pm.synthetic_traffic(regression=(5, 2, 3)), r"regression must be .* \(got \(5, 2, 3\)\)"),
    (lambda: pm.synthetic_traffic(bursts=[(1, 2)]), r"bursts must be \(start_hour, minutes, rps\)"),
    (lambda: pm.synthetic_traffic(max_concurrent_requests_per_instance=0), "max_concurrent_requests_per_instance"),
])
def test_bad_input_is_a_validation_error_that_says_what_to_pass(call, words):
    with pytest.raises(ValidationError, match=words):
        call()


# --- durations: one vocabulary (src/mlcheckup/_validate.py) ----------------------------------------
@pytest.mark.parametrize("grain", ["hour", "PT1H", "1h", timedelta(hours=1)])
def test_the_grain_reads_every_spelling_of_an_hour(day, metrics, grain):
    hourly = pm.series(metrics, "RequestsPerMinute", grain=grain)
    # an independent count: requests per clock hour of the traffic log
    expected = day.groupby(day["TimeGenerated"].dt.floor("h")).size()
    assert hourly.sum() == len(day) and hourly[hourly > 0].to_dict() == expected.to_dict()
    p95 = pm.series(metrics, "RequestLatency_P95", grain=grain, traffic=day)
    pd.testing.assert_series_equal(p95, pm.series(metrics, "RequestLatency_P95", grain="1h", traffic=day))


@pytest.mark.parametrize("grain, words", [(5, "a bare number has no unit"), ("month", "a month has no fixed length")])
def test_the_grain_refuses_a_number_and_a_month_saying_what_to_pass(metrics, grain, words):
    with pytest.raises(ValidationError, match=rf"^grain must be a positive duration such as .*\(got {grain!r}\); {words}"):
        pm.series(metrics, "RequestsPerMinute", grain=grain)
