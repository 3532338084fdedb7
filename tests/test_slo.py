"""slo: SLI counts from the traffic log, error budgets, burn rates and multi-window alerts."""

import numpy as np
import pandas as pd
import pytest

from mlcheckup import slo
from mlcheckup.errors import ValidationError


def test_per_minute_counts_errors_and_slow_requests():
    log = pd.DataFrame({"TimeGenerated": pd.to_datetime(["2024-03-04 10:00:05", "2024-03-04 10:00:30",
                                                         "2024-03-04 10:00:50", "2024-03-04 10:02:00"], utc=True),
                        "ResponseCode": [200, 429, 400, 500], "TotalDurationMs": [30, 1, 5, 2]})
    minutes = slo.per_minute(log, latency_ms=20)
    assert minutes["requests"].tolist() == [3, 0, 1]          # the empty minute is there, at 0
    assert minutes["errors"].tolist() == [1, 0, 1]            # 429 and 5xx; a 400 is the caller's error
    assert minutes["slow"].tolist() == [1, 0, 0]


def test_error_budget_left():
    budget = slo.error_budget([10, 20], [50_000, 50_000], 0.999)
    assert budget == {"allowed": 100.0, "spent": 30, "left_share": 0.7, "sli": 0.9997}
    assert slo.error_budget(300, 100_000, 0.999)["left_share"] == pytest.approx(-2.0)
    with pytest.raises(ValidationError, match="between 0 and 1"):
        slo.error_budget(1, 10, 99.9)


def test_burn_rate_sums_before_dividing():
    index = pd.date_range("2024-03-04", periods=2, freq="min")
    bad, total = pd.Series([10, 0], index), pd.Series([1000, 10], index)
    # (10 + 0) / (1000 + 10) / 0.01, not the mean of 1 % and 0 %
    assert slo.burn_rate(bad, total, 0.99, "2min").iloc[-1] == pytest.approx(10 / 1010 / 0.01)


def test_multi_window_alert_needs_both_windows_and_resets_quickly():
    index = pd.date_range("2024-03-04", periods=300, freq="min")
    total = pd.Series(1000, index)
    bad = pd.Series(0, index)
    bad.iloc[100:130] = 100                     # 10 % bad for 30 minutes: burn 100 at 99.9 %
    alert = slo.BurnRateAlert("1h", "5min", 14.4)
    on = alert.firing(bad, total, 0.999)
    assert not on.iloc[:108].any() and on.iloc[108]   # 9 bad minutes of 60: burn 15 > 14.4
    assert not on.iloc[140]                     # the 1 h window still burns, the 5 min one has reset
    assert slo.fire_times([alert], bad, total, 0.999) == [index[108]]
    with pytest.raises(ValidationError, match="swap them"):
        slo.BurnRateAlert("5min", "1h", 2).firing(bad, total, 0.999)


def test_scenario_is_seeded_and_scored():
    case = slo.scenario(2)
    assert case.minutes.equals(slo.scenario(2).minutes)
    assert sorted(case.incidents["shift"]) == ["errors", "errors", "latency"]
    minutes = case.minutes
    fired = sorted(slo.fire_times(slo.WORKBOOK_ALERTS[:1], minutes["errors"], minutes["requests"], 0.999)
                   + slo.fire_times(slo.WORKBOOK_ALERTS[:1], minutes["slow"], minutes["requests"], 0.99))
    score = case.score(fired)
    assert score.summary()["detected"] == 3 and score.n_false_alarms == 0
    noisy = case.score([*fired, case.start + pd.Timedelta(hours=3)])
    assert noisy.n_false_alarms == 1
    assert np.all(minutes[["errors", "slow"]].sum(axis=1) <= minutes["requests"])


def test_scenario_regression_burns_and_blips_are_not_incidents():
    case = slo.scenario(3)
    minutes, incidents = case.minutes, case.incidents.set_index("shift")
    regression = incidents.loc["latency"]
    assert 11 <= regression["start"].hour < 14                       # rolled out in the busy hours
    burn = slo.burn_rate(minutes["errors"], minutes["requests"], 0.999, "30min")
    assert burn[regression["start"] + pd.Timedelta(minutes=30)] > 14.4   # so a 30 min page can catch it
    # blips: minutes with >= 3 % errors outside every incident (and its hour of grace), which a 5 min page pages on
    share = minutes["errors"] / minutes["requests"]
    outside = np.ones(len(minutes), dtype=bool)
    for _, row in case.incidents.iterrows():
        outside &= ~((minutes.index >= row["start"]) & (minutes.index <= row["end"] + pd.Timedelta("1h")))
    assert ((share > 0.03) & outside).sum() >= 2
    assert case.score(case.alert_times([slo.BurnRateAlert("5min", "5min", 14.4)])).n_false_alarms >= 1
    assert slo.scenario(3, blips=0).minutes["errors"].div(minutes["requests"])[outside].max() < 0.03
