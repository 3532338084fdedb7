"""KQL on the local telemetry tables (mlcheckup.kql): a compatibility suite, the differences, the errors.

The suite runs queries in the forms the Azure Monitor documentation uses for App Insights and online
endpoints over seeded traffic written by the real exporters (``alerts.replay_scenario``), and checks
each answer against a pandas computation on the scenario's own stream.
"""

from __future__ import annotations

import hashlib
import os
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from mlcheckup import alerts, kql, scenarios
from mlcheckup.appinsights import AppInsightsIngestion
from mlcheckup.errors import ValidationError

LOW = 0.6


class Doubter:
    """A stand-in model whose confidence is a fixed function of the input (so pandas can recompute it)."""

    classes_ = np.arange(10)

    def predict_proba(self, X):
        total = np.nansum(np.asarray(X, dtype=float), axis=1)
        top = 0.3 + 0.7 * ((total * 0.6180339887) % 1.0)
        proba = np.tile(((1 - top) / 9)[:, None], (1, 10))
        proba[np.arange(len(X)), (total % 10).astype(int)] = top
        return proba


@pytest.fixture(scope="module")
def traffic(tmp_path_factory):
    """Two deployments (blue: an outage and a slowdown; green: refused inputs), three days, one store."""
    blue = scenarios.make("latency", seed=21, days=3, requests_per_hour=30)
    green = scenarios.make("quality", seed=22, days=3, requests_per_hour=30)
    model = Doubter()
    with AppInsightsIngestion(tmp_path_factory.mktemp("kql") / "ai.sqlite") as store:
        for scenario, name in ((blue, "blue"), (green, "green")):
            alerts.replay_scenario(scenario, store, model=model, low_confidence=LOW, service_name=name)
        frames = []
        for scenario, name in ((blue, "blue"), (green, "green")):
            stream = scenario.stream.assign(role=name)
            X = np.asarray(scenario.X, dtype=float)
            scored = (stream["status_code"] < 400).to_numpy() & np.isfinite(X).all(axis=1)
            confidence = np.full(len(stream), np.nan)
            confidence[scored] = np.round(model.predict_proba(X[scored]).max(axis=1), 4)
            frames.append(stream.assign(confidence=confidence))
        truth = pd.concat(frames, ignore_index=True)
        # the exporter sends a span's duration in whole milliseconds, rounded half up (ns_to_duration)
        truth["duration"] = (np.round(truth["latency_ms"].to_numpy(float) * 1e6).astype("int64") + 500_000) // 1_000_000
        truth["failed"] = truth["status_code"] >= 400
        truth["doubtful"] = truth["confidence"] < LOW
        yield store, truth


def _utc(stamps) -> pd.Series:
    return pd.Series(pd.to_datetime(stamps)).dt.tz_localize("UTC").dt.as_unit("us")


def _bins(truth, freq):
    return truth.assign(bin=truth["timestamp"].dt.floor(freq)).groupby("bin")


def nearest_rank(values, p):
    ordered = np.sort(np.asarray(values, dtype=float))
    return ordered[max(int(np.ceil(p / 100 * len(ordered))), 1) - 1]


# ---------------------------------------------------------------------------------------------
# The compatibility suite: each case is (KQL, pandas computation of the same answer, compare).
# ---------------------------------------------------------------------------------------------


def _frame_equal(got, want):
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False,
                                  check_exact=False, rtol=1e-9)


def case_failure_rate_per_hour(t):
    g = _bins(t, "1h")
    want = pd.DataFrame({"timestamp": _utc(g.size().index), "requests": g.size().to_numpy(),
                         "failed": g["failed"].sum().to_numpy()})
    want["failure_rate"] = want["failed"] / want["requests"]
    return ("requests | summarize requests = count(), failed = countif(success == false) by bin(timestamp, 1h)"
            " | extend failure_rate = todouble(failed) / requests | order by timestamp asc"), want


def case_failure_percent_per_15_minutes(t):
    g = _bins(t, "15min")
    want = pd.DataFrame({"timestamp": _utc(g.size().index), "pct": 100.0 * g["failed"].mean().to_numpy()})
    return ("requests | summarize pct = 100.0 * countif(success == false) / count() by bin(timestamp, 15m)"
            " | sort by timestamp asc"), want


