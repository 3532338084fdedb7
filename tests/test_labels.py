"""Tests of mlcheckup.labels: the late-label feed, the as-of join, realized and estimated performance.

Expected values are literals, worked by hand in a comment, or computed here by independent means
(brute force, another formula, the scenario's own answer key), never read from the code under test.
"""

from __future__ import annotations

import math
from datetime import timedelta

import joblib
import numpy as np
import pandas as pd
import pytest
from runtime_support import project_fixture  # noqa: F401 (pytest fixture)
from scipy import stats
from sklearn.linear_model import LogisticRegression

from mlcheckup import ValidationError, labels, scenarios
from mlcheckup.endpoint import LocalEndpoint

T0 = pd.Timestamp("2024-03-04")


def _predictions(n=400, seed=0):
    rng = np.random.default_rng(seed)
    times = T0 + pd.to_timedelta(np.sort(rng.uniform(0, 7 * 24, n)), unit="h")
    return pd.DataFrame({"correlationid": [f"req-{i // 4:04d}_{i % 4}" for i in range(n)], "time": times,
                         "prediction": rng.integers(0, 10, n)})


# --- the feed ------------------------------------------------------------------------------------
def test_the_feed_keeps_its_shares_and_its_answer_key():
    predictions = _predictions(1000)
    truth = np.arange(1000) % 10
    feed = labels.ground_truth_feed(predictions, truth, seed=3, missing=0.2, duplicates=0.1, corrections=0.1,
                                    unknown=4, early=6, garbled=7)
    fates = feed.answer["fate"].value_counts()
    assert (fates["missing"], fates["duplicated"], fates["corrected"]) == (200, 100, 100)
    # every labelled prediction once, duplicates and corrections once more, then the unusable rows
    assert len(feed.events) == 800 + 100 + 100 + 4 + 6 + 7
    assert feed.bad == {"unknown id": 4, "before prediction": 6, "non-numeric": 7}
    assert feed.events["labeled_at"].is_monotonic_increasing
    events = feed.events[feed.events["correlationid"].isin(predictions["correlationid"])]
    served = events["correlationid"].map(predictions.set_index("correlationid")["time"])
    assert int((events["labeled_at"] < served).sum()) == 6
    # a corrected prediction first gets a wrong label, then its true one, later
    fixed = feed.answer[feed.answer["fate"] == "corrected"].iloc[0]
    rows = feed.events[(feed.events["correlationid"] == fixed["correlationid"])
                       & (feed.events["labeled_at"] >= served.get(0, T0))]
    numeric = pd.to_numeric(rows["label"], errors="coerce").dropna()
    assert numeric.iloc[-1] == fixed["label"] and (numeric.iloc[:-1] != fixed["label"]).any()


def test_the_feed_is_seeded_and_its_delays_have_the_median_asked():
    predictions = _predictions(2000)
    one = labels.ground_truth_feed(predictions, np.zeros(2000, dtype=int), seed=5, median_delay="3D", missing=0.0,
                                   duplicates=0.0, corrections=0.0, unknown=0, early=0, garbled=0)
    two = labels.ground_truth_feed(predictions, np.zeros(2000, dtype=int), seed=5, median_delay="3D", missing=0.0,
                                   duplicates=0.0, corrections=0.0, unknown=0, early=0, garbled=0)
    pd.testing.assert_frame_equal(one.events, two.events)
    delay = one.answer["final_at"] - predictions["time"]
    assert abs(delay.median() / pd.Timedelta(days=3) - 1) < 0.1


@pytest.mark.parametrize("options, words", [
    ({"missing": 1.5}, "missing must be a share"),
    ({"missing": 0.6, "corrections": 0.6}, "at most 1"),
    ({"unknown": -1}, "unknown must be a whole number"),
    ({"median_delay": "-1D"}, r"median_delay must be a positive duration .* \(got '-1D'\)"),
    ({"median_delay": 2}, "median_delay must be a positive duration .* a bare number has no unit"),
    ({"spread": -0.5}, r"spread must be between 0 and inf \(got -0.5\)"),
])
def test_the_feed_refuses_bad_settings(options, words):
    with pytest.raises(ValidationError, match=words):
        labels.ground_truth_feed(_predictions(10), np.zeros(10, dtype=int), **options)


