"""The capstone harness: the month and its answer key, the plan's checks, and replays through the real components."""

from __future__ import annotations

import pandas as pd
import pytest

from mlcheckup import alerts, autoscale, capstone, eventgrid, model_monitor
from mlcheckup.errors import ValidationError
from mlcheckup.projects import write_payments_project

REFERENCE = "azureml:payments-reference:1"


def _schedules():
    drift = model_monitor.data_drift_signal(
        REFERENCE, features=["amount", "distance_km", "card_age_days", "merchant_category", "foreign", "online"],
        numerical={"normalized_wasserstein_distance": 0.15}, categorical={"jensen_shannon_distance": 0.15}, alert=True)
    rates = {"null_value_rate": 0.01, "data_type_error_rate": 0.01, "out_of_bounds_rate": 0.02}
    quality = model_monitor.data_quality_signal(REFERENCE, numerical=rates, categorical=rates, alert=True)
    performance = model_monitor.performance_signal("azureml:payments-outputs:1", "azureml:chargebacks:1",
                                                   classification={"accuracy": 0.91}, prediction_column="blocked",
                                                   actual_column="fraud", alert=True)
    return [model_monitor.monitor_schedule(f"fraud-{name}", endpoint="payments-endpoint", deployment="blue",
                                           emails=["fraud-ops@example.com"], signals={name: signal})
            for name, signal in (("inputs", drift), ("quality", quality), ("performance", performance))]


def _rules():
    return [alerts.MetricRule(name="failed-requests", metric_name="requests/failed", time_aggregation="Count",
                              operator="GreaterThan", threshold=3, window_size="PT15M", evaluation_frequency="PT5M"),
            alerts.MetricRule(name="slow-scoring", metric_name="requests/duration", time_aggregation="Average",
                              operator="GreaterThan", threshold=100, window_size="PT1H", evaluation_frequency="PT15M")]


def _setting():
    return autoscale.autoscale_setting(minimum=1, maximum=4, default=1, rules=[
        autoscale.scale_rule("CpuUtilizationPercentage", "GreaterThan", 70, "Increase"),
        autoscale.scale_rule("CpuUtilizationPercentage", "LessThan", 25, "Decrease")])


def _careful_handler():
    handled, actions = set(), {"inputs": "retrain", "performance": "retrain", "quality": "page"}

    def on_event(event):
        if isinstance(event, alerts.Notification):
            if event.monitor_condition != "Fired":
                return "ignore"
            return "rollback" if event.rule == "slow-scoring" else "page"
        if event.id in handled:
            return "ignore"
        handled.add(event.id)
        tag = event.data["RunTags"].get(eventgrid.BREACH_TAG, "")
        return actions.get(tag.split("'")[1] if "'" in tag else "", "page")
    return on_event


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return write_payments_project(tmp_path_factory.mktemp("plan"))


@pytest.fixture(scope="module")
def good(project):
    plan = capstone.MonitoringPlan(project.score_script, _schedules(), _rules(), _setting(), _careful_handler())
    month = capstone.make_month(4)
    return month, capstone.replay(plan, month)


def test_a_month_is_seeded_and_has_every_kind_of_incident_once():
    month = capstone.make_month(5)
    assert sorted(month.incidents["kind"]) == sorted(capstone.KINDS) and len(capstone.KINDS) >= 6
    pd.testing.assert_frame_equal(month.payments, capstone.make_month(5).payments)
    assert not month.incidents["start"].equals(capstone.make_month(6).incidents["start"])
    key = month.incidents.set_index("kind")
    assert key.loc["harmless", "expected_action"] == "ignore" and key.loc["concept", "end"] == month.end
    assert month.payments["labeled_at"].gt(month.payments["time"]).all()
    statuses = set(month.requests["status_code"])
    assert {200, 503} <= statuses
    with pytest.raises(ValidationError, match="seed must be a whole number"):
        capstone.make_month(-1)