def case_latency_percentiles_per_day(t):
    g = _bins(t, "1D")["duration"]
    want = pd.DataFrame({"timestamp": _utc(g.size().index), "p50": g.apply(nearest_rank, p=50).to_numpy(),
                         "p95": g.apply(nearest_rank, p=95).to_numpy()})
    return ("requests | summarize p50 = percentile(duration, 50), p95 = percentile(duration, 95) by bin(timestamp, 1d)"
            " | order by timestamp asc"), want


def case_latency_percentiles_by_deployment(t):
    g = t.groupby("role")["duration"]
    want = pd.DataFrame({"cloud_RoleName": g.size().index, "p99": g.apply(nearest_rank, p=99).to_numpy(),
                         "mean": g.mean().to_numpy()})
    return ("requests | summarize p99 = percentile(duration, 99), mean = avg(duration) by cloud_RoleName"
            " | order by cloud_RoleName asc"), want


def case_requests_by_result_code(t):
    counts = t["status_code"].astype(str).value_counts()
    want = pd.DataFrame({"resultCode": counts.index, "count_": counts.to_numpy()}).sort_values("resultCode")
    return "requests | summarize count() by resultCode | order by resultCode asc", want


def case_count_operator(t):
    return "requests | where success == false | count", pd.DataFrame({"Count": [int(t["failed"].sum())]})


def case_events_joined_to_requests(t):
    want = pd.DataFrame({"Count": [int(t["doubtful"].sum())]})
    return ('requests | join kind=inner (customEvents | where name == "LowConfidencePrediction" '
            "| project operation_Id) on operation_Id | count"), want


def case_doubtful_share_per_day_leftouter(t):
    g = _bins(t, "1D")
    want = pd.DataFrame({"timestamp": _utc(g.size().index), "requests": g.size().to_numpy(),
                         "doubtful": g["doubtful"].sum().to_numpy()})
    want["share"] = want["doubtful"] / want["requests"]
    return ('requests | join kind=leftouter (customEvents | where name == "LowConfidencePrediction"'
            " | project operation_Id, doubtful = 1) on operation_Id"
            " | summarize requests = count(), doubtful = countif(doubtful == 1) by bin(timestamp, 1d)"
            " | extend share = todouble(doubtful) / requests | order by timestamp asc"), want


def case_top_exceptions(t):
    n = int((t["status_code"].between(400, 499)).sum())
    want = pd.DataFrame({"type": ["mlcheckup_serving.RequestError"], "n": [n]})
    return "exceptions | summarize n = count() by type | top 3 by n", want


def case_ago_window(t):
    now = pd.Timestamp("2024-03-05 12:00")
    n = int(((t["timestamp"] > now - pd.Timedelta(hours=6)) & (t["timestamp"] <= now)).sum())
    return ("requests | where timestamp > ago(6h) and timestamp <= now() | count",
            pd.DataFrame({"Count": [n]}), {"now": now})


def case_let_and_between(t):
    start, end = pd.Timestamp("2024-03-04 14:00"), pd.Timestamp("2024-03-04 15:00")
    inside = t[(t["timestamp"] >= start) & (t["timestamp"] <= end)]
    want = pd.DataFrame({"n": [len(inside)], "failed": [int(inside["failed"].sum())]})
    return ("let Start = datetime(2024-03-04 14:00); let Window = 1h;\n"
            "requests | where timestamp between (Start .. (Start + Window))"
            " | summarize n = count(), failed = countif(success == false)"), want


def case_extend_and_countif(t):
    want = pd.DataFrame({"slow": [int((t["duration"] > 100).sum())]})
    return "requests | extend slow = duration > 100 | summarize slow = countif(slow)", want


def case_parse_json_property(t):
    n = int(t["status_code"].between(400, 499).sum())
    return ('customEvents | where name == "InvalidInput" | extend reason = tostring(parse_json(customDimensions).reason)'
            " | summarize n = count() by reason"), pd.DataFrame({"reason": ["wrong_shape"], "n": [n]})


def case_todynamic_measure(t):
    want = pd.DataFrame({"mean": [t.loc[t["doubtful"], "confidence"].mean()]})
    return ('customEvents | where name == "LowConfidencePrediction"'
            ' | extend c = todouble(todynamic(customDimensions)["confidence"]) | summarize mean = avg(c)'), want