def test_the_feed_needs_one_label_per_prediction():
    with pytest.raises(ValidationError, match="one label per prediction"):
        labels.ground_truth_feed(_predictions(10), np.zeros(9, dtype=int))


# --- the join ------------------------------------------------------------------------------------
def _tiny():
    predictions = pd.DataFrame({"correlationid": ["a_0", "a_1", "b_0"], "prediction": [7, 1, 3],
                                "time": pd.to_datetime(["2024-03-04 10:00", "2024-03-04 10:00", "2024-03-05 09:00"])})
    feed = pd.DataFrame({
        "correlationid": ["a_0", "a_0", "a_1", "b_0", "zz_0", "b_0", "a_1", "a_1"],
        "label": [1, 7, 1, "seven", 4, 2, 1, 5],
        "labeled_at": pd.to_datetime(["2024-03-05", "2024-03-06", "2024-03-05", "2024-03-06", "2024-03-06",
                                      "2024-03-05 08:00", "2024-03-07", "2024-03-09"], format="ISO8601"),
    })
    return predictions, feed


def test_the_latest_label_known_at_the_time_wins():
    predictions, feed = _tiny()
    assert labels.labels_as_of(predictions, feed, "2024-03-05 12:00").table["label"].tolist()[:2] == [1.0, 1.0]
    later = labels.labels_as_of(predictions, feed, "2024-03-08")
    # a_0: 1 then the correction 7; a_1: 1 twice (repeated); b_0: 'seven' is not a number, 2 is before its prediction
    assert later.table["label"].tolist()[:2] == [7.0, 1.0] and math.isnan(later.table["label"].iloc[2])
    assert later.report == {"received": 8, "pending": 1, "used": 2, "repeated": 1, "corrected": 1,
                            "non-numeric": 1, "unknown id": 1, "before prediction": 1}
    assert sorted(later.rejected["reason"]) == ["before prediction", "non-numeric", "unknown id"]
    # the last label of a_1 (5, on the 9th) is still pending on the 8th, and wins once known
    assert labels.labels_as_of(predictions, feed, "2024-03-09").table["label"].iloc[1] == 5.0


def test_ties_go_to_the_later_row_of_the_feed():
    predictions, _ = _tiny()
    feed = pd.DataFrame({"correlationid": ["a_0", "a_0"], "label": [3, 4],
                         "labeled_at": pd.to_datetime(["2024-03-05", "2024-03-05"])})
    assert labels.labels_as_of(predictions, feed, "2024-03-06").table["label"].iloc[0] == 4.0


def test_a_label_stamped_at_its_prediction_time_is_usable_and_one_stamped_at_as_of_is_known():
    predictions, _ = _tiny()
    feed = pd.DataFrame({"correlationid": ["a_0", "a_1", "b_0"], "label": [3, 4, 5],
                         "labeled_at": pd.to_datetime(["2024-03-04 10:00", "2024-03-04 09:59", "2024-03-06 00:00"])})
    joined = labels.labels_as_of(predictions, feed, "2024-03-06")
    assert joined.table["label"].iloc[[0, 2]].tolist() == [3.0, 5.0]        # same instant as the prediction; as_of
    assert math.isnan(joined.table["label"].iloc[1]) and joined.report["before prediction"] == 1


def test_every_label_row_is_accounted_for_on_a_generated_feed():
    predictions = _predictions(600, seed=2)
    feed = labels.ground_truth_feed(predictions, np.arange(600) % 10, seed=9)
    joined = labels.labels_as_of(predictions, feed.events, T0 + pd.Timedelta(days=30))
    report = joined.report
    assert report["pending"] == 0
    assert report["used"] + report["repeated"] + report["corrected"] + sum(feed.bad.values()) == report["received"]
    assert {key: report[key] for key in labels.REJECTIONS} == {
        "non-numeric": feed.bad["non-numeric"], "unknown id": feed.bad["unknown id"],
        "before prediction": feed.bad["before prediction"]}
    # once everything has arrived, each labelled prediction carries its true label
    merged = joined.table.merge(feed.answer, on="correlationid", suffixes=("", "_true"))
    labelled = merged[merged["fate"] != "missing"]
    assert (labelled["label"] == labelled["label_true"]).all() and merged.loc[merged["fate"] == "missing",
                                                                               "label"].isna().all()


