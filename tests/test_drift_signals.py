"""The drift and data quality tables: typing, null drop, defaults, KS limit, windows, quality rates."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from mlcheckup import drift
from mlcheckup.errors import SchemaMismatchError, ValidationError


def frames(n_ref=400, n_prod=300, seed=0):
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({"price": rng.normal(1.2, 0.2, n_ref), "volume": rng.integers(0, 10**6, n_ref),
                        "region": rng.choice(["N", "S", "E"], n_ref), "size": rng.integers(1, 4, n_ref)})
    prod = pd.DataFrame({"price": rng.normal(1.5, 0.2, n_prod), "volume": rng.integers(0, 10**6, n_prod),
                         "region": rng.choice(["N", "S", "E"], n_prod), "size": rng.integers(1, 4, n_prod)})
    return ref, prod


# --- the table ------------------------------------------------------------------------------
def test_default_table_has_azure_columns_defaults_and_directions():
    ref, prod = frames()
    table = drift.compare(ref, prod)
    assert tuple(table.columns) == drift.DRIFT_COLUMNS
    rows = table.set_index("feature_name")
    assert rows.loc["price", "metric_name"] == "normalized_wasserstein_distance"
    assert rows.loc["region", "metric_name"] == "jensen_shannon_distance"
    assert set(rows["threshold_value"]) == {0.1}
    assert rows.loc["price", "breached"] and not rows.loc["region", "breached"]
    assert rows.loc["size", "data_type"] == "Categorical"      # 3 distinct ints / 400 rows < 5 %
    assert rows.loc["volume", "data_type"] == "Numerical"
    assert set(table.baseline_row_count) == {400} and set(table.target_row_count) == {300}


def test_metric_selection_and_thresholds():
    ref, prod = frames()
    table = drift.compare(ref, prod, numerical={"two_sample_kolmogorov_smirnov_test": 0.05,
                                                "population_stability_index": None},
                          categorical=["pearsons_chi_squared_test"])
    got = {(r.feature_name, r.metric_name): (r.threshold_value, r.breached) for r in table.itertuples()}
    assert got["price", "two_sample_kolmogorov_smirnov_test"] == (0.05, True)   # p-value below 0.05
    assert np.isnan(got["price", "population_stability_index"][0])
    assert got["price", "population_stability_index"][1] is pd.NA
    assert got["region", "pearsons_chi_squared_test"][1] is pd.NA             # no Azure default for chi2


@pytest.mark.parametrize("kind, bad, hint", [("categorical", "chi_squared_test", "pearsons_chi_squared_test"),
                                             ("categorical", "two_sample_kolmogorov_smirnov_test", "numerical"),
                                             ("numerical", "psi", "population_stability_index")])
def test_unknown_metric_names_say_what_to_use(kind, bad, hint):
    ref, prod = frames()
    with pytest.raises(ValidationError, match=hint):
        drift.compare(ref, prod, **{kind: bad})


def test_thresholds_are_checked():
    ref, prod = frames()
    with pytest.raises(ValidationError, match="between 0 and 1"):
        drift.compare(ref, prod, categorical={"pearsons_chi_squared_test": 5})


# --- columns, typing, nulls -------------------------------------------------------------------
def test_common_columns_by_name_and_family_and_skipped_reasons():
    ref, prod = frames()
    ref["only_ref"], prod["only_prod"] = 1.0, 1.0
    prod["volume"] = prod["volume"].astype(float)  # integer in the reference: no metric
    table = drift.compare(ref, prod)
    assert set(table.feature_name) == {"price", "region", "size"}
    assert "type family differs" in table.attrs["skipped_features"]["volume"]


def test_a_family_mismatch_column_still_drops_rows_with_nulls():
    ref, prod = frames()
    prod["volume"] = prod["volume"].astype(float)
    prod.loc[:9, "volume"] = np.nan
    table = drift.compare(ref, prod)
    assert set(table.target_row_count) == {290}


def test_row_wise_null_drop_and_null_as_a_distinct_value_for_typing():
    ref = pd.DataFrame({"code": pd.array([1, 2, None] * 30 + list(range(10)), dtype="Int64"),
                        "x": np.r_[np.full(99, 1.0), np.nan]})
    types = drift.feature_types(ref).set_index("feature_name")
    assert types.loc["code", "distinct_ratio"] == pytest.approx(11 / 100)  # 0..9 and None, counted once
    prod = ref.copy()
    table = drift.compare(ref, prod)
    assert set(table.baseline_row_count) == {100 - 30 - 1}


def test_feature_type_override_and_errors():
    ref, prod = frames()
    table = drift.compare(ref, prod, feature_type_override={"size": "numerical", "price": "categorical"})
    kinds = dict(zip(table.feature_name, table.data_type, strict=True))
    assert kinds["size"] == "Numerical" and kinds["price"] == "Categorical"
    with pytest.raises(ValidationError, match="cannot be typed numerical"):
        drift.compare(ref, prod, feature_type_override={"region": "numerical"})
    with pytest.raises(ValidationError, match="does not have"):
        drift.compare(ref, prod, feature_type_override={"nope": "numerical"})
    with pytest.raises(ValidationError, match="'numerical' or 'categorical'"):
        drift.compare(ref, prod, feature_type_override={"size": "ordinal"})


def test_features_and_exclude_and_schema_errors():
    ref, prod = frames()
    assert set(drift.compare(ref, prod, features=["price"]).feature_name) == {"price"}
    assert "region" not in set(drift.compare(ref, prod, exclude=["region"]).feature_name)
    with pytest.raises(SchemaMismatchError, match="missing from the production window"):
        drift.compare(ref, prod.drop(columns="price"), features=["price", "region"])
    with pytest.raises(SchemaMismatchError, match="not columns of the reference"):
        drift.compare(ref, prod, features=["prize"])
    with pytest.raises(SchemaMismatchError, match="No common columns"):
        drift.compare(ref, prod.rename(columns=str.upper))


def test_an_empty_window_after_the_null_drop_is_an_error():
    ref, prod = frames()
    prod["price"] = np.nan
    with pytest.raises(ValidationError, match=r"0 rows|production window 0"):
        drift.compare(ref, prod)


def test_infinite_values_are_refused_with_a_reason():
    ref, prod = frames()
    prod.loc[3, "price"] = np.inf
    with pytest.raises(ValidationError, match="'price' holds infinite values"):
        drift.compare(ref, prod)


def test_categories_and_booleans_and_datetimes_are_categorical():
    ref = pd.DataFrame({"flag": [True, False] * 50, "day": pd.date_range("2024-01-01", periods=100, freq="D"),
                        "kind": pd.Categorical(["a", "b"] * 50)})
    assert set(drift.feature_types(ref).data_type) == {"Categorical"}
    table = drift.compare(ref, ref.iloc[:40])
    assert set(table.data_type) == {"Categorical"}


# --- KS limit inside a signal -----------------------------------------------------------------
def test_ks_limit_in_a_signal_raise_nan_compute():
    ref, prod = frames(n_ref=10_000, n_prod=200)
    with pytest.raises(drift.KSRowLimitError, match="whole signal fails"):
        drift.compare(ref, prod, numerical="two_sample_kolmogorov_smirnov_test")
    nan = drift.compare(ref, prod, numerical="all", ks_row_limit="nan")
    ks = nan[nan.metric_name == "two_sample_kolmogorov_smirnov_test"]
    assert ks.metric_value.isna().all() and ks.note.str.contains("10,000").all()
    assert nan[nan.metric_name != "two_sample_kolmogorov_smirnov_test"].note.eq("").all()
    computed = drift.compare(ref, prod, numerical="all", ks_row_limit="compute")
    assert computed.metric_value.notna().all()
    # the default metric set has no KS, so big windows are fine
    assert len(drift.compare(ref, prod)) == 4


# --- Reference caching, prediction drift, Azure's layout ------------------------------------
def test_reference_caches_one_prepared_window_per_column_set():
    ref, prod = frames()
    cached = drift.Reference(ref)
    cached.compare(prod)
    cached.compare(prod.iloc[:100])
    assert len(cached._windows) == 1
    cached.compare(prod.drop(columns="region"))
    assert len(cached._windows) == 2
    with pytest.raises(ValidationError, match="belong to the Reference"):
        drift.compare(cached, prod, features=["price"])


def test_prediction_drift_is_the_same_computation():
    ref, prod = frames()
    pd.testing.assert_frame_equal(drift.prediction_drift(ref[["size"]], prod[["size"]]),
                                  drift.compare(ref[["size"]], prod[["size"]]))


def test_azure_signal_output_layout():
    ref, prod = frames()
    out = drift.azure_signal_output(drift.compare(ref, prod))
    assert list(out.columns) == ["feature_name", "metric_value", "data_type", "metric_name", "group", "group_pivot",
                                 "threshold_value"]
    assert out.metric_value.dtype == np.float32
    assert out.metric_name.tolist()[-2:] == ["BaselineRowCount", "TargetRowCount"]
    assert "NormalizedWassersteinDistance" in set(out.metric_name)


# --- windows ----------------------------------------------------------------------------------
@pytest.mark.parametrize("frequency, interval, expected", [
    ("minute", 5, ("P1D", "P0D", "P2D", "P1D")), ("hour", 1, ("P1D", "P0D", "P2D", "P1D")),
    ("day", 3, ("P3D", "P0D", "P6D", "P3D")), ("week", 2, ("P14D", "P0D", "P28D", "P14D")),
    ("month", 1, ("P30D", "P0D", "P60D", "P30D")), (None, 1, ("P7D", "P0D", "P14D", "P7D")),
])
def test_default_windows_match_the_sdk_table(frequency, interval, expected):
    windows = drift.default_windows(frequency, interval)
    assert (windows.production_size, windows.production_offset, windows.reference_size,
            windows.reference_offset) == expected


def test_default_windows_agree_with_the_sdk_itself():
    from azure.ai.ml.entities import RecurrenceTrigger

    from mlcheckup import model_monitor

    for frequency, interval in (("hour", 2), ("day", 3), ("week", 1), ("month", 2)):
        schedule = model_monitor.monitor_schedule("m", emails=["a@example.com"], frequency=frequency, interval=interval,
                                            signals={"d": model_monitor.data_drift_signal("azureml:t:1",
                                                                                    production="azureml:p:1")})
        assert isinstance(schedule.trigger, RecurrenceTrigger)
        rest = schedule._to_rest_object().properties.action.monitor_definition.signals["d"].as_dict()
        assert rest["productionData"]["windowSize"] == drift.default_windows(frequency, interval).production_size


def test_parse_duration_and_run_times():
    assert drift.parse_duration("P7D") == pd.Timedelta(days=7)
    assert drift.parse_duration("PT12H") == pd.Timedelta(hours=12)
    assert drift.parse_duration("P1W") == pd.Timedelta(days=7)
    with pytest.raises(ValidationError, match="ISO-8601"):
        drift.parse_duration("7 days")
    times = drift.run_times("2024-01-01", "2024-03-01", "month")
    assert list(times.month) == [1, 2, 3]
    with pytest.raises(ValidationError, match="frequency must be one of"):
        drift.run_times("2024-01-01", "2024-01-02", "fortnight")


def _log(days=21, per_day=48, shift_from="2024-01-11", seed=0):
    rng = np.random.default_rng(seed)
    times = pd.date_range("2024-01-01", periods=days * per_day, freq=pd.Timedelta(days=1) / per_day)
    price = rng.normal(1.2, 0.2, len(times)) + (times >= shift_from) * 0.4
    return pd.DataFrame({"ts": times, "price": price, "region": rng.choice(["N", "S"], len(times))})


def test_over_time_uses_the_default_window_and_finds_the_onset():
    ref = _log(days=10, per_day=480, shift_from="2099-01-01", seed=1).drop(columns="ts")
    monitor = drift.DriftDetector(ref, frequency="day", interval=2)
    table = monitor.over_time(_log(per_day=480), time_column="ts")
    first = table.iloc[0]
    assert first.run_time == pd.Timestamp("2024-01-03")                   # one 2-day window after the start
    assert first.window_end - first.window_start == pd.Timedelta(days=2)  # P{N}D
    price = table[table.feature_name == "price"].set_index("window_end")
    assert not price.loc[:"2024-01-11", "breached"].any()
    assert price.loc["2024-01-13":, "breached"].all()
    assert "ts" not in set(table.feature_name)
    assert len(monitor.history) == len(table)


def test_over_time_windows_are_half_open_and_empty_windows_are_listed():
    log = _log(days=6, per_day=1)                            # one row a day at midnight
    log = log[log.ts != "2024-01-03"]
    monitor = drift.DriftDetector(log.drop(columns="ts"), frequency="day")
    table = monitor.over_time(log, time_column="ts")
    assert set(table.target_row_count) == {1}                  # [t - 1 day, t) holds exactly one midnight
    assert pd.Timestamp("2024-01-04") in table.attrs["empty_windows"]


def test_monitor_can_run_data_quality_and_explicit_windows():
    ref = _log(days=5).drop(columns="ts")
    log = _log()
    log.loc[log.index[-30:], "price"] = np.nan
    quality = drift.DriftDetector(ref, signal="data_quality", frequency="day", production_window="P3D")
    table = quality.over_time(log, time_column="ts")
    nulls = table[(table.metric_name == "null_value_rate") & (table.feature_name == "price")]
    assert nulls.breached.iloc[-1] and not nulls.breached.iloc[0]
    assert (table.window_end - table.window_start).eq(pd.Timedelta(days=3)).all()
    with pytest.raises(ValidationError, match="signal must be one of"):
        drift.DriftDetector(ref, signal="model_performance")


# --- data quality -----------------------------------------------------------------------------
def test_data_quality_rates_by_hand():
    ref = pd.DataFrame({"price": [1.0, 2.0, 3.0, 4.0], "type": ["a", "b", "a", "b"], "count": [1, 2, 3, 4],
                        "flag": [True, False, True, True]})
    prod = pd.DataFrame({"price": [0.5, None, 2.0, 9.0, 4.0, 3.0, 1.0, 1.0],
                         "type": ["a", "c", None, "b", "b", "z", "a", "a"],
                         "count": pd.array([1, 2, None, 5, 1, 1, 1, 1], dtype="Int64"),
                         "flag": [True, None, False, True, True, True, True, True]})
    table = drift.data_quality(ref, prod)
    rate = {(r.feature_name, r.metric_name): r.metric_value for r in table.itertuples()}
    assert rate["price", "null_value_rate"] == 0.125 and rate["price", "out_of_bounds_rate"] == 0.25
    assert rate["type", "out_of_bounds_rate"] == 0.25 and rate["type", "null_value_rate"] == 0.125
    assert rate["count", "out_of_bounds_rate"] == 0.125
    assert rate["flag", "out_of_bounds_rate"] == 0.0 and rate["flag", "null_value_rate"] == 0.125
    kinds = dict(zip(table.feature_name, table.data_type, strict=False))
    assert kinds == {"price": "Numerical", "type": "Categorical", "count": "Numerical", "flag": "Categorical"}
    assert set(table.threshold_value) == {0.0}
    assert table.set_index(["feature_name", "metric_name"]).loc[("price", "data_type_error_rate"), "breached"] == False  # noqa: E712


def test_data_quality_type_errors_and_rounding():
    ref = pd.DataFrame({"price": [1.0, 2.0], "when": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                        "ok": [True, False]})
    prod = pd.DataFrame({"price": ["1.5", "abc", " 2 ", None, "x", "3"] * 50 + ["4"],
                         "when": ["2024-01-05", "not a date", None, "2024-02-01", "2024-03-01", "2024-04-01"] * 50 + ["x"],
                         "ok": ["true", "NO", "maybe", "1", None, "f"] * 50 + ["t"]})
    rate = {(r.feature_name, r.metric_name): r.metric_value for r in drift.data_quality(ref, prod).itertuples()}
    assert rate["price", "data_type_error_rate"] == round(100 / 301, 5)
    assert rate["when", "data_type_error_rate"] == round(51 / 301, 5)
    assert rate["ok", "data_type_error_rate"] == round(50 / 301, 5)
    assert rate["price", "null_value_rate"] == 0.16611  # 50 / 301 = 0.166112...


def test_data_quality_metric_selection():
    ref, prod = frames()
    table = drift.data_quality(ref, prod, numerical={"out_of_bounds_rate": 0.05}, categorical=["null_value_rate"])
    assert set(table.metric_name) == {"out_of_bounds_rate", "null_value_rate"}
    with pytest.raises(ValidationError, match="not a quality metric"):
        drift.data_quality(ref, prod, numerical=["jensen_shannon_distance"])


def test_data_quality_types_a_column_on_the_reference():
    ref = pd.DataFrame({"bags": np.arange(100.0)})
    window = ref.astype({"bags": object})
    window.loc[3, "bags"] = "n/a"  # the window's column is now text
    table = drift.data_quality(ref, window, numerical={"data_type_error_rate": 0.0}, categorical={"null_value_rate": 0.5})
    assert set(table["data_type"]) == {"Numerical"}
    assert table.set_index("metric_name").loc["data_type_error_rate", "violation_count"] == 1


@pytest.mark.parametrize("window", ["P7D", "7D", "week", "P1W", pd.Timedelta(days=7), datetime.timedelta(days=7)])
def test_drift_monitor_takes_every_spelling_of_a_duration(window):
    reference = pd.DataFrame({"x": np.arange(20.0)})
    monitor = drift.DriftDetector(reference, frequency="day", production_window=window)
    assert monitor.production_size == pd.Timedelta(days=7)


@pytest.mark.parametrize("window, words", [(7, "a bare number has no unit"), ("month", "no fixed length"),
                                           ("-5min", "got '-5min'"), ("P", "ISO 8601 durations look like")])
def test_drift_monitor_refuses_a_duration_and_says_how_to_write_one(window, words):
    with pytest.raises(ValidationError, match=r"production_window must be a positive duration such as 'PT5M'") as caught:
        drift.DriftDetector(pd.DataFrame({"x": np.arange(20.0)}), production_window=window)
    assert words in str(caught.value)
