"""MonitorSchedule builders: YAML round trip with the SDK, the known traps refused, the local bridge."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from azure.ai.ml.entities import (
    CategoricalDriftMetrics,
    DataDriftMetricThreshold,
    DataDriftSignal,
    DataQualitySignal,
    MonitorSchedule,
    NumericalDriftMetrics,
    PredictionDriftSignal,
    ReferenceData,
)

from mlcheckup import drift, model_monitor
from mlcheckup.errors import ValidationError
from mlcheckup.model_monitor import MonitorConfigError, local_signals

TRAIN = "azureml:avocado-train:1"
EMAILS = ["ops@example.com"]


def full_schedule(**options):
    signals = {
        "data-drift": model_monitor.data_drift_signal(TRAIN, features=["price", "region"],
                                                numerical=("population_stability_index", 0.2),
                                                categorical={"pearsons_chi_squared_test": 0.01},
                                                feature_type_override={"size": "categorical"}),
        "prediction-drift": model_monitor.prediction_drift_signal(TRAIN, production="azureml:ep-blue-model_outputs:1",
                                                            production_window="P3D"),
        "data-quality": model_monitor.data_quality_signal(TRAIN, thresholds={"null_value_rate": 0.01,
                                                                       "out_of_bounds_rate": 0.02}),
    }
    return model_monitor.monitor_schedule("avocado-monitor", endpoint="avocado", deployment="blue", emails=EMAILS,
                                    signals=signals, **options)


# --- round trip -------------------------------------------------------------------------------
def test_builders_return_sdk_entities_that_survive_the_yaml_round_trip():
    schedule = full_schedule(frequency="week", interval=1, hours=6)
    loaded = model_monitor.validate(schedule)
    assert isinstance(loaded, MonitorSchedule)
    signals = loaded.create_monitor.monitoring_signals
    assert isinstance(signals["data-drift"], DataDriftSignal)
    assert isinstance(signals["prediction-drift"], PredictionDriftSignal)
    assert isinstance(signals["data-quality"], DataQualitySignal)
    assert loaded.create_monitor.alert_notification.emails == EMAILS
    assert loaded.create_monitor.monitoring_target.endpoint_deployment_id == "azureml:avocado:blue"
    assert loaded.trigger.frequency == "week" and loaded.create_monitor.compute.runtime_version == "3.4"
    assert signals["data-drift"].feature_type_override == {"size": "categorical"}


def test_yaml_text_loads_back():
    text = model_monitor.to_yaml(full_schedule())
    assert "pearsons_chi_squared_test: 0.01" in text and "runtime_version: '3.4'" in text
    assert isinstance(model_monitor.load_yaml(text), MonitorSchedule)


def test_sent_thresholds_show_what_azure_receives():
    sent = model_monitor.sent_thresholds(full_schedule())
    rows = {(r.signal, r.data_type, r.metric_name): r.threshold for r in sent.itertuples()}
    assert rows["data-drift", "Numerical", "population_stability_index"] == 0.2
    assert rows["data-drift", "Categorical", "pearsons_chi_squared_test"] == 0.01
    assert rows["prediction-drift", "Numerical", "normalized_wasserstein_distance"] == 0.1
    assert rows["data-quality", "Categorical", "out_of_bounds_rate"] == 0.02
    assert len(sent) == 2 + 2 + 4


def test_cron_trigger_and_runtime_3_5():
    loaded = model_monitor.validate(full_schedule(cron="0 3 * * 1", runtime_version="3.5"))
    assert loaded.trigger.expression == "0 3 * * 1"


# --- traps refused by the builders ------------------------------------------------------------
@pytest.mark.parametrize("version", ["3.3", "3.2", 3.4])
def test_runtime_version_other_than_3_4_or_3_5(version):
    if version == 3.4:
        assert model_monitor.validate(full_schedule(runtime_version=version))  # the number is accepted as "3.4"
        return
    with pytest.raises(MonitorConfigError, match=r"runtime_version must be one of \('3.4', '3.5'\).*got '3.3'|got"):
        full_schedule(runtime_version=version)


def test_chi_squared_test_is_refused_with_the_right_name():
    with pytest.raises(MonitorConfigError, match="did you mean pearsons_chi_squared_test"):
        model_monitor.data_drift_signal(TRAIN, categorical=("chi_squared_test", 0.05))


def test_only_one_metric_per_feature_type():
    with pytest.raises(MonitorConfigError, match="sends only one metric per feature type"):
        model_monitor.data_drift_signal(TRAIN, numerical={"jensen_shannon_distance": 0.1,
                                                    "normalized_wasserstein_distance": 0.1})


@pytest.mark.parametrize("kind, spec", [("numerical", ("jensen_shannon_distance", 0)),
                                        ("categorical", {"pearsons_chi_squared_test": 0.0})])
def test_zero_drift_thresholds_are_refused(kind, spec):
    with pytest.raises(MonitorConfigError, match=r"silently dropped.*1e-6"):
        model_monitor.data_drift_signal(TRAIN, **{kind: spec})


def test_zero_quality_thresholds_are_fine():
    schedule = model_monitor.monitor_schedule("q", emails=EMAILS, signals={"q": model_monitor.data_quality_signal(TRAIN)})
    sent = model_monitor.sent_thresholds(schedule)
    assert len(sent) == 6 and set(sent.threshold) == {0.0}


@pytest.mark.parametrize("emails", [[], None, ["not-an-address"]])
def test_emails_are_required(emails):
    with pytest.raises(MonitorConfigError, match=r"emails|email addresses"):
        model_monitor.monitor_schedule("m", emails=emails, signals={"d": model_monitor.data_drift_signal(TRAIN)})


def test_other_bad_arguments():
    signal = {"d": model_monitor.data_drift_signal(TRAIN)}
    with pytest.raises(MonitorConfigError, match="instance_type"):
        model_monitor.monitor_schedule("m", emails=EMAILS, signals=signal, instance_type="standard_ds3_v2")
    with pytest.raises(MonitorConfigError, match="both endpoint and deployment"):
        model_monitor.monitor_schedule("m", emails=EMAILS, signals=signal, endpoint="avocado")
    with pytest.raises(MonitorConfigError, match="signals is empty"):
        model_monitor.monitor_schedule("m", emails=EMAILS, signals={})
    with pytest.raises(MonitorConfigError, match="give 'population_stability_index' a threshold"):
        model_monitor.data_drift_signal(TRAIN, numerical="population_stability_index")
    with pytest.raises(MonitorConfigError, match="needs production data"):
        model_monitor.data_drift_signal(TRAIN, production_window="P7D")
    with pytest.raises(ValidationError, match=r"production_window must be a positive duration .*\(got 'month'\)"):
        model_monitor.data_drift_signal(TRAIN, production="azureml:p:1", production_window="month")
    with pytest.raises(MonitorConfigError, match="not a quality metric"):
        model_monitor.data_quality_signal(TRAIN, thresholds={"null_rate": 0.1})
    assert issubclass(MonitorConfigError, ValueError)


# --- traps caught by validate() in hand-built entities ----------------------------------------------
def raw_drift_signal(**metrics):
    reference = ReferenceData(input_data=model_monitor.data_input(TRAIN), data_context="training")
    return DataDriftSignal(reference_data=reference, metric_thresholds=DataDriftMetricThreshold(
        numerical=NumericalDriftMetrics(**metrics), categorical=CategoricalDriftMetrics(jensen_shannon_distance=0.1)))


def test_validate_catches_the_sdk_dropping_a_second_metric_or_a_zero():
    for metrics in ({"jensen_shannon_distance": 0.1, "normalized_wasserstein_distance": 0.2},
                    {"jensen_shannon_distance": 0.0, "normalized_wasserstein_distance": 0.2}):
        schedule = model_monitor.monitor_schedule("m", emails=EMAILS, signals={"raw": raw_drift_signal(**metrics)})
        with pytest.raises(MonitorConfigError, match="does not send"):
            model_monitor.validate(schedule)


def test_validate_catches_a_wrong_runtime_set_after_building():
    schedule = full_schedule()
    schedule.create_monitor.compute.runtime_version = "3.3"
    with pytest.raises(MonitorConfigError, match=r"Compute runtime version must be one of: 3.4, 3.5"):
        model_monitor.validate(schedule)


def test_validate_catches_categorical_quality_thresholds_replaced_by_numerical(monkeypatch):
    # DataQualityMetricThreshold._to_rest_object has this bug; DataQualitySignal does not use it in
    # 1.35.2. Route the signal through it, as azure-api.md §2.4 describes, and validate must notice.
    signal = model_monitor.data_quality_signal(TRAIN, numerical={"null_value_rate": 0.01},
                                         categorical={"out_of_bounds_rate": 0.02})
    schedule = model_monitor.monitor_schedule("m", emails=EMAILS, signals={"q": signal})
    assert model_monitor.validate(schedule)
    import azure.ai.ml.entities._monitoring.signals as signals_module

    monkeypatch.setattr(signals_module, "_to_rest_data_quality_metrics",
                        lambda numerical, categorical: type(signal.metric_thresholds)(
                            numerical=numerical, categorical=categorical)._to_rest_object())
    with pytest.raises(MonitorConfigError, match=r"does not send|numerical values"):
        model_monitor.validate(schedule)


def test_load_yaml_unwraps_the_schema_error_to_its_first_branch():
    text = model_monitor.to_yaml(full_schedule()).replace("pearsons_chi_squared_test", "chi_squared_test")
    with pytest.raises(MonitorConfigError) as caught:
        model_monitor.load_yaml(text)
    message = str(caught.value)
    assert "create_monitor.monitoring_signals.data-drift.metric_thresholds.categorical.chi_squared_test: " \
           "Unknown field." in message
    assert "use pearsons_chi_squared_test" in message
    assert "data_quality" not in message  # the other union branches are not shown


def test_the_branch_shown_is_the_signal_s_own_schema():
    text = model_monitor.to_yaml(full_schedule()).replace("null_value_rate", "null_rate", 1)
    with pytest.raises(MonitorConfigError) as caught:
        model_monitor.load_yaml(text)
    assert str(caught.value).endswith(
        "create_monitor.monitoring_signals.data-quality.metric_thresholds.numerical.null_rate: Unknown field.")
    assert "not in set" not in str(caught.value)


def test_load_yaml_reads_paths_and_text_and_never_writes(tmp_path, monkeypatch):
    """F5: a missing path is "no file", one-line YAML is text, and nothing is written to the working folder."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MonitorConfigError, match=r"no file missing\.yml"):
        model_monitor.load_yaml("missing.yml")
    with pytest.raises(MonitorConfigError, match=r"no file .*nope\.yml"):
        model_monitor.load_yaml(tmp_path / "nope.yml")
    with pytest.raises(MonitorConfigError, match="the Azure ML schema rejects this monitor"):
        model_monitor.load_yaml("name: m")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "monitor.yml").write_text(model_monitor.to_yaml(full_schedule()))
    assert isinstance(model_monitor.load_yaml("monitor.yml"), MonitorSchedule)
    assert [p.name for p in tmp_path.iterdir()] == ["monitor.yml"]