def case_dynamic_dot_access(t):
    want = pd.DataFrame({"very_low": [int((t["confidence"] < 0.4).sum())]})
    return "customEvents | summarize very_low = countif(todouble(customDimensions.confidence) < 0.4)", want


def case_dcount(t):
    want = pd.DataFrame({"operations": [len(t)], "roles": [2]})
    return "requests | summarize operations = dcount(operation_Id), roles = dcount(cloud_RoleName)", want


def case_order_by_is_descending(t):
    days = _bins(t, "1D").size()
    want = pd.DataFrame({"timestamp": _utc(days.index[::-1]), "n": days.to_numpy()[::-1]})
    return "requests | summarize n = count() by bin(timestamp, 1d) | order by timestamp", want


def case_top_by_duration(t):
    top = np.sort(t["duration"].to_numpy())[::-1][:5]
    return "requests | top 5 by duration | project duration", pd.DataFrame({"duration": top})


def case_by_hour_of_day(t):
    g = t.groupby(t["timestamp"].dt.hour).size()
    want = pd.DataFrame({"hour": g.index, "n": g.to_numpy()})
    return "requests | summarize n = count() by hour = hourofday(timestamp) | order by hour asc", want


def case_property_startswith(t):
    n = int(t["request_id"].str.startswith("req-22").sum())
    return ('requests | where tostring(customDimensions["request_id"]) startswith "req-22" | count',
            pd.DataFrame({"Count": [n]}))


def case_failed_requests_with_exceptions(t):
    failed = t[t["failed"]]
    counts = failed.groupby("status_code").size()
    types = {400: "mlcheckup_serving.RequestError", 503: ""}
    want = pd.DataFrame({"resultCode": counts.index.astype(str), "type": [types[c] for c in counts.index],
                         "n": counts.to_numpy()})
    return ("requests | where success == false"
            " | join kind=leftouter (exceptions | project operation_Id, type) on operation_Id"
            " | summarize n = count() by resultCode, type = tostring(type) | order by resultCode asc"
            " | project resultCode, type, n"), want


def case_sumif_item_count(t):
    want = pd.DataFrame({"n": [len(t)], "failed": [int(t["failed"].sum())]})
    return "requests | summarize n = sum(itemCount), failed = sumif(itemCount, success == false)", want


def case_avg_max_per_6_hours(t):
    g = _bins(t, "6h")["duration"]
    want = pd.DataFrame({"timestamp": _utc(g.size().index), "avg_duration": g.mean().to_numpy(),
                         "max_duration": g.max().to_numpy()})
    return "requests | summarize avg(duration), max(duration) by bin(timestamp, 6h) | order by timestamp asc", want


def case_distinct_roles(t):
    return ("requests | distinct cloud_RoleName | order by cloud_RoleName asc",
            pd.DataFrame({"cloud_RoleName": ["blue", "green"]}))


def case_in_operator(t):
    n = int(t["status_code"].isin([400, 503]).sum())
    return 'requests | where resultCode in ("400", "503") | count', pd.DataFrame({"Count": [n]})


def case_iff_alert_query(t):
    g = _bins(t, "1D")
    want = pd.DataFrame({"timestamp": _utc(g.size().index), "avg_failed_pct": 100.0 * g["failed"].mean().to_numpy()})
    return ("requests | project timestamp, failed_pct = iff(success, 0.0, 100.0)"
            " | summarize avg(failed_pct) by bin(timestamp, 1d) | order by timestamp asc"), want


def case_events_per_day_by_name(t):
    doubtful = t[t["doubtful"]].assign(name="LowConfidencePrediction")
    refused = t[t["status_code"].between(400, 499)].assign(name="InvalidInput")
    events = pd.concat([doubtful, refused])
    # an event is stamped when its request ends
    events = events.assign(day=(events["timestamp"] + pd.to_timedelta(events["latency_ms"], unit="ms")).dt.floor("1D"))
    g = events.groupby(["name", "day"]).size().reset_index(name="events")
    want = pd.DataFrame({"name": g["name"], "timestamp": _utc(g["day"]), "events": g["events"]})
    return ("customEvents | summarize events = count() by name, bin(timestamp, 1d)"
            " | order by name asc, timestamp asc"), want