def test_concept_drift_changes_the_truth_not_the_inputs():
    month = capstone.make_month(7)
    concept = month.incidents.set_index("kind").loc["concept"]
    payments = month.payments
    before = payments[payments["time"] < concept.start]
    after = payments[payments["time"] >= concept.start]
    offline = after[after["online"] == 0]
    assert offline["fraud"].mean() > 2 * before[before["online"] == 0]["fraud"].mean()
    assert abs(after["online"].mean() - before["online"].mean()) < 0.02


def test_each_broken_part_is_reported_and_the_others_kept(project):
    usable, problems = capstone.check_plan(capstone.MonitoringPlan(
        "no-such-file.py", "not a schedule", [_rules()[0], "junk"], None, 42))
    assert set(problems) == set(capstone.PARTS)
    assert "got 'no-such-file.py'" in problems["score_script"] and "got str" in problems["schedule"]
    assert usable["alerts"] == [_rules()[0]] and "got ['str']" in problems["alerts"]
    usable, problems = capstone.check_plan(capstone.MonitoringPlan(
        project.score_script, _schedules(), [], _setting(), lambda event: "page"))
    assert problems == {} and len(usable["schedule"]) == 3
    _, problems = capstone.check_plan({"schedule": _schedules()})
    assert set(problems) == set(capstone.PARTS) and "got dict" in problems["schedule"]


def test_the_careful_plan_catches_the_incidents_with_the_right_actions(good):
    _, report = good
    table = report.incidents.set_index("kind")
    assert report.problems == {}
    assert table.loc[["concept", "covariate", "quality", "slow_release"], "in_time"].all()
    assert table.loc["concept", "delay"] > pd.Timedelta("1D")          # only late labels show it
    assert table["right_action"].sum() >= 5 and table.loc["harmless", "action"] == "ignore"
    assert report.duplicates_acted_twice == 0 and report.false_alarms_per_week <= 1
    delivered = report.calls.loc[report.calls["event_id"] != "", "event_id"]
    assert len(delivered) and delivered.duplicated().any()                  # duplicates came
    assert report.instance_hours > 0 and report.scores["cost"] == capstone.WEIGHTS["cost"]
    assert 80 <= report.total < 100
    assert "quality" in str(report) and "score:" in str(report)


def test_a_plan_that_acts_on_everything_pays_for_it(project, good):
    month, careful = good
    plan = capstone.MonitoringPlan(project.score_script, _schedules(), _rules(), _setting(), lambda event: "page")
    report = capstone.replay(plan, month)
    assert report.duplicates_acted_twice > 0 and report.scores["duplicates"] < capstone.WEIGHTS["duplicates"]
    assert report.incidents.set_index("kind").loc["covariate", "right_action"] == False  # noqa: E712
    assert report.total < careful.total


def test_a_broken_handler_and_score_py_are_reported_never_a_crash(project, tmp_path):
    lax = tmp_path / "score.py"
    lax.write_text(project.score_script.read_text().replace("check_ranges(X)\n", "pass\n"))
    (tmp_path / "mlcheckup_serving.py").write_text((project.folder / "mlcheckup_serving.py").read_text())

    def hangs(event):
        import time
        time.sleep(3)

    plan = capstone.MonitoringPlan(lax, _schedules()[:1], [*_rules(), "junk"], _setting(), hangs)
    report = capstone.replay(plan, capstone.make_month(8, days=21), handler_timeout=0.3)
    assert "hour=24" in report.problems["score_script"]
    assert "on_event hangs" in report.problems["on_event"] and "alerts" in report.problems
    assert report.scores["refuses_bad_input"] == 0 and report.scores["cost"] > 0
    assert not report.incidents["right_action"].iloc[:-1].all()


def test_a_plan_of_the_wrong_type_is_reported_and_scores_no_quiet_time_points():
    report = capstone.replay({"schedule": None}, capstone.make_month(9, days=21))
    assert set(report.problems) == set(capstone.PARTS) and "got dict" in report.problems["on_event"]
    assert report.total == 0 and not report.incidents["detected"].any()