# --- the local bridge -------------------------------------------------------------------------
def test_local_signals_read_what_is_sent():
    signals = local_signals(full_schedule(frequency="day", interval=2))
    drift_signal = signals["data-drift"]
    assert drift_signal.signal == "data_drift"
    assert drift_signal.numerical == {"population_stability_index": 0.2}
    assert drift_signal.categorical == {"pearsons_chi_squared_test": 0.01}
    assert drift_signal.features == ["price", "region"] and drift_signal.production_window == "P2D"
    assert signals["prediction-drift"].production_window == "P3D"
    assert signals["data-quality"].numerical == {"null_value_rate": 0.01, "out_of_bounds_rate": 0.02}


def test_local_signal_evaluates_like_drift_compare():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"price": rng.normal(size=300), "region": rng.choice(["N", "S"], 300),
                        "size": rng.integers(0, 3, 300)})
    prod = pd.DataFrame({"price": rng.normal(0.5, size=200), "region": rng.choice(["N", "S"], 200),
                         "size": rng.integers(0, 3, 200)})
    signals = local_signals(full_schedule())
    table = signals["data-drift"].evaluate(ref, prod)
    expected = drift.compare(ref, prod, features=["price", "region"], numerical={"population_stability_index": 0.2},
                             categorical={"pearsons_chi_squared_test": 0.01})
    pd.testing.assert_frame_equal(table, expected)
    # F24: and independently of drift.compare, PSI of price as Azure defines it, in plain numpy:
    # Sturges bins on the smaller window over the combined range, +1 per bin, natural log
    k = int(np.ceil(np.log2(min(len(ref), len(prod))) + 1))
    lo, hi = min(ref.price.min(), prod.price.min()), max(ref.price.max(), prod.price.max())
    edges = lo + np.arange(k + 1) * (hi - lo) / k
    p = (np.histogram(ref.price, edges)[0] + 1) / (len(ref) + k)
    q = (np.histogram(prod.price, edges)[0] + 1) / (len(prod) + k)
    psi_price = table.set_index("feature_name").loc["price", "metric_value"]
    assert psi_price == pytest.approx(float(np.sum((q - p) * np.log(q / p))), rel=1e-12)
    quality = signals["data-quality"].evaluate(ref, prod)
    assert set(quality.metric_name) == {"null_value_rate", "out_of_bounds_rate"}
    watcher = signals["data-drift"].detector(ref)
    assert watcher.production_size == pd.Timedelta(days=1)