def case_project_rename_and_away(t):
    first = t.sort_values("timestamp").iloc[0]
    want = pd.DataFrame({"ms": [first["duration"]], "code": [str(first["status_code"])]})
    return ("requests | order by timestamp asc | take 1 | project-rename ms = duration, code = resultCode"
            " | project ms, code"), want


CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__[5:] for c in CASES])
def test_compatibility_suite_matches_pandas(traffic, case):
    store, truth = traffic
    text, want, *options = case(truth)
    got = store.kql(text, **(options[0] if options else {}))
    assert list(got.columns) == list(want.columns), text
    _frame_equal(got, want)


def test_compatibility_suite_has_at_least_25_queries():
    assert len(CASES) + 1 >= 25  # + the Log Analytics case below


def test_log_analytics_traffic_log_latency_by_deployment(traffic):
    """A mapping source: AmlOnlineEndpointTrafficLog as an online endpoint writes it (ResponseCode as text)."""
    _, truth = traffic
    log = pd.DataFrame({"TimeGenerated": truth["timestamp"].dt.tz_localize("UTC"), "DeploymentName": truth["role"],
                        "ResponseCode": truth["status_code"].astype(str), "TotalDurationMs": truth["duration"]})
    got = kql.query("AmlOnlineEndpointTrafficLog"
                    " | summarize requests = count(), errors = countif(toint(ResponseCode) >= 500),"
                    " p95 = percentile(TotalDurationMs, 95) by DeploymentName | order by DeploymentName asc",
                    {"AmlOnlineEndpointTrafficLog": log})
    g = truth.groupby("role")
    want = pd.DataFrame({"DeploymentName": ["blue", "green"], "requests": g.size().to_numpy(),
                         "errors": g["status_code"].apply(lambda s: int((s >= 500).sum())).to_numpy(),
                         "p95": g["duration"].apply(nearest_rank, p=95).to_numpy()})
    _frame_equal(got, want)


def test_typed_columns_as_app_insights_types_them(traffic):
    store, _ = traffic
    got = store.kql("requests | take 1 | extend d = gettype(duration), s = gettype(success), t = gettype(timestamp),"
                    " c = gettype(customDimensions), n = gettype(itemCount) | project d, s, t, c, n")
    assert got.iloc[0].to_dict() == {"d": "real", "s": "bool", "t": "datetime", "c": "dictionary", "n": "long"}


# ---------------------------------------------------------------------------------------------
# The differences table of the module docstring, row by row.
# ---------------------------------------------------------------------------------------------

WEEK = pd.DataFrame({"timestamp": pd.to_datetime(["2024-03-04 10:00", "2024-03-06 10:00", "2024-03-08 10:00"],
                                                 utc=True), "v": [1.0, 2.0, 3.0]})


def test_difference_week_bins_start_on_thursday_here_monday_on_azure():
    got = kql.query("T | summarize n = count() by bin(timestamp, 7d) | order by timestamp asc", {"T": WEEK})
    assert [d.day_name() for d in got["timestamp"]] == ["Thursday", "Thursday"]   # Azure: one Monday bin
    sunday = kql.query("T | summarize n = count() by startofweek(timestamp)", {"T": WEEK})
    assert sunday.iloc[0, 0].day_name() == "Sunday" and sunday["n"].tolist() == [3]
    with pytest.raises(kql.KqlError, match=r"^bin_at\(\).*nearest form"):
        kql.query("T | summarize count() by bin_at(timestamp, 7d, datetime(2024-03-04))", {"T": WEEK})


def test_difference_percentile_is_the_exact_nearest_rank_here():
    values = np.random.default_rng(1).lognormal(4, 1, 5001)
    got = kql.query("T | summarize p = percentile(v, 95), q = percentile(v, 50)", {"T": pd.DataFrame({"v": values})})
    assert got["p"].iloc[0] == nearest_rank(values, 95) and got["q"].iloc[0] == nearest_rank(values, 50)


