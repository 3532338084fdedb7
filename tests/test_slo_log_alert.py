"""The burn-rate page as an Azure log search alert: its KQL fires on the same minutes as slo's own evaluation."""

from __future__ import annotations

import pandas as pd
import pytest

from mlcheckup import alerts, platform_metrics, slo
from mlcheckup.errors import ValidationError

PAGE = slo.WORKBOOK_ALERTS[0]  # 1 h and 5 min at 14.4


@pytest.fixture(scope="module")
def day():
    return platform_metrics.synthetic_traffic(seed=3)


@pytest.mark.parametrize("span", [("2026-05-04 09:24", "2026-05-04 09:40"), ("2026-05-04 17:56", "2026-05-04 18:09")])
def test_the_kql_fires_on_the_same_minutes_as_the_local_evaluation(day, span):
    minutes = slo.per_minute(day, latency_ms=50)
    local = PAGE.firing(minutes["errors"], minutes["requests"], 0.999)
    start, end = (pd.Timestamp(t, tz="UTC") for t in span)
    want = local[(local.index >= start) & (local.index < end)]
    got = slo.log_alert_times(PAGE, 0.999, day, start, end)
    assert 0 < want.sum() < len(want)  # the span holds quiet and firing minutes: the comparison can fail
    assert list(got) == list(want.index[want.to_numpy()])


def test_a_quiet_span_returns_nothing_and_the_six_hour_page_agrees_too(day):
    assert len(slo.log_alert_times(PAGE, 0.999, day, "2026-05-04 03:00", "2026-05-04 03:05")) == 0
    slow_page = slo.WORKBOOK_ALERTS[1]  # 6 h and 30 min at 6
    minutes = slo.per_minute(day, latency_ms=50)
    local = slow_page.firing(minutes["errors"], minutes["requests"], 0.999)["2026-05-04 10:00":"2026-05-04 10:09"]
    got = slo.log_alert_times(slow_page, 0.999, day, "2026-05-04 10:00", "2026-05-04 10:10")
    assert 0 < local.sum() < len(local) and list(got) == list(local.index[local.to_numpy()])


def test_the_rule_becomes_a_scheduled_query_rule_azure_accepts():
    from azure.mgmt.monitor.models import ScheduledQueryRuleResource

    rule = PAGE.log_rule(0.999)
    resource = alerts.to_azure(rule, slo.LOG_ANALYTICS_WORKSPACE_ID, location="eastus")
    assert isinstance(resource, ScheduledQueryRuleResource)
    body = resource.serialize()
    props = body["properties"]
    assert body["kind"] == "LogAlert" and props["enabled"] is True
    assert (props["windowSize"], props["evaluationFrequency"]) == ("PT1H", "PT1M")
    condition = props["criteria"]["allOf"][0]
    assert (condition["timeAggregation"], condition["operator"], condition["threshold"]) == ("Count", "GreaterThan", 0)
    assert condition["query"].startswith("let objective = 0.999;") and "toint(ResponseCode)" in condition["query"]
    request = alerts.azure_request(rule, slo.LOG_ANALYTICS_WORKSPACE_ID, location="eastus")
    assert "/providers/Microsoft.Insights/scheduledQueryRules/burn-1h-5min-14_4?api-version=" in request.url


def test_azures_limits_apply_the_3_day_ticket_does_not_fit():
    with pytest.raises(ValidationError, match="between PT1M and P2D"):
        slo.WORKBOOK_ALERTS[2].log_rule(0.999)
    with pytest.raises(ValidationError, match="evaluation_frequency"):
        PAGE.log_rule(0.999, evaluation_frequency="PT30S")
    with pytest.raises(ValidationError, match="whole number of minutes"):
        slo.BurnRateAlert("1h", "90s", 14.4).kql(0.999)
    with pytest.raises(ValidationError, match="objective"):
        PAGE.kql(1.5)


def test_a_log_rule_needs_sql_or_kql():
    with pytest.raises(ValidationError, match="needs query"):
        alerts.LogRule(name="nothing", operator="GreaterThan", threshold=0)
    assert alerts.LogRule(name="kql-only", kql="T | take 1", operator="GreaterThan", threshold=0).query is None


def test_log_alert_times_checks_its_input(day):
    with pytest.raises(ValidationError, match="lacks columns"):
        slo.log_alert_times(PAGE, 0.999, day[["TimeGenerated"]], "2026-05-04 03:00", "2026-05-04 03:02")
    with pytest.raises(ValidationError, match="too many"):
        slo.log_alert_times(PAGE, 0.999, day, "2026-05-04 00:00", "2026-05-06 00:00")
    with pytest.raises(ValidationError, match="BurnRateAlert"):
        slo.log_alert_times("1h", 0.999, day, "2026-05-04 03:00", "2026-05-04 03:02")