def test_one_metric_spec_everywhere():
    """F28: (name, threshold) means the same to drift.compare, DriftDetector and the monitor builders."""
    rng = np.random.default_rng(1)
    ref, prod = pd.DataFrame({"price": rng.normal(size=200)}), pd.DataFrame({"price": rng.normal(0.3, size=150)})
    as_tuple = drift.compare(ref, prod, numerical=("population_stability_index", 0.2))
    pd.testing.assert_frame_equal(as_tuple, drift.compare(ref, prod, numerical={"population_stability_index": 0.2}))
    signal = model_monitor.data_drift_signal(TRAIN, numerical=["normalized_wasserstein_distance"],
                                       categorical=("pearsons_chi_squared_test", 0.01))
    assert signal.metric_thresholds.numerical.normalized_wasserstein_distance == 0.1  # the SDK default
    with pytest.raises(MonitorConfigError, match="give 'population_stability_index' a threshold"):
        model_monitor.data_drift_signal(TRAIN, numerical=["population_stability_index"])
    with pytest.raises(MonitorConfigError, match="sends only one metric per feature type"):
        model_monitor.data_drift_signal(TRAIN, numerical="all")


def test_one_feature_type_override_check_everywhere():
    """F28: the monitor builders refuse a bad override with drift's own message."""
    ref = pd.DataFrame({"size": [1, 2, 3] * 10})
    with pytest.raises(ValidationError) as from_drift:
        drift.compare(ref, ref, feature_type_override={"size": "ordinal"})
    with pytest.raises(MonitorConfigError) as from_monitor:
        model_monitor.data_drift_signal(TRAIN, feature_type_override={"size": "ordinal"})
    assert str(from_monitor.value) == str(from_drift.value)