@pytest.mark.parametrize(("text", "construct", "nearest"), [
    ("T | summarize percentiles(v, 50, 95)", "percentiles()", "percentile(x, 50)"),
    ("T | make-series n = count() on timestamp step 1d", "make-series", "summarize ... by bin"),
    ("T | evaluate bag_unpack(v)", "evaluate", "tostring"),
    ("T | mv-apply x = v on (take 1)", "mv-apply", "mv-expand"),
    ("T | top-nested 2 of v by count()", "top-nested", "top N"),
])
def test_difference_refused_constructs_say_the_nearest_form_in_one_line(text, construct, nearest):
    with pytest.raises(kql.KqlError) as caught:
        kql.query(text, {"T": WEEK})
    message = str(caught.value)
    assert message.startswith(construct) and "not supported by the local KQL engine" in message
    assert nearest in message and "\n" not in message and "Traceback" not in message


def test_difference_series_functions_refused_in_one_line():
    with pytest.raises(kql.KqlError, match=r"^series_stats is not supported") as caught:
        kql.query("T | extend s = series_stats(v)", {"T": WEEK})
    assert "\n" not in str(caught.value)


def test_difference_dcount_is_exact_here():
    ids = pd.DataFrame({"k": np.arange(20_000) % 7_919})
    assert kql.query("T | summarize dcount(k)", {"T": ids}).iloc[0, 0] == 7_919


def test_difference_now_is_the_real_clock_unless_pinned():
    pinned = kql.query("print t = now(), a = ago(1h)", {}, now="2024-03-07 15:00")
    assert pinned["t"].iloc[0] == pd.Timestamp("2024-03-07 15:00", tz="UTC")
    assert pinned["a"].iloc[0] == pd.Timestamp("2024-03-07 14:00", tz="UTC")
    wall = kql.query("print t = now()", {})["t"].iloc[0]
    assert abs(wall - pd.Timestamp.now(tz="UTC")) < pd.Timedelta(minutes=5)


def test_difference_time_zone_is_utc_whatever_this_machine_says():
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        got = kql.query("T | summarize n = count() by bin(timestamp, 1d) | extend h = hourofday(timestamp)"
                        " | order by timestamp asc", {"T": WEEK.assign(timestamp=WEEK["timestamp"] + pd.Timedelta("14h"))})
    finally:
        if before is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = before
        time.tzset()
    assert [str(d.date()) for d in got["timestamp"]] == ["2024-03-05", "2024-03-07", "2024-03-09"]
    assert str(got["timestamp"].dt.tz) == "UTC" and got["h"].tolist() == [0, 0, 0]


def test_difference_rows_are_capped_with_a_warning():
    frame = pd.DataFrame({"v": np.arange(50)})
    with pytest.warns(kql.KqlTruncatedWarning, match="cut to 20"):
        got = kql.query("T", {"T": frame}, limit=20)
    assert len(got) == 20 and got.attrs["truncated"] is True
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(kql.query("T", {"T": frame})) == 50 and kql.DEFAULT_LIMIT == 30_000


def test_difference_dynamic_values_come_back_as_json_text():
    frame = pd.DataFrame({"Properties": [{"a": 1, "b": "x"}]})
    got = kql.query("T | extend a = toint(Properties.a), b = tostring(Properties['b'])", {"T": frame})
    assert got["Properties"].iloc[0] == '{"a": 1, "b": "x"}' and got["a"].iloc[0] == 1 and got["b"].iloc[0] == "x"


def test_difference_column_case_resolves_here_but_table_case_does_not():
    frame = pd.DataFrame({"duration": [1.0]})
    assert kql.query("T | project Duration", {"T": frame})["Duration"].tolist() == [1.0]   # Azure: an error
    with pytest.raises(kql.KqlError, match="unknown table 't'"):
        kql.query("t | take 1", {"T": frame})


# The traps that are the same on Azure and here (taught in lesson 05)


def test_same_join_without_kind_is_innerunique():
    left = pd.DataFrame({"k": [1, 1, 2], "x": ["a", "b", "c"]})
    right = pd.DataFrame({"k": [1, 2, 2]})
    tables = {"L": left, "R": right}
    assert kql.query("L | join (R) on k | count", tables).iloc[0, 0] == 3     # one left row per key: 1x1 + 1x2
    assert kql.query("L | join kind=inner (R) on k | count", tables).iloc[0, 0] == 4


def test_same_long_divided_by_long_is_an_integer_and_missing_properties_are_empty():
    frame = pd.DataFrame({"ok": [True, False, False], "customDimensions": ['{"a": "1"}', "{}", "{}"]})
    got = kql.query("T | summarize r = countif(ok == false) / count(), f = todouble(countif(ok == false)) / count()",
                    {"T": frame})
    assert got["r"].iloc[0] == 0 and got["f"].iloc[0] == pytest.approx(2 / 3)
    empty = kql.query("T | extend a = tostring(customDimensions.a) | where isempty(a) | count", {"T": frame})
    assert empty.iloc[0, 0] == 2


