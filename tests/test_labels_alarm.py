"""The performance alarm machinery of lesson 06: what a daily run knows, and the pages it sends."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from mlcheckup import labels, scenarios
from mlcheckup.errors import ValidationError

START = pd.Timestamp("2024-03-04")


@pytest.fixture
def two_days():
    """Four predictions on each of two days, two of day 0 labelled on day 1 and all of them on day 5."""
    predictions = pd.DataFrame({
        "correlationid": [f"r{i}_0" for i in range(8)],
        "time": START + pd.to_timedelta([1, 2, 3, 4, 25, 26, 27, 28], unit="h"),
        "prediction": [1, 1, 1, 1, 2, 2, 2, 2],
        "confidence": [0.95, 0.95, 0.65, 0.65, 0.95, 0.95, 0.95, 0.95],
    })
    feed = pd.DataFrame({
        "correlationid": ["r0_0", "r1_0"] + [f"r{i}_0" for i in range(8)],
        "label": [1, 7, 1, 1, 1, 7, 2, 2, 3, 3],  # r1_0 first 7 (wrong), then 1
        "labeled_at": [START + pd.Timedelta(hours=30)] * 2 + [START + pd.Timedelta(days=5)] * 8,
    })
    calibrator = labels.ConfidenceCalibrator(bins=2).fit([0.95, 0.95, 0.65, 0.65], [1, 1, 1, 0])
    return predictions, feed, calibrator


def test_alarm_status_lists_the_closed_windows_with_the_labels_known_then(two_days):
    predictions, feed, calibrator = two_days
    status = labels.alarm_status(predictions, feed, calibrator, START + pd.Timedelta(hours=36))
    assert list(status.columns) == list(labels.STATUS_COLUMNS)
    assert list(status.index) == [START]                       # day 1 has not closed yet
    row = status.loc[START]
    assert (row["predictions"], row["labelled"], row["correct"]) == (4, 2, 1)  # r1's first label was wrong
    assert row["estimated"] == pytest.approx((1 + 1 + 0.5 + 0.5) / 4)   # the calibrated confidences
    assert row["age_days"] == pytest.approx(0.5)
    later = labels.alarm_status(predictions, feed, calibrator, START + pd.Timedelta(days=6))
    assert list(later.index) == [START, START + pd.Timedelta(days=1)]
    assert later["correct"].tolist() == [3, 2]                 # the corrections have arrived
    assert later["age_days"].tolist() == [5.0, 4.0]


def test_replay_alarm_pages_once_per_window_at_the_first_run_that_says_so(two_days):
    predictions, feed, calibrator = two_days
    asked = []

    def decide(window, floor):
        asked.append(window.name)
        return "labels" if window["labelled"] == window["predictions"] and window["accuracy"] < floor else None

    pages = labels.replay_alarm(decide, predictions, feed, calibrator, start=START, end=START + pd.Timedelta(days=7),
                                floor=0.8)
    assert list(pages.columns) == list(labels.PAGE_COLUMNS)
    assert pages.to_dict("records") == [
        {"time": START + pd.Timedelta(days=5), "window": START, "reason": "labels"},
        {"time": START + pd.Timedelta(days=5), "window": START + pd.Timedelta(days=1), "reason": "labels"},
    ]
    assert asked.count(START) == 5            # runs of days 1..5, then never again once it paged


def test_replay_alarm_refuses_bad_arguments(two_days):
    predictions, feed, calibrator = two_days
    with pytest.raises(ValidationError, match="decide must be a function"):
        labels.replay_alarm("page", predictions, feed, calibrator, start=START, end=START + pd.Timedelta(days=2))
    with pytest.raises(ValidationError, match="end must be after start"):
        labels.replay_alarm(lambda w: None, predictions, feed, calibrator, start=START, end=START)


@pytest.fixture(scope="module")
def model():
    reference = scenarios.digits_reference()
    return LogisticRegression(max_iter=5000).fit(reference.X, reference.y)


def test_replay_scenario_asks_about_every_closed_day_of_a_scenario(model):
    stream = scenarios.make("concept", seed=3, days=4, requests_per_hour=5)
    quiet = labels.replay_scenario(lambda window: None, stream, model, seed=3)
    assert quiet.empty and list(quiet.columns) == list(labels.PAGE_COLUMNS)
    always = labels.replay_scenario(lambda window: "estimate" if window["estimated"] <= 1 else None, stream, model)
    days = pd.date_range(stream.start, periods=4, freq="1D")
    assert always["window"].tolist() == list(days)
    assert always["time"].tolist() == list(days + pd.Timedelta(days=1))   # each day pages at the run that closes it
    assert np.all(always["reason"] == "estimate")


def test_replay_scenario_refuses_an_avocado_scenario_and_a_regressor(model):
    with pytest.raises(ValidationError, match="digits scenario"):
        labels.replay_scenario(lambda window: None, scenarios.make("covariate", seed=0), model)
    with pytest.raises(ValidationError, match="predict_proba"):
        labels.replay_scenario(lambda window: None, scenarios.make("concept", seed=0, days=3), object())