# --- issue 20: Microsoft's examples (see also tests/test_azureml_examples.py) ----------------------
def out_of_box(**options):
    return model_monitor.monitor_schedule("oob", endpoint="credit-default", deployment="main", emails=EMAILS, **options)


def test_an_out_of_box_monitor_gets_the_default_signals_the_create_call_adds():
    loaded = model_monitor.validate(out_of_box())
    assert sorted(loaded.create_monitor.monitoring_signals) == sorted(model_monitor.DEFAULT_SIGNALS)
    sent = model_monitor.sent_thresholds(out_of_box())
    assert len(sent) == 10 and set(sent["signal"]) == set(model_monitor.DEFAULT_SIGNALS)
    assert sorted(local_signals(out_of_box())) == sorted(model_monitor.DEFAULT_SIGNALS)


def test_an_out_of_box_monitor_needs_a_deployment_collecting_inputs_and_outputs():
    with pytest.raises(MonitorConfigError, match="no endpoint is given"):
        model_monitor.monitor_schedule("oob", emails=EMAILS)
    from azure.ai.ml.entities import (
        MonitorDefinition,
        MonitorSchedule,
        RecurrenceTrigger,
        ServerlessSparkCompute,
    )
    bare = MonitorSchedule(name="m", trigger=RecurrenceTrigger(frequency="day", interval=1),
                           create_monitor=MonitorDefinition(compute=ServerlessSparkCompute(
                               runtime_version="3.4", instance_type="standard_e4s_v3")))
    with pytest.raises(MonitorConfigError, match="An ARM id for a deployment"):
        model_monitor.validate(bare)

    class Collection:
        enabled = "true"

    class Deployment:
        name = "main"
        data_collector = type("DC", (), {"collections": {"model_inputs": Collection()}})()

    with pytest.raises(MonitorConfigError, match="does not collect model_outputs"):
        model_monitor.validate(out_of_box(), deployment=Deployment())