def test_same_has_matches_whole_terms_and_contains_substrings():
    frame = pd.DataFrame({"m": ["Retrying the call", "retry later"]})
    assert kql.query("T | where m has 'retry' | count", {"T": frame}).iloc[0, 0] == 1
    assert kql.query("T | where m contains 'retry' | count", {"T": frame}).iloc[0, 0] == 2


# ---------------------------------------------------------------------------------------------
# Bad input: clear errors, a store never changed or locked.
# ---------------------------------------------------------------------------------------------


def test_syntax_error_gives_the_parsers_message_with_line_and_column():
    with pytest.raises(kql.KqlError) as caught:
        kql.query("T\n| where v > 1 andd v < 3", {"T": WEEK})
    message = str(caught.value)
    assert message.startswith("KQL syntax error at line 2, column 15: mismatched input 'andd'")
    assert message.splitlines()[2] == " " * 18 + "^"
    assert isinstance(caught.value, ValidationError) and isinstance(caught.value, ValueError)


def test_unknown_table_and_column_name_what_exists(traffic):
    store, _ = traffic
    with pytest.raises(kql.KqlError, match=r"unknown table 'Requests'; tables here: requests, dependencies"):
        store.kql("Requests | take 1")
    with pytest.raises(kql.KqlError, match=r"unknown column 'durationMs'; columns here: requests \(timestamp, id"):
        store.kql("requests | where durationMs > 100")
    with pytest.raises(kql.KqlError, match=r"unknown column 'latency'.*TotalDurationMs"):
        kql.query("Log | project latency", {"Log": pd.DataFrame({"TotalDurationMs": [1.0]})})


@pytest.mark.parametrize(("text", "source", "limit", "expected"), [
    ("", {}, 10, "must be non-empty text"),
    (42, {}, 10, "must be non-empty text"),
    ("T", {"T": WEEK}, 0, r"limit must be a whole number of rows, 1 or more \(got 0\); e.g. limit=1000"),
    ("T", [WEEK], 10, "source must be an AppInsightsIngestion"),
    ("T", "/nonexistent/ai.sqlite", 10, "no telemetry store at"),
    ("T", {"T": [1, 2]}, 10, "must be a pandas DataFrame"),
])
def test_bad_arguments_are_validation_errors(text, source, limit, expected):
    with pytest.raises(ValidationError, match=expected):
        kql.query(text, source, limit=limit)


def test_queries_are_read_only_and_leave_the_store_writable(traffic, tmp_path):
    store, _ = traffic
    before = hashlib.sha256(store.path.read_bytes()).hexdigest(), store.count("requests")
    with pytest.raises(kql.KqlError, match="read-only"):
        store.kql(".set-or-replace requests <| requests | take 1")
    store.kql("requests | summarize count() by resultCode")
    kql.query("requests | take 5", store.path)
    assert (hashlib.sha256(store.path.read_bytes()).hexdigest(), store.count("requests")) == before
    with AppInsightsIngestion(tmp_path / "w.sqlite") as fresh:   # a store being queried still takes writes
        traffic_small = scenarios.make("latency", seed=3, days=1, requests_per_hour=5)
        alerts.replay_scenario(traffic_small, fresh)
        assert fresh.kql("requests | count").iloc[0, 0] == len(traffic_small.stream)
        alerts.replay_scenario(traffic_small, fresh)
        assert fresh.kql("requests | count").iloc[0, 0] == 2 * len(traffic_small.stream)  # new rows are seen


def test_a_students_syntax_error_reaches_the_test_cell_with_its_position(traffic):
    from mlcheckup.errors import CheckFailed
    from mlcheckup.grading import call

    store, _ = traffic
    with pytest.raises(CheckFailed, match=r"running failure_rate_kql\(60\) raised KqlError: KQL syntax error at "
                                          r"line 2, column 27: missing '=' at 'bin'"):
        call(store.kql, "requests\n| summarize n = count( by bin(timestamp, 1h)", name="running failure_rate_kql(60)")