def test_coverage_per_window():
    predictions, feed = _tiny()
    coverage = labels.labels_as_of(predictions, feed, "2024-03-08").coverage("1D")
    assert coverage["predictions"].tolist() == [2, 1] and coverage["coverage"].tolist() == [1.0, 0.0]


@pytest.mark.parametrize("change, words", [
    (lambda p, f: (p.drop(columns="time"), f), "predictions lacks"),
    (lambda p, f: (p, f.drop(columns="labeled_at")), "feed lacks"),
    (lambda p, f: (pd.concat([p, p.iloc[:1]]), f), "twice"),
    (lambda p, f: (p.assign(label=1), f), "already has a 'label'"),
])
def test_the_join_refuses_bad_tables(change, words):
    with pytest.raises(ValidationError, match=words):
        labels.labels_as_of(*change(*_tiny()), "2024-03-08")


# --- realized performance -------------------------------------------------------------------------
@pytest.mark.parametrize("successes, n", [(45, 50), (0, 10), (10, 10), (512, 600), (3, 7)])
def test_the_wilson_interval_is_the_score_test_inversion(successes, n):
    # the Wilson interval is every p whose score test does not reject: |p_hat - p| <= z sqrt(p(1-p)/n)
    z = stats.norm.ppf(0.975)
    grid = np.linspace(0, 1, 200001)
    inside = grid[np.abs(successes / n - grid) <= z * np.sqrt(grid * (1 - grid) / n) + 1e-12]
    low, high = labels.wilson_interval(successes, n)
    assert low == pytest.approx(inside.min(), abs=1e-5) and high == pytest.approx(inside.max(), abs=1e-5)


def test_labels_needed_is_the_smallest_count_that_is_narrow_enough():
    for width, accuracy in ((0.1, 0.9), (0.05, 0.95), (0.02, 0.5)):
        needed = labels.labels_needed(width, accuracy)

        def wide(n, p=accuracy):
            z = stats.norm.ppf(0.975)
            return 2 * z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)

        assert wide(needed) <= width < wide(needed - 1)
    assert labels.labels_needed(0.1, 0.9) == 141


def test_realized_accuracy_per_window():
    predictions, feed = _tiny()
    table = labels.labels_as_of(predictions, feed, "2024-03-08").table
    realized = labels.realized_accuracy(table, "1D")
    # day 1: a_0 predicted 7, label 7 (right); a_1 predicted 1, label 1 (right): 2 of 2; day 2: no label
    assert realized["accuracy"].iloc[0] == 1.0 and math.isnan(realized["accuracy"].iloc[1])
    assert tuple(realized[["low", "high"]].iloc[1]) == (0.0, 1.0)


def test_regression_metrics_and_their_bootstrap():
    assert labels.regression_metrics([1, 2, np.nan], [2, 4, 5]) == {
        "mean_absolute_error": 1.5, "mean_squared_error": 2.5, "root_mean_squared_error": math.sqrt(2.5)}
    rng = np.random.default_rng(1)
    actual = rng.normal(1.4, 0.3, 3000)
    low, high = labels.bootstrap_interval(actual, actual + rng.normal(0, 0.2, 3000))
    assert low < 0.2 * math.sqrt(2 / math.pi) < high  # E|N(0, 0.2)| = 0.2 sqrt(2/pi)


# --- estimation -----------------------------------------------------------------------------------
def test_ece_by_hand():
    # bins of 0.1: 0.95 x2 right (gap 0.05), 0.55 right and wrong (gap 0.05): ECE 0.05
    assert labels.expected_calibration_error([0.95, 0.95, 0.55, 0.55], [1, 1, 1, 0]) == pytest.approx(0.05)
    assert labels.expected_calibration_error([1.0, 1.0], [1, 0]) == pytest.approx(0.5)  # 1.0 is in the last bin


def test_a_calibrated_model_has_small_ece_and_its_estimate_is_its_accuracy():
    rng = np.random.default_rng(4)
    confidence = rng.uniform(0.3, 1.0, 20000)
    correct = rng.random(20000) < confidence
    assert labels.expected_calibration_error(confidence, correct) < 0.02
    overconfident = np.minimum(confidence + 0.2, 1.0)
    calibrator = labels.ConfidenceCalibrator().fit(overconfident, correct)
    fresh = rng.uniform(0.3, 1.0, 5000)
    assert calibrator.expected_accuracy(np.minimum(fresh + 0.2, 1.0)) == pytest.approx(fresh.mean(), abs=0.02)