def test_top_n_features_is_a_filter_not_a_column_name():
    for features in ({"top_n_feature_importance": 10}, model_monitor.top_features(10)):
        signal = model_monitor.data_drift_signal(TRAIN, features=features, target_column="label")
        assert signal.features.top_n_feature_importance == 10
        rest = signal._to_rest_object(default_data_window_size="P7D").as_dict()
        assert rest["features"] == {"top": 10, "filterType": "TopNByAttribution"}
    with pytest.raises(MonitorConfigError, match="target_column"):
        model_monitor.data_drift_signal(TRAIN, features=model_monitor.top_features(5))
    with pytest.raises(ValidationError, match=r"top_n_feature_importance must be a whole number from 1 \(got 0\); e.g. 10"):
        model_monitor.top_features(0)


def _labelled(n=600, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: rng.normal(size=n) for name in ("strong", "medium", "noise1", "noise2", "noise3")})
    frame["label"] = np.where(3 * frame["strong"] + frame["medium"] + rng.normal(0, 0.3, n) > 0, "yes", "no")
    return frame


def test_a_top_n_signal_runs_locally_on_the_most_important_features():
    schedule = model_monitor.monitor_schedule("m", emails=EMAILS, signals={"drift": model_monitor.data_drift_signal(
        TRAIN, features=model_monitor.top_features(2), target_column="label")})
    signal = local_signals(schedule)["drift"]
    assert signal.top_n == 2 and signal.target_column == "label" and signal.notes
    reference, production = _labelled(), _labelled(seed=1)
    table = signal.evaluate(reference, production)
    assert sorted(table["feature_name"]) == ["medium", "strong"]
    assert sorted(signal.detector(reference).reference.columns) == ["medium", "strong"]


def test_feature_attribution_drift_sends_its_threshold_and_runs_locally():
    schedule = model_monitor.monitor_schedule("m", endpoint="ep", deployment="blue", emails=EMAILS, signals={
        "fad": model_monitor.feature_attribution_drift_signal(TRAIN, target_column="label", threshold=0.9)})
    sent = model_monitor.sent_thresholds(schedule)
    assert sent[["signal", "metric_name", "threshold"]].values.tolist() == [
        ["fad", "normalized_discounted_cumulative_gain", 0.9]]
    signal = local_signals(schedule)["fad"]
    reference = _labelled()
    same = signal.evaluate(reference, _labelled(seed=1))
    assert same["metric_value"].iloc[0] > 0.9 and not same["breached"].iloc[0]
    flipped = _labelled(seed=2)
    flipped["label"] = np.where(3 * flipped["noise1"] + flipped["noise2"] > 0, "yes", "no")
    changed = signal.evaluate(reference, flipped)
    assert changed["metric_value"].iloc[0] < 0.9 and changed["breached"].iloc[0]


def test_prediction_drift_may_watch_one_feature_type_only():
    signal = model_monitor.prediction_drift_signal(TRAIN, numerical={}, categorical=("pearsons_chi_squared_test", 0.02))
    schedule = model_monitor.monitor_schedule("m", emails=EMAILS, endpoint="ep", deployment="blue",
                                        signals={"pred": signal})
    sent = model_monitor.sent_thresholds(schedule)
    assert sent[["data_type", "metric_name", "threshold"]].values.tolist() == [
        ["Categorical", "pearsons_chi_squared_test", 0.02]]
    with pytest.raises(MonitorConfigError, match="both empty"):
        model_monitor.prediction_drift_signal(TRAIN, numerical={}, categorical={})


