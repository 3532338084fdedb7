"""mlcheckup.alerts: Azure-shaped alert rules, checked over stored telemetry on a simulated clock."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
import requests

from mlcheckup import alerts, scenarios
from mlcheckup.alerts import ActionGroup, LogRule, MetricRule, Notification, WebhookReceiver
from mlcheckup.appinsights import AppInsightsIngestion
from mlcheckup.errors import ServerError, ValidationError

T0 = pd.Timestamp("2024-03-04 10:00")


def _request(minute: float, duration_ms: float = 40.0, success: bool = True, code: str = "200", op: str = "") -> dict:
    time = T0 + pd.Timedelta(minutes=minute)
    return {"time": f"{time:%Y-%m-%dT%H:%M:%S.%f}Z", "tags": {"ai.operation.id": op or f"op{minute}"},
            "data": {"baseType": "RequestData", "baseData": {
                "id": f"r{minute}", "name": "POST /score", "duration": f"00:00:{duration_ms / 1000:09.6f}",
                "success": success, "responseCode": code}}}


def _event(minute: float, name: str, op: str = "", **properties) -> dict:
    time = T0 + pd.Timedelta(minutes=minute)
    return {"time": f"{time:%Y-%m-%dT%H:%M:%S.%f}Z", "tags": {"ai.operation.id": op or f"op{minute}"},
            "data": {"baseType": "EventData", "baseData": {"name": name, "properties": properties}}}


def _metric(minute: float, name: str, total: float, count: int, low: float, high: float) -> dict:
    time = T0 + pd.Timedelta(minutes=minute)
    return {"time": f"{time:%Y-%m-%dT%H:%M:%S.%f}Z", "data": {"baseType": "MetricData", "baseData": {
        "metrics": [{"name": name, "value": total, "count": count, "min": low, "max": high}]}}}


@pytest.fixture
def store(tmp_path):
    with AppInsightsIngestion(tmp_path / "ai.sqlite") as server:
        yield server


def _send(store, items):
    answer = requests.post(store.url + "/v2.1/track", json=items, timeout=10)
    assert answer.json()["itemsAccepted"] == len(items)


def _slow(**changes) -> MetricRule:
    settings = {"name": "slow-scoring", "metric_name": "requests/duration", "time_aggregation": "Average",
                "operator": "GreaterThan", "threshold": 100, "window_size": "PT5M", "evaluation_frequency": "PT5M",
                **changes}
    return MetricRule(**settings)


def _period(minutes: int = 60) -> dict:
    return {"start": T0, "end": T0 + pd.Timedelta(minutes=minutes)}


# --- rules: Azure's settings, Azure's limits --------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [("PT5M", 5), ("PT1H", 60), ("P1D", 1440), ("15min", 15),
                                            (dt.timedelta(hours=6), 360), (pd.Timedelta(minutes=30), 30)])
def test_durations_read_iso_pandas_and_timedeltas(text, expected):
    assert alerts.duration(text) == pd.Timedelta(minutes=expected)
    assert alerts.duration(alerts.iso_duration(alerts.duration(text))) == pd.Timedelta(minutes=expected)


@pytest.mark.parametrize("bad", ["soon", "PT0M", "-5min", None])
def test_bad_durations_say_what_is_expected(bad):
    with pytest.raises(ValidationError, match=r"window_size must be a positive duration such as 'PT5M'.*got"):
        _slow(window_size=bad)


@pytest.mark.parametrize("changes, message", [
    ({"operator": ">"}, r"operator must be one of GreaterThan.*got '>'.*'GreaterThan' for >"),
    ({"time_aggregation": "Avg"}, r"time_aggregation must be one of Average.*Azure spells them out"),
    ({"severity": 5}, r"severity must be one of 0 \(Critical\), 1 \(Error\).*got 5"),
    ({"threshold": "high"}, r"threshold must be a finite number \(got 'high'\)"),
    ({"evaluation_frequency": "PT10M"}, r"evaluation_frequency must be one of PT1M, PT5M, PT15M, PT30M, PT1H"),
    ({"window_size": "PT2H"}, r"window_size must be one of PT1M, .*PT6H, PT12H, P1D \(got PT2H\)"),
    ({"window_size": "PT5M", "evaluation_frequency": "PT15M"}, r"window_size \(PT5M\) must be at least"),
    ({"name": "a/b"}, r"name must be a non-empty text without"),
    ({"actions": ["http://127.0.0.1:1/alerts"]}, r"actions must be ActionGroup objects"),
])
def test_metric_rules_refuse_what_azure_refuses(changes, message):
    with pytest.raises(ValidationError, match=message):
        _slow(**changes)


def test_log_rules_check_their_measure_schedule_and_periods():
    base = {"name": "failing", "query": "SELECT timestamp FROM requests", "operator": "GreaterThan", "threshold": 1}
    assert LogRule(**base).time_aggregation == "Count" and LogRule(**base).evaluation_frequency == pd.Timedelta("5min")
    with pytest.raises(ValidationError, match="needs metric_measure_column"):
        LogRule(**base, time_aggregation="Average")
    with pytest.raises(ValidationError, match="between PT1M and P2D"):
        LogRule(**base, window_size="P3D")
    with pytest.raises(ValidationError, match="1 <= min_failing <= periods <= 6"):
        LogRule(**base, number_of_evaluation_periods=2, min_failing_periods_to_alert=3)
    with pytest.raises(ValidationError, match="SQL text with a SELECT"):
        LogRule(**{**base, "query": "requests | count"})


@pytest.mark.parametrize("frequency, checks", [("PT1M", 10), ("PT2M", 5), ("PT5M", 3), ("PT15M", 3), ("PT30M", 2),
                                               ("PT6H", 2), ("PT12H", 1)])
def test_log_rules_resolve_as_azure_documents(frequency, checks):
    rule = LogRule(name="x", query="SELECT timestamp FROM requests", operator="GreaterThan", threshold=1,
                   window_size="P1D", evaluation_frequency=frequency)
    assert rule.resolve_after == checks


def test_condition_and_namespaces_read_like_azure():
    assert _slow().condition() == "Average requests/duration over PT5M > 100"
    assert _slow().metric_namespace == "microsoft.insights/components"
    assert _slow(metric_name="prediction_confidence").metric_namespace == "azure.applicationinsights"
    rule = LogRule(name="x", query="SELECT timestamp FROM requests", operator="GreaterThanOrEqual", threshold=2,
                   number_of_evaluation_periods=3, min_failing_periods_to_alert=2)
    assert rule.condition() == "Count rows over PT5M ≥ 2 in 2 of the last 3 windows"


# --- evaluation on a simulated clock ------------------------------------------------------------------
def test_a_stateful_metric_alert_fires_once_and_resolves_after_three_clean_checks(store):
    # 40 ms all hour, except 300 ms from 10:20 to 10:30
    _send(store, [_request(m, 300 if 20 <= m < 30 else 40) for m in range(60)])
    result = alerts.evaluate(_slow(), store, **_period())
    assert result.fired_at.tolist() == [T0 + pd.Timedelta(minutes=25)]  # the 10:20-10:25 window
    (alert,) = result.alerts
    assert alert.resolved_at == T0 + pd.Timedelta(minutes=45)  # 10:35, 10:40, 10:45 clean
    assert alert.monitor_condition == "Resolved" and alert.duration == pd.Timedelta(minutes=20)
    assert [n.monitor_condition for n in result.notifications] == ["Fired", "Resolved"]
    checks = result.checks.set_index("time")
    assert checks.loc[T0 + pd.Timedelta(minutes=30), "value"] == 300.0  # 10:25-10:30 is all slow
    assert checks["firing"].sum() == 4 and checks["breached"].sum() == 2
    assert "1 alert(s), 1 resolved, 2 notification(s)" in repr(result)


def test_a_check_sees_only_what_arrived_before_it(store):
    _send(store, [_request(5, 500)])  # exactly at the 10:05 check
    result = alerts.evaluate(_slow(), store, **_period(15))
    assert result.checks["value"].isna().tolist() == [True, False, True]
    assert result.fired_at.tolist() == [T0 + pd.Timedelta(minutes=10)]


def test_stateless_rules_notify_at_every_breach_and_never_resolve(store):
    _send(store, [_request(m, 300 if 20 <= m < 30 else 40) for m in range(60)])
    result = alerts.evaluate(_slow(auto_mitigate=False), store, **_period())
    assert len(result.fired_at) == 2 and all(a.resolved_at is None for a in result.alerts)
    assert {n.monitor_condition for n in result.notifications} == {"Fired"}


def test_empty_windows_never_breach_but_count_as_zero(store):
    _send(store, [_request(30, 40)])
    low_traffic = _slow(metric_name="requests/count", time_aggregation="Count", operator="LessThan", threshold=1)
    result = alerts.evaluate(low_traffic, store, **_period())
    assert result.checks["value"].tolist() == [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    assert result.fired_at.tolist() == [T0 + pd.Timedelta(minutes=5)]
    assert alerts.evaluate(_slow(), store, **_period()).checks["value"].notna().sum() == 1


def test_failed_requests_minimum_maximum_and_total(store):
    _send(store, [_request(1, 10), _request(2, 90, success=False, code="503"), _request(3, 50, success=False,
                                                                                          code="400")])
    period = {"start": T0, "end": T0 + pd.Timedelta(minutes=5)}
    values = {agg: alerts.evaluate(_slow(time_aggregation=agg), store, **period).checks["value"].iloc[0]
              for agg in ("Average", "Minimum", "Maximum", "Total", "Count")}
    assert values == {"Average": 50.0, "Minimum": 10.0, "Maximum": 90.0, "Total": 150.0, "Count": 3.0}
    failed = _slow(metric_name="requests/failed", time_aggregation="Count", threshold=1)
    assert alerts.evaluate(failed, store, **period).checks["value"].iloc[0] == 2.0


def test_custom_metrics_aggregate_their_pre_aggregated_rows(store):
    _send(store, [_metric(1, "prediction_confidence", 9.0, 10, 0.5, 1.0),
                  _metric(2, "prediction_confidence", 1.0, 2, 0.2, 0.8), _metric(3, "other", 100.0, 1, 100, 100)])
    period = {"start": T0, "end": T0 + pd.Timedelta(minutes=5)}
    rule = _slow(metric_name="prediction_confidence", operator="LessThan", threshold=0.9)
    result = alerts.evaluate(rule, store, **period)
    assert result.checks["value"].iloc[0] == pytest.approx(10.0 / 12) and len(result.fired_at) == 1
    low = alerts.evaluate(_slow(metric_name="prediction_confidence", time_aggregation="Minimum"), store, **period)
    assert low.checks["value"].iloc[0] == 0.2


def test_log_rules_count_rows_or_aggregate_a_measure(store):
    _send(store, [_request(m, 40, success=not 10 <= m < 20, code="200" if not 10 <= m < 20 else "503")
                  for m in range(60)])
    count = LogRule(name="failures", query="SELECT timestamp FROM requests WHERE success = 0",
                    operator="GreaterThan", threshold=3, window_size="PT5M", evaluation_frequency="PT5M")
    result = alerts.evaluate(count, store, **_period())
    assert result.checks["value"].tolist()[:5] == [0, 0, 5, 5, 0]
    assert result.fired_at.tolist() == [T0 + pd.Timedelta(minutes=15)]
    assert result.alerts[0].resolved_at == T0 + pd.Timedelta(minutes=35)  # 5-minute checks: 3 clean ones
    share = LogRule(name="share", query="SELECT timestamp, CASE WHEN success THEN 0.0 ELSE 100.0 END AS pct "
                                        "FROM requests", time_aggregation="Average", metric_measure_column="pct",
                    operator="GreaterThan", threshold=10, window_size="PT15M", evaluation_frequency="PT5M")
    checks = alerts.evaluate(share, store, **_period()).checks.set_index("time")["value"]
    assert checks[T0 + pd.Timedelta(minutes=20)] == pytest.approx(100 * 10 / 15)


def test_log_rules_can_demand_several_failing_windows(store):
    _send(store, [_request(m, 40, success=m not in (2, 12, 13), code="503") for m in range(30)])
    one = LogRule(name="x", query="SELECT timestamp FROM requests WHERE success = 0", operator="GreaterThan",
                  threshold=0, window_size="PT5M", evaluation_frequency="PT5M")
    two = LogRule(**{**one.__dict__, "number_of_evaluation_periods": 3, "min_failing_periods_to_alert": 2})
    assert alerts.evaluate(one, store, **_period(30)).checks["breached"].tolist() == [True, False, True, False,
                                                                                      False, False]
    # at 10:15 the windows 10:10-15 and 10:00-05 fail (2 of 3); at 10:20 only 10:10-15 does
    assert alerts.evaluate(two, store, **_period(30)).checks["breached"].tolist() == [False, False, True, False,
                                                                                      False, False]


def test_log_queries_explain_their_mistakes(store):
    _send(store, [_request(1)])
    with pytest.raises(ValidationError, match=r"the query of 'x' failed: no such table: AppRequests"):
        alerts.evaluate(LogRule(name="x", query="SELECT * FROM AppRequests", operator="GreaterThan", threshold=0),
                        store, **_period())
    with pytest.raises(ValidationError, match=r"returns columns \['duration'\], without 'timestamp'"):
        alerts.evaluate(LogRule(name="x", query="SELECT duration FROM requests", operator="GreaterThan",
                                threshold=0), store, **_period())
    with pytest.raises(ValidationError, match=r"without 'ms'; keep it in the SELECT \(metric_measure_column\)"):
        alerts.evaluate(LogRule(name="x", query="SELECT timestamp FROM requests", time_aggregation="Average",
                                metric_measure_column="ms", operator="GreaterThan", threshold=0), store, **_period())
    with pytest.raises(ValidationError, match="no check fits between"):
        alerts.evaluate(_slow(), store, start=T0, end=T0 + pd.Timedelta(minutes=1))
    with pytest.raises(ValidationError, match="no telemetry store at"):
        alerts.evaluate(_slow(), store.path.parent / "missing.sqlite", **_period())
    with pytest.raises(ValidationError, match="expected a MetricRule or a LogRule"):
        alerts.evaluate("rule", store, **_period())


def test_the_period_defaults_to_the_data(store):
    _send(store, [_request(3), _request(44)])
    result = _slow().evaluate(store)
    assert result.checks["time"].iloc[0] == T0 + pd.Timedelta(minutes=5)
    assert result.checks["time"].iloc[-1] == T0 + pd.Timedelta(minutes=40)


# --- notifications: common alert schema, webhooks -----------------------------------------------------
def test_notifications_follow_the_common_alert_schema_and_reach_the_webhook(store):
    _send(store, [_request(m, 300 if 20 <= m < 30 else 40) for m in range(60)])
    with WebhookReceiver() as inbox:
        assert inbox.host == "127.0.0.1" and inbox.url == f"http://127.0.0.1:{inbox.port}/alerts"
        rule = _slow(actions=[ActionGroup("oncall", webhooks=[inbox.url])], severity=2, description="too slow")
        result = alerts.evaluate(rule, store, **_period())
        received = inbox.notifications
    assert [n.payload for n in received] == [n.payload for n in result.notifications]
    fired, resolved = received
    assert fired.payload["schemaId"] == "azureMonitorCommonAlertSchema"
    essentials = resolved.essentials
    assert essentials["alertRule"] == "slow-scoring" and essentials["severity"] == "Sev2"
    assert (essentials["signalType"], essentials["monitoringService"]) == ("Metric", "Platform")
    assert essentials["firedDateTime"] == "2024-03-04T10:25:00.000000Z"
    assert essentials["resolvedDateTime"] == "2024-03-04T10:45:00.000000Z" and "resolvedDateTime" not in fired.essentials
    assert essentials["alertId"] == fired.essentials["alertId"] and essentials["description"] == "too slow"
    context = fired.payload["data"]["alertContext"]
    assert context["conditionType"] == "SingleResourceMultipleMetricCriteria" and context["properties"] is None
    criterion = context["condition"]["allOf"][0]
    assert criterion == {"metricName": "requests/duration", "metricNamespace": "microsoft.insights/components",
                         "operator": "GreaterThan", "threshold": "100", "timeAggregation": "Average",
                         "dimensions": [], "metricValue": 300.0}
    assert context["condition"]["windowStartTime"] == "2024-03-04T10:20:00.000000Z"
    assert str(fired) == ("Fired     Sev2 slow-scoring at 2024-03-04 10:25 UTC: Average requests/duration over "
                          "PT5M = 300 (> 100)")
    assert str(resolved) == ("Resolved  Sev2 slow-scoring at 2024-03-04 10:45 UTC: Average requests/duration over "
                             "PT5M = 40 (no longer > 100)")
    assert json.loads(fired.to_json()) == fired.payload


def test_log_alert_notifications_carry_the_query(store):
    _send(store, [_request(m, 40, success=False, code="503") for m in range(3)])
    rule = LogRule(name="failures", query="SELECT timestamp FROM requests WHERE success = 0",
                   kql="requests | where success == false", operator="GreaterThan", threshold=1)
    (note, *_) = alerts.evaluate(rule, store, **_period(15)).notifications
    assert (note.essentials["signalType"], note.essentials["monitoringService"]) == ("Log", "Log Alerts V2")
    context = note.payload["data"]["alertContext"]
    assert context["conditionType"] == "LogQueryCriteria"
    criterion = context["condition"]["allOf"][0]
    assert criterion["searchQuery"] == "requests | where success == false" and criterion["metricValue"] == 3.0
    assert criterion["failingPeriods"] == {"numberOfEvaluationPeriods": 1, "minFailingPeriodsToAlert": 1}


def test_the_receiver_refuses_what_is_not_a_notification():
    with WebhookReceiver(path="hooks/alerts") as inbox:
        assert inbox.url.endswith("/hooks/alerts")
        assert requests.post(inbox.url, json={"hello": 1}, timeout=5).status_code == 400
        assert requests.post(inbox.url.rsplit("/", 1)[0], json={}, timeout=5).status_code == 404
        assert requests.get(inbox.url, timeout=5).status_code == 404
        assert inbox.notifications == []
    with pytest.raises(ValidationError, match="common alert schema payload"):
        Notification({"data": {}})


def test_an_unreachable_webhook_is_a_clear_error(store):
    _send(store, [_request(m, 300) for m in range(10)])
    inbox = WebhookReceiver().start()
    url = inbox.url
    inbox.stop()
    rule = _slow(actions=[ActionGroup("oncall", webhooks=[url])])
    with pytest.raises(ServerError, match=r"could not deliver the Fired notification of slow-scoring.*receiver running"):
        alerts.evaluate(rule, store, **_period(15))
    assert alerts.evaluate(rule, store, **_period(15), deliver_to_webhooks=False).notifications


def test_action_groups_check_their_webhooks():
    with pytest.raises(ValidationError, match="webhooks must be http"):
        ActionGroup("oncall", webhooks=["127.0.0.1:80"])
    with pytest.raises(ValidationError, match="at most 12 characters"):
        ActionGroup("oncall", short_name="a-very-long-name")
    assert ActionGroup("a-rather-long-group").short_name == "a-rather-lon"
    assert ActionGroup("oncall", webhooks="https://x.org/a").webhooks == ("https://x.org/a",)


# --- Azure resources, built offline -------------------------------------------------------------------
def test_metric_rules_become_metric_alert_resources():
    group = ActionGroup("oncall", webhooks=["https://example.org/alerts"])
    body = _slow(window_size="PT6H", evaluation_frequency="PT15M", severity=2, actions=[group]).to_azure().serialize()
    scope = alerts.app_insights_id()
    assert body == {"location": "global", "properties": {
        "severity": 2, "enabled": True, "scopes": [scope], "evaluationFrequency": "PT15M", "windowSize": "PT6H",
        "targetResourceType": "microsoft.insights/components",
        "criteria": {"odata.type": "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria", "allOf": [{
            "criterionType": "StaticThresholdCriterion", "name": "Metric1", "metricName": "requests/duration",
            "metricNamespace": "microsoft.insights/components", "timeAggregation": "Average",
            "operator": "GreaterThan", "threshold": 100.0}]},
        "autoMitigate": True,
        "actions": [{"actionGroupId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/"
                                      "rg-mlcheckup/providers/microsoft.insights/actionGroups/oncall"}]}}


def test_log_rules_become_scheduled_query_rules_and_need_kql():
    rule = LogRule(name="share", query="SELECT timestamp, x FROM requests", kql="requests | project timestamp, x",
                   time_aggregation="Average", metric_measure_column="x", operator="GreaterThan", threshold=10,
                   window_size="PT15M", number_of_evaluation_periods=4, min_failing_periods_to_alert=2, severity=1)
    body = rule.to_azure(location="eastus").serialize()
    assert (body["location"], body["kind"], body["properties"]["displayName"]) == ("eastus", "LogAlert", "share")
    (condition,) = body["properties"]["criteria"]["allOf"]
    assert condition == {"query": "requests | project timestamp, x", "timeAggregation": "Average",
                         "metricMeasureColumn": "x", "operator": "GreaterThan", "threshold": 10.0,
                         "failingPeriods": {"numberOfEvaluationPeriods": 4, "minFailingPeriodsToAlert": 2}}
    assert "actions" not in body["properties"] and body["properties"]["autoMitigate"] is True
    with pytest.raises(ValidationError, match="has only SQL; Azure runs KQL"):
        LogRule(name="x", query="SELECT timestamp FROM requests", operator="GreaterThan", threshold=1).to_azure()


def test_requests_are_built_by_the_sdk_and_never_sent():
    scope = alerts.app_insights_id("11111111-1111-1111-1111-111111111111", "rg-prod", "appi-prod")
    group = ActionGroup("oncall", webhooks=["https://example.org/alerts"])
    rule = LogRule(name="failures", query="SELECT timestamp FROM requests", kql="requests", operator="GreaterThan",
                   threshold=1, actions=[group])
    urls = {type(item).__name__: alerts.azure_request(item, scope).url for item in (group, _slow(), rule)}
    base = "https://management.azure.com/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-prod"
    assert urls == {
        "ActionGroup": f"{base}/providers/Microsoft.Insights/actionGroups/oncall?api-version=2023-01-01",
        "MetricRule": f"{base}/providers/Microsoft.Insights/metricAlerts/slow-scoring?api-version=2018-03-01",
        "LogRule": f"{base}/providers/Microsoft.Insights/scheduledQueryRules/failures?api-version=2023-12-01"}
    request = alerts.azure_request(rule, scope)
    assert request.method == "PUT" and request.body["properties"]["actions"]["actionGroups"] == [
        group.resource_id("11111111-1111-1111-1111-111111111111", "rg-prod")]
    assert str(request).startswith("PUT https://management.azure.com/")
    hooks = alerts.azure_request(group, scope).body["properties"]["webhookReceivers"]
    assert hooks == [{"name": "webhook1", "serviceUri": "https://example.org/alerts", "useCommonAlertSchema": True,
                      "useAadAuth": False}]
    with pytest.raises(ValidationError, match="scope must be a resource id"):
        alerts.azure_request(_slow(), "appi-digits")


# --- a scenario replayed on its own clock ------------------------------------------------------------------
class _Doubtful:
    """A stand-in classifier: class 3 with probability 0.55 for every 10th image, else sure of class 1."""

    classes_ = tuple(range(10))

    def predict_proba(self, X):
        import numpy as np

        proba = np.zeros((len(X), 10))
        proba[:, 1] = 1.0
        doubtful = np.arange(len(X)) % 10 == 0
        proba[doubtful] = 0.05
        proba[doubtful, 3] = 0.55
        return proba


def test_a_replayed_scenario_lands_on_its_own_clock(store):
    traffic = scenarios.make("latency", seed=4, days=2, requests_per_hour=20)
    sent = alerts.replay_scenario(traffic, store, model=_Doubtful())
    stream = traffic.stream
    rows = store.query("SELECT timestamp, name, duration, success, resultCode, operation_Id, cloud_RoleName, "
                       "json_extract(customDimensions, '$.request_id') AS request_id FROM requests")
    assert sent["requests"] == len(rows) == len(stream) and set(rows["name"]) == {"POST /score"}
    by_id = rows.set_index("request_id")
    expected = stream.set_index("request_id")
    assert (by_id.loc[expected.index, "timestamp"].dt.tz_localize(None).values == expected["timestamp"].values).all()
    assert (by_id.loc[expected.index, "resultCode"].astype(int).values == expected["status_code"].values).all()
    assert (by_id.loc[expected.index, "success"].values == (expected["status_code"] < 400).values).all()
    assert (abs(by_id.loc[expected.index, "duration"].values - expected["latency_ms"].values) < 1.0).all()
    assert set(rows["cloud_RoleName"]) == {"digits-endpoint"}
    events = store.query("SELECT e.name, e.operation_Id = r.operation_Id AS same_operation, e.timestamp >= "
                         "r.timestamp AS after, json_extract(e.customDimensions, '$.digit') AS digit, "
                         "json_extract(e.customDimensions, '$.confidence') AS confidence FROM customEvents e "
                         "JOIN requests r ON json_extract(r.customDimensions, '$.request_id') = "
                         "json_extract(e.customDimensions, '$.request_id')")
    scored = (stream["status_code"] < 400).to_numpy()
    assert sent["customEvents"] == len(events) == len(range(0, int(scored.sum()), 10))  # every 10th scored request
    assert events["same_operation"].all() and events["after"].all()
    assert set(events["digit"]) == {"3"} and set(events["confidence"]) == {"0.55"}


def test_refused_requests_become_exceptions_and_invalid_input_events(store):
    traffic = scenarios.make("quality", seed=0, faults=("wrong-length",), rate=1.0, days=2, requests_per_hour=10)
    refused = int((traffic.stream["status_code"] == 400).sum())
    assert refused > 0
    sent = alerts.replay_scenario(traffic, store)
    joined = store.query("SELECT x.type, x.outerMessage, json_extract(e.customDimensions, '$.reason') AS reason, "
                         "r.resultCode FROM exceptions x JOIN customEvents e ON e.operation_Id = x.operation_Id "
                         "JOIN requests r ON r.operation_Id = x.operation_Id")
    assert sent["exceptions"] == len(joined) == refused
    assert set(joined["type"]) == {"mlcheckup_serving.RequestError"} and set(joined["reason"]) == {"wrong_shape"}
    assert set(joined["resultCode"]) == {"400"} and joined["outerMessage"].str.contains("values, expected 64").all()


def test_replay_needs_a_digits_scenario_and_a_running_store(tmp_path):
    traffic = scenarios.make("latency", seed=1, days=1, requests_per_hour=5)
    with pytest.raises(ValidationError, match="a running AppInsightsIngestion"):
        alerts.replay_scenario(traffic, AppInsightsIngestion(tmp_path / "x.sqlite"))
    with pytest.raises(ValidationError, match="needs a digits scenario"):
        alerts.replay_scenario(scenarios.make("craze", seed=1), AppInsightsIngestion(tmp_path / "y.sqlite"))


@pytest.mark.slow
def test_a_failure_rule_catches_the_outage_of_a_latency_scenario(store):
    traffic = scenarios.make("latency", seed=2, days=14, requests_per_hour=20)
    alerts.replay_scenario(traffic, store)
    rule = LogRule(name="failed-requests", query="SELECT timestamp, CASE WHEN success THEN 0.0 ELSE 100.0 END AS "
                   "pct FROM requests", time_aggregation="Average", metric_measure_column="pct",
                   operator="GreaterThan", threshold=10, window_size="PT15M", evaluation_frequency="PT5M")
    result = rule.evaluate(store, start=traffic.start, end=traffic.end)
    score = traffic.score(result.fired_at)
    outage = traffic.incidents.set_index("shift").loc["errors"]
    (alert,) = result.alerts
    assert score.n_false_alarms == 0 and score.detected == [1]
    assert outage["start"] < alert.fired_at <= outage["start"] + pd.Timedelta(minutes=15)
    assert outage["end"] < alert.resolved_at <= outage["end"] + pd.Timedelta(minutes=45)


@pytest.mark.parametrize("text", ["PT1H", "1h", "60min", "hour", "P0DT1H"])
def test_alert_durations_take_the_course_vocabulary(text):
    assert alerts.duration(text) == pd.Timedelta(hours=1)