def test_the_calibrator_refuses_misuse():
    with pytest.raises(ValidationError, match="not fitted"):
        labels.ConfidenceCalibrator().calibrate([0.5])
    with pytest.raises(ValidationError, match=r"\[0, 1\]"):
        labels.ConfidenceCalibrator().fit([1.2], [1])


# --- end to end on a served model ----------------------------------------------------------------
@pytest.fixture(scope="module")
def served(project):
    reference = scenarios.digits_reference()
    joblib.dump(LogisticRegression(max_iter=3000).fit(reference.X, reference.y), project.model_dir / "model.joblib")
    scenario = scenarios.make("concept", seed=2, days=4, requests_per_hour=10, onset="2024-03-06")
    with LocalEndpoint(project.score_script, project.model_dir) as endpoint:
        predictions = labels.serve_scenario(endpoint, scenario, name="concept", every="4h")
    return scenario, predictions


def test_served_predictions_map_back_to_their_scenario_rows(served):
    scenario, predictions = served
    assert len(predictions) == len(scenario) and predictions.attrs["refused"] == 0
    assert predictions["correlationid"].str.fullmatch(r"concept-\d{10}_\d+").all()
    assert (predictions["time"].to_numpy() == scenario.times.iloc[predictions["row"]].to_numpy()).all()
    assert predictions["confidence"].between(0, 1).all()


def test_estimation_misses_the_concept_shift_that_labels_show(served):
    scenario, predictions = served
    truth = scenario.y[predictions["row"].to_numpy()]
    table = predictions.assign(label=truth.astype(float))
    before = table["time"] < pd.Timestamp("2024-03-06")
    calibrator = labels.ConfidenceCalibrator().fit(table.loc[before, "confidence"],
                                                   table.loc[before, "prediction"] == table.loc[before, "label"])
    realized = labels.realized_accuracy(table, "2D")["accuracy"]
    estimated = labels.estimated_accuracy(table, calibrator, "2D")
    assert realized.iloc[1] < realized.iloc[0] - 0.05  # the 7s that are now 1s are all wrong
    assert abs(estimated.iloc[1] - estimated.iloc[0]) < 0.03  # confidence does not move


# --- durations: one vocabulary (src/mlcheckup/_validate.py) ----------------------------------------
@pytest.mark.parametrize("delay", ["day", "P1D", "1D", timedelta(hours=24)])
def test_the_feed_reads_every_spelling_of_its_median_delay(delay):
    predictions = _predictions(200)
    got = labels.ground_truth_feed(predictions, np.zeros(200, dtype=int), seed=5, median_delay=delay).events
    expected = labels.ground_truth_feed(predictions, np.zeros(200, dtype=int), seed=5,
                                        median_delay=pd.Timedelta(days=1)).events
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("freq", ["day", "P1D", "1D", timedelta(days=1)])
def test_accuracy_windows_read_every_spelling_of_a_day(freq):
    table = _predictions(400).assign(label=lambda t: np.where(np.arange(len(t)) % 3, t["prediction"], -1).astype(float),
                                     confidence=np.linspace(0.5, 1.0, 400))
    calibrator = labels.ConfidenceCalibrator().fit(table["confidence"], table["prediction"] == table["label"])
    realized, estimated = labels.realized_accuracy(table, freq), labels.estimated_accuracy(table, calibrator, freq)
    # an independent per-day count: windows start at midnight, one per calendar day of the week
    days = table["time"].dt.floor("D")
    assert list(realized.index) == list(estimated.index) == sorted(days.unique())
    np.testing.assert_array_equal(realized["predictions"], days.value_counts().sort_index())
    np.testing.assert_allclose(realized["accuracy"], (table["label"] == table["prediction"]).groupby(days).mean())


@pytest.mark.parametrize("freq, words", [(1, "a bare number has no unit"), ("month", "a month has no fixed length")])
def test_accuracy_windows_refuse_a_number_and_a_month_saying_what_to_pass(freq, words):
    table = _predictions(10).assign(label=1.0, confidence=0.9)
    for call in (lambda: labels.realized_accuracy(table, freq),
                 lambda: labels.estimated_accuracy(table, labels.ConfidenceCalibrator(), freq)):
        with pytest.raises(ValidationError, match=rf"^freq must be a positive duration such as .*\(got {freq!r}\); {words}"):
            call()