def test_alerts_are_off_by_default_as_in_the_sdk_and_quality_takes_a_target_column():
    assert not model_monitor.data_drift_signal(TRAIN).alert_enabled
    assert not model_monitor.prediction_drift_signal(TRAIN).alert_enabled
    assert not model_monitor.data_quality_signal(TRAIN).alert_enabled
    assert model_monitor.data_drift_signal(TRAIN, alert=True).alert_enabled
    quality = model_monitor.data_quality_signal(TRAIN, target_column="label")
    assert quality.reference_data.data_column_names == {"target_column": "label"}


def test_triggers_take_week_days_time_zones_several_times_or_no_time_of_day():
    schedule = model_monitor.monitor_schedule(
        "m", emails=EMAILS, frequency="week", hours=[22, 20], minutes=[0, 30], week_days=["monday", "friday"],
        time_zone="W. Europe Standard Time", signals={"d": model_monitor.data_drift_signal(TRAIN)})
    trigger = model_monitor.rest_payload(schedule)["properties"]["trigger"]
    assert trigger["schedule"] == {"hours": [22, 20], "minutes": [0, 30], "weekDays": ["monday", "friday"]}
    assert trigger["timeZone"] == "W. Europe Standard Time"
    plain = model_monitor.monitor_schedule("m", emails=EMAILS, interval=7, hours=None,
                                     signals={"d": model_monitor.data_drift_signal(TRAIN)})
    assert model_monitor.rest_payload(plain)["properties"]["trigger"]["schedule"] == {"hours": [], "minutes": []}
    with pytest.raises(MonitorConfigError, match="week_days"):
        model_monitor.monitor_schedule("m", emails=EMAILS, week_days=["funday"], signals={"d": model_monitor.data_drift_signal(TRAIN)})


def test_a_signal_that_cannot_run_locally_is_named_and_still_validates():
    schedule = model_monitor.monitor_schedule("m", emails=EMAILS, signals={
        "d": model_monitor.data_drift_signal(TRAIN),
        "mine": model_monitor.custom_signal("azureml:my_signal:1", metric_thresholds={"std_dev": 2})})
    model_monitor.validate(schedule)
    assert model_monitor.sent_thresholds(schedule)["metric_name"].tolist()[-1] == "std_dev"
    with pytest.raises(MonitorConfigError, match="'mine': a custom signal runs your own Spark component"):
        local_signals(schedule)
    assert sorted(local_signals(schedule, skip_unsupported=True)) == ["d"]


def test_question_answering_is_spelt_as_the_schema_spells_it():
    with pytest.raises(MonitorConfigError, match="questionanswering"):
        model_monitor.monitor_schedule("m", emails=EMAILS, ml_task="question_answering",
                                 signals={"d": model_monitor.data_drift_signal(TRAIN)})


# --- durations: one vocabulary (src/mlcheckup/_validate.py), sent in ISO 8601 ------------------------
@pytest.mark.parametrize("window", ["week", "P7D", "P1W", "7D", "7 days", timedelta(days=7)])
def test_a_production_window_in_any_spelling_is_sent_as_azure_writes_it(window):
    signals = {"drift": model_monitor.data_drift_signal(TRAIN, production="azureml:p:1", production_window=window),
               "performance": model_monitor.performance_signal("azureml:o:1", "azureml:t:1",
                                                               classification={"accuracy": 0.9}, window=window)}
    schedule = model_monitor.monitor_schedule("m", endpoint="avocado", deployment="blue", emails=EMAILS, signals=signals)
    sent = model_monitor.rest_payload(schedule)["properties"]["action"]["monitorDefinition"]["signals"]
    assert sent["drift"]["productionData"]["windowSize"] == "P7D"
    assert sent["performance"]["productionData"][0]["windowSize"] == "P7D"


@pytest.mark.parametrize("window, words", [(7, "a bare number has no unit"), ("month", "a month has no fixed length")])
def test_a_production_window_refuses_a_number_and_a_month_saying_what_to_pass(window, words):
    with pytest.raises(ValidationError, match=rf"^production_window must be a positive duration such as .*\(got {window!r}\); {words}"):
        model_monitor.data_drift_signal(TRAIN, production="azureml:p:1", production_window=window)
    with pytest.raises(ValidationError, match=rf"^window must be a positive duration such as .*\(got {window!r}\); {words}"):
        model_monitor.performance_signal("azureml:o:1", "azureml:t:1", classification={"accuracy": 0.9}, window=window)
